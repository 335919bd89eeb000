//! The merchant's door (role admin): programs, shop, customers, analytics.

use super::auth::AdminAuth;
use super::claim_flow::owner;
use super::customer::{refund, RefundRequest};
use super::extract::{fingerprint, IdempotencyKey, JsonBody, MaybeIdempotencyKey};
use super::idempotency::{self, Idempotent};
use super::paging::{self, Page, PageQuery};
use super::views::*;
use crate::domain::ids::CustomerId;
use crate::domain::money::Currency;
use crate::domain::points::PointsDelta;
use crate::domain::program::{Channel, ProgramInput, ProgramSettings};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::metrics::Metrics;
use crate::platform::Platform;
use crate::store::page as store_page;
use crate::store::{customers, lots, programs, shops, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use std::sync::Arc;
use utoipa::{IntoParams, ToSchema};

/// Claims and entries shown on the admin customer page.
const DETAIL_LIMIT: i64 = 100;

fn parse_channel(raw: &str) -> AppResult<Channel> {
    Channel::parse(raw).map_err(|_| AppError::not_found("program"))
}

#[utoipa::path(get, path = "/api/v1/admin/programs/{channel}", summary = "The current program of a channel", tag = "admin", security(("bearer" = [])),
    params(("channel" = Channel, Path)),
    responses((status = 200, body = ProgramView), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn get_program(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> AppResult<web::Json<ProgramView>> {
    let channel = parse_channel(&path)?;
    let shop = auth.shop.as_str().to_string();
    let program = store
        .write(move |conn| {
            shops::ensure(conn, &shop)?;
            programs::current(conn, &shop, channel)
        })
        .await?;
    Ok(web::Json(ProgramView::from(&program)))
}

#[utoipa::path(put, path = "/api/v1/admin/programs/{channel}", summary = "Save a new version of a channel's program", tag = "admin", security(("bearer" = [])),
    params(("channel" = Channel, Path)), request_body = ProgramInput,
    responses((status = 200, body = ProgramView), (status = 400, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope, description = "invalid_request with details.fields")))]
pub(crate) async fn put_program(
    auth: AdminAuth,
    path: web::Path<String>,
    body: JsonBody<ProgramInput>,
    store: web::Data<Store>,
) -> AppResult<web::Json<ProgramView>> {
    let channel = parse_channel(&path)?;
    let settings = ProgramSettings::parse(body.value)
        .map_err(|fields| AppError::invalid_fields("the program settings are not valid", fields))?;
    let shop = auth.shop.as_str().to_string();
    let program = store
        .write(move |conn| {
            shops::ensure(conn, &shop)?;
            programs::save_new_version(conn, &shop, channel, &settings, Utc::now().naive_utc())
        })
        .await?;
    tracing::info!(shop = auth.shop.as_str(), channel = channel.as_str(), version = program.version, "program saved");
    Ok(web::Json(ProgramView::from(&program)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct CustomerQuery {
    /// Start of the customer id, first or last name, whole name or e-mail (ignoring case), or of the
    /// phone number's digits.
    #[param(max_length = 100)]
    pub(crate) query: Option<String>,
    /// 1-200, default 50.
    #[param(minimum = 1, maximum = 200)]
    pub(crate) limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub(crate) cursor: Option<String>,
}

pub(crate) async fn search_customers(store: &Store, shop: &str, query: CustomerQuery) -> AppResult<CustomerPage> {
    let limit = query.limit.unwrap_or(50);
    let text = query.query.unwrap_or_default().trim().to_string();
    let mut fields = serde_json::Map::new();
    if !(1..=200).contains(&limit) {
        fields.insert("limit".into(), "a whole number from 1 to 200".into());
    }
    if query.cursor.as_deref() == Some("") {
        fields.insert("cursor".into(), "not a next_cursor of this list".into());
    }
    if text.len() > 100 {
        fields.insert("query".into(), "at most 100 characters".into());
    }
    if !fields.is_empty() {
        let details = serde_json::json!({ "fields": fields });
        return Err(AppError::invalid("the search parameters are not valid").with_details(details));
    }
    let shop = shop.to_string();
    let cursor = query.cursor;
    let rows = store
        .read_query(move |conn| crate::store::profiles::search(conn, &shop, &text, cursor.as_deref(), limit + 1))
        .await?;
    let more = rows.len() as i64 > limit;
    let page: Vec<_> = rows.iter().take(limit as usize).map(CustomerSummary::from).collect();
    let next_cursor = more.then(|| page.last().map(|c| c.id.clone())).flatten();
    Ok(CustomerPage { customers: page, next_cursor })
}

#[utoipa::path(get, path = "/api/v1/admin/customers", summary = "Search the shop's customers, one page at a time", operation_id = "admin_list_customers", tag = "admin", security(("bearer" = [])), params(CustomerQuery),
    responses((status = 200, body = CustomerPage), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_customers(
    auth: AdminAuth,
    store: web::Data<Store>,
    query: web::Query<CustomerQuery>,
) -> AppResult<web::Json<CustomerPage>> {
    Ok(web::Json(search_customers(&store, auth.shop.as_str(), query.into_inner()).await?))
}

#[utoipa::path(get, path = "/api/v1/admin/customers/{id}", summary = "A customer's wallet with the newest claims, entries and lots", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CustomerDetail), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn get_customer(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> AppResult<web::Json<CustomerDetail>> {
    let customer = CustomerId::parse(&path).map_err(|_| AppError::not_found("customer"))?.into_string();
    let shop = auth.shop.as_str().to_string();
    let detail = store
        .read(move |conn| {
            customer_detail(conn, &shop, &customer, DETAIL_LIMIT)?.ok_or_else(|| AppError::not_found("customer"))
        })
        .await?;
    Ok(web::Json(detail))
}

#[utoipa::path(get, path = "/api/v1/admin/customers/{id}/entries", summary = "A customer's ledger, one page at a time", tag = "admin", security(("bearer" = [])),
    summary = "A customer's ledger entries, newest first, one page at a time",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = EntryList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_customer_entries(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<EntryList>> {
    let (shop, customer, page) = customer_page(&auth, &path, &query)?;
    let list = store
        .read::<_, AppError, _>(move |conn| {
            customers::find(conn, &shop, &customer)?.ok_or_else(|| AppError::not_found("customer"))?;
            Ok(paging::entry_page(conn, &shop, &customer, &page)?)
        })
        .await?;
    Ok(web::Json(list))
}

#[utoipa::path(get, path = "/api/v1/admin/customers/{id}/claims", summary = "A customer's codes, one page at a time", tag = "admin", security(("bearer" = [])),
    summary = "A customer's claims, newest first, one page at a time",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = ClaimList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_customer_claims(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<ClaimList>> {
    let (shop, customer, page) = customer_page(&auth, &path, &query)?;
    let list = store
        .read::<_, AppError, _>(move |conn| {
            customers::find(conn, &shop, &customer)?.ok_or_else(|| AppError::not_found("customer"))?;
            Ok(paging::claim_page(conn, &shop, &customer, &page)?)
        })
        .await?;
    Ok(web::Json(list))
}

#[utoipa::path(get, path = "/api/v1/admin/customers/{id}/lots", tag = "admin", security(("bearer" = [])),
    summary = "A customer's points lots, newest first, one page at a time",
    params(("id" = String, Path), PageQuery),
    responses((status = 200, body = LotList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 401, body = ErrorEnvelope), (status = 403, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_customer_lots(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<LotList>> {
    let (shop, customer, page) = customer_page(&auth, &path, &query)?;
    let list = store
        .read::<_, AppError, _>(move |conn| {
            customers::find(conn, &shop, &customer)?.ok_or_else(|| AppError::not_found("customer"))?;
            Ok(paging::lot_page(conn, &shop, &customer, &page)?)
        })
        .await?;
    Ok(web::Json(list))
}

fn customer_page(auth: &AdminAuth, path: &str, query: &PageQuery) -> AppResult<(String, String, Page)> {
    let customer = CustomerId::parse(path).map_err(|_| AppError::not_found("customer"))?.into_string();
    Ok((auth.shop.as_str().to_string(), customer, query.check()?))
}

/// A wallet with its newest `limit` claims, ledger entries and lots.
pub(crate) fn customer_detail(
    conn: &mut crate::store::AnyConnection,
    shop: &str,
    customer: &str,
    limit: i64,
) -> AppResult<Option<CustomerDetail>> {
    let Some(shop_row) = shops::find(conn, shop)? else { return Ok(None) };
    let Some(row) = customers::find(conn, shop, customer)? else { return Ok(None) };
    let first = Page { limit, after: None };
    let (claims, mut entries) =
        (paging::claim_page(conn, shop, customer, &first)?, paging::entry_page(conn, shop, customer, &first)?);
    let newest_lots = lots::newest(conn, shop, customer, None, limit + 1)?;
    let (newest_lots, lots_next) = store_page::split(newest_lots, limit, lots::lot_key);
    let ids: Vec<String> = entries.entries.iter().map(|e| e.id.clone()).collect();
    let actors = crate::store::export::actors(conn, shop, &ids)?;
    for entry in &mut entries.entries {
        entry.actor = actors.get(&entry.id).cloned();
    }
    Ok(Some(CustomerDetail {
        profile: ProfileView::from(&row),
        wallet: BalanceView { customer_id: row.id, points_balance: row.points_balance, currency: shop_row.currency },
        claims: claims.claims,
        claims_next_cursor: claims.next_cursor,
        entries: entries.entries,
        entries_next_cursor: entries.next_cursor,
        pending_points: crate::store::pending::total(conn, shop, customer)?,
        lots: lots::spend_sorted(newest_lots).iter().map(LotView::from).collect(),
        lots_next_cursor: lots_next.as_ref().map(paging::encode),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdjustmentBody {
    /// Positive to add, negative to take away; never below zero.
    #[schema(minimum = -1_000_000_000_000_i64, maximum = 1_000_000_000_000_i64)]
    pub(crate) points: i64,
    #[schema(min_length = 1, max_length = 500)]
    pub(crate) reason: String,
}

#[utoipa::path(post, path = "/api/v1/admin/customers/{id}/adjustments", summary = "Add or remove points by hand, with a reason", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = String, Header)), request_body = AdjustmentBody,
    responses((status = 201, body = AdjustmentView), (status = 409, body = ErrorEnvelope, description = "insufficient_points"), (status = 422, body = ErrorEnvelope)))]
pub(crate) async fn post_adjustment(
    req: HttpRequest,
    auth: AdminAuth,
    path: web::Path<String>,
    key: IdempotencyKey,
    body: JsonBody<AdjustmentBody>,
    store: web::Data<Store>,
) -> AppResult<HttpResponse> {
    let customer = CustomerId::parse(&path).map_err(|_| AppError::not_found("customer"))?.into_string();
    let mut fields = serde_json::Map::new();
    let delta = PointsDelta::parse(body.value.points).map_err(|e| fields.insert("points".into(), e.into()));
    let reason = body.value.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        fields.insert("reason".into(), "give a reason of 1-500 characters".into());
    }
    let delta = match delta {
        Ok(delta) if fields.is_empty() => delta,
        _ => return Err(AppError::invalid_fields("the adjustment is not valid", fields)),
    };
    let shop = auth.shop.as_str().to_string();
    let actor = auth.subject.clone();
    let idempotent = Idempotent {
        owner: owner(&auth.shop, "admin", &auth.subject),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    idempotency::run(&store, idempotent, StatusCode::CREATED, move |conn| {
        let entry = customers::adjust(conn, &shop, &customer, delta.get(), &reason)?;
        crate::store::export::set_actor(conn, &shop, &entry.id, &actor)?;
        let view = EntryView { actor: Some(actor.clone()), ..EntryView::from(&entry) };
        Ok(AdjustmentView { points_balance: entry.balance_after, entry: view })
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/admin/claims/{id}/refund", summary = "Refund a customer's unused code (admin)", operation_id = "admin_refund_claim", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = RefundView), (status = 404, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope, description = "claim_not_refundable")))]
pub(crate) async fn refund_claim(
    req: HttpRequest,
    auth: AdminAuth,
    path: web::Path<String>,
    key: MaybeIdempotencyKey,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
    metrics: web::Data<Metrics>,
) -> AppResult<HttpResponse> {
    let request = RefundRequest {
        owner: owner(&auth.shop, "admin", &auth.subject),
        key: key.0,
        fingerprint: fingerprint(&req, b""),
        claim_id: path.into_inner(),
        customer: None,
        by: crate::domain::claim::CancelledBy::Merchant,
    };
    refund(&store, &platform, &metrics, request).await
}

pub(crate) fn currency_of(shop: &shops::ShopRow) -> AppResult<Currency> {
    Currency::parse(&shop.currency).map_err(AppError::internal_msg)
}
