//! Bad input (DESIGN.md invariant 8): every malformed,
//! oversized or out-of-range request gets the error envelope with the right
//! status and code, never a 5xx, and writes nothing — balance, claims,
//! ledger entries and stored idempotency keys are all unchanged.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::io::{Read, Write};

pub(crate) const JSON: (&str, &str) = ("Content-Type", "application/json");

/// A named request: headers, raw body, and the status it must get.
type BodyCase = (&'static str, Vec<(&'static str, &'static str)>, Vec<u8>, StatusCode);

/// A funded customer on an enabled program, and what they have written so far.
pub(crate) async fn funded_app() -> (TestApp, Footprint) {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("7", 5_000).await;
    let before = app.footprint("7").await;
    assert_eq!(before.balance, Some(5_000));
    (app, before)
}

#[tokio::test]
async fn malformed_claim_bodies_are_refused_and_write_nothing() {
    let (app, before) = funded_app().await;
    let token = app.customer("7");
    let huge_text = format!(r#"{{"points":100,"pad":"{}"}}"#, "x".repeat(70 * 1024));
    let cases: Vec<BodyCase> = vec![
        ("malformed JSON", vec![JSON], br#"{"points": 100"#.to_vec(), StatusCode::BAD_REQUEST),
        ("trailing garbage", vec![JSON], br#"{"points": 100} x"#.to_vec(), StatusCode::BAD_REQUEST),
        ("unknown field", vec![JSON], br#"{"points": 100, "value": "99.00"}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("missing points", vec![JSON], br#"{"purchase_type": "one_time"}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("empty object", vec![JSON], b"{}".to_vec(), StatusCode::BAD_REQUEST),
        ("empty body", vec![JSON], Vec::new(), StatusCode::BAD_REQUEST),
        ("array", vec![JSON], b"[100]".to_vec(), StatusCode::BAD_REQUEST),
        ("array with every field", vec![JSON], br#"[100, "one_time"]"#.to_vec(), StatusCode::BAD_REQUEST),
        ("string", vec![JSON], br#""points""#.to_vec(), StatusCode::BAD_REQUEST),
        ("null", vec![JSON], b"null".to_vec(), StatusCode::BAD_REQUEST),
        ("not UTF-8", vec![JSON], vec![b'{', 0xff, 0xfe, b'}'], StatusCode::BAD_REQUEST),
        ("points negative", vec![JSON], br#"{"points": -500}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        ("points zero", vec![JSON], br#"{"points": 0}"#.to_vec(), StatusCode::UNPROCESSABLE_ENTITY),
        ("points 1.5", vec![JSON], br#"{"points": 1.5}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points 100.0", vec![JSON], br#"{"points": 100.0}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points as a string", vec![JSON], br#"{"points": "500"}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points 1e30", vec![JSON], br#"{"points": 1e30}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points 1e400", vec![JSON], br#"{"points": 1e400}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points over i64", vec![JSON], br#"{"points": 9223372036854775808}"#.to_vec(), StatusCode::BAD_REQUEST),
        (
            "points i64 min",
            vec![JSON],
            br#"{"points": -9223372036854775808}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "points i64 max",
            vec![JSON],
            br#"{"points": 9223372036854775807}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "points above the service maximum",
            vec![JSON],
            br#"{"points": 1000000000001}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("points null", vec![JSON], br#"{"points": null}"#.to_vec(), StatusCode::BAD_REQUEST),
        ("points true", vec![JSON], br#"{"points": true}"#.to_vec(), StatusCode::BAD_REQUEST),
        (
            "unknown purchase type",
            vec![JSON],
            br#"{"points": 100, "purchase_type": "gift"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        ("duplicate field", vec![JSON], br#"{"points": 100, "points": 200}"#.to_vec(), StatusCode::BAD_REQUEST),
        (
            "text/plain",
            vec![("Content-Type", "text/plain")],
            br#"{"points": 100}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "form",
            vec![("Content-Type", "application/x-www-form-urlencoded")],
            b"points=100".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        ("no content type", vec![], br#"{"points": 100}"#.to_vec(), StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("oversized body", vec![JSON], huge_text.into_bytes(), StatusCode::PAYLOAD_TOO_LARGE),
    ];
    for (name, mut headers, body, status) in cases {
        let key = format!("bad-{}", name.replace(' ', "-"));
        headers.push(("Idempotency-Key", key.as_str()));
        let response = app.send_raw(Method::POST, "/api/v1/claims", Some(&token), &headers, Some(body)).await;
        let (got, envelope) = status_json(response).await;
        assert_eq!(got, status, "{name}: {envelope}");
        assert_eq!(envelope["error"]["code"], "invalid_request", "{name}: {envelope}");
        assert!(envelope["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}");
        assert!(envelope["error"]["details"].is_object(), "{name}: details is an object");
    }
    assert_eq!(app.footprint("7").await, before, "nothing was written");
    // And the door still works after all that, with any spelling of the JSON type.
    for content_type in ["application/json", "application/json; charset=utf-8", "Application/JSON"] {
        let key = uuid::Uuid::new_v4().to_string();
        let headers = [("Content-Type", content_type), ("Idempotency-Key", key.as_str())];
        let response = app
            .send_raw(Method::POST, "/api/v1/claims", Some(&token), &headers, Some(br#" {"points": 100} "#.to_vec()))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "{content_type}");
    }
}

#[tokio::test]
async fn out_of_range_points_name_the_field() {
    let (app, before) = funded_app().await;
    for points in [0, -1, 1_000_000_000_001_i64] {
        let response = app.claim("7", points).await;
        let body = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        assert!(body["error"]["details"]["fields"]["points"].is_string(), "{body}");
    }
    assert_eq!(app.footprint("7").await, before);
}

#[tokio::test]
async fn the_idempotency_key_is_required_and_checked() {
    let (app, before) = funded_app().await;
    let token = app.customer("7");
    let body = Some(br#"{"points": 100}"#.to_vec());
    let long = "k".repeat(256);
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("missing", vec![JSON]),
        ("empty", vec![JSON, ("Idempotency-Key", "")]),
        ("too long", vec![JSON, ("Idempotency-Key", long.as_str())]),
        ("with a space", vec![JSON, ("Idempotency-Key", "a b")]),
    ];
    for (name, headers) in cases {
        let response = app.send_raw(Method::POST, "/api/v1/claims", Some(&token), &headers, body.clone()).await;
        let envelope = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
        assert!(envelope["error"]["message"].as_str().unwrap_or("").contains("Idempotency-Key"), "{name}: {envelope}");
    }
    // The other writes that need one: POS claims, adjustments, checkout redeem.
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    let response = app.post("/api/v1/pos/claims", &pos, None, &json!({"customer_id": "7", "points": 100})).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .post("/api/v1/admin/customers/7/adjustments", &app.admin(), None, &json!({"points": 100, "reason": "r"}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = app
        .post(
            "/api/v1/checkout/redeem",
            &app.admin(),
            None,
            &json!({"code": "ABC", "customer_id": "7", "order_id": "o", "subtotal": "1.00"}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(app.footprint("7").await, before);
}

/// A body streamed without Content-Length (chunked) that grows past the limit
/// is cut off at the limit, not buffered whole. Raw HTTP over a socket,
/// since the chunking is the point.
#[tokio::test]
async fn an_oversized_chunked_body_is_413() {
    let (app, before) = funded_app().await;
    let token = app.customer("7");
    let address = app.base.trim_start_matches("http://").to_string();
    let (status_line, body) = tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(&address).expect("connect");
        stream.set_read_timeout(Some(std::time::Duration::from_secs(20))).expect("timeout");
        let head = format!(
            "POST /api/v1/claims HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nIdempotency-Key: chunked\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("head");
        let chunk = vec![b' '; 8 * 1024];
        // 80 KiB of whitespace: valid JSON padding, over the 64 KiB limit.
        for _ in 0..10 {
            if stream.write_all(format!("{:x}\r\n", chunk.len()).as_bytes()).is_err()
                || stream.write_all(&chunk).is_err()
                || stream.write_all(b"\r\n").is_err()
            {
                break;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n");
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let text = String::from_utf8_lossy(&response).to_string();
        let status_line = text.lines().next().unwrap_or("").to_string();
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status_line, body)
    })
    .await
    .expect("raw request");
    assert!(status_line.contains(" 413 "), "{status_line}");
    assert!(body.contains("invalid_request"), "{body}");
    assert_eq!(app.footprint("7").await, before);
}
