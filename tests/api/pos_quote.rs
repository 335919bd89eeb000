//! `GET /api/v1/pos/quote`: every status it answers bad input with is one
//! the served /openapi.json documents for it (issue 26.7: the 422 was missing).

use crate::helpers::*;
use loyalty_wallet::auth::Role;
use reqwest::StatusCode;

const QUOTE: &str = "/api/v1/pos/quote";

#[tokio::test]
async fn the_pos_quote_answers_only_documented_statuses() {
    let app = TestApp::spawn().await;
    app.enable_program("pos", "100", 100, 10_000).await;
    let pos = app.token(Role::Pos, "clerk");
    let ok = app.get(&format!("{QUOTE}?points=100&customer_id=55"), &pos).await;
    assert_eq!(ok.status(), StatusCode::OK);
    let bad_id = app.get(&format!("{QUOTE}?points=100&customer_id=a%2Fb"), &pos).await;
    let body = expect_error(bad_id, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    assert!(body["error"]["details"]["fields"]["customer_id"].is_string(), "{body}");
    expect_error(app.get(&format!("{QUOTE}?points=100"), &pos).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    let anonymous = app.client.get(app.url(&format!("{QUOTE}?points=100&customer_id=55"))).send().await.expect("GET");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let shopper = app.get(&format!("{QUOTE}?points=100&customer_id=55"), &app.customer("55")).await;
    assert_eq!(shopper.status(), StatusCode::FORBIDDEN);

    let doc: serde_json::Value =
        app.client.get(app.url("/openapi.json")).send().await.expect("GET").json().await.expect("JSON");
    let responses = doc["paths"][QUOTE]["get"]["responses"].as_object().expect("responses of GET /api/v1/pos/quote");
    for status in ["200", "400", "401", "403", "422"] {
        assert!(responses.contains_key(status), "/openapi.json documents {status} for GET {QUOTE}: {responses:?}");
    }
    let problem = responses["422"]["content"]["application/json"]["schema"]["$ref"].as_str();
    assert_eq!(problem, Some("#/components/schemas/ErrorEnvelope"), "the 422 is the error envelope");
}
