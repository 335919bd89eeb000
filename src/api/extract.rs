//! Request parsing at the door: JSON bodies (kept raw for idempotency
//! fingerprints), the Idempotency-Key header, and the error shape for every
//! extractor failure (never actix's plain-text defaults).

use crate::config::Settings;
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

const DEFAULT_LIMIT: usize = 64 * 1024;

/// A JSON body with its raw bytes.
pub(crate) struct JsonBody<T> {
    pub(crate) value: T,
    pub(crate) raw: web::Bytes,
}

fn too_large(limit: usize) -> AppError {
    AppError::invalid(format!("request body is larger than {limit} bytes")).with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

fn check_content_type(req: &HttpRequest) -> Result<(), AppError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(AppError::invalid("Content-Type must be application/json").with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE))
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<web::Data<Settings>>().map(|s| s.body_limit_bytes).unwrap_or(DEFAULT_LIMIT);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let precheck = check_content_type(req).and_then(|()| match declared {
            Some(length) if length > limit => Err(too_large(limit)),
            _ => Ok(()),
        });
        let mut payload = payload.take();
        Box::pin(async move {
            precheck?;
            let raw = collect_body(&mut payload, limit).await?;
            let value = parse_object(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Reads a whole body, refusing (413) past `limit` bytes.
pub(crate) async fn collect_body<S, E>(payload: &mut S, limit: usize) -> Result<web::Bytes, AppError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, E>> + Unpin,
{
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| AppError::invalid("the request body could not be read"))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Every body of the API is a JSON object; serde would also read a struct
/// from an array (`[500]` as `{"points": 500}`), which no client means.
fn parse_object<T: DeserializeOwned>(raw: &[u8]) -> Result<T, AppError> {
    let first = raw.iter().find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'));
    if first.is_some_and(|b| *b != b'{') {
        return Err(AppError::invalid("invalid JSON body: expected a JSON object"));
    }
    serde_json::from_slice(raw).map_err(|e| AppError::invalid(format!("invalid JSON body: {e}")))
}

/// The `Idempotency-Key` header: 1-255 printable ASCII characters.
#[derive(Clone)]
pub(crate) struct IdempotencyKey(pub String);

impl IdempotencyKey {
    fn from_request_headers(req: &HttpRequest) -> Result<Option<Self>, AppError> {
        let Some(value) = req.headers().get("idempotency-key") else {
            return Ok(None);
        };
        let key = value
            .to_str()
            .ok()
            .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
            .ok_or_else(|| AppError::invalid("Idempotency-Key must be 1-255 printable ASCII characters"))?;
        Ok(Some(Self(key.to_string())))
    }
}

impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(
            Self::from_request_headers(req)
                .and_then(|key| key.ok_or_else(|| AppError::invalid("this request needs an Idempotency-Key header"))),
        )
    }
}

/// Optional key: refunds are safe without one, replayed exactly with one.
pub(crate) struct MaybeIdempotencyKey(pub Option<IdempotencyKey>);

impl FromRequest for MaybeIdempotencyKey {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(IdempotencyKey::from_request_headers(req).map(MaybeIdempotencyKey))
    }
}

/// What makes two requests "the same" for an idempotency key.
pub(crate) fn fingerprint(req: &HttpRequest, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

pub(crate) fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _| AppError::invalid(format!("invalid query string: {err}")).into())
}

pub(crate) fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| AppError::invalid(format!("invalid path: {err}")).into())
}
