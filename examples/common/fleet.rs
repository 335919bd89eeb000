//! Service processes for the examples: child processes of the release
//! `loyalty-wallet serve` on free ports, sharing one scratch database and
//! one secret, with their background workers on.
#![allow(dead_code)]

use loyalty_wallet::bench::db;
use loyalty_wallet::bench::server::Service;
use loyalty_wallet::config::Settings;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const APP_SECRET: &str = "loyalty-wallet-examples-secret-0123456789abcdef";
pub const CLIENT_ID: &str = "loyalty-wallet-examples";

/// The settings the load generator mints tokens with (the children's secret).
pub fn token_settings(database_url: &str) -> anyhow::Result<Settings> {
    let vars: HashMap<String, String> =
        [("DATABASE_URL", database_url), ("LOYALTY_APP_SECRET", APP_SECRET), ("LOYALTY_CLIENT_ID", CLIENT_ID)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    Settings::from_map(&vars)
}

/// `LOYALTY_BIN`, else the `loyalty-wallet` of the profile this example was
/// built in (`target/release/examples/x` → `target/release/loyalty-wallet`).
pub fn service_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("LOYALTY_BIN") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let profile_dir = exe.parent().and_then(Path::parent).ok_or_else(|| anyhow::anyhow!("no target dir"))?;
    let binary = profile_dir.join("loyalty-wallet");
    anyhow::ensure!(binary.exists(), "{binary:?} is missing: run `cargo build --release` or set LOYALTY_BIN");
    Ok(binary)
}

/// Starts `binary serve` on the scratch database with the examples' secret
/// and its background workers on, and waits for `/readyz`; `extra`
/// environment variables come last. Killed (log kept) when dropped unstopped.
pub async fn start_service(binary: &Path, database_url: &str, extra: &[(&str, String)]) -> anyhow::Result<Service> {
    let mut env = vec![
        ("DATABASE_URL", database_url.to_string()),
        ("LOYALTY_APP_SECRET", APP_SECRET.to_string()),
        ("LOYALTY_CLIENT_ID", CLIENT_ID.to_string()),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1".to_string()),
        ("LOYALTY_WORKERS", "1".to_string()),
        ("RUST_LOG", "warn".to_string()),
    ];
    env.extend(extra.iter().cloned());
    Service::spawn(binary, &env, "example").await
}

/// SIGTERM, then SIGKILL after 10 s; removes the log.
pub async fn stop_service(mut service: Service) {
    service.stop().await;
    service.discard_log();
}

/// A fresh, migrated database: a SQLite file in a temp dir, or a new
/// database on a PostgreSQL server; removed when dropped.
pub struct ScratchDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl ScratchDatabase {
    /// `sqlite`, or a PostgreSQL server URL (any database on it).
    pub fn create(target: &str) -> anyhow::Result<Self> {
        if target == "sqlite" {
            let dir = tempfile::tempdir()?;
            let url = dir.path().join("example.db").to_string_lossy().to_string();
            db::ensure_database(&url)?;
            return Ok(Self { url, _dir: Some(dir), postgres: None });
        }
        anyhow::ensure!(db::is_postgres(target), "{target:?} is neither `sqlite` nor a postgres:// URL");
        let name = format!("lw_example_{}", uuid::Uuid::new_v4().simple());
        let url = db::database_url(target, &name);
        db::ensure_database(&url)?;
        Ok(Self { url, _dir: None, postgres: Some((db::database_url(target, "postgres"), name)) })
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for ScratchDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = &self.postgres else { return };
        if std::env::var_os("KEEP").is_some() {
            eprintln!("database kept: {}", self.url);
            return;
        }
        let dropped = db::connect(admin_url).and_then(|mut admin| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin)?;
            Ok(())
        });
        if let Err(error) = dropped {
            eprintln!("could not drop {name}: {error}");
        }
    }
}
