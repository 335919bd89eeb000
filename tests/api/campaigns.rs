//! Campaign CRUD over HTTP: create (idempotent), read, list, versioned
//! update, per-field validation; bad input writes nothing.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn cart_rescue() -> Value {
    json!({
        "name": "Cart rescue", "enabled": true,
        "trigger": {"kind": "cart_abandoned", "delay_minutes": 60},
        "discount": {"kind": "percentage", "value": "15", "min_subtotal": "40.00",
                     "purchase_type": "one_time", "combines_with": {"order": false, "product": true, "shipping": true}},
        "code": {"template": "{FIRST_NAME}-{RANDOM}", "random_length": 8},
        "expires_after_hours": 48,
        "starts_at": null, "ends_at": null,
        "eligibility": {"kind": "all", "ids": []},
        "limits": {"per_customer": 1, "per_customer_days": 30, "daily_codes": 500,
                   "max_outstanding_value": "5000.00", "max_total_value": null, "assumed_value": "6.00"},
        "holdout_percent": 10
    })
}

/// Creates a campaign that must be accepted; returns its view.
pub async fn create(app: &TestApp, body: &Value) -> Value {
    let key = uuid::Uuid::new_v4().to_string();
    let (status, view) = status_json(app.post("/api/v1/admin/campaigns", &app.admin(), Some(&key), body).await).await;
    assert_eq!(status, StatusCode::CREATED, "create campaign: {view}");
    view
}

async fn campaign_count(app: &TestApp) -> usize {
    let (_, list) = status_json(app.get("/api/v1/admin/campaigns", &app.admin()).await).await;
    list["campaigns"].as_array().expect("campaigns").len()
}

#[tokio::test]
async fn create_read_list_and_update_versions() {
    let app = TestApp::spawn().await;
    let key = "campaign-1";
    let first = app.post("/api/v1/admin/campaigns", &app.admin(), Some(key), &cart_rescue()).await;
    let (status, created) = status_json(first).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    assert_eq!(created["name"], "Cart rescue");
    assert_eq!(created["trigger"]["kind"], "cart_abandoned");
    assert_eq!(created["trigger"]["delay_minutes"], 60);
    assert_eq!(created["discount"]["value"], "15");
    assert_eq!(created["discount"]["min_subtotal"], "40.00");
    assert_eq!(created["limits"]["max_outstanding_value"], "5000.00");
    assert_eq!(created["expires_after_hours"], 48);
    assert_eq!(created["holdout_percent"], 10);
    assert_eq!(created["enabled"], true);

    // Same key, same body: the same campaign, not a second one.
    let again = app.post("/api/v1/admin/campaigns", &app.admin(), Some(key), &cart_rescue()).await;
    let (status, replay) = status_json(again).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(replay["id"], created["id"]);
    assert_eq!(campaign_count(&app).await, 1);

    let id = created["id"].as_str().expect("id");
    let (status, read) = status_json(app.get(&format!("/api/v1/admin/campaigns/{id}"), &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["id"], created["id"]);

    let mut changed = cart_rescue();
    changed["discount"]["value"] = json!("20");
    changed["enabled"] = json!(false);
    let (status, saved) =
        status_json(app.put(&format!("/api/v1/admin/campaigns/{id}"), &app.admin(), &changed).await).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["discount"]["value"], "20");
    assert_eq!(saved["enabled"], false);
}

#[tokio::test]
async fn every_field_is_validated_by_name_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let bad = json!({
        "name": "", "enabled": true,
        "trigger": {"kind": "nth_order"},
        "discount": {"kind": "percentage", "value": "150"},
        "code": {"template": "NO SPACES", "random_length": 4},
        "expires_after_hours": 0.001,
        "starts_at": "2026-12-02T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z",
        "limits": {"max_total_value": "100.00"},
        "holdout_percent": 60
    });
    let key = uuid::Uuid::new_v4().to_string();
    let response = app.post("/api/v1/admin/campaigns", &app.admin(), Some(&key), &bad).await;
    let body = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    let fields = body["error"]["details"]["fields"].as_object().expect("fields");
    for field in [
        "name",
        "trigger.n",
        "discount.value",
        "code.template",
        "code.random_length",
        "expires_after_hours",
        "ends_at",
        "limits.assumed_value",
        "holdout_percent",
    ] {
        assert!(fields.contains_key(field), "{field} in {body}");
    }
    assert_eq!(campaign_count(&app).await, 0);

    let unknown = json!({"trigger": {"kind": "moon_phase"}, "discount": {"kind": "bogo"}});
    let response = app.post("/api/v1/admin/campaigns", &app.admin(), Some("k2"), &unknown).await;
    let body = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    assert!(body["error"]["details"]["fields"]["trigger.kind"].is_string(), "{body}");
    assert!(body["error"]["details"]["fields"]["discount.kind"].is_string(), "{body}");

    let response = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/admin/campaigns",
            Some(&app.admin()),
            &[("content-type", "application/json"), ("idempotency-key", "k3")],
            Some(b"{not json".to_vec()),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert_eq!(campaign_count(&app).await, 0);
}

#[tokio::test]
async fn unknown_campaigns_are_404_and_customers_are_refused() {
    let app = TestApp::spawn().await;
    let response = app.get("/api/v1/admin/campaigns/not-an-id", &app.admin()).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let missing = uuid::Uuid::now_v7();
    let response = app.put(&format!("/api/v1/admin/campaigns/{missing}"), &app.admin(), &cart_rescue()).await;
    expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
    let response = app.get("/api/v1/admin/campaigns", &app.customer("1")).await;
    expect_error(response, StatusCode::FORBIDDEN, "forbidden").await;
}
