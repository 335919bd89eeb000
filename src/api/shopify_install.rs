//! The install door: `GET /shopify/install` starts Shopify's
//! authorization code grant, `GET /shopify/callback` finishes it.
//!
//! Both verify the query's `hmac` (docs/PLATFORM.md: sorted `key=value` joined
//! with `&`, hex HMAC-SHA256 under the client secret, constant time), the
//! shop domain and the timestamp (± 24 h) before anything is stored. The
//! `state` is single use, bound to the shop, valid 10 minutes, and also
//! travels in a signed `HttpOnly; SameSite=Lax` cookie: when the browser
//! brings the cookie back it must match (a callback without it — a client
//! without a cookie jar — still needs the stored, unused state).

use crate::config::Settings;
use crate::domain::signature::{self, is_shop_domain};
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use crate::platform::install::Installer;
use crate::platform::oauth::{self, OAuthError};
use crate::platform::Platform;
use crate::store::{oauth_states, Store};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{Duration, Utc};
use rand::RngCore;
use std::sync::Arc;

const STATE_TTL_MINUTES: i64 = 10;
const TIMESTAMP_WINDOW_SECS: i64 = 24 * 3600;
const COOKIE: &str = "lw_oauth_state";

fn unauthorized(message: &str) -> AppError {
    AppError::new(ErrorCode::Unauthorized, message)
}

/// The verified query: its pairs and the shop.
struct Signed {
    pub(crate) pairs: Vec<(String, String)>,
    pub(crate) shop: String,
}

/// HMAC, shop pattern and timestamp of an install or callback query.
fn verify_query(req: &HttpRequest, settings: &Settings, window_secs: i64) -> AppResult<Signed> {
    let pairs = signature::parse_query(req.query_string());
    let shop = signature::value(&pairs, "shop").ok_or_else(|| AppError::invalid("shop is required"))?.to_string();
    let secrets = [settings.install.client_secret.expose().as_bytes(), settings.app_secret.expose().as_bytes()];
    if !signature::verify(&secrets, &signature::oauth_message(&pairs), signature::value(&pairs, "hmac")) {
        return Err(unauthorized("the hmac of this request does not match"));
    }
    if !is_shop_domain(&shop) {
        return Err(AppError::invalid("shop must be a shop domain like example.myshopify.com"));
    }
    check_timestamp(signature::value(&pairs, "timestamp"), window_secs)?;
    Ok(Signed { pairs, shop })
}

pub(crate) fn check_timestamp(raw: Option<&str>, window_secs: i64) -> AppResult<()> {
    let at: i64 = raw
        .ok_or_else(|| AppError::invalid("timestamp is required"))?
        .parse()
        .map_err(|_| AppError::invalid("timestamp must be Unix seconds"))?;
    if (Utc::now().timestamp() - at).abs() > window_secs {
        return Err(unauthorized("the request's timestamp is too old or in the future"));
    }
    Ok(())
}

fn cookie_value(settings: &Settings, shop: &str, state: &str) -> String {
    let mac = signature::sign(settings.app_secret.expose().as_bytes(), &format!("oauth-state|{shop}|{state}"));
    format!("{state}.{mac}")
}

fn state_cookie(settings: &Settings, value: &str, max_age: i64) -> String {
    let secure = if settings.install.app_url.starts_with("https://") { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/shopify; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}")
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[utoipa::path(get, path = "/shopify/install", summary = "Start installing the app on a shop", tag = "platform",
    params(("shop" = String, Query), ("timestamp" = i64, Query), ("hmac" = String, Query), ("host" = Option<String>, Query)),
    responses((status = 302, description = "to the shop's /admin/oauth/authorize; sets the state cookie"),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)))]
pub(crate) async fn install(
    req: HttpRequest,
    settings: web::Data<Settings>,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
) -> AppResult<HttpResponse> {
    let Signed { shop, .. } = verify_query(&req, &settings, TIMESTAMP_WINDOW_SECS)?;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let state = hex::encode(bytes);
    let (id, value) = (shop.clone(), state.clone());
    store
        .write_query(move |conn| {
            let ttl = Duration::minutes(STATE_TTL_MINUTES);
            oauth_states::issue(conn, &id, &value, Utc::now().naive_utc(), ttl)
        })
        .await?;
    let redirect_uri = format!("{}/shopify/callback", settings.install.app_url);
    let location = format!(
        "{}/admin/oauth/authorize?client_id={}&scope={}&redirect_uri={}&state={}",
        platform.settings.shopify_base(&shop),
        encode(&settings.client_id),
        encode(&oauth::scope()),
        encode(&redirect_uri),
        state
    );
    let cookie = state_cookie(&settings, &cookie_value(&settings, &shop, &state), STATE_TTL_MINUTES * 60);
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::SET_COOKIE, cookie))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// The state cookie, when the browser sent one.
fn cookie_state(req: &HttpRequest) -> Option<String> {
    let header = req.headers().get(header::COOKIE)?.to_str().ok()?;
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == COOKIE).map(|(_, v)| v.to_string())
}

#[utoipa::path(get, path = "/shopify/callback", summary = "Finish installing the app (OAuth callback)", tag = "platform",
    params(("code" = String, Query), ("shop" = String, Query), ("state" = String, Query), ("timestamp" = i64, Query),
        ("hmac" = String, Query), ("host" = Option<String>, Query)),
    responses((status = 302, description = "to the app in the shop's admin (https://{shop}/admin/apps/{client_id})"),
        (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope), (status = 503, body = ErrorEnvelope)))]
pub(crate) async fn callback(
    req: HttpRequest,
    settings: web::Data<Settings>,
    platform: web::Data<Arc<Platform>>,
    installer: web::Data<Installer>,
) -> AppResult<HttpResponse> {
    let Signed { pairs, shop } = verify_query(&req, &settings, TIMESTAMP_WINDOW_SECS)?;
    let code = signature::value(&pairs, "code")
        .filter(|c| !c.is_empty())
        .ok_or_else(|| AppError::invalid("code is required"))?;
    let state = signature::value(&pairs, "state")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AppError::invalid("state is required"))?;
    if let Some(cookie) = cookie_state(&req) {
        let expected = cookie_value(&settings, &shop, state);
        if !constant_eq(&cookie, &expected) {
            return Err(unauthorized("the state cookie does not match this callback"));
        }
    }
    let (id, value) = (shop.clone(), state.to_string());
    let fresh = platform
        .store
        .write_query(move |conn| oauth_states::consume(conn, &id, &value, Utc::now().naive_utc()))
        .await?;
    if !fresh {
        return Err(unauthorized("the state is unknown, used already, expired or for another shop"));
    }
    let base = installer.base_for(&platform, &shop).await?;
    let grant =
        oauth::exchange_code(platform.client.http(), &base, &installer.app(), code).await.map_err(|e| match e {
            OAuthError::Refused(reason) => unauthorized(&format!("the platform refused the code: {reason}")),
            OAuthError::Unreachable(reason) => AppError::unavailable(anyhow::anyhow!("code exchange: {reason}")),
        })?;
    let subscribed = installer.connect(&platform, &shop, &grant).await?;
    tracing::info!(%shop, created = subscribed.created, existing = subscribed.existing, failed = subscribed.failed.len(), "installed");
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, format!("https://{shop}/admin/apps/{}", settings.client_id)))
        .insert_header((header::SET_COOKIE, state_cookie(&settings, "", 0)))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

fn constant_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}
