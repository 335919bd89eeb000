//! Proof of the budget under concurrency, on SQLite and,
//! with TEST_DATABASE_URL, on PostgreSQL:
//! - a model test: after every step of random sequences of issue / use
//!   (checkout redeem) / expire (clock advance + expiry pass) / delete,
//!   Σ reserved on `campaign_counters` = the value of the open offers
//!   (pending/active), total = the value ever issued, never above the cap;
//! - a redeem racing an expiry pass releases the reservation exactly once;
//! - two service instances on one PostgreSQL database issuing for one
//!   campaign never exceed its limits.

use crate::campaigns::create;
use crate::events::{campaign, event_ok};
use crate::helpers::*;
use futures_util::future::join_all;
use loyalty_wallet::platform::issuer::{expire_offers_once, issue_due_once};
use loyalty_wallet::store::offers::{self, OfferRow, OfferStatus};
use loyalty_wallet::store::{campaigns, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::json;
use std::collections::BTreeMap;

const CAP_MINOR: i64 = 3_000; // three 10.00 offers open at a time

async fn rows(store: &Store, campaign: &str) -> Vec<OfferRow> {
    let (shop, id) = (SHOP.to_string(), campaign.to_string());
    store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(offers::for_campaign(conn, &shop, &id, None, None, 100_000)?)
        })
        .await
        .expect("offers")
}

async fn counters(store: &Store, campaign: &str) -> (i64, i64) {
    let (shop, id) = (SHOP.to_string(), campaign.to_string());
    store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| Ok(campaigns::counters(conn, &shop, &id)?))
        .await
        .expect("counters")
}

/// Σ reserved = value of open offers; total = value ever issued; within the cap.
async fn assert_budget(store: &Store, campaign: &str, step: &str) -> Vec<OfferRow> {
    let all = rows(store, campaign).await;
    let open: i64 = all.iter().filter(|o| OfferStatus::OPEN.contains(&o.status)).map(|o| o.value_minor).sum();
    let issued: i64 = all.iter().filter(|o| o.issued_at.is_some()).map(|o| o.value_minor).sum();
    let (reserved, total) = counters(store, campaign).await;
    assert_eq!(reserved, open, "{step}: Σ reserved = value of open offers");
    assert_eq!(total, issued, "{step}: total = value ever issued");
    assert!((0..=CAP_MINOR).contains(&reserved), "{step}: reserved {reserved} within the cap");
    all
}

async fn budget_campaign(app: &TestApp, event: &str) -> String {
    let mut body = campaign(json!({"kind": "custom", "event": event}));
    body["limits"] = json!({"max_outstanding_value": "30.00"});
    body["expires_after_hours"] = json!(1);
    create(app, &body).await["id"].as_str().expect("id").to_string()
}

/// Deletes an open offer as a platform `discounts/delete` does: a
/// conditional move out of pending/active, and the release only if it moved.
async fn delete_offer(store: &Store, row: OfferRow) {
    store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            let now = loyalty_wallet::clock::now();
            if offers::transition(conn, &row, &OfferStatus::OPEN, OfferStatus::Deleted, None, now)? {
                loyalty_wallet::store::limits::release(conn, &row.shop_id, &row.campaign_id, row.reserved_minor)?;
            }
            Ok(())
        })
        .await
        .expect("delete");
}

async fn random_steps(app: &TestApp, campaign: &str, seed: u64, steps: usize) -> BTreeMap<String, usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut seen = BTreeMap::new();
    for step in 0..steps {
        let all = rows(&app.store, campaign).await;
        let open: Vec<&OfferRow> = all.iter().filter(|o| o.status == OfferStatus::Active).collect();
        let op = match rng.gen_range(0..10) {
            0..=3 => "issue",
            4..=5 if !open.is_empty() => "use",
            6..=7 => "expire",
            8..=9 if !open.is_empty() => "delete",
            _ => "issue",
        };
        match op {
            "issue" => {
                event_ok(app, &json!({"customer_id": format!("m{seed}-{step}"), "kind": "custom", "name": "m"})).await;
                issue_due_once(&app.store, app.store.clock().now(), 1_000).await.expect("issue");
            }
            "use" => {
                let offer = open[rng.gen_range(0..open.len())];
                let code = offer.code.clone().expect("code");
                let answer = app.redeem(&code, &offer.customer_id, &format!("order-{step}"), "50.00").await;
                // An offer past its expiry (not yet expired by a pass) is refused: both are fine here.
                assert!(matches!(answer.status(), StatusCode::OK | StatusCode::CONFLICT), "{step}: {answer:?}");
            }
            "expire" => {
                app.store.clock().advance(chrono::Duration::minutes(rng.gen_range(0..90)));
                let now = app.store.clock().now();
                expire_offers_once(&app.store, now, chrono::Duration::zero()).await.expect("expire");
            }
            _ => delete_offer(&app.store, open[rng.gen_range(0..open.len())].clone()).await,
        }
        *seen.entry(op.to_string()).or_default() += 1;
        assert_budget(&app.store, campaign, &format!("seed {seed} step {step} ({op})")).await;
    }
    seen
}

#[tokio::test]
async fn reserved_always_equals_the_value_of_open_offers_after_random_steps() {
    let app = TestApp::spawn().await;
    let id = budget_campaign(&app, "m").await;
    let mut seen = BTreeMap::new();
    for seed in [1_u64, 2, 3] {
        for (op, n) in random_steps(&app, &id, seed, 40).await {
            *seen.entry(op).or_insert(0) += n;
        }
    }
    for op in ["issue", "use", "expire", "delete"] {
        assert!(seen.get(op).is_some_and(|n| *n >= 3), "every kind of step ran: {seen:?}");
    }
    let all = assert_budget(&app.store, &id, "end").await;
    let statuses: std::collections::BTreeSet<&str> = all.iter().map(|o| o.status.as_str()).collect();
    for s in ["used", "expired", "deleted", "refused"] {
        assert!(statuses.contains(s), "{s} reached: {statuses:?}");
    }
}

#[tokio::test]
async fn a_redeem_racing_an_expiry_releases_the_reservation_once() {
    let app = TestApp::spawn().await;
    let id = budget_campaign(&app, "race").await;
    let mut winners = BTreeMap::<&str, usize>::new();
    for round in 0..12_u64 {
        event_ok(&app, &json!({"customer_id": format!("race{round}"), "kind": "custom", "name": "race"})).await;
        let mut offer = None;
        for _ in 0..100 {
            // The background issuer may hold the offer for a moment (SKIP LOCKED).
            issue_due_once(&app.store, app.store.clock().now(), 10).await.expect("issue");
            offer = rows(&app.store, &id).await.into_iter().find(|o| o.status == OfferStatus::Active);
            if offer.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let offer = offer.expect("an active offer");
        let code = offer.code.clone().expect("code");
        // The checkout still sees the code as valid (its clock is now); the
        // expiry pass runs as if two hours had passed: they race.
        let later = app.store.clock().now() + chrono::Duration::hours(2);
        let order = format!("race-order-{round}");
        let (redeem, expired) = tokio::join!(app.redeem(&code, &offer.customer_id, &order, "50.00"), async {
            // Staggered so that either side may win a round.
            for _ in 0..round * 3 {
                tokio::task::yield_now().await;
            }
            expire_offers_once(&app.store, later, chrono::Duration::zero()).await
        });
        let expired = expired.expect("expire");
        let used = redeem.status() == StatusCode::OK;
        assert!(used || redeem.status() == StatusCode::CONFLICT, "round {round}: {}", redeem.status());
        assert_eq!(usize::from(used) + expired, 1, "round {round}: used {used}, expired {expired}");
        let all = assert_budget(&app.store, &id, &format!("round {round}")).await;
        let this = all.iter().find(|o| o.id == offer.id).expect("offer");
        assert_eq!(this.status.as_str(), if used { "used" } else { "expired" }, "round {round}");
        assert_eq!(counters(&app.store, &id).await.0, 0, "round {round}: released exactly once");
        *winners.entry(if used { "redeem" } else { "expiry" }).or_default() += 1;
    }
    eprintln!("redeem/expiry race winners: {winners:?}");
}

#[tokio::test]
async fn two_service_instances_never_exceed_a_campaigns_limits() {
    let Some(_) = postgres_server() else {
        eprintln!("skipped: needs TEST_DATABASE_URL=postgres://…");
        return;
    };
    let app = TestApp::spawn().await;
    let other = TestApp::spawn_with(test_settings(&app.database_url), None).await;
    let mut body = campaign(json!({"kind": "custom", "event": "two"}));
    body["limits"] = json!({"max_outstanding_value": "50.00", "daily_codes": 4, "per_customer": 1});
    let c = create(&app, &body).await;
    let id = c["id"].as_str().expect("id").to_string();
    let mut body = campaign(json!({"kind": "custom", "event": "budget"}));
    body["limits"] = json!({"max_outstanding_value": "50.00"}); // exactly 5 × 10.00
    let budget = create(&other, &body).await["id"].as_str().expect("id").to_string();
    // 64 events each, half through each instance: 8 customers × 8 events, and
    // 64 distinct customers for the budget.
    let posts = (0..128).map(|n| {
        let target = if n % 2 == 0 { &app } else { &other };
        let event = if n < 64 {
            json!({"customer_id": format!("two{}", n % 8), "kind": "custom", "name": "two"})
        } else {
            json!({"customer_id": format!("bud{n}"), "kind": "custom", "name": "budget"})
        };
        async move { event_ok(target, &event).await }
    });
    join_all(posts).await;
    // Both instances' workers at once (their background issuers run too).
    let now = app.store.clock().now();
    let runs = [&app.store, &other.store, &app.store, &other.store].map(|s| issue_due_once(s, now, 1_000));
    for result in join_all(runs).await {
        result.expect("worker");
    }
    let offers = crate::campaign_report::settled_offers(&app, &id).await;
    let active: Vec<_> = offers.iter().filter(|o| o["status"] == "active").collect();
    assert_eq!(active.len(), 4, "daily_codes 4 is the tightest limit");
    let customers: std::collections::HashSet<_> = active.iter().map(|o| o["customer_id"].clone()).collect();
    assert_eq!(customers.len(), 4, "per_customer 1");
    assert!(offers.iter().all(|o| o["status"] == "active" || o["status"] == "refused"), "all decided");
    assert_eq!(counters(&app.store, &id).await, (4_000, 4_000));
    let offers = crate::campaign_report::settled_offers(&other, &budget).await;
    let active = offers.iter().filter(|o| o["status"] == "active").count();
    let exhausted = offers.iter().filter(|o| o["reason"] == "budget_exhausted").count();
    assert_eq!((active, exhausted), (5, 59), "exactly K = 5 issued across two instances");
    assert_eq!(counters(&other.store, &budget).await, (5_000, 5_000));
}
