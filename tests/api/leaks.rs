//! What must not leak or grow: internals in
//! 5xx bodies, plain-http outgoing URLs, unbounded metrics labels, a token
//! kept after switching back to native.

use crate::helpers::*;
use crate::hostile::assert_generic;
use crate::platform::{base_program, claim_with, connect, program, TOKEN};
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn a_segment_check_against_an_unreachable_platform_answers_without_internals() {
    let app = TestApp::spawn().await;
    connect(&app, "http://127.0.0.1:1", TOKEN).await;
    let mut body = base_program();
    body["eligibility"] = json!({"kind": "segments", "ids": ["42"]});
    program(&app, body).await;
    app.grant("1", 1_000).await;
    let (status, error) = claim_with(&app, "1", json!({"points": 100})).await;
    assert_eq!((status, error["error"]["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")));
    assert_generic(&error, "http://127.0.0.1:1");
}

#[tokio::test]
async fn outgoing_urls_must_be_https_and_loopback_http_needs_the_switch() {
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    settings.allow_loopback_urls = false;
    let app = TestApp::spawn_with(settings, dir).await;
    let shop = |url: &str| {
        json!({"currency": "USD", "earn_points_per_unit": "1", "platform": {
            "kind": "shopify", "access_token": TOKEN, "api_version": "2026-10", "base_url": url}})
    };
    for url in ["http://127.0.0.1:8080", "http://example.com", "https://user:pw@example.com", "ftp://example.com"] {
        let (status, error) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &shop(url)).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {error}");
        assert!(error["error"]["details"]["fields"]["platform.base_url"].is_string(), "{error}");
    }
    let (status, view) =
        status_json(app.put("/api/v1/admin/shop", &app.admin(), &shop("https://shop.example.com")).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
}

#[tokio::test]
async fn switching_back_to_native_erases_the_access_token() {
    let app = TestApp::spawn().await;
    connect(&app, "https://shop.example.com", TOKEN).await;
    let native = json!({"currency": "USD", "earn_points_per_unit": "1", "platform": {"kind": "native"}});
    let (status, view) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &native).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["platform"]["access_token_set"], false, "{view}");
    let (_, view) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!(view["platform"]["access_token_set"], false, "{view}");
}

#[tokio::test]
async fn metrics_labels_stay_bounded_under_random_methods_and_paths() {
    let app = TestApp::spawn().await;
    for n in 0..50 {
        let method = Method::from_bytes(format!("M{n}{}", "X".repeat(300)).as_bytes()).expect("method");
        let _ = app.client.request(method, app.url(&format!("/nowhere/{n}"))).send().await;
        let _ = app.client.get(app.url(&format!("/random/{n}/{}", "y".repeat(200)))).send().await;
    }
    let metrics = app.client.get(app.url("/metrics")).send().await.expect("metrics").text().await.expect("text");
    assert!(!metrics.contains("XXXX"), "a raw method became a label");
    assert!(!metrics.contains("/nowhere/") && !metrics.contains("yyyy"), "a raw path became a label");
    assert!(metrics.contains("\"other\""), "unknown methods and paths fold into other");
    assert!(metrics.len() < 20_000, "metrics grew to {} bytes", metrics.len());
}
