//! The native checkout: validate a code for a cart,
//! redeem it exactly once, and earn points on what the customer paid.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn validate(app: &TestApp, code: &str, customer: &str, purchase: Option<&str>) -> Value {
    let mut body = json!({"code": code, "customer_id": customer, "subtotal": "50.00"});
    if let Some(purchase) = purchase {
        body["purchase_type"] = json!(purchase);
    }
    let (status, verdict) = status_json(app.post("/api/v1/checkout/validate", &app.admin(), None, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    verdict
}

/// Shop earning 2 points per dollar, customer 1 with a $5.00 code.
async fn shop_with_code() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.set_shop("USD", "2").await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 1_000).await;
    app.grant("2", 1_000).await;
    let claim = app.claim_ok("1", 500).await;
    (app, claim["code"].as_str().expect("code").to_string())
}

#[tokio::test]
async fn validate_accepts_only_the_owners_active_code() {
    let (app, code) = shop_with_code().await;
    let verdict = validate(&app, &code, "1", None).await;
    assert_eq!(
        verdict,
        json!({"valid": true, "kind": "fixed_amount", "value": "5.00", "currency": "USD", "error": null})
    );
    assert_eq!(
        validate(&app, &code.to_lowercase(), "1", Some("one_time")).await["valid"],
        true,
        "codes are case-insensitive"
    );

    let other = validate(&app, &code, "2", None).await;
    assert_eq!(other["valid"], false);
    assert_eq!(other["error"]["code"], "code_not_valid");
    assert!(other["value"].is_null(), "another customer learns nothing about the code");
    let unknown = validate(&app, "NOSUCHCODE22", "1", None).await;
    assert_eq!(unknown["error"]["message"], other["error"]["message"], "another's code looks like an unknown one");
    let wrong_type = validate(&app, &code, "1", Some("subscription")).await;
    assert_eq!(wrong_type["valid"], false);
    assert_eq!(wrong_type["error"]["code"], "code_not_valid");
    // Validating wrote nothing: the code is still active and unused.
    assert_eq!(app.claim_rows("1").await[0].status.as_str(), "active");
}

#[tokio::test]
async fn redeem_marks_the_code_used_once_and_earns_on_the_paid_amount() {
    let (app, code) = shop_with_code().await;
    expect_error(app.redeem(&code, "2", "order-1", "50.00").await, StatusCode::CONFLICT, "code_not_valid").await;
    assert_eq!(app.claim_rows("1").await[0].status.as_str(), "active", "another customer cannot use it");

    let (status, used) = status_json(app.redeem(&code, "1", "order-1", "50.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["status"], "used");
    assert_eq!(used["order_id"], "order-1");
    assert!(used["used_at"].is_string());
    // ($50.00 − $5.00) × 2 points per dollar.
    assert_eq!(used["points_earned"], 90);
    assert_eq!(app.balance("1").await, 1_000 - 500 + 90);
    let earns: Vec<_> = app.entries("1").await.into_iter().filter(|e| e.kind.as_str() == "earn").collect();
    assert_eq!(earns.len(), 1);
    assert_eq!((earns[0].delta, earns[0].order_id.as_deref()), (90, Some("order-1")));

    let again =
        expect_error(app.redeem(&code, "1", "order-2", "50.00").await, StatusCode::CONFLICT, "code_not_valid").await;
    assert!(again["error"]["message"].as_str().unwrap_or("").contains("used"), "{again}");
    assert_eq!(validate(&app, &code, "1", None).await["valid"], false);
    assert_eq!(app.balance("1").await, 590, "no second earn");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn earning_rounds_down_and_never_goes_negative() {
    let (app, code) = shop_with_code().await;
    // A cart smaller than the code: nothing paid, nothing earned.
    let (status, used) = status_json(app.redeem(&code, "1", "small", "3.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["points_earned"], 0);
    assert_eq!(app.balance("1").await, 500);
    // $10.99 paid at 1.5 points per dollar → 16.485 → 16 points.
    app.set_shop("USD", "1.5").await;
    let code = app.claim_ok("1", 100).await["code"].as_str().expect("code").to_string();
    let (_, used) = status_json(app.redeem(&code, "1", "rounding", "11.99").await).await;
    assert_eq!(used["points_earned"], 16);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn one_order_earns_once() {
    let (app, first) = shop_with_code().await;
    let second = app.claim_ok("1", 200).await["code"].as_str().expect("code").to_string();
    let (_, one) = status_json(app.redeem(&first, "1", "order-7", "20.00").await).await;
    assert_eq!(one["points_earned"], 30);
    let (status, two) = status_json(app.redeem(&second, "1", "order-7", "20.00").await).await;
    assert_eq!(status, StatusCode::OK, "{two}");
    assert_eq!(two["status"], "used");
    assert_eq!(two["points_earned"], 0, "the order already earned");
    let earns: Vec<_> = app.entries("1").await.into_iter().filter(|e| e.kind.as_str() == "earn").collect();
    assert_eq!(earns.len(), 1);
    assert_eq!(app.balance("1").await, 1_000 - 500 - 200 + 30);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn a_redeem_replays_with_its_key() {
    let (app, code) = shop_with_code().await;
    let body = json!({"code": code, "customer_id": "1", "order_id": "o-5", "subtotal": "15.00"});
    let first = app.post("/api/v1/checkout/redeem", &app.admin(), Some("redeem-o-5"), &body).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first = first.bytes().await.expect("body");
    let again = app.post("/api/v1/checkout/redeem", &app.admin(), Some("redeem-o-5"), &body).await;
    assert_eq!(again.status(), StatusCode::OK, "a retried redeem is answered, not refused");
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.bytes().await.expect("body"), first);
    assert_eq!(app.balance("1").await, 500 + 20);
}

#[tokio::test]
async fn a_code_made_in_another_currency_is_not_valid_after_a_currency_change() {
    let (app, code) = shop_with_code().await;
    app.set_shop("EUR", "2").await;
    let verdict = validate(&app, &code, "1", None).await;
    assert_eq!(verdict["valid"], false, "a $5.00 code is not €5.00: {verdict}");
    assert_eq!(verdict["currency"], "EUR");
    expect_error(app.redeem(&code, "1", "order-eur", "50.00").await, StatusCode::CONFLICT, "code_not_valid").await;
    // Still unused, so its points can come back.
    let id = app.claim_rows("1").await[0].id.clone();
    let (status, refund) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{refund}");
    assert_eq!(app.balance("1").await, 1_000);
    // Back in USD the code would have been good again, but it is refunded now.
    app.set_shop("USD", "2").await;
    assert_eq!(validate(&app, &code, "1", None).await["valid"], false);
}

#[tokio::test]
async fn a_huge_order_earns_at_most_the_points_one_operation_may_move() {
    let (app, code) = shop_with_code().await;
    app.set_shop("USD", "1000000").await;
    let (status, used) = status_json(app.redeem(&code, "1", "whale-1", "9000000000000.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["points_earned"], loyalty_wallet::domain::points::MAX_POINTS);
    // A second such order still works (no overflow of the balance, no 5xx).
    let second = app.claim_ok("2", 100).await["code"].as_str().expect("code").to_string();
    let (status, used) = status_json(app.redeem(&second, "2", "whale-2", "92233720368547758.07").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["points_earned"], loyalty_wallet::domain::points::MAX_POINTS);
    let third = app.claim_ok("1", 100).await["code"].as_str().expect("code").to_string();
    // Uncapped, 10^18 more points on top of 9 × 10^18 would overflow the balance.
    let (status, used) = status_json(app.redeem(&third, "1", "whale-3", "1000000000000.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["points_earned"], loyalty_wallet::domain::points::MAX_POINTS);
    assert_wallet_invariants(&app, SHOP, "1").await;
    assert_wallet_invariants(&app, SHOP, "2").await;
}

#[tokio::test]
async fn an_expired_code_is_not_valid_but_its_points_can_come_back() {
    let (app, code) = shop_with_code().await;
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            use diesel::prelude::*;
            use loyalty_wallet::store::schema::claims;
            Ok(diesel::update(claims::table.filter(claims::shop_id.eq(SHOP)).filter(claims::code.eq(code)))
                .set(claims::expires_at.eq(Some(past)))
                .execute(conn)?)
        })
        .await
        .expect("expire the code");
    let code = app.claim_rows("1").await[0].code.clone();
    let verdict = validate(&app, &code, "1", None).await;
    assert_eq!(verdict["valid"], false);
    assert!(verdict["error"]["message"].as_str().unwrap_or("").contains("expired"), "{verdict}");
    expect_error(app.redeem(&code, "1", "late", "50.00").await, StatusCode::CONFLICT, "code_not_valid").await;
    assert_eq!(app.claim_rows("1").await[0].status.as_str(), "active");
    assert_wallet_invariants(&app, SHOP, "1").await;
}
