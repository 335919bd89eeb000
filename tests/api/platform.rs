//! The Shopify connector and the outbox relay end to end:
//! the real service against the local Shopify double, with faults.

use crate::helpers::*;
use crate::shopify_double::{DiscountRecord, DoubleConfig, Faults, ShopifyDouble};
use base64::Engine;
use diesel::prelude::*;
use futures_util::future::join_all;
use hmac::{Hmac, Mac};
use loyalty_wallet::config::Settings;
use loyalty_wallet::store::claims::ClaimRow;
use loyalty_wallet::store::schema::claims as claims_table;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

pub const TOKEN: &str = "shpat_platform_test_token";

/// The service and the double it talks to.
pub struct Rig {
    pub app: TestApp,
    pub double: ShopifyDouble,
}

/// Timings for fast tests (see src/platform/mod.rs).
pub fn fast(settings: &mut Settings) {
    let p = &mut settings.platform;
    p.relay_interval_ms = 50;
    p.retry_base_ms = 50;
    p.retry_max_ms = 500;
    p.request_timeout_ms = 500;
    p.connect_timeout_ms = 500;
    p.push_window_ms = 1_000;
}

pub async fn rig() -> Rig {
    rig_with(DoubleConfig::default(), |_| {}).await
}

/// A shop connected to a fresh double; `tweak` adjusts the fast settings.
pub async fn rig_with(config: DoubleConfig, tweak: impl FnOnce(&mut Settings)) -> Rig {
    let double = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..config }).await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    tweak(&mut settings);
    let app = TestApp::spawn_with(settings, dir).await;
    connect(&app, &double.base_url, TOKEN).await;
    Rig { app, double }
}

/// `PUT /api/v1/admin/shop` with the Shopify connector pointed at `base_url`.
pub async fn connect(app: &TestApp, base_url: &str, token: &str) {
    let body = json!({"currency": "USD", "earn_points_per_unit": "1", "platform": {
        "kind": "shopify", "access_token": token, "api_version": "2025-01", "base_url": base_url}});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "connect the shop: {shop}");
    assert_eq!(shop["platform"]["kind"], "shopify", "{shop}");
    assert_eq!(shop["platform"]["access_token_set"], true, "{shop}");
    assert!(!shop.to_string().contains(token), "the access token is never returned: {shop}");
}

/// Polls `check` until it gives a value, or panics after `limit`.
pub async fn eventually<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(started.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every claim of the shop, read from the store.
pub async fn all_claims(app: &TestApp) -> Vec<ClaimRow> {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(claims_table::table
                .filter(claims_table::shop_id.eq(SHOP))
                .select(ClaimRow::as_select())
                .load::<ClaimRow>(conn)?)
        })
        .await
        .expect("read claims")
}

pub async fn claim_row(app: &TestApp, id: &str) -> ClaimRow {
    let id = id.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::claims::find(conn, SHOP, &id)?)
        })
        .await
        .expect("read claim")
        .expect("claim exists")
}

pub async fn pending_outbox(app: &TestApp) -> i64 {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| Ok(loyalty_wallet::store::outbox::pending_count(conn)?))
        .await
        .expect("outbox count")
}

/// Waits until the claim is in one of `statuses`; returns its row.
pub async fn claim_settles(app: &TestApp, id: &str, statuses: &[&str], limit: Duration) -> ClaimRow {
    let last = std::sync::Mutex::new(String::new());
    let started = Instant::now();
    loop {
        let row = claim_row(app, id).await;
        if statuses.contains(&row.status.as_str()) {
            return row;
        }
        *last.lock().expect("lock") = format!("{} ({:?})", row.status, row.failure_reason);
        assert!(
            started.elapsed() < limit,
            "timed out after {limit:?} waiting for claim {id} to be one of {statuses:?}; it is {}",
            last.lock().expect("lock")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A claim that must succeed and reach the platform; returns its JSON.
pub async fn active_claim(app: &TestApp, customer: &str, points: i64) -> Value {
    let claim = app.claim_ok(customer, points).await;
    claim_settles(app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(10)).await;
    claim
}

/// Waits until no outbox work is pending.
pub async fn outbox_drains(app: &TestApp, limit: Duration) {
    eventually("the outbox to drain", limit, || async { (pending_outbox(app).await == 0).then_some(()) }).await;
}

/// Sets the online program.
pub async fn program(app: &TestApp, body: Value) {
    let (status, answer) = status_json(app.put_program("online", &body).await).await;
    assert_eq!(status, StatusCode::OK, "program {body}: {answer}");
}

pub fn base_program() -> Value {
    json!({"enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 10_000, "purchase_type": "one_time"})
}

pub async fn claim_with(app: &TestApp, customer: &str, body: Value) -> (StatusCode, Value) {
    let key = uuid::Uuid::new_v4().to_string();
    status_json(app.post("/api/v1/claims", &app.customer(customer), Some(&key), &body).await).await
}

/// Discounts at the double per code (case-insensitive), deleted ones included.
pub fn discounts_by_code(double: &ShopifyDouble) -> HashMap<String, Vec<DiscountRecord>> {
    let mut by_code: HashMap<String, Vec<DiscountRecord>> = HashMap::new();
    for discount in double.discounts() {
        by_code.entry(discount.code.to_lowercase()).or_default().push(discount);
    }
    by_code
}

pub fn assert_no_duplicates(double: &ShopifyDouble) {
    for (code, discounts) in discounts_by_code(double) {
        assert_eq!(discounts.len(), 1, "one discount for code {code}: {discounts:?}");
    }
}

/// A webhook as the platform sends it: HMAC over the raw body.
pub async fn deliver(app: &TestApp, topic: &str, event_id: &str, body: &Value) -> Response {
    let raw = serde_json::to_vec(body).expect("body");
    let signature = sign(SECRET.as_bytes(), &raw);
    deliver_signed(app, topic, event_id, raw, Some(&signature)).await
}

pub fn sign(secret: &[u8], raw: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("key");
    mac.update(raw);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

pub async fn deliver_signed(
    app: &TestApp,
    topic: &str,
    event_id: &str,
    raw: Vec<u8>,
    signature: Option<&str>,
) -> Response {
    let webhook_id = uuid::Uuid::new_v4().to_string();
    let mut headers = vec![
        ("Content-Type", "application/json"),
        ("X-Shopify-Topic", topic),
        ("X-Shopify-Shop-Domain", SHOP),
        ("X-Shopify-API-Version", "2025-01"),
        ("X-Shopify-Webhook-Id", webhook_id.as_str()),
        ("X-Shopify-Event-Id", event_id),
        ("X-Shopify-Triggered-At", "2025-06-01T12:00:00.000000Z"),
    ];
    if let Some(signature) = signature {
        headers.push(("X-Shopify-Hmac-Sha256", signature));
    }
    app.send_raw(reqwest::Method::POST, "/webhooks/shopify", None, &headers, Some(raw)).await
}

/// An order as `orders/create` / `orders/paid` carry it.
pub fn order(order_id: u64, customer: u64, subtotal: &str, codes: &[(&str, &str)]) -> Value {
    let discount_codes: Vec<Value> =
        codes.iter().map(|(code, amount)| json!({"code": code, "amount": amount, "type": "fixed_amount"})).collect();
    let discounts: f64 = codes.iter().map(|(_, a)| a.parse::<f64>().unwrap_or(0.0)).sum();
    json!({
        "id": order_id,
        "admin_graphql_api_id": format!("gid://shopify/Order/{order_id}"),
        "name": format!("#{order_id}"),
        "currency": "USD",
        "subtotal_price": subtotal,
        "total_price": subtotal,
        "total_discounts": format!("{discounts:.2}"),
        "financial_status": "paid",
        "customer": {"id": customer, "email": format!("customer{customer}@example.com"), "first_name": "Ada"},
        "discount_codes": discount_codes,
        "line_items": [{"id": 1, "title": "Tea", "price": subtotal, "quantity": 1,
                        "discount_allocations": codes.iter().map(|(_, a)| json!({"amount": a, "discount_application_index": 0})).collect::<Vec<_>>()}],
    })
}

fn parse_time(text: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text).expect("RFC 3339").with_timezone(&chrono::Utc)
}

// ---------------------------------------------------------------------------

struct Case {
    name: &'static str,
    program: Value,
    claim: Value,
    one_time: bool,
    subscription: bool,
    cycles: Option<i64>,
    combines: (bool, bool, bool),
}

fn cases() -> Vec<Case> {
    let with = |extra: Value| {
        let mut program = base_program();
        for (k, v) in extra.as_object().expect("object") {
            program[k] = v.clone();
        }
        program
    };
    vec![
        Case {
            name: "one-time, combines with order and shipping",
            program: with(json!({"combines_with": {"order": true, "product": false, "shipping": true}})),
            claim: json!({"points": 500}),
            one_time: true,
            subscription: false,
            cycles: None,
            combines: (true, false, true),
        },
        Case {
            name: "subscription, first payment",
            program: with(json!({"purchase_type": "subscription", "subscription": {"applies_to": "first_payment"}})),
            claim: json!({"points": 500}),
            one_time: false,
            subscription: true,
            cycles: Some(1),
            combines: (false, false, false),
        },
        Case {
            name: "subscription, 3 payments, combines with products",
            program: with(
                json!({"purchase_type": "subscription", "subscription": {"applies_to": "recurring", "cycles": 3},
                                 "combines_with": {"product": true}}),
            ),
            claim: json!({"points": 500, "purchase_type": "subscription"}),
            one_time: false,
            subscription: true,
            cycles: Some(3),
            combines: (false, true, false),
        },
        Case {
            name: "subscription, all payments",
            program: with(json!({"purchase_type": "subscription", "subscription": {"applies_to": "all_payments"},
                                 "combines_with": {"order": true, "product": true, "shipping": true}})),
            claim: json!({"points": 500}),
            one_time: false,
            subscription: true,
            cycles: Some(0),
            combines: (true, true, true),
        },
        Case {
            name: "both, claimed for a one-time purchase",
            program: with(json!({"purchase_type": "both", "subscription": {"applies_to": "recurring", "cycles": 2}})),
            claim: json!({"points": 500, "purchase_type": "one_time"}),
            one_time: true,
            subscription: false,
            cycles: None,
            combines: (false, false, false),
        },
        Case {
            name: "both, claimed for a subscription",
            program: with(json!({"purchase_type": "both", "subscription": {"applies_to": "recurring", "cycles": 2},
                                 "combines_with": {"shipping": true}})),
            claim: json!({"points": 500, "purchase_type": "subscription"}),
            one_time: false,
            subscription: true,
            cycles: Some(2),
            combines: (false, false, true),
        },
        Case {
            name: "one-time with a 24 h lifetime",
            program: with(json!({"code_lifetime_hours": 24})),
            claim: json!({"points": 750}),
            one_time: true,
            subscription: false,
            cycles: None,
            combines: (false, false, false),
        },
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_creates_the_discount_with_every_program_setting() {
    let Rig { app, double } = rig().await;
    app.grant("1", 10_000).await;
    for (i, case) in cases().into_iter().enumerate() {
        program(&app, case.program.clone()).await;
        let (status, claim) = claim_with(&app, "1", case.claim.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{}: {claim}", case.name);
        let code = claim["code"].as_str().expect("code");
        claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(10)).await;
        let record = double.find_code(code).unwrap_or_else(|| panic!("{}: {code} at the double", case.name));
        assert_eq!(double.discounts().len(), i + 1, "{}: one discount per claim", case.name);
        assert_eq!(record.code, code, "{}", case.name);
        assert!(record.title.contains("Dynamic"), "{}: title {:?}", case.name, record.title);
        assert_eq!(record.amount, claim["value"].as_str().expect("value"), "{}", case.name);
        assert_eq!(record.customer_ids, vec!["gid://shopify/Customer/1".to_string()], "{}", case.name);
        assert_eq!(record.applies_on_one_time_purchase, case.one_time, "{}: appliesOnOneTimePurchase", case.name);
        assert_eq!(record.applies_on_subscription, case.subscription, "{}: appliesOnSubscription", case.name);
        assert_eq!(record.recurring_cycle_limit, case.cycles, "{}: recurringCycleLimit", case.name);
        assert_eq!(record.usage_limit, Some(1), "{}: usageLimit", case.name);
        assert!(record.applies_once_per_customer, "{}: appliesOncePerCustomer", case.name);
        assert_eq!(record.combines_with, case.combines, "{}: combinesWith", case.name);
        let starts = parse_time(record.starts_at.as_deref().expect("startsAt"));
        let created = parse_time(claim["created_at"].as_str().expect("created_at"));
        assert!((starts - created).num_seconds().abs() <= 1, "{}: startsAt {starts} vs {created}", case.name);
        match claim["expires_at"].as_str() {
            Some(expires) => {
                let ends = parse_time(record.ends_at.as_deref().expect("endsAt set when the code expires"));
                assert!(
                    (ends - parse_time(expires)).num_seconds().abs() <= 1,
                    "{}: endsAt {ends} vs {expires}",
                    case.name
                );
                assert!((parse_time(expires) - created).num_hours() == 24, "{}", case.name);
            }
            None => assert_eq!(record.ends_at, None, "{}: no endsAt without a lifetime", case.name),
        }
        assert!(!record.deleted);
        let row = claim_row(&app, claim["id"].as_str().expect("id")).await;
        assert_eq!(row.platform_id.as_deref(), Some(record.id.as_str()), "{}: node id stored", case.name);
    }
    let stats = double.stats();
    assert_eq!(stats.creates, 7);
    assert_eq!(stats.throttled, 0);
    assert_eq!(stats.taken, 0);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_pushed_within_the_window_is_answered_active() {
    // The platform answers at once, well within the 2 s window, so every
    // answer says `active`, whichever worker (the claim's own or the
    // background relay, polling every 10 ms here) did the push.
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| {
        s.platform.push_window_ms = 2_000;
        s.platform.relay_interval_ms = 10;
    })
    .await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;
    let mut pending = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..30 {
        let (status, claim) = claim_with(&app, "1", json!({"points": 100})).await;
        assert_eq!(status, StatusCode::CREATED, "{claim}");
        let id = claim["id"].as_str().expect("id").to_string();
        if claim["status"] != "active" {
            pending.push(claim["status"].as_str().unwrap_or("?").to_string());
        }
        claim_settles(&app, &id, &["active"], Duration::from_secs(5)).await;
        ids.push(id);
    }
    assert_eq!(double.discounts().len(), 30);
    // The same for refunds: the code is deleted at once, so the answer is 200 `refunded`.
    let mut not_refunded = Vec::new();
    for id in &ids {
        let path = format!("/api/v1/claims/{id}/refund");
        let (status, body) = status_json(app.post(&path, &app.customer("1"), None, &json!({})).await).await;
        if status != StatusCode::OK {
            not_refunded.push(format!("{status} {}", body["claim"]["status"]));
        }
    }
    assert!(pending.is_empty(), "{} of 30 claim answers were not active: {pending:?}", pending.len());
    assert!(not_refunded.is_empty(), "{} of 30 refund answers were not 200: {not_refunded:?}", not_refunded.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_made_while_the_platform_is_down_arrive_later_exactly_once() {
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 200).await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;
    double.set_faults(Faults { down: true, ..Faults::default() });
    let answers = join_all((0..10).map(|_| claim_with(&app, "1", json!({"points": 100})))).await;
    let mut ids = Vec::new();
    for (status, claim) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{claim}");
        assert_eq!(claim["status"], "pending", "the platform is down: {claim}");
        ids.push(claim["id"].as_str().expect("id").to_string());
    }
    // Down for a while: the relay keeps trying and nothing is created.
    let tried = double.stats().requests;
    eventually("the relay to retry while the platform is down", Duration::from_secs(5), || async {
        (double.stats().requests >= tried + 10).then_some(())
    })
    .await;
    assert!(double.discounts().is_empty());
    for id in &ids {
        assert_eq!(claim_row(&app, id).await.status.as_str(), "pending");
    }
    double.set_faults(Faults::default());
    for id in &ids {
        let row = claim_settles(&app, id, &["active"], Duration::from_secs(20)).await;
        let record = double.find_code(&row.code).expect("pushed");
        assert_eq!(row.platform_id.as_deref(), Some(record.id.as_str()));
    }
    outbox_drains(&app, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(double.discounts().len(), 10, "exactly once each");
    assert_no_duplicates(&double);
    assert_eq!(double.stats().creates, 10);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_request_failing_does_not_wedge_the_connector() {
    // The very first request to the shop times out (no throttle status is
    // learnt from it); later requests must still be sent.
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 200).await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    double.set_faults(Faults { slow_ms: 800, ..Faults::default() });
    let (_, claim) = claim_with(&app, "1", json!({"points": 100})).await;
    eventually("the first attempt", Duration::from_secs(5), || async { (double.stats().requests >= 1).then_some(()) })
        .await;
    double.set_faults(Faults::default());
    let row = claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(10)).await;
    assert!(double.find_code(&row.code).is_some());
    assert_no_duplicates(&double);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_claims_under_thirty_percent_faults_end_active_or_refunded_without_duplicates() {
    const CUSTOMERS: usize = 20;
    const PER_CUSTOMER: usize = 10;
    let config = DoubleConfig { restore_rate: 1_000.0, ..DoubleConfig::default() };
    let Rig { app, double } = rig_with(config, |s| {
        s.platform.push_window_ms = 200;
        s.platform.request_timeout_ms = 300;
    })
    .await;
    program(&app, base_program()).await;
    for c in 0..CUSTOMERS {
        app.grant(&format!("{}", 100 + c), 1_000).await;
    }
    // About 30 % of requests fault: 10 % answer 5xx before doing anything,
    // 10 % of the rest are answered past the client's timeout (after
    // applying), and 12 % of the mutations left are applied and then the
    // connection is dropped.
    let faults = Faults { error_rate: 0.10, drop_after_write_rate: 0.12, slow_ms: 600, ..Faults::default() };
    double.set_faults(faults.clone());
    double.set_slow_share(0.10);
    let mut answers = Vec::new();
    for batch in 0..(CUSTOMERS * PER_CUSTOMER / 8) {
        if batch % 8 == 4 {
            // Now and then a permanent refusal.
            double.set_faults(Faults { reject_next_create: Some("INVALID".into()), ..faults.clone() });
        }
        let requests = (0..8).map(|i| {
            let customer = format!("{}", 100 + (batch * 8 + i) % CUSTOMERS);
            let app = &app;
            async move { claim_with(app, &customer, json!({"points": 100})).await }
        });
        answers.extend(join_all(requests).await);
    }
    assert_eq!(answers.len(), CUSTOMERS * PER_CUSTOMER);
    for (status, claim) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{claim}");
    }
    // The faults stop; the relay finishes everything.
    double.set_faults(Faults::default());
    eventually("every claim to settle", Duration::from_secs(120), || async {
        let open = all_claims(&app)
            .await
            .iter()
            .filter(|c| c.status.as_str() == "pending" || c.status.as_str() == "refund_pending")
            .count();
        (open == 0).then_some(())
    })
    .await;
    outbox_drains(&app, Duration::from_secs(30)).await;

    let rows = all_claims(&app).await;
    assert_eq!(rows.len(), CUSTOMERS * PER_CUSTOMER);
    let by_code = discounts_by_code(&double);
    let mut failed = 0;
    for row in &rows {
        let at_double = by_code.get(&row.code.to_lowercase()).cloned().unwrap_or_default();
        assert!(at_double.len() <= 1, "duplicate discounts for {}: {at_double:?}", row.code);
        match row.status.as_str() {
            "active" => {
                assert_eq!(at_double.len(), 1, "active claim {} exists at the platform", row.code);
                assert!(!at_double[0].deleted);
                assert_eq!(row.platform_id.as_deref(), Some(at_double[0].id.as_str()));
            }
            "failed" => {
                failed += 1;
                assert!(row.failure_reason.is_some(), "failure reason recorded for {}", row.code);
                assert!(at_double.iter().all(|d| d.deleted), "a failed code is not live at the platform: {}", row.code);
            }
            other => panic!("claim {} ended {other}", row.code),
        }
    }
    for c in 0..CUSTOMERS {
        assert_wallet_invariants(&app, SHOP, &format!("{}", 100 + c)).await;
    }
    let stats = double.stats();
    // ~30 % of 200+ requests; the bound leaves room for chance (mean ≈ 60+).
    assert!(stats.faults_injected >= 30, "faults were injected: {stats:?}");
    // A permanent refusal can land on a request that also times out at the
    // client (a random fault): the retry then succeeds. So a zero here is
    // chance, not a bug; the per-claim checks above prove each ending.
    // (Permanent refusals are asserted deterministically in
    // `a_claim_never_pushed_before_the_deadline_fails_and_is_refunded`.)
    eprintln!("200 claims under faults: {failed} failed, double stats {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_refusal_fails_the_claim_and_refunds_it() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    double.set_faults(Faults { reject_next_create: Some("INVALID".into()), ..Faults::default() });
    let (status, claim) = claim_with(&app, "1", json!({"points": 300})).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let row = claim_settles(&app, claim["id"].as_str().expect("id"), &["failed"], Duration::from_secs(10)).await;
    assert!(row.failure_reason.is_some());
    assert_eq!(app.balance("1").await, 1_000, "points refunded");
    outbox_drains(&app, Duration::from_secs(5)).await;
    assert!(double.live_codes().is_empty());
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_never_pushed_before_the_deadline_fails_and_is_refunded() {
    // A wrong access token: every call is 401, the claim cannot be pushed.
    let double = ShopifyDouble::start(DoubleConfig { access_token: TOKEN.into(), ..DoubleConfig::default() }).await;
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    fast(&mut settings);
    settings.platform.push_window_ms = 200;
    settings.platform.push_deadline_secs = 2;
    let app = TestApp::spawn_with(settings, dir).await;
    connect(&app, &double.base_url, "shpat_revoked").await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let (_, claim) = claim_with(&app, "1", json!({"points": 200})).await;
    assert_eq!(claim["status"], "pending");
    let row = claim_settles(&app, claim["id"].as_str().expect("id"), &["failed"], Duration::from_secs(15)).await;
    assert!(row.failure_reason.as_deref().is_some_and(|r| r.contains("deadline")), "{:?}", row.failure_reason);
    assert_eq!(app.balance("1").await, 1_000);
    assert!(double.discounts().is_empty());
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_relay_paces_itself_from_the_throttle_status() {
    // A small bucket: 60 points, 10 per create, 100 points/s.
    let config = DoubleConfig { bucket_size: 60.0, restore_rate: 100.0, ..DoubleConfig::default() };
    let Rig { app, double } = rig_with(config, |s| s.platform.push_window_ms = 100).await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;
    // Learn the bucket first (one claim), then a burst of 40.
    claim_with(&app, "1", json!({"points": 100})).await;
    let answers = join_all((0..40).map(|_| claim_with(&app, "1", json!({"points": 100})))).await;
    for (_, claim) in &answers {
        claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(20)).await;
    }
    assert_eq!(double.discounts().len(), 41);
    assert_no_duplicates(&double);
    assert_eq!(double.stats().throttled, 0, "the relay does not send what it can see will be throttled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_answers_as_200_and_as_429_are_retried() {
    for as_429 in [false, true] {
        let config = DoubleConfig { bucket_size: 100.0, restore_rate: 20.0, ..DoubleConfig::default() };
        let Rig { app, double } = rig_with(config, |s| s.platform.push_window_ms = 100).await;
        program(&app, base_program()).await;
        app.grant("1", 10_000).await;
        double.set_faults(Faults { throttle_as_429: as_429, ..Faults::default() });
        // Another app on the same shop empties the bucket behind our back.
        let other = reqwest::Client::new();
        for i in 0..10 {
            let body = json!({"query": "mutation($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId } }",
                              "variables": {"id": format!("gid://shopify/DiscountCodeNode/{i}")}});
            other
                .post(format!("{}/admin/api/2025-01/graphql.json", double.base_url))
                .header("X-Shopify-Access-Token", TOKEN)
                .json(&body)
                .send()
                .await
                .expect("drain");
        }
        let answers = join_all((0..5).map(|_| claim_with(&app, "1", json!({"points": 100})))).await;
        for (_, claim) in &answers {
            claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(20)).await;
        }
        assert!(double.stats().throttled >= 1, "as_429={as_429}: the bucket was empty: {:?}", double.stats());
        assert_eq!(double.discounts().len(), 5, "as_429={as_429}");
        assert_no_duplicates(&double);
        assert_wallet_invariants(&app, SHOP, "1").await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_deletes_the_code_at_the_platform_first() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 400).await;
    let id = claim["id"].as_str().expect("id");
    let (status, body) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    // 200 `refunded` when deleted within the window (see the window test), else 202.
    assert!(status == StatusCode::OK || status == StatusCode::ACCEPTED, "{body}");
    claim_settles(&app, id, &["refunded"], Duration::from_secs(10)).await;
    assert_eq!(app.balance("1").await, 1_000);
    assert!(double.live_codes().is_empty(), "the code is gone at the platform");
    assert_eq!(double.stats().deletes, 1);

    // While the platform is down: 202 refund_pending, credited once it is back.
    let claim = active_claim(&app, "1", 300).await;
    let id = claim["id"].as_str().expect("id");
    double.set_faults(Faults { down: true, ..Faults::default() });
    let (status, body) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["claim"]["status"], "refund_pending");
    assert_eq!(app.balance("1").await, 700, "not credited while the code is live");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(claim_row(&app, id).await.status.as_str(), "refund_pending");
    double.set_faults(Faults::default());
    claim_settles(&app, id, &["refunded"], Duration::from_secs(10)).await;
    assert_eq!(app.balance("1").await, 1_000);
    assert!(double.live_codes().is_empty());
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_racing_an_order_either_uses_or_refunds_never_both() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;

    // The order arrives while the platform is deleting the code: the order wins.
    let claim = active_claim(&app, "1", 500).await;
    let (id, code) = (claim["id"].as_str().expect("id"), claim["code"].as_str().expect("code"));
    double.set_faults(Faults { slow_ms: 700, ..Faults::default() });
    let refund = async {
        let path = format!("/api/v1/claims/{id}/refund");
        app.post(&path, &app.customer("1"), None, &json!({})).await
    };
    let order_first = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        deliver(&app, "orders/create", "race-1", &order(9001, 1, "40.00", &[(code, "5.00")])).await
    };
    let (refund, hook) = tokio::join!(refund, order_first);
    assert_eq!(hook.status(), StatusCode::OK);
    let (status, body) = status_json(refund).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    double.set_faults(Faults::default());
    outbox_drains(&app, Duration::from_secs(10)).await;
    let row = claim_row(&app, id).await;
    assert_eq!(row.status.as_str(), "used", "the order won");
    assert_eq!(row.order_id.as_deref(), Some("9001"));
    assert_eq!(app.balance("1").await, 9_500, "no credit for a used code");

    // The refund completes first: a late order does not undo it.
    let claim = active_claim(&app, "1", 500).await;
    let (id, code) = (claim["id"].as_str().expect("id"), claim["code"].as_str().expect("code"));
    let (status, body) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    assert!(status == StatusCode::OK || status == StatusCode::ACCEPTED, "{body}");
    claim_settles(&app, id, &["refunded"], Duration::from_secs(10)).await;
    let hook = deliver(&app, "orders/create", "race-2", &order(9002, 1, "40.00", &[(code, "5.00")])).await;
    assert_eq!(hook.status(), StatusCode::OK);
    let row = claim_row(&app, id).await;
    assert_eq!(row.status.as_str(), "refunded");
    assert!(row.flag.is_some(), "a code used after its refund is flagged for the merchant");
    assert_eq!(app.balance("1").await, 9_500);

    // Both at once, many times: each claim ends used or refunded, never both.
    let mut claims = Vec::new();
    for _ in 0..12 {
        let claim = active_claim(&app, "1", 100).await;
        claims.push((claim["id"].as_str().expect("id").to_string(), claim["code"].as_str().expect("code").to_string()));
    }
    let races = claims.iter().enumerate().map(|(i, (id, code))| {
        let app = &app;
        async move {
            let refund = async {
                let path = format!("/api/v1/admin/claims/{id}/refund");
                app.post(&path, &app.admin(), None, &json!({})).await
            };
            let body = order(9100 + i as u64, 1, "20.00", &[(code.as_str(), "1.00")]);
            let event = format!("race-many-{i}");
            let hook = deliver(app, "orders/paid", &event, &body);
            let (refund, hook) = tokio::join!(refund, hook);
            assert_eq!(hook.status(), StatusCode::OK);
            assert!(refund.status().is_success() || refund.status() == StatusCode::CONFLICT, "{}", refund.status());
        }
    });
    join_all(races).await;
    outbox_drains(&app, Duration::from_secs(15)).await;
    for (id, code) in &claims {
        let row = claim_row(&app, id).await;
        assert!(matches!(row.status.as_str(), "used" | "refunded"), "claim {code} ended {}", row.status);
        if row.status.as_str() == "refunded" {
            assert!(!double.live_codes().contains(code), "a refunded code is not live at the platform");
        }
    }
    assert_no_duplicates(&double);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segment_eligibility_asks_the_platform_and_refuses_when_it_cannot_answer() {
    let Rig { app, double } = rig().await;
    let mut body = base_program();
    // The merchant names segments by their numeric id; the connector sends gids.
    body["eligibility"] = json!({"kind": "segments", "ids": ["42"]});
    program(&app, body).await;
    double.set_segment_members("gid://shopify/Segment/42", &["gid://shopify/Customer/1"]);
    app.grant("1", 1_000).await;
    app.grant("2", 1_000).await;
    app.grant("3", 1_000).await;
    let (status, member) = claim_with(&app, "1", json!({"points": 100})).await;
    assert_eq!(status, StatusCode::CREATED, "{member}");
    let (status, outsider) = claim_with(&app, "2", json!({"points": 100})).await;
    assert_eq!(
        (status, outsider["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("not_eligible")),
        "{outsider}"
    );
    double.set_faults(Faults { segments_down: true, ..Faults::default() });
    let (status, unknown) = claim_with(&app, "3", json!({"points": 100})).await;
    assert_eq!(
        (status, unknown["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("unavailable")),
        "{unknown}"
    );
    assert_eq!(app.balance("3").await, 1_000, "nothing granted by accident");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_abandoned_during_the_first_platform_call_does_not_wedge_the_connector() {
    // The first call to the shop is a segment check that the shopper's
    // client gives up on; later calls must still go out.
    let Rig { app, double } = rig().await;
    let mut body = base_program();
    body["eligibility"] = json!({"kind": "segments", "ids": ["42"]});
    program(&app, body).await;
    double.set_segment_members("gid://shopify/Segment/42", &["gid://shopify/Customer/1", "gid://shopify/Customer/2"]);
    app.grant("1", 1_000).await;
    app.grant("2", 1_000).await;
    double.set_faults(Faults { slow_ms: 400, ..Faults::default() });
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(100)).build().expect("client");
    let abandoned = impatient
        .post(app.url("/api/v1/claims"))
        .bearer_auth(app.customer("1"))
        .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"points": 100}))
        .send()
        .await;
    assert!(abandoned.is_err(), "the client gave up");
    tokio::time::sleep(Duration::from_millis(500)).await;
    double.set_faults(Faults::default());
    let answer = tokio::time::timeout(Duration::from_secs(10), claim_with(&app, "2", json!({"points": 100}))).await;
    let (status, claim) = answer.expect("the next claim is answered: the connector is not wedged");
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(10)).await;
}

/// A second handle on the platform machinery over the app's store, to run
/// the sweeper and the reconciliation on demand (the app's relay does the work).
fn platform_handle(app: &TestApp) -> std::sync::Arc<loyalty_wallet::platform::Platform> {
    let mut settings = app.settings.platform.clone();
    settings.expiry_grace_secs = 0;
    loyalty_wallet::platform::Platform::new(app.store.clone(), settings).expect("platform")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_code_is_deleted_at_the_platform_and_its_points_come_back() {
    let Rig { app, double } = rig().await;
    let mut body = base_program();
    body["code_lifetime_hours"] = json!(1);
    program(&app, body).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 400).await;
    let id = claim["id"].as_str().expect("id").to_string();
    assert!(double.find_code(claim["code"].as_str().expect("code")).and_then(|d| d.ends_at).is_some());
    // An hour and a bit later.
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(5);
    let claim_id = id.clone();
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            diesel::update(claims_table::table.find((SHOP, claim_id)))
                .set(claims_table::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("age the claim");
    let report = loyalty_wallet::platform::sweeper::sweep_once(&platform_handle(&app)).await.expect("sweep");
    assert_eq!(report.expiry_queued, 1, "{report:?}");
    claim_settles(&app, &id, &["expired"], Duration::from_secs(10)).await;
    assert!(double.live_codes().is_empty(), "deleted at the platform");
    assert_eq!(app.balance("1").await, 1_000);
    let expire: Vec<i64> =
        app.entries("1").await.iter().filter(|e| e.kind.as_str() == "expire").map(|e| e.delta).collect();
    assert_eq!(expire, vec![400]);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_repushes_lost_codes_and_deletes_stale_ones() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    // Lost at the platform (deleted there, no webhook received).
    let lost = active_claim(&app, "1", 200).await;
    let lost_code = lost["code"].as_str().expect("code");
    let old_node = double.delete_out_of_band(lost_code).expect("live");
    // Refunded here, yet present there (e.g. re-created by hand).
    let stale = active_claim(&app, "1", 300).await;
    let stale_id = stale["id"].as_str().expect("id");
    let path = format!("/api/v1/claims/{stale_id}/refund");
    app.post(&path, &app.customer("1"), None, &json!({})).await;
    claim_settles(&app, stale_id, &["refunded"], Duration::from_secs(10)).await;
    let stale_code = stale["code"].as_str().expect("code");
    let recreate = json!({"query": "mutation($input: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $input) { codeDiscountNode { id } userErrors { code } } }",
        "variables": {"input": {"title": "by hand", "code": stale_code, "startsAt": "2025-01-01T00:00:00Z",
            "customerGets": {"value": {"discountAmount": {"amount": "3.00", "appliesOnEachItem": false}}, "items": {"all": true}}}}});
    let made: Value = reqwest::Client::new()
        .post(format!("{}/admin/api/2025-01/graphql.json", double.base_url))
        .header("X-Shopify-Access-Token", TOKEN)
        .json(&recreate)
        .send()
        .await
        .expect("recreate")
        .json()
        .await
        .expect("json");
    assert_eq!(made["data"]["discountCodeBasicCreate"]["userErrors"], json!([]), "{made}");

    let report = loyalty_wallet::platform::sweeper::reconcile(&platform_handle(&app)).await.expect("reconcile");
    assert_eq!((report.missing_repushed, report.stale_deleted, report.errors), (1, 1, 0), "{report:?}");
    eventually("the repair", Duration::from_secs(10), || async {
        let live = double.live_codes();
        (live.iter().any(|c| c == lost_code) && !live.iter().any(|c| c == stale_code)).then_some(())
    })
    .await;
    outbox_drains(&app, Duration::from_secs(5)).await;
    let row = claim_row(&app, lost["id"].as_str().expect("id")).await;
    assert_eq!(row.status.as_str(), "active");
    let node = double.find_code(lost_code).expect("re-pushed").id;
    assert_ne!(node, old_node);
    assert_eq!(row.platform_id.as_deref(), Some(node.as_str()), "the new node id is recorded");
    // A second pass finds nothing to do.
    let again = loyalty_wallet::platform::sweeper::reconcile(&platform_handle(&app)).await.expect("reconcile");
    assert_eq!((again.missing_repushed, again.stale_deleted), (0, 0), "{again:?}");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_service_instances_share_the_outbox_without_duplicates() {
    // Several instances on one PostgreSQL lease rows with SKIP LOCKED.
    if postgres_server().is_none() {
        eprintln!("skipped: needs TEST_DATABASE_URL=postgres://…");
        return;
    }
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 0).await;
    let mut settings = test_settings(&app.database_url);
    fast(&mut settings);
    let other = TestApp::spawn_with(settings, None).await;
    program(&app, base_program()).await;
    for c in 0..10 {
        app.grant(&format!("{}", 300 + c), 1_000).await;
    }
    double.set_faults(Faults { drop_after_write_rate: 0.1, error_rate: 0.1, ..Faults::default() });
    let requests = (0..100).map(|i| {
        // Half the claims through each instance.
        let target = if i % 2 == 0 { &app } else { &other };
        let customer = format!("{}", 300 + i % 10);
        async move { claim_with(target, &customer, json!({"points": 100})).await }
    });
    let answers = join_all(requests).await;
    double.set_faults(Faults::default());
    for (status, claim) in &answers {
        assert_eq!(*status, StatusCode::CREATED, "{claim}");
        claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(30)).await;
    }
    outbox_drains(&app, Duration::from_secs(10)).await;
    assert_eq!(double.discounts().len(), 100);
    assert_no_duplicates(&double);
    for c in 0..10 {
        assert_wallet_invariants(&app, SHOP, &format!("{}", 300 + c)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_internal_error_after_the_write_is_ambiguous_not_a_refusal() {
    // Shopify answers 200 + INTERNAL_SERVER_ERROR instead of a 500 "in most
    // circumstances"; the create may have been applied. The claim must not
    // end failed and refunded while its code lives at the platform.
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    double.set_internal_error_rate(1.0);
    let (status, claim) = claim_with(&app, "1", json!({"points": 300})).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    let id = claim["id"].as_str().expect("id");
    eventually("the first attempt", Duration::from_secs(5), || async { (double.stats().requests >= 1).then_some(()) })
        .await;
    double.set_internal_error_rate(0.0);
    let row = claim_settles(&app, id, &["active", "failed"], Duration::from_secs(10)).await;
    outbox_drains(&app, Duration::from_secs(10)).await;
    let live = double.find_code(&row.code);
    let row = claim_row(&app, id).await;
    match row.status.as_str() {
        "active" => assert_eq!(live.map(|d| d.id), row.platform_id, "active with its node id"),
        "failed" => {
            assert!(live.is_none(), "claim failed and refunded, yet its code {} is live at the platform", row.code)
        }
        other => panic!("claim ended {other}"),
    }
    assert_no_duplicates(&double);
    assert_wallet_invariants(&app, SHOP, "1").await;
}
