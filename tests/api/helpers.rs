//! Test harness: the real application on port 0 with a fresh database (a
//! temp SQLite file, or a fresh PostgreSQL database when TEST_DATABASE_URL
//! names a server), driven over HTTP with reqwest.

use diesel::{Connection, PgConnection, RunQueryDsl};
use loyalty_wallet::auth::{mint, MintRequest, Role};
use loyalty_wallet::config::Settings;
use loyalty_wallet::domain::ids::ShopDomain;
use loyalty_wallet::startup::Application;
use loyalty_wallet::store::Store;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const SECRET: &str = "test-secret-that-is-at-least-32-bytes-long";
pub const CLIENT_ID: &str = "test-client";
pub const SHOP: &str = "test-shop.myshopify.com";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub store: Store,
    pub database_url: String,
    _dir: Option<tempfile::TempDir>,
}

/// The PostgreSQL server under test, if any (`postgres://user@host:port`).
pub fn postgres_server() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|url| url.starts_with("postgres"))
}

/// PostgreSQL databases made by `fresh_database`, dropped by the first
/// `TestApp` on them to be dropped (as crates.io's test-db guard does), so a
/// long-lived local server does not collect `lw_test_*` databases.
static CREATED: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn drop_test_database(url: &str) {
    let Some(server) = postgres_server() else { return };
    let Some((_, name)) = url.rsplit_once('/') else { return };
    let owned = {
        let mut created = CREATED.lock().unwrap_or_else(|e| e.into_inner());
        let before = created.len();
        created.retain(|n| n != name);
        created.len() != before
    };
    if owned {
        if let Ok(mut admin) = PgConnection::establish(&server) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop_test_database(&self.database_url);
    }
}

/// A fresh database: a new PostgreSQL database per test, else a temp file.
pub fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    if let Some(server) = postgres_server() {
        let name = format!("lw_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(&server).expect("connect to TEST_DATABASE_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
        CREATED.lock().unwrap_or_else(|e| e.into_inner()).push(name.clone());
        let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
        (format!("{base}/{name}"), None)
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db").to_string_lossy().to_string();
        (path, Some(dir))
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    let vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("LOYALTY_BIND", "127.0.0.1:0"),
        ("LOYALTY_APP_SECRET", SECRET),
        ("LOYALTY_CLIENT_ID", CLIENT_ID),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Settings::from_map(&vars).expect("test settings")
}

impl TestApp {
    pub async fn spawn() -> Self {
        let (database_url, dir) = fresh_database();
        Self::spawn_with(test_settings(&database_url), dir).await
    }

    pub async fn spawn_with(settings: Settings, dir: Option<tempfile::TempDir>) -> Self {
        let app = Application::build(settings.clone()).await.expect("build app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let store = app.store().clone();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build().expect("client");
        Self { base, client, database_url: settings.database_url.clone(), settings, store, _dir: dir }
    }

    pub fn token(&self, role: Role, subject: &str) -> String {
        self.token_for(SHOP, role, subject)
    }

    pub fn token_for(&self, shop: &str, role: Role, subject: &str) -> String {
        let shop = ShopDomain::parse(shop).expect("shop");
        let location_id = (role == Role::Pos).then_some("front");
        mint(&self.settings, &MintRequest { shop: &shop, role, subject, location_id, ttl_seconds: 600 }).expect("mint")
    }

    pub fn customer(&self, id: &str) -> String {
        self.token(Role::Customer, id)
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, "staff-1")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: &str) -> Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.expect("GET")
    }

    pub async fn post(&self, path: &str, token: &str, key: Option<&str>, body: &Value) -> Response {
        let mut request = self.client.post(self.url(path)).bearer_auth(token).json(body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.expect("POST")
    }

    pub async fn put(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client.put(self.url(path)).bearer_auth(token).json(body).send().await.expect("PUT")
    }

    /// Enables the channel's program with the given ratio and limits.
    pub async fn enable_program(&self, channel: &str, ratio: &str, min: i64, max: i64) -> Value {
        let body = json!({
            "enabled": true, "points_per_unit": ratio, "min_points": min, "max_points": max,
            "purchase_type": "one_time"
        });
        let response = self.put(&format!("/api/v1/admin/programs/{channel}"), &self.admin(), &body).await;
        assert_eq!(response.status(), StatusCode::OK, "enable program");
        response.json().await.expect("program json")
    }

    /// Gives a customer points through an admin adjustment.
    pub async fn grant(&self, customer: &str, points: i64) {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"points": points, "reason": "test grant"});
        let response = self
            .post(&format!("/api/v1/admin/customers/{customer}/adjustments"), &self.admin(), Some(&key), &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED, "grant points");
    }

    pub async fn balance(&self, customer: &str) -> i64 {
        let wallet: Value = self.get("/api/v1/wallet", &self.customer(customer)).await.json().await.expect("wallet");
        wallet["points_balance"].as_i64().expect("balance")
    }

    pub async fn claim(&self, customer: &str, points: i64) -> Response {
        let key = uuid::Uuid::new_v4().to_string();
        self.post("/api/v1/claims", &self.customer(customer), Some(&key), &json!({"points": points})).await
    }
}

/// Reads an error envelope and returns its code, checking its shape.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("error body is JSON");
    let code = body["error"]["code"].as_str().expect("error.code").to_string();
    assert!(body["error"]["message"].is_string(), "error.message present: {body}");
    code
}

// ---------------------------------------------------------------------------
// Helpers added for the auth, bad-input, concurrency and invariant tests.

use loyalty_wallet::domain::money::Currency;
use loyalty_wallet::domain::program::ProgramSettings;
use loyalty_wallet::store::claims::ClaimRow;
use loyalty_wallet::store::customers::{self as customer_store, EntryRow};

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
