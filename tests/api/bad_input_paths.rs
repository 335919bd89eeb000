//! Bad input in paths, query strings, adjustments and checkout bodies: the
//! error envelope with the right status and code, never a 5xx, and nothing
//! written.

use crate::bad_input::funded_app;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn bad_ids_in_paths_are_404_and_write_nothing() {
    let (app, before) = funded_app().await;
    let customer = app.customer("7");
    let admin = app.admin();
    let unknown = uuid::Uuid::new_v4().to_string();
    let bad_claim_ids = [
        "not-a-uuid",
        "1",
        "%20",
        "'%20OR%201=1--",
        "00000000-0000-0000-0000-00000000000g",
        unknown.as_str(),
        "%F0%9F%92%A5",
    ];
    for id in bad_claim_ids {
        let path = format!("/api/v1/claims/{id}/refund");
        expect_error(app.post(&path, &customer, None, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
        let path = format!("/api/v1/admin/claims/{id}/refund");
        expect_error(app.post(&path, &admin, None, &json!({})).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    for id in ["bad%20id", "a.b", &"9".repeat(65), "%00"] {
        let path = format!("/api/v1/admin/customers/{id}");
        expect_error(app.get(&path, &admin).await, StatusCode::NOT_FOUND, "not_found").await;
        let path = format!("/api/v1/admin/customers/{id}/adjustments");
        let key = uuid::Uuid::new_v4().to_string();
        let response = app.post(&path, &admin, Some(&key), &json!({"points": 10, "reason": "r"})).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
        let path = format!("/api/v1/pos/customers/{id}/wallet");
        let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
        expect_error(app.get(&path, &pos).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    for channel in ["web", "ONLINE", "%2e%2e"] {
        let path = format!("/api/v1/admin/programs/{channel}");
        expect_error(app.get(&path, &admin).await, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(app.footprint("7").await, before);
}

#[tokio::test]
async fn bad_query_strings_are_400() {
    let (app, before) = funded_app().await;
    let customer = app.customer("7");
    for query in [
        "",
        "?points=",
        "?points=abc",
        "?points=1.5",
        "?points=9223372036854775808",
        "?points=0",
        "?points=-3",
        "?points=100&extra=1",
    ] {
        let response = app.get(&format!("/api/v1/quote{query}"), &customer).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    for query in ["?limit=abc", "?nope=1"] {
        let response = app.get(&format!("/api/v1/transactions{query}"), &customer).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let admin = app.admin();
    let long_query = format!("/api/v1/admin/customers?query={}", "q".repeat(101));
    let admin_cases = [
        "/api/v1/admin/customers?limit=x",
        "/api/v1/admin/customers?sort=id",
        long_query.as_str(),
        "/api/v1/admin/analytics?from=yesterday",
        "/api/v1/admin/analytics?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "/api/v1/admin/analytics?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ];
    for path in admin_cases {
        expect_error(app.get(path, &admin).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    for path in ["/api/v1/pos/quote?points=100", "/api/v1/pos/quote?points=100&customer_id=a%2Fb"] {
        let status = app.get(path, &pos).await.status();
        assert!(status.is_client_error(), "{path}: {status}");
    }
    assert_eq!(app.footprint("7").await, before);
}

#[tokio::test]
async fn bad_adjustments_are_refused_and_write_nothing() {
    let (app, before) = funded_app().await;
    let admin = app.admin();
    let cases = vec![
        ("zero", json!({"points": 0, "reason": "r"}), StatusCode::UNPROCESSABLE_ENTITY, Some("points")),
        (
            "too big",
            json!({"points": 1_000_000_000_001_i64, "reason": "r"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("points"),
        ),
        (
            "too small",
            json!({"points": -1_000_000_000_001_i64, "reason": "r"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("points"),
        ),
        ("empty reason", json!({"points": 5, "reason": "   "}), StatusCode::UNPROCESSABLE_ENTITY, Some("reason")),
        (
            "long reason",
            json!({"points": 5, "reason": "r".repeat(501)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("reason"),
        ),
        ("missing reason", json!({"points": 5}), StatusCode::BAD_REQUEST, None),
        ("unknown field", json!({"points": 5, "reason": "r", "by": "me"}), StatusCode::BAD_REQUEST, None),
        ("points fractional", json!({"points": 2.5, "reason": "r"}), StatusCode::BAD_REQUEST, None),
        ("points string", json!({"points": "5", "reason": "r"}), StatusCode::BAD_REQUEST, None),
    ];
    for (name, body, status, field) in cases {
        let key = format!("adj-{}", name.replace(' ', "-"));
        let response = app.post("/api/v1/admin/customers/7/adjustments", &admin, Some(&key), &body).await;
        let envelope = expect_error(response, status, "invalid_request").await;
        if let Some(field) = field {
            assert!(envelope["error"]["details"]["fields"][field].is_string(), "{name}: {envelope}");
        }
    }
    // A debit below zero is a conflict, not a write.
    let response = app.admin_adjust("7", -5_001).await;
    let envelope = expect_error(response, StatusCode::CONFLICT, "insufficient_points").await;
    assert_eq!(envelope["error"]["details"]["points_balance"], 5_000);
    assert_eq!(app.footprint("7").await, before);
    // An unknown customer is not created by a refused debit.
    let response = app.admin_adjust("stranger", -1).await;
    expect_error(response, StatusCode::CONFLICT, "insufficient_points").await;
    assert_eq!(app.stored_balance_in(SHOP, "stranger").await, None);
}

#[tokio::test]
async fn bad_checkout_bodies_are_refused_and_write_nothing() {
    let (app, _) = funded_app().await;
    let claim = app.claim_ok("7", 500).await;
    let code = claim["code"].as_str().expect("code").to_string();
    let before = app.footprint("7").await;
    let admin = app.admin();
    let cases = vec![
        (
            "validate bad code",
            "/api/v1/checkout/validate",
            json!({"code": "no spaces!", "customer_id": "7", "subtotal": "10.00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate bad customer",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "a/b", "subtotal": "10.00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate bad subtotal",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "7", "subtotal": "ten"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate negative subtotal",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "7", "subtotal": "-1.00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate too many decimals",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "7", "subtotal": "1.001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate huge subtotal",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "7", "subtotal": "79228162514264337593543950335"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "validate subtotal as number",
            "/api/v1/checkout/validate",
            json!({"code": code, "customer_id": "7", "subtotal": 10}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "redeem bad subtotal",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "order_id": "o-1", "subtotal": "1e3"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "redeem huge subtotal",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "order_id": "o-1", "subtotal": "79228162514264337593543950335"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "redeem empty order",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "order_id": " ", "subtotal": "10.00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "redeem long order",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "order_id": "o".repeat(65), "subtotal": "10.00"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "redeem missing order",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "subtotal": "10.00"}),
            StatusCode::BAD_REQUEST,
        ),
        (
            "redeem unknown field",
            "/api/v1/checkout/redeem",
            json!({"code": code, "customer_id": "7", "order_id": "o", "subtotal": "10.00", "tip": "1"}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (name, path, body, status) in cases {
        let key = uuid::Uuid::new_v4().to_string();
        let response = app.post(path, &admin, Some(&key), &body).await;
        let (got, envelope) = status_json(response).await;
        assert_eq!(got, status, "{name}: {envelope}");
        assert_eq!(envelope["error"]["code"], "invalid_request", "{name}: {envelope}");
    }
    assert_eq!(app.footprint("7").await, before);
    assert_eq!(app.claim_rows("7").await[0].status.as_str(), "active", "the code is still unused");
}
