//! Outgoing merchant webhooks at the door: the `notify` section of the shop
//! settings (URL rule, write-only secret) and the deliveries list with the
//! dead letters and a retry for each.

use super::auth::AdminAuth;
use super::views::utc;
use crate::domain::notify::parse_secret;
use crate::domain::url::OutgoingUrl;
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use crate::store::notify::{self as queue, DeliveryState, NotificationRow, NotifyTarget};
use crate::store::{AnyConnection, Store};
use actix_web::http::StatusCode;
use actix_web::web;
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotifyInput {
    /// `https://…` (http:// to loopback only with LOYALTY_ALLOW_LOOPBACK_URLS=1).
    pub(crate) url: String,
    /// 16–128 bytes, write-only; required the first time, kept when omitted.
    #[serde(default)]
    pub(crate) secret: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotifyView {
    pub(crate) url: String,
    /// The secret is write-only; this says one is stored.
    pub(crate) secret_set: bool,
}

impl From<NotifyTarget> for NotifyView {
    fn from(target: NotifyTarget) -> Self {
        Self { url: target.url, secret_set: !target.secret.is_empty() }
    }
}

/// `notify` absent keeps the stored target; `null` removes it.
pub(crate) fn absent_or_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NotifyInput>>, D::Error> {
    Option::<NotifyInput>::deserialize(d).map(Some)
}

/// Checks the section and, when every field is right, stores it (inside the
/// caller's transaction, before which nothing else may have failed).
pub(crate) fn update_target(
    conn: &mut AnyConnection,
    shop_id: &str,
    input: Option<Option<NotifyInput>>,
    allow_loopback: bool,
    fields: &mut BTreeMap<String, String>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Some(input) = input else { return Ok(()) };
    let target = match input {
        None => None,
        Some(NotifyInput { url, secret }) => {
            let url = OutgoingUrl::parse(&url, allow_loopback).map_err(|e| fields.insert("notify.url".into(), e));
            let secret = secret.map(|s| parse_secret(&s)).transpose();
            let secret = secret.map_err(|e| fields.insert("notify.secret".into(), e));
            match (url, secret) {
                (Ok(url), Ok(secret)) => Some((url.as_str().to_string(), secret)),
                _ => return Ok(()),
            }
        }
    };
    if !fields.is_empty() {
        return Ok(());
    }
    if !queue::set_target(conn, shop_id, target, now)? {
        fields.insert("notify.secret".into(), "required when no secret is stored".into());
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationView {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    /// pending, delivered or dead (gave up after the retry window)
    pub(crate) status: String,
    pub(crate) attempts: i32,
    pub(crate) last_error: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) next_attempt_at: Option<DateTime<Utc>>,
    pub(crate) delivered_at: Option<DateTime<Utc>>,
    /// The body as delivered (same on every retry).
    #[schema(value_type = Object)]
    pub(crate) body: serde_json::Value,
}

impl From<NotificationRow> for NotificationView {
    fn from(row: NotificationRow) -> Self {
        let pending = row.status == DeliveryState::Pending;
        Self {
            body: serde_json::from_str(&row.body).unwrap_or(serde_json::Value::Null),
            next_attempt_at: pending.then(|| utc(row.next_attempt_at)),
            delivered_at: row.delivered_at.map(utc),
            created_at: utc(row.created_at),
            id: row.id,
            event_type: row.event_type.as_str().to_string(),
            status: row.status.as_str().to_string(),
            attempts: row.attempts,
            last_error: row.last_error,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NotificationPage {
    pub(crate) notifications: Vec<NotificationView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationQuery {
    /// pending, delivered or dead
    pub(crate) status: Option<String>,
    /// 1–200, default 50
    pub(crate) limit: Option<i64>,
    pub(crate) cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/notifications", summary = "Outgoing webhook deliveries", tag = "admin", security(("bearer" = [])),
    params(NotificationQuery), summary = "Outgoing webhook deliveries, newest first (dead letters with status=dead)",
    responses((status = 200, body = NotificationPage), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list(
    auth: AdminAuth,
    store: web::Data<Store>,
    query: web::Query<NotificationQuery>,
) -> AppResult<web::Json<NotificationPage>> {
    let query = query.into_inner();
    let only = match query.status.as_deref() {
        None => None,
        Some(s) => match DeliveryState::from_stored(s) {
            Some(state) => Some(state),
            None => return Err(AppError::invalid("status must be pending, delivered or dead")),
        },
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(AppError::invalid("limit must be between 1 and 200"));
    }
    let cursor = query.cursor.map(|c| crate::domain::ids::parse_uuid(&c)).transpose().map_err(AppError::invalid)?;
    let shop = auth.shop.as_str().to_string();
    let rows = store.read_query(move |conn| queue::list(conn, &shop, only, cursor.as_deref(), limit + 1)).await?;
    Ok(web::Json(page(rows, limit as usize)))
}

fn page(mut rows: Vec<NotificationRow>, limit: usize) -> NotificationPage {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next_cursor = more.then(|| rows.last().map(|r| r.id.clone())).flatten();
    NotificationPage { notifications: rows.into_iter().map(NotificationView::from).collect(), next_cursor }
}

#[utoipa::path(post, path = "/api/v1/admin/notifications/{id}/retry", summary = "Send a dead delivery again", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)), summary = "Puts a dead-lettered delivery back in the queue (same event id)",
    responses((status = 202, body = NotificationView), (status = 400, body = ErrorEnvelope),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope),
        (status = 409, body = ErrorEnvelope)))]
pub(crate) async fn retry(
    auth: AdminAuth,
    store: web::Data<Store>,
    path: web::Path<String>,
) -> AppResult<(web::Json<NotificationView>, StatusCode)> {
    let id = crate::domain::ids::parse_uuid(&path.into_inner()).map_err(AppError::invalid)?;
    let shop = auth.shop.as_str().to_string();
    let row = store
        .write(move |conn| {
            if !queue::requeue(conn, &shop, &id, Utc::now().naive_utc())? {
                return Err(match queue::find(conn, &shop, &id)? {
                    Some(_) => AppError::new(ErrorCode::InvalidRequest, "only a dead delivery can be retried")
                        .with_status(StatusCode::CONFLICT),
                    None => AppError::not_found("notification"),
                });
            }
            queue::find(conn, &shop, &id)?.ok_or_else(|| AppError::not_found("notification"))
        })
        .await?;
    Ok((web::Json(NotificationView::from(row)), StatusCode::ACCEPTED))
}

/// The newest failed try of a delivery still pending or given up.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliveryFailureView {
    pub(crate) id: String,
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    /// pending (will be tried again) or dead
    pub(crate) status: String,
    /// What the merchant's endpoint answered (or why there was no answer).
    pub(crate) error: String,
    pub(crate) at: DateTime<Utc>,
}

/// How the shop's deliveries are doing (the admin's warning on the webhook card).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DeliverySummaryView {
    /// Waiting to be delivered (including retrying).
    pub(crate) pending: i64,
    /// Pending after at least one failed try.
    pub(crate) retrying: i64,
    /// Given up after the retry window; each can be retried.
    pub(crate) dead: i64,
    pub(crate) last_failure: Option<DeliveryFailureView>,
}

#[utoipa::path(get, path = "/api/v1/admin/notifications/summary", tag = "admin", security(("bearer" = [])),
    summary = "How the outgoing webhook deliveries are doing: pending, retrying, dead, the newest failure",
    responses((status = 200, body = DeliverySummaryView), (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn summary(auth: AdminAuth, store: web::Data<Store>) -> AppResult<web::Json<DeliverySummaryView>> {
    let shop = auth.shop.as_str().to_string();
    let s = store.read_query(move |conn| crate::store::deliveries::summary(conn, &shop)).await?;
    Ok(web::Json(DeliverySummaryView {
        pending: s.pending,
        retrying: s.retrying,
        dead: s.dead,
        last_failure: s.last_failure.map(|f| DeliveryFailureView {
            id: f.id,
            event_type: f.event_type,
            status: f.status.as_str().to_string(),
            error: f.error,
            at: utc(f.at),
        }),
    }))
}
