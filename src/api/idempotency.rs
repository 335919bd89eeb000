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
pub(crate) struct KeyOwner {
    pub(crate) shop_id: String,
    pub(crate) principal: String,
}

#[derive(Clone)]
pub(crate) struct Idempotent {
    pub(crate) owner: KeyOwner,
    pub(crate) key: Option<IdempotencyKey>,
    pub(crate) fingerprint: String,
}

/// A response as stored for replay: its status and JSON body.
pub(crate) struct Stored {
    status: StatusCode,
    body: String,
}

impl Stored {
    /// The response for `body`, serialized once: what this caller gets and
    /// what a replay returns.
    pub(crate) fn new<B: Serialize>(status: StatusCode, body: &B) -> AppResult<Self> {
        Ok(Self { status, body: serde_json::to_string(body).map_err(AppError::internal)? })
    }

    pub(crate) fn into_response(self) -> HttpResponse {
        self.respond(false)
    }

    fn respond(self, replayed: bool) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/json"));
        if replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.body(self.body)
    }
}

/// What an idempotent request gets.
pub(crate) enum Answer<T> {
    /// The work ran for this request: its result, typed, and the response
    /// stored for the key.
    Fresh { result: T, response: Stored },
    /// An earlier request with this key did the work: its stored response.
    Replayed(Stored),
}

impl<T> Answer<T> {
    pub(crate) fn into_response(self) -> HttpResponse {
        match self {
            Answer::Fresh { response, .. } => response.respond(false),
            Answer::Replayed(response) => response.respond(true),
        }
    }
}

/// Runs `work` once per key and answers with `status` and its result.
pub(crate) async fn run<T, F>(
    store: &Store,
    request: Idempotent,
    status: StatusCode,
    work: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Clone + Send + 'static,
{
    let answer = answer(store, request, work, move |result| Stored::new(status, result)).await?;
    Ok(answer.into_response())
}

/// Runs `work` once per key; `respond` turns its result into the response
/// stored for the key. Only successful answers are stored: a refused
/// request wrote nothing, so retrying it with the same key is safe.
pub(crate) async fn answer<T, F, R>(store: &Store, request: Idempotent, work: F, respond: R) -> AppResult<Answer<T>>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyConnection) -> AppResult<T> + Clone + Send + 'static,
    R: FnOnce(&T) -> AppResult<Stored> + Clone + Send + 'static,
{
    store
        .write(move |conn| {
            let Some(IdempotencyKey(key)) = &request.key else {
                let result = work(conn)?;
                return Ok(Answer::Fresh { response: respond(&result)?, result });
            };
            let scope = Scope { shop_id: &request.owner.shop_id, principal: &request.owner.principal, key };
            let now = Utc::now().naive_utc();
            if !stored::reserve(conn, &scope, &request.fingerprint, now)? {
                // Taken: by an earlier request, or a concurrent one that committed first.
                return replay(conn, &scope, &request.fingerprint)?
                    .map(Answer::Replayed)
                    .ok_or_else(|| AppError::internal_msg("idempotency key vanished"));
            }
            let result = work(conn)?;
            let response = respond(&result)?;
            stored::complete(conn, &scope, response.status.as_u16(), &response.body)?;
            Ok(Answer::Fresh { result, response })
        })
        .await
}

/// Replaces a stored answer once the platform settled what it describes
/// (a claim pushed, a refund credited within the response window), so a
/// replay says exactly what the first caller was told.
pub(crate) async fn restate(
    store: &Store,
    owner: &KeyOwner,
    key: &Option<IdempotencyKey>,
    response: &Stored,
) -> AppResult<()> {
    let Some(IdempotencyKey(key)) = key else { return Ok(()) };
    let (shop, principal, key) = (owner.shop_id.clone(), owner.principal.clone(), key.clone());
    let (status, body) = (response.status.as_u16(), response.body.clone());
    store
        .write_query(move |conn| {
            let scope = Scope { shop_id: &shop, principal: &principal, key: &key };
            stored::complete(conn, &scope, status, &body)
        })
        .await?;
    Ok(())
}

/// The response stored for the key, if any; the key used with another
/// request is a conflict.
fn replay(conn: &mut AnyConnection, scope: &Scope, fingerprint: &str) -> AppResult<Option<Stored>> {
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
    let status = StatusCode::from_u16(status).map_err(AppError::internal)?;
    Ok(Some(Stored { status, body: found.response_body }))
}
