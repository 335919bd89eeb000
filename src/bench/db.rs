//! The database a benchmark runs on: a fresh SQLite file or a fresh
//! PostgreSQL database (seeded here), or one seeded before (`--reuse`).

use super::seed::{self, Plan};
use super::LoadArgs;
use crate::store::pool::{self, Backend};
use crate::store::{run_migrations, AnyConnection};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use std::path::PathBuf;

/// The shop every benchmark writes to.
pub const SHOP: &str = "bench-shop.myshopify.com";
/// Each claim takes this many points (the program's minimum: 1.00 USD).
pub const POINTS_PER_CLAIM: i64 = 100;

/// The seeded customers are c00000000, c00000001, …
pub(crate) fn customer_id(index: u64) -> String {
    format!("c{index:08}")
}

pub fn connect(url: &str) -> anyhow::Result<AnyConnection> {
    pool::connect(url, Backend::of_url(url))
}

pub fn is_postgres(url: &str) -> bool {
    Backend::of_url(url) == Backend::Postgres
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    pub(crate) n: i64,
}

/// Runs a `SELECT COUNT(*) AS n …`-shaped query.
pub fn count(conn: &mut AnyConnection, sql: &str) -> QueryResult<i64> {
    diesel::sql_query(sql).get_result::<Count>(conn).map(|c| c.n)
}

pub(crate) fn bench_customers(conn: &mut AnyConnection) -> QueryResult<i64> {
    count(conn, &format!("SELECT COUNT(*) AS n FROM customers WHERE shop_id = '{SHOP}'"))
}

enum Cleanup {
    Keep,
    SqliteDir(PathBuf),
    PgDatabase { server: String, name: String },
}

/// A prepared database: its URL, how many customers it holds, what to
/// remove afterwards.
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) customers: u64,
    cleanup: Cleanup,
}

impl Target {
    /// Creates and seeds a fresh database, or checks a reused one (blocking).
    pub(crate) fn prepare(args: &LoadArgs) -> anyhow::Result<Self> {
        if args.reuse {
            let mut conn = connect(&args.database)?;
            let customers = u64::try_from(bench_customers(&mut conn)?)?;
            anyhow::ensure!(customers > 0, "{} holds no bench customers: run `bench seed` first", args.database);
            return Ok(Self { url: args.database.clone(), customers, cleanup: Cleanup::Keep });
        }
        let (url, cleanup) = fresh(&args.database)?;
        let target = Self { url, customers: args.customers, cleanup };
        seed::fill(&target.url, &Plan::new(args.customers, args.customers)?, false)?;
        Ok(target)
    }

    /// Removes what `prepare` created (unless `keep`).
    pub(crate) fn cleanup(self, keep: bool) -> anyhow::Result<()> {
        match self.cleanup {
            _ if keep => {
                println!("database kept: {}", self.url);
                Ok(())
            }
            Cleanup::Keep => Ok(()),
            Cleanup::SqliteDir(dir) => Ok(std::fs::remove_dir_all(dir)?),
            Cleanup::PgDatabase { server, name } => {
                let mut admin = connect(&database_url(&server, "postgres"))?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin)?;
                Ok(())
            }
        }
    }
}

fn fresh(database: &str) -> anyhow::Result<(String, Cleanup)> {
    if database == "sqlite" {
        let dir = std::env::temp_dir().join(format!("lw-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir)?;
        let file = dir.join("bench.db").to_string_lossy().to_string();
        return Ok((file, Cleanup::SqliteDir(dir)));
    }
    if is_postgres(database) {
        let name = format!("lw_bench_{}", uuid::Uuid::new_v4().simple());
        let mut admin = connect(database)?;
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        let url = database_url(database, &name);
        return Ok((url, Cleanup::PgDatabase { server: database.to_string(), name }));
    }
    anyhow::ensure!(!std::path::Path::new(database).exists(), "{database} exists: pass --reuse to use it as it is");
    Ok((database.to_string(), Cleanup::Keep))
}

/// The URL of database `name` on the server of `url`.
pub fn database_url(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    // Parameters (sslmode, sslrootcert=/a/path, target_session_attrs) stay.
    let query = url.find('?').map_or("", |at| &url[at..]);
    let before_query = url.len() - query.len();
    let path_start = url[authority_start..before_query].find('/').map_or(before_query, |i| authority_start + i);
    format!("{}/{name}{query}", &url[..path_start])
}

/// The database name in a PostgreSQL URL.
fn database_name(url: &str) -> Option<&str> {
    let authority_start = url.find("://")? + 3;
    let path = &url[authority_start..];
    let name = &path[path.find('/')? + 1..];
    let name = name.split('?').next().unwrap_or(name);
    (!name.is_empty()).then_some(name)
}

/// Creates the PostgreSQL database the URL names if it is missing; a
/// SQLite path needs nothing. Then migrates.
pub fn ensure_database(url: &str) -> anyhow::Result<()> {
    if is_postgres(url) {
        let name = database_name(url).ok_or_else(|| anyhow::anyhow!("{url} names no database"))?;
        anyhow::ensure!(name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "unusual database name {name}");
        let mut admin = connect(&database_url(url, "postgres"))?;
        let exists = count(&mut admin, &format!("SELECT COUNT(*) AS n FROM pg_database WHERE datname = '{name}'"))? > 0;
        if !exists {
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
        }
    }
    run_migrations(&mut connect(url)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls() {
        assert_eq!(database_url("postgres://u@h:1/postgres", "x"), "postgres://u@h:1/x");
        assert_eq!(database_url("postgres://u@h:1", "x"), "postgres://u@h:1/x");
        assert_eq!(
            database_url("postgres://u@h:1/postgres?sslmode=verify-full&sslrootcert=/t/ca.crt", "x"),
            "postgres://u@h:1/x?sslmode=verify-full&sslrootcert=/t/ca.crt"
        );
        assert_eq!(database_url("postgres://u@h:1?sslmode=require", "x"), "postgres://u@h:1/x?sslmode=require");
        assert_eq!(database_name("postgres://u@h:1/lw?sslmode=disable"), Some("lw"));
        assert_eq!(database_name("postgres://u@h:1"), None);
    }
}
