//! How PostgreSQL connections are opened: the connect timeout every attempt
//! carries, prepared statements on or off (off behind a transaction-mode
//! pooler), and the first connection at start-up, whose failure is told in
//! one line naming the cause and the host, never the password.

use std::time::{Duration, Instant};

/// Settings of every PostgreSQL connection this process opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Named (cached) prepared statements; `LOYALTY_PG_PREPARED_STATEMENTS=0`
    /// turns them off for PgBouncer's transaction mode, where the next
    /// transaction may run on another server connection that holds a
    /// different statement of the same name.
    pub prepared_statements: bool,
    /// `LOYALTY_DB_CONNECT_TIMEOUT_SECS`: one connection attempt (libpq's
    /// `connect_timeout`, per host) and the whole start-up wait.
    pub connect_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self { prepared_statements: true, connect_timeout: Duration::from_secs(10) }
    }
}

impl ConnectOptions {
    /// Reads the two settings through `get`; a bad value is an error.
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let prepared_statements = match get("LOYALTY_PG_PREPARED_STATEMENTS").as_deref() {
            None | Some("1" | "true") => true,
            Some("0" | "false") => false,
            Some(other) => anyhow::bail!("LOYALTY_PG_PREPARED_STATEMENTS must be 0 or 1, not {other:?}"),
        };
        let secs = match get("LOYALTY_DB_CONNECT_TIMEOUT_SECS") {
            None => 10,
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|s| (1..=600).contains(s))
                .ok_or_else(|| anyhow::anyhow!("LOYALTY_DB_CONNECT_TIMEOUT_SECS must be 1-600, not {raw:?}"))?,
        };
        Ok(Self { prepared_statements, connect_timeout: Duration::from_secs(secs) })
    }

    /// The process environment's settings, for the command-line tools
    /// (bench, examples); a bad value falls back to the default.
    pub fn from_env() -> Self {
        let get = |key: &str| std::env::var(key).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        Self::from_lookup(&get).unwrap_or_default()
    }

    /// The URL with libpq's `connect_timeout` added (unless it names one):
    /// without it a host that drops packets holds a connection attempt for
    /// the kernel's TCP timeout (minutes).
    pub(crate) fn url_for(&self, url: &str) -> String {
        if url.contains("connect_timeout=") {
            return url.to_string();
        }
        let separator = if url.contains('?') { '&' } else { '?' };
        // libpq takes 2 s as its smallest meaningful value.
        format!("{url}{separator}connect_timeout={}", self.connect_timeout.as_secs().max(2))
    }
}

/// Why the first connection failed, as an operator reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Nothing answered (refused, timed out, no route, name unknown) or the
    /// server is starting or stopping: worth waiting for.
    Unreachable,
    /// The server answered and refused the login (password, user, pg_hba).
    LoginRefused,
    /// TLS could not be set up (not offered, certificate not trusted or
    /// not for this host).
    Tls,
    /// The database named in the URL does not exist.
    NoDatabase,
    /// Anything else libpq reported.
    Other,
}

impl Refusal {
    pub fn classify(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        let any = |needles: &[&str]| needles.iter().any(|n| m.contains(n));
        if any(&["ssl", "certificate", "tls"]) && !any(&["no pg_hba.conf entry"]) {
            Refusal::Tls
        } else if any(&["password authentication failed", "no pg_hba.conf entry", "role \"", "authentication"]) {
            Refusal::LoginRefused
        } else if any(&["database \"", "does not exist"]) {
            Refusal::NoDatabase
        } else if any(&[
            "connection refused",
            "timeout expired",
            "could not translate host name",
            "no route to host",
            "network is unreachable",
            "the database system is",
            "could not connect",
            "server closed the connection",
            "read-only",
            "hot standby",
        ]) {
            Refusal::Unreachable
        } else {
            Refusal::Other
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Refusal::Unreachable => "database unreachable",
            Refusal::LoginRefused => "database refused the login",
            Refusal::Tls => "TLS to the database failed",
            Refusal::NoDatabase => "database does not exist",
            Refusal::Other => "cannot connect to the database",
        }
    }
}

/// The first connection failed: one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{} at {target}: {detail}", cause.describe())]
pub struct StartupError {
    pub cause: Refusal,
    /// host:port/database (or the hosts listed), never credentials.
    pub target: String,
    /// libpq's own message, on one line.
    pub detail: String,
}

/// Where `url` points, without user or password: `host[:port][,…]/db`.
pub fn target_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let rest = rest.split_once('?').map_or(rest, |(before, _)| before);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
    if rest.is_empty() {
        "the default host".into()
    } else {
        rest.to_string()
    }
}

/// libpq's multi-line message, on one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Opens the first connection with `attempt`, waiting out an unreachable
/// server until the connect timeout; a refusal (login, TLS, database) ends
/// at once, as waiting cannot mend it. Nothing is logged per attempt.
pub(crate) fn first_connection<C>(
    url: &str,
    options: &ConnectOptions,
    mut attempt: impl FnMut() -> anyhow::Result<C>,
) -> Result<C, StartupError> {
    let deadline = Instant::now() + options.connect_timeout;
    loop {
        let error = match attempt() {
            Ok(conn) => return Ok(conn),
            Err(error) => format!("{error:#}"),
        };
        let cause = Refusal::classify(&error);
        if cause != Refusal::Unreachable || Instant::now() + Duration::from_millis(250) >= deadline {
            return Err(StartupError { cause, target: target_of(url), detail: one_line(&error) });
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_never_shows_credentials() {
        assert_eq!(
            target_of("postgres://app:s3cret@db.example:5432/loyalty?sslmode=verify-full"),
            "db.example:5432/loyalty"
        );
        assert_eq!(target_of("postgres://u:p@a:1,b:2/db?target_session_attrs=read-write"), "a:1,b:2/db");
        assert_eq!(target_of("postgres:///db"), "/db");
    }

    #[test]
    fn libpq_messages_are_classified() {
        let refused =
            "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n\tIs the server running";
        assert_eq!(Refusal::classify(refused), Refusal::Unreachable);
        let password =
            "connection to server at \"h\", port 5432 failed: FATAL:  password authentication failed for user \"u\"";
        assert_eq!(Refusal::classify(password), Refusal::LoginRefused);
        assert_eq!(Refusal::classify("server does not support SSL, but SSL was required"), Refusal::Tls);
        assert_eq!(Refusal::classify("SSL error: certificate verify failed"), Refusal::Tls);
        let plain =
            "FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"postgres\", database \"x\", no encryption";
        assert_eq!(Refusal::classify(plain), Refusal::LoginRefused);
        assert_eq!(Refusal::classify("FATAL:  database \"nope\" does not exist"), Refusal::NoDatabase);
    }

    #[test]
    fn the_connect_timeout_is_added_once() {
        let options = ConnectOptions { connect_timeout: Duration::from_secs(3), ..ConnectOptions::default() };
        assert_eq!(options.url_for("postgres://h/db"), "postgres://h/db?connect_timeout=3");
        assert_eq!(
            options.url_for("postgres://h/db?sslmode=require"),
            "postgres://h/db?sslmode=require&connect_timeout=3"
        );
        assert_eq!(options.url_for("postgres://h/db?connect_timeout=7"), "postgres://h/db?connect_timeout=7");
    }

    #[test]
    fn settings_are_parsed_strictly() {
        let get = |pairs: &'static [(&'static str, &'static str)]| {
            move |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.to_string())
        };
        assert_eq!(ConnectOptions::from_lookup(&get(&[])).expect("defaults"), ConnectOptions::default());
        let off = ConnectOptions::from_lookup(&get(&[("LOYALTY_PG_PREPARED_STATEMENTS", "0")])).expect("off");
        assert!(!off.prepared_statements);
        assert!(ConnectOptions::from_lookup(&get(&[("LOYALTY_PG_PREPARED_STATEMENTS", "no")])).is_err());
        assert!(ConnectOptions::from_lookup(&get(&[("LOYALTY_DB_CONNECT_TIMEOUT_SECS", "0")])).is_err());
    }
}
