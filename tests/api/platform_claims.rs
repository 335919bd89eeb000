//! Claims pushed to the Shopify double: every program setting, the push
//! window, outages, the first request failing, faults at scale, refusals
//! and deadlines.

use crate::helpers::*;
use crate::platform::*;
use crate::shopify_double::{DoubleConfig, Faults, ShopifyDouble};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;

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
