//! Cursor paging: `?limit=&cursor=` → `next_cursor` on the
//! shopper's transactions and claims and the admin's view of a customer;
//! every row exactly once, newest first, while rows are being added.

use crate::helpers::{expect_error, status_json, store_claims, store_entries, TestApp, SHOP};
use loyalty_wallet::store::customers;
use reqwest::StatusCode;
use serde_json::Value;

const CUSTOMER: &str = "4242";

/// Equal lists, or the first place they differ (not 1,234 ids in a panic).
fn same(got: &[String], want: &[String], what: &str) {
    let first = got.iter().zip(want).position(|(a, b)| a != b);
    assert!(
        got.len() == want.len() && first.is_none(),
        "{what}: {} vs {} rows, first difference at {first:?}",
        got.len(),
        want.len()
    );
}

/// Newest first, as the lists serve them.
async fn newest_entries(app: &TestApp) -> Vec<String> {
    store_entries(&app.store, SHOP, CUSTOMER).await.into_iter().rev().map(|e| e.id).collect()
}

/// Walks a list by `limit`, calling `between` after each page; returns the
/// ids in the order served and the number of pages.
pub async fn walk(
    app: &TestApp,
    path: &str,
    token: &str,
    key: &str,
    limit: usize,
    between: impl AsyncFn(usize),
) -> (Vec<String>, usize) {
    let (mut ids, mut cursor, mut pages) = (Vec::new(), None::<String>, 0);
    loop {
        let sep = if path.contains('?') { '&' } else { '?' };
        let url = match &cursor {
            Some(c) => format!("{path}{sep}limit={limit}&cursor={c}"),
            None => format!("{path}{sep}limit={limit}"),
        };
        let (status, body) = status_json(app.get(&url, token).await).await;
        assert_eq!(status, StatusCode::OK, "{url}: {body}");
        let rows = body[key].as_array().expect("rows").clone();
        assert!(rows.len() <= limit, "page larger than limit");
        ids.extend(rows.iter().map(|r| r["id"].as_str().expect("id").to_string()));
        pages += 1;
        match body["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(rows.len(), limit, "only the last page is short");
                cursor = Some(next.to_string());
            }
            None => {
                assert!(body["next_cursor"].is_null(), "next_cursor is null at the end: {body}");
                return (ids, pages);
            }
        }
        between(pages).await;
    }
}

#[tokio::test]
async fn a_long_ledger_pages_every_entry_exactly_once_in_order_while_entries_are_added() {
    let app = TestApp::spawn().await;
    app.store
        .write::<_, loyalty_wallet::error::AppError, _>(|conn| {
            for _ in 0..1_234 {
                customers::adjust(conn, SHOP, CUSTOMER, 1, "seed")?;
            }
            Ok(())
        })
        .await
        .expect("seed 1,234 entries");
    let expected = newest_entries(&app).await;
    assert_eq!(expected.len(), 1_234);

    let token = app.customer(CUSTOMER);
    let added = |_: usize| async {
        assert_eq!(app.admin_adjust(CUSTOMER, 5).await.status(), StatusCode::CREATED);
    };
    let (served, pages) = walk(&app, "/api/v1/transactions", &token, "entries", 100, added).await;
    assert_eq!(pages, 13);
    same(&served, &expected, "every entry once, newest first, none of the later ones");

    // The admin's paged ledger sees the 12 added entries first, then the same.
    let admin = app.admin();
    let path = format!("/api/v1/admin/customers/{CUSTOMER}/entries");
    let (all, _) = walk(&app, &path, &admin, "entries", 500, |_: usize| async {}).await;
    assert_eq!(all.len(), 1_234 + 12);
    same(&all[12..], &expected, "the admin's walk after the 12 added");
    same(&all, &newest_entries(&app).await, "the admin's walk");

    // The customer page shows the newest 100 and a cursor that goes on from there.
    let (status, detail) = status_json(app.get(&format!("/api/v1/admin/customers/{CUSTOMER}"), &admin).await).await;
    assert_eq!(status, StatusCode::OK);
    let first: Vec<&str> =
        detail["entries"].as_array().expect("entries").iter().map(|e| e["id"].as_str().expect("id")).collect();
    assert_eq!(first, all[..100].iter().map(String::as_str).collect::<Vec<_>>());
    let cursor = detail["entries_next_cursor"].as_str().expect("more entries");
    let (_, next) = status_json(app.get(&format!("{path}?limit=3&cursor={cursor}"), &admin).await).await;
    let next_ids: Vec<&str> =
        next["entries"].as_array().expect("entries").iter().map(|e| e["id"].as_str().expect("id")).collect();
    assert_eq!(next_ids, all[100..103].iter().map(String::as_str).collect::<Vec<_>>());

    // Default page: 50.
    let (_, page) = status_json(app.get("/api/v1/transactions", &token).await).await;
    assert_eq!(page["entries"].as_array().expect("entries").len(), 50);
}

#[tokio::test]
async fn claims_page_on_both_doors_while_claims_are_made() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "1", 1, 10_000).await;
    app.grant(CUSTOMER, 10_000).await;
    for _ in 0..23 {
        app.claim_ok(CUSTOMER, 10).await;
    }
    let expected: Vec<String> = store_claims(&app.store, SHOP, CUSTOMER).await.into_iter().map(|c| c.id).collect();
    assert_eq!(expected.len(), 23);
    let token = app.customer(CUSTOMER);
    let (served, pages) = walk(&app, "/api/v1/claims", &token, "claims", 5, |_: usize| async {
        app.claim_ok(CUSTOMER, 1).await;
    })
    .await;
    assert_eq!(pages, 5);
    same(&served, &expected, "claims");

    let admin = app.admin();
    let path = format!("/api/v1/admin/customers/{CUSTOMER}/claims");
    let (all, _) = walk(&app, &path, &admin, "claims", 7, |_: usize| async {}).await;
    assert_eq!(all.len(), 27);
    same(&all[4..], &expected, "the admin's claims");
    let (_, detail) = status_json(app.get(&format!("/api/v1/admin/customers/{CUSTOMER}"), &admin).await).await;
    assert_eq!(detail["claims"].as_array().expect("claims").len(), 27);
    assert!(detail["claims_next_cursor"].is_null() && detail["entries_next_cursor"].is_null(), "{detail}");
}

#[tokio::test]
async fn bad_paging_parameters_are_refused_with_fields() {
    let app = TestApp::spawn().await;
    app.grant(CUSTOMER, 10).await;
    let (token, admin) = (app.customer(CUSTOMER), app.admin());
    let forged = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("k1|not a time|x")
    };
    let cases = [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=-3", "limit"),
        ("limit=ten", "limit"),
        ("limit=", "limit"),
        ("cursor=zz%21", "cursor"),
        ("cursor=", "cursor"),
        (&format!("cursor={forged}") as &str, "cursor"),
    ];
    let doors = ["/api/v1/transactions", "/api/v1/claims"]
        .map(|p| (p.to_string(), token.clone()))
        .into_iter()
        .chain(["entries", "claims"].map(|l| (format!("/api/v1/admin/customers/{CUSTOMER}/{l}"), admin.clone())));
    for (path, who) in doors {
        for (query, field) in &cases {
            let body = expect_error(
                app.get(&format!("{path}?{query}"), &who).await,
                StatusCode::BAD_REQUEST,
                "invalid_request",
            )
            .await;
            assert!(body["error"]["details"]["fields"][field].is_string(), "{path}?{query}: {body}");
        }
        expect_error(app.get(&format!("{path}?page=2"), &who).await, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let missing = app.get("/api/v1/admin/customers/nobody/entries", &admin).await;
    expect_error(missing, StatusCode::NOT_FOUND, "not_found").await;
    let (_, body): (StatusCode, Value) = status_json(app.get("/api/v1/transactions?limit=500", &token).await).await;
    assert_eq!(body["entries"].as_array().map(Vec::len), Some(1));
    assert!(body["next_cursor"].is_null());
}
