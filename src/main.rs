//! The `loyalty-wallet` binary: serve (default), migrate, token.

use clap::{Parser, Subcommand};
use loyalty_wallet::auth::{mint, MintRequest, Role};
use loyalty_wallet::config::Settings;
use loyalty_wallet::crypto::KeySource;
use loyalty_wallet::domain::ids::ShopDomain;
use loyalty_wallet::startup::Application;
use loyalty_wallet::{dev, store, telemetry};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "loyalty-wallet", version, about = "Loyalty points wallet service")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Compare every active claim with the platform, repair drift, report.
    Reconcile,
    /// Print a signed session token (JWT) for development and scripts.
    Token {
        /// Shop domain, e.g. example.myshopify.com
        #[arg(long)]
        shop: String,
        /// customer, admin or pos
        #[arg(long)]
        role: String,
        /// Customer id (role customer) or staff id.
        #[arg(long)]
        sub: String,
        #[arg(long)]
        location_id: Option<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Re-seal every stored access token under LOYALTY_ENCRYPTION_KEY; the
    /// keys they were sealed with go in LOYALTY_ENCRYPTION_KEY_OLD (comma-separated).
    RotateKey,
    /// Benchmarks, seeding, invariant checks and query plans (BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: loyalty_wallet::bench::BenchCommand,
    },
}

/// Errors end the process with one line and a non-zero status: never
/// anyhow's Debug report, which prints a stack backtrace whenever
/// RUST_BACKTRACE is set (as it often is in containers).
#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.is::<Reported>() => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("Error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The error was logged already (as one ERROR line through the log).
#[derive(Debug)]
struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("reported")
    }
}

impl std::error::Error for Reported {}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            let _log = telemetry::init(settings.log_format);
            let url = settings.database_url.clone();
            let options = settings.db;
            tokio::task::spawn_blocking(move || {
                let mut conn = store::pool::connect_first(&url, &options)?;
                store::run_migrations(&mut conn)?;
                println!("migrations applied ({:?})", store::pool::Backend::of_url(&url));
                anyhow::Ok(())
            })
            .await?
        }
        Command::Reconcile => {
            let _log = telemetry::init(settings.log_format);
            let (url, pool, batch) = (settings.database_url.clone(), settings.pool_size, settings.writes());
            let store = tokio::task::spawn_blocking(move || store::Store::open(&url, pool, batch)).await??;
            let platform = loyalty_wallet::platform::Platform::new(store, settings.platform.clone())?;
            let report =
                loyalty_wallet::platform::sweeper::reconcile(&platform).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
            println!("{report:?}");
            if report.missing_repushed + report.stale_deleted > 0 {
                println!("repairs queued; a running service's relay (or the next `serve`) carries them out");
            }
            Ok(())
        }
        Command::Token { shop, role, sub, location_id, ttl } => {
            let shop = ShopDomain::parse(&shop).map_err(anyhow::Error::msg)?;
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let request =
                MintRequest { shop: &shop, role, subject: &sub, location_id: location_id.as_deref(), ttl_seconds: ttl };
            println!("{}", mint(&settings, &request)?);
            Ok(())
        }
        Command::RotateKey => rotate_key(settings).await,
        Command::Bench { command } => loyalty_wallet::bench::run(command, settings).await,
    }
}

async fn rotate_key(settings: Settings) -> anyhow::Result<()> {
    let _log = telemetry::init(settings.log_format);
    if settings.platform.tokens.source != KeySource::Configured {
        anyhow::bail!(
            "rotate-key needs the new key in LOYALTY_ENCRYPTION_KEY (and the old ones in LOYALTY_ENCRYPTION_KEY_OLD)"
        );
    }
    let (url, keys, options) = (settings.database_url.clone(), settings.platform.tokens.clone(), settings.db);
    let done = tokio::task::spawn_blocking(move || {
        let mut conn = store::pool::connect_first(&url, &options)?;
        store::run_migrations(&mut conn)?;
        store::write_transaction(&mut conn, |c| store::shops::rotate_tokens(c, &keys, false))
            .map_err(|e| anyhow::anyhow!("rotation failed: {}", loyalty_wallet::error::AppError::from(e).message))
    })
    .await??;
    println!(
        "tokens re-sealed under key {}: {}; already current: {}; unreadable (key not given): {}",
        settings.platform.tokens.current_id(),
        done.resealed,
        done.current,
        done.unreadable.len()
    );
    if !done.unreadable.is_empty() {
        anyhow::bail!("shops whose token no given key opens: {}", done.unreadable.join(", "));
    }
    Ok(())
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let _log = telemetry::init(settings.log_format);
    let development = settings.development;
    let app = match Application::build(settings.clone()).await {
        Ok(app) => app,
        Err(error) => {
            tracing::error!("cannot start: {error:#}");
            return Err(Reported.into());
        }
    };
    let host = settings.bind.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host).to_string();
    let base = format!("http://{}:{}", if host == "0.0.0.0" { "127.0.0.1" } else { &host }, app.port());
    if development {
        dev::seed(app.store()).await.map_err(|e| anyhow::anyhow!("seeding demo data failed: {e:?}"))?;
        println!("{}", dev::links(&settings, &base)?);
        if let KeySource::Generated(key) = &settings.platform.tokens.source {
            println!(
                "Throwaway LOYALTY_ENCRYPTION_KEY for this run (tokens stored now need it after a restart): {key}"
            );
        }
    }
    tracing::info!(%base, database = %redact(&settings.database_url), "loyalty-wallet listening");
    app.run_until_stopped().await?;
    Ok(())
}

/// Database URLs may carry a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}://…@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
