//! A hostile or broken platform: answers no real
//! Shopify gives — `Retry-After: inf`, a throttle status of -1e308 — must
//! neither stop background work for other shops nor drop a shopper's
//! request.

use crate::helpers::*;
use crate::platform::{base_program, claim_settles, claim_with, fast, program, TOKEN};
use crate::shopify_double::{DoubleConfig, Faults, Hostile, ShopifyDouble};
use loyalty_wallet::auth::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

const HEALTHY_SHOP: &str = "healthy-shop.myshopify.com";

fn hostile_answers() -> Vec<Hostile> {
    let status = |current: &str| Hostile::ThrottleStatus("1000".into(), current.into(), "100".into());
    vec![
        Hostile::RetryAfter("inf".into()),
        Hostile::RetryAfter("1e300".into()),
        Hostile::RetryAfter("-5".into()),
        Hostile::RetryAfter("NaN".into()),
        status("-1e308"),
        Hostile::ThrottleStatus("1e308".into(), "-1e308".into(), "1e-300".into()),
        Hostile::ThrottleStatus("-1".into(), "1".into(), "-1".into()),
    ]
}

fn hostile(answer: Hostile) -> Faults {
    Faults { hostile: Some(answer), ..Faults::default() }
}

async fn connect_shop(app: &TestApp, shop: &str, base_url: &str) {
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "platform": {
        "kind": "shopify", "access_token": TOKEN, "api_version": "2026-10", "base_url": base_url}});
    let admin = app.token_for(shop, Role::Admin, "staff-1");
    let (status, answer) = status_json(app.put("/api/v1/admin/shop", &admin, &body).await).await;
    assert_eq!(status, StatusCode::OK, "connect {shop}: {answer}");
}

async fn healthy_shop_claim(app: &TestApp) -> String {
    let admin = app.token_for(HEALTHY_SHOP, Role::Admin, "staff-1");
    let response = app.put("/api/v1/admin/programs/online", &admin, &base_program()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let grant = json!({"points": 1_000, "reason": "test grant"});
    let key = uuid::Uuid::new_v4().to_string();
    let response = app.post("/api/v1/admin/customers/7/adjustments", &admin, Some(&key), &grant).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let customer = app.token_for(HEALTHY_SHOP, Role::Customer, "7");
    let key = uuid::Uuid::new_v4().to_string();
    let (status, claim) =
        status_json(app.post("/api/v1/claims", &customer, Some(&key), &json!({"points": 100})).await).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    claim["id"].as_str().expect("claim id").to_string()
}

async fn healthy_claim_status(app: &TestApp, id: &str) -> String {
    let id = id.to_string();
    let row = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::claims::find(conn, HEALTHY_SHOP, &id)?)
        })
        .await
        .expect("read claim")
        .expect("claim exists");
    row.status.as_str().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_platform_does_not_stop_the_relay_for_other_shops() {
    let bad = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..DoubleConfig::default() }).await;
    let good = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..DoubleConfig::default() }).await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    // The configured ceiling on platform-given waits.
    settings.platform.max_wait_secs = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    connect_shop(&app, SHOP, &bad.base_url).await;
    connect_shop(&app, HEALTHY_SHOP, &good.base_url).await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;
    // Both shops' claims are left to the background relay: each platform is
    // down while the claim's own push is tried.
    bad.set_faults(Faults { down: true, ..Faults::default() });
    good.set_faults(Faults { down: true, ..Faults::default() });
    let mut hostile_claims = Vec::new();
    for _ in hostile_answers() {
        hostile_claims.push(app.claim_ok("1", 100).await["id"].as_str().expect("id").to_string());
    }
    let healthy = healthy_shop_claim(&app).await;
    for answer in hostile_answers() {
        bad.set_faults(hostile(answer));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    good.set_faults(Faults::default());
    let started = std::time::Instant::now();
    while healthy_claim_status(&app, &healthy).await != "active" {
        assert!(started.elapsed() < Duration::from_secs(10), "the healthy shop's code never went active");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(bad.stats().faults_injected > 0, "the hostile platform was asked");
    // The hostile shop's claims are still pending (retried later), never lost.
    for id in &hostile_claims {
        let row = crate::platform::claim_row(&app, id).await;
        assert_eq!(row.status.as_str(), "pending", "{id}: {:?}", row.failure_reason);
    }
    // Once the platform behaves, the same relay pushes them.
    bad.set_faults(Faults::default());
    for id in &hostile_claims {
        claim_settles(&app, id, &["active"], Duration::from_secs(15)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_platform_is_answered_in_the_request_path_and_writes_nothing() {
    let double = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..DoubleConfig::default() }).await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    // The configured ceiling on platform-given waits.
    settings.platform.max_wait_secs = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    connect_shop(&app, SHOP, &double.base_url).await;
    let mut body = base_program();
    body["eligibility"] = json!({"kind": "segments", "ids": ["42"]});
    program(&app, body).await;
    for (n, answer) in hostile_answers().into_iter().enumerate() {
        let customer = format!("c{n}");
        app.grant(&customer, 1_000).await;
        double.set_faults(hostile(answer.clone()));
        let before = app.footprint(&customer).await;
        let wallet = app.client.get(app.url("/api/v1/wallet")).bearer_auth(app.customer(&customer)).send().await;
        let wallet = wallet.unwrap_or_else(|e| panic!("{answer:?}: the wallet was not answered: {e}"));
        // The wallet stays readable: the program shows as unavailable.
        let (status, wallet) = status_json(wallet).await;
        assert_eq!(status, StatusCode::OK, "{answer:?}: {wallet}");
        assert_eq!(wallet["points_balance"], 1_000, "{wallet}");
        assert_eq!(wallet["program"]["ineligible_reason"], "segments_unavailable", "{wallet}");
        let key = uuid::Uuid::new_v4().to_string();
        let claim = app
            .client
            .post(app.url("/api/v1/claims"))
            .bearer_auth(app.customer(&customer))
            .header("Idempotency-Key", &key)
            .json(&json!({"points": 100}))
            .send()
            .await;
        let claim = claim.unwrap_or_else(|e| panic!("{answer:?}: the claim was not answered: {e}"));
        let (status, claim) = status_json(claim).await;
        assert_eq!((status, claim["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
        assert_generic(&claim, &double.base_url);
        assert_eq!(app.footprint(&customer).await, before, "{answer:?}: nothing written");
    }
    // The platform heals: within the longest wait it may impose (2 s here),
    // the next claim goes through.
    double.set_faults(Faults::default());
    tokio::time::sleep(Duration::from_secs(3)).await;
    double.set_segment_members("gid://shopify/Segment/42", &["gid://shopify/Customer/9"]);
    app.grant("9", 1_000).await;
    let (status, claim) = claim_with(&app, "9", json!({"points": 100})).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
}

/// A 5xx body holds the code and a generic message, nothing from the platform.
pub fn assert_generic(body: &Value, base_url: &str) {
    let text = body.to_string();
    for leak in [base_url, "127.0.0.1", "Throttled", "THROTTLED", "request failed", "Transient"] {
        assert!(!text.contains(leak), "the body carries {leak:?}: {text}");
    }
    assert_eq!(body["error"]["details"], json!({}), "{text}");
}
