//! Authentication and authorization (API.md "Authentication"):
//! every malformed, forged, expired or misdirected token is a 401; a valid
//! token of the wrong role is a 403; another shop's or customer's resource
//! is a 404 and never the resource.

use crate::helpers::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use loyalty_wallet::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const OTHER_SHOP: &str = "other-shop.myshopify.com";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Valid claims of a customer token, to be broken one way at a time.
fn claims(customer: &str) -> Value {
    json!({
        "dest": format!("https://{SHOP}"),
        "sub": customer,
        "role": "customer",
        "aud": CLIENT_ID,
        "exp": now() + 600,
        "nbf": now() - 1,
        "iat": now(),
    })
}

fn sign_with(claims: &Value, secret: &[u8], algorithm: Algorithm) -> String {
    encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(secret)).expect("sign")
}

fn sign(claims: &Value) -> String {
    sign_with(claims, SECRET.as_bytes(), Algorithm::HS256)
}

fn without(mut claims: Value, field: &str) -> Value {
    claims.as_object_mut().expect("object").remove(field);
    claims
}

fn with(mut claims: Value, field: &str, value: Value) -> Value {
    claims[field] = value;
    claims
}

/// `alg: none`: an unsigned token, header and payload hand-encoded.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("json"));
    format!("{header}.{payload}.")
}

async fn wallet_status(app: &TestApp, token: &str) -> (StatusCode, Value) {
    status_json(app.get("/api/v1/wallet", token).await).await
}

#[tokio::test]
async fn a_hand_signed_token_with_every_claim_right_is_accepted() {
    // The control for every refusal below: the same construction, unbroken, works.
    let app = TestApp::spawn().await;
    let (status, body) = wallet_status(&app, &sign(&claims("207119551"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["customer_id"], "207119551");
    assert_eq!(body["points_balance"], 0);
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_401() {
    let app = TestApp::spawn().await;
    let valid = claims("207119551");
    let cases: Vec<(&str, String)> = vec![
        ("alg none", unsigned(&valid)),
        ("alg none with a signature part", format!("{}{}", unsigned(&valid), "c2ln")),
        ("wrong key", sign_with(&valid, b"another-secret-that-is-32-bytes-long!!", Algorithm::HS256)),
        ("HS512 with the right key", sign_with(&valid, SECRET.as_bytes(), Algorithm::HS512)),
        ("HS384 with the right key", sign_with(&valid, SECRET.as_bytes(), Algorithm::HS384)),
        ("expired", sign(&with(valid.clone(), "exp", json!(now() - 120)))),
        ("not yet valid", sign(&with(valid.clone(), "nbf", json!(now() + 120)))),
        ("wrong aud", sign(&with(valid.clone(), "aud", json!("someone-else")))),
        ("aud list without ours", sign(&with(valid.clone(), "aud", json!(["someone-else"])))),
        ("missing aud", sign(&without(valid.clone(), "aud"))),
        ("missing exp", sign(&without(valid.clone(), "exp"))),
        ("exp as a string", sign(&with(valid.clone(), "exp", json!("tomorrow")))),
        ("missing dest", sign(&without(valid.clone(), "dest"))),
        ("dest not a shop", sign(&with(valid.clone(), "dest", json!("https://not a shop")))),
        ("missing sub", sign(&without(valid.clone(), "sub"))),
        ("empty sub", sign(&with(valid.clone(), "sub", json!("")))),
        ("customer id with a slash", sign(&with(valid.clone(), "sub", json!("../1")))),
        ("unknown role", sign(&with(valid.clone(), "role", json!("superuser")))),
        ("missing role", sign(&without(valid.clone(), "role"))),
        ("tampered payload", {
            let token = sign(&valid);
            let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
            parts[1] =
                URL_SAFE_NO_PAD.encode(serde_json::to_vec(&with(valid.clone(), "sub", json!("1"))).expect("json"));
            parts.join(".")
        }),
        ("garbage", "not.a.jwt".to_string()),
        ("empty", String::new()),
    ];
    for (name, token) in cases {
        let response = app.get("/api/v1/wallet", &token).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(error_code(response).await, "unauthorized", "{name}");
    }
    // Not one of those requests created the shop or the wallet.
    assert_eq!(app.stored_balance_in(SHOP, "207119551").await, None);
}

#[tokio::test]
async fn missing_or_non_bearer_authorization_is_401() {
    let app = TestApp::spawn().await;
    let token = app.customer("1");
    let basic = format!("Basic {token}");
    let bare = token.clone();
    for (name, header) in [("none", None), ("basic", Some(basic.as_str())), ("no scheme", Some(bare.as_str()))] {
        let headers: Vec<(&str, &str)> = header.map(|h| vec![("Authorization", h)]).unwrap_or_default();
        let response = app.send_raw(Method::GET, "/api/v1/wallet", None, &headers, None).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let _ = name;
    }
    // Every door checks: a write without a token is refused before its body is read.
    let response = app
        .send_raw(
            Method::POST,
            "/api/v1/claims",
            None,
            &[("Idempotency-Key", "k"), ("Content-Type", "application/json")],
            Some(br#"{"points":100}"#.to_vec()),
        )
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let response = app.send_raw(Method::GET, "/api/v1/admin/shop", None, &[], None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn the_small_clock_leeway_is_honoured_but_no_more() {
    let app = TestApp::spawn().await;
    let valid = claims("1");
    // Two seconds of skew either way are inside the leeway.
    let (status, _) = wallet_status(&app, &sign(&with(valid.clone(), "nbf", json!(now() + 2)))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = wallet_status(&app, &sign(&with(valid.clone(), "exp", json!(now() - 1)))).await;
    assert_eq!(status, StatusCode::OK);
    // A minute is not.
    let (status, _) = wallet_status(&app, &sign(&with(valid.clone(), "nbf", json!(now() + 60)))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = wallet_status(&app, &sign(&with(valid, "exp", json!(now() - 60)))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_configured_issuer_is_required_and_checked() {
    let (url, dir) = fresh_database();
    let mut settings = test_settings(&url);
    settings.issuer = Some("https://issuer.example".into());
    let app = TestApp::spawn_with(settings, dir).await;
    let valid = claims("1");
    let (status, body) = wallet_status(&app, &sign(&with(valid.clone(), "iss", json!("https://issuer.example")))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = wallet_status(&app, &sign(&valid)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "iss missing");
    let (status, _) = wallet_status(&app, &sign(&with(valid, "iss", json!("https://evil.example")))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "iss wrong");
    // The harness mints with the configured issuer.
    assert_eq!(app.get("/api/v1/wallet", &app.customer("1")).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn each_role_is_kept_to_its_own_door() {
    let app = TestApp::spawn().await;
    let customer = app.customer("1");
    let pos = app.token(Role::Pos, "clerk-1");
    let admin = app.admin();
    let claim_id = uuid::Uuid::new_v4().to_string();
    let admin_routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/admin/programs/online".into(), None),
        (
            Method::PUT,
            "/api/v1/admin/programs/online".into(),
            Some(
                json!({"enabled": true, "points_per_unit": "1", "min_points": 1, "max_points": 10, "purchase_type": "one_time"}),
            ),
        ),
        (Method::GET, "/api/v1/admin/customers".into(), None),
        (Method::GET, "/api/v1/admin/customers/1".into(), None),
        (Method::POST, "/api/v1/admin/customers/1/adjustments".into(), Some(json!({"points": 1000, "reason": "x"}))),
        (Method::POST, format!("/api/v1/admin/claims/{claim_id}/refund"), None),
        (Method::GET, "/api/v1/admin/shop".into(), None),
        (Method::PUT, "/api/v1/admin/shop".into(), Some(json!({"currency": "EUR", "earn_points_per_unit": "1"}))),
        (Method::GET, "/api/v1/admin/analytics".into(), None),
        (
            Method::POST,
            "/api/v1/checkout/validate".into(),
            Some(json!({"code": "X", "customer_id": "1", "subtotal": "1.00"})),
        ),
        (
            Method::POST,
            "/api/v1/checkout/redeem".into(),
            Some(json!({"code": "X", "customer_id": "1", "order_id": "o", "subtotal": "1.00"})),
        ),
    ];
    let customer_routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/wallet".into(), None),
        (Method::GET, "/api/v1/quote?points=100".into(), None),
        (Method::GET, "/api/v1/claims".into(), None),
        (Method::POST, "/api/v1/claims".into(), Some(json!({"points": 100}))),
        (Method::POST, format!("/api/v1/claims/{claim_id}/refund"), None),
        (Method::GET, "/api/v1/transactions".into(), None),
    ];
    let pos_routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/api/v1/pos/customers".into(), None),
        (Method::GET, "/api/v1/pos/customers/1/wallet".into(), None),
        (Method::GET, "/api/v1/pos/quote?points=100&customer_id=1".into(), None),
        (Method::POST, "/api/v1/pos/claims".into(), Some(json!({"customer_id": "1", "points": 100}))),
    ];
    let forbidden = [
        (&admin_routes, vec![("customer", &customer), ("pos", &pos)]),
        (&customer_routes, vec![("admin", &admin), ("pos", &pos)]),
        (&pos_routes, vec![("customer", &customer), ("admin", &admin)]),
    ];
    for (routes, tokens) in forbidden {
        for (method, path, body) in routes.iter() {
            for (role, token) in &tokens {
                let bytes = body.as_ref().map(|b| serde_json::to_vec(b).expect("json"));
                let headers = [("Content-Type", "application/json"), ("Idempotency-Key", "role-test")];
                let response = app.send_raw(method.clone(), path, Some(token), &headers, bytes).await;
                let (status, body) = status_json(response).await;
                assert_eq!(status, StatusCode::FORBIDDEN, "{role} on {method} {path}: {body}");
                assert_eq!(body["error"]["code"], "forbidden");
            }
        }
    }
    // None of the refused writes took effect.
    assert_eq!(app.stored_balance_in(SHOP, "1").await, None);
    let shop: Value = app.get("/api/v1/admin/shop", &admin).await.json().await.expect("json");
    assert_eq!(shop["currency"], "USD");
    let program: Value = app.get("/api/v1/admin/programs/online", &admin).await.json().await.expect("json");
    assert_eq!(program["enabled"], false);
    assert_eq!(program["version"], 1);
}

#[tokio::test]
async fn a_customer_never_sees_or_refunds_another_customers_claim() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("alice", 1_000).await;
    app.grant("bob", 1_000).await;
    let bobs = app.claim_ok("bob", 300).await;
    let bob_claim = bobs["id"].as_str().expect("id");

    let response =
        app.post(&format!("/api/v1/claims/{bob_claim}/refund"), &app.customer("alice"), None, &json!({})).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;

    let alices: Value = app.get("/api/v1/claims", &app.customer("alice")).await.json().await.expect("json");
    assert_eq!(alices["claims"], json!([]));
    let entries: Value = app.get("/api/v1/transactions", &app.customer("alice")).await.json().await.expect("json");
    assert_eq!(entries["entries"].as_array().map(Vec::len), Some(1), "only alice's grant");

    assert_eq!(app.balance("alice").await, 1_000);
    assert_eq!(app.balance("bob").await, 700);
    let bobs_list: Value = app.get("/api/v1/claims", &app.customer("bob")).await.json().await.expect("json");
    assert_eq!(bobs_list["claims"][0]["status"], "active");
    assert_wallet_invariants(&app, SHOP, "bob").await;
}

#[tokio::test]
async fn a_shop_never_sees_or_touches_another_shops_data() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("42", 1_000).await;
    let claim = app.claim_ok("42", 500).await;
    let claim_id = claim["id"].as_str().expect("id");
    let code = claim["code"].as_str().expect("code");

    let other_admin = app.token_for(OTHER_SHOP, Role::Admin, "staff-9");
    let response = app.post(&format!("/api/v1/admin/claims/{claim_id}/refund"), &other_admin, None, &json!({})).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.get("/api/v1/admin/customers/42", &other_admin).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let (status, list) = status_json(app.get("/api/v1/admin/customers", &other_admin).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["customers"], json!([]));
    let (status, analytics) = status_json(app.get("/api/v1/admin/analytics", &other_admin).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(analytics["claims_count"], 0);

    // The code means nothing at the other shop's checkout.
    let body = json!({"code": code, "customer_id": "42", "subtotal": "50.00"});
    let (status, verdict) = status_json(app.post("/api/v1/checkout/validate", &other_admin, None, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["valid"], false);
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"code": code, "customer_id": "42", "order_id": "o-1", "subtotal": "50.00"});
    let response = app.post("/api/v1/checkout/redeem", &other_admin, Some(&key), &body).await;
    expect_error(response, StatusCode::CONFLICT, "code_not_valid").await;

    // The same customer id at the other shop is another, empty wallet.
    let other_customer = app.token_for(OTHER_SHOP, Role::Customer, "42");
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &other_customer).await).await;
    assert_eq!(wallet["points_balance"], 0);
    let (_, claims) = status_json(app.get("/api/v1/claims", &other_customer).await).await;
    assert_eq!(claims["claims"], json!([]));
    let response = app.post(&format!("/api/v1/claims/{claim_id}/refund"), &other_customer, None, &json!({})).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    // A POS terminal of the other shop sees an empty wallet too.
    let other_pos = app.token_for(OTHER_SHOP, Role::Pos, "clerk");
    let (_, wallet) = status_json(app.get("/api/v1/pos/customers/42/wallet", &other_pos).await).await;
    assert_eq!(wallet["points_balance"], 0);

    // Nothing moved at the first shop.
    let rows = app.claim_rows("42").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status.as_str(), "active");
    assert_eq!(app.balance("42").await, 500);
    assert_wallet_invariants(&app, SHOP, "42").await;
}
