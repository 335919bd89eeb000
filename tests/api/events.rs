//! Events in, offers out, over HTTP: every posted trigger kind end to end,
//! delays and cancellation, idempotent events, bad input, the customer's
//! offer list and the holdout group.

use crate::campaigns::create;
use crate::helpers::*;
use chrono::{Duration, Utc};
use loyalty_wallet::platform::issuer::issue_due_once;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A native-shop campaign for `trigger`, 10.00 off, no limits.
pub fn campaign(trigger: Value) -> Value {
    json!({
        "name": format!("{} campaign", trigger["kind"].as_str().unwrap_or("?")), "enabled": true,
        "trigger": trigger,
        "discount": {"kind": "fixed_amount", "value": "10.00"},
        "code": {"template": "{FIRST_NAME}-{RANDOM}", "random_length": 8},
        "expires_after_hours": 48
    })
}

pub async fn post_event(app: &TestApp, key: Option<&str>, body: &Value) -> reqwest::Response {
    let fresh = uuid::Uuid::new_v4().to_string();
    app.post("/api/v1/admin/events", &app.admin(), Some(key.unwrap_or(&fresh)), body).await
}

/// Posts an event that must be accepted; returns the receipt.
pub async fn event_ok(app: &TestApp, body: &Value) -> Value {
    let (status, receipt) = status_json(post_event(app, None, body).await).await;
    assert_eq!(status, StatusCode::ACCEPTED, "event {body}: {receipt}");
    receipt
}

/// Runs the worker as if `minutes` had passed.
/// The app's own background issuer may hold a due offer (SKIP LOCKED on
/// PostgreSQL) while this pass runs, so the pass repeats until nothing due
/// by then is still `scheduled`.
pub async fn run_worker(app: &TestApp, minutes: i64) {
    let at = Utc::now().naive_utc() + Duration::minutes(minutes);
    for _ in 0..200 {
        issue_due_once(&app.store, at, 100_000).await.expect("worker");
        if scheduled_due_by(app, at).await == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("offers due by {at} still scheduled after 5 s");
}

async fn scheduled_due_by(app: &TestApp, at: chrono::NaiveDateTime) -> i64 {
    use diesel::prelude::*;
    use loyalty_wallet::store::schema::offers::dsl;
    let count = move |conn: &mut loyalty_wallet::store::AnyConnection| {
        let query = dsl::offers.filter(dsl::status.eq("scheduled")).filter(dsl::due_at.le(at)).count();
        Ok::<_, loyalty_wallet::store::Error>(query.get_result::<i64>(conn)?)
    };
    app.store.read(count).await.expect("scheduled offers")
}

/// Every offer of a campaign (all pages).
pub async fn offers_of(app: &TestApp, campaign: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/admin/campaigns/{campaign}/offers?limit=200");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let (status, page) = status_json(app.get(&path, &app.admin()).await).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        all.extend(page["offers"].as_array().expect("offers").iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return all,
        }
    }
}

fn statuses(offers: &[Value]) -> Vec<String> {
    offers.iter().map(|o| o["status"].as_str().unwrap_or("").to_string()).collect()
}

#[tokio::test]
async fn every_posted_trigger_kind_issues_a_code() {
    let app = TestApp::spawn().await;
    let welcome = create(&app, &campaign(json!({"kind": "welcome"}))).await;
    let first = create(&app, &campaign(json!({"kind": "first_order"}))).await;
    let paid = create(&app, &campaign(json!({"kind": "order_paid", "min_subtotal": "50.00"}))).await;
    let nth = create(&app, &campaign(json!({"kind": "nth_order", "n": 2}))).await;
    let cart = create(&app, &campaign(json!({"kind": "cart_abandoned", "delay_minutes": 60}))).await;
    let custom = create(&app, &campaign(json!({"kind": "custom", "event": "quiz_done"}))).await;

    let r = event_ok(
        &app,
        &json!({"customer_id": "1", "kind": "customer", "data": {"first_name": "Ada", "email": "a@x.io"}}),
    )
    .await;
    assert_eq!(r["matched_campaigns"], 1);
    // A second customer event is an update: no second welcome.
    let r = event_ok(&app, &json!({"customer_id": "1", "kind": "customer", "data": {"first_name": "Ada"}})).await;
    assert_eq!(r["matched_campaigns"], 0);
    let r =
        event_ok(&app, &json!({"customer_id": "1", "kind": "order", "data": {"order_id": "o1", "subtotal": "20.00"}}))
            .await;
    assert_eq!(r["matched_campaigns"], 1, "first order only (below order_paid's minimum)");
    let r =
        event_ok(&app, &json!({"customer_id": "1", "kind": "order", "data": {"order_id": "o2", "subtotal": "60.00"}}))
            .await;
    assert_eq!(r["matched_campaigns"], 2, "order_paid and nth_order(2)");
    let r =
        event_ok(&app, &json!({"customer_id": "1", "kind": "cart", "data": {"cart_id": "c1", "subtotal": "30.00"}}))
            .await;
    assert_eq!(r["matched_campaigns"], 1);
    let r = event_ok(&app, &json!({"customer_id": "1", "kind": "custom", "name": "quiz_done"})).await;
    assert_eq!(r["matched_campaigns"], 1);
    let r = event_ok(&app, &json!({"customer_id": "1", "kind": "custom", "name": "other"})).await;
    assert_eq!(r["matched_campaigns"], 0);

    run_worker(&app, 0).await;
    for c in [&welcome, &first, &paid, &nth, &custom] {
        let offers = offers_of(&app, c["id"].as_str().expect("id")).await;
        assert_eq!(statuses(&offers), ["active"], "{}", c["name"]);
        let code = offers[0]["code"].as_str().expect("code");
        assert!(code.starts_with("ADA-") && code.len() == 12, "{code}");
        assert_eq!(offers[0]["discount"]["value"], "10.00");
        assert_eq!(offers[0]["customer_id"], "1");
    }
    let cart_id = cart["id"].as_str().expect("id");
    assert_eq!(statuses(&offers_of(&app, cart_id).await), ["scheduled"], "the delay has not passed");
    run_worker(&app, 61).await;
    assert_eq!(statuses(&offers_of(&app, cart_id).await), ["active"]);

    let (status, mine) = status_json(app.get("/api/v1/offers", &app.customer("1")).await).await;
    assert_eq!(status, StatusCode::OK);
    let mine = mine["offers"].as_array().expect("offers").clone();
    assert_eq!(mine.len(), 6, "{mine:?}");
    assert!(mine.iter().all(|o| o["status"] == "active" && o["discount"]["kind"] == "fixed_amount"));
    assert!(mine.iter().any(|o| o["campaign"] == "cart_abandoned campaign"));
    let (_, other) = status_json(app.get("/api/v1/offers", &app.customer("2")).await).await;
    assert_eq!(other["offers"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn an_order_before_the_delay_cancels_the_cart_offer() {
    let app = TestApp::spawn().await;
    let cart = create(&app, &campaign(json!({"kind": "cart_abandoned", "delay_minutes": 60}))).await;
    let id = cart["id"].as_str().expect("id");
    event_ok(&app, &json!({"customer_id": "7", "kind": "cart", "data": {"cart_id": "c7"}})).await;
    event_ok(&app, &json!({"customer_id": "8", "kind": "cart", "data": {"cart_id": "c8"}})).await;
    event_ok(&app, &json!({"customer_id": "7", "kind": "order", "data": {"order_id": "o7"}})).await;
    run_worker(&app, 120).await;
    let offers = offers_of(&app, id).await;
    let of = |c: &str| offers.iter().find(|o| o["customer_id"] == c).map(|o| o["status"].clone());
    assert_eq!(of("7"), Some(json!("cancelled")));
    assert_eq!(of("8"), Some(json!("active")));
    let (_, mine) = status_json(app.get("/api/v1/offers", &app.customer("7")).await).await;
    assert_eq!(mine["offers"].as_array().map(Vec::len), Some(0), "a cancelled offer is never shown");
}

#[tokio::test]
async fn disabled_or_out_of_schedule_campaigns_issue_nothing() {
    let app = TestApp::spawn().await;
    let live = create(&app, &campaign(json!({"kind": "custom", "event": "e", "delay_minutes": 10}))).await;
    let mut ended = campaign(json!({"kind": "custom", "event": "e", "delay_minutes": 10}));
    ended["ends_at"] = json!((Utc::now() + Duration::minutes(5)).to_rfc3339());
    let ended = create(&app, &ended).await;
    event_ok(&app, &json!({"customer_id": "3", "kind": "custom", "name": "e"})).await;
    let id = live["id"].as_str().expect("id");
    let mut off = campaign(json!({"kind": "custom", "event": "e", "delay_minutes": 10}));
    off["enabled"] = json!(false);
    let response = app.put(&format!("/api/v1/admin/campaigns/{id}"), &app.admin(), &off).await;
    assert_eq!(response.status(), StatusCode::OK);
    run_worker(&app, 11).await;
    for c in [&live, &ended] {
        let offers = offers_of(&app, c["id"].as_str().expect("id")).await;
        assert_eq!(statuses(&offers), ["refused"]);
        assert_eq!(offers[0]["reason"], "campaign_inactive");
        assert!(offers[0]["code"].is_null());
    }
}

#[tokio::test]
async fn the_same_key_is_one_event_and_bad_events_store_nothing() {
    let app = TestApp::spawn().await;
    let c = create(&app, &campaign(json!({"kind": "custom", "event": "e"}))).await;
    let body = json!({"customer_id": "5", "kind": "custom", "name": "e"});
    let (s1, a) = status_json(post_event(&app, Some("evt-1"), &body).await).await;
    let (s2, b) = status_json(post_event(&app, Some("evt-1"), &body).await).await;
    assert_eq!((s1, s2), (StatusCode::ACCEPTED, StatusCode::ACCEPTED));
    assert_eq!(a["event_id"], b["event_id"]);
    let other = json!({"customer_id": "5", "kind": "custom", "name": "f"});
    expect_error(
        post_event(&app, Some("evt-1"), &other).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_conflict",
    )
    .await;

    let bad = [
        json!({"customer_id": "5", "kind": "teleport"}),
        json!({"customer_id": "5", "kind": "custom"}),
        json!({"customer_id": "no spaces allowed", "kind": "cart"}),
        json!({"kind": "cart"}),
        json!({"customer_id": "5", "kind": "customer", "data": {"birthday": "13-45"}}),
        json!({"customer_id": "5", "kind": "order", "data": {"order_id": "o", "subtotal": "-1"}}),
        json!({"customer_id": "5", "kind": "cart", "data": {"cart_id": "c", "colour": "red"}}),
        json!({"customer_id": "5", "kind": "cart", "occurred_at": "yesterday"}),
        json!({"customer_id": "5", "kind": "cart", "data": "not an object"}),
    ];
    for body in &bad {
        let response = post_event(&app, None, body).await;
        let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
        assert!(error["error"]["details"]["fields"].is_object(), "{body}: {error}");
    }
    let huge = json!({"customer_id": "5", "kind": "custom", "name": "e", "data": {"first_name": "x".repeat(70_000)}});
    let response = post_event(&app, None, &huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let response = app
        .send_raw(
            reqwest::Method::POST,
            "/api/v1/admin/events",
            Some(&app.admin()),
            &[("content-type", "application/json"), ("idempotency-key", "raw")],
            Some(b"[1,2".to_vec()),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    run_worker(&app, 0).await;
    assert_eq!(offers_of(&app, c["id"].as_str().expect("id")).await.len(), 1, "only the one good event");
}

#[tokio::test]
async fn the_holdout_group_is_stable_and_never_shown() {
    let app = TestApp::spawn().await;
    let mut body = campaign(json!({"kind": "custom", "event": "visit"}));
    body["holdout_percent"] = json!(50);
    let c = create(&app, &body).await;
    let id = c["id"].as_str().expect("id").to_string();
    for round in 0..2 {
        for n in 0..40 {
            event_ok(&app, &json!({"customer_id": format!("h{n}"), "kind": "custom", "name": "visit"})).await;
        }
        run_worker(&app, 0).await;
        let offers = offers_of(&app, &id).await;
        assert_eq!(offers.len(), 40 * (round + 1));
        for n in 0..40 {
            let customer = format!("h{n}");
            let mine: Vec<_> = offers.iter().filter(|o| o["customer_id"] == customer.as_str()).collect();
            let held = mine.iter().filter(|o| o["status"] == "held_out").count();
            assert!(held == 0 || held == mine.len(), "{customer} flipped between groups: {mine:?}");
            let (_, shown) = status_json(app.get("/api/v1/offers", &app.customer(&customer)).await).await;
            let shown = shown["offers"].as_array().map(Vec::len).unwrap_or(0);
            assert_eq!(shown, mine.len() - held, "held-out offers are never shown to {customer}");
        }
        let held = offers.iter().filter(|o| o["status"] == "held_out").count();
        assert!((10 * (round + 1)..=30 * (round + 1)).contains(&held), "about half held out: {held}");
    }
}
