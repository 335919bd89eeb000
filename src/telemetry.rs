//! Logging: a tracing subscriber (text or JSON) and the request middleware
//! that gives every request an id, a span, a log line and metrics.

use crate::config::LogFormat;
use crate::metrics::Metrics;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use std::time::Instant;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

/// Log lines leave through one writer thread (tracing-appender): a request's
/// line is a channel send, not a write(2) to stderr under its lock from every
/// worker. Nothing is dropped (not lossy: a full queue makes the logger wait).
/// Keep the guard for the life of the process: dropping it flushes the queue.
#[must_use = "dropping the guard stops the log writer"]
pub fn init(format: LogFormat) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // actix-server's own INFO lines ("Tokio runtime found; starting in
    // existing Tokio runtime", worker start/stop) repeat what our "listening"
    // line says; its warnings and errors still show. RUST_LOG overrides.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,actix_server=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) =
        tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false).finish(std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(ansi).with_writer(writer);
    // A second init (tests start many apps in one process) is harmless.
    let installed = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    installed.ok().map(|()| guard)
}

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A caller's request id is kept if it is short and printable; otherwise
/// (or when absent) a new one is made.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

pub(crate) async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = request_id(&req);
    let pattern = req.match_pattern();
    let route = pattern.clone().unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let span = tracing::info_span!("request", request_id = %id, %method, %route);
    let started = Instant::now();
    let result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let _entered = span.enter();
    let mut response = result?;
    let status = response.status().as_u16();
    tracing::info!(status, latency_ms = elapsed.as_secs_f64() * 1e3, "request completed");
    if let Some(metrics) = metrics {
        metrics.observe_request(&method, pattern.as_deref(), status, elapsed);
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}

/// CORS for the embedded widget: stores serve it from their own domain.
/// Bearer tokens (never cookies) carry the authority, so any origin may
/// call; preflights are answered here, before routing.
pub(crate) async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    use actix_web::http::{header, Method};
    let has_origin = req.headers().contains_key(header::ORIGIN);
    if has_origin
        && req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        let response = actix_web::HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, PUT, OPTIONS"))
            .insert_header((
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                "authorization, content-type, idempotency-key, x-request-id",
            ))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "600"))
            .finish();
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    if has_origin {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id, idempotent-replayed"),
        );
    }
    Ok(response)
}
