//! Issue 13 (walk-through fixes), server side: analytics over long periods
//! with net figures and a channel split, customer search by name and e-mail,
//! an empty POS search, and the wallet's rules for the shopper.

use crate::helpers::*;
use diesel::prelude::*;
use loyalty_wallet::store::schema::customers;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn analytics(app: &TestApp, query: &str) -> Value {
    let (status, body) = status_json(app.get(&format!("/api/v1/admin/analytics{query}"), &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{query}: {body}");
    body
}

#[tokio::test]
async fn every_period_the_admin_offers_works_bucketed_by_span() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 5_000).await;
    app.claim_ok("1", 300).await;
    for (query, period) in [
        ("?from=1970-01-01T00:00:00Z", "month"),
        ("?from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z", "week"),
        ("", "day"),
    ] {
        let a = analytics(&app, query).await;
        assert_eq!(a["period"], period, "{query}");
    }
    let all = analytics(&app, "?from=1970-01-01T00:00:00Z").await;
    assert_eq!(all["claims_count"], 1);
    let rows = all["claims_per_day"].as_array().expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(rows[0]["date"].as_str().is_some_and(|d| d.ends_with("-01")), "month start: {}", rows[0]["date"]);
}

#[tokio::test]
async fn net_figures_leave_refunded_codes_out_and_split_by_channel() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.enable_program("pos", "100", 100, 10_000).await;
    app.grant("1", 5_000).await;
    let a = app.claim_ok("1", 1_000).await;
    app.claim_ok("1", 400).await;
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    let key = uuid::Uuid::new_v4().to_string();
    let res = app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "1", "points": 200})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let refund = format!("/api/v1/claims/{}/refund", a["id"].as_str().expect("id"));
    assert!(app.post(&refund, &app.customer("1"), None, &json!({})).await.status().is_success());
    let r = analytics(&app, "").await;
    assert_eq!(r["claims_count"], 3);
    assert_eq!(r["points_redeemed"], 1_600);
    assert_eq!(r["net_claims_count"], 2);
    assert_eq!(r["net_points_redeemed"], 600);
    assert_eq!(r["average_points_per_net_claim"], 300.0);
    assert_eq!(r["refunded"], json!({"count": 1, "points": 1_000}));
    assert_eq!(r["by_channel"], json!({"online": {"count": 1, "points": 400}, "pos": {"count": 1, "points": 200}}));
}

async fn name(app: &TestApp, id: &str, display: &str, email: &str) {
    let (id, display, email) = (id.to_string(), display.to_string(), email.to_string());
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            diesel::update(customers::table.find((SHOP, id)))
                .set((customers::display_name.eq(display), customers::email.eq(email)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("update");
}

async fn ids(app: &TestApp, path: &str, token: &str) -> Vec<String> {
    let (status, body) = status_json(app.get(path, token).await).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body["customers"]
        .as_array()
        .expect("customers")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or("").to_string())
        .collect()
}

#[tokio::test]
async fn customers_are_found_by_name_or_email_ignoring_case() {
    let app = TestApp::spawn().await;
    for id in ["11", "12", "13"] {
        app.grant(id, 100).await;
    }
    name(&app, "11", "Ada Lovelace", "ada@example.com").await;
    name(&app, "12", "Grace Hopper", "grace@navy.example").await;
    let admin = app.admin();
    // Prefixes of the whole name or the e-mail (issue 30: indexed prefix search, not substrings).
    assert_eq!(ids(&app, "/api/v1/admin/customers?query=ada%20LOVE", &admin).await, ["11"]);
    assert_eq!(ids(&app, "/api/v1/admin/customers?query=GRACE@NAVY", &admin).await, ["12"]);
    assert_eq!(ids(&app, "/api/v1/admin/customers?query=1", &admin).await, ["11", "12", "13"]);
    assert_eq!(ids(&app, "/api/v1/admin/customers?query=%25", &admin).await, Vec::<String>::new());
    let pos = app.token(loyalty_wallet::auth::Role::Pos, "clerk");
    assert_eq!(ids(&app, "/api/v1/pos/customers?query=grace", &pos).await, ["12"]);
    assert!(ids(&app, "/api/v1/pos/customers?query=", &pos).await.is_empty(), "an empty search lists no one");
    assert!(ids(&app, "/api/v1/pos/customers", &pos).await.is_empty());
}

#[tokio::test]
async fn the_wallet_tells_the_shopper_the_rules_and_the_earn_rate() {
    let app = TestApp::spawn().await;
    let body = json!({
        "enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 1000, "purchase_type": "both",
        "subscription": {"applies_to": "recurring", "cycles": 3}, "eligibility": {"kind": "all", "ids": []},
        "combines_with": {"order": false, "product": true, "shipping": true}, "code_prefix": null, "code_lifetime_hours": 48,
    });
    assert_eq!(app.put("/api/v1/admin/programs/online", &app.admin(), &body).await.status(), StatusCode::OK);
    let shop = json!({"currency": "USD", "earn_points_per_unit": "2"});
    assert_eq!(app.put("/api/v1/admin/shop", &app.admin(), &shop).await.status(), StatusCode::OK);
    let (status, w) = status_json(app.get("/api/v1/wallet", &app.customer("5")).await).await;
    assert_eq!(status, StatusCode::OK, "{w}");
    assert_eq!(w["earn_points_per_unit"], "2");
    assert_eq!(w["program"]["code_lifetime_hours"], 48);
    assert_eq!(w["program"]["subscription"], json!({"applies_to": "recurring", "cycles": 3}));
    assert_eq!(w["program"]["combines_with"], json!({"order": false, "product": true, "shipping": true}));
}

#[tokio::test]
async fn the_shop_locale_is_a_setting_the_wallet_carries() {
    let app = TestApp::spawn().await;
    let (status, shop) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!((status, &shop["locale"]), (StatusCode::OK, &json!("en-US")));
    let body = json!({"currency": "EUR", "earn_points_per_unit": "1", "locale": "de_de"});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    assert_eq!(shop["locale"], "de-DE");
    let kept = json!({"currency": "EUR", "earn_points_per_unit": "1"});
    let (_, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &kept).await).await;
    assert_eq!(shop["locale"], "de-DE", "omitted keeps it");
    let (_, w) = status_json(app.get("/api/v1/wallet", &app.customer("9")).await).await;
    assert_eq!(w["locale"], "de-DE");
    for bad in ["german", "de-DEU", "", "d1"] {
        let body = json!({"currency": "EUR", "earn_points_per_unit": "1", "locale": bad});
        let err = expect_error(
            app.put("/api/v1/admin/shop", &app.admin(), &body).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        )
        .await;
        assert!(err["error"]["details"]["fields"]["locale"].is_string(), "{bad}: {err}");
    }
}
