//! The `loyalty-wallet` binary: serve (default), migrate, token.

use clap::{Parser, Subcommand};
use loyalty_wallet::auth::{mint, MintRequest, Role};
use loyalty_wallet::config::Settings;
use loyalty_wallet::domain::ids::ShopDomain;
use loyalty_wallet::startup::Application;
use loyalty_wallet::{dev, store, telemetry};

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
    /// Benchmarks, seeding, invariant checks and query plans (BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: loyalty_wallet::bench::BenchCommand,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            telemetry::init(settings.log_format);
            let url = settings.database_url.clone();
            tokio::task::spawn_blocking(move || {
                let (pool, backend) = store::pool::build(&url, 1)?;
                let mut conn = pool.get()?;
                store::run_migrations(&mut conn)?;
                println!("migrations applied ({backend:?})");
                anyhow::Ok(())
            })
            .await?
        }
        Command::Reconcile => {
            telemetry::init(settings.log_format);
            let (url, pool, batch) = (settings.database_url.clone(), settings.pool_size, settings.group_commit_max);
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
        Command::Bench { command } => loyalty_wallet::bench::run(command, settings).await,
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    let development = settings.development;
    let app = Application::build(settings.clone()).await?;
    let host = settings.bind.rsplit_once(':').map_or("127.0.0.1", |(host, _)| host).to_string();
    let base = format!("http://{}:{}", if host == "0.0.0.0" { "127.0.0.1" } else { &host }, app.port());
    if development {
        dev::seed(app.store()).await.map_err(|e| anyhow::anyhow!("seeding demo data failed: {e:?}"))?;
        println!("{}", dev::links(&settings, &base)?);
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
