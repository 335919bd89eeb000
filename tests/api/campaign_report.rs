//! The campaign report over HTTP (SQLite, and PostgreSQL with
//! TEST_DATABASE_URL): counts that match the offers list, conversions only
//! inside the attribution window after the offer's event, each order once,
//! the lift and its Newcombe interval, and the from/to filter.

use crate::campaigns::create;
use crate::events::{campaign, event_ok, offers_of, run_worker};
use crate::helpers::*;
use chrono::{Duration, SecondsFormat, Utc};
use loyalty_wallet::domain::lift::{self, Group};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn at(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn order(app: &TestApp, customer: &str, order_id: &str, subtotal: &str, when: chrono::DateTime<Utc>) {
    let body = json!({"customer_id": customer, "kind": "order", "occurred_at": at(when),
                      "data": {"order_id": order_id, "subtotal": subtotal}});
    event_ok(app, &body).await;
}

async fn report(app: &TestApp, id: &str, query: &str) -> Value {
    let (status, body) =
        status_json(app.get(&format!("/api/v1/admin/campaigns/{id}/report{query}"), &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

fn customers_with(offers: &[Value], statuses: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = offers
        .iter()
        .filter(|o| statuses.contains(&o["status"].as_str().unwrap_or("")))
        .filter_map(|o| o["customer_id"].as_str().map(str::to_string))
        .collect();
    ids.sort();
    ids
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 2e-6)
}

#[tokio::test]
async fn the_report_counts_conversions_in_the_window_and_measures_the_lift() {
    let app = TestApp::spawn().await;
    let body = json!({"currency": "USD", "earn_points_per_unit": "1",
                      "offers": {"blocked_customers": ["blocked1"]}});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    let mut body = campaign(json!({"kind": "custom", "event": "r"}));
    body["holdout_percent"] = json!(50);
    let c = create(&app, &body).await;
    let id = c["id"].as_str().expect("id").to_string();
    let t0 = Utc::now() - Duration::days(5);
    for n in 0..40 {
        event_ok(&app, &json!({"customer_id": format!("r{n}"), "kind": "custom", "name": "r", "occurred_at": at(t0)}))
            .await;
    }
    event_ok(&app, &json!({"customer_id": "blocked1", "kind": "custom", "name": "r", "occurred_at": at(t0)})).await;
    run_worker(&app, 0).await;
    let offers = offers_of(&app, &id).await;
    let treated = customers_with(&offers, &["active"]);
    let control = customers_with(&offers, &["held_out"]);
    assert!(treated.len() >= 4 && control.len() >= 2, "hash split {} / {}", treated.len(), control.len());
    assert_eq!(treated.len() + control.len(), 40);

    // Treatment: three convert inside the 48 h window (one with two orders,
    // one order posted twice), one buys too late, one bought before.
    order(&app, &treated[0], "o-t0", "25.00", t0 + Duration::hours(1)).await;
    order(&app, &treated[0], "o-t0b", "10.00", t0 + Duration::hours(47)).await;
    order(&app, &treated[1], "o-t1", "25.00", t0 + Duration::hours(2)).await;
    order(&app, &treated[2], "o-t2", "30.50", t0 + Duration::minutes(5)).await;
    order(&app, &treated[2], "o-t2", "30.50", t0 + Duration::minutes(5)).await;
    order(&app, &treated[3], "o-late", "99.00", t0 + Duration::hours(49)).await;
    order(&app, &control[0], "o-before", "99.00", t0 - Duration::hours(1)).await;
    // Control: one converts.
    order(&app, &control[1], "o-c1", "40.00", t0 + Duration::hours(3)).await;
    // One treated code is used at the checkout (same order as its conversion).
    let code =
        offers.iter().find(|o| o["customer_id"] == treated[1].as_str()).and_then(|o| o["code"].as_str()).expect("code");
    let response = app.redeem(code, &treated[1], "o-t1", "25.00").await;
    assert_eq!(response.status(), StatusCode::OK);

    let r = report(&app, &id, "").await;
    let (nt, nc) = (treated.len() as i64, control.len() as i64);
    assert_eq!(r["issued"], nt, "{r}");
    assert_eq!(r["held_out"], nc);
    assert_eq!(r["refused"], json!({"customer_blocked": 1}));
    assert_eq!(r["used"], 1);
    assert_eq!(r["expired"], 0);
    assert_eq!(r["currency"], "USD");
    assert_eq!(r["outstanding_value"], format!("{}.00", 10 * (nt - 1)));
    assert_eq!(r["total_value"], format!("{}.00", 10 * nt));
    assert_eq!(r["treatment"]["customers"], nt);
    assert_eq!(r["treatment"]["converted"], 3);
    assert_eq!(r["treatment"]["revenue"], "90.50", "25 + 10 + 25 + 30.50: the duplicate and late orders left out");
    assert_eq!(r["control"]["customers"], nc);
    assert_eq!(r["control"]["converted"], 1);
    assert_eq!(r["control"]["revenue"], "40.00");
    assert!(close(&r["treatment"]["rate"], 3.0 / nt as f64), "{r}");
    assert!(close(&r["control"]["rate"], 1.0 / nc as f64), "{r}");
    let expected =
        lift::lift(Group { customers: nt as u64, converted: 3 }, Group { customers: nc as u64, converted: 1 })
            .expect("both groups");
    assert!(close(&r["lift"]["absolute"], 3.0 / nt as f64 - 1.0 / nc as f64), "{r}");
    assert!(close(&r["lift"]["relative"], expected.relative.expect("relative")), "{r}");
    assert!(close(&r["lift"]["ci95"][0], expected.ci95.0) && close(&r["lift"]["ci95"][1], expected.ci95.1), "{r}");
    assert!(r["lift"]["method"].as_str().is_some_and(|m| m.contains("Newcombe") && m.contains("Wilson")));
    // 90.50 − 40.00 × nt ÷ nc, rounded down to the cent.
    let incremental = 9_050 - (4_000 * nt).div_euclid(nc);
    let formatted =
        format!("{}{}.{:02}", if incremental < 0 { "-" } else { "" }, incremental.abs() / 100, incremental.abs() % 100);
    assert_eq!(r["incremental_revenue"], formatted, "{r}");

    // Offers whose event is after `from`: none.
    let later = report(&app, &id, &format!("?from={}", at(t0 + Duration::seconds(1)).replace('+', "%2B"))).await;
    assert_eq!(later["issued"], 0, "{later}");
    assert_eq!(later["treatment"]["customers"], 0);
    assert_eq!(later["refused"], json!({}));
    assert!(later["lift"]["absolute"].is_null() && later["lift"]["ci95"].is_null(), "{later}");
    assert!(later["incremental_revenue"].is_null());
    // A window around t0 holds everything.
    let around = format!("?from={}&to={}", at(t0 - Duration::seconds(1)), at(t0 + Duration::seconds(1)));
    assert_eq!(report(&app, &id, &around).await["issued"], nt);
}

#[tokio::test]
async fn bad_report_queries_are_refused() {
    let app = TestApp::spawn().await;
    let c = create(&app, &campaign(json!({"kind": "custom", "event": "x"}))).await;
    let id = c["id"].as_str().expect("id");
    let path = |q: &str| format!("/api/v1/admin/campaigns/{id}/report{q}");
    for q in ["?from=yesterday", "?to=2026-13-01T00:00:00Z", "?colour=red"] {
        let response = app.get(&path(q), &app.admin()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{q}");
    }
    let error = expect_error(
        app.get(&path("?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z"), &app.admin()).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
    assert!(error["error"]["details"]["fields"]["to"].is_string(), "{error}");
    let unknown = "/api/v1/admin/campaigns/00000000-0000-4000-8000-000000000000/report";
    expect_error(app.get(unknown, &app.admin()).await, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        app.get("/api/v1/admin/campaigns/nope/report", &app.admin()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let customer = app.customer("1");
    assert_eq!(app.get(&path(""), &customer).await.status(), StatusCode::FORBIDDEN);
}
