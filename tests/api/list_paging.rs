//! Cursor paging on the lists that used to stop at a fixed number of rows:
//! the admin's campaigns, a customer's points lots, the data requests.
//! Every row exactly once, in order, while rows are added between pages.

use crate::campaigns::{cart_rescue, create};
use crate::helpers::{status_json, TestApp, SHOP};
use crate::paging::walk;
use loyalty_wallet::platform::shopify::payloads;
use loyalty_wallet::store::{customers, lots, webhooks};
use reqwest::StatusCode;
use serde_json::json;

const CUSTOMER: &str = "5151";

async fn newest_lot_ids(app: &TestApp) -> Vec<String> {
    let rows = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| Ok(lots::newest(conn, SHOP, CUSTOMER, None, 10_000)?))
        .await
        .expect("lots");
    rows.into_iter().map(|lot| lot.id).collect()
}

async fn grant_lots(app: &TestApp, count: usize) {
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            for n in 0..count {
                customers::adjust(conn, SHOP, CUSTOMER, 1 + n as i64, "seed")?;
            }
            Ok(())
        })
        .await
        .expect("lots granted");
}

async fn record_data_request(app: &TestApp, customer: u64) {
    let payload = json!({"shop_domain": SHOP, "orders_requested": [customer],
                         "customer": {"id": customer, "email": "c@example.com"}});
    let request = payloads::data_request(&payload).expect("a data request");
    app.store.write(move |conn| webhooks::record_data_request(conn, SHOP, &request)).await.expect("recorded");
}

async fn newest_data_request_ids(app: &TestApp) -> Vec<String> {
    let rows = app
        .store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| Ok(webhooks::data_requests(conn, SHOP, None, 1_000)?))
        .await
        .expect("requests");
    rows.into_iter().map(|row| row.id).collect()
}

/// A bad limit or cursor is a 400 naming the field.
async fn refuses_bad_paging(app: &TestApp, path: &str) {
    for (query, field) in
        [("limit=0", "limit"), ("limit=501", "limit"), ("limit=x", "limit"), ("cursor=junk", "cursor")]
    {
        let (status, body) = status_json(app.get(&format!("{path}?{query}"), &app.admin()).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}?{query}: {body}");
        assert_eq!(body["error"]["code"], "invalid_request", "{body}");
        assert!(body["error"]["details"]["fields"][field].is_string(), "{path}?{query}: {body}");
    }
}

#[tokio::test]
async fn campaigns_page_oldest_first_and_one_made_between_pages_comes_last() {
    let app = TestApp::spawn().await;
    let mut created = Vec::new();
    for _ in 0..7 {
        created.push(create(&app, &cart_rescue()).await["id"].as_str().expect("id").to_string());
    }
    let added = std::cell::RefCell::new(Vec::new());
    let between = |_: usize| async {
        let id = create(&app, &cart_rescue()).await["id"].as_str().expect("id").to_string();
        added.borrow_mut().push(id);
    };
    let (served, pages) = walk(&app, "/api/v1/admin/campaigns", &app.admin(), "campaigns", 3, between).await;
    created.extend(added.into_inner());
    assert_eq!(pages, 3, "7 + 2 made meanwhile, 3 a page");
    assert_eq!(served, created, "each once, oldest first, the new ones at the end");
    let (_, first) = status_json(app.get("/api/v1/admin/campaigns", &app.admin()).await).await;
    assert_eq!(first["campaigns"].as_array().map(Vec::len), Some(9), "all 9 on the default page");
    assert!(first["next_cursor"].is_null(), "{first}");
    refuses_bad_paging(&app, "/api/v1/admin/campaigns").await;
}

#[tokio::test]
async fn a_customers_lots_page_newest_first_and_the_customer_page_links_the_rest() {
    let app = TestApp::spawn().await;
    grant_lots(&app, 103).await;
    let expected = newest_lot_ids(&app).await;
    assert_eq!(expected.len(), 103);
    let path = format!("/api/v1/admin/customers/{CUSTOMER}/lots");
    let between = |_: usize| async { assert_eq!(app.admin_adjust(CUSTOMER, 7).await.status(), StatusCode::CREATED) };
    let (served, pages) = walk(&app, &path, &app.admin(), "lots", 10, between).await;
    assert_eq!((served.len(), pages), (103, 11));
    assert_eq!(served, expected, "each once, newest first, none of the 10 granted meanwhile");

    // The customer page: the newest 100 (in spending order) and a cursor to the rest.
    let newest = newest_lot_ids(&app).await;
    let (status, detail) =
        status_json(app.get(&format!("/api/v1/admin/customers/{CUSTOMER}"), &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK);
    let mut shown: Vec<String> =
        detail["lots"].as_array().expect("lots").iter().map(|l| l["id"].as_str().expect("id").to_string()).collect();
    shown.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(shown, newest[..100]);
    let cursor = detail["lots_next_cursor"].as_str().expect("more lots");
    let (_, rest) = status_json(app.get(&format!("{path}?limit=500&cursor={cursor}"), &app.admin()).await).await;
    let rest: Vec<&str> =
        rest["lots"].as_array().expect("lots").iter().map(|l| l["id"].as_str().expect("id")).collect();
    assert_eq!(rest, newest[100..]);
    refuses_bad_paging(&app, &path).await;
    let (status, _) = status_json(app.get("/api/v1/admin/customers/999999/lots", &app.admin()).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn data_requests_page_newest_first_while_requests_arrive() {
    let app = TestApp::spawn().await;
    for customer in 1..=7 {
        record_data_request(&app, customer).await;
    }
    let expected = newest_data_request_ids(&app).await;
    assert_eq!(expected.len(), 7);
    let between = |page: usize| {
        let app = &app;
        async move {
            record_data_request(app, 100 + page as u64).await;
        }
    };
    let (served, pages) = walk(&app, "/api/v1/admin/data-requests", &app.admin(), "requests", 3, between).await;
    assert_eq!(pages, 3);
    assert_eq!(served, expected, "each once, newest first, none of those that arrived meanwhile");
    assert_eq!(newest_data_request_ids(&app).await[2..], expected, "two arrived meanwhile");
    refuses_bad_paging(&app, "/api/v1/admin/data-requests").await;
}
