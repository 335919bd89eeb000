//! A claim's lot allocation, written by the store in SQL when one lot pays
//! for it, against the spend order of the domain rules (`lots::choose`):
//! soonest expiry first, no expiry last, then the oldest, then the id.

use crate::helpers::*;
use loyalty_wallet::domain::lots::{choose, OpenLot};
use loyalty_wallet::store::lots::{self, LotRow};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::BTreeMap;

async fn set_expiry(app: &TestApp, expiry: Value) {
    let body = json!({ "points_expiry": expiry });
    let response = app.put("/api/v1/admin/shop", &app.admin(), &body).await;
    assert_eq!(response.status(), StatusCode::OK, "policy {body}");
}

async fn lots_of(app: &TestApp, customer: &str) -> Vec<LotRow> {
    let c = customer.to_string();
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| Ok(lots::all_lots(conn, SHOP, &c, 1000)?))
        .await
        .expect("lots")
}

fn remainders(rows: &[LotRow]) -> BTreeMap<String, i64> {
    rows.iter().map(|row| (row.id.clone(), row.remaining)).collect()
}

/// What a claim of `points` took from each lot, read back from the lots.
fn taken(before: &[LotRow], after: &[LotRow]) -> Vec<(String, i64)> {
    let after = remainders(after);
    let mut taken: Vec<(String, i64)> = before
        .iter()
        .map(|row| (row.id.clone(), row.remaining - after.get(&row.id).copied().unwrap_or_default()))
        .filter(|(_, points)| *points != 0)
        .collect();
    taken.sort();
    taken
}

fn expected(before: &[LotRow], points: i64) -> Vec<(String, i64)> {
    let open: Vec<OpenLot> = before
        .iter()
        .map(|row| OpenLot {
            id: row.id.clone(),
            remaining: row.remaining,
            expires_at: row.expires_at,
            created_at: row.created_at,
            order_id: row.order_id.clone(),
        })
        .collect();
    let mut chosen = choose(&open, points, None).expect("the lots hold the claim");
    chosen.sort();
    chosen
}

/// Lots: one without expiry (the oldest), two with the same expiry and the
/// same creation time (the id decides), one created later that expires
/// sooner. Claims that fit in the first lot, empty it exactly and span lots
/// must each take what the rules choose.
#[tokio::test]
async fn claims_take_their_lots_in_the_rules_spend_order() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 10_000).await;
    app.grant("1", 100).await;
    set_expiry(&app, json!({"kind": "after_days", "days": 30})).await;
    app.store.clock().advance_days(1);
    app.grant("1", 100).await;
    app.grant("1", 100).await;
    app.store.clock().advance_days(1);
    set_expiry(&app, json!({"kind": "after_days", "days": 10})).await;
    app.grant("1", 100).await;
    let mut lots_taken = Vec::new();
    for points in [30, 70, 1, 98, 2, 150, 40, 9] {
        let before = lots_of(&app, "1").await;
        app.claim_ok("1", points).await;
        let after = lots_of(&app, "1").await;
        let took = taken(&before, &after);
        assert_eq!(took, expected(&before, points), "a claim of {points} from {before:?}");
        lots_taken.push(took.len());
        assert_wallet_invariants(&app, SHOP, "1").await;
    }
    assert_eq!(lots_taken, [1, 1, 1, 1, 2, 2, 1, 1], "single-lot and spanning claims were both covered");
    let left: i64 = lots_of(&app, "1").await.iter().map(|row| row.remaining).sum();
    assert_eq!(left, 0, "every point was claimed");
}
