//! The service under test: `loyalty-wallet serve` as a child process (a
//! separate process, so its peak RSS is its own), or one already running.

use super::rss;
use crate::config::Settings;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BENCH_SECRET: &str = "loyalty-wallet-bench-secret-0123456789abcdef";
const BENCH_CLIENT_ID: &str = "loyalty-wallet-bench";
const READY_WITHIN: Duration = Duration::from_secs(60);

/// The token settings: this environment's secret and client id when one
/// is configured (to match a running service), else a bench secret.
pub(crate) fn bench_settings(env: &Settings) -> anyhow::Result<Settings> {
    if !env.development {
        return Ok(env.clone());
    }
    let vars: HashMap<String, String> = [
        ("DATABASE_URL", env.database_url.as_str()),
        ("LOYALTY_APP_SECRET", BENCH_SECRET),
        ("LOYALTY_CLIENT_ID", BENCH_CLIENT_ID),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    Settings::from_map(&vars)
}

pub struct Service {
    pub base: String,
    pid: Option<u32>,
    child: Option<Child>,
    pub log: Option<PathBuf>,
}

impl Service {
    /// A service started elsewhere (`--url`, optionally `--server-pid`).
    pub(crate) fn attach(base: &str, pid: Option<u32>) -> Self {
        Self { base: base.trim_end_matches('/').to_string(), pid, child: None, log: None }
    }

    /// Starts `loyalty-wallet serve` on a free port without background
    /// workers, and waits until it answers /readyz. The child inherits this
    /// environment (e.g. LOYALTY_DB_POOL_SIZE, LOYALTY_GROUP_COMMIT_MAX).
    pub(crate) async fn start(database_url: &str, settings: &Settings, log_level: &str) -> anyhow::Result<Self> {
        Self::start_with(database_url, settings, log_level, &[]).await
    }

    /// As [`Service::start`], with `extra` environment variables set last
    /// (e.g. LOYALTY_WORKERS=1 for the sweep benchmark).
    pub(crate) async fn start_with(
        database_url: &str,
        settings: &Settings,
        log_level: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let mut env = vec![
            ("DATABASE_URL", database_url.to_string()),
            ("LOYALTY_APP_SECRET", settings.app_secret.expose().to_string()),
            ("LOYALTY_CLIENT_ID", settings.client_id.clone()),
            ("LOYALTY_WORKERS", "0".to_string()),
            ("RUST_LOG", log_level.to_string()),
        ];
        if let Some(issuer) = &settings.issuer {
            env.push(("LOYALTY_ISSUER", issuer.clone()));
        }
        env.extend(extra.iter().map(|(name, value)| (*name, value.to_string())));
        Self::spawn(&std::env::current_exe()?, &env, "bench").await
    }

    /// Starts `binary serve` on a free port with `env` set (the config file
    /// left out), its output in `lw-{label}-service-{port}.log` in the temp
    /// dir, and waits until it answers /readyz.
    pub async fn spawn(binary: &Path, env: &[(&str, String)], label: &str) -> anyhow::Result<Self> {
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("lw-{label}-service-{port}.log"));
        let out = std::fs::File::create(&log)?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_remove("LOYALTY_CONFIG_FILE")
            .env("LOYALTY_BIND", format!("127.0.0.1:{port}"))
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out);
        let child = command.spawn()?;
        let mut service = Self {
            base: format!("http://127.0.0.1:{port}"),
            pid: Some(child.id()),
            child: Some(child),
            log: Some(log),
        };
        if let Err(e) = service.wait_ready().await {
            service.stop().await;
            return Err(e);
        }
        Ok(service)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        let started = Instant::now();
        while started.elapsed() < READY_WITHIN {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                anyhow::bail!("the service exited ({status}); see {:?}", self.log);
            }
            let ready = client.get(format!("{}/readyz", self.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the service was not ready within {READY_WITHIN:?}; see {:?}", self.log)
    }

    /// Peak RSS of the service process so far, in KiB.
    pub(crate) fn peak_rss_kib(&self) -> Option<u64> {
        self.pid.and_then(|pid| rss::peak_kib(Some(pid)))
    }

    /// Removes the child's log (kept when something went wrong).
    pub fn discard_log(&mut self) {
        if let Some(log) = self.log.take() {
            let _ = std::fs::remove_file(log);
        }
    }

    /// A started child that is still running (a crash fails a run).
    pub fn is_running(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| c.try_wait().ok().flatten().is_none())
    }

    /// CPU seconds the service process has used so far.
    pub fn cpu_seconds(&self) -> Option<f64> {
        self.pid.and_then(|pid| rss::cpu_seconds(Some(pid)))
    }

    /// Stops a child gracefully (SIGTERM, then SIGKILL after 10 s); leaves
    /// an attached service alone.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// A child never stopped (an early return) is killed; its log is kept.
impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!("service log kept: {:?}", self.log);
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
