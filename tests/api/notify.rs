//! Outgoing merchant webhooks: settings rules, signed bodies delivered at
//! least once with the same id on every retry, dead letters and retry.

use crate::helpers::{expect_error, fresh_database, TestApp, SECRET};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use hmac::{Hmac, Mac};
use loyalty_wallet::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const HOOK_SECRET: &str = "merchant-hook-secret-0123456789";

/// (signature header, raw body) of each delivery received.
type Seen = Arc<Mutex<Vec<(String, Vec<u8>)>>>;

/// A merchant endpoint: records each delivery, fails the first `failures`.
#[derive(Clone, Default)]
struct Receiver {
    seen: Seen,
    failures: Arc<AtomicUsize>,
}

impl Receiver {
    async fn start(failures: usize) -> (Self, String) {
        let receiver = Self { failures: Arc::new(AtomicUsize::new(failures)), ..Self::default() };
        let state = receiver.clone();
        let server = HttpServer::new(move || {
            App::new().app_data(web::Data::new(state.clone())).default_service(web::to(record))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind receiver");
        let url = format!("http://127.0.0.1:{}/hooks", server.addrs()[0].port());
        tokio::spawn(server.run());
        (receiver, url)
    }

    fn deliveries(&self) -> Vec<(String, Value)> {
        let seen = self.seen.lock().expect("lock");
        seen.iter().map(|(sig, body)| (sig.clone(), serde_json::from_slice(body).expect("json body"))).collect()
    }

    async fn wait_for(&self, count: usize) -> Vec<(String, Value)> {
        for _ in 0..400 {
            if self.seen.lock().expect("lock").len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.deliveries()
    }
}

async fn record(req: HttpRequest, body: web::Bytes, state: web::Data<Receiver>) -> HttpResponse {
    let signature = req.headers().get("X-Loyalty-Signature").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    state.seen.lock().expect("lock").push((signature, body.to_vec()));
    let failing = state.failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
    if failing {
        HttpResponse::InternalServerError().finish()
    } else {
        HttpResponse::Ok().finish()
    }
}

fn signed(body: &Value) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).expect("key");
    mac.update(body.to_string().as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

async fn app_with(extra: &[(&str, &str)]) -> TestApp {
    let (database_url, dir) = fresh_database();
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url.as_str()),
        ("LOYALTY_BIND", "127.0.0.1:0"),
        ("LOYALTY_APP_SECRET", SECRET),
        ("LOYALTY_CLIENT_ID", crate::helpers::CLIENT_ID),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1"),
        ("LOYALTY_RELAY_INTERVAL_MS", "20"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    TestApp::spawn_with(Settings::from_map(&vars).expect("settings"), dir).await
}

async fn set_notify(app: &TestApp, notify: Value) -> reqwest::Response {
    app.put(
        "/api/v1/admin/shop",
        &app.admin(),
        &json!({"currency": "USD", "earn_points_per_unit": "1", "notify": notify}),
    )
    .await
}

#[tokio::test]
async fn notify_settings_are_validated_and_the_secret_is_write_only() {
    let app = TestApp::spawn().await;
    let bad = set_notify(&app, json!({"url": "http://hooks.example.com/x", "secret": "short"})).await;
    let body = expect_error(bad, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    assert!(body["error"]["details"]["fields"]["notify.url"].is_string(), "{body}");
    assert!(body["error"]["details"]["fields"]["notify.secret"].is_string(), "{body}");
    let no_secret = set_notify(&app, json!({"url": "https://hooks.example.com/x"})).await;
    expect_error(no_secret, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    let shop: Value = app.get("/api/v1/admin/shop", &app.admin()).await.json().await.expect("json");
    assert!(shop["notify"].is_null(), "nothing stored by refused saves: {shop}");

    let ok = set_notify(&app, json!({"url": "https://hooks.example.com/x", "secret": HOOK_SECRET})).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let shop: Value = ok.json().await.expect("json");
    assert_eq!(shop["notify"], json!({"url": "https://hooks.example.com/x", "secret_set": true}));
    assert!(!shop.to_string().contains(HOOK_SECRET), "the secret is never returned");
    // Left out: kept. Null: removed.
    let kept: Value = app
        .put("/api/v1/admin/shop", &app.admin(), &json!({"currency": "USD", "earn_points_per_unit": "2"}))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(kept["notify"]["secret_set"], true);
    let removed: Value = set_notify(&app, Value::Null).await.json().await.expect("json");
    assert!(removed["notify"].is_null());
}

#[tokio::test]
async fn claims_are_announced_signed_and_retried_with_the_same_id() {
    let app = app_with(&[("LOYALTY_NOTIFY_RETRY_MAX_MS", "50")]).await;
    let (receiver, url) = Receiver::start(2).await;
    assert_eq!(set_notify(&app, json!({"url": url, "secret": HOOK_SECRET})).await.status(), StatusCode::OK);
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("501", 1_000).await;
    let claim = app.claim_ok("501", 500).await;
    let refund = app
        .post(
            &format!("/api/v1/claims/{}/refund", claim["id"].as_str().expect("id")),
            &app.customer("501"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(refund.status(), StatusCode::OK);

    let seen = receiver.wait_for(4).await;
    assert_eq!(seen.len(), 4, "two failed tries, then claim.created and claim.refunded: {seen:?}");
    for (signature, body) in &seen {
        assert_eq!(signature, &signed(body), "every delivery is signed over its exact body");
    }
    let created: Vec<&Value> = seen.iter().map(|(_, b)| b).filter(|b| b["type"] == "claim.created").collect();
    let refunds: Vec<&Value> = seen.iter().map(|(_, b)| b).filter(|b| b["type"] == "claim.refunded").collect();
    assert_eq!(created.len() + refunds.len(), 4, "two failed tries were retried: {seen:?}");
    assert!(created.iter().all(|b| b["id"] == created[0]["id"]), "the same event id on every retry");
    assert!(refunds.iter().all(|b| b["id"] == refunds[0]["id"]), "the same event id on every retry");
    assert_eq!(created[0]["data"]["claim_id"], claim["id"]);
    assert_eq!(created[0]["data"]["code"], claim["code"]);
    assert_eq!(created[0]["data"]["value"], "5.00");
    let refunded = refunds[0];
    assert_eq!(refunded["data"]["points_refunded"], 500);
    assert_ne!(refunded["id"], created[0]["id"]);

    // The outcome is stored after the receiver answered: wait for it.
    let mut page = Value::Null;
    for _ in 0..400 {
        page = app.get("/api/v1/admin/notifications?status=delivered", &app.admin()).await.json().await.expect("json");
        if page["notifications"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(page["notifications"].as_array().map(Vec::len), Some(2), "{page}");
}

#[tokio::test]
async fn a_delivery_failing_past_the_window_is_dead_lettered_and_can_be_retried() {
    let app = app_with(&[("LOYALTY_NOTIFY_RETRY_MAX_MS", "20"), ("LOYALTY_NOTIFY_RETRY_WINDOW_SECS", "0")]).await;
    let (receiver, url) = Receiver::start(3).await;
    assert_eq!(set_notify(&app, json!({"url": url, "secret": HOOK_SECRET})).await.status(), StatusCode::OK);
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("502", 1_000).await;
    app.claim_ok("502", 100).await;
    let mut dead = Value::Null;
    for _ in 0..400 {
        dead = app.get("/api/v1/admin/notifications?status=dead", &app.admin()).await.json().await.expect("json");
        if dead["notifications"].as_array().is_some_and(|n| !n.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let row = &dead["notifications"][0];
    assert_eq!(row["status"], "dead", "{dead}");
    assert_eq!(row["attempts"], 3);
    assert_eq!(row["last_error"], "answered HTTP 500");
    let id = row["id"].as_str().expect("id");
    let retried = app.post(&format!("/api/v1/admin/notifications/{id}/retry"), &app.admin(), None, &json!({})).await;
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let seen = receiver.wait_for(4).await;
    assert_eq!(seen.len(), 4);
    assert_eq!(seen[3].1["id"], id, "the retried delivery keeps its event id");
    let again = app.post(&format!("/api/v1/admin/notifications/{id}/retry"), &app.admin(), None, &json!({})).await;
    assert!(matches!(again.status(), StatusCode::CONFLICT | StatusCode::ACCEPTED), "{}", again.status());
    let unknown = app
        .post("/api/v1/admin/notifications/0190a0a0-0000-7000-8000-000000000000/retry", &app.admin(), None, &json!({}))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
