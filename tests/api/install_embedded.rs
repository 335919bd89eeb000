//! Embedded installs: Shopify's session tokens, the token exchange made once
//! under concurrent first requests, a refused exchange, racing callbacks.

use crate::helpers::*;
use crate::install::{install_rig, TOPICS};
use crate::platform::TOKEN;
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
async fn a_refused_exchange_is_logged_and_the_request_goes_on() {
    let rig = install_rig(true).await;
    // The double serves test-shop only: a session token for another shop is refused.
    let other = "other-shop.myshopify.com";
    let (status, body) = status_json(rig.app.get("/api/v1/admin/shop", &session_token(other)).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["platform"]["kind"], "native", "an unconnected shop: {body}");
    assert_eq!(body["platform"]["access_token_set"], false);
    let stats = rig.double.oauth_stats();
    assert_eq!((stats.token_exchanges, stats.refused), (0, 1));
    assert!(rig.double.subscriptions().is_empty());
    // Not embedded: no exchange at all.
    let plain = install_rig(false).await;
    assert_eq!(plain.app.get("/api/v1/admin/shop", &session_token(SHOP)).await.status(), StatusCode::OK);
    assert_eq!(plain.double.oauth_stats().refused + plain.double.oauth_stats().token_exchanges, 0);
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
