//! The admin screens' endpoints: the platform's
//! segments for the eligibility picker, the CSV exports of balances and of
//! the ledger, and the staff member recorded on each manual adjustment.

use crate::helpers::*;
use crate::platform::rig;
use crate::shopify_double::Faults;
use futures_util::future::join_all;
use loyalty_wallet::auth::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

async fn adjust(app: &TestApp, token: &str, customer: &str, points: i64, reason: &str) -> StatusCode {
    let key = uuid::Uuid::new_v4().to_string();
    let body = json!({"points": points, "reason": reason});
    app.post(&format!("/api/v1/admin/customers/{customer}/adjustments"), token, Some(&key), &body).await.status()
}

async fn csv(app: &TestApp, what: &str) -> String {
    let response = app.get(&format!("/api/v1/admin/export/{what}.csv"), &app.admin()).await;
    assert_eq!(response.status(), StatusCode::OK, "{what}.csv");
    let kind = response.headers()["content-type"].to_str().unwrap_or_default().to_string();
    assert!(kind.starts_with("text/csv"), "{kind}");
    response.text().await.expect("csv body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_are_listed_from_the_platform_by_name() {
    let crate::platform::Rig { app, double } = rig().await;
    double.name_segment("gid://shopify/Segment/7", "VIP buyers");
    double.name_segment("gid://shopify/Segment/3", "bargain hunters");
    let (status, body) = status_json(app.get("/api/v1/admin/segments", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["segments"],
        json!([{"id": "gid://shopify/Segment/3", "name": "bargain hunters"},
               {"id": "gid://shopify/Segment/7", "name": "VIP buyers"}])
    );
    double.set_faults(Faults { segments_down: true, ..Faults::default() });
    expect_error(app.get("/api/v1/admin/segments", &app.admin()).await, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        .await;
    let customer = app.get("/api/v1/admin/segments", &app.customer("1")).await;
    assert_eq!(customer.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_native_shop_has_no_segments_to_list() {
    let app = TestApp::spawn().await;
    let body = expect_error(
        app.get("/api/v1/admin/segments", &app.admin()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "not_eligible",
    )
    .await;
    assert_eq!(body["error"]["details"]["reason"], "segments_unavailable", "{body}");
}

#[tokio::test]
async fn adjustments_record_the_staff_member_and_only_the_admin_sees_it() {
    let app = TestApp::spawn().await;
    let other = app.token(Role::Admin, "staff-2");
    assert_eq!(adjust(&app, &app.admin(), "5", 300, "welcome").await, StatusCode::CREATED);
    assert_eq!(adjust(&app, &other, "5", -100, "correction").await, StatusCode::CREATED);
    let (_, detail) = status_json(app.get("/api/v1/admin/customers/5", &app.admin()).await).await;
    let actors: Vec<&str> =
        detail["entries"].as_array().expect("entries").iter().filter_map(|e| e["actor"].as_str()).collect();
    assert_eq!(actors, ["staff-2", "staff-1"], "{detail}");
    let (_, mine) = status_json(app.get("/api/v1/transactions", &app.customer("5")).await).await;
    let entries = mine["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.get("actor").is_none()), "the shopper never sees staff ids: {mine}");
}

#[tokio::test]
async fn exports_stream_every_customer_and_entry_as_formula_safe_csv() {
    let app = TestApp::spawn().await;
    // More than one page (1,000 rows a read) of customers and entries.
    let ids: Vec<String> = (0..1_003).map(|i| format!("c{i:05}")).collect();
    let admin = app.admin();
    for chunk in ids.chunks(50) {
        let grants = chunk.iter().map(|id| adjust(&app, &admin, id, 10, "bulk"));
        assert!(join_all(grants).await.iter().all(|s| *s == StatusCode::CREATED));
    }
    assert_eq!(
        adjust(&app, &app.admin(), "c00000", -3, "=HYPERLINK(\"http://evil\"), or \"not\"").await,
        StatusCode::CREATED
    );
    assert_eq!(adjust(&app, &app.admin(), "c00001", 5, "@SUM(A1)\nline two").await, StatusCode::CREATED);

    let customers = csv(&app, "customers").await;
    let mut lines = customers.split("\r\n");
    assert_eq!(lines.next(), Some("customer_id,email,display_name,points_balance,created_at"));
    let rows: Vec<&str> = lines.filter(|l| !l.is_empty()).collect();
    let seen: HashSet<&str> = rows.iter().map(|l| l.split(',').next().unwrap_or_default()).collect();
    assert_eq!((rows.len(), seen.len()), (1_003, 1_003), "every customer once");
    assert!(rows.iter().any(|l| l.starts_with("c00000,,,7,")), "balance after the debit");

    let ledger = csv(&app, "ledger").await;
    assert!(ledger.starts_with(
        "entry_id,customer_id,created_at,kind,delta,balance_after,pending_delta,claim_id,order_id,reason,actor,cancelled_by\r\n"
    ));
    assert!(
        ledger.contains(",c00000,")
            && ledger.contains(",adjust,-3,7,0,,,\"'=HYPERLINK(\"\"http://evil\"\"), or \"\"not\"\"\",staff-1,\r\n"),
        "formula guarded, quotes doubled, comma quoted"
    );
    assert!(ledger.contains(",adjust,5,15,0,,,\"'@SUM(A1)\nline two\",staff-1,\r\n"));
    assert_eq!(ledger.matches(",staff-1,\r\n").count(), 1_005, "one line per entry, each with its actor");

    let response = app.get("/api/v1/admin/export/ledger.csv", &app.customer("c00000")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let value: Value = response.json().await.expect("envelope");
    assert_eq!(value["error"]["code"], "forbidden");
}
