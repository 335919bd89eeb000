//! Refunds: by the customer or the merchant, for unused
//! codes only, crediting exactly the claimed points exactly once.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

async fn app_with_claim(points: i64) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 2_000).await;
    let claim = app.claim_ok("1", points).await;
    (app, claim["id"].as_str().expect("id").to_string())
}

fn refund_entries(entries: &[loyalty_wallet::store::customers::EntryRow], claim: &str) -> Vec<i64> {
    entries
        .iter()
        .filter(|e| e.kind.as_str() == "refund" && e.claim_id.as_deref() == Some(claim))
        .map(|e| e.delta)
        .collect()
}

#[tokio::test]
async fn a_customer_refund_credits_the_points_exactly_once() {
    let (app, claim) = app_with_claim(700).await;
    assert_eq!(app.balance("1").await, 1_300);
    let path = format!("/api/v1/claims/{claim}/refund");
    let (status, body) = status_json(app.post(&path, &app.customer("1"), None, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["points_refunded"], 700);
    assert_eq!(body["points_balance"], 2_000);
    assert_eq!(body["claim"]["id"], claim.as_str());
    assert_eq!(body["claim"]["status"], "refunded");
    assert!(body["claim"]["refunded_at"].is_string());
    assert_eq!(app.balance("1").await, 2_000);

    let second = expect_error(
        app.post(&path, &app.customer("1"), None, &json!({})).await,
        StatusCode::CONFLICT,
        "claim_not_refundable",
    )
    .await;
    assert_eq!(second["error"]["details"]["status"], "refunded");
    let admin_path = format!("/api/v1/admin/claims/{claim}/refund");
    expect_error(
        app.post(&admin_path, &app.admin(), None, &json!({})).await,
        StatusCode::CONFLICT,
        "claim_not_refundable",
    )
    .await;
    assert_eq!(app.balance("1").await, 2_000, "no second credit");
    assert_eq!(refund_entries(&app.entries("1").await, &claim), vec![700]);
    // The shopper's ledger shows it, newest first.
    let (_, ledger) = status_json(app.get("/api/v1/transactions", &app.customer("1")).await).await;
    let kinds: Vec<_> = ledger["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["refund", "redeem", "adjust"]);
    assert_eq!(ledger["entries"][0]["delta"], 700);
    assert_eq!(ledger["entries"][0]["balance_after"], 2_000);
    assert_eq!(ledger["entries"][0]["claim_id"], claim.as_str());
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn an_admin_refund_credits_the_points_exactly_once() {
    let (app, claim) = app_with_claim(450).await;
    let path = format!("/api/v1/admin/claims/{claim}/refund");
    let (status, body) = status_json(app.post(&path, &app.admin(), None, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["points_refunded"], 450);
    assert_eq!(body["claim"]["status"], "refunded");
    assert_eq!(app.balance("1").await, 2_000);
    expect_error(app.post(&path, &app.admin(), None, &json!({})).await, StatusCode::CONFLICT, "claim_not_refundable")
        .await;
    let customer_path = format!("/api/v1/claims/{claim}/refund");
    expect_error(
        app.post(&customer_path, &app.customer("1"), None, &json!({})).await,
        StatusCode::CONFLICT,
        "claim_not_refundable",
    )
    .await;
    assert_eq!(app.balance("1").await, 2_000);
    assert_eq!(refund_entries(&app.entries("1").await, &claim), vec![450]);
    // The refunded code is no longer usable at checkout.
    let code = app.claim_rows("1").await[0].code.clone();
    expect_error(app.redeem(&code, "1", "o-1", "10.00").await, StatusCode::CONFLICT, "code_not_valid").await;
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn a_used_code_cannot_be_refunded() {
    let (app, claim) = app_with_claim(500).await;
    let code = app.claim_rows("1").await[0].code.clone();
    let (status, used) = status_json(app.redeem(&code, "1", "order-9", "25.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    let before = app.footprint("1").await;
    for (path, token) in [
        (format!("/api/v1/claims/{claim}/refund"), app.customer("1")),
        (format!("/api/v1/admin/claims/{claim}/refund"), app.admin()),
    ] {
        let error =
            expect_error(app.post(&path, &token, None, &json!({})).await, StatusCode::CONFLICT, "claim_not_refundable")
                .await;
        assert_eq!(error["error"]["details"]["status"], "used");
    }
    assert_eq!(app.footprint("1").await, before);
    assert!(refund_entries(&app.entries("1").await, &claim).is_empty());
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn a_refund_with_a_key_replays_instead_of_conflicting() {
    let (app, claim) = app_with_claim(300).await;
    let path = format!("/api/v1/claims/{claim}/refund");
    let first = app.post(&path, &app.customer("1"), Some("refund-1"), &json!({})).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.bytes().await.expect("body");
    let again = app.post(&path, &app.customer("1"), Some("refund-1"), &json!({})).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.bytes().await.expect("body"), first);
    assert_eq!(app.balance("1").await, 2_000);
    assert_eq!(refund_entries(&app.entries("1").await, &claim), vec![300]);
}
