//! Offers on a Shopify shop reach the platform exactly once through the
//! outbox and are cleaned up there, against the
//! local double, on both databases: percentage as a fraction, free shipping
//! with its cap, the minimum, the customer binding, usage limit 1, endsAt;
//! expiry deletes the code there; discounts/delete marks the offer deleted;
//! a permanent refusal fails the offer and releases its reservation.

use crate::campaigns::create;
use crate::events::{event_ok, offers_of, run_worker};
use crate::helpers::*;
use crate::offer_webhooks::{hook, id};
use crate::platform::{assert_no_duplicates, eventually, outbox_drains, rig, Rig};
use crate::shopify_double::Faults;
use loyalty_wallet::platform::issuer::expire_offers_once;
use loyalty_wallet::store::offers::OfferRow;
use serde_json::{json, Value};
use std::time::Duration;

fn campaign(kind: &str, discount: Value) -> Value {
    json!({
        "name": format!("{kind} push"), "enabled": true,
        "trigger": {"kind": kind},
        "discount": discount,
        "code": {"template": "{RANDOM}", "random_length": 10},
        "expires_after_hours": 48,
        "limits": {"max_outstanding_value": "1000.00", "assumed_value": "5.00"}
    })
}

async fn offer_row(app: &TestApp, code: &str) -> OfferRow {
    let code = code.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::offers::find_by_code(conn, SHOP, &code)?)
        })
        .await
        .expect("offer")
        .expect("stored")
}

/// Waits until the campaign's single offer is `status`; returns it.
async fn settles(app: &TestApp, campaign: &str, status: &str) -> Value {
    eventually(&format!("the offer to be {status}"), Duration::from_secs(10), || async {
        offers_of(app, campaign).await.into_iter().find(|o| o["status"] == status)
    })
    .await
}

async fn reserved(app: &TestApp, campaign: &str) -> i64 {
    let (shop, campaign) = (SHOP.to_string(), campaign.to_string());
    let counters = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::campaigns::counters(conn, &shop, &campaign)?)
        })
        .await
        .expect("counters");
    counters.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_offers_reach_the_double_with_every_setting_once() {
    let Rig { app, double } = rig().await;
    let pct = create(
        &app,
        &campaign(
            "welcome",
            json!({"kind": "percentage", "value": "15", "min_subtotal": "40.00",
                   "combines_with": {"order": false, "product": true, "shipping": true}}),
        ),
    )
    .await;
    let mut ship_body = campaign("custom", json!({"kind": "free_shipping", "max_shipping": "8.00"}));
    ship_body["trigger"] = json!({"kind": "custom", "event": "ship"});
    let ship = create(&app, &ship_body).await;
    event_ok(&app, &json!({"customer_id": "7", "kind": "customer", "data": {"first_name": "Ada"}})).await;
    event_ok(&app, &json!({"customer_id": "7", "kind": "custom", "name": "ship"})).await;
    run_worker(&app, 0).await;

    let p = settles(&app, &id(&pct), "active").await;
    let s = settles(&app, &id(&ship), "active").await;
    outbox_drains(&app, Duration::from_secs(10)).await;
    assert_no_duplicates(&double);
    assert_eq!(double.stats().creates, 2);

    let made = double.find_code(p["code"].as_str().expect("code")).expect("at the double");
    assert_eq!(made.percentage, Some(0.15), "15 % is sent as the fraction 0.15");
    assert_eq!(made.min_subtotal.as_deref(), Some("40.00"));
    assert_eq!(made.customer_ids, ["gid://shopify/Customer/7"]);
    assert_eq!((made.usage_limit, made.applies_once_per_customer), (Some(1), true));
    assert_eq!(made.combines_with, (false, true, true));
    assert!(!made.free_shipping);
    let ends = made.ends_at.clone().expect("endsAt");
    let expires = p["expires_at"].as_str().expect("expires_at");
    let gap = chrono::DateTime::parse_from_rfc3339(&ends).expect("endsAt")
        - chrono::DateTime::parse_from_rfc3339(expires).expect("expires_at");
    assert!(gap.num_milliseconds().abs() < 5, "endsAt {ends} is the offer's expiry {expires}");
    let row = offer_row(&app, &made.code).await;
    assert_eq!(row.platform_id.as_deref(), Some(made.id.as_str()), "the platform id is stored");

    let free = double.find_code(s["code"].as_str().expect("code")).expect("at the double");
    assert!(free.free_shipping, "free shipping uses discountCodeFreeShippingCreate");
    assert_eq!(free.max_shipping.as_deref(), Some("8.00"));
    assert_eq!(free.customer_ids, ["gid://shopify/Customer/7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_deletes_at_the_platform_and_discounts_delete_marks_deleted_once() {
    let Rig { app, double } = rig().await;
    let mut body = campaign("custom", json!({"kind": "fixed_amount", "value": "10.00"}));
    body["trigger"] = json!({"kind": "custom", "event": "go"});
    let c = create(&app, &body).await;
    for customer in ["7", "8"] {
        event_ok(&app, &json!({"customer_id": customer, "kind": "custom", "name": "go"})).await;
    }
    run_worker(&app, 0).await;
    eventually("both offers active", Duration::from_secs(10), || async {
        let offers = offers_of(&app, &id(&c)).await;
        offers.iter().all(|o| o["status"] == "active").then_some(())
    })
    .await;
    assert_eq!(reserved(&app, &id(&c)).await, 2_000);
    let offers = offers_of(&app, &id(&c)).await;
    let (seven, eight): (Vec<&Value>, Vec<&Value>) = offers.iter().partition(|o| o["customer_id"] == "7");
    let (code7, code8) = (seven[0]["code"].as_str().expect("code"), eight[0]["code"].as_str().expect("code"));

    // The merchant deletes customer 8's code in the Shopify admin.
    let node = double.delete_out_of_band(code8).expect("deleted at the double");
    for event in ["ev-d1", "ev-d1", "ev-d2"] {
        hook(&app, "discounts/delete", event, &json!({"admin_graphql_api_id": node, "id": 1})).await;
    }
    let deleted = settles(&app, &id(&c), "deleted").await;
    assert_eq!(deleted["customer_id"], "8");
    assert_eq!(reserved(&app, &id(&c)).await, 1_000, "released once for three deliveries");

    // 49 hours later customer 7's offer expires: deleted at the platform too.
    let later = chrono::Utc::now().naive_utc() + chrono::Duration::hours(49);
    assert_eq!(expire_offers_once(&app.store, later, chrono::Duration::zero()).await.expect("expire"), 1);
    eventually("the expired code gone at the platform", Duration::from_secs(10), || async {
        double.live_codes().is_empty().then_some(())
    })
    .await;
    assert_eq!(reserved(&app, &id(&c)).await, 0);
    assert_eq!(double.stats().deletes, 1, "one API delete (customer 8's was out of band)");
    let row = offer_row(&app, code7).await;
    assert_eq!(row.status.as_str(), "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_offer_fails_and_gives_its_reservation_back() {
    let Rig { app, double } = rig().await;
    let mut body = campaign("custom", json!({"kind": "fixed_amount", "value": "10.00"}));
    body["trigger"] = json!({"kind": "custom", "event": "go"});
    let c = create(&app, &body).await;
    double.set_faults(Faults { reject_next_create: Some("INVALID".into()), ..Faults::default() });
    event_ok(&app, &json!({"customer_id": "7", "kind": "custom", "name": "go"})).await;
    run_worker(&app, 0).await;
    let failed = settles(&app, &id(&c), "failed").await;
    assert!(failed["code"].is_string());
    assert_eq!(reserved(&app, &id(&c)).await, 0, "the reservation comes back");
    assert!(double.live_codes().is_empty());
    // The next offer goes through.
    event_ok(&app, &json!({"customer_id": "8", "kind": "custom", "name": "go"})).await;
    run_worker(&app, 0).await;
    settles(&app, &id(&c), "active").await;
    assert_eq!(double.stats().creates, 1);
}
