//! Connection pool over either dialect, chosen by the URL, the
//! per-connection settings (SQLite pragmas, PostgreSQL timeouts), and the
//! checkout that answers at once while the database is out of reach.

use super::pg_connect::{ConnectOptions, StartupError};
use super::{AnyConnection, Error};
use diesel::connection::{CacheSize, SimpleConnection};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, PooledConnection};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// r2d2's pool and what the last connection attempt found (r2d2 does not
/// lend its manager back, so the two are kept side by side).
#[derive(Clone)]
pub struct Pool {
    inner: r2d2::Pool<Manager>,
    health: Arc<Health>,
}

impl Pool {
    /// r2d2's own checkout (the command-line tools).
    pub fn get(&self) -> Result<PooledConnection<Manager>, r2d2::PoolError> {
        self.inner.get()
    }

    /// A pooled connection. While the pool is busy it waits up to 10 s; once
    /// an attempt to connect has just failed (the database is down or
    /// restarting) it gives up at once, so a request is answered 503 in a
    /// fraction of a second instead of holding its caller for the timeout.
    pub fn checkout(&self) -> Result<PooledConnection<Manager>, Error> {
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        loop {
            let waited = match self.inner.get_timeout(CHECKOUT_STEP) {
                Ok(conn) => return Ok(conn),
                Err(error) => error,
            };
            if let Some(cause) = self.health.down() {
                return Err(Error::unavailable_msg(format!("database unreachable: {cause}")));
            }
            if Instant::now() >= deadline {
                return Err(Error::from(waited));
            }
        }
    }
}

/// Opens connections of exactly one dialect: a PostgreSQL URL that cannot
/// be reached must fail, never fall back to creating a SQLite file.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
    options: ConnectOptions,
    health: Arc<Health>,
}

// busy_timeout first: switching to WAL needs the write lock, and a fresh
// pool opens several connections at once.
// A 16 MiB page cache per connection keeps the upper levels of large
// indexes (1 M customers, 10 M ledger entries) in memory: 2x claims there.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
     PRAGMA cache_size = -16384;";
// Behind a transaction-mode pooler these reach whichever server connection
// runs them; SCALING.md says to set them on the role there as well.
const POSTGRES_SETTINGS: &str = "SET statement_timeout = '15s'; \
     SET idle_in_transaction_session_timeout = '60s';";

/// A checkout waits this long for a busy pool while the database answers.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// ... in steps of this, looking between them whether the database is gone.
const CHECKOUT_STEP: Duration = Duration::from_millis(100);

/// Opens one configured connection with the process environment's
/// connection settings (the command-line tools).
pub fn connect(url: &str, backend: Backend) -> anyhow::Result<AnyConnection> {
    connect_with(url, backend, &ConnectOptions::from_env())
}

/// Opens one configured connection.
pub fn connect_with(url: &str, backend: Backend, options: &ConnectOptions) -> anyhow::Result<AnyConnection> {
    let mut conn = match backend {
        Backend::Postgres => {
            let mut pg = diesel::PgConnection::establish(&options.url_for(url))?;
            if !options.prepared_statements {
                // Every statement unnamed (diesel sends it with its binds in
                // one Parse/Bind/Execute): nothing outlives the transaction.
                pg.set_prepared_statement_cache_size(CacheSize::Disabled);
            }
            AnyConnection::Postgresql(pg)
        }
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            AnyConnection::Sqlite(diesel::SqliteConnection::establish(path)?)
        }
    };
    configure(&mut conn)?;
    Ok(conn)
}

/// The start-up connection: an unreachable server is waited for up to the
/// connect timeout, then the failure is one `StartupError` (a line naming
/// the cause and the host).
pub fn connect_first(url: &str, options: &ConnectOptions) -> Result<AnyConnection, StartupError> {
    let backend = Backend::of_url(url);
    super::pg_connect::first_connection(url, options, || connect_with(url, backend, options))
}

fn configure(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.batch_execute(SQLITE_PRAGMAS),
        AnyConnection::Postgresql(c) => c.batch_execute(POSTGRES_SETTINGS),
    }
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, r2d2::Error> {
        match connect_with(&self.url, self.backend, &self.options) {
            Ok(conn) => {
                self.health.connected();
                Ok(conn)
            }
            Err(error) => {
                self.health.failed(&error, &self.url);
                Err(r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(error.to_string())))
            }
        }
    }

    /// Asked on every checkout. A PostgreSQL connection can die with its
    /// server (a restart, `pg_terminate_backend`), so it is pinged; an open
    /// SQLite file cannot go stale, so its checkout costs no statement.
    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), r2d2::Error> {
        match conn {
            AnyConnection::Sqlite(_) => Ok(()),
            AnyConnection::Postgresql(c) => c.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        use diesel::connection::TransactionManager;
        <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

/// A pool that opens its connections in the background (the caller has
/// checked the database answers, see [`connect_first`]). Its own retries
/// back off to at most a second, so connections come back within a second
/// of the database; their failures are logged by [`Health`], not r2d2.
pub fn build_with(url: &str, size: u32, options: &ConnectOptions) -> anyhow::Result<(Pool, Backend)> {
    let backend = Backend::of_url(url);
    let health = Arc::new(Health::default());
    let manager = Manager { url: url.to_string(), backend, options: *options, health: health.clone() };
    let inner = r2d2::Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(Duration::from_secs(2))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager);
    Ok((Pool { inner, health }, backend))
}

/// [`build_with`] with the process environment's connection settings.
pub fn build(url: &str, size: u32) -> anyhow::Result<(Pool, Backend)> {
    build_with(url, size, &ConnectOptions::from_env())
}

/// Whether the database was reachable at the last connection attempt.
#[derive(Debug, Default)]
pub struct Health {
    state: Mutex<HealthState>,
}

#[derive(Debug, Default)]
struct HealthState {
    /// The last failed attempt and its cause, until one succeeds.
    failing: Option<(Instant, String)>,
    /// When a failure was last logged (one line per 10 s at most).
    logged: Option<Instant>,
}

/// A failure older than this no longer makes checkouts give up at once
/// (the pool retries at least once a second while the server is away).
const DOWN_FOR: Duration = Duration::from_secs(3);

impl Health {
    fn state(&self) -> std::sync::MutexGuard<'_, HealthState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn connected(&self) {
        let mut state = self.state();
        if state.failing.take().is_some() {
            tracing::warn!("database reachable again");
        }
        state.logged = None;
    }

    fn failed(&self, error: &anyhow::Error, url: &str) {
        let cause = format!("{error:#}").split_whitespace().collect::<Vec<_>>().join(" ");
        let mut state = self.state();
        let now = Instant::now();
        if state.logged.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(10)) {
            state.logged = Some(now);
            tracing::error!(target_db = %super::pg_connect::target_of(url), %cause, "database connection failed");
        }
        state.failing = Some((now, cause));
    }

    /// The cause, while the last attempt failed less than `DOWN_FOR` ago.
    fn down(&self) -> Option<String> {
        let state = self.state();
        state.failing.as_ref().filter(|(at, _)| at.elapsed() < DOWN_FOR).map(|(_, cause)| cause.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::BigInt;

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    /// `.cargo/config.toml` builds SQLite with ENABLE_QPSG; without it every
    /// query with a bound LIMIT is prepared again on each execution.
    #[test]
    fn sqlite_is_built_with_a_stable_query_planner() {
        let mut conn = connect(":memory:", Backend::Sqlite).expect("sqlite");
        let AnyConnection::Sqlite(c) = &mut conn else { unreachable!("a SQLite connection") };
        let found: Count =
            diesel::sql_query("SELECT count(*) AS n FROM pragma_compile_options WHERE compile_options = 'ENABLE_QPSG'")
                .get_result(c)
                .expect("compile options");
        assert_eq!(found.n, 1, "SQLite lacks ENABLE_QPSG: is LIBSQLITE3_FLAGS in .cargo/config.toml set?");
    }
}
