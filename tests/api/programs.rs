//! Program and shop settings: every invalid setting is a 422
//! naming its field, and a refused PUT leaves the stored settings alone.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn valid() -> Value {
    json!({
        "enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 1000,
        "purchase_type": "one_time"
    })
}

fn with(changes: Value) -> Value {
    let mut body = valid();
    for (key, value) in changes.as_object().expect("object") {
        body[key] = value.clone();
    }
    body
}

#[tokio::test]
async fn invalid_programs_are_422_with_the_field_named() {
    let app = TestApp::spawn().await;
    let stored = app.enable_program("online", "100", 100, 1000).await;
    let cases = vec![
        ("min > max", with(json!({"min_points": 500, "max_points": 499})), "max_points"),
        ("min zero", with(json!({"min_points": 0})), "min_points"),
        ("min negative", with(json!({"min_points": -5})), "min_points"),
        ("max above the service maximum", with(json!({"max_points": 1_000_000_000_001_i64})), "max_points"),
        ("ratio zero", with(json!({"points_per_unit": "0"})), "points_per_unit"),
        ("ratio zero as a number", with(json!({"points_per_unit": 0})), "points_per_unit"),
        ("ratio negative", with(json!({"points_per_unit": "-1"})), "points_per_unit"),
        ("ratio negative number", with(json!({"points_per_unit": -0.5})), "points_per_unit"),
        ("ratio not a number", with(json!({"points_per_unit": "lots"})), "points_per_unit"),
        ("ratio too fine", with(json!({"points_per_unit": "0.0000001"})), "points_per_unit"),
        ("ratio too large", with(json!({"points_per_unit": "1000000001"})), "points_per_unit"),
        ("ratio huge exponent", with(json!({"points_per_unit": 1e300})), "points_per_unit"),
        ("ratio huge exponent text", with(json!({"points_per_unit": "1e300"})), "points_per_unit"),
        (
            "recurring without cycles",
            with(json!({"purchase_type": "subscription", "subscription": {"applies_to": "recurring"}})),
            "subscription.cycles",
        ),
        (
            "recurring with zero cycles",
            with(json!({"purchase_type": "both", "subscription": {"applies_to": "recurring", "cycles": 0}})),
            "subscription.cycles",
        ),
        (
            "cycles on all payments",
            with(json!({"purchase_type": "both", "subscription": {"applies_to": "all_payments", "cycles": 3}})),
            "subscription.cycles",
        ),
        (
            "customer list without ids",
            with(json!({"eligibility": {"kind": "customers", "ids": []}})),
            "eligibility.ids",
        ),
        (
            "bad customer id in the list",
            with(json!({"eligibility": {"kind": "customers", "ids": ["ok", "not ok"]}})),
            "eligibility.ids",
        ),
        ("ids with kind all", with(json!({"eligibility": {"kind": "all", "ids": ["1"]}})), "eligibility.ids"),
        ("segments without ids", with(json!({"eligibility": {"kind": "segments"}})), "eligibility.ids"),
        ("prefix with a space", with(json!({"code_prefix": "VIP 1"})), "code_prefix"),
        ("prefix too long", with(json!({"code_prefix": "ABCDEFGHIJKLM"})), "code_prefix"),
        ("prefix ending in a dash", with(json!({"code_prefix": "VIP-"})), "code_prefix"),
        ("lifetime zero", with(json!({"code_lifetime_hours": 0})), "code_lifetime_hours"),
        ("lifetime over a year", with(json!({"code_lifetime_hours": 24 * 366})), "code_lifetime_hours"),
    ];
    for (name, body, field) in cases {
        let response = app.put_program("online", &body).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        let fields = &error["error"]["details"]["fields"];
        assert!(fields[field].as_str().is_some_and(|m| !m.is_empty()), "{name}: {field} in {error}");
    }
    // Several problems at once are all reported.
    let body = with(json!({"points_per_unit": "0", "min_points": 0, "code_prefix": "a b"}));
    let error =
        expect_error(app.put_program("online", &body).await, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    let fields = error["error"]["details"]["fields"].as_object().expect("fields");
    for field in ["points_per_unit", "min_points", "code_prefix"] {
        assert!(fields.contains_key(field), "{field} in {error}");
    }
    let (_, now) = status_json(app.get("/api/v1/admin/programs/online", &app.admin()).await).await;
    assert_eq!(now["version"], stored["version"], "no refused PUT made a version");
    assert_eq!(now["points_per_unit"], "100");
}

#[tokio::test]
async fn malformed_program_bodies_are_400() {
    let app = TestApp::spawn().await;
    let cases = vec![
        ("unknown field", with(json!({"bonus": true}))),
        ("missing enabled", {
            let mut b = valid();
            b.as_object_mut().expect("o").remove("enabled");
            b
        }),
        ("unknown purchase type", with(json!({"purchase_type": "gift"}))),
        ("unknown eligibility kind", with(json!({"eligibility": {"kind": "friends", "ids": ["1"]}}))),
        (
            "unknown subscription field",
            with(json!({"purchase_type": "both", "subscription": {"applies_to": "first_payment", "every": 2}})),
        ),
        ("min as a string", with(json!({"min_points": "100"}))),
        ("enabled as a string", with(json!({"enabled": "yes"}))),
    ];
    for (name, body) in cases {
        let (status, error) = status_json(app.put_program("online", &body).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {error}");
        assert_eq!(error["error"]["code"], "invalid_request");
    }
    let (_, program) = status_json(app.get("/api/v1/admin/programs/pos", &app.admin()).await).await;
    assert_eq!(program["version"], 1);
}

#[tokio::test]
async fn a_full_program_round_trips() {
    let app = TestApp::spawn().await;
    let body = json!({
        "enabled": true, "points_per_unit": 12.5, "min_points": 50, "max_points": 5000,
        "purchase_type": "both",
        "subscription": {"applies_to": "recurring", "cycles": 3},
        "eligibility": {"kind": "customers", "ids": ["9", "3", "9"]},
        "combines_with": {"order": false, "product": true, "shipping": true},
        "code_prefix": "club", "code_lifetime_hours": 48
    });
    let (status, stored) = status_json(app.put_program("pos", &body).await).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(stored["channel"], "pos");
    assert_eq!(stored["version"], 2);
    assert_eq!(stored["points_per_unit"], "12.5");
    assert_eq!(stored["subscription"], json!({"applies_to": "recurring", "cycles": 3}));
    assert_eq!(stored["eligibility"], json!({"kind": "customers", "ids": ["3", "9"]}), "sorted, deduplicated");
    assert_eq!(stored["combines_with"], json!({"order": false, "product": true, "shipping": true}));
    assert_eq!(stored["code_prefix"], "CLUB");
    assert_eq!(stored["code_lifetime_hours"], 48);
    let (_, read) = status_json(app.get("/api/v1/admin/programs/pos", &app.admin()).await).await;
    assert_eq!(read, stored);
    // The online program is untouched.
    let (_, online) = status_json(app.get("/api/v1/admin/programs/online", &app.admin()).await).await;
    assert_eq!((online["version"].clone(), online["enabled"].clone()), (json!(1), json!(false)));
    // A claim under a lifetime expires then.
    app.grant("3", 1_000).await;
    let key = uuid::Uuid::new_v4().to_string();
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    let (status, claim) = status_json(
        app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "3", "points": 125})).await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["value"], "10.00");
    let created = chrono::DateTime::parse_from_rfc3339(claim["created_at"].as_str().expect("created")).expect("time");
    let expires = chrono::DateTime::parse_from_rfc3339(claim["expires_at"].as_str().expect("expires")).expect("time");
    assert_eq!(expires - created, chrono::Duration::hours(48));
}

#[tokio::test]
async fn invalid_shop_settings_are_422_with_the_field_named() {
    let app = TestApp::spawn().await;
    let cases = vec![
        ("unknown currency", json!({"currency": "XXX", "earn_points_per_unit": "1"}), "currency"),
        ("lower-case currency", json!({"currency": "usd", "earn_points_per_unit": "1"}), "currency"),
        ("negative earn rate", json!({"currency": "EUR", "earn_points_per_unit": "-1"}), "earn_points_per_unit"),
        ("earn rate not a number", json!({"currency": "EUR", "earn_points_per_unit": "many"}), "earn_points_per_unit"),
        ("earn rate too fine", json!({"currency": "EUR", "earn_points_per_unit": "0.0000001"}), "earn_points_per_unit"),
        (
            "unknown platform",
            json!({"currency": "EUR", "earn_points_per_unit": "1", "platform": {"kind": "magento"}}),
            "platform.kind",
        ),
    ];
    for (name, body, field) in cases {
        let response = app.put("/api/v1/admin/shop", &app.admin(), &body).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        assert!(error["error"]["details"]["fields"][field].is_string(), "{name}: {error}");
    }
    let (_, shop) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!(shop["currency"], "USD", "no refused PUT changed the shop");
    assert_eq!(shop["earn_points_per_unit"], "0");
    // Sections left out stay as they were (API.md, second round).
    let response = app.put("/api/v1/admin/shop", &app.admin(), &json!({"currency": "EUR"})).await;
    let (status, shop) = status_json(response).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    assert_eq!((shop["currency"].as_str(), shop["earn_points_per_unit"].as_str()), (Some("EUR"), Some("0")));
}

#[tokio::test]
async fn the_platform_access_token_is_write_only() {
    let app = TestApp::spawn().await;
    let body = json!({
        "currency": "EUR", "earn_points_per_unit": 2,
        "platform": {"kind": "shopify", "access_token": "shpat_secret_value", "api_version": "2026-10", "base_url": "http://127.0.0.1:1"}
    });
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    let (_, read) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    for view in [&shop, &read] {
        assert!(!view.to_string().contains("shpat_secret_value"), "token never returned: {view}");
        assert_eq!(view["platform"]["access_token_set"], true);
        assert_eq!(view["currency"], "EUR");
        assert_eq!(view["earn_points_per_unit"], "2");
    }
}
