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

pub use crate::store_helpers::*;

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

/// A URL without its `?…` parameters (sslmode, sslrootcert=/a/path), and them.
fn split_query(url: &str) -> (&str, &str) {
    url.find('?').map_or((url, ""), |at| url.split_at(at))
}

fn drop_test_database(url: &str) {
    let Some(server) = postgres_server() else { return };
    let Some((_, name)) = split_query(url).0.rsplit_once('/') else { return };
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

/// Drops the PostgreSQL database made by `fresh_database` for a test that
/// opens it without a `TestApp` (declare it first, so it is dropped last).
pub struct DropDatabase(pub String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        drop_test_database(&self.0);
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
        let (server, query) = split_query(&server);
        let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
        (format!("{base}/{name}{query}"), None)
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("test.db").to_string_lossy().to_string();
        (path, Some(dir))
    }
}

pub fn test_settings(database_url: &str) -> Settings {
    // Behind PgBouncer in transaction mode the suite runs with prepared statements off.
    let prepared = std::env::var("LOYALTY_PG_PREPARED_STATEMENTS").unwrap_or_default();
    let vars: HashMap<String, String> = [
        ("LOYALTY_PG_PREPARED_STATEMENTS", prepared.as_str()),
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
