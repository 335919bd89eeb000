//! Concurrency, the heart: simultaneous claims on one
//! wallet never overdraw it, and mixed concurrent writes keep invariants 1-3.

use crate::helpers::*;
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};

const CLAIMS: usize = 64;
const COVERED: usize = 10;
const POINTS: i64 = 100;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_claims_on_a_wallet_that_covers_ten() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    // Enough for exactly ten claims, plus a remainder too small for an eleventh.
    let granted = COVERED as i64 * POINTS + 99;
    app.grant("1", granted).await;
    let token = app.customer("1");
    let requests = (0..CLAIMS).map(|i| {
        let key = format!("claim-{i}");
        let (app, token) = (&app, &token);
        async move { status_json(app.post("/api/v1/claims", token, Some(&key), &json!({"points": POINTS})).await).await }
    });
    let answers = join_all(requests).await;
    let created: Vec<&Value> = answers.iter().filter(|(s, _)| *s == StatusCode::CREATED).map(|(_, b)| b).collect();
    let refused: Vec<&Value> = answers.iter().filter(|(s, _)| *s != StatusCode::CREATED).map(|(_, b)| b).collect();
    assert_eq!(created.len(), COVERED, "exactly the covered claims succeed");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(body["error"]["code"], "insufficient_points", "{body}");
    }
    assert_eq!(refused.len(), CLAIMS - COVERED);
    let codes: std::collections::HashSet<_> = created.iter().map(|c| c["code"].as_str().expect("code")).collect();
    assert_eq!(codes.len(), COVERED, "distinct codes");

    assert_eq!(app.balance("1").await, 99);
    assert_eq!(app.claim_rows("1").await.len(), COVERED);
    assert_eq!(assert_wallet_invariants(&app, SHOP, "1").await, 99);
    // The same through the public ledger.
    let (_, ledger) = status_json(app.get("/api/v1/transactions?limit=500", &token).await).await;
    let entries = ledger["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), COVERED + 1);
    let sum: i64 = entries.iter().map(|e| e["delta"].as_i64().expect("delta")).sum();
    assert_eq!(sum, 99, "Σ ledger = balance");
    assert_eq!(entries[0]["balance_after"], 99, "the newest entry carries the balance");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_claims_adjustments_and_refunds_keep_the_invariants() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 3_000).await;
    // Ten claims made up front, each refunded twice at once (customer and admin).
    let mut refundable = Vec::new();
    for _ in 0..10 {
        refundable.push(app.claim_ok("1", 150).await["id"].as_str().expect("id").to_string());
    }
    let start = app.balance("1").await;
    assert_eq!(start, 1_500);

    enum Op {
        Claim(i64),
        Adjust(i64),
        CustomerRefund(String),
        AdminRefund(String),
    }
    let mut ops = Vec::new();
    for i in 0..30 {
        ops.push(Op::Claim(100 + (i % 5) * 50));
    }
    for i in 0..20_i64 {
        ops.push(Op::Adjust(if i % 2 == 0 { 120 } else { -(60 + i * 10) }));
    }
    for id in &refundable {
        ops.push(Op::CustomerRefund(id.clone()));
        ops.push(Op::AdminRefund(id.clone()));
    }
    // Interleave deterministically so each kind is spread through the burst.
    let mut ordered = Vec::new();
    let mut buckets: Vec<Vec<Op>> = vec![Vec::new(), Vec::new(), Vec::new()];
    for op in ops {
        let bucket = match op {
            Op::Claim(_) => 0,
            Op::Adjust(_) => 1,
            _ => 2,
        };
        buckets[bucket].push(op);
    }
    while buckets.iter().any(|b| !b.is_empty()) {
        for bucket in buckets.iter_mut() {
            if !bucket.is_empty() {
                ordered.push(bucket.remove(0));
            }
        }
    }
    let customer = app.customer("1");
    let admin = app.admin();
    let requests = ordered.into_iter().map(|op| {
        let (app, customer, admin) = (&app, &customer, &admin);
        async move {
            let key = uuid::Uuid::new_v4().to_string();
            match op {
                Op::Claim(points) => {
                    let (status, body) =
                        status_json(app.post("/api/v1/claims", customer, Some(&key), &json!({"points": points})).await)
                            .await;
                    ("claim", points, status, body)
                }
                Op::Adjust(points) => {
                    let path = "/api/v1/admin/customers/1/adjustments";
                    let (status, body) = status_json(
                        app.post(path, admin, Some(&key), &json!({"points": points, "reason": "burst"})).await,
                    )
                    .await;
                    ("adjust", points, status, body)
                }
                Op::CustomerRefund(id) => {
                    let (status, body) =
                        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), customer, None, &json!({})).await)
                            .await;
                    ("refund", 150, status, body)
                }
                Op::AdminRefund(id) => {
                    let (status, body) = status_json(
                        app.post(&format!("/api/v1/admin/claims/{id}/refund"), admin, None, &json!({})).await,
                    )
                    .await;
                    ("refund", 150, status, body)
                }
            }
        }
    });
    let mut expected = start;
    let mut refunds_ok = 0;
    for (kind, points, status, body) in join_all(requests).await {
        match (kind, status) {
            ("claim", StatusCode::CREATED) => expected -= points,
            ("adjust", StatusCode::CREATED) => expected += points,
            ("refund", StatusCode::OK) => {
                expected += points;
                refunds_ok += 1;
            }
            ("claim" | "adjust", StatusCode::CONFLICT) => {
                assert_eq!(body["error"]["code"], "insufficient_points", "{body}")
            }
            ("refund", StatusCode::CONFLICT) => assert_eq!(body["error"]["code"], "claim_not_refundable", "{body}"),
            _ => panic!("{kind} {points}: unexpected {status} {body}"),
        }
    }
    assert_eq!(refunds_ok, 10, "each claim refunded exactly once");
    assert_eq!(app.balance("1").await, expected);
    assert_eq!(assert_wallet_invariants(&app, SHOP, "1").await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redeems_of_one_code_use_it_once() {
    let app = TestApp::spawn().await;
    app.set_shop("USD", "1").await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 1_000).await;
    let claim = app.claim_ok("1", 500).await;
    let code = claim["code"].as_str().expect("code").to_string();
    let id = claim["id"].as_str().expect("id").to_string();
    let redeems = (0..8).map(|i| {
        let (app, code) = (&app, &code);
        async move { status_json(app.redeem(code, "1", &format!("order-{i}"), "30.00").await).await }
    });
    let refunds = (0..4).map(|_| {
        let (app, id) = (&app, &id);
        async move {
            status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await)
                .await
        }
    });
    let (redeemed, refunded) = futures_util::future::join(join_all(redeems), join_all(refunds)).await;
    let used = redeemed.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let credited = refunded.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(used + credited, 1, "the code is used or refunded, once: {redeemed:?} {refunded:?}");
    for (status, body) in redeemed.iter().chain(refunded.iter()).filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert!(
            ["code_not_valid", "claim_not_refundable"].contains(&body["error"]["code"].as_str().unwrap_or("")),
            "{body}"
        );
    }
    let balance = assert_wallet_invariants(&app, SHOP, "1").await;
    assert_eq!(balance, if used == 1 { 500 + 25 } else { 1_000 });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_shop_and_its_customers_are_created_once_under_a_burst() {
    let app = TestApp::spawn().await;
    let shop = "burst-shop.myshopify.com";
    let requests = (0..24).map(|i| {
        let token = app.token_for(shop, loyalty_wallet::auth::Role::Customer, &format!("c{}", i % 3));
        let app = &app;
        async move { status_json(app.get("/api/v1/wallet", &token).await).await }
    });
    for (status, body) in join_all(requests).await {
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["points_balance"], 0);
        assert_eq!(body["program"]["version"], 1, "{body}");
    }
    let admin = app.token_for(shop, loyalty_wallet::auth::Role::Admin, "staff");
    let (_, page) = status_json(app.get("/api/v1/admin/customers", &admin).await).await;
    assert_eq!(page["customers"].as_array().map(Vec::len), Some(3));
    for channel in ["online", "pos"] {
        let (_, program) = status_json(app.get(&format!("/api/v1/admin/programs/{channel}"), &admin).await).await;
        assert_eq!((program["version"].clone(), program["enabled"].clone()), (json!(1), json!(false)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_program_saves_each_get_their_own_version() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/admin/shop", &app.admin()).await;
    let saves = (0..12).map(|i| {
        let app = &app;
        let body = json!({"enabled": true, "points_per_unit": format!("{}", 100 + i), "min_points": 1, "max_points": 1000, "purchase_type": "one_time"});
        async move { status_json(app.put_program("online", &body).await).await }
    });
    let mut versions = Vec::new();
    for (status, body) in join_all(saves).await {
        assert_eq!(status, StatusCode::OK, "{body}");
        versions.push(body["version"].as_i64().expect("version"));
    }
    versions.sort_unstable();
    assert_eq!(versions, (2..14).collect::<Vec<i64>>(), "one version per save, none lost");
    let (_, current) = status_json(app.get("/api/v1/admin/programs/online", &app.admin()).await).await;
    assert_eq!(current["version"], 13);
}
