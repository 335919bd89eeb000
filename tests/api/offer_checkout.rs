//! The native checkout takes offer codes too: what a percentage, fixed or
//! free-shipping offer takes off this cart, the minimum, one redeem only,
//! and the reservation given back when the code is used.

use crate::campaigns::create;
use crate::events::{campaign, event_ok, offers_of, run_worker};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn issued_offer(app: &TestApp, discount: Value, limits: Value) -> (String, String) {
    let mut body = campaign(json!({"kind": "custom", "event": "vip"}));
    body["discount"] = discount;
    body["limits"] = limits;
    let c = create(app, &body).await;
    let campaign_id = c["id"].as_str().expect("id").to_string();
    event_ok(app, &json!({"customer_id": "77", "kind": "custom", "name": "vip"})).await;
    run_worker(app, 1).await;
    let offers = offers_of(app, &campaign_id).await;
    assert_eq!(offers[0]["status"], "active", "{offers:?}");
    (campaign_id, offers[0]["code"].as_str().expect("code").to_string())
}

async fn validate(app: &TestApp, code: &str, subtotal: &str) -> Value {
    let body = json!({"code": code, "customer_id": "77", "subtotal": subtotal});
    let (status, view) = status_json(app.post("/api/v1/checkout/validate", &app.admin(), None, &body).await).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    view
}

#[tokio::test]
async fn a_percentage_offer_is_valued_on_the_cart_redeemed_once_and_releases_its_budget() {
    let app = TestApp::spawn().await;
    let discount = json!({"kind": "percentage", "value": "15", "min_subtotal": "40.00"});
    let limits = json!({"max_outstanding_value": "50.00", "assumed_value": "6.00"});
    let (campaign_id, code) = issued_offer(&app, discount, limits).await;

    let below = validate(&app, &code, "39.99").await;
    assert_eq!(
        (below["valid"].clone(), below["error"]["code"].clone()),
        (json!(false), json!("below_minimum_subtotal"))
    );
    let ok = validate(&app, &code, "49.99").await;
    assert_eq!(ok["valid"], true, "{ok}");
    assert_eq!(ok["kind"], "percentage");
    assert_eq!(ok["value"], "7.49", "15 % of 49.99 = 7.4985, rounded down");
    let other = json!({"code": code, "customer_id": "78", "subtotal": "49.99"});
    let (_, theirs) = status_json(app.post("/api/v1/checkout/validate", &app.admin(), None, &other).await).await;
    assert_eq!(theirs["valid"], false, "another customer's offer is an unknown code: {theirs}");

    let redeem = json!({"code": code, "customer_id": "77", "order_id": "9001", "subtotal": "49.99"});
    let (status, used) =
        status_json(app.post("/api/v1/checkout/redeem", &app.admin(), Some("r-1"), &redeem).await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!((used["status"].clone(), used["order_id"].clone()), (json!("used"), json!("9001")));
    let again = app.post("/api/v1/checkout/redeem", &app.admin(), Some("r-2"), &redeem).await;
    expect_error(again, StatusCode::CONFLICT, "code_not_valid").await;
    let shop = SHOP.to_string();
    let reserved = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::campaigns::counters(conn, &shop, &campaign_id)?)
        })
        .await
        .expect("counters");
    assert_eq!(reserved, (0, 600), "the assumed 6.00 was reserved at issue and released at use");
}

#[tokio::test]
async fn fixed_and_free_shipping_offers_report_what_they_take() {
    let app = TestApp::spawn().await;
    let (_, fixed) = issued_offer(&app, json!({"kind": "fixed_amount", "value": "10.00"}), json!({})).await;
    let small = validate(&app, &fixed, "4.00").await;
    assert_eq!(
        (small["kind"].clone(), small["value"].clone()),
        (json!("fixed_amount"), json!("4.00")),
        "never more than the subtotal"
    );
    let app = TestApp::spawn().await;
    let (_, shipping) = issued_offer(&app, json!({"kind": "free_shipping", "max_shipping": "8.00"}), json!({})).await;
    let view = validate(&app, &shipping, "20.00").await;
    assert_eq!((view["kind"].clone(), view["value"].clone()), (json!("free_shipping"), json!("8.00")), "{view}");
}
