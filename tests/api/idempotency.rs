//! Idempotency-Key (invariant 7): the first answer is stored
//! and replayed byte for byte; another body under the same key is refused;
//! concurrent requests with one key have exactly one effect.

use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

async fn funded() -> TestApp {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 5_000).await;
    app
}

#[tokio::test]
async fn a_replay_returns_the_same_status_and_bytes() {
    let app = funded().await;
    let token = app.customer("1");
    let body = json!({"points": 700});
    let first = app.post("/api/v1/claims", &token, Some("key-1"), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none(), "the first answer is not a replay");
    let first_type = first.headers().get("content-type").cloned();
    let first_bytes = first.bytes().await.expect("body");
    for _ in 0..3 {
        let again = app.post("/api/v1/claims", &token, Some("key-1"), &body).await;
        assert_eq!(again.status(), StatusCode::CREATED);
        assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        assert_eq!(again.headers().get("content-type").cloned(), first_type);
        assert_eq!(again.bytes().await.expect("body"), first_bytes, "byte for byte");
    }
    assert_eq!(app.balance("1").await, 4_300, "debited once");
    assert_eq!(app.claim_rows("1").await.len(), 1);
    assert_eq!(app.entries("1").await.iter().filter(|e| e.kind == "redeem").count(), 1);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn the_same_key_with_another_body_is_a_conflict() {
    let app = funded().await;
    let token = app.customer("1");
    let first = app.post("/api/v1/claims", &token, Some("key-2"), &json!({"points": 100})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let before = app.footprint("1").await;
    let response = app.post("/api/v1/claims", &token, Some("key-2"), &json!({"points": 200})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict").await;
    // The same points spelled differently is a different request too (the raw body is the fingerprint).
    let response = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/claims",
            Some(&token),
            &[("Content-Type", "application/json"), ("Idempotency-Key", "key-2")],
            Some(br#"{ "points": 100 }"#.to_vec()),
        )
        .await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict").await;
    assert_eq!(app.footprint("1").await, before);
}

#[tokio::test]
async fn keys_belong_to_their_caller() {
    let app = funded().await;
    app.grant("2", 5_000).await;
    let body = json!({"points": 100});
    let one = app.post("/api/v1/claims", &app.customer("1"), Some("shared"), &body).await;
    let two = app.post("/api/v1/claims", &app.customer("2"), Some("shared"), &body).await;
    assert_eq!((one.status(), two.status()), (StatusCode::CREATED, StatusCode::CREATED));
    assert!(two.headers().get("idempotent-replayed").is_none(), "not someone else's answer");
    let (one, two): (serde_json::Value, serde_json::Value) =
        (one.json().await.expect("json"), two.json().await.expect("json"));
    assert_ne!(one["id"], two["id"]);
    assert_eq!(two["customer_id"], "2");
    assert_eq!((app.balance("1").await, app.balance("2").await), (4_900, 4_900));
}

#[tokio::test]
async fn a_refused_request_is_not_stored_and_may_be_retried() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 100).await;
    let token = app.customer("1");
    let body = json!({"points": 500});
    let response = app.post("/api/v1/claims", &token, Some("retry"), &body).await;
    expect_error(response, StatusCode::CONFLICT, "insufficient_points").await;
    app.grant("1", 400).await;
    let response = app.post("/api/v1/claims", &token, Some("retry"), &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(response.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.balance("1").await, 0);
}

#[tokio::test]
async fn adjustments_replay_with_their_key() {
    let app = TestApp::spawn().await;
    let path = "/api/v1/admin/customers/9/adjustments";
    let body = json!({"points": 250, "reason": "goodwill"});
    let first = app.post(path, &app.admin(), Some("adj-1"), &body).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first = first.bytes().await.expect("body");
    let again = app.post(path, &app.admin(), Some("adj-1"), &body).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.bytes().await.expect("body"), first);
    let response = app.post(path, &app.admin(), Some("adj-1"), &json!({"points": 250, "reason": "other"})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict").await;
    // The key is bound to the path too: the same body for another customer conflicts.
    let response = app.post("/api/v1/admin/customers/10/adjustments", &app.admin(), Some("adj-1"), &body).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "idempotency_conflict").await;
    assert_eq!(app.balance("9").await, 250);
    assert_eq!(app.stored_balance_in(SHOP, "10").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_with_one_key_have_one_effect() {
    let app = funded().await;
    let token = app.customer("1");
    let body = json!({"points": 300});
    let requests = (0..20).map(|_| app.post("/api/v1/claims", &token, Some("burst"), &body));
    let mut answers = Vec::new();
    for response in join_all(requests).await {
        let status = response.status();
        let replayed = response.headers().get("idempotent-replayed").is_some();
        answers.push((status, replayed, response.bytes().await.expect("body")));
    }
    for (status, _, bytes) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{}", String::from_utf8_lossy(bytes));
        assert_eq!(bytes, &answers[0].2, "every caller gets the one answer");
    }
    assert_eq!(answers.iter().filter(|(_, replayed, _)| !replayed).count(), 1, "exactly one original");
    assert_eq!(app.claim_rows("1").await.len(), 1, "one claim");
    assert_eq!(app.entries("1").await.iter().filter(|e| e.kind == "redeem").count(), 1, "one debit");
    assert_eq!(app.balance("1").await, 4_700);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

/// On a platform shop the claim is pushed and the refund credited within
/// the response window, and the stored answer is restated: a replay returns
/// exactly what the first caller was told (`active`, `refunded` with 200),
/// and the settled refund's points are counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_after_the_platform_settled_says_what_the_first_caller_was_told() {
    use crate::platform::{base_program, program, rig_with, Rig};
    use crate::shopify_double::DoubleConfig;
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 10_000).await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let token = app.customer("1");
    let body = json!({"points": 400});
    let claim = answered_twice(&app, "/api/v1/claims", &body, &token, "settle-claim", StatusCode::CREATED).await;
    assert_eq!(claim["status"], "active", "pushed within the window: {claim}");
    let id = claim["id"].as_str().expect("id");
    let path = format!("/api/v1/claims/{id}/refund");
    let refund = answered_twice(&app, &path, &json!({}), &token, "settle-refund", StatusCode::OK).await;
    assert_eq!((refund["claim"]["status"].as_str(), refund["points_refunded"].as_i64()), (Some("refunded"), Some(400)));
    assert_eq!(refund["points_balance"], 1_000);
    assert!(double.live_codes().is_empty(), "the code is gone at the platform");
    let metrics = app.client.get(app.url("/metrics")).send().await.expect("GET").text().await.expect("text");
    for line in ["loyalty_claims_created_total 1", "loyalty_refunds_total 1", "loyalty_points_refunded_total 400"] {
        assert!(metrics.lines().any(|l| l == line), "{line} in {metrics}");
    }
}

/// Posts with `key` twice: the second answer is a replay, byte for byte.
async fn answered_twice(
    app: &TestApp,
    path: &str,
    body: &serde_json::Value,
    token: &str,
    key: &str,
    status: StatusCode,
) -> serde_json::Value {
    let first = app.post(path, token, Some(key), body).await;
    assert_eq!(first.status(), status);
    let first = first.bytes().await.expect("body");
    let again = app.post(path, token, Some(key), body).await;
    assert_eq!(again.status(), status);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.bytes().await.expect("body"), first, "byte for byte");
    serde_json::from_slice(&first).expect("json")
}
