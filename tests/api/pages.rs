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
