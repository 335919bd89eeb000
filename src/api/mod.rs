//! HTTP doors: handlers parse and authorize, call one store unit of work,
//! and map the result. One file per door; the routing table is here.

pub(crate) mod admin;
pub(crate) mod admin_page;
pub(crate) mod admin_shop;
pub(crate) mod analytics;
pub(crate) mod auth;
pub(crate) mod campaign_report;
pub(crate) mod campaign_views;
// Public for the request-body schema types (`CampaignInput`, `EventInput`),
// which only the OpenAPI document reads.
pub mod campaigns;
pub(crate) mod checkout;
pub(crate) mod claim_flow;
pub(crate) mod customer;
pub mod events;
pub(crate) mod export;
pub(crate) mod extract;
pub(crate) mod idempotency;
pub(crate) mod notify;
pub(crate) mod openapi;
pub(crate) mod openapi_common;
pub(crate) mod ops;
pub(crate) mod pages;
pub(crate) mod paging;
pub(crate) mod pos;
pub(crate) mod privacy;
pub(crate) mod proxy;
pub(crate) mod segments;
pub(crate) mod shop_offers;
pub(crate) mod shop_scopes;
pub(crate) mod shopify_install;
pub(crate) mod views;
pub(crate) mod webhooks;
pub(crate) mod widget;

use crate::error::AppError;
use actix_web::web;

/// A path with its methods; any other method gets a 405 in the envelope.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(openapi_common::method_not_allowed))
}

/// Every route of the service. The OpenAPI test checks each is documented.
pub(crate) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/healthz").get(ops::healthz))
        .service(resource("/readyz").get(ops::readyz))
        .service(resource("/metrics").get(ops::metrics))
        .service(resource("/openapi.json").get(ops::openapi))
        .service(resource("/webhooks/shopify").post(webhooks::receive))
        .service(resource("/shopify/install").get(shopify_install::install))
        .service(resource("/shopify/callback").get(shopify_install::callback))
        .service(resource("/proxy/session").get(proxy::session))
        .service(resource("/").get(widget::root))
        .service(resource("/widget").get(widget::add_slash))
        .service(resource("/widget/{path:.*}").get(widget::asset))
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(auth::retry_invalid_session))
                .service(resource("/wallet").get(customer::get_wallet))
                .service(resource("/quote").get(customer::get_quote))
                .service(resource("/claims").get(customer::list_claims).post(customer::post_claim))
                .service(resource("/claims/{id}/refund").post(customer::refund_claim))
                .service(resource("/transactions").get(customer::list_transactions))
                .service(resource("/admin/programs/{channel}").get(admin::get_program).put(admin::put_program))
                .service(resource("/admin/customers").get(admin::list_customers))
                .service(resource("/admin/customers/{id}").get(admin::get_customer))
                .service(resource("/admin/customers/{id}/entries").get(admin::list_customer_entries))
                .service(resource("/admin/customers/{id}/claims").get(admin::list_customer_claims))
                .service(resource("/admin/customers/{id}/lots").get(admin::list_customer_lots))
                .service(resource("/admin/customers/{id}/adjustments").post(admin::post_adjustment))
                .service(resource("/admin/claims/{id}/refund").post(admin::refund_claim))
                .service(resource("/admin/shop").get(admin_shop::get_shop).put(admin_shop::put_shop))
                .service(resource("/admin/analytics").get(analytics::get_analytics))
                .service(resource("/admin/segments").get(segments::list_segments))
                .service(resource("/admin/export/customers.csv").get(export::customers_csv))
                .service(resource("/admin/export/ledger.csv").get(export::ledger_csv))
                .service(resource("/admin/data-requests").get(privacy::list_data_requests))
                .service(resource("/admin/notifications").get(notify::list))
                .service(resource("/admin/notifications/summary").get(notify::summary))
                .service(resource("/admin/notifications/{id}/retry").post(notify::retry))
                .service(resource("/pos/customers").get(pos::list_customers))
                .service(resource("/pos/customers/{id}/wallet").get(pos::get_wallet))
                .service(resource("/pos/quote").get(pos::get_quote))
                .service(resource("/pos/claims").post(pos::post_claim))
                .service(resource("/pos/customers/{id}/claims").get(pos::list_open_claims))
                .service(resource("/pos/claims/{id}/refund").post(pos::refund_claim))
                .service(resource("/pos/customers/{id}/offers").get(pos::list_offers))
                .service(resource("/checkout/validate").post(checkout::validate))
                .service(resource("/checkout/redeem").post(checkout::redeem))
                .service(resource("/admin/campaigns").get(campaigns::list_campaigns).post(campaigns::post_campaign))
                .service(resource("/admin/campaigns/{id}").get(campaigns::get_campaign).put(campaigns::put_campaign))
                .service(resource("/admin/campaigns/{id}/offers").get(campaigns::list_offers))
                .service(resource("/admin/campaigns/{id}/report").get(campaign_report::get_report))
                .service(resource("/admin/events").post(events::post_event))
                .service(resource("/offers").get(events::list_my_offers)),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::not_found("route"))
}
