//! Typed settings from environment variables, optionally topped up from a
//! `KEY=VALUE` file named by `LOYALTY_CONFIG_FILE` (the environment wins).
//! Secrets are wrapped so they never reach a log line.

use crate::crypto::{parse_key, KeyRing, KeySource};
use std::collections::HashMap;
use std::fmt;

/// Signs tokens in development mode only; printed links use it.
pub const DEV_SECRET: &str = "loyalty-wallet-development-secret-not-for-production";
pub const DEV_CLIENT_ID: &str = "loyalty-wallet-dev";
pub const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub bind: String,
    pub app_secret: Secret,
    /// No secret configured: demo data, printed links, a fixed dev secret.
    pub development: bool,
    pub client_id: String,
    pub issuer: Option<String>,
    pub log_format: LogFormat,
    pub pool_size: u32,
    pub body_limit_bytes: usize,
    pub group_commit_max: usize,
    /// PostgreSQL: writer threads (each with its own connection) that fold
    /// queued write units into one transaction; 0 = one transaction per
    /// unit on the pool.
    pub pg_group_writers: usize,
    /// PostgreSQL connections: prepared statements (off behind a
    /// transaction-mode pooler) and the connect timeout.
    pub db: crate::store::ConnectOptions,
    /// Seconds in a "day" of expiry, pending windows, warnings and win-back
    /// (`LOYALTY_DAY_SECS`, default 86400; shorter only for tests and demos).
    pub(crate) day_secs: i64,
    /// `http://` to loopback accepted for outgoing URLs (tests, development).
    pub allow_loopback_urls: bool,
    pub platform: PlatformSettings,
    pub install: InstallSettings,
}

/// Installing on Shopify (OAuth, token exchange, app proxy); see README.
#[derive(Debug, Clone)]
pub struct InstallSettings {
    /// `LOYALTY_CLIENT_SECRET`: signs install/callback/proxy queries (default: the app secret).
    pub(crate) client_secret: Secret,
    /// `LOYALTY_APP_URL`: the public base for redirect_uri, webhooks and `api_base`.
    pub app_url: String,
    /// `LOYALTY_SHOPIFY_EMBEDDED=1`: admin session tokens with `sid` trigger a token exchange.
    pub embedded: bool,
}

/// Timings of the platform connector and the background workers.
#[derive(Debug, Clone)]
pub struct PlatformSettings {
    /// Run the outbox relay and the sweeper in this process.
    pub workers: bool,
    /// `LOYALTY_SHOPIFY_API_VERSION`: the Admin API version of shops that set none.
    pub api_version: String,
    pub connect_timeout_ms: u64,
    pub request_timeout_ms: u64,
    /// How long a claim's response waits for the push to the platform.
    pub push_window_ms: u64,
    /// A claim still unpushed after this long fails and is refunded.
    pub push_deadline_secs: i64,
    pub relay_interval_ms: u64,
    pub(crate) relay_concurrency: usize,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    pub(crate) sweep_interval_secs: u64,
    /// Late orders may still report a code used just before it expired.
    pub expiry_grace_secs: i64,
    pub(crate) retention_days: i64,
    pub(crate) reconcile_interval_secs: u64,
    pub(crate) segment_ttl_secs: u64,
    /// How often the campaign worker looks for due offers.
    pub(crate) issue_interval_ms: u64,
    /// The longest wait a platform answer (Retry-After, throttle status)
    /// can impose; larger, negative or non-numeric figures are clamped.
    pub max_wait_secs: u64,
    /// Outgoing merchant webhooks are retried this long, then dead-lettered.
    pub(crate) notify_retry_window_secs: i64,
    /// Longest wait between two deliveries of one event (tests shorten it).
    pub(crate) notify_retry_max_ms: i64,
    /// `LOYALTY_SHOPIFY_BASE_URL`: replaces `https://{shop}` for every
    /// Shopify call (`{shop}` inside it is replaced by the shop domain); a
    /// shop's own `platform.base_url` still wins.
    pub shopify_base_url: Option<String>,
    /// Seals access tokens at rest (`LOYALTY_ENCRYPTION_KEY`, `_OLD`).
    pub tokens: KeyRing,
}

const DEFAULT_DATABASE: &str = "loyalty-wallet.db";

impl Settings {
    /// How the store groups its writes.
    pub fn writes(&self) -> crate::store::Writes {
        crate::store::Writes { max_batch: self.group_commit_max, pg_writers: self.pg_group_writers }
    }

    /// Reads the process environment (and the optional file).
    pub fn from_env() -> anyhow::Result<Self> {
        let mut vars: HashMap<String, String> = std::env::vars().collect();
        if let Some(path) = vars.get("LOYALTY_CONFIG_FILE").cloned() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| anyhow::anyhow!("cannot read LOYALTY_CONFIG_FILE {path}: {e}"))?;
            for (key, value) in parse_file(&text) {
                vars.entry(key).or_insert(value);
            }
        }
        Self::from_map(&vars)
    }

    pub fn from_map(vars: &HashMap<String, String>) -> anyhow::Result<Self> {
        let get = |key: &str| vars.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let (app_secret, development) = match get("LOYALTY_APP_SECRET") {
            Some(secret) if secret.len() < MIN_SECRET_BYTES => anyhow::bail!(
                "LOYALTY_APP_SECRET must be at least {MIN_SECRET_BYTES} bytes (got {}); unset it for development mode",
                secret.len()
            ),
            Some(secret) => (Secret::new(secret), false),
            None => (Secret::new(DEV_SECRET), true),
        };
        let default_client = if development { DEV_CLIENT_ID } else { "loyalty-wallet" };
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => anyhow::bail!("LOG_FORMAT must be json or text, not {other:?}"),
        };
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE.into());
        let is_postgres = database_url.starts_with("postgres");
        let bind = get("LOYALTY_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let client_secret = get("LOYALTY_CLIENT_SECRET").map_or_else(|| app_secret.clone(), Secret::new);
        let install = InstallSettings {
            app_url: get("LOYALTY_APP_URL").unwrap_or_else(|| format!("http://{bind}")).trim_end_matches('/').into(),
            embedded: get("LOYALTY_SHOPIFY_EMBEDDED").is_some_and(|v| v == "1" || v == "true"),
            client_secret,
        };
        let tokens = token_keys(&get, development, &install.client_secret)?;
        let writes = crate::store::Writes::default();
        Ok(Self {
            bind,
            app_secret,
            development,
            client_id: get("LOYALTY_CLIENT_ID").unwrap_or_else(|| default_client.into()),
            issuer: get("LOYALTY_ISSUER"),
            log_format,
            pool_size: number(&get, "LOYALTY_DB_POOL_SIZE", if is_postgres { 16 } else { 8 })?,
            body_limit_bytes: number(&get, "LOYALTY_BODY_LIMIT_BYTES", 64 * 1024)?,
            group_commit_max: number(&get, "LOYALTY_GROUP_COMMIT_MAX", writes.max_batch)?,
            pg_group_writers: number(&get, "LOYALTY_PG_GROUP_WRITERS", writes.pg_writers)?,
            db: crate::store::ConnectOptions::from_lookup(&get)?,
            day_secs: day_secs(&get)?,
            allow_loopback_urls: development
                || get("LOYALTY_ALLOW_LOOPBACK_URLS").is_some_and(|v| v == "1" || v == "true"),
            platform: PlatformSettings::from_lookup(&get, tokens)?,
            install,
            database_url,
        })
    }
}

impl Settings {
    /// True when `LOYALTY_DAY_SECS` shortened the day (logged as a WARN at start).
    pub(crate) fn day_is_shortened(&self) -> bool {
        self.day_secs != crate::clock::DEFAULT_DAY_SECS
    }
}

fn day_secs(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<i64> {
    let secs: i64 = number(get, "LOYALTY_DAY_SECS", crate::clock::DEFAULT_DAY_SECS)?;
    anyhow::ensure!(
        (1..=crate::clock::DEFAULT_DAY_SECS).contains(&secs),
        "LOYALTY_DAY_SECS must be 1-86400, not {secs}"
    );
    Ok(secs)
}

impl PlatformSettings {
    fn from_lookup(get: &impl Fn(&str) -> Option<String>, tokens: KeyRing) -> anyhow::Result<Self> {
        Ok(Self {
            workers: get("LOYALTY_WORKERS").is_none_or(|v| v != "0" && v != "false"),
            api_version: api_version(get)?,
            connect_timeout_ms: number(get, "LOYALTY_PLATFORM_CONNECT_TIMEOUT_MS", 2_000)?,
            request_timeout_ms: number(get, "LOYALTY_PLATFORM_TIMEOUT_MS", 10_000)?,
            push_window_ms: number(get, "LOYALTY_PUSH_WINDOW_MS", 1_000)?,
            push_deadline_secs: number(get, "LOYALTY_PUSH_DEADLINE_SECS", 900)?,
            relay_interval_ms: number(get, "LOYALTY_RELAY_INTERVAL_MS", 500)?,
            relay_concurrency: number(get, "LOYALTY_RELAY_CONCURRENCY", 8)?,
            retry_base_ms: number(get, "LOYALTY_RETRY_BASE_MS", 500)?,
            retry_max_ms: number(get, "LOYALTY_RETRY_MAX_MS", 60_000)?,
            sweep_interval_secs: number(get, "LOYALTY_SWEEP_INTERVAL_SECS", 60)?,
            expiry_grace_secs: number(get, "LOYALTY_EXPIRY_GRACE_SECS", 600)?,
            retention_days: number(get, "LOYALTY_RETENTION_DAYS", 90)?,
            reconcile_interval_secs: number(get, "LOYALTY_RECONCILE_INTERVAL_SECS", 3_600)?,
            segment_ttl_secs: number(get, "LOYALTY_SEGMENT_TTL_SECS", 60)?,
            issue_interval_ms: number(get, "LOYALTY_ISSUE_INTERVAL_MS", 1_000)?,
            max_wait_secs: number(get, "LOYALTY_PLATFORM_MAX_WAIT_SECS", 60)?,
            notify_retry_window_secs: number(get, "LOYALTY_NOTIFY_RETRY_WINDOW_SECS", 86_400)?,
            notify_retry_max_ms: number(get, "LOYALTY_NOTIFY_RETRY_MAX_MS", 3_600_000)?,
            shopify_base_url: get("LOYALTY_SHOPIFY_BASE_URL").map(|url| url.trim_end_matches('/').to_string()),
            tokens,
        })
    }

    /// Where one shop's Shopify calls go: `LOYALTY_SHOPIFY_BASE_URL` or `https://{shop}`.
    pub(crate) fn shopify_base(&self, shop: &str) -> String {
        match &self.shopify_base_url {
            Some(base) => base.replace("{shop}", shop),
            None => format!("https://{shop}"),
        }
    }
}

/// `LOYALTY_SHOPIFY_API_VERSION`, by default the newest stable version; a
/// value that is no version (`2026-13`, `latest`) stops the start. One past
/// its support window only warns (`Application::build`).
fn api_version(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    use crate::platform::shopify::version;
    let Some(configured) = get("LOYALTY_SHOPIFY_API_VERSION") else { return Ok(version::CURRENT.into()) };
    version::support(&configured, chrono::Utc::now().date_naive())
        .map_err(|why| anyhow::anyhow!("LOYALTY_SHOPIFY_API_VERSION: {why}"))?;
    Ok(configured)
}

impl PlatformSettings {
    /// The WARN to log at start when the configured Admin API version is
    /// past Shopify's 12-month support window (or not released, or unstable).
    pub fn api_version_warning(&self, today: chrono::NaiveDate) -> Option<String> {
        crate::platform::shopify::version::warning(&self.api_version, today)
    }
}

/// `LOYALTY_ENCRYPTION_KEY` (base64, 32 bytes) and the comma-separated old
/// keys of `LOYALTY_ENCRYPTION_KEY_OLD`. Without a key: development mode
/// makes a throwaway one; otherwise one is derived from the client secret.
fn token_keys(get: &impl Fn(&str) -> Option<String>, development: bool, secret: &Secret) -> anyhow::Result<KeyRing> {
    let old = get("LOYALTY_ENCRYPTION_KEY_OLD")
        .map(|list| {
            list.split(',')
                .filter(|k| !k.trim().is_empty())
                .map(|k| parse_key("LOYALTY_ENCRYPTION_KEY_OLD", k))
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(match get("LOYALTY_ENCRYPTION_KEY") {
        Some(key) => KeyRing::new(&parse_key("LOYALTY_ENCRYPTION_KEY", &key)?, &old, KeySource::Configured),
        None if development => KeyRing::generate(),
        None => KeyRing::derived(secret.expose(), &old),
    })
}

fn number<T: std::str::FromStr>(get: &impl Fn(&str) -> Option<String>, key: &str, default: T) -> anyhow::Result<T> {
    match get(key) {
        None => Ok(default),
        Some(raw) => raw.parse().map_err(|_| anyhow::anyhow!("{key} must be a number, not {raw:?}")),
    }
}

fn parse_file(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}
