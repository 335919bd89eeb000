//! Embedded installs: Shopify's session tokens (verified under the client
//! secret, 401 with App Bridge's retry header when bad), the token exchange
//! made once under concurrent first requests, a refused exchange, racing
//! callbacks.

use crate::helpers::*;
use crate::install::{install_rig, TOPICS};
use crate::platform::TOKEN;
use crate::shopify_double::{DoubleConfig, ShopifyDouble};
use loyalty_wallet::auth::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// An admin session token with `sid` (and this service's `role` claim).
pub fn session_token(shop: &str) -> String {
    shopify_session_token(shop, true)
}

/// A session token as Shopify's embedded admin really sends it: `sid`,
/// `jti`, no `role` claim (with `with_role`, the service's own extra claim).
fn shopify_session_token(shop: &str, with_role: bool) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"iss": format!("https://{shop}/admin"), "dest": format!("https://{shop}"), "aud": CLIENT_ID,
        "sub": "staff-9", "exp": now + 60, "nbf": now - 1, "iat": now, "jti": uuid::Uuid::new_v4().to_string(),
        "sid": "session-abc"});
    if with_role {
        claims["role"] = json!("admin");
    }
    encode(&Header::default(), &claims, &EncodingKey::from_secret(SECRET.as_bytes())).expect("jwt")
}

#[tokio::test]
async fn shopify_session_tokens_without_a_role_are_admins_only_in_embedded_mode() {
    let embedded = install_rig(true).await;
    let token = shopify_session_token(SHOP, false);
    let (status, body) = status_json(embedded.app.get("/api/v1/admin/shop", &token).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["platform"]["kind"], "shopify", "the first request exchanged the token: {body}");
    // A role-less token is nobody's customer token: the customer doors refuse it.
    assert_eq!(embedded.app.get("/api/v1/wallet", &token).await.status(), StatusCode::FORBIDDEN);
    let plain = install_rig(false).await;
    let refused = plain.app.get("/api/v1/admin/shop", &shopify_session_token(SHOP, false)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "outside embedded mode every token needs a role");
}

#[tokio::test]
async fn two_first_embedded_requests_make_one_token_exchange() {
    let rig = install_rig(true).await;
    rig.double.set_oauth_delay(Duration::from_millis(300));
    let token = session_token(SHOP);
    let (a, b) = tokio::join!(rig.app.get("/api/v1/admin/shop", &token), rig.app.get("/api/v1/admin/shop", &token));
    let (a, b): ((StatusCode, Value), (StatusCode, Value)) = (status_json(a).await, status_json(b).await);
    assert_eq!((a.0, b.0), (StatusCode::OK, StatusCode::OK), "{a:?} {b:?}");
    assert_eq!(rig.double.oauth_stats().token_exchanges, 1, "one exchange for two first requests");
    assert_eq!(b.1["platform"]["kind"], "shopify", "{}", b.1);
    assert_eq!(b.1["platform"]["access_token_set"], true);
    assert_eq!(rig.double.subscriptions().len(), TOPICS.len());
    let again = rig.app.get("/api/v1/admin/shop", &session_token(SHOP)).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(rig.double.oauth_stats().token_exchanges, 1, "a connected shop exchanges nothing");
    // Tokens without sid (the service's own) never trigger an exchange.
    let row = rig.shop_row().await.expect("shop");
    assert!(row.platform_access_token.is_some_and(|t| !t.contains(TOKEN)));
}

#[tokio::test]
async fn a_refused_exchange_is_401_with_the_retry_header_and_opens_nothing() {
    let rig = install_rig(true).await;
    // The double serves test-shop only: the app is not installed on another shop.
    let other = "other-shop.myshopify.com";
    let response = rig.app.get("/api/v1/admin/shop", &shopify_session_token(other, false)).await;
    assert_eq!(response.headers().get(RETRY).map(|v| v.to_str().unwrap_or("")), Some("1"));
    let body = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert!(
        body["error"]["message"].as_str().unwrap_or("").contains("not installed on other-shop.myshopify.com"),
        "{body}"
    );
    let stats = rig.double.oauth_stats();
    assert_eq!((stats.token_exchanges, stats.refused), (0, 1));
    assert!(rig.double.subscriptions().is_empty());
    // Not embedded: no exchange at all (the service's own tokens carry a role).
    let plain = install_rig(false).await;
    assert_eq!(plain.app.get("/api/v1/admin/shop", &session_token(SHOP)).await.status(), StatusCode::OK);
    assert_eq!(plain.double.oauth_stats().refused + plain.double.oauth_stats().token_exchanges, 0);
}

const RETRY: &str = "x-shopify-retry-invalid-session-request";
const CLIENT_SECRET: &str = "the-client-secret-which-is-not-the-app-secret";

/// Embedded, with a client secret unlike the app secret (the double knows it).
async fn split_rig() -> crate::install::Store {
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: TOKEN.into(),
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        shop: SHOP.into(),
        ..DoubleConfig::default()
    })
    .await;
    let (database_url, dir) = fresh_database();
    let vars: std::collections::HashMap<String, String> = [
        ("DATABASE_URL", database_url.as_str()),
        ("LOYALTY_BIND", "127.0.0.1:0"),
        ("LOYALTY_APP_SECRET", SECRET),
        ("LOYALTY_CLIENT_SECRET", CLIENT_SECRET),
        ("LOYALTY_CLIENT_ID", CLIENT_ID),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1"),
        ("LOYALTY_SHOPIFY_EMBEDDED", "1"),
        ("LOYALTY_APP_URL", crate::install::APP_URL),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let mut settings = loyalty_wallet::config::Settings::from_map(&vars).expect("settings");
    crate::platform::fast(&mut settings);
    settings.platform.shopify_base_url = Some(double.base_url.clone());
    let app = TestApp::spawn_with(settings, dir).await;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    crate::install::Store { app, double, browser }
}

/// Claims as Shopify's admin sends them, changed by `edit`, signed with `secret`.
fn shopify_claims_signed(secret: &str, edit: impl FnOnce(&mut Value)) -> String {
    use jsonwebtoken::{encode, EncodingKey, Header};
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({"iss": format!("https://{SHOP}/admin"), "dest": format!("https://{SHOP}"), "aud": CLIENT_ID,
        "sub": "staff-9", "exp": now + 60, "nbf": now - 1, "iat": now, "jti": uuid::Uuid::new_v4().to_string(),
        "sid": "session-abc"});
    edit(&mut claims);
    encode(&Header::default(), &claims, &EncodingKey::from_secret(secret.as_bytes())).expect("jwt")
}

async fn refused_with_retry(rig: &crate::install::Store, token: &str, why: &str) {
    let response = rig.app.get("/api/v1/admin/shop", token).await;
    let retry = response.headers().get(RETRY).map(|v| v.to_str().unwrap_or("").to_string());
    let body = expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(retry.as_deref(), Some("1"), "{why}: App Bridge is told to retry");
    assert!(body.get("shop").is_none() && body.get("platform").is_none(), "{why}: no data: {body}");
}

#[tokio::test]
async fn session_tokens_verify_under_the_client_secret_not_the_app_secret() {
    let rig = split_rig().await;
    refused_with_retry(&rig, &shopify_claims_signed(SECRET, |_| {}), "signed with the app secret").await;
    assert_eq!(rig.double.oauth_stats().token_exchanges, 0, "nothing exchanged for a forged token");
    let good = shopify_claims_signed(CLIENT_SECRET, |_| {});
    let (status, body) = status_json(rig.app.get("/api/v1/admin/shop", &good).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["shop"].as_str(), body["platform"]["kind"].as_str()), (Some(SHOP), Some("shopify")));
    // The service's own tokens stay under the app secret, and get no retry header.
    assert_eq!(
        rig.app.get("/api/v1/admin/shop", &rig.app.token(Role::Admin, "staff-1")).await.status(),
        StatusCode::OK
    );
    let own_with_client_secret = shopify_claims_signed(CLIENT_SECRET, |c| c["role"] = json!("admin"));
    let response = rig.app.get("/api/v1/admin/shop", &own_with_client_secret).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(RETRY).is_none(), "not a Shopify session token");
}

#[tokio::test]
async fn expired_misaddressed_and_foreign_session_tokens_are_401_never_data() {
    let rig = split_rig().await;
    let now = chrono::Utc::now().timestamp();
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            shopify_claims_signed(CLIENT_SECRET, |c| {
                c["exp"] = json!(now - 120);
                c["iat"] = json!(now - 180);
                c["nbf"] = json!(now - 180);
            }),
        ),
        (
            "issued by another shop's admin",
            shopify_claims_signed(CLIENT_SECRET, |c| c["iss"] = json!("https://other.myshopify.com/admin")),
        ),
        ("for another app", shopify_claims_signed(CLIENT_SECRET, |c| c["aud"] = json!("someone-else"))),
        ("not yet valid", shopify_claims_signed(CLIENT_SECRET, |c| c["nbf"] = json!(now + 600))),
        ("tampered", {
            let token = shopify_claims_signed(CLIENT_SECRET, |_| {});
            let mut parts: Vec<String> = token.split('.').map(String::from).collect();
            parts[2] = parts[2].chars().rev().collect();
            parts.join(".")
        }),
    ];
    for (why, token) in &cases {
        refused_with_retry(&rig, token, why).await;
    }
    assert_eq!(rig.double.oauth_stats().token_exchanges, 0);
}

#[tokio::test]
async fn two_racing_callbacks_with_one_state_connect_once() {
    let rig = install_rig(false).await;
    let (authorize, cookie) = rig.start_install(SHOP).await;
    let callback = rig.approve(&authorize).await;
    let path = format!("/shopify/callback?{callback}");
    let (a, b) = tokio::join!(rig.get(&path, Some(&cookie)), rig.get(&path, Some(&cookie)));
    let mut statuses = vec![a.status(), b.status()];
    statuses.sort();
    assert_eq!(statuses, vec![StatusCode::FOUND, StatusCode::UNAUTHORIZED], "one wins, one is refused");
    assert_eq!(rig.double.oauth_stats().code_grants, 1, "the code is exchanged once");
    assert_eq!(rig.double.subscriptions().len(), TOPICS.len());
}
