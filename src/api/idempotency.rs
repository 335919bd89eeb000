//! Idempotent writes: the first response to a key is stored in the same
//! transaction as its effect and replayed byte for byte afterwards.

use super::extract::IdempotencyKey;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::store::idempotency::{self as stored, Scope};
use crate::store::{AnyConnection, Store};
use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::Utc;
use serde::Serialize;

/// Who owns a key: keys of different callers never collide.
#[derive(Clone)]
pub struct KeyOwner {
    pub shop_id: String,
    pub principal: String,
}

#[derive(Clone)]
pub struct Idempotent {
    pub owner: KeyOwner,
    pub key: Option<IdempotencyKey>,
    pub fingerprint: String,
}

/// A response as stored for replay.
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

impl Answer {
    pub fn into_response(self) -> AppResult<HttpResponse> {
        let status = StatusCode::from_u16(self.status).map_err(AppError::internal)?;
        let mut response = HttpResponse::build(status);
        response.insert_header((header::CONTENT_TYPE, "application/json"));
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        Ok(response.body(self.body))
    }
}

/// Runs `work` once per key and answers with `status`.
pub async fn run<T, F>(store: &Store, request: Idempotent, status: StatusCode, work: F) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    answer(store, request, move |_| status, work).await?.into_response()
}

/// Runs `work` once per key. Only successful answers are stored: a refused
/// request wrote nothing, so retrying it with the same key is safe.
pub async fn answer<T, F, S>(store: &Store, request: Idempotent, status: S, work: F) -> AppResult<Answer>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
    S: FnOnce(&T) -> StatusCode + Send + 'static,
{
    store
        .write(move |conn| {
            let Some(IdempotencyKey(key)) = &request.key else {
                let value = work(conn)?;
                let status = status(&value).as_u16();
                let body = serde_json::to_string(&value).map_err(AppError::internal)?;
                return Ok(Answer { status, body, replayed: false });
            };
            let scope = Scope { shop_id: &request.owner.shop_id, principal: &request.owner.principal, key };
            let now = Utc::now().naive_utc();
            if let Some(replay) = replay(conn, &scope, &request.fingerprint)? {
                return Ok(replay);
            }
            if !stored::reserve(conn, &scope, &request.fingerprint, now)? {
                // A concurrent request with this key committed first.
                return replay(conn, &scope, &request.fingerprint)?
                    .ok_or_else(|| AppError::internal_msg("idempotency key vanished"));
            }
            let value = work(conn)?;
            let status = status(&value).as_u16();
            let body = serde_json::to_string(&value).map_err(AppError::internal)?;
            stored::complete(conn, &scope, status, &body)?;
            Ok(Answer { status, body, replayed: false })
        })
        .await
}

/// Replaces a stored answer once the platform settled what it describes
/// (a claim pushed, a refund credited within the response window), so a
/// replay says exactly what the first caller was told.
pub async fn restate(
    store: &Store,
    owner: &KeyOwner,
    key: &Option<IdempotencyKey>,
    status: u16,
    body: &str,
) -> AppResult<()> {
    let Some(IdempotencyKey(key)) = key else { return Ok(()) };
    let (shop, principal, key, body) = (owner.shop_id.clone(), owner.principal.clone(), key.clone(), body.to_string());
    store
        .write(move |conn| {
            let scope = Scope { shop_id: &shop, principal: &principal, key: &key };
            Ok(stored::complete(conn, &scope, status, &body)?)
        })
        .await
}

fn replay(conn: &mut AnyConnection, scope: &Scope, fingerprint: &str) -> AppResult<Option<Answer>> {
    let Some(found) = stored::find(conn, scope)? else {
        return Ok(None);
    };
    if found.request_hash != fingerprint {
        return Err(AppError::new(
            ErrorCode::IdempotencyConflict,
            "this Idempotency-Key was already used with a different request",
        ));
    }
    let status = u16::try_from(found.status_code).map_err(AppError::internal)?;
    Ok(Some(Answer { status, body: found.response_body, replayed: true }))
}
