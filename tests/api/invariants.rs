//! Invariants 1-3 of DESIGN.md under random sequences:
//! a seeded random walk over the HTTP API checked against a model after
//! every step, and a proptest over the store's units of work.

use crate::helpers::*;
use loyalty_wallet::domain::money::{Currency, PointsPerUnit};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

const CUSTOMERS: [&str; 3] = ["101", "202", "303"];
pub(crate) const RATIOS: [&str; 5] = ["100", "3", "0.7", "250", "12.5"];
pub(crate) const EARN_RATE: &str = "1";

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
