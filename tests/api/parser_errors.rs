//! Requests the HTTP parser refuses before any route runs (too many headers,
//! a head too large, a control character, no Host) are answered in the
//! error envelope, over raw TCP; the connection around them still works.

use crate::helpers::TestApp;
use serde_json::Value;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Writes `request` on a fresh connection and reads until the server closes
/// it (a reset after the answer, for bytes it never read, ends it too).
async fn exchange(app: &TestApp, request: &[u8]) -> String {
    let address = app.base.strip_prefix("http://").expect("address");
    let mut stream = TcpStream::connect(address).await.expect("connect");
    // The server may stop reading (and close) before all of it is sent.
    let _ = stream.write_all(request).await;
    let (mut answer, mut chunk) = (Vec::new(), [0_u8; 8192]);
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk));
        match read.await.expect("the server closes the connection") {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
    String::from_utf8(answer).expect("an HTTP answer is text")
}

/// The last response of `answer`: status, lower-cased head, body as JSON.
fn last_response(answer: &str) -> (u16, String, Value) {
    let at = answer.rfind("HTTP/1.1 ").expect("a response");
    let (head, body) = answer[at..].split_once("\r\n\r\n").expect("head and body");
    let status = head[9..12].parse().expect("status");
    let head = head.to_ascii_lowercase();
    let length = head.lines().find_map(|l| l.strip_prefix("content-length: ")).and_then(|n| n.trim().parse().ok());
    assert_eq!(length, Some(body.len()), "content-length is the body's: {answer:?}");
    let json = serde_json::from_str(body).unwrap_or_else(|e| panic!("JSON body ({e}): {answer:?}"));
    (status, head, json)
}

fn assert_enveloped(answer: &str, status: u16) {
    let (got, head, body) = last_response(answer);
    assert_eq!(got, status, "{answer}");
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    assert_eq!(body["error"]["code"], "invalid_request", "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
    assert!(body["error"]["details"].is_object(), "{body}");
}

fn request_with_headers(count: usize) -> Vec<u8> {
    let mut request = String::from("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
    for n in 0..count {
        request.push_str(&format!("X-Filler-{n}: {n}\r\n"));
    }
    request.push_str("\r\n");
    request.into_bytes()
}

#[tokio::test]
async fn a_request_with_100_headers_gets_431_in_the_envelope() {
    let app = TestApp::spawn().await;
    let answer = exchange(&app, &request_with_headers(100)).await;
    assert_enveloped(&answer, 431);
    // 90 headers are fine.
    let close = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec();
    let answer = exchange(&app, &[request_with_headers(90), close].concat()).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
}

#[tokio::test]
async fn a_head_over_128_kib_gets_431_in_the_envelope() {
    let app = TestApp::spawn().await;
    let request = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: {}\r\n\r\n", "a".repeat(140 * 1024));
    assert_enveloped(&exchange(&app, request.as_bytes()).await, 431);
}

#[tokio::test]
async fn a_control_character_in_a_header_or_no_host_gets_400_in_the_envelope() {
    let app = TestApp::spawn().await;
    let answer = exchange(&app, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Bad: a\x01b\r\n\r\n").await;
    assert_enveloped(&answer, 400);
    let answer = exchange(&app, b"GET /healthz HTTP/1.1\r\nX-No-Host: 1\r\n\r\n").await;
    assert_enveloped(&answer, 400);
    let answer = exchange(&app, b"GET /hea\x7fthz HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
    assert_enveloped(&answer, 400);
}

#[tokio::test]
async fn answers_before_a_refused_request_on_the_same_connection_are_untouched() {
    let app = TestApp::spawn().await;
    // Pipelined: two good requests, then one the parser refuses.
    let good = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
    let answer = exchange(&app, &[good.clone(), good, request_with_headers(100)].concat()).await;
    assert_eq!(answer.matches("HTTP/1.1 200 OK").count(), 2, "{answer}");
    assert_eq!(answer.matches("{\"status\":\"ok\"}").count(), 2, "{answer}");
    assert_enveloped(&answer, 431);
    // An application error keeps its own envelope and request id.
    let answer = exchange(&app, b"GET /nowhere HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await;
    let (status, head, body) = last_response(&answer);
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{answer}");
    assert!(head.contains("x-request-id"), "{head}");
}
