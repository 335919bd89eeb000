//! Test helpers for the auth, bad-input, concurrency and invariant tests:
//! status and error envelopes, a wallet's footprint, raw requests, and
//! reads straight from the store with the invariants checked.

use crate::helpers::{TestApp, SHOP};
use loyalty_wallet::domain::money::Currency;
use loyalty_wallet::domain::program::ProgramSettings;
use loyalty_wallet::store::claims::ClaimRow;
use loyalty_wallet::store::customers::{self as customer_store, EntryRow};
use loyalty_wallet::store::Store;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};

/// Reads a response into its status and JSON body (panics on a non-JSON body).
pub async fn status_json(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, body)
}

/// Asserts an error envelope with this status and code; returns the body.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let (got, body) = status_json(response).await;
    assert_eq!(got, status, "status for {body}");
    assert_eq!(body["error"]["code"], code, "error code in {body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message in {body}");
    body
}

/// What a customer's wallet has written: balance, claims, ledger entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Footprint {
    pub balance: Option<i64>,
    pub claims: usize,
    pub entries: usize,
    pub idempotency_keys: i64,
}

impl TestApp {
    /// A request with full control over method, headers and raw body.
    pub async fn send_raw(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        request.send().await.expect("request")
    }

    /// Every ledger entry of a customer, oldest first, read from the store.
    pub async fn entries_in(&self, shop: &str, customer: &str) -> Vec<EntryRow> {
        store_entries(&self.store, shop, customer).await
    }

    pub async fn entries(&self, customer: &str) -> Vec<EntryRow> {
        self.entries_in(SHOP, customer).await
    }

    /// Every claim of a customer, newest first, read from the store.
    pub async fn claim_rows_in(&self, shop: &str, customer: &str) -> Vec<ClaimRow> {
        store_claims(&self.store, shop, customer).await
    }

    pub async fn claim_rows(&self, customer: &str) -> Vec<ClaimRow> {
        self.claim_rows_in(SHOP, customer).await
    }

    /// The stored balance (None when the wallet does not exist).
    pub async fn stored_balance_in(&self, shop: &str, customer: &str) -> Option<i64> {
        store_balance(&self.store, shop, customer).await
    }

    pub async fn footprint(&self, customer: &str) -> Footprint {
        use diesel::prelude::*;
        use loyalty_wallet::store::schema::idempotency_keys;
        let keys = self
            .store
            .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
                Ok(idempotency_keys::table.count().get_result::<i64>(conn)?)
            })
            .await
            .expect("count keys");
        Footprint {
            balance: self.stored_balance_in(SHOP, customer).await,
            claims: self.claim_rows(customer).await.len(),
            entries: self.entries(customer).await.len(),
            idempotency_keys: keys,
        }
    }

    pub async fn put_program(&self, channel: &str, body: &Value) -> Response {
        self.put(&format!("/api/v1/admin/programs/{channel}"), &self.admin(), body).await
    }

    /// Sets the shop's currency and earn rate (native platform).
    pub async fn set_shop(&self, currency: &str, earn_rate: &str) {
        let body = json!({"currency": currency, "earn_points_per_unit": earn_rate});
        let response = self.put("/api/v1/admin/shop", &self.admin(), &body).await;
        assert_eq!(response.status(), StatusCode::OK, "set shop");
    }

    /// A claim that must succeed; returns its JSON.
    pub async fn claim_ok(&self, customer: &str, points: i64) -> Value {
        let (status, body) = status_json(self.claim(customer, points).await).await;
        assert_eq!(status, StatusCode::CREATED, "claim of {points} by {customer}: {body}");
        body
    }

    pub async fn admin_adjust(&self, customer: &str, points: i64) -> Response {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"points": points, "reason": "test adjustment"});
        self.post(&format!("/api/v1/admin/customers/{customer}/adjustments"), &self.admin(), Some(&key), &body).await
    }

    /// Redeems a code at the native checkout with a fresh key.
    pub async fn redeem(&self, code: &str, customer: &str, order_id: &str, subtotal: &str) -> Response {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"code": code, "customer_id": customer, "order_id": order_id, "subtotal": subtotal});
        self.post("/api/v1/checkout/redeem", &self.admin(), Some(&key), &body).await
    }
}

/// Every ledger entry of a customer, oldest first.
pub async fn store_entries(store: &Store, shop: &str, customer: &str) -> Vec<EntryRow> {
    let (shop, customer) = (shop.to_string(), customer.to_string());
    let mut rows = store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(customer_store::entries(conn, &shop, &customer, None, 1_000_000)?)
        })
        .await
        .expect("read entries");
    rows.reverse();
    rows
}

/// Every claim of a customer, newest first.
pub async fn store_claims(store: &Store, shop: &str, customer: &str) -> Vec<ClaimRow> {
    let (shop, customer) = (shop.to_string(), customer.to_string());
    store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(loyalty_wallet::store::claims::for_customer(conn, &shop, &customer, None, 1_000_000)?)
        })
        .await
        .expect("read claims")
}

/// The stored balance (None when the wallet does not exist).
pub async fn store_balance(store: &Store, shop: &str, customer: &str) -> Option<i64> {
    let (shop, customer) = (shop.to_string(), customer.to_string());
    store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(customer_store::find(conn, &shop, &customer)?.map(|row| row.points_balance))
        })
        .await
        .expect("read balance")
}

/// Invariants 1-3 of DESIGN.md for one wallet of the app under test.
pub async fn assert_wallet_invariants(app: &TestApp, shop: &str, customer: &str) -> i64 {
    assert_store_invariants(&app.store, shop, customer).await
}

/// Invariants 1-3 of DESIGN.md for one wallet, read straight from the
/// store: balance = Σ ledger ≥ 0 (and every `balance_after` is the running
/// sum), one debit per claim, one credit of the same points per refunded
/// claim and none otherwise, each claim valued by its recorded program.
/// Returns the balance.
pub async fn assert_store_invariants(store: &Store, shop: &str, customer: &str) -> i64 {
    let balance = store_balance(store, shop, customer).await.unwrap_or(0);
    let entries = store_entries(store, shop, customer).await;
    let claims = store_claims(store, shop, customer).await;
    let mut running = 0_i64;
    for entry in &entries {
        running += entry.delta;
        assert_eq!(entry.balance_after, running, "balance_after is the running sum at {entry:?}");
        assert!(entry.balance_after >= 0, "never negative: {entry:?}");
    }
    assert_eq!(running, balance, "balance = Σ ledger for {customer}");
    assert!(balance >= 0);
    for claim in &claims {
        let debits: Vec<_> =
            entries.iter().filter(|e| e.claim_id.as_deref() == Some(&claim.id) && e.delta < 0).collect();
        assert_eq!(debits.len(), 1, "one debit for claim {}", claim.id);
        assert_eq!(debits[0].delta, -claim.points, "debit = claim points");
        assert_eq!(debits[0].kind.as_str(), "redeem");
        let credits: Vec<_> =
            entries.iter().filter(|e| e.claim_id.as_deref() == Some(&claim.id) && e.delta > 0).collect();
        if matches!(claim.status.as_str(), "refunded" | "failed" | "expired") {
            assert_eq!(credits.len(), 1, "one credit for {} claim {}", claim.status, claim.id);
            assert_eq!(credits[0].delta, claim.points, "credit = claim points");
        } else {
            assert!(credits.is_empty(), "no credit for {} claim {}", claim.status, claim.id);
        }
        let snapshot = claim.snapshot().expect("snapshot");
        let recorded = program_version(store, shop, claim.channel.as_str(), claim.program_version).await;
        assert_eq!(snapshot, recorded, "claim {} snapshots the program version it records", claim.id);
        let currency = Currency::parse(&claim.currency).expect("currency");
        assert_eq!(
            claim.value_minor,
            snapshot.ratio().value_minor(claim.points, currency),
            "claim {} valued by its recorded program",
            claim.id
        );
    }
    let (s, c) = (shop.to_string(), customer.to_string());
    let lot_problems = store
        .read(move |conn| loyalty_wallet::store::lot_audit::violations(conn, &s, &c))
        .await
        .expect("lot invariants");
    assert!(lot_problems.is_empty(), "lot invariants (9) for {customer}: {lot_problems:?}");
    let claim_ids: Vec<_> = claims.iter().map(|c| c.id.as_str()).collect();
    for entry in &entries {
        if let Some(claim_id) = &entry.claim_id {
            assert!(claim_ids.contains(&claim_id.as_str()), "entry for an unknown claim {entry:?}");
        }
    }
    balance
}

/// The settings of one stored program version.
pub async fn program_version(store: &Store, shop: &str, channel: &str, version: i64) -> ProgramSettings {
    use diesel::prelude::*;
    use loyalty_wallet::store::schema::programs;
    let (shop, channel) = (shop.to_string(), channel.to_string());
    let json: String = store
        .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            Ok(programs::table.find((shop, channel, version)).select(programs::settings).first(conn)?)
        })
        .await
        .expect("program version");
    loyalty_wallet::store::programs::parse_settings(&json).expect("settings")
}
