//! Operations: health, readiness, metrics, request ids,
//! the OpenAPI document, and the envelope on unknown routes and methods.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Every route of src/api/mod.rs with its methods.
const API_ROUTES: &[(&str, &[&str])] = &[
    ("/healthz", &["get"]),
    ("/readyz", &["get"]),
    ("/metrics", &["get"]),
    ("/openapi.json", &["get"]),
    ("/webhooks/shopify", &["post"]),
    ("/shopify/install", &["get"]),
    ("/shopify/callback", &["get"]),
    ("/proxy/session", &["get"]),
    ("/api/v1/wallet", &["get"]),
    ("/api/v1/quote", &["get"]),
    ("/api/v1/claims", &["get", "post"]),
    ("/api/v1/claims/{id}/refund", &["post"]),
    ("/api/v1/transactions", &["get"]),
    ("/api/v1/admin/programs/{channel}", &["get", "put"]),
    ("/api/v1/admin/customers", &["get"]),
    ("/api/v1/admin/customers/{id}", &["get"]),
    ("/api/v1/admin/customers/{id}/entries", &["get"]),
    ("/api/v1/admin/customers/{id}/claims", &["get"]),
    ("/api/v1/admin/customers/{id}/lots", &["get"]),
    ("/api/v1/admin/customers/{id}/adjustments", &["post"]),
    ("/api/v1/admin/claims/{id}/refund", &["post"]),
    ("/api/v1/admin/shop", &["get", "put"]),
    ("/api/v1/admin/analytics", &["get"]),
    ("/api/v1/admin/data-requests", &["get"]),
    ("/api/v1/admin/notifications", &["get"]),
    ("/api/v1/admin/notifications/{id}/retry", &["post"]),
    ("/api/v1/admin/notifications/summary", &["get"]),
    ("/api/v1/pos/customers", &["get"]),
    ("/api/v1/pos/customers/{id}/wallet", &["get"]),
    ("/api/v1/pos/quote", &["get"]),
    ("/api/v1/pos/claims", &["post"]),
    ("/api/v1/pos/customers/{id}/claims", &["get"]),
    ("/api/v1/pos/claims/{id}/refund", &["post"]),
    ("/api/v1/pos/customers/{id}/offers", &["get"]),
    ("/api/v1/checkout/validate", &["post"]),
    ("/api/v1/checkout/redeem", &["post"]),
    ("/api/v1/admin/campaigns", &["get", "post"]),
    ("/api/v1/admin/campaigns/{id}", &["get", "put"]),
    ("/api/v1/admin/campaigns/{id}/offers", &["get"]),
    ("/api/v1/admin/campaigns/{id}/report", &["get"]),
    ("/api/v1/admin/events", &["post"]),
    ("/api/v1/offers", &["get"]),
    ("/api/v1/admin/segments", &["get"]),
    ("/api/v1/admin/export/customers.csv", &["get"]),
    ("/api/v1/admin/export/ledger.csv", &["get"]),
];

/// The pages of src/api/mod.rs (widget, admin and POS screens).
const PAGE_ROUTES: &[(&str, &[&str])] = &[("/", &["get"]), ("/widget", &["get"]), ("/widget/{path}", &["get"])];

/// Method, path, token, headers, body, and the expected status.
type RawCase = (Method, &'static str, Option<String>, Vec<(&'static str, &'static str)>, Option<Vec<u8>>, StatusCode);

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

async fn openapi(app: &TestApp) -> Value {
    let response = app.client.get(app.url("/openapi.json")).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).expect("openapi.json is valid JSON")
}

fn documented_methods(doc: &Value, path: &str) -> Vec<String> {
    let item = doc["paths"][path].as_object().cloned().unwrap_or_default();
    METHODS.iter().filter(|m| item.contains_key(**m)).map(|m| m.to_string()).collect()
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = TestApp::spawn().await;
    let (status, body) = status_json(app.client.get(app.url("/healthz")).send().await.expect("GET")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ok"})));
    let (status, body) = status_json(app.client.get(app.url("/readyz")).send().await.expect("GET")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"status": "ready"})));
}

#[tokio::test]
async fn the_openapi_document_lists_every_api_route_and_method() {
    let app = TestApp::spawn().await;
    let doc = openapi(&app).await;
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "OpenAPI 3: {}", doc["openapi"]);
    for (path, methods) in API_ROUTES {
        assert_eq!(documented_methods(&doc, path), *methods, "{path}");
        for method in *methods {
            let operation = &doc["paths"][path][method];
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty(), "{method} {path} documents its responses");
            if path.starts_with("/api/") {
                let errors: Vec<_> = responses.iter().filter(|(code, _)| code.starts_with('4')).collect();
                assert!(!errors.is_empty(), "{method} {path} documents its error responses");
                for (code, response) in errors {
                    let schema = response["content"]["application/json"]["schema"]["$ref"].as_str().unwrap_or("");
                    assert!(schema.ends_with("/ErrorEnvelope"), "{method} {path} {code} is the envelope: {response}");
                }
            }
            let writes_body = matches!(*method, "put")
                || (*method == "post" && !path.ends_with("/refund") && !path.ends_with("/retry"));
            if writes_body {
                assert!(
                    operation["requestBody"]["content"]["application/json"].is_object(),
                    "{method} {path} documents its body"
                );
            }
        }
    }
    // Nothing is documented that the service does not route.
    let known: Vec<&str> = API_ROUTES.iter().chain(PAGE_ROUTES.iter()).map(|(p, _)| *p).collect();
    for path in doc["paths"].as_object().expect("paths").keys() {
        assert!(known.contains(&path.as_str()), "{path} is documented but not routed (or missing from this list)");
    }
    // Each listed route is really there: no 404 route / 405 without a token.
    for (path, methods) in API_ROUTES {
        let concrete = path.replace("{id}", "1").replace("{channel}", "online");
        for method in *methods {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let status = app.send_raw(method.clone(), &concrete, None, &[], None).await.status();
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {concrete}: {status}"
            );
        }
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_page_routes() {
    let app = TestApp::spawn().await;
    let doc = openapi(&app).await;
    for (path, methods) in PAGE_ROUTES {
        assert_eq!(documented_methods(&doc, path), *methods, "{path} (src/api/mod.rs routes it)");
    }
}

#[tokio::test]
async fn metrics_count_requests_and_claims() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 1_000).await;
    let token = app.customer("1");
    let first = app.post("/api/v1/claims", &token, Some("m-1"), &json!({"points": 400})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let replay = app.post("/api/v1/claims", &token, Some("m-1"), &json!({"points": 400})).await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    expect_error(app.claim("1", 50).await, StatusCode::UNPROCESSABLE_ENTITY, "below_minimum").await;
    let id = first.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    let refund = app.post(&format!("/api/v1/claims/{id}/refund"), &token, None, &json!({})).await;
    assert_eq!(refund.status(), StatusCode::OK);

    let response = app.client.get(app.url("/metrics")).send().await.expect("GET");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers()["content-type"].to_str().unwrap_or("").starts_with("text/plain"));
    let text = response.text().await.expect("text");
    let value = |name: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.split([' ', '{']).next() == Some(name) && !l.contains('{'))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    assert!(text.contains("# TYPE http_requests_total counter"), "{text}");
    assert!(text.contains(r#"http_requests_total{method="POST",route="/api/v1/claims",status="201"} 2"#), "{text}");
    assert!(text.contains(r#"http_requests_total{method="POST",route="/api/v1/claims",status="422"} 1"#), "{text}");
    assert!(text.contains(r#"http_request_duration_seconds_count{route="/api/v1/claims"}"#), "{text}");
    assert_eq!(value("loyalty_claims_created_total"), Some(1.0), "a replay creates nothing: {text}");
    assert_eq!(value("loyalty_claims_refused_total"), Some(1.0), "{text}");
    assert_eq!(value("loyalty_points_redeemed_total"), Some(400.0), "{text}");
    assert_eq!(value("loyalty_refunds_total"), Some(1.0), "{text}");
    assert_eq!(value("loyalty_points_refunded_total"), Some(400.0), "{text}");
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let huge = vec![b' '; 70 * 1024];
    let cases: Vec<RawCase> = vec![
        (Method::GET, "/healthz", None, vec![], None, StatusCode::OK),
        (Method::GET, "/metrics", None, vec![], None, StatusCode::OK),
        (Method::GET, "/api/v1/wallet", Some(app.customer("1")), vec![], None, StatusCode::OK),
        (Method::GET, "/api/v1/wallet", None, vec![], None, StatusCode::UNAUTHORIZED),
        (Method::GET, "/api/v1/admin/shop", Some(app.customer("1")), vec![], None, StatusCode::FORBIDDEN),
        (Method::GET, "/no/such/route", None, vec![], None, StatusCode::NOT_FOUND),
        (Method::DELETE, "/api/v1/wallet", None, vec![], None, StatusCode::METHOD_NOT_ALLOWED),
        (
            Method::POST,
            "/api/v1/claims",
            Some(app.customer("1")),
            vec![("Content-Type", "application/json"), ("Idempotency-Key", "k")],
            Some(huge),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ];
    let mut seen = std::collections::HashSet::new();
    for (method, path, token, headers, body, status) in cases {
        let response = app.send_raw(method.clone(), path, token.as_deref(), &headers, body).await;
        assert_eq!(response.status(), status, "{method} {path}");
        let id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {path}: x-request-id"));
        assert!(!id.is_empty() && seen.insert(id.to_string()), "{method} {path}: a fresh id ({id})");
    }
    // A caller's own id is kept; an unusable one is replaced.
    let response = app.send_raw(Method::GET, "/healthz", None, &[("X-Request-Id", "trace-abc-123")], None).await;
    assert_eq!(response.headers()["x-request-id"], "trace-abc-123");
    let long = "x".repeat(65);
    let response = app.send_raw(Method::GET, "/healthz", None, &[("X-Request-Id", long.as_str())], None).await;
    let id = response.headers()["x-request-id"].to_str().expect("ascii").to_string();
    assert!(!id.is_empty() && id != long, "{id}");
}

#[tokio::test]
async fn unknown_routes_and_methods_get_the_envelope() {
    let app = TestApp::spawn().await;
    let token = app.customer("1");
    for path in ["/nope", "/api/v1/nope", "/api/v2/wallet", "/api/v1/claims/x/y/z", "/api/v1/admin"] {
        let response = app.send_raw(Method::GET, path, Some(&token), &[], None).await;
        expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let cases = [
        (Method::DELETE, "/api/v1/wallet", "GET"),
        (Method::POST, "/healthz", "GET"),
        (Method::PUT, "/api/v1/claims", "GET, POST"),
        (Method::GET, "/api/v1/claims/0190a5d2-0000-7000-8000-000000000000/refund", "POST"),
        (Method::PATCH, "/api/v1/admin/programs/online", "GET, PUT"),
        (Method::GET, "/api/v1/checkout/redeem", "POST"),
        (Method::POST, "/widget/app.js", "GET"),
    ];
    for (method, path, allow) in cases {
        let response = app.send_raw(method.clone(), path, Some(&token), &[], None).await;
        let allowed = response.headers().get("allow").map(|v| v.to_str().unwrap_or_default().to_string());
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}: Allow");
        let body = expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
        assert!(body["error"]["details"].is_object(), "{method} {path}");
    }
}

#[tokio::test]
async fn the_pages_are_served() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let root = client.get(app.url("/")).send().await.expect("GET /");
    assert_eq!(root.status(), StatusCode::OK, "a landing page");
    let page = app.client.get(app.url("/widget/")).send().await.expect("GET");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.headers()["content-type"].to_str().unwrap_or("").starts_with("text/html"));
    let missing = app.client.get(app.url("/widget/nope.js")).send().await.expect("GET");
    expect_error(missing, StatusCode::NOT_FOUND, "not_found").await;
}

/// Issue 14.6: unique operationIds, a summary everywhere, 401/403 on every
/// token-protected operation, 400/413/415 with a body, 404 with a path
/// parameter, and the static limits in the schema.
#[tokio::test]
async fn the_openapi_document_is_complete() {
    let app = TestApp::spawn().await;
    let doc = openapi(&app).await;
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            let what = format!("{method} {path}");
            let id = operation["operationId"].as_str().unwrap_or_else(|| panic!("{what}: operationId"));
            assert!(ids.insert(id.to_string()), "{what}: operationId {id} is used twice");
            assert!(operation["summary"].as_str().is_some_and(|s| !s.is_empty()), "{what}: summary");
            let responses = operation["responses"].as_object().expect("responses");
            let has = |code: &str| responses.contains_key(code);
            if operation["security"].as_array().is_some_and(|s| !s.is_empty()) {
                assert!(has("401") && has("403"), "{what}: 401 and 403");
            }
            if operation["requestBody"].is_object() {
                assert!(has("400") && has("413") && has("415"), "{what}: 400, 413, 415");
            }
            if path.contains('{') && path.starts_with("/api/") {
                assert!(has("404"), "{what}: 404");
            }
            for (code, response) in responses.iter().filter(|(c, _)| c.starts_with('4') || c.starts_with('5')) {
                let schema = response["content"]["application/json"]["schema"]["$ref"].as_str().unwrap_or("");
                assert!(schema.ends_with("/ErrorEnvelope"), "{what} {code} is the envelope");
            }
        }
    }
    let schemas = &doc["components"]["schemas"];
    let orders = &schemas["DataRequestView"]["properties"]["orders_requested"];
    assert!(
        orders["type"].as_array().is_some_and(|t| t.contains(&json!("array")) && t.contains(&json!("null"))),
        "{orders}"
    );
    assert_eq!(orders["items"]["type"], "integer", "{orders}");
    for body in ["ClaimBody", "PosClaimBody"] {
        let points = &schemas[body]["properties"]["points"];
        assert_eq!(
            (points["minimum"].as_i64(), points["maximum"].as_i64()),
            (Some(1), Some(1_000_000_000_000)),
            "{body}"
        );
    }
    let paged = &doc["paths"]["/api/v1/transactions"]["get"]["parameters"];
    let limit = paged.as_array().expect("params").iter().find(|p| p["name"] == "limit").expect("limit");
    assert_eq!((limit["schema"]["minimum"].as_i64(), limit["schema"]["maximum"].as_i64()), (Some(1), Some(500)));
}
