//! Operators' door: liveness, readiness, metrics and the API description.

use super::openapi::ApiDoc;
use crate::error::AppResult;
use crate::metrics::Metrics;
use crate::store::Store;
use actix_web::{web, HttpResponse};
use utoipa::OpenApi;

#[utoipa::path(get, path = "/healthz", summary = "Liveness", tag = "operations", responses((status = 200, description = "the process is up")))]
pub(crate) async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

#[utoipa::path(get, path = "/readyz", summary = "Readiness (the database answers)", tag = "operations",
    responses((status = 200, description = "the database answers"), (status = 503, body = crate::error::ErrorEnvelope)))]
pub(crate) async fn readyz(store: web::Data<Store>) -> AppResult<HttpResponse> {
    store.ping().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({"status": "ready"})))
}

#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub(crate) async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(metrics.render())
}

#[utoipa::path(get, path = "/openapi.json", summary = "This document", tag = "operations", responses((status = 200, description = "this document")))]
pub(crate) async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
