//! The app proxy session: `GET /proxy/session` with Shopify's
//! signed proxy query. The signature is computed here independently of the
//! service: sorted keys, repeated values joined with `,`, `key=value`
//! concatenated without a separator, hex HMAC-SHA256.

use crate::helpers::*;
use crate::install::APP_URL;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::Sha256;
use std::collections::BTreeMap;

fn proxy_signature(secret: &str, pairs: &[(&str, &str)], separator: &str) -> String {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in pairs {
        grouped.entry(k).or_default().push(v);
    }
    let message: Vec<String> = grouped.iter().map(|(k, v)| format!("{k}={}", v.join(","))).collect();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(message.join(separator).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn query(pairs: &[(&str, &str)], signature: Option<&str>) -> String {
    let mut all: Vec<(&str, &str)> = pairs.to_vec();
    if let Some(signature) = signature {
        all.push(("signature", signature));
    }
    form_urlencoded::Serializer::new(String::new()).extend_pairs(all).finish()
}

fn base(customer: &str, timestamp: &str) -> Vec<(&'static str, String)> {
    vec![
        ("shop", SHOP.to_string()),
        ("logged_in_customer_id", customer.to_string()),
        ("path_prefix", "/apps/loyalty".to_string()),
        ("timestamp", timestamp.to_string()),
    ]
}

async fn session(app: &TestApp, q: &str) -> reqwest::Response {
    app.client.get(app.url(&format!("/proxy/session?{q}"))).send().await.expect("GET")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

async fn spawn() -> TestApp {
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    settings.install.app_url = APP_URL.into();
    TestApp::spawn_with(settings, dir).await
}

#[tokio::test]
async fn a_signed_logged_in_request_gets_a_short_customer_token() {
    let app = spawn().await;
    let owned = base("207119551", &now().to_string());
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = session(&app, &query(&pairs, Some(&proxy_signature(SECRET, &pairs, "")))).await;
    assert_eq!(response.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store, private"));
    let (status, body) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["logged_in"], true);
    assert_eq!(body["api_base"], APP_URL);
    let expires: chrono::DateTime<chrono::Utc> =
        body["expires_at"].as_str().expect("expires_at").parse().expect("time");
    let left = expires - chrono::Utc::now();
    assert!(left > chrono::Duration::minutes(1) && left <= chrono::Duration::minutes(15), "{left}");
    let token = body["token"].as_str().expect("token");
    let (status, wallet) = status_json(app.get("/api/v1/wallet", token).await).await;
    assert_eq!(status, StatusCode::OK, "{wallet}");
    assert_eq!(wallet["customer_id"], "207119551", "the token is the shopper's own");
    assert_eq!(app.get("/api/v1/admin/shop", token).await.status(), StatusCode::FORBIDDEN, "a customer token only");
}

#[tokio::test]
async fn a_logged_out_shopper_gets_no_token() {
    let app = spawn().await;
    let owned = base("", &now().to_string());
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) =
        status_json(session(&app, &query(&pairs, Some(&proxy_signature(SECRET, &pairs, "")))).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, serde_json::json!({"logged_in": false}));
}

#[tokio::test]
async fn repeated_parameters_are_joined_with_commas() {
    let app = spawn().await;
    let ts = now().to_string();
    let owned = base("42", &ts);
    let mut pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    pairs.extend([("extra", "1"), ("extra", "2")]);
    let good = proxy_signature(SECRET, &pairs, "");
    let (status, body) = status_json(session(&app, &query(&pairs, Some(&good))).await).await;
    assert_eq!((status, body["logged_in"].clone()), (StatusCode::OK, Value::Bool(true)), "{body}");
    // Signed as if each repeat stood alone ("extra=1extra=2"): refused.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(
        format!("extra=1extra=2logged_in_customer_id=42path_prefix=/apps/loyaltyshop={SHOP}timestamp={ts}").as_bytes(),
    );
    let separate = hex::encode(mac.finalize().into_bytes());
    expect_error(session(&app, &query(&pairs, Some(&separate))).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn bad_missing_stale_or_install_style_signatures_are_refused() {
    let app = spawn().await;
    let fresh = base("42", &now().to_string());
    let stale = base("42", &(now() - 16 * 60).to_string());
    let as_refs = |owned: &Vec<(&'static str, String)>| -> Vec<(&'static str, String)> { owned.clone() };
    let p = |owned: &Vec<(&'static str, String)>| owned.iter().map(|(k, v)| (*k, v.clone())).collect::<Vec<_>>();
    let fresh_pairs = p(&as_refs(&fresh));
    let fp: Vec<(&str, &str)> = fresh_pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stale_pairs = p(&stale);
    let sp: Vec<(&str, &str)> = stale_pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let cases = [
        query(&fp, None),
        query(&fp, Some(&proxy_signature("some-other-secret-of-32-bytes-or-more", &fp, ""))),
        query(&fp, Some(&proxy_signature(SECRET, &fp, "&"))),
        query(&fp, Some("zz-not-hex")),
        query(&sp, Some(&proxy_signature(SECRET, &sp, ""))),
    ];
    for q in cases {
        expect_error(session(&app, &q).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    // A tampered customer id breaks the signature.
    let good = proxy_signature(SECRET, &fp, "");
    let tampered = query(&fp, Some(&good)).replace("logged_in_customer_id=42", "logged_in_customer_id=43");
    expect_error(session(&app, &tampered).await, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
