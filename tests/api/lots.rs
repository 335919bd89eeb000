//! Points lots, pending points and expiry, with the app's clock
//! moved instead of sleeping; every step checks invariant 9.

use crate::helpers::*;
use diesel::RunQueryDsl;
use loyalty_wallet::domain::money::Currency;
use loyalty_wallet::platform::points_sweep::{sweep_points, PointsReport};
use loyalty_wallet::platform::shopify::payloads;
use loyalty_wallet::store::lots::{self, LotRow};
use loyalty_wallet::store::webhooks;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn policy(app: &TestApp, body: Value) -> Value {
    let (status, shop) = status_json(app.put("/api/v1/admin/shop", &app.admin(), &body).await).await;
    assert_eq!(status, StatusCode::OK, "{shop}");
    shop
}

async fn wallet(app: &TestApp, customer: &str) -> Value {
    app.get("/api/v1/wallet", &app.customer(customer)).await.json().await.expect("wallet")
}

async fn lots_of(app: &TestApp, customer: &str) -> Vec<LotRow> {
    let c = customer.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| Ok(lots::all_lots(conn, SHOP, &c, 1000)?))
        .await
        .expect("lots")
}

async fn sweep(app: &TestApp) -> PointsReport {
    sweep_points(&app.store).await.expect("sweep")
}

fn usd() -> Currency {
    Currency::parse("USD").expect("usd")
}

pub async fn paid_order(app: &TestApp, order: u64, customer: &str, subtotal: &str) {
    let body = json!({"id": order, "customer": {"id": customer}, "subtotal_price": subtotal});
    let order = payloads::order(body, usd(), true).expect("order");
    app.store.write(move |conn| webhooks::apply_order(conn, SHOP, &order)).await.expect("order paid");
}

pub async fn refunded(app: &TestApp, order: u64, amount: &str) {
    let body = json!({"order_id": order, "transactions": [{"kind": "refund", "status": "success", "amount": amount}]});
    let refund = payloads::refund(body, usd()).expect("refund");
    app.store.write(move |conn| webhooks::apply_refund(conn, SHOP, &refund)).await.expect("refund");
}

#[tokio::test]
async fn debits_take_the_soonest_to_expire_first_and_a_refund_restores_those_lots() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    policy(&app, json!({"points_expiry": {"kind": "after_days", "days": 30}})).await;
    app.grant("1", 100).await;
    app.store.clock().advance_days(10);
    app.grant("1", 50).await;
    let before = lots_of(&app, "1").await;
    assert_eq!(before.iter().map(|l| l.remaining).collect::<Vec<_>>(), [100, 50], "soonest first");
    let claim = app.claim_ok("1", 120).await;
    let after = lots_of(&app, "1").await;
    assert_eq!(after.iter().map(|l| l.remaining).collect::<Vec<_>>(), [0, 30], "the sooner lot is spent first");
    let w = wallet(&app, "1").await;
    assert_eq!(w["expiring"].as_array().expect("expiring").len(), 1, "{w}");
    assert_eq!(w["expiring"][0]["points"], 30);
    assert_wallet_invariants(&app, SHOP, "1").await;

    let id = claim["id"].as_str().expect("id");
    let response = app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let restored = lots_of(&app, "1").await;
    assert_eq!(
        restored.iter().map(|l| (l.remaining, l.expires_at)).collect::<Vec<_>>(),
        before.iter().map(|l| (l.remaining, l.expires_at)).collect::<Vec<_>>(),
        "the same lots, the same expiry"
    );
    let w = wallet(&app, "1").await;
    assert_eq!(w["expiring"][0]["points"], 100, "{w}");
    assert_eq!(w["expiring"][1]["points"], 50, "{w}");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn the_wallet_sums_open_lots_by_expiry_date_and_shows_the_five_soonest() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    policy(&app, json!({"points_expiry": {"kind": "after_days", "days": 30}})).await;
    app.grant("1", 10).await;
    let first = lots_of(&app, "1").await.remove(0);
    let soonest = first.expires_at.expect("expires");
    let hour = chrono::Duration::hours(1);
    // (remaining, expiry): two lots on one date, five more dates, a lot that
    // never expires and a spent lot (not open) before them all.
    let more = [(5, Some(soonest + hour)), (7, Some(soonest + hour)), (100, None), (0, Some(soonest - hour))]
        .into_iter()
        .chain((2..=6).map(|d| (d, Some(soonest + hour * 24 * d as i32))));
    let rows: Vec<LotRow> = more
        .enumerate()
        .map(|(n, (remaining, expires_at))| LotRow {
            id: format!("extra-{n}"),
            points: remaining.max(1),
            remaining,
            expires_at,
            open: remaining > 0,
            ..first.clone()
        })
        .collect();
    app.store
        .write(move |conn| {
            use diesel::sql_types::{BigInt, Bool, Nullable, Text, Timestamp};
            for lot in &rows {
                diesel::sql_query(
                    "INSERT INTO lots (shop_id, customer_id, id, points, remaining, expires_at, entry_id, \
                     warned, created_at, open) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind::<Text, _>(&lot.shop_id)
                .bind::<Text, _>(&lot.customer_id)
                .bind::<Text, _>(&lot.id)
                .bind::<BigInt, _>(lot.points)
                .bind::<BigInt, _>(lot.remaining)
                .bind::<Nullable<Timestamp>, _>(lot.expires_at)
                .bind::<Text, _>(&lot.entry_id)
                .bind::<Bool, _>(lot.warned)
                .bind::<Timestamp, _>(lot.created_at)
                .bind::<Bool, _>(lot.open)
                .execute(conn)?;
            }
            Ok::<_, loyalty_wallet::store::Error>(())
        })
        .await
        .expect("lots");
    let w = wallet(&app, "1").await;
    use chrono::SubsecRound;
    let parse = |e: &Value| {
        let at = chrono::DateTime::parse_from_rfc3339(e["expires_at"].as_str().expect("at")).expect("rfc3339");
        (e["points"].as_i64().expect("points"), at.naive_utc())
    };
    let shown: Vec<(i64, chrono::NaiveDateTime)> =
        w["expiring"].as_array().expect("expiring").iter().map(parse).collect();
    let at = |t: chrono::NaiveDateTime| t.trunc_subsecs(6);
    let day = |d: i32| at(soonest + hour * 24 * d);
    assert_eq!(
        shown.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [10, 12, 2, 3, 4],
        "sums per date, soonest first, five dates: {w}"
    );
    assert_eq!(shown[0].1, at(soonest), "{w}");
    assert_eq!(shown[1].1, at(soonest + hour), "{w}");
    assert_eq!(shown[2].1, day(2), "{w}");
}

/// Each lot's `open` flag (what the open-lot indexes hold) against its
/// remainder, and the remainders of the open lots as the debit reads them.
async fn open_remainders(app: &TestApp, customer: &str) -> Vec<i64> {
    for lot in lots_of(app, customer).await {
        assert_eq!(lot.open, lot.remaining > 0, "{lot:?}");
    }
    let c = customer.to_string();
    let open = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| Ok(lots::open_lots(conn, SHOP, &c)?))
        .await
        .expect("open lots");
    let mut remainders: Vec<i64> = open.iter().map(|l| l.remaining).collect();
    remainders.sort_unstable();
    remainders
}

#[tokio::test]
async fn a_lot_is_open_while_it_has_points_through_partial_and_emptying_debits_and_a_refund() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    app.grant("1", 100).await;
    app.grant("1", 50).await;
    app.claim_ok("1", 30).await;
    assert_eq!(open_remainders(&app, "1").await, [50, 70], "a debit leaving points keeps the lot open");
    let claim = app.claim_ok("1", 70).await;
    assert_eq!(open_remainders(&app, "1").await, [50], "an emptied lot is closed");
    let id = claim["id"].as_str().expect("id");
    let response = app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(open_remainders(&app, "1").await, [50, 70], "a refund reopens the lot it emptied");
    app.claim_ok("1", 120).await;
    assert_eq!(open_remainders(&app, "1").await, Vec::<i64>::new(), "both emptied");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn due_lots_expire_in_one_entry_per_customer_and_returned_points_of_an_expired_lot_expire_next() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    policy(&app, json!({"points_expiry": {"kind": "after_days", "days": 30}})).await;
    app.grant("1", 100).await;
    app.grant("1", 40).await;
    app.grant("2", 70).await;
    let claim = app.claim_ok("1", 60).await;
    assert_eq!(sweep(&app).await.expired.points, 0, "nothing due yet");
    app.store.clock().advance_days(31);
    app.grant("2", 5).await;
    let report = sweep(&app).await;
    assert_eq!((report.expired.customers, report.expired.points), (2, 150), "{report:?}");
    assert_eq!(app.balance("1").await, 0);
    assert_eq!(app.balance("2").await, 5, "the fresh grant stays");
    let expired: Vec<_> = app.entries("1").await.into_iter().filter(|e| e.kind.as_str() == "expire").collect();
    assert_eq!(expired.iter().map(|e| e.delta).collect::<Vec<_>>(), [-80], "one entry per customer per pass");

    // The code's points go back to their (expired) lot, then expire too.
    let id = claim["id"].as_str().expect("id");
    let response = app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer("1"), None, &json!({})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.balance("1").await, 60);
    assert_wallet_invariants(&app, SHOP, "1").await;
    assert_eq!(sweep(&app).await.expired.points, 60);
    assert_eq!(app.balance("1").await, 0);
    let kinds: Vec<_> = app.entries("1").await.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["adjust", "adjust", "redeem", "expire", "refund", "expire"]);
    for customer in ["1", "2"] {
        assert_wallet_invariants(&app, SHOP, customer).await;
    }
}

#[tokio::test]
async fn inactivity_moves_the_whole_balance_and_no_policy_keeps_points_forever() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    app.grant("1", 100).await;
    policy(&app, json!({"points_expiry": {"kind": "inactivity", "days": 20}})).await;
    app.grant("1", 100).await;
    assert_eq!(
        lots_of(&app, "1").await.iter().filter(|l| l.expires_at.is_some()).count(),
        2,
        "activity re-dates the whole balance, the migrated-like lot included"
    );
    app.store.clock().advance_days(15);
    app.claim_ok("1", 10).await;
    app.store.clock().advance_days(15);
    assert_eq!(sweep(&app).await.expired.points, 0, "the claim was activity: 30 days after the grant, still valid");
    app.store.clock().advance_days(6);
    assert_eq!(sweep(&app).await.expired.points, 190);
    assert_eq!(app.balance("1").await, 0);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn points_of_an_order_are_pending_through_the_return_window() {
    let app = TestApp::spawn().await;
    app.set_shop("USD", "1").await;
    app.enable_program("online", "100", 1, 10_000).await;
    policy(&app, json!({"pending_days": 14, "points_expiry": {"kind": "after_days", "days": 100}})).await;
    app.grant("1", 10).await;
    paid_order(&app, 501, "1", "200.00").await;
    paid_order(&app, 502, "1", "100.00").await;
    let w = wallet(&app, "1").await;
    assert_eq!((w["points_balance"].as_i64(), w["pending_points"].as_i64()), (Some(10), Some(300)), "{w}");
    expect_error(app.claim("1", 50).await, StatusCode::CONFLICT, "insufficient_points").await;
    // A refund inside the window takes from the pending points only.
    refunded(&app, 501, "100.00").await;
    let w = wallet(&app, "1").await;
    assert_eq!((w["points_balance"].as_i64(), w["pending_points"].as_i64()), (Some(10), Some(200)), "{w}");
    assert_wallet_invariants(&app, SHOP, "1").await;

    app.store.clock().advance_days(14);
    assert_eq!(sweep(&app).await.released, 2);
    let w = wallet(&app, "1").await;
    assert_eq!((w["points_balance"].as_i64(), w["pending_points"].as_i64()), (Some(210), Some(0)), "{w}");
    let tx: Value = app.get("/api/v1/transactions", &app.customer("1")).await.json().await.expect("tx");
    let entries = tx["entries"].as_array().expect("entries");
    let sum = |field: &str| entries.iter().map(|e| e[field].as_i64().expect("number")).sum::<i64>();
    assert_eq!((sum("delta"), sum("pending_delta")), (210, 0), "balance = Σ delta, pending = Σ pending_delta");
    assert!(entries.iter().any(|e| e["kind"] == "pending" && e["delta"] == 0 && e["pending_delta"] == 200));
    assert!(entries.iter().any(|e| e["kind"] == "release" && e["delta"] == 100 && e["pending_delta"] == -100));
    // The released lot's clock starts at release.
    let released = lots_of(&app, "1").await.into_iter().find(|l| l.order_id.as_deref() == Some("502")).expect("lot");
    assert!(released.expires_at.expect("expiry") - released.created_at == app.store.clock().days(100));

    // After release the reversal takes the order's own lot first, never below zero.
    app.claim_ok("1", 150).await;
    refunded(&app, 502, "100.00").await;
    assert_eq!(app.balance("1").await, 0);
    let own = lots_of(&app, "1").await.into_iter().find(|l| l.order_id.as_deref() == Some("502")).expect("lot");
    assert_eq!(own.remaining, 0);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn settings_are_checked_per_field_and_sections_left_out_stay() {
    let app = TestApp::spawn().await;
    app.set_shop("EUR", "2").await;
    let shop = policy(
        &app,
        json!({"points_expiry": {"kind": "after_days", "days": 90}, "pending_days": 7,
        "expiry_warning_days": 10}),
    )
    .await;
    assert_eq!((shop["currency"].as_str(), shop["earn_points_per_unit"].as_str()), (Some("EUR"), Some("2")));
    assert_eq!(shop["points_expiry"], json!({"kind": "after_days", "days": 90}));
    let bad = json!({"points_expiry": {"kind": "after_days", "days": 0}, "pending_days": 366,
        "expiry_warning_days": -1});
    let error = expect_error(
        app.put("/api/v1/admin/shop", &app.admin(), &bad).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let fields = &error["error"]["details"]["fields"];
    for field in ["points_expiry.days", "pending_days", "expiry_warning_days"] {
        assert!(fields.get(field).is_some(), "{field} in {error}");
    }
    let too_late = json!({"expiry_warning_days": 90});
    expect_error(
        app.put("/api/v1/admin/shop", &app.admin(), &too_late).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_request",
    )
    .await;
    let shop = policy(&app, json!({"currency": "USD"})).await;
    assert_eq!((shop["pending_days"].as_i64(), shop["expiry_warning_days"].as_i64()), (Some(7), Some(10)));
    assert_eq!(shop["earn_points_per_unit"], "2", "{shop}");
}

#[tokio::test]
async fn warnings_come_once_per_customer_per_expiry_date() {
    let app = TestApp::spawn().await;
    policy(&app, json!({"points_expiry": {"kind": "after_days", "days": 30}, "expiry_warning_days": 5})).await;
    app.grant("1", 100).await;
    app.grant("2", 20).await;
    assert!(sweep(&app).await.warnings.is_empty());
    app.store.clock().advance_days(26);
    let report = sweep(&app).await;
    let warned: Vec<_> = report.warnings.iter().map(|(_, w)| (w.customer_id.clone(), w.points)).collect();
    assert_eq!(warned, [("1".to_string(), 100), ("2".to_string(), 20)]);
    assert!(sweep(&app).await.warnings.is_empty(), "once");
}

#[tokio::test]
async fn the_admin_customer_page_shows_lots_and_pending_points() {
    let app = TestApp::spawn().await;
    app.set_shop("USD", "1").await;
    policy(&app, json!({"pending_days": 3, "points_expiry": {"kind": "after_days", "days": 10}})).await;
    app.grant("7", 40).await;
    paid_order(&app, 900, "7", "25.00").await;
    let (status, detail) = status_json(app.get("/api/v1/admin/customers/7", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(detail["pending_points"], 25, "{detail}");
    assert_eq!(detail["lots"][0]["remaining"], 40);
    assert!(detail["lots"][0]["expires_at"].is_string(), "{detail}");
}

#[derive(Debug, Clone)]
enum Op {
    Earn(u8, u16),
    Adjust(u8, i16),
    Claim(u8, u16),
    Refund(usize),
    OrderRefund(usize, u8),
    Advance(u8),
    Sweep,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..2_u8, 1..400_u16).prop_map(|(c, a)| Op::Earn(c, a)),
        (0..2_u8, -300..300_i16).prop_map(|(c, p)| Op::Adjust(c, p)),
        (0..2_u8, 1..300_u16).prop_map(|(c, p)| Op::Claim(c, p)),
        (0..8_usize).prop_map(Op::Refund),
        (0..8_usize, 1..100_u8).prop_map(|(o, p)| Op::OrderRefund(o, p)),
        (0..6_u8).prop_map(Op::Advance),
        Just(Op::Sweep),
    ]
}

async fn run_ops(ops: Vec<Op>, inactivity: bool) {
    let app = TestApp::spawn().await;
    app.set_shop("USD", "1").await;
    app.enable_program("online", "100", 1, 10_000).await;
    let kind = if inactivity { "inactivity" } else { "after_days" };
    policy(&app, json!({"points_expiry": {"kind": kind, "days": 4}, "pending_days": 2})).await;
    let (mut claims, mut orders) = (Vec::new(), Vec::new());
    for op in ops {
        match op {
            Op::Earn(c, amount) => {
                let order = 1000 + orders.len() as u64;
                paid_order(&app, order, &c.to_string(), &format!("{amount}.00")).await;
                orders.push((order, amount));
            }
            Op::Adjust(c, p) if p != 0 => drop(app.admin_adjust(&c.to_string(), i64::from(p)).await),
            Op::Claim(c, p) => {
                let response = app.claim(&c.to_string(), i64::from(p)).await;
                if response.status() == StatusCode::CREATED {
                    let body: Value = response.json().await.expect("claim");
                    claims.push((c, body["id"].as_str().expect("id").to_string()));
                }
            }
            Op::Refund(i) if !claims.is_empty() => {
                let (c, id) = &claims[i % claims.len()];
                app.post(&format!("/api/v1/claims/{id}/refund"), &app.customer(&c.to_string()), None, &json!({})).await;
            }
            Op::OrderRefund(i, percent) if !orders.is_empty() => {
                let (order, amount) = orders[i % orders.len()];
                let part = u32::from(amount) * u32::from(percent) / 100;
                refunded(&app, order, &format!("{part}.00")).await;
            }
            Op::Advance(days) => app.store.clock().advance_days(i64::from(days)),
            Op::Sweep => drop(sweep(&app).await),
            _ => {}
        }
        for c in ["0", "1"] {
            assert_wallet_invariants(&app, SHOP, c).await;
        }
    }
}

#[test]
fn random_sequences_with_a_moving_clock_keep_the_lot_invariants() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut runner = TestRunner::new(Config { cases: 8, failure_persistence: None, ..Config::default() });
    runner
        .run(&(prop::collection::vec(op(), 10..40), any::<bool>()), |(ops, inactivity)| {
            runtime.block_on(run_ops(ops, inactivity));
            Ok(())
        })
        .expect("lot invariants hold");
}
