//! Installing on Shopify against the double: the code grant from
//! install to first claim, replay and forgery refused with nothing stored,
//! the token sealed at rest, webhook subscriptions, uninstall and reinstall,
//! and the token exchange made once under concurrent first requests.

use crate::helpers::*;
use crate::platform::{base_program, deliver, eventually, fast, program, TOKEN};
use crate::shopify_double::{oauth_hmac, DoubleConfig, ShopifyDouble};
use loyalty_wallet::store::{oauth_states, shops};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;

pub const APP_URL: &str = "https://loyalty.example";
const SCOPE: &str =
    "write_discounts,read_customers,read_orders,write_app_proxy,write_store_credit_account_transactions";
pub(crate) const TOPICS: [&str; 8] = [
    "ORDERS_CREATE",
    "ORDERS_PAID",
    "REFUNDS_CREATE",
    "DISCOUNTS_DELETE",
    "APP_UNINSTALLED",
    "CUSTOMERS_CREATE",
    "CHECKOUTS_CREATE",
    "CHECKOUTS_UPDATE",
];

pub struct Store {
    pub app: TestApp,
    pub double: ShopifyDouble,
    pub browser: reqwest::Client,
}

/// The service with every Shopify call pointed at a fresh double.
pub async fn install_rig(embedded: bool) -> Store {
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: TOKEN.into(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        shop: SHOP.into(),
        ..DoubleConfig::default()
    })
    .await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    settings.platform.shopify_base_url = Some(double.base_url.clone());
    settings.install.app_url = APP_URL.into();
    settings.install.embedded = embedded;
    let app = TestApp::spawn_with(settings, dir).await;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    Store { app, double, browser }
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

/// The query with its `hmac` (sorted `key=value` joined with `&`).
pub fn signed(secret: &str, mut query: Vec<(String, String)>) -> String {
    let hmac = oauth_hmac(secret, &query);
    query.push(("hmac".into(), hmac));
    encode(&query)
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).expect("Location").to_string()
}

fn query_of(url: &str) -> HashMap<String, String> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes()).into_owned().collect()
}

impl Store {
    pub async fn get(&self, path_and_query: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut request = self.browser.get(self.app.url(path_and_query));
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        request.send().await.expect("GET")
    }

    /// `/shopify/install` as Shopify sends the merchant: the authorize URL and the cookie.
    pub async fn start_install(&self, shop: &str) -> (String, String) {
        let query = signed(SECRET, pairs(&[("shop", shop), ("timestamp", &now()), ("host", "aG9zdA")]));
        let response = self.get(&format!("/shopify/install?{query}"), None).await;
        assert_eq!(response.status(), StatusCode::FOUND, "install redirects");
        let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("cookie").to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        let cookie = cookie.split(';').next().expect("pair").to_string();
        (location(&response), cookie)
    }

    /// The merchant approves at the double; returns the callback query.
    pub async fn approve(&self, authorize_url: &str) -> String {
        let response = self.browser.get(authorize_url).send().await.expect("authorize");
        assert_eq!(response.status(), StatusCode::FOUND, "the double redirects to the callback");
        let back = location(&response);
        assert!(back.starts_with(&format!("{APP_URL}/shopify/callback?")), "{back}");
        back.split_once('?').expect("query").1.to_string()
    }

    /// install → authorize → callback; the callback's response.
    pub async fn install(&self) -> reqwest::Response {
        let (authorize, cookie) = self.start_install(SHOP).await;
        let callback = self.approve(&authorize).await;
        self.get(&format!("/shopify/callback?{callback}"), Some(&cookie)).await
    }

    pub async fn shop_row(&self) -> Option<shops::ShopRow> {
        self.app
            .store
            .read::<_, loyalty_wallet::error::AppError, _>(|conn| Ok(shops::find(conn, SHOP)?))
            .await
            .expect("shop row")
    }

    pub async fn states(&self, shop: &str) -> i64 {
        let shop = shop.to_string();
        self.app
            .store
            .read::<_, loyalty_wallet::error::AppError, _>(move |conn| Ok(oauth_states::count(conn, &shop)?))
            .await
            .expect("states")
    }
}

/// Every file of the database (SQLite keeps recent writes in the -wal file).
fn database_bytes(path: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    for suffix in ["", "-wal", "-journal"] {
        if let Ok(more) = std::fs::read(format!("{path}{suffix}")) {
            bytes.extend(more);
        }
    }
    bytes
}

#[tokio::test]
async fn install_callback_then_a_first_claim_reaches_the_double() {
    let rig = install_rig(false).await;
    let (authorize, cookie) = rig.start_install(SHOP).await;
    assert!(authorize.starts_with(&format!("{}/admin/oauth/authorize?", rig.double.base_url)), "{authorize}");
    let asked = query_of(&authorize);
    assert_eq!(asked["client_id"], CLIENT_ID);
    assert_eq!(asked["scope"], SCOPE);
    assert_eq!(asked["redirect_uri"], format!("{APP_URL}/shopify/callback"));
    assert!(asked["state"].len() >= 32, "an unguessable state: {asked:?}");
    assert!(!asked.contains_key("grant_options[]"), "an offline token is asked for");
    assert_eq!(rig.states(SHOP).await, 1);

    let callback = rig.approve(&authorize).await;
    let response = rig.get(&format!("/shopify/callback?{callback}"), Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::FOUND, "{:?}", response.text().await);
    assert_eq!(location(&response), format!("https://{SHOP}/admin/apps/{CLIENT_ID}"), "to the app in the admin");
    assert_eq!(rig.double.oauth_stats().code_grants, 1);
    assert_eq!(rig.states(SHOP).await, 0, "the state is used up");

    let row = rig.shop_row().await.expect("the shop exists");
    assert_eq!(row.platform_kind.as_str(), "shopify");
    assert!(row.platform_enabled);
    let stored = row.platform_access_token.clone().expect("a token is stored");
    assert!(stored.starts_with("v1:") && !stored.contains(TOKEN), "sealed at rest: {stored}");

    let subscribed = rig.double.subscriptions();
    let mut topics: Vec<&str> = subscribed.iter().map(|s| s.topic.as_str()).collect();
    topics.sort_unstable();
    let mut expected = TOPICS.to_vec();
    expected.sort_unstable();
    assert_eq!(topics, expected, "every handled topic subscribed once");
    assert!(
        subscribed.iter().all(|s| s.uri == format!("{APP_URL}/webhooks/shopify") && s.format == "JSON"),
        "{subscribed:?}"
    );

    program(&rig.app, base_program()).await;
    rig.app.grant("207119551", 1_000).await;
    let claim = rig.app.claim_ok("207119551", 500).await;
    let code = claim["code"].as_str().expect("code").to_string();
    let pushed =
        eventually("the code at the double", Duration::from_secs(10), || async { rig.double.find_code(&code) }).await;
    assert_eq!(pushed.customer_ids, vec!["gid://shopify/Customer/207119551".to_string()]);

    if postgres_server().is_none() {
        let bytes = database_bytes(&rig.app.database_url);
        assert!(!bytes.is_empty(), "the database file is readable");
        let needle = TOKEN.as_bytes();
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "no plaintext token in the database files");
    }
}

#[tokio::test]
async fn a_replayed_callback_is_refused_and_changes_nothing() {
    let rig = install_rig(false).await;
    let (authorize, cookie) = rig.start_install(SHOP).await;
    let callback = rig.approve(&authorize).await;
    let first = rig.get(&format!("/shopify/callback?{callback}"), Some(&cookie)).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    let before = rig.shop_row().await.expect("shop").platform_access_token;
    let again = rig.get(&format!("/shopify/callback?{callback}"), Some(&cookie)).await;
    expect_error(again, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let without_cookie = rig.get(&format!("/shopify/callback?{callback}"), None).await;
    expect_error(without_cookie, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(rig.double.oauth_stats().code_grants, 1, "the code was not sent again");
    assert_eq!(rig.shop_row().await.expect("shop").platform_access_token, before, "the stored token is untouched");
}

#[tokio::test]
async fn forged_or_stale_install_requests_are_refused_with_nothing_stored() {
    let rig = install_rig(false).await;
    let stale = (chrono::Utc::now().timestamp() - 25 * 3600).to_string();
    let evil = "x.myshopify.com.evil.com";
    let good = signed(SECRET, pairs(&[("shop", SHOP), ("timestamp", &now())]));
    let tampered = good.replace("test-shop", "other-shop");
    let cases: Vec<(String, StatusCode)> = vec![
        (
            signed("not-the-client-secret-but-32-bytes-long!", pairs(&[("shop", SHOP), ("timestamp", &now())])),
            StatusCode::UNAUTHORIZED,
        ),
        (tampered, StatusCode::UNAUTHORIZED),
        (encode(&pairs(&[("shop", SHOP), ("timestamp", &now())])), StatusCode::UNAUTHORIZED),
        (signed(SECRET, pairs(&[("shop", SHOP), ("timestamp", &stale)])), StatusCode::UNAUTHORIZED),
        (signed(SECRET, pairs(&[("shop", evil), ("timestamp", &now())])), StatusCode::BAD_REQUEST),
        (
            signed(SECRET, pairs(&[("shop", "https://test-shop.myshopify.com"), ("timestamp", &now())])),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (query, status) in cases {
        let response = rig.get(&format!("/shopify/install?{query}"), None).await;
        assert!(response.headers().get("set-cookie").is_none(), "no cookie for {query}");
        let body = expect_error(
            response,
            status,
            if status == StatusCode::BAD_REQUEST { "invalid_request" } else { "unauthorized" },
        )
        .await;
        assert!(body["error"]["message"].is_string(), "{query}");
    }
    for shop in [SHOP, "other-shop.myshopify.com", evil] {
        assert_eq!(rig.states(shop).await, 0, "no state stored for {shop}");
    }
    assert!(rig.double.oauth_stats().authorizations.is_empty());
}

#[tokio::test]
async fn forged_callbacks_are_refused_with_nothing_stored() {
    let rig = install_rig(false).await;
    let (authorize, cookie) = rig.start_install(SHOP).await;
    let oauth_state = query_of(&authorize)["state"].clone();
    let stale = (chrono::Utc::now().timestamp() - 25 * 3600).to_string();
    let callback = |shop: &str, state: &str, ts: &str| {
        pairs(&[("code", "code-forged"), ("shop", shop), ("state", state), ("timestamp", ts), ("host", "aG9zdA")])
    };
    let cases: Vec<(String, Option<&str>, StatusCode)> = vec![
        (
            signed("not-the-client-secret-but-32-bytes-long!", callback(SHOP, &oauth_state, &now())),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (signed(SECRET, callback(SHOP, "never-issued", &now())), None, StatusCode::UNAUTHORIZED),
        (signed(SECRET, callback("other-shop.myshopify.com", &oauth_state, &now())), None, StatusCode::UNAUTHORIZED),
        (signed(SECRET, callback(SHOP, &oauth_state, &stale)), None, StatusCode::UNAUTHORIZED),
        (signed(SECRET, callback("x.myshopify.com.evil.com", &oauth_state, &now())), None, StatusCode::BAD_REQUEST),
        (
            signed(SECRET, callback(SHOP, &oauth_state, &now())),
            Some("lw_oauth_state=forged.0000"),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (query, cookie, status) in cases {
        let response = rig.get(&format!("/shopify/callback?{query}"), cookie).await;
        assert_eq!(response.status(), status, "{query}");
    }
    assert_eq!(rig.states(SHOP).await, 1, "the real state is still unused");
    assert_eq!(rig.double.oauth_stats().code_grants + rig.double.oauth_stats().refused, 0, "no code was sent");
    assert!(rig.shop_row().await.is_none_or(|row| row.platform_access_token.is_none()), "nothing stored");

    // An expired state is refused too.
    rig.app
        .store
        .write::<_, loyalty_wallet::error::AppError, _>(|conn| {
            let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(11);
            Ok(oauth_states::issue(conn, SHOP, "expired-state", long_ago, chrono::Duration::minutes(10))?)
        })
        .await
        .expect("old state");
    let response =
        rig.get(&format!("/shopify/callback?{}", signed(SECRET, callback(SHOP, "expired-state", &now()))), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;

    // The genuine callback, with its cookie, still goes through.
    let genuine = rig.approve(&authorize).await;
    assert_eq!(rig.get(&format!("/shopify/callback?{genuine}"), Some(&cookie)).await.status(), StatusCode::FOUND);
}

#[tokio::test]
async fn uninstall_stops_the_connector_and_a_reinstall_subscribes_idempotently() {
    let rig = install_rig(false).await;
    assert_eq!(rig.install().await.status(), StatusCode::FOUND);
    program(&rig.app, base_program()).await;
    rig.app.grant("42", 1_000).await;

    let answer = deliver(&rig.app, "app/uninstalled", "evt-uninstall", &json!({"id": 1, "domain": SHOP})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let row = rig.shop_row().await.expect("shop");
    assert!(row.platform_access_token.is_none() && !row.platform_enabled, "token erased, connector stopped");
    expect_error(rig.app.claim("42", 500).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert_eq!(rig.app.balance("42").await, 1_000, "balances kept");

    assert_eq!(rig.install().await.status(), StatusCode::FOUND, "reinstall");
    assert_eq!(rig.double.subscriptions().len(), TOPICS.len(), "already subscribed topics are not duplicated");
    assert_eq!(rig.double.oauth_stats().code_grants, 2);
    let claim = rig.app.claim_ok("42", 500).await;
    let code = claim["code"].as_str().expect("code").to_string();
    eventually("the code at the double", Duration::from_secs(10), || async { rig.double.find_code(&code) }).await;
}
