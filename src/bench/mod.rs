//! `loyalty-wallet bench …`: load, ceiling, seeding, invariant checks and
//! query plans, measured against a real service process and database.

pub(crate) mod ceiling;
pub(crate) mod ceilings;
pub mod db;
pub(crate) mod explain;
pub(crate) mod load;
pub(crate) mod measure;
pub(crate) mod minimal;
pub(crate) mod offers;
pub(crate) mod pgbench;
mod plan_verdict;
pub(crate) mod reads;
pub(crate) mod report;
pub mod rss;
pub(crate) mod seed;
mod seed_sql;
pub mod server;
pub(crate) mod sweep;
pub(crate) mod verify;

use crate::config::Settings;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Claims over HTTP against a service, then the direct one-transaction-per-claim ceiling.
    Claims(LoadArgs),
    /// GET /api/v1/wallet over HTTP, /healthz and the wallet with the request log off
    /// in the same run, then the same read directly against the database.
    Wallet(LoadArgs),
    /// Fills a database with customers and ledger entries (and claims among them).
    Seed(SeedArgs),
    /// Checks the invariants (and SQLite's integrity) of a database.
    Verify(VerifyArgs),
    /// Prints the query plan of every hot query and whether it uses an index.
    Explain(DatabaseArg),
    /// Campaign offers: a burst of events ingested, offers issued, then the
    /// win-back scan over N customers.
    Offers(offers::OffersArgs),
    /// The expiry sweep at scale: due lots expired while claims run, claims/s with and without it.
    Sweep(SweepArgs),
}

#[derive(Args, Debug, Clone)]
pub struct SweepArgs {
    #[command(flatten)]
    pub(crate) load: LoadArgs,
    /// Wallets (the first ones) given a lot whose expiry has passed.
    #[arg(long, default_value_t = 100_000)]
    pub(crate) lots: u64,
}

#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Customers to seed (ignored with --reuse: the seeded count is used).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) customers: u64,
    /// Concurrent clients (HTTP) and threads (ceiling).
    #[arg(long, default_value_t = 32)]
    pub(crate) clients: usize,
    /// Seconds of load per phase.
    #[arg(long, default_value_t = 15)]
    pub(crate) seconds: u64,
    /// `sqlite` (a temp file), a SQLite path, or a PostgreSQL server URL
    /// (a fresh database is created on it unless --reuse).
    #[arg(long, default_value = "sqlite")]
    pub(crate) database: String,
    /// Use --database as it is (seeded before, e.g. by `bench seed`).
    #[arg(long)]
    pub(crate) reuse: bool,
    /// Keep a database this run created.
    #[arg(long)]
    pub(crate) keep: bool,
    /// Every client on one wallet.
    #[arg(long)]
    pub(crate) hot: bool,
    /// Target a running service instead of starting one: it must share this
    /// environment's app secret and client id, and --database with --reuse.
    #[arg(long, requires = "reuse")]
    pub(crate) url: Option<String>,
    /// The running service's pid, to report its peak RSS (with --url).
    #[arg(long)]
    pub(crate) server_pid: Option<u32>,
    /// Appends the id of every claim whose 201 was received to this file.
    #[arg(long)]
    pub(crate) record: Option<PathBuf>,
    /// Skip the HTTP load (ceiling only).
    #[arg(long)]
    pub(crate) no_service: bool,
    /// Skip the direct-database ceiling.
    #[arg(long)]
    pub(crate) no_ceiling: bool,
    /// Diagnostic: the ceiling's SQLite `synchronous` (off, normal, full)
    /// instead of the service's FULL, to separate fsync from CPU time.
    #[arg(long, value_parser = ["off", "normal", "full"])]
    pub(crate) ceiling_synchronous: Option<String>,
    /// With --reuse: also run the minimal unit without lots (it leaves
    /// debits without allocations, which `bench verify` then reports).
    #[arg(long)]
    pub(crate) no_lots_too: bool,
    /// Skip the invariant checks.
    #[arg(long)]
    pub(crate) no_verify: bool,
    /// RUST_LOG of the service process (its default is info: a line per request).
    #[arg(long, default_value = "info")]
    pub(crate) service_log: String,
    /// Writes the figures as JSON to this file.
    #[arg(long)]
    pub(crate) json: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct SeedArgs {
    #[arg(long, default_value_t = 1_000_000)]
    pub(crate) customers: u64,
    /// Ledger entries in all (rounded down to a multiple of --customers);
    /// one in ten after each wallet's first is a redeem with its claim.
    #[arg(long, default_value_t = 10_000_000)]
    pub(crate) entries: u64,
    /// A SQLite path or a PostgreSQL database URL (created if missing).
    #[arg(long)]
    pub(crate) database: String,
}

#[derive(Args, Debug, Clone)]
pub struct VerifyArgs {
    #[arg(long)]
    pub(crate) database: String,
    /// A file of acknowledged claim ids (one a line) that must all exist.
    #[arg(long)]
    pub(crate) acked: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct DatabaseArg {
    #[arg(long)]
    pub(crate) database: String,
}

/// Runs one bench subcommand; an invariant violation is an error.
pub async fn run(command: BenchCommand, settings: Settings) -> anyhow::Result<()> {
    match command {
        BenchCommand::Claims(args) => measure::run(args, settings, load::Kind::Claim).await,
        BenchCommand::Wallet(args) => measure::run(args, settings, load::Kind::Wallet).await,
        BenchCommand::Seed(args) => blocking(move || seed::run(&args)).await,
        BenchCommand::Verify(args) => blocking(move || verify::run_command(&args)).await,
        BenchCommand::Explain(args) => blocking(move || explain::run(&args.database)).await,
        BenchCommand::Offers(args) => offers::run(args).await,
        BenchCommand::Sweep(args) => sweep::run(args, settings).await,
    }
}

async fn blocking<F>(work: F) -> anyhow::Result<()>
where
    F: FnOnce() -> anyhow::Result<()> + Send + 'static,
{
    tokio::task::spawn_blocking(work).await?
}
