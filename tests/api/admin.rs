//! The merchant's reads: customer search and detail, analytics.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn customers_are_searched_and_paged_by_id() {
    let app = TestApp::spawn().await;
    for id in ["1001", "1002", "1003", "2001", "2002"] {
        app.grant(id, 100).await;
    }
    let admin = app.admin();
    let (_, page) = status_json(app.get("/api/v1/admin/customers?limit=2", &admin).await).await;
    let ids = |page: &Value| {
        page["customers"]
            .as_array()
            .expect("customers")
            .iter()
            .map(|c| c["id"].as_str().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ["1001", "1002"]);
    assert_eq!(page["next_cursor"], "1002");
    let (_, next) = status_json(app.get("/api/v1/admin/customers?limit=2&cursor=1002", &admin).await).await;
    assert_eq!(ids(&next), ["1003", "2001"]);
    let (_, last) = status_json(app.get("/api/v1/admin/customers?limit=2&cursor=2001", &admin).await).await;
    assert_eq!(ids(&last), ["2002"]);
    assert!(last["next_cursor"].is_null());
    let (_, found) = status_json(app.get("/api/v1/admin/customers?query=20", &admin).await).await;
    assert_eq!(ids(&found), ["2001", "2002"]);
    // LIKE wildcards in the query are literal.
    let (_, none) = status_json(app.get("/api/v1/admin/customers?query=%25", &admin).await).await;
    assert_eq!(ids(&none), Vec::<String>::new());
    let (_, none) = status_json(app.get("/api/v1/admin/customers?query=_001", &admin).await).await;
    assert_eq!(ids(&none), Vec::<String>::new());
    // The POS terminal searches the same way.
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    let (status, found) = status_json(app.get("/api/v1/pos/customers?query=100", &pos).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&found), ["1001", "1002", "1003"]);
}

#[tokio::test]
async fn a_customer_detail_shows_wallet_claims_and_entries() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("77", 900).await;
    let claim = app.claim_ok("77", 300).await;
    let (status, detail) = status_json(app.get("/api/v1/admin/customers/77", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["wallet"], json!({"customer_id": "77", "points_balance": 600, "currency": "USD"}));
    assert_eq!(detail["claims"][0]["id"], claim["id"]);
    let kinds: Vec<_> = detail["entries"].as_array().expect("entries").iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(kinds, [json!("redeem"), json!("adjust")]);
    expect_error(app.get("/api/v1/admin/customers/nobody", &app.admin()).await, StatusCode::NOT_FOUND, "not_found")
        .await;
}

#[tokio::test]
async fn analytics_count_claims_by_state() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    for id in ["1", "2"] {
        app.grant(id, 5_000).await;
    }
    let a = app.claim_ok("1", 100).await;
    let b = app.claim_ok("1", 600).await;
    app.claim_ok("2", 2_600).await;
    app.post(&format!("/api/v1/claims/{}/refund", a["id"].as_str().expect("id")), &app.customer("1"), None, &json!({}))
        .await;
    let (status, _) = status_json(app.redeem(b["code"].as_str().expect("code"), "1", "o-1", "40.00").await).await;
    assert_eq!(status, StatusCode::OK);
    let (status, report) = status_json(app.get("/api/v1/admin/analytics", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["claims_count"], 3);
    assert_eq!(report["points_redeemed"], 3_300);
    assert_eq!(report["average_points_per_claim"], 1_100.0);
    assert_eq!(report["claims_per_customer"], json!({"customers": 2, "average": 1.5}));
    assert_eq!(report["status"]["open"], 1);
    assert_eq!(report["status"]["used"], 1);
    assert_eq!(report["status"]["refunded"], 1);
    assert_eq!(report["orders"], json!({"count": 1, "total_value": "40.00", "average_value": "40.00"}));
    let buckets = report["distribution"].as_array().expect("buckets");
    let total: i64 = buckets.iter().map(|b| b["count"].as_i64().unwrap_or(0)).sum();
    assert_eq!(total, 3);
    let bucket_of = |points: i64| {
        buckets
            .iter()
            .find(|b| b["min"].as_i64().unwrap_or(0) <= points && b["max"].as_i64().is_none_or(|m| points <= m))
            .expect("bucket")
    };
    assert_eq!(bucket_of(100)["count"], 1);
    assert_eq!(bucket_of(600)["count"], 1);
    assert_eq!(bucket_of(2_600)["count"], 1);
}
