//! Shopify webhooks become campaign events, over HTTP on
//! both databases: customers/create → welcome; orders/paid → first_order,
//! order_paid, nth_order (stored once per order, as `order` events the
//! report counts); checkouts/create|update → cart_abandoned, cancelled by an
//! order before the delay; orders/create|paid with an offer's code → used.

use crate::campaigns::create;
use crate::events::{campaign, offers_of, run_worker};
use crate::helpers::*;
use crate::platform::{deliver, order};
use diesel::prelude::*;
use loyalty_wallet::store::schema::campaign_events;
use reqwest::StatusCode;
use serde_json::{json, Value};

pub fn id(c: &Value) -> String {
    c["id"].as_str().expect("id").to_string()
}

/// Delivers a webhook that must be answered 200; returns the receipt.
pub async fn hook(app: &TestApp, topic: &str, event_id: &str, body: &Value) -> Value {
    let (status, receipt) = status_json(deliver(app, topic, event_id, body).await).await;
    assert_eq!(status, StatusCode::OK, "{topic}: {receipt}");
    receipt
}

/// (kind, customer, order_id, subtotal_minor) of every stored event.
async fn stored_events(app: &TestApp) -> Vec<(String, String, Option<String>, Option<i64>)> {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(campaign_events::table
                .filter(campaign_events::shop_id.eq(SHOP))
                .order(campaign_events::id.asc())
                .select((
                    campaign_events::kind,
                    campaign_events::customer_id,
                    campaign_events::order_id,
                    campaign_events::subtotal_minor,
                ))
                .load(conn)?)
        })
        .await
        .expect("events")
}

fn of_customer<'a>(offers: &'a [Value], customer: &str) -> Vec<&'a Value> {
    offers.iter().filter(|o| o["customer_id"] == customer).collect()
}

fn statuses(offers: &[&Value]) -> Vec<String> {
    offers.iter().map(|o| o["status"].as_str().unwrap_or("").to_string()).collect()
}

fn checkout(token: &str, customer: u64, subtotal: &str) -> Value {
    json!({"id": 900 + customer, "token": token, "cart_token": format!("c-{token}"), "email": "shopper@example.com",
           "customer": {"id": customer, "first_name": "Bea", "email": "shopper@example.com"},
           "subtotal_price": subtotal, "total_price": subtotal, "currency": "USD", "completed_at": null})
}

#[tokio::test]
async fn every_order_and_customer_trigger_from_webhooks_issues_once() {
    let app = TestApp::spawn().await;
    let welcome = create(&app, &campaign(json!({"kind": "welcome"}))).await;
    let first = create(&app, &campaign(json!({"kind": "first_order"}))).await;
    let paid = create(&app, &campaign(json!({"kind": "order_paid", "min_subtotal": "50.00"}))).await;
    let nth = create(&app, &campaign(json!({"kind": "nth_order", "n": 2}))).await;

    // The same customers/create delivered three times: one event, one welcome.
    let created = json!({"id": 1, "first_name": "Ada", "last_name": "L", "email": "ada@example.com"});
    let receipts = [
        hook(&app, "customers/create", "ev-c1", &created).await,
        hook(&app, "customers/create", "ev-c1", &created).await,
        hook(&app, "customers/create", "ev-c1", &created).await,
    ];
    assert_eq!(receipts.iter().filter(|r| r["status"] == "processed").count(), 1, "{receipts:?}");
    hook(&app, "orders/paid", "ev-o1", &order(1001, 1, "20.00", &[])).await;
    hook(&app, "orders/paid", "ev-o2", &order(1002, 1, "60.00", &[])).await;
    // The same order under another event id (a re-sent webhook) is not a third order.
    let again = hook(&app, "orders/paid", "ev-o2-resent", &order(1002, 1, "60.00", &[])).await;
    assert!(again["outcome"].as_str().expect("outcome").contains("already stored"), "{again}");
    // orders/create is not a paid order: no event.
    hook(&app, "orders/create", "ev-o3", &order(1003, 1, "70.00", &[])).await;

    let events = stored_events(&app).await;
    let expected: Vec<(String, String, Option<String>, Option<i64>)> = vec![
        ("customer".into(), "1".into(), None, None),
        ("order".into(), "1".into(), Some("1001".into()), Some(2_000)),
        ("order".into(), "1".into(), Some("1002".into()), Some(6_000)),
    ];
    assert_eq!(events, expected, "one customer event and one order event per paid order");

    run_worker(&app, 0).await;
    for c in [&welcome, &first, &paid, &nth] {
        let offers = offers_of(&app, &id(c)).await;
        assert_eq!(statuses(&offers.iter().collect::<Vec<_>>()), ["active"], "{}", c["name"]);
        assert!(offers[0]["code"].as_str().expect("code").starts_with("ADA-"), "first name from customers/create");
    }
}

#[tokio::test]
async fn a_checkout_is_a_cart_cancelled_by_its_order_and_replaced_by_its_update() {
    let app = TestApp::spawn().await;
    let cart = create(&app, &campaign(json!({"kind": "cart_abandoned", "delay_minutes": 60}))).await;

    // Customer 2: checkout, then the order arrives before the delay.
    hook(&app, "checkouts/create", "ev-k2", &checkout("tok-2", 2, "30.00")).await;
    hook(&app, "orders/paid", "ev-o2", &order(2002, 2, "30.00", &[])).await;
    // Customer 3: checkout, then an update of the same checkout, no order.
    hook(&app, "checkouts/create", "ev-k3", &checkout("tok-3", 3, "30.00")).await;
    hook(&app, "checkouts/update", "ev-k3u", &checkout("tok-3", 3, "35.00")).await;
    hook(&app, "checkouts/update", "ev-k3u", &checkout("tok-3", 3, "35.00")).await;
    // A guest checkout makes nothing.
    let mut guest = checkout("tok-g", 4, "10.00");
    guest["customer"] = Value::Null;
    hook(&app, "checkouts/create", "ev-kg", &guest).await;

    run_worker(&app, 30).await;
    let offers = offers_of(&app, &id(&cart)).await;
    assert_eq!(statuses(&of_customer(&offers, "2")), ["cancelled"], "an order before the delay: nothing issued");
    assert_eq!(statuses(&of_customer(&offers, "3")), ["cancelled", "scheduled"], "the update replaced the cart");
    assert!(of_customer(&offers, "4").is_empty());
    run_worker(&app, 61).await;
    let offers = offers_of(&app, &id(&cart)).await;
    assert_eq!(statuses(&of_customer(&offers, "2")), ["cancelled"]);
    assert_eq!(statuses(&of_customer(&offers, "3")), ["cancelled", "active"], "after the delay: one cart offer");
    let carts = stored_events(&app).await.into_iter().filter(|e| e.0 == "cart").count();
    assert_eq!(carts, 3, "create + one update (its redelivery deduplicated) + customer 2's");
}

async fn counters(app: &TestApp, campaign: &str) -> (i64, i64) {
    let (shop, campaign) = (SHOP.to_string(), campaign.to_string());
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::campaigns::counters(conn, &shop, &campaign)?)
        })
        .await
        .expect("counters")
}

#[tokio::test]
async fn an_order_using_an_offer_code_marks_it_used_and_releases_once() {
    let app = TestApp::spawn().await;
    let mut body = campaign(json!({"kind": "welcome"}));
    body["limits"] = json!({"max_outstanding_value": "100.00"});
    let c = create(&app, &body).await;
    hook(&app, "customers/create", "ev-c5", &json!({"id": 5, "first_name": "Cy"})).await;
    run_worker(&app, 0).await;
    let offer = offers_of(&app, &id(&c)).await.remove(0);
    let code = offer["code"].as_str().expect("code").to_string();
    assert_eq!(counters(&app, &id(&c)).await, (1_000, 1_000), "10.00 reserved");

    // orders/create then orders/paid of the same order, both carrying the code (lower case).
    let with_code = order(5005, 5, "45.00", &[(&code.to_lowercase(), "10.00")]);
    hook(&app, "orders/create", "ev-u1", &with_code).await;
    hook(&app, "orders/paid", "ev-u2", &with_code).await;
    hook(&app, "orders/paid", "ev-u2", &with_code).await;
    let offer = offers_of(&app, &id(&c)).await.remove(0);
    assert_eq!((offer["status"].as_str(), offer["order_id"].as_str()), (Some("used"), Some("5005")), "{offer}");
    let stored = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::offers::find_by_code(conn, SHOP, &code)?)
        })
        .await
        .expect("offer")
        .expect("stored");
    assert_eq!(stored.order_subtotal_minor, Some(4_500));
    assert_eq!(counters(&app, &id(&c)).await, (0, 1_000), "released exactly once, total kept");
    let (_, mine) = status_json(app.get("/api/v1/offers", &app.customer("5")).await).await;
    assert_eq!(mine["offers"][0]["status"], "used", "{mine}");
}
