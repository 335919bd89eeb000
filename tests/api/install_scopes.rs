//! Scopes: the app asks for the scopes of shopify.app.toml; the grant
//! Shopify answered is stored per shop; a shop granted fewer than the app
//! now needs is told which, with a re-authorize link (the install path,
//! signed by the service) that leads to Shopify's consent for all of them.

use crate::helpers::*;
use crate::install::{install_rig, APP_URL};
use crate::install_embedded::session_token;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ALL: [&str; 5] =
    ["write_discounts", "read_customers", "read_orders", "write_app_proxy", "write_store_credit_account_transactions"];

async fn shop_view(app: &TestApp) -> Value {
    let (status, body) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn a_shop_granted_fewer_scopes_is_told_which_with_a_link_to_grant_them() {
    let rig = install_rig(false).await;
    assert_eq!(rig.install().await.status(), StatusCode::FOUND);
    // The double grants what the app used to ask for.
    let scopes = shop_view(&rig.app).await["scopes"].clone();
    assert_eq!(scopes["required"], json!(ALL));
    assert_eq!(scopes["granted"], json!(["write_discounts", "read_customers", "read_orders"]));
    assert_eq!(scopes["missing"], json!(["write_app_proxy", "write_store_credit_account_transactions"]));
    let link = scopes["reauthorize_url"].as_str().expect("a re-authorize link").to_string();
    let path = link.strip_prefix(APP_URL).expect("on the app's own install path");
    assert!(path.starts_with(&format!("/shopify/install?shop={SHOP}&timestamp=")), "{link}");
    // The link is the install door Shopify itself would open: on to the consent screen, for every scope.
    let response = rig.get(path, None).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let authorize = response.headers()["location"].to_str().expect("location").to_string();
    assert!(authorize.starts_with(&format!("{}/admin/oauth/authorize?", rig.double.base_url)), "{authorize}");
    let asked: std::collections::HashMap<String, String> =
        form_urlencoded::parse(authorize.split_once('?').expect("query").1.as_bytes()).into_owned().collect();
    assert_eq!(asked["scope"], ALL.join(","));
    // A forged link (another shop under the same signature) is refused.
    let forged = path.replace(SHOP, "someone-else.myshopify.com");
    assert_eq!(rig.get(&forged, None).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn native_shops_have_no_scopes_and_a_pasted_token_has_unknown_ones() {
    let app = TestApp::spawn().await;
    assert_eq!(shop_view(&app).await["scopes"], Value::Null, "no Shopify connection, no scopes");
    let body = json!({"platform": {"kind": "shopify", "access_token": "shpat_pasted"}});
    let (status, view) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let scopes = &view["scopes"];
    assert_eq!(
        (scopes["granted"].clone(), scopes["missing"].clone()),
        (Value::Null, Value::Null),
        "not known: {scopes}"
    );
    assert!(scopes["reauthorize_url"].as_str().is_some_and(|u| u.contains("/shopify/install?shop=")), "{scopes}");
}

#[tokio::test]
async fn an_embedded_open_asks_shopify_again_for_a_short_grant_at_most_once_a_while() {
    let rig = install_rig(true).await;
    assert_eq!(rig.install().await.status(), StatusCode::FOUND);
    let before = rig.double.oauth_stats().token_exchanges;
    for _ in 0..3 {
        assert_eq!(rig.app.get("/api/v1/admin/shop", &session_token(SHOP)).await.status(), StatusCode::OK);
    }
    assert_eq!(rig.double.oauth_stats().token_exchanges, before + 1, "one exchange renews the grant, then no more");
    let scopes = shop_view(&rig.app).await["scopes"].clone();
    assert!(scopes["granted"].is_array(), "the renewed grant is recorded: {scopes}");
}
