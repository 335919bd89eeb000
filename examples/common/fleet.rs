//! Service processes for the examples: child processes of the release
//! `loyalty-wallet serve` on free ports, sharing one scratch database and
//! one secret, with their background workers on.
#![allow(dead_code)]

use loyalty_wallet::bench::{db, rss};
use loyalty_wallet::config::Settings;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const APP_SECRET: &str = "loyalty-wallet-examples-secret-0123456789abcdef";
pub const CLIENT_ID: &str = "loyalty-wallet-examples";
const READY_WITHIN: Duration = Duration::from_secs(60);

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

/// One `loyalty-wallet serve` child; killed when dropped.
pub struct ServiceProcess {
    pub base: String,
    child: Option<Child>,
    log: PathBuf,
}

impl ServiceProcess {
    /// Starts it and waits for `/readyz`. `extra` environment variables come last.
    pub async fn start(binary: &Path, database_url: &str, extra: &[(&str, String)]) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::env::temp_dir().join(format!("lw-example-service-{port}.log"));
        let out = std::fs::File::create(&log)?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_remove("LOYALTY_CONFIG_FILE")
            .env("DATABASE_URL", database_url)
            .env("LOYALTY_BIND", format!("127.0.0.1:{port}"))
            .env("LOYALTY_APP_SECRET", APP_SECRET)
            .env("LOYALTY_CLIENT_ID", CLIENT_ID)
            .env("LOYALTY_ALLOW_LOOPBACK_URLS", "1")
            .env("LOYALTY_WORKERS", "1")
            .env("RUST_LOG", "warn")
            .envs(extra.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = command.spawn()?;
        let mut service = Self { base: format!("http://127.0.0.1:{port}"), child: Some(child), log };
        service.wait_ready().await?;
        Ok(service)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                anyhow::bail!("the service exited ({status}); log: {:?}", self.log);
            }
            let ready = client.get(format!("{}/readyz", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the service was not ready within {READY_WITHIN:?}; log: {:?}", self.log)
    }

    /// CPU seconds it has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        self.child.as_ref().and_then(|c| rss::cpu_seconds(Some(c.id()))).unwrap_or(0.0)
    }

    /// Still running (a crash is a failure of the run).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// SIGTERM, then SIGKILL after 10 s; removes the log.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
            let started = Instant::now();
            while started.elapsed() < Duration::from_secs(10) && child.try_wait().ok().flatten().is_none() {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("service log kept: {:?}", self.log);
        }
    }
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
