//! The merchant's campaigns door: create, read, list, update, and each
//! campaign's offers.

use super::admin::currency_of;
use super::auth::AdminAuth;
use super::campaign_views::{CampaignList, CampaignView, OfferPage, OfferView};
use super::claim_flow::owner;
use super::extract::{fingerprint, IdempotencyKey, JsonBody};
use super::idempotency::{self, Idempotent};
use super::paging::{self, PageQuery};
use crate::domain::campaign::CampaignSettings;
use crate::domain::ids::parse_uuid;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::offers::{self, OfferStatus};
use crate::store::page as store_page;
use crate::store::{campaigns, shops, AnyConnection, Store};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

/// The campaign body of docs/API.md (documented as an object; validated field by field).
#[derive(Debug, Deserialize, ToSchema)]
#[schema(value_type = Object, example = json!({
    "name": "Cart rescue", "enabled": true,
    "trigger": {"kind": "cart_abandoned", "delay_minutes": 60},
    "discount": {"kind": "percentage", "value": "15", "min_subtotal": "40.00", "purchase_type": "one_time",
                 "combines_with": {"order": false, "product": true, "shipping": true}},
    "code": {"template": "{FIRST_NAME}-{RANDOM}", "random_length": 8},
    "expires_after_hours": 48, "starts_at": null, "ends_at": null,
    "eligibility": {"kind": "all", "ids": []},
    "limits": {"per_customer": 1, "per_customer_days": 30, "daily_codes": 500,
               "max_outstanding_value": "5000.00", "max_total_value": null},
    "holdout_percent": 10
}))]
pub struct CampaignInput(pub Value);

fn parse_settings(conn: &mut AnyConnection, shop: &str, body: &Value) -> AppResult<CampaignSettings> {
    let shop_row = shops::ensure(conn, shop)?;
    let currency = currency_of(&shop_row)?;
    CampaignSettings::parse(body, currency)
        .map_err(|fields| AppError::invalid_fields("the campaign settings are not valid", fields))
}

fn campaign_id(raw: &str) -> AppResult<String> {
    parse_uuid(raw).map_err(|_| AppError::not_found("campaign"))
}

#[utoipa::path(get, path = "/api/v1/admin/campaigns", summary = "The shop's campaigns, oldest first, one page at a time", tag = "campaigns", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = CampaignList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_campaigns(
    auth: AdminAuth,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<CampaignList>> {
    let page = query.check()?;
    let shop = auth.shop.as_str().to_string();
    let rows = store.read(move |conn| campaigns::list(conn, &shop, page.after.as_ref(), page.limit + 1)).await?;
    let (rows, next) = store_page::split(rows, page.limit, campaigns::campaign_key);
    let campaigns = rows.iter().map(CampaignView::from).collect();
    Ok(web::Json(CampaignList { campaigns, next_cursor: next.as_ref().map(paging::encode) }))
}

#[utoipa::path(post, path = "/api/v1/admin/campaigns", summary = "Create a campaign", tag = "campaigns", security(("bearer" = [])),
    params(("Idempotency-Key" = String, Header)), request_body = CampaignInput,
    responses((status = 201, body = CampaignView), (status = 400, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope, description = "invalid_request with details.fields")))]
pub(crate) async fn post_campaign(
    req: HttpRequest,
    auth: AdminAuth,
    key: IdempotencyKey,
    body: JsonBody<Value>,
    store: web::Data<Store>,
) -> AppResult<HttpResponse> {
    let shop = auth.shop.as_str().to_string();
    let idempotent = Idempotent {
        owner: owner(&auth.shop, "admin", &auth.subject),
        key: Some(key),
        fingerprint: fingerprint(&req, &body.raw),
    };
    let input = body.value;
    idempotency::run(&store, idempotent, StatusCode::CREATED, move |conn| {
        let settings = parse_settings(conn, &shop, &input)?;
        let campaign = campaigns::create(conn, &shop, &settings, Utc::now().naive_utc())?;
        tracing::info!(shop = %shop, campaign = %campaign.row.id, "campaign created");
        Ok(CampaignView::from(&campaign))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}", summary = "One campaign", tag = "campaigns", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn get_campaign(
    auth: AdminAuth,
    path: web::Path<String>,
    store: web::Data<Store>,
) -> AppResult<web::Json<CampaignView>> {
    let id = campaign_id(&path)?;
    let shop = auth.shop.as_str().to_string();
    let campaign = store
        .read(move |conn| campaigns::find(conn, &shop, &id)?.ok_or_else(|| AppError::not_found("campaign")))
        .await?;
    Ok(web::Json(CampaignView::from(&campaign)))
}

#[utoipa::path(put, path = "/api/v1/admin/campaigns/{id}", summary = "Change a campaign", tag = "campaigns", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = CampaignInput,
    responses((status = 200, body = CampaignView), (status = 404, body = ErrorEnvelope),
        (status = 422, body = ErrorEnvelope, description = "invalid_request with details.fields")))]
pub(crate) async fn put_campaign(
    auth: AdminAuth,
    path: web::Path<String>,
    body: JsonBody<Value>,
    store: web::Data<Store>,
) -> AppResult<web::Json<CampaignView>> {
    let id = campaign_id(&path)?;
    let shop = auth.shop.as_str().to_string();
    let input = body.value;
    let campaign = store
        .write(move |conn| {
            if campaigns::find(conn, &shop, &id)?.is_none() {
                return Err(AppError::not_found("campaign"));
            }
            let settings = parse_settings(conn, &shop, &input)?;
            campaigns::save(conn, &shop, &id, &settings, Utc::now().naive_utc())?
                .ok_or_else(|| AppError::not_found("campaign"))
        })
        .await?;
    Ok(web::Json(CampaignView::from(&campaign)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct OfferQuery {
    /// One offer status (scheduled, held_out, refused, cancelled, pending, active, used, expired, deleted, failed).
    pub(crate) status: Option<String>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
    /// 1-200, default 50.
    pub(crate) limit: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/admin/campaigns/{id}/offers", summary = "A campaign's offers, one page at a time", tag = "campaigns", security(("bearer" = [])),
    params(("id" = String, Path), OfferQuery),
    responses((status = 200, body = OfferPage), (status = 400, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)))]
pub(crate) async fn list_offers(
    auth: AdminAuth,
    path: web::Path<String>,
    query: web::Query<OfferQuery>,
    store: web::Data<Store>,
) -> AppResult<web::Json<OfferPage>> {
    let id = campaign_id(&path)?;
    let query = query.into_inner();
    let status = match &query.status {
        Some(s) => Some(OfferStatus::from_stored(s).ok_or_else(|| AppError::invalid(format!("unknown status {s:?}")))?),
        None => None,
    };
    let cursor =
        query.cursor.map(|c| parse_uuid(&c).map_err(|_| AppError::invalid("cursor is not valid"))).transpose()?;
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let shop = auth.shop.as_str().to_string();
    let rows = store
        .read(move |conn| {
            if campaigns::find(conn, &shop, &id)?.is_none() {
                return Err(AppError::not_found("campaign"));
            }
            Ok(offers::for_campaign(conn, &shop, &id, status, cursor.as_deref(), limit + 1)?)
        })
        .await?;
    let more = rows.len() as i64 > limit;
    let page: Vec<OfferView> = rows.iter().take(limit as usize).map(OfferView::from).collect();
    let next_cursor = more.then(|| page.last().map(|o| o.id.clone())).flatten();
    Ok(web::Json(OfferPage { offers: page, next_cursor }))
}
