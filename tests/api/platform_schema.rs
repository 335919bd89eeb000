//! Every GraphQL operation the connector has, sent by the real service
//! through the double, which checks each request against Shopify's
//! published Admin schema of the version in its path: webhook subscriptions
//! at install, claims of each purchase type and subscription option, offers
//! of each kind, a segment eligibility check and the segment list, deletes
//! (a refund, an expiry) and lookups (the reconciliation). No violation and
//! no deprecated input, on the current version and on the oldest supported.

use crate::campaigns::create;
use crate::events::{event_ok, offers_of, run_worker};
use crate::helpers::*;
use crate::install::{Store, APP_URL, TOPICS};
use crate::offer_webhooks::id;
use crate::platform::{base_program, claim_settles, claim_with, eventually, fast, platform_handle, program, TOKEN};
use crate::shopify_double::{DoubleConfig, SchemaChecks, ShopifyDouble};
use loyalty_wallet::platform::shopify::version::{support, Support, CURRENT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

/// The connector's operations, as the double labels them.
const OPERATIONS: [&str; 7] = [
    "mutation discountCodeBasicCreate",
    "mutation discountCodeDelete",
    "mutation discountCodeFreeShippingCreate",
    "mutation webhookSubscriptionCreate",
    "query codeDiscountNodeByCode",
    "query customerSegmentMembership",
    "query segments",
];

/// The service installed on a fresh double, on Admin API `version`.
async fn installed_on(version: &str) -> Store {
    ShopifyDouble::preload(version).await;
    let double = ShopifyDouble::start(DoubleConfig {
        access_token: TOKEN.into(),
        client_id: CLIENT_ID.into(),
        client_secret: SECRET.into(),
        shop: SHOP.into(),
        ..DoubleConfig::default()
    })
    .await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    settings.platform.shopify_base_url = Some(double.base_url.clone());
    settings.platform.api_version = version.into();
    settings.install.app_url = APP_URL.into();
    let app = TestApp::spawn_with(settings, dir).await;
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let store = Store { app, double, browser };
    assert_eq!(store.install().await.status(), StatusCode::FOUND, "installed");
    assert_eq!(store.double.subscriptions().len(), TOPICS.len(), "every topic subscribed");
    store
}

/// One active claim under each purchase type and subscription option.
async fn claims(app: &TestApp) -> Vec<String> {
    let subscription = |option: Value| json!({"purchase_type": "subscription", "subscription": option});
    let both = json!({"purchase_type": "both", "subscription": {"applies_to": "recurring", "cycles": 2}});
    let cases = [
        (json!({"combines_with": {"order": true, "shipping": true}}), json!({})),
        (subscription(json!({"applies_to": "first_payment"})), json!({})),
        (subscription(json!({"applies_to": "recurring", "cycles": 3})), json!({})),
        (subscription(json!({"applies_to": "all_payments"})), json!({})),
        (both.clone(), json!({"purchase_type": "one_time"})),
        (both, json!({"purchase_type": "subscription"})),
    ];
    let mut made = Vec::new();
    for (i, (settings, claim)) in cases.into_iter().enumerate() {
        let mut body = base_program();
        body.as_object_mut().expect("object").extend(settings.as_object().expect("object").clone());
        program(app, body).await;
        let customer = format!("{}", 101 + i);
        app.grant(&customer, 1_000).await;
        let mut claim = claim;
        claim["points"] = json!(500);
        made.push(active(app, &customer, claim).await);
    }
    made
}

async fn active(app: &TestApp, customer: &str, claim: Value) -> String {
    let (status, answer) = claim_with(app, customer, claim).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let id = answer["id"].as_str().expect("id").to_string();
    claim_settles(app, &id, &["active"], Duration::from_secs(10)).await;
    id
}

/// A claim under segment eligibility, and the admin's segment list.
async fn segments(store: &Store) {
    let (app, double) = (&store.app, &store.double);
    double.set_segment_members("gid://shopify/Segment/42", &["gid://shopify/Customer/120"]);
    double.name_segment("gid://shopify/Segment/42", "VIP buyers");
    let mut body = base_program();
    body["eligibility"] = json!({"kind": "segments", "ids": ["42"]});
    program(app, body).await;
    app.grant("120", 1_000).await;
    active(app, "120", json!({"points": 200})).await;
    let (status, listed) = status_json(app.get("/api/v1/admin/segments", &app.admin()).await).await;
    assert_eq!((status, &listed["segments"][0]["name"]), (StatusCode::OK, &json!("VIP buyers")), "{listed}");
}

/// A fixed amount, a percentage and a free shipping offer, all active.
async fn offers(app: &TestApp) -> String {
    let kinds = [
        json!({"kind": "fixed_amount", "value": "10.00"}),
        json!({"kind": "percentage", "value": "15", "min_subtotal": "40.00"}),
        json!({"kind": "free_shipping", "max_shipping": "8.00"}),
    ];
    let mut campaigns = Vec::new();
    for (i, discount) in kinds.into_iter().enumerate() {
        let event = format!("go-{i}");
        let body = json!({"name": format!("offer {i}"), "enabled": true, "trigger": {"kind": "custom", "event": event},
            "discount": discount, "code": {"template": "{RANDOM}", "random_length": 10}, "expires_after_hours": 48,
            "limits": {"max_outstanding_value": "1000.00", "assumed_value": "5.00"}});
        campaigns.push(id(&create(app, &body).await));
        event_ok(app, &json!({"customer_id": "130", "kind": "custom", "name": event})).await;
    }
    run_worker(app, 0).await;
    for campaign in &campaigns {
        eventually("the offer active", Duration::from_secs(10), || async {
            offers_of(app, campaign).await.iter().any(|o| o["status"] == "active").then_some(())
        })
        .await;
    }
    campaigns.remove(0)
}

/// Every operation on `version`; the double's figures.
async fn every_operation_on(version: &str) -> SchemaChecks {
    let store = installed_on(version).await;
    let (app, double) = (&store.app, &store.double);
    let claims = claims(app).await;
    segments(&store).await;
    offers(app).await;
    // Deletes: a refunded claim's code, then the offers' codes on expiry.
    let path = format!("/api/v1/claims/{}/refund", claims[0]);
    let refunded = app.post(&path, &app.customer("101"), None, &json!({})).await;
    assert!(refunded.status().is_success(), "{}", refunded.status());
    claim_settles(app, &claims[0], &["refunded"], Duration::from_secs(10)).await;
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::hours(49);
    let expire = loyalty_wallet::platform::issuer::expire_offers_once(&app.store, later, chrono::Duration::zero());
    assert_eq!(expire.await.expect("expire"), 3);
    eventually("the expired codes deleted", Duration::from_secs(10), || async {
        (double.stats().deletes >= 4).then_some(())
    })
    .await;
    // Lookups: the reconciliation looks every active claim's code up.
    let report = loyalty_wallet::platform::sweeper::reconcile(&platform_handle(app)).await.expect("reconcile");
    assert_eq!(report.errors, 0, "{report:?}");
    assert!(double.stats().lookups >= 1, "{:?}", double.stats());

    let checks = double.schema_checks();
    assert_eq!(double.violations().len(), 0, "{:#?}", double.violations());
    assert_eq!((checks.violations, checks.deprecated), (0, 0));
    assert_eq!(checks.operations.keys().map(String::as_str).collect::<Vec<_>>(), OPERATIONS, "{checks:?}");
    assert_eq!(checks.versions.keys().collect::<Vec<_>>(), [version], "answered as {version}");
    let (package, _, parsed) = ShopifyDouble::published_schemas();
    println!(
        "schema checks on {version} ({package}): {} requests, {} of {} operations, 0 violations, 0 deprecated: {:?}; parse times {parsed:?}",
        checks.requests,
        checks.operations.len(),
        OPERATIONS.len(),
        checks.operations
    );
    checks
}

/// The oldest version in the package that Shopify supports today.
fn oldest_supported() -> String {
    let today = chrono::Utc::now().date_naive();
    let (_, versions, _) = ShopifyDouble::published_schemas();
    let supported = versions.into_iter().find(|v| matches!(support(v, today), Ok(Support::Supported { .. })));
    supported.expect("a supported version in the package")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connector_operation_holds_against_the_current_published_schema() {
    let checks = every_operation_on(CURRENT).await;
    assert!(checks.requests >= 25, "{checks:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_connector_operation_holds_against_the_oldest_supported_schema() {
    let oldest = oldest_supported();
    assert_ne!(oldest, CURRENT, "the package holds older supported versions");
    every_operation_on(&oldest).await;
}
