//! The Shopify connector and the outbox relay end to end:
//! the real service against the local Shopify double, with faults.

use crate::helpers::*;
use crate::shopify_double::{DiscountRecord, DoubleConfig, ShopifyDouble};
use base64::Engine;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use loyalty_wallet::config::Settings;
use loyalty_wallet::store::claims::ClaimRow;
use loyalty_wallet::store::schema::claims as claims_table;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

pub const TOKEN: &str = "shpat_platform_test_token";

/// The service and the double it talks to.
pub struct Rig {
    pub app: TestApp,
    pub double: ShopifyDouble,
}

/// Timings for fast tests (see src/platform/mod.rs).
pub fn fast(settings: &mut Settings) {
    let p = &mut settings.platform;
    p.relay_interval_ms = 50;
    p.retry_base_ms = 50;
    p.retry_max_ms = 500;
    p.request_timeout_ms = 500;
    p.connect_timeout_ms = 500;
    p.push_window_ms = 1_000;
}

pub async fn rig() -> Rig {
    rig_with(DoubleConfig::default(), |_| {}).await
}

/// A shop connected to a fresh double; `tweak` adjusts the fast settings.
pub async fn rig_with(config: DoubleConfig, tweak: impl FnOnce(&mut Settings)) -> Rig {
    let double = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..config }).await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    tweak(&mut settings);
    let app = TestApp::spawn_with(settings, dir).await;
    connect(&app, &double.base_url, TOKEN).await;
    Rig { app, double }
}

/// `PUT /api/v1/admin/shop` with the Shopify connector pointed at `base_url`.
pub async fn connect(app: &TestApp, base_url: &str, token: &str) {
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "platform": {
        "kind": "shopify", "access_token": token, "api_version": "2026-10", "base_url": base_url}});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "connect the shop: {shop}");
    assert_eq!(shop["platform"]["kind"], "shopify", "{shop}");
    assert_eq!(shop["platform"]["access_token_set"], true, "{shop}");
    assert!(!shop.to_string().contains(token), "the access token is never returned: {shop}");
}

/// Polls `check` until it gives a value, or panics after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every claim of the shop, read from the store.
pub async fn all_claims(app: &TestApp) -> Vec<ClaimRow> {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(claims_table::table
                .filter(claims_table::shop_id.eq(SHOP))
                .select(ClaimRow::as_select())
                .load::<ClaimRow>(conn)?)
        })
        .await
        .expect("read claims")
}

pub async fn claim_row(app: &TestApp, id: &str) -> ClaimRow {
    let id = id.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::claims::find(conn, SHOP, &id)?)
        })
        .await
        .expect("read claim")
        .expect("claim exists")
}

pub async fn pending_outbox(app: &TestApp) -> i64 {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| Ok(loyalty_wallet::store::outbox::pending_count(conn)?))
        .await
        .expect("outbox count")
}

/// Waits until the claim is in one of `statuses`; returns its row.
pub async fn claim_settles(app: &TestApp, id: &str, statuses: &[&str], limit: Duration) -> ClaimRow {
    let last = std::sync::Mutex::new(String::new());
    let started = Instant::now();
    loop {
        let row = claim_row(app, id).await;
        if statuses.contains(&row.status.as_str()) {
            return row;
        }
        *last.lock().expect("lock") = format!("{} ({:?})", row.status, row.failure_reason);
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for claim {id} to be one of {statuses:?}; it is {}",
            last.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A claim that must succeed and reach the platform; returns its JSON.
pub async fn active_claim(app: &TestApp, customer: &str, points: i64) -> Value {
    let claim = app.claim_ok(customer, points).await;
    claim_settles(app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(10)).await;
    claim
}

/// A second handle on the platform machinery over the app's store, to run
/// the sweeper and the reconciliation on demand (the app's relay does the work).
pub fn platform_handle(app: &TestApp) -> std::sync::Arc<loyalty_wallet::platform::Platform> {
    let mut settings = app.settings.platform.clone();
    settings.expiry_grace_secs = 0;
    loyalty_wallet::platform::Platform::new(app.store.clone(), settings).expect("platform")
}

/// Waits until no outbox work is pending.
pub async fn outbox_drains(app: &TestApp, limit: Duration) {
    eventually("the outbox to drain", limit, || async { (pending_outbox(app).await == 0).then_some(()) }).await;
}

/// Sets the online program.
pub async fn program(app: &TestApp, body: Value) {
    let (status, answer) = status_json(app.put_program("online", &body).await).await;
    assert_eq!(status, StatusCode::OK, "program {body}: {answer}");
}

pub fn base_program() -> Value {
    json!({"enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 10_000, "purchase_type": "one_time"})
}

pub async fn claim_with(app: &TestApp, customer: &str, body: Value) -> (StatusCode, Value) {
    let key = uuid::Uuid::new_v4().to_string();
    status_json(app.post("/api/v1/claims", &app.customer(customer), Some(&key), &body).await).await
}

/// Discounts at the double per code (case-insensitive), deleted ones included.
pub fn discounts_by_code(double: &ShopifyDouble) -> HashMap<String, Vec<DiscountRecord>> {
    let mut by_code: HashMap<String, Vec<DiscountRecord>> = HashMap::new();
    for discount in double.discounts() {
        by_code.entry(discount.code.to_lowercase()).or_default().push(discount);
    }
    by_code
}

pub fn assert_no_duplicates(double: &ShopifyDouble) {
    for (code, discounts) in discounts_by_code(double) {
        assert_eq!(discounts.len(), 1, "one discount for code {code}: {discounts:?}");
    }
}

/// A webhook as the platform sends it: HMAC over the raw body.
pub async fn deliver(app: &TestApp, topic: &str, event_id: &str, body: &Value) -> Response {
    let raw = serde_json::to_vec(body).expect("body");
    let signature = sign(SECRET.as_bytes(), &raw);
    deliver_signed(app, topic, event_id, raw, Some(&signature)).await
}

pub fn sign(secret: &[u8], raw: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("key");
    mac.update(raw);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub async fn deliver_signed(
    app: &TestApp,
    topic: &str,
    event_id: &str,
    raw: Vec<u8>,
    signature: Option<&str>,
) -> Response {
    let webhook_id = uuid::Uuid::new_v4().to_string();
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Shopify-Topic", topic),
        ("X-Shopify-Shop-Domain", SHOP),
        ("X-Shopify-API-Version", "2026-10"),
        ("X-Shopify-Webhook-Id", webhook_id.as_str()),
        ("X-Shopify-Event-Id", event_id),
        ("X-Shopify-Triggered-At", "2025-06-01T12:00:00.000000Z"),
    ];
    if let Some(signature) = signature {
        headers.push(("X-Shopify-Hmac-Sha256", signature));
    }
    app.send_raw(reqwest::Method::POST, "/webhooks/shopify", None, &headers, Some(raw)).await
}

/// An order as `orders/create` / `orders/paid` carry it.
pub fn order(order_id: u64, customer: u64, subtotal: &str, codes: &[(&str, &str)]) -> Value {
    let discount_codes: Vec<Value> =
        codes.iter().map(|(code, amount)| json!({"code": code, "amount": amount, "type": "fixed_amount"})).collect();
    let discounts: f64 = codes.iter().map(|(_, a)| a.parse::<f64>().unwrap_or(0.0)).sum();
    json!({
        "id": order_id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{order_id}"),
        "name": format!("#{order_id}"),
        "currency": "USD",
        "subtotal_price": subtotal,
        "total_price": subtotal,
        "total_discounts": format!("{discounts:.2}"),
        "financial_status": "paid",
        "customer": {"id": customer, "email": format!("customer{customer}@example.com"), "first_name": "Ada"},
        "discount_codes": discount_codes,
        "line_items": [{"id": 1, "title": "Tea", "price": subtotal, "quantity": 1,
                        "discount_allocations": codes.iter().map(|(_, a)| json!({"amount": a, "discount_application_index": 0})).collect::<Vec<_>>()}],
    })
}
