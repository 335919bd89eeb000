//! The merchant's view of privacy requests the platform forwarded
//! (`customers/data_request`), each with the customer's data to hand over.

use super::admin::customer_detail;
use super::auth::AdminAuth;
use super::paging::{self, PageQuery};
use super::views::{utc, CustomerDetail};
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::page as store_page;
use crate::store::{webhooks, Store};
use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything we hold on one customer: the whole ledger, every claim.
const EXPORT_LIMIT: i64 = 100_000;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DataRequestView {
    pub(crate) id: String,
    pub(crate) customer_id: String,
    /// The order ids the platform listed (Shopify sends numbers); null when
    /// it listed none.
    pub(crate) orders_requested: Option<Vec<i64>>,
    pub(crate) created_at: DateTime<Utc>,
    /// The customer's data; null when we hold none.
    pub(crate) export: Option<CustomerDetail>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct DataRequestList {
    /// Newest first.
    pub(crate) requests: Vec<DataRequestView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub(crate) next_cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/admin/data-requests", summary = "Customers' data requests received from the platform, newest first, one page at a time", tag = "admin", security(("bearer" = [])),
    params(PageQuery),
    responses((status = 200, body = DataRequestList), (status = 400, body = ErrorEnvelope, description = "invalid_request: bad limit or cursor (details.fields)"),
        (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn list_data_requests(
    auth: AdminAuth,
    store: web::Data<Store>,
    query: web::Query<PageQuery>,
) -> AppResult<web::Json<DataRequestList>> {
    let page = query.check()?;
    let shop = auth.shop.as_str().to_string();
    let list = store
        .read::<_, AppError, _>(move |conn| {
            let rows = webhooks::data_requests(conn, &shop, page.after.as_ref(), page.limit + 1)?;
            let (rows, next) = store_page::split(rows, page.limit, webhooks::data_request_key);
            let mut requests = Vec::with_capacity(rows.len());
            for row in rows {
                requests.push(DataRequestView {
                    export: customer_detail(conn, &shop, &row.customer_id, EXPORT_LIMIT)?,
                    orders_requested: order_ids(&row.orders_requested),
                    created_at: utc(row.created_at),
                    customer_id: row.customer_id,
                    id: row.id,
                });
            }
            Ok(DataRequestList { requests, next_cursor: next.as_ref().map(paging::encode) })
        })
        .await?;
    Ok(web::Json(list))
}

/// The stored `orders_requested` JSON as order ids: numbers, or strings of
/// digits; anything else the platform sent is left out.
fn order_ids(raw: &str) -> Option<Vec<i64>> {
    let items = serde_json::from_str::<serde_json::Value>(raw).ok()?.as_array()?.clone();
    let id = |item: &serde_json::Value| item.as_i64().or_else(|| item.as_str().and_then(|s| s.parse().ok()));
    Some(items.iter().filter_map(id).collect())
}
