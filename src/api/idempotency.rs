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
pub struct KeyOwner {
    pub shop_id: String,
    pub principal: String,
}

pub struct Idempotent {
    pub owner: KeyOwner,
    pub key: Option<IdempotencyKey>,
    pub fingerprint: String,
}

struct Answer {
    status: u16,
    body: String,
    replayed: bool,
}

/// Runs `work` once per key. Only successful answers are stored: a refused
/// request wrote nothing, so retrying it with the same key is safe.
pub async fn run<T, F>(
    store: &Store,
    request: Idempotent,
    status: StatusCode,
    work: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Send + 'static,
{
    let answer = store
        .write(move |conn| {
            let Some(IdempotencyKey(key)) = &request.key else {
                let body = serde_json::to_string(&work(conn)?).map_err(AppError::internal)?;
                return Ok(Answer {
                    status: status.as_u16(),
                    body,
                    replayed: false,
                });
            };
            let scope = Scope {
                shop_id: &request.owner.shop_id,
                principal: &request.owner.principal,
                key,
            };
            let now = Utc::now().naive_utc();
            if let Some(replay) = replay(conn, &scope, &request.fingerprint)? {
                return Ok(replay);
            }
            if !stored::reserve(conn, &scope, &request.fingerprint, now)? {
                // A concurrent request with this key committed first.
                return replay(conn, &scope, &request.fingerprint)?
                    .ok_or_else(|| AppError::internal_msg("idempotency key vanished"));
            }
            let body = serde_json::to_string(&work(conn)?).map_err(AppError::internal)?;
            stored::complete(conn, &scope, status.as_u16(), &body)?;
            Ok(Answer {
                status: status.as_u16(),
                body,
                replayed: false,
            })
        })
        .await?;
    let status = StatusCode::from_u16(answer.status).map_err(AppError::internal)?;
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, "application/json"));
    if answer.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.body(answer.body))
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
    Ok(Some(Answer {
        status,
        body: found.response_body,
        replayed: true,
    }))
}
