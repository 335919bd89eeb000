//! Storage: one schema over SQLite and PostgreSQL, the connection pool, and
//! the two ways in — `read` (a pooled connection) and `write` (one durable
//! transaction; on SQLite many concurrent writes share one commit).

pub(crate) mod analytics;
pub(crate) mod cached_sql;
pub mod campaigns;
pub mod checkout;
pub(crate) mod claim_write;
pub mod claims;
pub mod code_failures;
pub mod customers;
pub(crate) mod deliveries;
pub(crate) mod error;
pub(crate) mod events;
pub(crate) mod expiry;
pub(crate) mod export;
pub(crate) mod idempotency;
pub(crate) mod issue;
pub(crate) mod issue_queue;
pub mod limits;
pub mod lot_audit;
pub mod lots;
pub(crate) mod notify;
pub mod oauth_states;
pub(crate) mod offer_life;
pub(crate) mod offer_settings;
pub mod offers;
pub mod outbox;
pub(crate) mod page;
pub(crate) mod pending;
pub mod pg_connect;
pub mod pool;
pub(crate) mod profiles;
pub mod programs;
pub mod reconcile;
pub(crate) mod redact;
pub(crate) mod report;
pub(crate) mod scan;
pub mod schema;
mod schema_lots;
pub(crate) mod shop_grants;
pub mod shops;
#[cfg(test)]
mod state_tests;
pub(crate) mod upkeep;
pub(crate) mod wallets;
pub mod webhooks;
mod writer;

use crate::clock::{self, Clock};
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
pub use error::{Error, Result};
pub use pg_connect::{ConnectOptions, StartupError};
pub(crate) use pool::{Backend, Pool};
use std::sync::Arc;
use writer::GroupWriter;

/// Runs `$body` on the connection's own backend. diesel's
/// `MultiConnection` wraps every query in a `SerializedQuery` without a
/// static query id, so each execution renders the statement's SQL again to
/// find it in the cache (≈ 10 % of a wallet read's CPU in a profile); on
/// the backend's own connection a statement with a static id is looked up
/// by type. The body is compiled once per backend, so it needs no bounds.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::AnyConnection::Sqlite($c) => $body,
            $crate::store::AnyConnection::Postgresql($c) => $body,
        }
    };
}
pub(crate) use on_backend;

#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration of the connection's dialect.
pub fn run_migrations(conn: &mut AnyConnection) -> anyhow::Result<()> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        AnyConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.len()),
    }
    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(())
}

/// Reverts every migration (used by the migration round-trip test).
pub fn revert_all_migrations(conn: &mut AnyConnection) -> anyhow::Result<()> {
    match conn {
        AnyConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        AnyConnection::Postgresql(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))
}

/// Runs `work` in one write transaction opened here: `BEGIN IMMEDIATE` on
/// SQLite (the write lock is taken up front, so no deadlocked upgrade),
/// `BEGIN` (READ COMMITTED) on PostgreSQL. Work nested inside uses savepoints.
pub fn write_transaction<T, E>(
    conn: &mut AnyConnection,
    work: impl FnOnce(&mut AnyConnection) -> std::result::Result<T, E>,
) -> std::result::Result<T, E>
where
    E: From<Error>,
{
    let begun = match conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
        AnyConnection::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
    };
    begun.map_err(Error::from)?;
    match work(conn) {
        Ok(value) => {
            <AnyConnection as Connection>::TransactionManager::commit_transaction(conn).map_err(Error::from)?;
            Ok(value)
        }
        Err(error) => {
            if let Err(rollback) = <AnyConnection as Connection>::TransactionManager::rollback_transaction(conn) {
                tracing::error!(error = %rollback, "rollback failed");
            }
            Err(error)
        }
    }
}

/// How writes are grouped into commits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writes {
    /// Most units folded into one commit.
    pub max_batch: usize,
    /// PostgreSQL: writer threads, each with its own connection, taking
    /// units from one queue (SQLite always has exactly one writer); 0 runs
    /// each unit as its own transaction on the pool.
    pub pg_writers: usize,
}

impl Default for Writes {
    fn default() -> Self {
        Self { max_batch: 256, pg_writers: 2 }
    }
}

/// The database, shared by handlers and background workers.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    writer: Option<Arc<GroupWriter>>,
    clock: Clock,
    /// Parsed program versions (the lean claim path's pre-read).
    programs: Arc<programs::Cache>,
}

impl Store {
    /// Connects, migrates, and starts the group-commit writers.
    pub fn open(url: &str, pool_size: u32, writes: Writes) -> anyhow::Result<Self> {
        Self::open_with_clock(url, pool_size, writes, Clock::default(), &ConnectOptions::from_env())
    }

    /// As [`Store::open`], every unit of work reading time from `clock`. The
    /// first connection fails as a [`StartupError`] (one line for the log).
    pub(crate) fn open_with_clock(
        url: &str,
        pool_size: u32,
        writes: Writes,
        clock: Clock,
        options: &ConnectOptions,
    ) -> anyhow::Result<Self> {
        let backend = pool::Backend::of_url(url);
        let reopen: writer::Reopen = {
            let (url, options) = (url.to_string(), *options);
            Arc::new(move || pool::connect_with(&url, backend, &options))
        };
        // One connection first, alone: it shows the database answers, and on
        // SQLite it switches a fresh file to WAL and migrates it before any
        // other connection opens the file (a fresh pool opening eight at
        // once raced both); then it becomes a writer's.
        let mut first = pool::connect_first(url, options)?;
        run_migrations(&mut first)?;
        let (pool, _) = pool::build_with(url, pool_size, options)?;
        let writers = match backend {
            Backend::Sqlite => 1,
            Backend::Postgres => writes.pg_writers,
        };
        let writer = match writers {
            0 => None,
            n => {
                let mut conns = vec![first];
                conns.extend((1..n).map(|_| reopen()).collect::<anyhow::Result<Vec<_>>>()?);
                Some(Arc::new(GroupWriter::start(conns, reopen, writes.max_batch, clock.clone())?))
            }
        };
        Ok(Self { pool, writer, clock, programs: Arc::default() })
    }

    pub(crate) fn programs(&self) -> &Arc<programs::Cache> {
        &self.programs
    }

    /// The clock every unit of work of this store reads (tests move it).
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Runs read-only work on a pooled connection, off the async executor.
    pub async fn read<T, E, F>(&self, work: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E> + Send + 'static,
    {
        let (pool, clock) = (self.pool.clone(), self.clock.clone());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.checkout()?;
            clock::scoped(&clock, || work(&mut conn))
        })
        .await
        .map_err(Error::from)?
    }

    /// Runs `work` as one all-or-nothing unit that is durably committed
    /// before this returns. Concurrent units are folded into one commit by
    /// a writer thread (each in its own savepoint): SQLite's one writer, or
    /// one of PostgreSQL's `pg_writers`.
    pub async fn write<T, E, F>(&self, work: F) -> std::result::Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> std::result::Result<T, E> + Clone + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.submit(work).await;
        }
        let (pool, clock) = (self.pool.clone(), self.clock.clone());
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.checkout()?;
            clock::scoped(&clock, || write_transaction(&mut conn, work))
        })
        .await
        .map_err(Error::from)?
    }

    /// [`Store::read`] of one query function: its diesel error becomes a
    /// store error, so the caller needs no `Ok(query(conn)?)` wrapper.
    pub(crate) async fn read_query<T, F>(&self, query: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Send + 'static,
    {
        self.read(move |conn| query(conn).map_err(Error::from)).await
    }

    /// [`Store::write`] of one query function, as [`Store::read_query`].
    pub(crate) async fn write_query<T, F>(&self, query: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyConnection) -> QueryResult<T> + Clone + Send + 'static,
    {
        self.write(move |conn| query(conn).map_err(Error::from)).await
    }

    /// `SELECT 1` through the pool, for `/readyz`.
    pub(crate) async fn ping(&self) -> Result<()> {
        self.read(|conn| {
            diesel::sql_query("SELECT 1").execute(conn).map(|_| ()).map_err(|e| Error::Unavailable(e.into()))
        })
        .await
    }
}

/// A conflicting concurrent insert (unique index): the caller re-reads.
fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(error, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}
