//! Extractors that turn a bearer token into a caller of one role. A wrong
//! or missing token is 401; a valid token of another role is 403. A 401 to
//! a Shopify session token carries `X-Shopify-Retry-Invalid-Session-Request`
//! so App Bridge (and the admin page) retries once with a fresh token.

use crate::auth::{looks_like_session_token, Principal, Role, Verifier};
use crate::domain::ids::{CustomerId, ShopDomain};
use crate::error::{AppError, ErrorCode};
use crate::platform::install::{Exchange, Installer};
use crate::platform::Platform;
use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use std::future::{ready, Ready};
use std::sync::Arc;

fn bearer(req: &HttpRequest) -> Result<&str, AppError> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim)
        .ok_or_else(|| AppError::new(ErrorCode::Unauthorized, "a bearer token is required"))
}

fn principal(req: &HttpRequest) -> Result<Principal, AppError> {
    let verifier =
        req.app_data::<web::Data<Verifier>>().ok_or_else(|| AppError::internal_msg("token verifier missing"))?;
    let token = bearer(req)?;
    verifier.verify(token).map_err(|reason| AppError::new(ErrorCode::Unauthorized, format!("invalid token: {reason}")))
}

fn require(principal: &Principal, role: Role) -> Result<(), AppError> {
    if principal.role == role {
        Ok(())
    } else {
        Err(AppError::new(ErrorCode::Forbidden, "this token's role may not use this route"))
    }
}

/// A shopper: always and only their own wallet.
pub(crate) struct CustomerAuth {
    pub(crate) shop: ShopDomain,
    pub(crate) customer: CustomerId,
}

/// A merchant's staff member: their own shop only.
pub(crate) struct AdminAuth {
    pub(crate) shop: ShopDomain,
    pub(crate) subject: String,
}

/// A POS terminal (staff member at a location): its own shop only.
pub(crate) struct PosAuth {
    pub(crate) shop: ShopDomain,
    pub(crate) subject: String,
    pub(crate) location_id: Option<String>,
}

fn customer(req: &HttpRequest) -> Result<CustomerAuth, AppError> {
    let p = principal(req)?;
    require(&p, Role::Customer)?;
    let customer = CustomerId::parse(&p.subject)
        .map_err(|e| AppError::new(ErrorCode::Unauthorized, format!("invalid token: {e}")))?;
    Ok(CustomerAuth { shop: p.shop, customer })
}

fn admin(req: &HttpRequest) -> Result<(AdminAuth, Option<String>), AppError> {
    let p = principal(req)?;
    require(&p, Role::Admin)?;
    Ok((AdminAuth { shop: p.shop, subject: p.subject }, p.sid))
}

/// An admin; with `LOYALTY_SHOPIFY_EMBEDDED=1` a session token with a `sid`
/// for a shop without a stored token is first exchanged for one. Shopify
/// refusing the exchange (the app is not installed there) is a 401: such a
/// token opens nothing.
impl FromRequest for AdminAuth {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = admin(req);
        let installer = req.app_data::<web::Data<Installer>>().filter(|i| i.install.embedded).cloned();
        let platform = req.app_data::<web::Data<Arc<Platform>>>().cloned();
        let token = bearer(req).map(str::to_string).unwrap_or_default();
        Box::pin(async move {
            let (auth, sid) = parsed?;
            if let (Some(installer), Some(platform), Some(_)) = (installer, platform, sid) {
                match installer.ensure_exchanged(&platform, auth.shop.as_str(), &token).await {
                    Exchange::AlreadyConnected | Exchange::Connected => {}
                    Exchange::Refused(reason) => {
                        let message = format!("Shopify refused this shop's session token ({reason}): the app is not installed on {}, or the token is not Shopify's", auth.shop.as_str());
                        return Err(AppError::new(ErrorCode::Unauthorized, message));
                    }
                    Exchange::Unavailable(reason) => {
                        return Err(AppError::unavailable(anyhow::anyhow!("token exchange: {reason}")));
                    }
                }
            }
            Ok(auth)
        })
    }
}

/// Middleware: a 401 answered to a request whose bearer token is shaped
/// like Shopify's session token tells App Bridge to retry with a fresh one.
pub(crate) async fn retry_invalid_session(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let session = bearer(req.request()).is_ok_and(looks_like_session_token);
    let mut res = next.call(req).await?;
    if session && res.status() == actix_web::http::StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::HeaderName::from_static("x-shopify-retry-invalid-session-request"),
            header::HeaderValue::from_static("1"),
        );
    }
    Ok(res)
}

fn pos(req: &HttpRequest) -> Result<PosAuth, AppError> {
    let p = principal(req)?;
    require(&p, Role::Pos)?;
    Ok(PosAuth { shop: p.shop, subject: p.subject, location_id: p.location_id })
}

macro_rules! extractor {
    ($type:ty, $parse:ident) => {
        impl FromRequest for $type {
            type Error = AppError;
            type Future = Ready<Result<Self, AppError>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                ready($parse(req))
            }
        }
    };
}

extractor!(CustomerAuth, customer);
extractor!(PosAuth, pos);
