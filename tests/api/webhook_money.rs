//! Money the platform sends that cannot be read is never taken as zero:
//! the webhook still takes effect (codes are used), earns or reverses
//! nothing on what it cannot read, and its receipt says why. A stored
//! earn rate or currency that does not parse is reported the same way.

use crate::helpers::*;
use crate::platform::{claim_row, deliver, order};
use diesel::prelude::*;
use loyalty_wallet::domain::money::Currency;
use loyalty_wallet::store::schema::{order_earnings, shops};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A native shop earning 1 point per unit, with a program to claim codes.
async fn shop_earning_one_per_unit() -> TestApp {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    let body = json!({"currency": "USD", "earn_points_per_unit": "1"});
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    app
}

async fn receipt(app: &TestApp, topic: &str, event_id: &str, body: &Value) -> String {
    let (status, receipt) = status_json(deliver(app, topic, event_id, body).await).await;
    assert_eq!((status, receipt["status"].as_str()), (StatusCode::OK, Some("processed")), "{topic}: {receipt}");
    receipt["outcome"].as_str().expect("outcome").to_string()
}

async fn earned(app: &TestApp, customer: &str) -> Vec<i64> {
    app.entries(customer).await.iter().filter(|e| e.kind.as_str() == "earn").map(|e| e.delta).collect()
}

async fn set_shop(app: &TestApp, rate: &'static str, currency: &'static str) {
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            diesel::update(shops::table.find(SHOP))
                .set((shops::earn_points_per_unit.eq(rate), shops::currency.eq(currency)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("shop row");
}

async fn shop_currency(app: &TestApp, shop: &'static str) -> Option<Currency> {
    app.store.read(move |conn| loyalty_wallet::store::shops::currency(conn, shop)).await.ok()
}

#[tokio::test]
async fn an_unreadable_subtotal_earns_nothing_and_says_why_yet_the_code_is_used() {
    let app = shop_earning_one_per_unit().await;
    app.grant("1", 1_000).await;
    let claim = app.claim_ok("1", 200).await;
    let code = claim["code"].as_str().expect("code");
    let outcome = receipt(&app, "orders/paid", "evt-abc", &order(4001, 1, "abc", &[(code, "2.00")])).await;
    assert!(
        outcome
            .contains("codes used: 1, points earned: 0 (unreadable subtotal_price: \"abc\" is not a decimal amount)"),
        "{outcome}"
    );
    assert!(earned(&app, "1").await.is_empty(), "no points on an unknown amount");
    let row = claim_row(&app, claim["id"].as_str().expect("id")).await;
    assert_eq!((row.status.as_str(), row.order_subtotal_minor), ("used", None), "used; the order value unknown, not 0");
    let recorded = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(order_earnings::table.filter(order_earnings::shop_id.eq(SHOP)).count().get_result::<i64>(conn)?)
        })
        .await
        .expect("earnings");
    assert_eq!(recorded, 0, "nothing recorded as earned, so a readable delivery still earns");

    let outcome = receipt(&app, "orders/paid", "evt-abc-fixed", &order(4001, 1, "30.00", &[])).await;
    assert!(outcome.contains("points earned: 30"), "{outcome}");
    assert_eq!(earned(&app, "1").await, vec![30]);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn unreadable_refund_amounts_reverse_only_what_can_be_read_and_are_reported() {
    let app = shop_earning_one_per_unit().await;
    receipt(&app, "orders/paid", "evt-paid", &order(4002, 1, "60.00", &[])).await;
    assert_eq!(app.balance("1").await, 60);
    let garbage = json!({"order_id": 4002, "transactions": [{"kind": "refund", "status": "success", "amount": "abc"}]});
    let outcome = receipt(&app, "refunds/create", "evt-refund-abc", &garbage).await;
    assert_eq!(
        outcome,
        "points reversed: 0, not recoverable: 0; unreadable amounts: transactions[0].amount: \"abc\" is not a decimal amount"
    );
    assert_eq!(app.balance("1").await, 60, "nothing taken back on an unknown amount");
    let partly = json!({"order_id": 4002, "refund_line_items": [{"subtotal": "15.00"}, {"subtotal": {"amount": 5}}]});
    let outcome = receipt(&app, "refunds/create", "evt-refund-part", &partly).await;
    assert!(outcome.starts_with("points reversed: 15, not recoverable: 0; unreadable amounts: "), "{outcome}");
    assert!(outcome.contains("refund_line_items[1].subtotal: not a string or a number"), "{outcome}");
    assert_eq!(app.balance("1").await, 45);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn a_stored_earn_rate_that_does_not_parse_earns_nothing_visibly_and_a_bad_currency_is_an_error() {
    let app = shop_earning_one_per_unit().await;
    set_shop(&app, "lots", "USD").await;
    let outcome = receipt(&app, "orders/paid", "evt-rate", &order(4003, 1, "50.00", &[])).await;
    assert!(outcome.contains("points earned: 0 (earn rate \"lots\" is not a decimal number)"), "{outcome}");
    assert!(earned(&app, "1").await.is_empty());

    let usd = Currency::parse("USD").ok();
    assert_eq!(shop_currency(&app, "new-shop.myshopify.com").await, usd, "a shop not stored yet: its initial currency");
    set_shop(&app, "1", "EUR").await;
    assert_eq!(shop_currency(&app, SHOP).await, Currency::parse("EUR").ok());
    set_shop(&app, "1", "XXX").await;
    assert_eq!(shop_currency(&app, SHOP).await, None, "an unknown stored currency is an error, not USD");
    let (status, answer) = status_json(app.get("/api/v1/admin/analytics", &app.admin()).await).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{answer}");
}
