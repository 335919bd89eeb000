//! CSV exports for the merchant (role admin): customers' balances and the
//! whole ledger, streamed page by page (keyset by id, 1,000 rows a read), so
//! a shop of any size is exported in constant memory. Cells are escaped and
//! guarded against formula injection by `domain::csv`.

use super::auth::AdminAuth;
use super::views::utc;
use crate::domain::csv::{cell, line, number};
use crate::error::{AppResult, ErrorEnvelope};
use crate::store::customers::CustomerRow;
use crate::store::{export, Store};
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use futures_util::stream;

const PAGE: i64 = 1_000;
const CUSTOMER_HEADER: &str = "customer_id,email,display_name,points_balance,created_at\r\n";
const LEDGER_HEADER: &str =
    "entry_id,customer_id,created_at,kind,delta,balance_after,pending_delta,claim_id,order_id,reason,actor,cancelled_by\r\n";

fn opt(value: &Option<String>) -> String {
    cell(value.as_deref().unwrap_or(""))
}

fn customer_line(c: &CustomerRow) -> String {
    line(&[
        cell(&c.id),
        opt(&c.email),
        opt(&c.display_name),
        number(c.points_balance),
        cell(&utc(c.created_at).to_rfc3339()),
    ])
}

fn ledger_line((e, actor, cancelled_by): &export::LedgerLine) -> String {
    line(&[
        cell(&e.id),
        cell(&e.customer_id),
        cell(&utc(e.created_at).to_rfc3339()),
        cell(e.kind.as_str()),
        number(e.delta),
        number(e.balance_after),
        number(e.pending_delta),
        opt(&e.claim_id),
        opt(&e.order_id),
        opt(&e.reason),
        opt(actor),
        cell(cancelled_by.map_or("", |by| by.as_str())),
    ])
}

/// One page: its CSV text and the cursor of the next page (None at the end).
type Page = AppResult<(String, Option<String>)>;

/// Streams `header` and then pages from `fetch` until a short page.
fn csv_response<F, Fut>(name: &str, header: &'static str, fetch: F) -> HttpResponse
where
    F: Fn(Option<String>) -> Fut + 'static,
    Fut: std::future::Future<Output = Page> + 'static,
{
    let first = stream::once(async move { Ok::<_, actix_web::Error>(Bytes::from_static(header.as_bytes())) });
    let rest = stream::unfold(Some(None), move |cursor: Option<Option<String>>| {
        let next = cursor.map(&fetch);
        async move {
            match next?.await {
                Ok((text, cursor)) => Some((Ok(Bytes::from(text)), cursor.map(Some))),
                // The status line is gone: end the body early (the client
                // sees a truncated file) and say why in the log.
                Err(error) => {
                    tracing::error!(error = %error.message, "csv export stopped");
                    Some((Err(actix_web::error::ErrorInternalServerError("export failed")), None))
                }
            }
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(futures_util::StreamExt::chain(first, rest))
}

#[utoipa::path(get, path = "/api/v1/admin/export/customers.csv", summary = "Every customer's balance as CSV", tag = "admin", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "customer_id,email,display_name,points_balance,created_at; cells starting with = + - @ are prefixed with '"),
        (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn customers_csv(auth: AdminAuth, store: web::Data<Store>) -> HttpResponse {
    let shop = auth.shop.as_str().to_string();
    csv_response("customers.csv", CUSTOMER_HEADER, move |after| {
        let (store, shop) = (store.clone(), shop.clone());
        async move {
            let rows =
                store.read_query(move |conn| export::customers_page(conn, &shop, after.as_deref(), PAGE)).await?;
            let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|c| c.id.clone())).flatten();
            Ok((rows.iter().map(customer_line).collect(), next))
        }
    })
}

#[utoipa::path(get, path = "/api/v1/admin/export/ledger.csv", summary = "The whole ledger as CSV", tag = "admin", security(("bearer" = [])),
    responses((status = 200, content_type = "text/csv", body = String,
        description = "entry_id,customer_id,created_at,kind,delta,balance_after,pending_delta,claim_id,order_id,reason,actor (the staff sub of a manual adjustment),cancelled_by (on the credit of a cancelled code: shopper, merchant, clerk, expiry or platform), oldest first"),
        (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn ledger_csv(auth: AdminAuth, store: web::Data<Store>) -> HttpResponse {
    let shop = auth.shop.as_str().to_string();
    csv_response("ledger.csv", LEDGER_HEADER, move |after| {
        let (store, shop) = (store.clone(), shop.clone());
        async move {
            let rows = store.read_query(move |conn| export::ledger_page(conn, &shop, after.as_deref(), PAGE)).await?;
            let next = (rows.len() as i64 == PAGE).then(|| rows.last().map(|(e, _, _)| e.id.clone())).flatten();
            Ok((rows.iter().map(ledger_line).collect(), next))
        }
    })
}
