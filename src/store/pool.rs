//! Connection pool over either dialect, chosen by the URL, and the
//! per-connection settings (SQLite pragmas, PostgreSQL timeouts).

use super::AnyConnection;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use std::time::Duration;

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

pub type Pool = r2d2::Pool<Manager>;

/// Opens connections of exactly one dialect: a PostgreSQL URL that cannot
/// be reached must fail, never fall back to creating a SQLite file.
#[derive(Debug)]
pub struct Manager {
    url: String,
    backend: Backend,
}

// busy_timeout first: switching to WAL needs the write lock, and a fresh
// pool opens several connections at once.
// A 16 MiB page cache per connection keeps the upper levels of large
// indexes (1 M customers, 10 M ledger entries) in memory: 2x claims there.
const SQLITE_PRAGMAS: &str = "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; \
     PRAGMA cache_size = -16384;";
const POSTGRES_SETTINGS: &str = "SET statement_timeout = '15s'; \
     SET idle_in_transaction_session_timeout = '60s';";

/// Opens one configured connection.
pub fn connect(url: &str, backend: Backend) -> anyhow::Result<AnyConnection> {
    let mut conn = match backend {
        Backend::Postgres => AnyConnection::Postgresql(diesel::PgConnection::establish(url)?),
        Backend::Sqlite => {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            AnyConnection::Sqlite(diesel::SqliteConnection::establish(path)?)
        }
    };
    configure(&mut conn)?;
    Ok(conn)
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
        connect(&self.url, self.backend)
            .map_err(|e| r2d2::Error::ConnectionError(diesel::ConnectionError::BadConnection(e.to_string())))
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

pub fn build(url: &str, size: u32) -> anyhow::Result<(Pool, Backend)> {
    let backend = Backend::of_url(url);
    let pool = r2d2::Pool::builder()
        .max_size(size.max(1))
        .connection_timeout(Duration::from_secs(10))
        .build(Manager { url: url.to_string(), backend })?;
    Ok((pool, backend))
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
