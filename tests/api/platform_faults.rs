//! The connector under the double's faults and races: pacing and
//! throttling, refunds, segments, abandoned calls, expiry, reconciliation,
//! two instances, and ambiguous internal errors.

use crate::helpers::*;
use crate::platform::*;
use crate::shopify_double::{DoubleConfig, Faults};
use diesel::prelude::*;
use futures_util::future::join_all;
use loyalty_wallet::store::schema::claims as claims_table;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

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
                .post(format!("{}/admin/api/2026-10/graphql.json", double.base_url))
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
        .post(format!("{}/admin/api/2026-10/graphql.json", double.base_url))
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
