//! Builds the application: store, token verifier, metrics, HTTP server on
//! the configured address (port 0 picks a free one, as the tests do). The
//! server is actix-web's HttpServer spelled out, so that each connection can
//! be wrapped (server_io: the parser's own errors in the envelope).

use crate::api;
use crate::auth::Verifier;
use crate::config::Settings;
use crate::crypto::KeySource;
use crate::metrics::Metrics;
use crate::platform::install::Installer;
use crate::platform::Platform;
use crate::server_io::EnvelopedIo;
use crate::store::Store;
use crate::telemetry;
use actix_http::error::DispatchError;
use actix_http::{HttpService, KeepAlive, Protocol};
use actix_service::{fn_service, map_config, IntoServiceFactory, ServiceFactoryExt};
use actix_web::dev::{AppConfig, Server};
use actix_web::middleware::from_fn;
use actix_web::{web, App};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;

pub struct Application {
    port: u16,
    server: Server,
    store: Store,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (url, pool, batch) = (settings.database_url.clone(), settings.pool_size, settings.writes());
        if settings.day_is_shortened() {
            tracing::warn!(day_secs = settings.day_secs, "LOYALTY_DAY_SECS is set: a day of points expiry, pending windows and warnings is shortened (tests and demos only)");
        }
        if let Some(warning) = settings.platform.api_version_warning(chrono::Utc::now().date_naive()) {
            tracing::warn!(api_version = %settings.platform.api_version, "{warning}");
        }
        let clock = crate::clock::Clock::new(settings.day_secs);
        let db = settings.db;
        let store =
            tokio::task::spawn_blocking(move || Store::open_with_clock(&url, pool, batch, clock, &db)).await??;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.bind))?;
        let port = listener.local_addr()?.port();
        seal_plaintext_tokens(&store, &settings).await?;
        let platform = Platform::new(store.clone(), settings.platform.clone())?;
        platform.spawn_workers();
        let server = serve(listener, store.clone(), platform.clone(), settings)?;
        Ok(Self { port, server, store })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn serve(listener: TcpListener, store: Store, platform: Arc<Platform>, settings: Settings) -> anyhow::Result<Server> {
    let store = web::Data::new(store);
    let platform = web::Data::new(platform);
    let verifier = web::Data::new(Verifier::new(&settings));
    let installer = web::Data::new(Installer::new(&settings));
    let metrics = web::Data::new(Metrics::default());
    let settings = web::Data::new(settings);
    let app = move || {
        App::new()
            .wrap(from_fn(api::pages::browser))
            .wrap(from_fn(telemetry::request_span))
            .wrap(from_fn(telemetry::cors))
            .app_data(store.clone())
            .app_data(platform.clone())
            .app_data(verifier.clone())
            .app_data(installer.clone())
            .app_data(metrics.clone())
            .app_data(settings.clone())
            .app_data(api::extract::query_config())
            .app_data(api::extract::path_config())
            .configure(api::routes)
    };
    let local = listener.local_addr()?;
    let builder = actix_server::Server::build();
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .listen("loyalty-wallet", listener, move || {
            let stopping = stopping.clone();
            // HttpServer's own settings (timeouts, keep-alive, graceful
            // drain); only the connection is wrapped (server_io).
            let http = HttpService::build()
                .keep_alive(KeepAlive::default())
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .h1_allow_half_closed(true)
                .local_addr(local)
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .finish(map_config(app().into_factory().map_err(|e| e.error_response()), |_| AppConfig::default()));
            fn_service(|io: TcpStream| async move {
                let peer = io.peer_addr().ok();
                Ok::<_, DispatchError>((EnvelopedIo::new(io), Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

/// Tokens stored in plaintext by an older version are sealed at start; says
/// which key seals tokens when none was configured.
async fn seal_plaintext_tokens(store: &Store, settings: &Settings) -> anyhow::Result<()> {
    let keys = settings.platform.tokens.clone();
    match keys.source {
        KeySource::Configured => {}
        KeySource::Generated(_) => tracing::warn!("LOYALTY_ENCRYPTION_KEY unset: a throwaway key seals access tokens (development mode)"),
        KeySource::DerivedFromSecret => tracing::warn!("LOYALTY_ENCRYPTION_KEY unset: access tokens are sealed under a key derived from the client secret; set a key of its own (README)"),
    }
    let done = store
        .write(move |conn| crate::store::shops::rotate_tokens(conn, &keys, true))
        .await
        .map_err(|e| anyhow::anyhow!("sealing stored tokens failed: {}", crate::error::AppError::from(e).message))?;
    if done.resealed > 0 {
        tracing::info!(sealed = done.resealed, "plaintext access tokens sealed");
    }
    Ok(())
}
