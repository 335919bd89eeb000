//! Abuse at the native checkout, on SQLite and, with
//! TEST_DATABASE_URL, on PostgreSQL: a blocked customer's codes are refused
//! (points codes and offer codes), and a brute force on codes is counted and
//! slowed — the 21st failed check in an hour answers 429 `rate_limited` with
//! `Retry-After`, concurrent failures are counted exactly.

use crate::campaigns::create;
use crate::events::{campaign, event_ok};
use crate::helpers::*;
use chrono::{DurationRound, Timelike};
use futures_util::future::join_all;
use loyalty_wallet::store::code_failures;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Moves the app's clock to one second past the next full hour, so a test
/// has the best part of an hour before the counter's hour ends.
fn start_of_an_hour(app: &TestApp) {
    let now = app.store.clock().now();
    let next = now.duration_trunc(chrono::Duration::hours(1)).expect("trunc") + chrono::Duration::hours(1);
    app.store.clock().advance(next - now + chrono::Duration::seconds(1));
    assert_eq!(app.store.clock().now().minute(), 0);
}

async fn validate(app: &TestApp, customer: &str, code: &str) -> reqwest::Response {
    let body = json!({"code": code, "customer_id": customer, "subtotal": "50.00"});
    app.post("/api/v1/checkout/validate", &app.admin(), None, &body).await
}

async fn failures(app: &TestApp, customer: &str) -> i64 {
    let (shop, customer) = (SHOP.to_string(), customer.to_string());
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(code_failures::failures(conn, &shop, &customer, loyalty_wallet::clock::now())?)
        })
        .await
        .expect("failures")
}

/// A points code and an offer code of customer `who`.
async fn two_codes(app: &TestApp, who: &str) -> (String, String) {
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant(who, 1_000).await;
    let claim = app.claim_ok(who, 500).await;
    let c = create(app, &campaign(json!({"kind": "custom", "event": "vip"}))).await;
    event_ok(app, &json!({"customer_id": who, "kind": "custom", "name": "vip"})).await;
    let offers = crate::campaign_report::settled_offers(app, c["id"].as_str().expect("id")).await;
    assert_eq!(offers[0]["status"], "active", "{offers:?}");
    let code = |v: &Value| v["code"].as_str().expect("code").to_string();
    (code(&claim), code(&offers[0]))
}

#[tokio::test]
async fn a_blocked_customers_codes_are_refused_at_the_checkout() {
    let app = TestApp::spawn().await;
    let (points_code, offer_code) = two_codes(&app, "666").await;
    for code in [&points_code, &offer_code] {
        let (_, view) = status_json(validate(&app, "666", code).await).await;
        assert_eq!(view["valid"], true, "before blocking: {view}");
    }
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "offers": {"blocked_customers": ["666"]}});
    assert_eq!(app.put("/api/v1/admin/shop", &app.admin(), &body).await.status(), StatusCode::OK);
    for code in [&points_code, &offer_code] {
        let (status, view) = status_json(validate(&app, "666", code).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!((view["valid"].clone(), view["error"]["code"].clone()), (json!(false), json!("customer_blocked")));
        let redeem = app.redeem(code, "666", &format!("order-{code}"), "50.00").await;
        expect_error(redeem, StatusCode::UNPROCESSABLE_ENTITY, "customer_blocked").await;
    }
    assert_eq!(failures(&app, "666").await, 0, "a blocked customer's checks are not guesses");
    // Unblocked, the codes work again: nothing was used.
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "offers": {"blocked_customers": []}});
    assert_eq!(app.put("/api/v1/admin/shop", &app.admin(), &body).await.status(), StatusCode::OK);
    let redeem = app.redeem(&offer_code, "666", "order-1", "50.00").await;
    assert_eq!(redeem.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_twenty_first_failed_check_in_an_hour_is_rate_limited() {
    let app = TestApp::spawn().await;
    let (_, offer_code) = two_codes(&app, "7").await;
    start_of_an_hour(&app);
    for n in 1..=20 {
        let (status, view) = status_json(validate(&app, "7", &format!("GUESS{n}")).await).await;
        assert_eq!(status, StatusCode::OK, "failure {n}: {view}");
        assert_eq!(view["error"]["code"], "code_not_valid");
    }
    let response = validate(&app, "7", "GUESS21").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: i64 = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((3_000..=3_600).contains(&retry), "the rest of the hour: {retry}");
    let (_, body) = status_json(response).await;
    assert_eq!(body["error"]["code"], "rate_limited");
    // Limited: even the right code is refused now (a brute force learns nothing),
    // and a redeem too; every attempt is recorded.
    expect_error(validate(&app, "7", &offer_code).await, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    expect_error(app.redeem(&offer_code, "7", "o-1", "50.00").await, StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        .await;
    assert_eq!(failures(&app, "7").await, 23);
    // Another customer is not affected.
    let (status, view) = status_json(validate(&app, "8", "GUESS1").await).await;
    assert_eq!((status, view["error"]["code"].clone()), (StatusCode::OK, json!("code_not_valid")));
    // The next hour the customer may check again.
    app.store.clock().advance(chrono::Duration::hours(1));
    let (status, view) = status_json(validate(&app, "7", &offer_code).await).await;
    assert_eq!((status, view["valid"].clone()), (StatusCode::OK, json!(true)), "{view}");
}

#[tokio::test]
async fn concurrent_failed_checks_are_counted_exactly() {
    let app = TestApp::spawn().await;
    start_of_an_hour(&app);
    const AT_ONCE: usize = 48;
    let checks = (0..AT_ONCE).map(|n| {
        let app = &app;
        async move { validate(app, "9", &format!("RACE{n}")).await.status() }
    });
    let statuses = join_all(checks).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!((ok, limited), (20, AT_ONCE - 20), "{statuses:?}");
    assert_eq!(failures(&app, "9").await, AT_ONCE as i64, "every failure counted once");
}
