//! Issue 13, item 21: the landing page, HTML error pages for browsers (JSON
//! for API clients, by `Accept`), `/widget` → `/widget/`, HEAD like GET.

use crate::helpers::*;
use reqwest::{Method, StatusCode};

const BROWSER_ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

#[tokio::test]
async fn the_root_is_a_landing_page() {
    let app = TestApp::spawn().await;
    let res = no_redirects().get(app.url("/")).header("Accept", BROWSER_ACCEPT).send().await.expect("GET /");
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let text = res.text().await.expect("body");
    assert!(text.contains("<h1>Loyalty wallet</h1>"), "{text}");
    assert!(text.contains("/openapi.json"), "{text}");
    assert!(!text.contains("?token="), "no demo links outside development mode: {text}");
}

#[tokio::test]
async fn browsers_get_an_html_error_page_and_api_clients_json() {
    let app = TestApp::spawn().await;
    let client = no_redirects();
    let page = client.get(app.url("/nope")).header("Accept", BROWSER_ACCEPT).send().await.expect("GET");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    assert!(page.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let text = page.text().await.expect("body");
    assert!(text.contains("404 Not Found") && text.contains("href=\"/\""), "{text}");
    let missing = client.get(app.url("/widget/nope.js")).header("Accept", BROWSER_ACCEPT).send().await.expect("GET");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(missing.text().await.expect("body").starts_with("<!doctype html>"));
    let unauthorized =
        client.get(app.url("/api/v1/wallet")).header("Accept", BROWSER_ACCEPT).send().await.expect("GET");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert!(unauthorized.text().await.expect("body").contains("valid link"));
    for accept in [None, Some("application/json"), Some("*/*"), Some("application/json, text/html")] {
        let mut req = client.get(app.url("/nope"));
        if let Some(accept) = accept {
            req = req.header("Accept", accept);
        }
        expect_error(req.send().await.expect("GET"), StatusCode::NOT_FOUND, "not_found").await;
    }
}

#[tokio::test]
async fn widget_without_the_slash_redirects_and_keeps_the_query() {
    let app = TestApp::spawn().await;
    let res = no_redirects().get(app.url("/widget?token=abc")).send().await.expect("GET");
    assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(res.headers()["location"], "/widget/?token=abc");
    let bare = no_redirects().get(app.url("/widget")).send().await.expect("GET");
    assert_eq!(bare.headers()["location"], "/widget/");
}

#[tokio::test]
async fn head_is_answered_like_get_without_a_body() {
    let app = TestApp::spawn().await;
    for path in ["/", "/widget/", "/widget/loyalty-wallet.js", "/healthz"] {
        let get = app.send_raw(Method::GET, path, None, &[], None).await;
        let (get_status, get_type) = (get.status(), get.headers().get("content-type").cloned());
        let head = app.send_raw(Method::HEAD, path, None, &[], None).await;
        assert_eq!(head.status(), get_status, "HEAD {path}");
        assert_eq!(head.headers().get("content-type").cloned(), get_type, "HEAD {path}");
        assert!(head.bytes().await.expect("body").is_empty(), "HEAD {path} has no body");
    }
    let token = app.customer("1");
    let head = app.send_raw(Method::HEAD, "/api/v1/wallet", Some(&token), &[], None).await;
    assert_eq!(head.status(), StatusCode::OK);
    let head = app.send_raw(Method::HEAD, "/webhooks/shopify", None, &[], None).await;
    assert_eq!(head.status(), StatusCode::METHOD_NOT_ALLOWED, "POST-only route");
}

/// What Shopify's admin puts on the app URL (sorted, as Shopify sends it).
fn shopify_query(shop: Option<&str>, host: bool) -> String {
    let mut pairs = vec![("embedded", "1"), ("hmac", "abc"), ("id_token", "a.b.c"), ("locale", "en")];
    if host {
        pairs.push(("host", "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvdGVzdC1zaG9w"));
    }
    if let Some(shop) = shop {
        pairs.push(("shop", shop));
    }
    pairs.push(("timestamp", "1700000000"));
    form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

async fn admin_page(app: &TestApp, query: &str) -> (StatusCode, String, String) {
    let res = no_redirects().get(app.url(&format!("/widget/admin.html?{query}"))).send().await.expect("GET");
    let csp = res.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    (res.status(), csp, res.text().await.expect("body"))
}

#[tokio::test]
async fn opened_by_shopify_the_admin_loads_app_bridge_first_and_only_the_shop_may_frame_it() {
    let app = TestApp::spawn().await;
    let (status, csp, html) = admin_page(&app, &shopify_query(Some(SHOP), true)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(csp, format!("frame-ancestors https://{SHOP} https://admin.shopify.com"));
    assert!(html.contains(&format!("<meta name=\"shopify-api-key\" content=\"{CLIENT_ID}\">")), "{html}");
    let first_script = &html[html.find("<script").expect("a script")..];
    let tag = &first_script[..first_script.find('>').expect("tag end")];
    assert_eq!(tag, "<script src=\"https://cdn.shopify.com/shopifycloud/app-bridge.js\"", "first, blocking: {html}");
    assert!(html.find("app-bridge.js") < html.find("admin.js"), "before the page's own module");
    assert!(!html.contains("<!--app-bridge-->"), "the marker is filled in");
}

#[tokio::test]
async fn opened_outside_shopify_the_admin_has_no_app_bridge_and_admin_only_framing() {
    let app = TestApp::spawn().await;
    for query in ["", "token=abc", "shop=evil.example.com"] {
        let (status, csp, html) = admin_page(&app, query).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(csp, "frame-ancestors https://admin.shopify.com", "{query}");
        assert!(
            !html.contains("app-bridge.js") && !html.contains("shopify-api-key"),
            "{query}: App Bridge at the top level would send the browser to Shopify's login"
        );
        assert!(!html.contains("loyalty-development"), "not development mode");
        assert!(html.contains("admin.js"));
    }
    let (_, csp, _) = admin_page(&app, &format!("shop={SHOP}")).await;
    assert_eq!(csp, format!("frame-ancestors https://{SHOP} https://admin.shopify.com"));
}

#[tokio::test]
async fn shopify_parameters_without_shop_or_host_get_a_page_saying_how_to_open_the_app() {
    let app = TestApp::spawn().await;
    let cases = [
        (shopify_query(None, true), "a valid <code>shop</code>"),
        (shopify_query(Some("evil.example.com"), true), "a valid <code>shop</code>"),
        (shopify_query(Some(SHOP), false), "<code>host</code>"),
    ];
    for (query, missing) in cases {
        let (status, csp, html) = admin_page(&app, &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(csp.starts_with("frame-ancestors "), "{query}");
        assert!(html.contains("<h1>Open the app from Shopify admin</h1>") && html.contains(missing), "{query}: {html}");
        assert!(html.contains("Apps → Loyalty Wallet"));
    }
}

#[tokio::test]
async fn in_development_mode_the_admin_page_knows_it() {
    let (database_url, dir) = fresh_database();
    let vars: std::collections::HashMap<String, String> =
        [("DATABASE_URL", database_url.as_str()), ("LOYALTY_BIND", "127.0.0.1:0")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let settings = loyalty_wallet::config::Settings::from_map(&vars).expect("settings");
    assert!(settings.development);
    let app = TestApp::spawn_with(settings, dir).await;
    let (status, _, html) = admin_page(&app, "").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<meta name=\"loyalty-development\" content=\"1\">"), "{html}");
}
