//! The storefront's door through Shopify's app proxy:
//! `https://{shop}/apps/loyalty/session` reaches `GET /proxy/session` with
//! the proxy's signed query. The signature (docs/PLATFORM.md: sorted `key=value`,
//! repeated values joined with `,`, concatenated without a separator, hex
//! HMAC-SHA256, constant time) and the timestamp (± 15 minutes) are checked;
//! a logged-in shopper gets a short customer token for the widget.

use super::shopify_install::check_timestamp;
use crate::auth::{mint, MintRequest, Role};
use crate::config::Settings;
use crate::domain::ids::{CustomerId, ShopDomain};
use crate::domain::signature::{self, is_shop_domain};
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

const PROXY_WINDOW_SECS: i64 = 15 * 60;
/// Lifetime of a storefront token (at most 15 minutes; the widget renews it).
const SESSION_TTL_SECS: i64 = 10 * 60;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProxySession {
    pub(crate) logged_in: bool,
    /// A customer token (role customer) for `logged_in_customer_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Where the widget sends its API calls (`LOYALTY_APP_URL`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) api_base: Option<String>,
}

#[utoipa::path(get, path = "/proxy/session", summary = "A shopper token from a signed app-proxy request", tag = "platform",
    params(("shop" = String, Query), ("logged_in_customer_id" = String, Query, description = "empty when logged out"),
        ("path_prefix" = String, Query), ("timestamp" = i64, Query), ("signature" = String, Query)),
    responses((status = 200, body = ProxySession), (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub(crate) async fn session(req: HttpRequest, settings: web::Data<Settings>) -> AppResult<HttpResponse> {
    let pairs = signature::parse_query(req.query_string());
    let secrets = [settings.install.client_secret.expose().as_bytes(), settings.app_secret.expose().as_bytes()];
    if !signature::verify(&secrets, &signature::proxy_message(&pairs), signature::value(&pairs, "signature")) {
        return Err(AppError::new(ErrorCode::Unauthorized, "the proxy signature is missing or does not match"));
    }
    let shop = signature::value(&pairs, "shop").unwrap_or_default();
    if !is_shop_domain(shop) {
        return Err(AppError::invalid("shop must be a shop domain like example.myshopify.com"));
    }
    check_timestamp(signature::value(&pairs, "timestamp"), PROXY_WINDOW_SECS)?;
    let customer = signature::value(&pairs, "logged_in_customer_id").map(str::trim).unwrap_or_default();
    let body = if customer.is_empty() {
        ProxySession { logged_in: false, token: None, expires_at: None, api_base: None }
    } else {
        let customer = CustomerId::parse(customer).map_err(AppError::invalid)?;
        let shop = ShopDomain::parse(shop).map_err(AppError::invalid)?;
        let request = MintRequest {
            shop: &shop,
            role: Role::Customer,
            subject: customer.as_str(),
            location_id: None,
            ttl_seconds: SESSION_TTL_SECS,
        };
        let token = mint(&settings, &request).map_err(AppError::internal)?;
        ProxySession {
            logged_in: true,
            token: Some(token),
            expires_at: Some(Utc::now() + chrono::Duration::seconds(SESSION_TTL_SECS)),
            api_base: Some(settings.install.app_url.clone()),
        }
    };
    Ok(HttpResponse::Ok().insert_header((header::CACHE_CONTROL, "no-store, private")).json(body))
}
