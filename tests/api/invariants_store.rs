//! Invariants 1-3 of DESIGN.md under a proptest over the store's units of work.

use crate::helpers::*;
use crate::invariants::{EARN_RATE, RATIOS};
use loyalty_wallet::domain::claim::ClaimStatus;
use loyalty_wallet::domain::ids::{CustomerId, ShopDomain};
use loyalty_wallet::domain::money::Currency;
use loyalty_wallet::domain::points::Points;
use loyalty_wallet::domain::program::{Channel, ProgramSettings};
use loyalty_wallet::store::checkout::{self, RedeemRequest};
use loyalty_wallet::store::claims::{self, ClaimRequest};
use loyalty_wallet::store::{customers, programs, shops, Store, Writes};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    work: impl FnOnce(&mut loyalty_wallet::store::AnyConnection) -> loyalty_wallet::store::Result<T>
        + Clone
        + Send
        + 'static,
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
    let _drop = DropDatabase(url.clone());
    let store = runtime.block_on(async {
        let store = Store::open(&url, 4, Writes { max_batch: 64, pg_writers: 2 }).expect("store");
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
