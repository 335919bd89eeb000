//! Issue 30 (third walk), the data behind the shopper's and the clerk's
//! screens: who cancelled a code (each door, expiry, the platform) in the
//! API and the ledger export, what the whole balance is worth, an offer's
//! title, and a customer's offers at the till.

use crate::campaigns::create;
use crate::events::{event_ok, run_worker};
use crate::helpers::*;
use crate::platform::{active_claim, base_program, claim_row, deliver, platform_handle, program, rig, Rig};
use loyalty_wallet::auth::Role;
use loyalty_wallet::store::schema::claims as claims_table;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn refund(app: &TestApp, path: &str, token: &str) -> Value {
    let (status, body) = status_json(app.post(path, token, None, &json!({})).await).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

async fn claims_of(app: &TestApp, customer: &str) -> Vec<Value> {
    let (_, list) = status_json(app.get("/api/v1/claims", &app.customer(customer)).await).await;
    list["claims"].as_array().expect("claims").clone()
}

fn by_of(claims: &[Value], id: &str) -> Value {
    claims.iter().find(|c| c["id"] == id).map(|c| c["cancelled_by"].clone()).expect("claim listed")
}

/// Makes a claim's expiry time lie in the past (the sweeper's cutoff).
async fn age(app: &TestApp, id: &str) {
    use diesel::prelude::*;
    let (past, id) = (chrono::Utc::now().naive_utc() - chrono::Duration::minutes(5), id.to_string());
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            diesel::update(claims_table::table.find((SHOP, id)))
                .set(claims_table::expires_at.eq(past))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("age the claim");
}

#[tokio::test]
async fn who_cancelled_a_code_is_recorded_at_each_door_and_on_expiry_and_exported() {
    let app = TestApp::spawn().await;
    let body = json!({"enabled": true, "points_per_unit": "100", "min_points": 100, "max_points": 10_000,
        "purchase_type": "one_time", "code_lifetime_hours": 1});
    assert_eq!(app.put("/api/v1/admin/programs/online", &app.admin(), &body).await.status(), StatusCode::OK);
    app.grant("1", 5_000).await;
    for points in [100, 200, 300, 400, 500] {
        assert_eq!(app.claim("1", points).await.status(), StatusCode::CREATED);
    }
    let claims = claims_of(&app, "1").await;
    let id = |points: i64| {
        claims.iter().find(|c| c["points"] == points).and_then(|c| c["id"].as_str()).expect("id").to_string()
    };
    let (mine, shop, till, open, old) = (id(100), id(200), id(300), id(400), id(500));
    let pos = app.token(Role::Pos, "clerk-7");

    let answer = refund(&app, &format!("/api/v1/claims/{mine}/refund"), &app.customer("1")).await;
    assert_eq!(answer["claim"]["cancelled_by"], "shopper", "{answer}");
    let answer = refund(&app, &format!("/api/v1/admin/claims/{shop}/refund"), &app.admin()).await;
    assert_eq!(answer["claim"]["cancelled_by"], "merchant");
    let answer = refund(&app, &format!("/api/v1/pos/claims/{till}/refund"), &pos).await;
    assert_eq!(answer["claim"]["cancelled_by"], "clerk");
    age(&app, &old).await;
    let report = loyalty_wallet::platform::sweeper::sweep_once(&platform_handle(&app)).await.expect("sweep");
    assert_eq!(report.expiry_queued, 0, "a native shop expires at once: {report:?}");

    let listed = claims_of(&app, "1").await;
    assert_eq!(by_of(&listed, &mine), "shopper");
    assert_eq!(by_of(&listed, &shop), "merchant");
    assert_eq!(by_of(&listed, &till), "clerk");
    assert_eq!(by_of(&listed, &old), "expiry");
    assert_eq!(by_of(&listed, &open), Value::Null, "an open code was cancelled by nobody");
    let (_, detail) = status_json(app.get("/api/v1/admin/customers/1", &app.admin()).await).await;
    assert_eq!(by_of(detail["claims"].as_array().expect("claims"), &till), "clerk", "the admin sees it too");

    // The export: a last column, filled on the credit entry of each cancelled code.
    let csv = app.get("/api/v1/admin/export/ledger.csv", &app.admin()).await.text().await.expect("csv");
    let mut lines = csv.split("\r\n");
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    assert_eq!(header.last(), Some(&"cancelled_by"), "{header:?}");
    let column = header.len() - 1;
    let row_of = |claim: &str, kind: &str| -> Vec<String> {
        csv.split("\r\n")
            .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
            .find(|cells| {
                cells.get(7).map(String::as_str) == Some(claim) && cells.get(3).map(String::as_str) == Some(kind)
            })
            .unwrap_or_else(|| panic!("no {kind} line for {claim} in\n{csv}"))
    };
    assert_eq!(row_of(&mine, "refund")[column], "shopper");
    assert_eq!(row_of(&shop, "refund")[column], "merchant");
    assert_eq!(row_of(&till, "refund")[column], "clerk");
    assert_eq!(row_of(&old, "expire")[column], "expiry");
    assert_eq!(row_of(&mine, "redeem")[column], "", "only the credit says it");
    assert!(lines.all(|l| l.is_empty() || l.split(',').count() >= header.len()), "every line has the column");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_deleted_at_shopify_is_cancelled_by_the_platform_and_a_shoppers_cancel_stays_theirs() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 2_000).await;
    let deleted = active_claim(&app, "1", 300).await;
    let id = deleted["id"].as_str().expect("id");
    let node = double.delete_out_of_band(deleted["code"].as_str().expect("code")).expect("live at the double");
    let hook = json!({"admin_graphql_api_id": node, "title": "x", "status": "ACTIVE",
        "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:05:00Z"});
    assert_eq!(deliver(&app, "discounts/delete", "evt-w3-del", &hook).await.status(), StatusCode::OK);
    let row = claim_row(&app, id).await;
    assert_eq!(row.status.as_str(), "refunded");
    assert_eq!(row.cancelled_by.map(|b| b.as_str()), Some("platform"));
    assert_eq!(by_of(&claims_of(&app, "1").await, id), "platform");

    // The shopper cancels; the deletion's webhook that follows does not rename it.
    let mine = active_claim(&app, "1", 200).await;
    let mine_id = mine["id"].as_str().expect("id");
    let node = double.find_code(mine["code"].as_str().expect("code")).map(|d| d.id).expect("live");
    let (status, answer) =
        status_json(app.post(&format!("/api/v1/claims/{mine_id}/refund"), &app.customer("1"), None, &json!({})).await)
            .await;
    assert!(status == StatusCode::OK || status == StatusCode::ACCEPTED, "{answer}");
    assert_eq!(answer["claim"]["cancelled_by"], "shopper");
    let hook = json!({"admin_graphql_api_id": node, "title": "x", "status": "ACTIVE",
        "created_at": "2025-06-01T12:00:00Z", "updated_at": "2025-06-01T12:05:00Z"});
    deliver(&app, "discounts/delete", "evt-w3-del-2", &hook).await;
    let row = crate::platform::claim_settles(&app, mine_id, &["refunded"], std::time::Duration::from_secs(10)).await;
    assert_eq!(row.cancelled_by.map(|b| b.as_str()), Some("shopper"));
    assert_eq!(app.balance("1").await, 2_000);
}

#[tokio::test]
async fn the_wallet_says_what_the_whole_balance_is_worth_rounded_down() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 1_000).await;
    let worth = |id: &'static str| {
        let app = &app;
        async move {
            let (_, w) = status_json(app.get("/api/v1/wallet", &app.customer(id)).await).await;
            (w["points_value"].clone(), w["earn_points_per_unit"].clone())
        }
    };
    assert_eq!(worth("1").await.0, "0.00", "nothing yet");
    app.grant("2", 2_750).await;
    assert_eq!(worth("2").await.0, "27.50", "the whole balance, above max_points too");
    app.enable_program("online", "3", 1, 1_000).await;
    app.grant("3", 10).await;
    assert_eq!(worth("3").await.0, "3.33", "10 ÷ 3 rounded down");
    let pos = app.token(Role::Pos, "clerk-1");
    app.enable_program("pos", "100", 100, 1_000).await;
    let (_, w) = status_json(app.get("/api/v1/pos/customers/2/wallet", &pos).await).await;
    assert_eq!(w["points_value"], "27.50", "the till's wallet too");
    assert!(worth("2").await.1.is_string(), "the earn rate is in the wallet");
}

fn titled(title: Value) -> Value {
    let mut c = crate::events::campaign(json!({"kind": "custom", "event": "quiz"}));
    c["name"] = json!("Internal quiz wave 2");
    c["title"] = title;
    c
}

#[tokio::test]
async fn an_offer_has_a_title_and_the_till_lists_a_customers_offers() {
    let app = TestApp::spawn().await;
    for bad in [json!(""), json!("x".repeat(81)), json!(5)] {
        let key = uuid::Uuid::new_v4().to_string();
        let (status, body) =
            status_json(app.post("/api/v1/admin/campaigns", &app.admin(), Some(&key), &titled(bad.clone())).await)
                .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert!(body["error"]["details"]["fields"]["title"].is_string(), "{body}");
    }
    let with = create(&app, &titled(json!("Thanks for the quiz"))).await;
    assert_eq!(with["title"], "Thanks for the quiz");
    let without = create(&app, &titled(Value::Null)).await;
    assert_eq!(without["title"], Value::Null);
    event_ok(&app, &json!({"customer_id": "7", "kind": "custom", "name": "quiz"})).await;
    run_worker(&app, 0).await;
    let (_, mine) = status_json(app.get("/api/v1/offers", &app.customer("7")).await).await;
    let offers = mine["offers"].as_array().expect("offers");
    let mut titles: Vec<&str> = offers.iter().filter_map(|o| o["title"].as_str()).collect();
    titles.sort_unstable();
    assert_eq!(titles, ["Internal quiz wave 2", "Thanks for the quiz"], "{mine}");

    let pos = app.token(Role::Pos, "clerk-1");
    let (status, at_till) = status_json(app.get("/api/v1/pos/customers/7/offers", &pos).await).await;
    assert_eq!(status, StatusCode::OK, "{at_till}");
    assert_eq!(at_till, mine, "the till sees what the shopper sees");
    let (status, _) = status_json(app.get("/api/v1/pos/customers/7/offers", &app.customer("7")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a shopper's token is not a till's");
    let (status, body) = status_json(app.get("/api/v1/pos/customers/not%20an%20id/offers", &pos).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, none) = status_json(app.get("/api/v1/pos/customers/8/offers", &pos).await).await;
    assert_eq!((status, none), (StatusCode::OK, json!({"offers": []})));
}
