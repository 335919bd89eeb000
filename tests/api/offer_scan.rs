//! The scheduled win-back / birthday scan, with the
//! injected clock, on both databases: win-back once per inactivity period
//! (an order opens a new one), birthdays at the shop's midnight in its time
//! zone once a year, and a scan bounded per pass that resumes where it
//! stopped. The app's background workers are off, so the test drives every
//! pass itself.

use crate::campaigns::create;
use crate::events::{campaign, event_ok, offers_of};
use crate::helpers::*;
use crate::offer_webhooks::id;
use chrono::{Datelike, Duration, NaiveDateTime, Timelike};
use loyalty_wallet::platform::issuer::{issue_due_once, scan_once};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The app without background workers (the test runs scan and issue passes).
async fn quiet_app() -> TestApp {
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    settings.platform.workers = false;
    TestApp::spawn_with(settings, dir).await
}

fn at(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Scans (one full cycle) and issues what is due, at `now`; returns how
/// many customers the scan found.
async fn scan_and_issue(app: &TestApp, now: NaiveDateTime) -> usize {
    let report = scan_once(&app.store, now, Duration::days(1), 1_000).await.expect("scan");
    issue_due_once(&app.store, now + Duration::minutes(1), 100_000).await.expect("issue");
    report.found
}

fn customers_with(offers: &[Value], status: &str) -> Vec<String> {
    let mut ids: Vec<String> = offers
        .iter()
        .filter(|o| o["status"] == status)
        .map(|o| o["customer_id"].as_str().unwrap_or("").into())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn win_back_fires_once_per_inactivity_period() {
    let app = quiet_app().await;
    let c = create(&app, &campaign(json!({"kind": "win_back", "inactive_days": 30}))).await;
    let now = app.store.clock().now();
    for (customer, days_ago) in [("a", 40), ("b", 10)] {
        let order = json!({"customer_id": customer, "kind": "order", "occurred_at": at(now - Duration::days(days_ago)),
                           "data": {"order_id": format!("o-{customer}"), "subtotal": "20.00"}});
        event_ok(&app, &order).await;
    }
    event_ok(&app, &json!({"customer_id": "c", "kind": "customer", "data": {"first_name": "Cy"}})).await;

    assert_eq!(scan_and_issue(&app, now).await, 1);
    assert_eq!(customers_with(&offers_of(&app, &id(&c)).await, "active"), ["a"], "40 days quiet: won back");
    // The next cycle, two hours later: nobody twice.
    assert_eq!(scan_and_issue(&app, now + Duration::hours(2)).await, 0);
    assert_eq!(offers_of(&app, &id(&c)).await.len(), 1);

    // a orders again; 31 days later a and b have both been quiet 30+ days.
    let order = json!({"customer_id": "a", "kind": "order", "occurred_at": at(now + Duration::hours(3)),
                       "data": {"order_id": "o-a2", "subtotal": "20.00"}});
    event_ok(&app, &order).await;
    assert_eq!(scan_and_issue(&app, now + Duration::days(34)).await, 2);
    let offers = offers_of(&app, &id(&c)).await;
    assert_eq!(customers_with(&offers, "active"), ["a", "a", "b"], "a new period for a, the first for b; never c");
}

#[tokio::test]
async fn birthdays_fire_at_the_shops_midnight_once_a_year() {
    let app = quiet_app().await;
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "timezone": "Pacific/Auckland"});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    let c = create(&app, &campaign(json!({"kind": "birthday"}))).await;

    // The next 12:00 UTC at least a day ahead: it is already the next day in Auckland (UTC+12/13).
    let clock = app.store.clock();
    let now = clock.now();
    let noon = (now + Duration::days(1)).with_hour(12).and_then(|t| t.with_minute(0)).expect("noon");
    let auckland_day = noon.date() + Duration::days(1);
    let md = |d: chrono::NaiveDate| format!("{:02}-{:02}", d.month(), d.day());
    for (customer, birthday) in [("b1", md(auckland_day)), ("b2", md(auckland_day + Duration::days(1)))] {
        event_ok(&app, &json!({"customer_id": customer, "kind": "customer", "data": {"birthday": birthday}})).await;
    }
    scan_and_issue(&app, clock.now()).await;
    assert!(offers_of(&app, &id(&c)).await.is_empty(), "no birthday yet");

    clock.advance(noon - now);
    scan_and_issue(&app, clock.now()).await;
    assert_eq!(
        customers_with(&offers_of(&app, &id(&c)).await, "active"),
        ["b1"],
        "past midnight in Auckland while it is still the day before in UTC"
    );
    scan_and_issue(&app, clock.now() + Duration::hours(3)).await;
    assert_eq!(offers_of(&app, &id(&c)).await.len(), 1, "once a year");

    // A year later, b1's birthday again (b2's too, by then).
    clock.advance(Duration::days(366));
    scan_and_issue(&app, clock.now()).await;
    let offers = offers_of(&app, &id(&c)).await;
    assert_eq!(customers_with(&offers, "active").iter().filter(|c| *c == "b1").count(), 2, "{offers:?}");
}

#[tokio::test]
async fn a_pass_is_bounded_and_the_next_resumes_where_it_stopped() {
    let app = quiet_app().await;
    let c = create(&app, &campaign(json!({"kind": "win_back", "inactive_days": 30}))).await;
    let later = app.store.clock().now() + Duration::days(400);
    for i in 0..2_500 {
        let order = json!({"customer_id": format!("w{i:05}"), "kind": "order",
                           "occurred_at": at(later - Duration::days(40)),
                           "data": {"order_id": format!("o{i}"), "subtotal": "5.00"}});
        event_ok(&app, &order).await;
    }
    // One page per pass: 1,000 customers, then 1,000, then the last 500.
    let mut seen = Vec::new();
    for _ in 0..3 {
        seen.push(scan_once(&app.store, later, Duration::days(1), 1).await.expect("scan").visited);
    }
    assert_eq!(seen, [1_000, 1_000, 500]);
    issue_due_once(&app.store, later + Duration::minutes(1), 100_000).await.expect("issue");
    assert_eq!(customers_with(&offers_of(&app, &id(&c)).await, "active").len(), 2_500, "everyone once");
    // The cycle rests: the next pass soon after visits nobody.
    assert_eq!(
        scan_once(&app.store, later + Duration::minutes(5), Duration::days(1), 1).await.expect("scan").visited,
        0
    );
}
