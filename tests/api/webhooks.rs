//! The platform's webhooks: HMAC over the raw
//! body, every topic delivered three times with one effect, nothing stored
//! for a bad signature.

use crate::helpers::*;
use crate::platform::{active_claim, base_program, claim_row, deliver, deliver_signed, order, program, rig, sign, Rig};
use diesel::prelude::*;
use futures_util::future::join_all;
use loyalty_wallet::store::schema::{customers, data_requests, order_earnings, webhook_events};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn events(app: &TestApp) -> Vec<(String, String, String)> {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(webhook_events::table
                .filter(webhook_events::shop_id.eq(SHOP))
                .select((webhook_events::event_id, webhook_events::topic, webhook_events::outcome))
                .load::<(String, String, String)>(conn)?)
        })
        .await
        .expect("events")
}

async fn data_request_count(app: &TestApp) -> i64 {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(data_requests::table.filter(data_requests::shop_id.eq(SHOP)).count().get_result::<i64>(conn)?)
        })
        .await
        .expect("data requests")
}

async fn earning(app: &TestApp, order_id: &str) -> Option<(i64, i64, i64)> {
    let order_id = order_id.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(order_earnings::table
                .find((SHOP, order_id))
                .select((
                    order_earnings::points_earned,
                    order_earnings::points_reversed,
                    order_earnings::points_unrecovered,
                ))
                .first::<(i64, i64, i64)>(conn)
                .optional()?)
        })
        .await
        .expect("earning")
}

async fn customer_email(app: &TestApp, customer: &str) -> (Option<String>, bool) {
    let customer = customer.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(customers::table
                .find((SHOP, customer))
                .select((customers::email, customers::redacted_at.is_not_null()))
                .first::<(Option<String>, bool)>(conn)?)
        })
        .await
        .expect("customer")
}

/// Delivers the same event three times (new webhook id each time, same
/// event id); returns the receipts.
/// Rows still holding the customer's name, e-mail or birthday (facts, events).
async fn campaign_facts(app: &TestApp, customer: &str) -> i64 {
    use loyalty_wallet::store::schema::{campaign_events, customer_facts};
    let customer = customer.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            let facts: i64 = customer_facts::table
                .filter(customer_facts::customer_id.eq(&customer))
                .filter(customer_facts::first_name.is_not_null().or(customer_facts::email.is_not_null()))
                .count()
                .get_result(conn)?;
            let events: i64 = campaign_events::table
                .filter(campaign_events::customer_id.eq(&customer))
                .filter(campaign_events::data.like("%ada@example.com%"))
                .count()
                .get_result(conn)?;
            Ok(facts + events)
        })
        .await
        .expect("facts")
}

async fn thrice(app: &TestApp, topic: &str, event_id: &str, body: &Value) -> Vec<Value> {
    let mut receipts = Vec::new();
    for _ in 0..3 {
        let (status, receipt) = status_json(deliver(app, topic, event_id, body).await).await;
        assert_eq!(status, StatusCode::OK, "{topic}: {receipt}");
        receipts.push(receipt);
    }
    assert_ne!(receipts[0]["status"], "duplicate", "{topic}: first delivery takes effect: {receipts:?}");
    for receipt in &receipts[1..] {
        assert_eq!(receipt["status"], "duplicate", "{topic}: redelivery: {receipt}");
    }
    receipts
}

fn kinds(entries: &[loyalty_wallet::store::customers::EntryRow], kind: &str) -> Vec<i64> {
    entries.iter().filter(|e| e.kind.as_str() == kind).map(|e| e.delta).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_topic_delivered_three_times_takes_effect_once() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 2_000).await;

    // orders/create: the code becomes used, nothing earned.
    let first = active_claim(&app, "1", 500).await;
    let code = first["code"].as_str().expect("code");
    let receipts = thrice(&app, "orders/create", "evt-create-1", &order(5001, 1, "45.00", &[(code, "5.00")])).await;
    assert_eq!(receipts[0]["status"], "processed");
    let row = claim_row(&app, first["id"].as_str().expect("id")).await;
    assert_eq!((row.status.as_str(), row.order_id.as_deref()), ("used", Some("5001")));
    assert_eq!(row.order_subtotal_minor, Some(4_500), "order amount kept for analytics");
    assert!(row.flag.is_none());
    assert_eq!(app.balance("1").await, 1_500);

    // orders/paid: earned once at the shop's rate (1 point per unit).
    thrice(&app, "orders/paid", "evt-paid-1", &order(5001, 1, "45.00", &[(code, "5.00")])).await;
    assert_eq!(app.balance("1").await, 1_545);
    assert_eq!(kinds(&app.entries("1").await, "earn"), vec![45]);
    assert_eq!(customer_email(&app, "1").await.0.as_deref(), Some("customer1@example.com"));
    // The same order paid again under another event id still earns once.
    let (_, receipt) =
        status_json(deliver(&app, "orders/paid", "evt-paid-1b", &order(5001, 1, "45.00", &[])).await).await;
    assert_eq!(receipt["status"], "processed");
    assert_eq!(kinds(&app.entries("1").await, "earn"), vec![45], "once per order");

    // refunds/create: a third of the order refunded reverses a third of the points.
    let refund = json!({"id": 77, "order_id": 5001, "created_at": "2025-06-01T12:00:00Z", "note": null,
        "refund_line_items": [{"id": 1, "line_item_id": 1, "quantity": 1, "subtotal": "15.00", "total_tax": "0.00"}],
        "transactions": [{"id": 9, "kind": "refund", "status": "success", "amount": "15.00", "currency": "USD"}]});
    thrice(&app, "refunds/create", "evt-refund-1", &refund).await;
    assert_eq!(earning(&app, "5001").await, Some((45, 15, 0)));
    assert_eq!(app.balance("1").await, 1_530);

    // discounts/delete: the merchant deletes an unused code in the admin.
    let second = active_claim(&app, "1", 300).await;
    let second_id = second["id"].as_str().expect("id");
    let node = double.delete_out_of_band(second["code"].as_str().expect("code")).expect("live at the double");
    let deleted = json!({"admin_graphql_api_id": node, "title": "Dynamic discount — 300 points", "status": "ACTIVE",
                         "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:05:00Z"});
    thrice(&app, "discounts/delete", "evt-delete-1", &deleted).await;
    assert_eq!(claim_row(&app, second_id).await.status.as_str(), "refunded");
    assert_eq!(app.balance("1").await, 1_530, "300 debited then 300 credited once");
    assert_eq!(kinds(&app.entries("1").await, "refund"), vec![300]);

    // customers/data_request: recorded once.
    let request = json!({"shop_id": 954889, "shop_domain": SHOP, "orders_requested": [5001],
                         "customer": {"id": 1, "email": "customer1@example.com", "phone": "555-625-1199"},
                         "data_request": {"id": 9999}});
    thrice(&app, "customers/data_request", "evt-data-1", &request).await;
    assert_eq!(data_request_count(&app).await, 1);
    // ...and exportable by the merchant, with the customer's data.
    let (status, listed) = status_json(app.get("/api/v1/admin/data-requests", &app.admin()).await).await;
    assert_eq!(status, 200, "{listed}");
    let requests = listed["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 1, "{listed}");
    assert_eq!(requests[0]["customer_id"], "1");
    assert_eq!(requests[0]["orders_requested"], json!([5001]));
    assert_eq!(requests[0]["export"]["wallet"]["points_balance"], app.balance("1").await);
    assert_eq!(
        requests[0]["export"]["entries"].as_array().map(Vec::len),
        Some(app.entries("1").await.len()),
        "the whole ledger is exported"
    );

    // customers/redact: personal data erased, sums intact (campaign facts too).
    let facts = json!({"customer_id": "1", "kind": "customer",
                       "data": {"first_name": "Ada", "email": "ada@example.com", "birthday": "12-10"}});
    let posted = app.post("/api/v1/admin/events", &app.admin(), Some("facts-1"), &facts).await;
    assert_eq!(posted.status(), StatusCode::ACCEPTED);
    assert_eq!(campaign_facts(&app, "1").await, 1, "facts kept before the redaction");
    let before = assert_wallet_invariants(&app, SHOP, "1").await;
    let redact = json!({"shop_id": 954889, "shop_domain": SHOP,
                        "customer": {"id": 1, "email": "customer1@example.com", "phone": "555-625-1199"},
                        "orders_to_redact": [5001]});
    thrice(&app, "customers/redact", "evt-redact-1", &redact).await;
    assert_eq!(customer_email(&app, "1").await, (None, true));
    assert_eq!(campaign_facts(&app, "1").await, 0, "no name, e-mail or birthday left in facts or events");
    assert_eq!(assert_wallet_invariants(&app, SHOP, "1").await, before);

    // Unknown topics: 200, recorded, ignored.
    let receipts = thrice(&app, "products/update", "evt-product-1", &json!({"id": 1, "title": "Tea"})).await;
    assert_eq!(receipts[0]["status"], "ignored");

    // app/uninstalled: the connector is disabled.
    let shop = json!({"id": 690933842, "name": "Test shop", "domain": SHOP, "myshopify_domain": SHOP});
    thrice(&app, "app/uninstalled", "evt-uninstalled-1", &shop).await;
    let (_, view) = status_json(app.get("/api/v1/admin/shop", &app.admin()).await).await;
    assert_eq!(view["platform"]["enabled"], false, "{view}");

    // shop/redact, 48 h later.
    thrice(&app, "shop/redact", "evt-shop-redact-1", &json!({"shop_id": 954889, "shop_domain": SHOP})).await;
    assert_eq!(data_request_count(&app).await, 0, "the shop's personal data is gone");
    assert_eq!(assert_wallet_invariants(&app, SHOP, "1").await, before);

    let recorded = events(&app).await;
    assert_eq!(recorded.len(), 10, "one record per event: {recorded:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_duplicate_deliveries_take_effect_once() {
    let Rig { app, double: _double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 200).await;
    let body = order(6001, 1, "80.00", &[(claim["code"].as_str().expect("code"), "2.00")]);
    let answers = join_all((0..6).map(|_| deliver(&app, "orders/paid", "evt-burst", &body))).await;
    let mut processed = 0;
    for answer in answers {
        let (status, receipt) = status_json(answer).await;
        assert_eq!(status, StatusCode::OK, "{receipt}");
        processed += usize::from(receipt["status"] == "processed");
    }
    assert_eq!(processed, 1);
    assert_eq!(kinds(&app.entries("1").await, "earn"), vec![80]);
    assert_eq!(claim_row(&app, claim["id"].as_str().expect("id")).await.status.as_str(), "used");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_used_by_another_customer_is_flagged() {
    let Rig { app, double: _double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 200).await;
    let body = order(7001, 2, "30.00", &[(claim["code"].as_str().expect("code"), "2.00")]);
    thrice(&app, "orders/create", "evt-other", &body).await;
    let row = claim_row(&app, claim["id"].as_str().expect("id")).await;
    assert_eq!(row.status.as_str(), "used");
    assert!(row.flag.as_deref().is_some_and(|f| f.contains("another customer")), "{:?}", row.flag);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_401_and_stores_nothing() {
    let Rig { app, double: _double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 200).await;
    let body = order(8001, 1, "50.00", &[(claim["code"].as_str().expect("code"), "2.00")]);
    let raw = serde_json::to_vec(&body).expect("raw");
    let mut tampered = raw.clone();
    let at = tampered.iter().position(|b| *b == b'5').expect("a digit");
    tampered[at] = b'9';
    let cases: Vec<(&str, Vec<u8>, Option<String>)> = vec![
        ("missing", raw.clone(), None),
        ("empty", raw.clone(), Some(String::new())),
        ("not base64", raw.clone(), Some("not base64 at all!".into())),
        ("other secret", raw.clone(), Some(sign(b"another-secret-that-is-long-enough-too", &raw))),
        ("tampered body", tampered, Some(sign(SECRET.as_bytes(), &raw))),
        (
            "hex instead of base64",
            raw.clone(),
            Some(hex::encode(
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, sign(SECRET.as_bytes(), &raw))
                    .expect("b64"),
            )),
        ),
    ];
    for (name, raw, signature) in cases {
        let answer = deliver_signed(&app, "orders/paid", &format!("evt-bad-{name}"), raw, signature.as_deref()).await;
        let (status, error) = status_json(answer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {error}");
        assert_eq!(error["error"]["code"], "unauthorized", "{name}: {error}");
    }
    assert!(events(&app).await.is_empty(), "nothing recorded");
    assert_eq!(claim_row(&app, claim["id"].as_str().expect("id")).await.status.as_str(), "active");
    assert!(kinds(&app.entries("1").await, "earn").is_empty());
    assert_eq!(earning(&app, "8001").await, None);

    // The right signature over the same bytes is accepted, once.
    let receipts = thrice(&app, "orders/paid", "evt-good", &body).await;
    assert_eq!(receipts[0]["status"], "processed");
    assert_eq!(kinds(&app.entries("1").await, "earn"), vec![50]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_are_verified_over_the_raw_bytes_and_may_be_large() {
    let Rig { app, double: _double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 200).await;
    // Pretty-printed, with the code in lower case as a shopper may type it,
    // and many lines: well past the API's 64 KiB body limit.
    let mut body = order(8101, 1, "120.00", &[(&claim["code"].as_str().expect("code").to_lowercase(), "2.00")]);
    let line = body["line_items"][0].clone();
    body["line_items"] = Value::Array(
        (0..800)
            .map(|i| {
                let mut l = line.clone();
                l["id"] = json!(i);
                l["title"] =
                    json!(format!("Loose leaf tea, tin number {i}, with a long description to pad the payload"));
                l
            })
            .collect(),
    );
    let raw = serde_json::to_vec_pretty(&body).expect("raw");
    assert!(raw.len() > 128 * 1024, "{} bytes", raw.len());
    let signature = sign(SECRET.as_bytes(), &raw);
    let (status, receipt) =
        status_json(deliver_signed(&app, "orders/paid", "evt-large", raw, Some(&signature)).await).await;
    assert_eq!(status, StatusCode::OK, "{receipt}");
    assert_eq!(receipt["status"], "processed");
    let row = claim_row(&app, claim["id"].as_str().expect("id")).await;
    assert_eq!(row.status.as_str(), "used", "the code matched whatever its case");
    assert_eq!(kinds(&app.entries("1").await, "earn"), vec![120]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_never_take_the_balance_below_zero_and_deleting_a_used_code_refunds_nothing() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 100).await;
    let claim = active_claim(&app, "1", 100).await;
    let code = claim["code"].as_str().expect("code");
    thrice(&app, "orders/paid", "evt-paid-9", &order(9501, 1, "300.00", &[(code, "1.00")])).await;
    assert_eq!(app.balance("1").await, 300);
    // The shopper spends most of the earned points at once.
    active_claim(&app, "1", 250).await;
    assert_eq!(app.balance("1").await, 50);
    let refund = json!({"id": 78, "order_id": 9501,
        "refund_line_items": [{"id": 1, "line_item_id": 1, "quantity": 1, "subtotal": "300.00"}],
        "transactions": [{"kind": "refund", "status": "success", "amount": "300.00"}]});
    thrice(&app, "refunds/create", "evt-refund-9", &refund).await;
    assert_eq!(app.balance("1").await, 0, "never below zero");
    assert_eq!(earning(&app, "9501").await, Some((300, 50, 250)), "what could not be reversed is recorded");

    // The merchant deletes the used code afterwards: nothing comes back.
    let node = double.delete_out_of_band(code).expect("still live at the double");
    thrice(&app, "discounts/delete", "evt-delete-9", &json!({"admin_graphql_api_id": node})).await;
    assert_eq!(claim_row(&app, claim["id"].as_str().expect("id")).await.status.as_str(), "used");
    assert_eq!(app.balance("1").await, 0);
    assert_wallet_invariants(&app, SHOP, "1").await;
}
