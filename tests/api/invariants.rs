//! Invariants 1-3 of DESIGN.md under random sequences:
//! a seeded random walk over the HTTP API checked against a model after
//! every step, and a proptest over the store's units of work.

use crate::helpers::*;
use loyalty_wallet::domain::claim::ClaimStatus;
use loyalty_wallet::domain::ids::{CustomerId, ShopDomain};
use loyalty_wallet::domain::money::{Currency, PointsPerUnit};
use loyalty_wallet::domain::points::Points;
use loyalty_wallet::domain::program::{Channel, ProgramSettings};
use loyalty_wallet::store::checkout::{self, RedeemRequest};
use loyalty_wallet::store::claims::{self, ClaimRequest};
use loyalty_wallet::store::{customers, programs, shops, Store};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

const CUSTOMERS: [&str; 3] = ["101", "202", "303"];
const RATIOS: [&str; 5] = ["100", "3", "0.7", "250", "12.5"];
const EARN_RATE: &str = "1";

struct ModelClaim {
    id: String,
    code: String,
    customer: &'static str,
    points: i64,
    value_minor: i64,
    status: &'static str,
}

#[derive(Default)]
struct Model {
    balances: BTreeMap<&'static str, i64>,
    claims: Vec<ModelClaim>,
    earned_orders: HashSet<String>,
    ratio: &'static str,
    /// A claim request already answered: key, customer, points, raw answer.
    replayable: Vec<(String, &'static str, i64, actix_web::web::Bytes)>,
}

fn value_minor(ratio: &str, points: i64) -> i64 {
    let ratio = PointsPerUnit::parse(Decimal::from_str(ratio).expect("ratio")).expect("ratio");
    ratio.value_minor(points, Currency::parse("USD").expect("USD"))
}

async fn random_walk(seed: u64, steps: usize) {
    let app = TestApp::spawn().await;
    app.set_shop("USD", EARN_RATE).await;
    app.enable_program("online", "100", 1, 5_000).await;
    let mut model = Model { ratio: "100", ..Model::default() };
    let mut rng = StdRng::seed_from_u64(seed);
    for step in 0..steps {
        let customer = CUSTOMERS[rng.gen_range(0..CUSTOMERS.len())];
        let balance = *model.balances.get(customer).unwrap_or(&0);
        let context = format!("seed {seed} step {step}");
        match rng.gen_range(0..100) {
            0..=14 => {
                let points = rng.gen_range(1..2_000);
                assert_eq!(app.admin_adjust(customer, points).await.status(), StatusCode::CREATED, "{context}");
                *model.balances.entry(customer).or_default() += points;
            }
            15..=24 => {
                let points = rng.gen_range(1..1_500);
                let response = app.admin_adjust(customer, -points).await;
                if balance >= points {
                    assert_eq!(response.status(), StatusCode::CREATED, "{context}");
                    *model.balances.entry(customer).or_default() -= points;
                } else {
                    expect_error(response, StatusCode::CONFLICT, "insufficient_points").await;
                }
            }
            25..=54 => {
                let points = if rng.gen_bool(0.2) { rng.gen_range(1..5) } else { rng.gen_range(1..1_200) };
                let key = format!("walk-{seed}-{step}");
                let body = json!({"points": points});
                let response = app.post("/api/v1/claims", &app.customer(customer), Some(&key), &body).await;
                let expected_value = value_minor(model.ratio, points);
                if expected_value == 0 {
                    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "zero_value").await;
                } else if balance < points {
                    expect_error(response, StatusCode::CONFLICT, "insufficient_points").await;
                } else {
                    assert_eq!(response.status(), StatusCode::CREATED, "{context}");
                    let raw = response.bytes().await.expect("body");
                    let claim: serde_json::Value = serde_json::from_slice(&raw).expect("json");
                    assert_eq!(claim["points"], points, "{context}");
                    assert_eq!(
                        claim["value"],
                        Currency::parse("USD").expect("USD").format_minor(expected_value),
                        "{context} ratio {}",
                        model.ratio
                    );
                    *model.balances.entry(customer).or_default() -= points;
                    model.claims.push(ModelClaim {
                        id: claim["id"].as_str().expect("id").into(),
                        code: claim["code"].as_str().expect("code").into(),
                        customer,
                        points,
                        value_minor: expected_value,
                        status: "active",
                    });
                    model.replayable.push((key, customer, points, raw));
                }
            }
            55..=69 if !model.claims.is_empty() => {
                let index = rng.gen_range(0..model.claims.len());
                let claim = &mut model.claims[index];
                let by_admin = rng.gen_bool(0.5);
                let (path, token) = if by_admin {
                    (format!("/api/v1/admin/claims/{}/refund", claim.id), app.admin())
                } else {
                    (format!("/api/v1/claims/{}/refund", claim.id), app.customer(claim.customer))
                };
                // Another customer first: never their business.
                let stranger = CUSTOMERS.iter().find(|c| **c != claim.customer).expect("stranger");
                let response = app
                    .post(&format!("/api/v1/claims/{}/refund", claim.id), &app.customer(stranger), None, &json!({}))
                    .await;
                expect_error(response, StatusCode::NOT_FOUND, "not_found").await;
                let response = app.post(&path, &token, None, &json!({})).await;
                if claim.status == "active" {
                    let (status, body) = status_json(response).await;
                    assert_eq!(status, StatusCode::OK, "{context}: {body}");
                    assert_eq!(body["points_refunded"], claim.points);
                    claim.status = "refunded";
                    *model.balances.entry(claim.customer).or_default() += claim.points;
                } else {
                    expect_error(response, StatusCode::CONFLICT, "claim_not_refundable").await;
                }
            }
            70..=84 if !model.claims.is_empty() => {
                let index = rng.gen_range(0..model.claims.len());
                let claim = &mut model.claims[index];
                let wrong_customer = rng.gen_bool(0.15);
                let who = if wrong_customer {
                    CUSTOMERS.iter().find(|c| **c != claim.customer).expect("other")
                } else {
                    &claim.customer
                };
                let order = if rng.gen_bool(0.2) { "order-shared".to_string() } else { format!("order-{seed}-{step}") };
                let subtotal_minor: i64 = rng.gen_range(0..20_000);
                let subtotal = Currency::parse("USD").expect("USD").format_minor(subtotal_minor);
                let response = app.redeem(&claim.code, who, &order, &subtotal).await;
                if claim.status == "active" && !wrong_customer {
                    let (status, body) = status_json(response).await;
                    assert_eq!(status, StatusCode::OK, "{context}: {body}");
                    claim.status = "used";
                    let earn = (subtotal_minor - claim.value_minor).max(0) / 100;
                    let expected = if earn > 0 && !model.earned_orders.contains(&order) {
                        model.earned_orders.insert(order.clone());
                        earn
                    } else {
                        0
                    };
                    assert_eq!(body["points_earned"], expected, "{context}");
                    *model.balances.entry(claim.customer).or_default() += expected;
                } else {
                    expect_error(response, StatusCode::CONFLICT, "code_not_valid").await;
                }
            }
            85..=92 => {
                let ratio = RATIOS[rng.gen_range(0..RATIOS.len())];
                let body = json!({"enabled": true, "points_per_unit": ratio, "min_points": 1, "max_points": 5_000, "purchase_type": "one_time"});
                assert_eq!(app.put_program("online", &body).await.status(), StatusCode::OK, "{context}");
                model.ratio = ratio;
            }
            _ if !model.replayable.is_empty() => {
                let (key, customer, points, raw) = &model.replayable[rng.gen_range(0..model.replayable.len())];
                let response =
                    app.post("/api/v1/claims", &app.customer(customer), Some(key), &json!({"points": points})).await;
                assert_eq!(response.status(), StatusCode::CREATED, "{context}");
                assert_eq!(&response.bytes().await.expect("body"), raw, "{context}: replayed byte for byte");
            }
            _ => {}
        }
        if step % 25 == 0 || step + 1 == steps {
            for customer in CUSTOMERS {
                let stored = assert_wallet_invariants(&app, SHOP, customer).await;
                assert_eq!(stored, *model.balances.get(customer).unwrap_or(&0), "{context}: {customer}'s balance");
            }
        }
    }
    for claim in &model.claims {
        let rows = app.claim_rows(claim.customer).await;
        let row = rows.iter().find(|r| r.id == claim.id).expect("claim stored");
        assert_eq!(row.status.as_str(), claim.status, "claim {} status", claim.id);
        assert_eq!(row.value_minor, claim.value_minor);
    }
    let total: usize = model.claims.len();
    assert!(total > 20, "the walk made claims ({total})");
    assert!(model.claims.iter().any(|c| c.status == "refunded") && model.claims.iter().any(|c| c.status == "used"));
}

#[tokio::test]
async fn a_random_walk_over_the_api_keeps_the_invariants() {
    random_walk(0x5eed_0001, 300).await;
}

#[tokio::test]
async fn another_random_walk_over_the_api_keeps_the_invariants() {
    random_walk(0x5eed_0002, 200).await;
}

// --- proptest over the store's units of work --------------------------------

#[derive(Debug, Clone)]
enum StoreOp {
    Adjust { customer: usize, delta: i64 },
    Claim { customer: usize, points: i64, pos: bool },
    Refund { claim: usize, by_owner: bool },
    Redeem { claim: usize, subtotal_minor: i64, shared_order: bool },
    Ratio { ratio: &'static str },
}

fn store_op() -> impl Strategy<Value = StoreOp> {
    prop_oneof![
        3 => (0..3_usize, -800..1_500_i64).prop_filter("non-zero", |(_, d)| *d != 0).prop_map(|(customer, delta)| StoreOp::Adjust { customer, delta }),
        4 => (0..3_usize, 1..900_i64, any::<bool>()).prop_map(|(customer, points, pos)| StoreOp::Claim { customer, points, pos }),
        2 => (0..64_usize, any::<bool>()).prop_map(|(claim, by_owner)| StoreOp::Refund { claim, by_owner }),
        2 => (0..64_usize, 0..20_000_i64, any::<bool>()).prop_map(|(claim, subtotal_minor, shared_order)| StoreOp::Redeem { claim, subtotal_minor, shared_order }),
        1 => prop::sample::select(RATIOS.to_vec()).prop_map(|ratio| StoreOp::Ratio { ratio }),
    ]
}

fn settings(ratio: &str) -> ProgramSettings {
    ProgramSettings {
        enabled: true,
        points_per_unit: Decimal::from_str(ratio).expect("ratio"),
        min_points: 1,
        max_points: 5_000,
        ..ProgramSettings::initial()
    }
}

fn error_of<T>(result: loyalty_wallet::error::AppResult<T>) -> loyalty_wallet::error::ErrorCode {
    match result {
        Ok(_) => panic!("expected a refusal"),
        Err(error) => error.code,
    }
}

async fn write<T: Send + 'static>(
    store: &Store,
    work: impl FnOnce(&mut loyalty_wallet::store::AnyConnection) -> loyalty_wallet::store::Result<T> + Send + 'static,
) -> loyalty_wallet::error::AppResult<T> {
    Ok(store.write(work).await?)
}

/// Runs one sequence for fresh customers and checks the model and the invariants.
async fn run_sequence(store: &Store, run: usize, ops: Vec<StoreOp>) {
    let customers: Vec<String> = (0..3).map(|i| format!("p{run}-{i}")).collect();
    let mut balances = [0_i64; 3];
    let mut made: Vec<(String, usize, i64)> = Vec::new();
    let mut statuses: BTreeMap<String, &'static str> = BTreeMap::new();
    let mut earned: HashSet<String> = HashSet::new();
    let mut values: BTreeMap<String, i64> = BTreeMap::new();
    for (step, op) in ops.into_iter().enumerate() {
        match op {
            StoreOp::Adjust { customer, delta } => {
                let id = customers[customer].clone();
                let result = write(store, move |conn| customers::adjust(conn, SHOP, &id, delta, "prop")).await;
                if balances[customer] + delta >= 0 {
                    assert_eq!(result.expect("adjust").balance_after, balances[customer] + delta);
                    balances[customer] += delta;
                } else {
                    assert_eq!(error_of(result), loyalty_wallet::error::ErrorCode::InsufficientPoints);
                }
            }
            StoreOp::Claim { customer, points, pos } => {
                let request = ClaimRequest {
                    shop: ShopDomain::parse(SHOP).expect("shop"),
                    customer: CustomerId::parse(&customers[customer]).expect("customer"),
                    channel: if pos { Channel::Pos } else { Channel::Online },
                    points: Points::parse(points).expect("points"),
                    purchase_type: None,
                    segment_member: None,
                };
                match write(store, move |conn| claims::create(conn, &request)).await {
                    Ok(row) => {
                        assert!(balances[customer] >= points, "step {step}: claim beyond the balance");
                        assert!(row.value_minor > 0);
                        balances[customer] -= points;
                        statuses.insert(row.id.clone(), "active");
                        values.insert(row.id.clone(), row.value_minor);
                        made.push((row.id, customer, points));
                    }
                    Err(e) => assert!(
                        e.code == loyalty_wallet::error::ErrorCode::InsufficientPoints && balances[customer] < points
                            || e.code == loyalty_wallet::error::ErrorCode::ZeroValue,
                        "step {step}: {e:?}"
                    ),
                }
            }
            StoreOp::Refund { claim, by_owner } if !made.is_empty() => {
                let (id, customer, points) = made[claim % made.len()].clone();
                let owner = by_owner.then(|| customers[customer].clone());
                let claim_id = id.clone();
                let result = write(store, move |conn| claims::refund(conn, SHOP, &claim_id, owner.as_deref())).await;
                if statuses[&id] == "active" {
                    let refund = result.expect("refund");
                    assert_eq!(refund.points_refunded, points);
                    assert_eq!(refund.claim.status, ClaimStatus::Refunded);
                    balances[customer] += points;
                    statuses.insert(id, "refunded");
                } else {
                    assert_eq!(error_of(result), loyalty_wallet::error::ErrorCode::ClaimNotRefundable);
                }
            }
            StoreOp::Redeem { claim, subtotal_minor, shared_order } if !made.is_empty() => {
                let (id, customer, _) = made[claim % made.len()].clone();
                let rows = store_claims(store, SHOP, &customers[customer]).await;
                let code = rows.iter().find(|r| r.id == id).expect("claim").code.clone();
                let order = if shared_order { format!("p{run}-shared") } else { format!("p{run}-{step}") };
                let (who, order_id) = (customers[customer].clone(), order.clone());
                let subtotal = Currency::parse("USD").expect("USD").format_minor(subtotal_minor);
                let result = write(store, move |conn| {
                    checkout::redeem(
                        conn,
                        &RedeemRequest {
                            shop_id: SHOP,
                            code: &code,
                            customer_id: &who,
                            order_id: &order_id,
                            subtotal: &subtotal,
                        },
                    )
                })
                .await;
                if statuses[&id] == "active" {
                    let redemption = result.expect("redeem");
                    let earn = (subtotal_minor - values[&id]).max(0) / 100;
                    let expected = if earn > 0 && earned.insert(order) { earn } else { 0 };
                    assert_eq!(redemption.points_earned, expected, "step {step}");
                    balances[customer] += expected;
                    statuses.insert(id, "used");
                } else {
                    assert_eq!(error_of(result), loyalty_wallet::error::ErrorCode::CodeNotValid);
                }
            }
            StoreOp::Ratio { ratio } => {
                write(store, move |conn| {
                    for channel in [Channel::Online, Channel::Pos] {
                        programs::save_new_version(
                            conn,
                            SHOP,
                            channel,
                            &settings(ratio),
                            chrono::Utc::now().naive_utc(),
                        )?;
                    }
                    Ok(())
                })
                .await
                .expect("ratio");
            }
            _ => {}
        }
    }
    for (i, customer) in customers.iter().enumerate() {
        assert_eq!(assert_store_invariants(store, SHOP, customer).await, balances[i], "{customer}");
    }
}

#[test]
fn random_sequences_of_store_operations_keep_the_invariants() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (url, _dir) = fresh_database();
    let store = runtime.block_on(async {
        let store = Store::open(&url, 4, 64).expect("store");
        let shop = SHOP.to_string();
        store
            .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
                let mut row = shops::ensure(conn, &shop)?;
                row.earn_points_per_unit = EARN_RATE.into();
                shops::update(conn, &row)?;
                for channel in [Channel::Online, Channel::Pos] {
                    programs::save_new_version(conn, &shop, channel, &settings("100"), chrono::Utc::now().naive_utc())?;
                }
                Ok(())
            })
            .await
            .expect("shop");
        store
    });
    let runs = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config { cases: 24, failure_persistence: None, ..Config::default() });
    runner
        .run(&prop::collection::vec(store_op(), 1..40), |ops| {
            let run = runs.fetch_add(1, Ordering::SeqCst);
            runtime.block_on(run_sequence(&store, run, ops));
            Ok(())
        })
        .expect("invariants hold for every sequence");
}
