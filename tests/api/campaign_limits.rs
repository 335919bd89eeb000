//! Limits, budgets and guardrails under concurrency (run on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL): 64 events at once, several workers
//! issuing at once, and every refusal recorded with its reason.

use crate::campaigns::create;
use crate::events::{campaign, event_ok, offers_of, run_worker};
use crate::helpers::*;
use chrono::Utc;
use futures_util::future::join_all;
use loyalty_wallet::platform::issuer::{expire_offers_once, issue_due_once};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};

const EVENTS: usize = 64;

/// Posts one `custom` event named `name` for each customer, all at once.
async fn burst(app: &TestApp, name: &str, customers: impl Iterator<Item = String>) {
    let requests = customers.map(|c| {
        let body = json!({"customer_id": c, "kind": "custom", "name": name});
        async move { event_ok(app, &body).await }
    });
    join_all(requests.collect::<Vec<_>>()).await;
}

/// Four workers at once, as four instances would; then waits out the
/// app's own background issuer, which may hold (SKIP LOCKED on PostgreSQL)
/// an offer the four skipped when they ran out of work.
async fn workers(app: &TestApp) {
    let now = Utc::now().naive_utc();
    let runs = (0..4).map(|_| issue_due_once(&app.store, now, 100_000));
    for result in join_all(runs).await {
        result.expect("worker");
    }
    run_worker(app, 0).await;
}

fn tally(offers: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for offer in offers {
        let key = match offer["reason"].as_str() {
            Some(reason) => format!("{}:{reason}", offer["status"].as_str().unwrap_or("")),
            None => offer["status"].as_str().unwrap_or("").to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    counts
}

fn id(c: &Value) -> String {
    c["id"].as_str().expect("id").to_string()
}

#[tokio::test]
async fn sixty_four_events_at_once_issue_sixty_four_distinct_codes() {
    let app = TestApp::spawn().await;
    let c = create(&app, &campaign(json!({"kind": "custom", "event": "burst"}))).await;
    burst(&app, "burst", (0..EVENTS).map(|n| format!("c{n}"))).await;
    workers(&app).await;
    let offers = offers_of(&app, &id(&c)).await;
    assert_eq!(tally(&offers), BTreeMap::from([("active".to_string(), EVENTS)]));
    let codes: HashSet<&str> = offers.iter().filter_map(|o| o["code"].as_str()).collect();
    assert_eq!(codes.len(), EVENTS, "no duplicate codes");
    let customers: HashSet<&str> = offers.iter().filter_map(|o| o["customer_id"].as_str()).collect();
    assert_eq!(customers.len(), EVENTS);
}

#[tokio::test]
async fn a_budget_for_k_offers_issues_exactly_k_under_concurrency() {
    let app = TestApp::spawn().await;
    const K: usize = 5;
    let mut body = campaign(json!({"kind": "custom", "event": "burst"}));
    body["limits"] = json!({"max_outstanding_value": "50.00"}); // 5 × 10.00
    let c = create(&app, &body).await;
    burst(&app, "burst", (0..EVENTS).map(|n| format!("b{n}"))).await;
    workers(&app).await;
    let offers = offers_of(&app, &id(&c)).await;
    let expected = BTreeMap::from([("active".to_string(), K), ("refused:budget_exhausted".to_string(), EVENTS - K)]);
    assert_eq!(tally(&offers), expected);
    let (shop, campaign_id) = (SHOP.to_string(), id(&c));
    let (reserved, total) = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::campaigns::counters(conn, &shop, &campaign_id)?)
        })
        .await
        .expect("counters");
    assert_eq!((reserved, total), (5_000, 5_000), "Σ reserved = value of open offers");
}

#[tokio::test]
async fn total_value_daily_and_per_customer_limits_hold_under_concurrency() {
    let app = TestApp::spawn().await;
    let mut daily = campaign(json!({"kind": "custom", "event": "d"}));
    daily["limits"] = json!({"daily_codes": 7});
    let daily = create(&app, &daily).await;
    let mut total = campaign(json!({"kind": "custom", "event": "t"}));
    total["limits"] = json!({"max_total_value": "30.00"});
    let total = create(&app, &total).await;
    let mut once = campaign(json!({"kind": "custom", "event": "o"}));
    once["limits"] = json!({"per_customer": 2, "per_customer_days": 30});
    let once = create(&app, &once).await;
    burst(&app, "d", (0..EVENTS).map(|n| format!("d{n}"))).await;
    burst(&app, "t", (0..EVENTS).map(|n| format!("t{n}"))).await;
    burst(&app, "o", (0..EVENTS).map(|n| format!("o{}", n % 4))).await;
    workers(&app).await;
    let d = tally(&offers_of(&app, &id(&daily)).await);
    assert_eq!(d, BTreeMap::from([("active".into(), 7), ("refused:limit_reached".into(), EVENTS - 7)]));
    let t = tally(&offers_of(&app, &id(&total)).await);
    assert_eq!(t, BTreeMap::from([("active".into(), 3), ("refused:budget_exhausted".into(), EVENTS - 3)]));
    let o = offers_of(&app, &id(&once)).await;
    assert_eq!(tally(&o), BTreeMap::from([("active".into(), 8), ("refused:limit_reached".into(), EVENTS - 8)]));
    for n in 0..4 {
        let customer = format!("o{n}");
        let mine = o.iter().filter(|x| x["customer_id"] == customer.as_str() && x["status"] == "active").count();
        assert_eq!(mine, 2, "{customer}");
    }
}

#[tokio::test]
async fn shop_guardrails_block_and_space_out_offers() {
    let app = TestApp::spawn().await;
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "timezone": "Europe/Paris",
                      "offers": {"min_hours_between_offers": 24, "blocked_customers": ["666"]}});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    assert_eq!(shop["timezone"], "Europe/Paris");
    assert_eq!(shop["offers"]["blocked_customers"], json!(["666"]));
    // Sections left out stay as they were.
    app.set_shop("USD", "2").await;
    let (_, shop) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!(shop["timezone"], "Europe/Paris");
    assert_eq!(shop["offers"]["min_hours_between_offers"], 24);
    let bad = json!({"currency": "USD", "earn_points_per_unit": "1", "timezone": "Mars/Olympus",
                     "offers": {"blocked_customers": ["a b"], "min_hours_between_offers": -1}});
    let error = expect_error(
        app.put("/api/v1/admin/shop", &app.admin(), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    for field in ["timezone", "offers.blocked_customers", "offers.min_hours_between_offers"] {
        assert!(error["error"]["details"]["fields"][field].is_string(), "{field}: {error}");
    }

    let a = create(&app, &campaign(json!({"kind": "custom", "event": "a"}))).await;
    let b = create(&app, &campaign(json!({"kind": "custom", "event": "b"}))).await;
    for name in ["a", "b"] {
        for customer in ["1", "666"] {
            event_ok(&app, &json!({"customer_id": customer, "kind": "custom", "name": name})).await;
        }
    }
    run_worker(&app, 0).await;
    let a = offers_of(&app, &id(&a)).await;
    let b = offers_of(&app, &id(&b)).await;
    let reason = |offers: &[Value], c: &str| {
        offers.iter().find(|o| o["customer_id"] == c).map(|o| (o["status"].clone(), o["reason"].clone()))
    };
    assert_eq!(reason(&a, "1"), Some((json!("active"), Value::Null)));
    assert_eq!(reason(&b, "1"), Some((json!("refused"), json!("too_soon"))));
    assert_eq!(reason(&a, "666"), Some((json!("refused"), json!("customer_blocked"))));
    assert_eq!(reason(&b, "666"), Some((json!("refused"), json!("customer_blocked"))));

    // A blocked customer cannot claim points either.
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("666", 500).await;
    expect_error(app.claim("666", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "customer_blocked").await;
    assert_eq!(app.balance("666").await, 500);
}

#[tokio::test]
async fn the_kill_switch_pauses_a_runaway_campaign_until_resumed() {
    let app = TestApp::spawn().await;
    let mut body = campaign(json!({"kind": "custom", "event": "k"}));
    body["limits"] = json!({"max_codes_per_hour": 3});
    let c = create(&app, &body).await;
    burst(&app, "k", (0..6).map(|n| format!("k{n}"))).await;
    workers(&app).await;
    let offers = offers_of(&app, &id(&c)).await;
    assert_eq!(
        tally(&offers),
        BTreeMap::from([("active".into(), 3), ("refused:campaign_paused".into(), 3)]),
        "refused after the pause: campaign_paused, not campaign_inactive"
    );
    let path = format!("/api/v1/admin/campaigns/{}", id(&c));
    let (_, view) = status_json(app.get(&path, &app.admin()).await).await;
    assert_eq!(view["enabled"], false);
    assert!(view["paused_reason"].as_str().is_some_and(|r| r.contains("max_codes_per_hour")), "{view}");
    // Paused: new events match nothing.
    let r = event_ok(&app, &json!({"customer_id": "k9", "kind": "custom", "name": "k"})).await;
    assert_eq!(r["matched_campaigns"], 0);
    let (status, view) = status_json(app.put(&path, &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["enabled"], true);
    assert!(view["paused_reason"].is_null());
}

#[tokio::test]
async fn an_expired_offer_gives_its_budget_back_exactly_once() {
    let app = TestApp::spawn().await;
    let mut body = campaign(json!({"kind": "custom", "event": "once"}));
    body["limits"] = json!({"max_outstanding_value": "10.00"}); // one 10.00 offer at a time
    body["expires_after_hours"] = json!(1);
    let c = create(&app, &body).await;
    burst(&app, "once", ["e1".to_string(), "e2".to_string()].into_iter()).await;
    workers(&app).await;
    assert_eq!(
        tally(&offers_of(&app, &id(&c)).await),
        BTreeMap::from([("active".to_string(), 1), ("refused:budget_exhausted".to_string(), 1)])
    );
    // Two hours later (past expiry and grace), twice at once: released once.
    let later = Utc::now().naive_utc() + chrono::Duration::hours(2);
    let grace = chrono::Duration::minutes(10);
    let (a, b) =
        tokio::join!(expire_offers_once(&app.store, later, grace), expire_offers_once(&app.store, later, grace));
    assert_eq!(a.expect("expire") + b.expect("expire"), 1, "one offer expired, by one of the two");
    let (shop, campaign_id) = (SHOP.to_string(), id(&c));
    let counters = move |conn: &mut loyalty_wallet::store::AnyConnection| {
        Ok::<_, loyalty_wallet::store::Error>(loyalty_wallet::store::campaigns::counters(conn, &shop, &campaign_id)?)
    };
    assert_eq!(app.store.read(counters.clone()).await.expect("counters"), (0, 1_000), "reserved back to 0, total kept");
    // The budget is free again: the next event issues.
    burst(&app, "once", ["e3".to_string()].into_iter()).await;
    workers(&app).await;
    let tally = tally(&offers_of(&app, &id(&c)).await);
    assert_eq!(tally.get("active"), Some(&1), "{tally:?}");
    assert_eq!(tally.get("expired"), Some(&1), "{tally:?}");
    assert_eq!(app.store.read(counters).await.expect("counters").0, 1_000, "Σ reserved = value of open offers");
}
