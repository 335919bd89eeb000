//! Races between a push still out at the platform and a refund: whatever
//! order things land in, a refunded claim leaves no usable code there. And
//! a push still out holds one relay slot, not the relay.

use crate::helpers::*;
use crate::platform::*;
use crate::shopify_double::{DoubleConfig, Faults, ShopifyDouble};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_lands_after_the_refund_is_deleted_too() {
    // The claim is answered before its push is done (no push window). The
    // platform holds the create 1.2 s: the service gives up on it after its
    // 0.5 s timeout, and the platform applies it anyway. Meanwhile the
    // shopper refunds, and the cleanup's first look fails. Before the fix,
    // one more quick look saw nothing and the cleanup ended; the code landed
    // afterwards, live for a refunded claim (the two-processes CI run
    // caught it with lost answers).
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 0).await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let held = Faults { hold_creates_ms: 1_200, ..Faults::default() };
    double.set_faults(held.clone());
    let (status, claim) = claim_with(&app, "1", json!({"points": 300})).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["status"], "pending", "answered before the push: {claim}");
    let id = claim["id"].as_str().expect("id");
    let code = claim["code"].as_str().expect("code").to_string();
    eventually("the create at the platform", Duration::from_secs(5), || async {
        (double.stats().held >= 1).then_some(())
    })
    .await;
    assert_eq!(double.stats().creates, 0, "the create is still held");
    double.set_faults(Faults { fail_next: 1, ..held });
    let (status, body) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "a code not pushed yet is refunded at once: {body}");
    assert_eq!(body["claim"]["status"], "refunded", "{body}");
    held_create_lands_then_no_live_code(&app, &double, 1, &code).await;
    assert_eq!(claim_row(&app, id).await.status.as_str(), "refunded");
    assert_eq!(app.balance("1").await, 1_000);
    assert_no_duplicates(&double);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repush_that_lands_after_the_refund_is_deleted_too() {
    // Reconciliation re-pushes a code lost at the platform; the platform
    // holds that create past the service's timeout. Meanwhile the shopper
    // refunds: the refund deletes by the old node id, finds nothing, and
    // credits. The re-push's retry then found the claim refunded and
    // stopped, and the held create landed: a live code for a refunded claim.
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| s.platform.push_window_ms = 0).await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let claim = active_claim(&app, "1", 400).await;
    let id = claim["id"].as_str().expect("id");
    let code = claim["code"].as_str().expect("code").to_string();
    double.delete_out_of_band(&code).expect("live");
    double.set_faults(Faults { hold_creates_ms: 1_200, ..Faults::default() });
    let report = loyalty_wallet::platform::sweeper::reconcile(&platform_handle(&app)).await.expect("reconcile");
    assert_eq!(report.missing_repushed, 1, "{report:?}");
    eventually("the re-push at the platform", Duration::from_secs(5), || async {
        (double.stats().held >= 1).then_some(())
    })
    .await;
    let (status, body) =
        status_json(app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await).await;
    assert!(status == StatusCode::OK || status == StatusCode::ACCEPTED, "{body}");
    claim_settles(&app, id, &["refunded"], Duration::from_secs(5)).await;
    held_create_lands_then_no_live_code(&app, &double, 2, &code).await;
    assert_eq!(app.balance("1").await, 1_000);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

/// Waits for the held create (the platform's `creates`-th) to land, lifts the
/// faults, lets the outbox drain, and asserts the code is not live.
async fn held_create_lands_then_no_live_code(app: &TestApp, double: &ShopifyDouble, creates: u64, code: &str) {
    eventually("the held create to land", Duration::from_secs(5), || async {
        (double.stats().creates >= creates).then_some(())
    })
    .await;
    double.set_faults(Faults::default());
    outbox_drains(app, Duration::from_secs(10)).await;
    assert!(
        !double.live_codes().iter().any(|c| c == code),
        "claim refunded, yet its code {code} is live at the platform: {:?}",
        double.find_code(code)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_create_holds_one_relay_slot_not_the_others() {
    // Two claims whose first push fails (502), so the background relay
    // retries both. The platform holds the first retry's create 4 s (the
    // client waits 5 s). The relay used to lease a batch and wait for all of
    // it before leasing again, so the second claim's retry, due meanwhile,
    // waited for the slow create: one slow answer held up every other row,
    // other shops' too. Now the second code is live while the first is held.
    let Rig { app, double } = rig_with(DoubleConfig::default(), |s| {
        s.platform.push_window_ms = 0;
        s.platform.request_timeout_ms = 5_000;
        s.platform.retry_base_ms = 300; // a retry comes 150-300 ms after the failure
    })
    .await;
    program(&app, base_program()).await;
    for customer in ["1", "2", "3"] {
        app.grant(customer, 1_000).await;
    }
    // One push first: the client paces a shop one request at a time until
    // the platform's first answer tells it the shop's bucket.
    active_claim(&app, "3", 100).await;
    let slow = failing_first_push(&app, &double, "1").await;
    double.set_faults(Faults { hold_creates_ms: 4_000, ..Faults::default() });
    eventually("the first claim's retry held", Duration::from_secs(3), || async {
        (double.stats().held >= 1).then_some(())
    })
    .await;
    double.set_faults(Faults::default());
    let quick = failing_first_push(&app, &double, "2").await;
    eventually("the second claim's retry live", Duration::from_secs(3), || async {
        double.live_codes().contains(&quick).then_some(())
    })
    .await;
    assert!(!double.live_codes().contains(&slow), "the first retry's create is still held");
    outbox_drains(&app, Duration::from_secs(10)).await;
    let live = double.live_codes();
    assert!(live.contains(&slow) && live.contains(&quick), "{live:?}");
    assert_no_duplicates(&double);
}

/// A claim whose first push is answered 502; its code, once that is done.
async fn failing_first_push(app: &TestApp, double: &ShopifyDouble, customer: &str) -> String {
    let before = double.stats().faults_injected;
    double.set_faults(Faults { fail_next: 1, ..Faults::default() });
    let (status, claim) = claim_with(app, customer, json!({"points": 300})).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    eventually("the first push failed", Duration::from_secs(3), || async {
        (double.stats().faults_injected > before).then_some(())
    })
    .await;
    claim["code"].as_str().expect("code").to_string()
}

/// A claim whose create the shop's bucket cannot take within the push
/// window is answered `pending` at once, not after a window spent waiting,
/// and the relay pushes it once the bucket has refilled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_the_bucket_cannot_take_within_the_window_is_answered_pending_at_once() {
    // 30 points refilled at 2 a second: three creates empty it, a fourth waits 5 s.
    let config = DoubleConfig { bucket_size: 30.0, restore_rate: 2.0, ..DoubleConfig::default() };
    let Rig { app, double } = rig_with(config, |s| s.platform.push_window_ms = 3_000).await;
    program(&app, base_program()).await;
    app.grant("1", 10_000).await;
    for n in 1..=3 {
        let (status, claim) = claim_with(&app, "1", json!({"points": 100})).await;
        assert_eq!((status, claim["status"].as_str()), (StatusCode::CREATED, Some("active")), "claim {n}: {claim}");
    }
    let started = std::time::Instant::now();
    let (status, claim) = claim_with(&app, "1", json!({"points": 100})).await;
    let took = started.elapsed();
    assert_eq!((status, claim["status"].as_str()), (StatusCode::CREATED, Some("pending")), "{claim}");
    assert!(took < Duration::from_millis(1_500), "answered after {took:?}: the 3 s window was spent waiting");
    claim_settles(&app, claim["id"].as_str().expect("id"), &["active"], Duration::from_secs(20)).await;
    assert_eq!(double.discounts().len(), 4);
    assert_no_duplicates(&double);
    assert_eq!(double.stats().throttled, 0, "nothing was sent that the bucket could not take");
}
