//! What the widget and the till need from the API: cursor paging of the
//! shopper's claims and ledger (newest first, stable while rows are added),
//! and the POS doors for a customer's open codes and cancelling one.

use crate::helpers::*;
use loyalty_wallet::auth::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Every page of a shopper's list at `limit` rows; asserts each page's size.
async fn all_pages(app: &TestApp, token: &str, path: &str, key: &str, limit: usize) -> Vec<Value> {
    let (mut rows, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit={limit}&cursor={c}"),
            None => format!("{path}?limit={limit}"),
        };
        let (status, page) = status_json(app.get(&url, token).await).await;
        assert_eq!(status, StatusCode::OK, "{url}: {page}");
        let got = page[key].as_array().expect("rows").clone();
        assert!(got.len() <= limit, "a page holds at most `limit` rows");
        rows.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(got.len(), limit, "only the last page may be short");
                cursor = Some(next.to_string());
            }
            None => return rows,
        }
    }
}

fn ids(rows: &[Value]) -> Vec<String> {
    rows.iter().map(|r| r["id"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn claims_and_transactions_page_newest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("7", 10_000).await;
    for _ in 0..7 {
        app.claim_ok("7", 100).await;
    }
    let token = app.customer("7");

    let (_, whole) = status_json(app.get("/api/v1/claims", &token).await).await;
    assert_eq!(whole["claims"].as_array().map(Vec::len), Some(7));
    assert!(whole["next_cursor"].is_null(), "one page when all fit: {whole}");

    let claims = all_pages(&app, &token, "/api/v1/claims", "claims", 3).await;
    assert_eq!(ids(&claims), ids(whole["claims"].as_array().expect("claims")), "pages = the whole list, in order");
    let created: Vec<&str> = claims.iter().map(|c| c["created_at"].as_str().unwrap_or("")).collect();
    assert!(created.windows(2).all(|w| w[0] >= w[1]), "newest first: {created:?}");

    // 1 grant + 7 redeems; a claim made between pages does not shift the next page.
    let (_, first) = status_json(app.get("/api/v1/transactions?limit=5", &token).await).await;
    app.claim_ok("7", 100).await;
    let cursor = first["next_cursor"].as_str().expect("more entries follow");
    let (_, second) =
        status_json(app.get(&format!("/api/v1/transactions?limit=5&cursor={cursor}"), &token).await).await;
    let (a, b) = (ids(first["entries"].as_array().expect("e")), ids(second["entries"].as_array().expect("e")));
    assert_eq!((a.len(), b.len()), (5, 3));
    assert!(b.iter().all(|id| !a.contains(id)), "no row twice");
    assert_eq!(second["entries"][2]["kind"], "adjust", "the oldest entry (the grant) is last");
    assert!(second["next_cursor"].is_null());
    assert_eq!(all_pages(&app, &token, "/api/v1/transactions", "entries", 4).await.len(), 9);
}

#[tokio::test]
async fn bad_paging_input_is_a_400_with_nothing_clamped() {
    let app = TestApp::spawn().await;
    app.grant("8", 500).await;
    let token = app.customer("8");
    for path in ["/api/v1/claims?cursor=nope", "/api/v1/transactions?cursor=1%27%20OR%201=1", "/api/v1/claims?limit=x"]
    {
        assert_eq!(error_code(app.get(path, &token).await).await, "invalid_request", "{path}");
    }
    // A limit outside 1-500 is refused with its field (not clamped).
    for path in ["/api/v1/transactions?limit=0", "/api/v1/transactions?limit=100000"] {
        assert_eq!(error_code(app.get(path, &token).await).await, "invalid_request", "{path}");
    }
    let (status, page) = status_json(app.get("/api/v1/transactions?limit=500", &app.customer("9")).await).await;
    assert_eq!((status, page["entries"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "nobody else's rows");
}

#[tokio::test]
async fn the_till_lists_open_codes_and_cancels_one_with_the_points_back() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.enable_program("pos", "100", 100, 10_000).await;
    app.grant("21", 2_000).await;
    let pos = app.token(Role::Pos, "clerk-1");
    let online = app.claim_ok("21", 300).await;
    let key = uuid::Uuid::new_v4().to_string();
    let (status, at_till) = status_json(
        app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "21", "points": 200})).await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{at_till}");
    let used = app.claim_ok("21", 100).await;
    let redeemed = app.redeem(used["code"].as_str().expect("code"), "21", "order-1", "50.00").await;
    assert_eq!(redeemed.status(), StatusCode::OK);

    let (status, open) = status_json(app.get("/api/v1/pos/customers/21/claims", &pos).await).await;
    assert_eq!(status, StatusCode::OK, "{open}");
    assert_eq!(
        ids(open["claims"].as_array().expect("claims")),
        ids(&[at_till.clone(), online.clone()]),
        "open codes of both channels, newest first; the used one is not listed"
    );

    let path = format!("/api/v1/pos/claims/{}/refund", online["id"].as_str().expect("id"));
    let key = uuid::Uuid::new_v4().to_string();
    let (status, refund) = status_json(app.post(&path, &pos, Some(&key), &json!(null)).await).await;
    assert_eq!(status, StatusCode::OK, "{refund}");
    assert_eq!((refund["claim"]["status"].as_str(), refund["points_refunded"].as_i64()), (Some("refunded"), Some(300)));
    assert_eq!(app.balance("21").await, 2_000 - 200 - 100);
    let (status, again) = status_json(app.post(&path, &pos, Some(&key), &json!(null)).await).await;
    assert_eq!((status, again), (StatusCode::OK, refund), "a retry replays the answer");
    let fresh = uuid::Uuid::new_v4().to_string();
    expect_error(app.post(&path, &pos, Some(&fresh), &json!(null)).await, StatusCode::CONFLICT, "claim_not_refundable")
        .await;
    let (_, open) = status_json(app.get("/api/v1/pos/customers/21/claims", &pos).await).await;
    assert_eq!(open["claims"].as_array().map(Vec::len), Some(1));
    assert_wallet_invariants(&app, SHOP, "21").await;
}

#[tokio::test]
async fn the_pos_doors_stay_in_the_tokens_shop_and_role() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("31", 1_000).await;
    let claim = app.claim_ok("31", 200).await;
    let path = format!("/api/v1/pos/claims/{}/refund", claim["id"].as_str().expect("id"));
    let other_pos = app.token_for("other-shop.myshopify.com", Role::Pos, "clerk-9");
    expect_error(app.post(&path, &other_pos, None, &json!(null)).await, StatusCode::NOT_FOUND, "not_found").await;
    let (_, none) = status_json(app.get("/api/v1/pos/customers/31/claims", &other_pos).await).await;
    assert_eq!(none["claims"].as_array().map(Vec::len), Some(0), "another shop sees no codes");
    for token in [app.customer("31"), app.admin()] {
        assert_eq!(app.post(&path, &token, None, &json!(null)).await.status(), StatusCode::FORBIDDEN);
        assert_eq!(app.get("/api/v1/pos/customers/31/claims", &token).await.status(), StatusCode::FORBIDDEN);
    }
    let pos = app.token(Role::Pos, "clerk-1");
    expect_error(
        app.post("/api/v1/pos/claims/not-an-id/refund", &pos, None, &json!(null)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_eq!(app.balance("31").await, 800, "nothing refunded by a refused request");
}
