//! The OpenAPI 3 document, generated from the handlers' annotations and the
//! request/response types; served at `/openapi.json`.

use super::openapi_common::CommonErrors;
use super::{
    admin, admin_shop, analytics, campaign_report, campaign_views, campaigns, checkout, claim_flow, customer, events,
    export, notify, ops, pos, privacy, proxy, segments, shopify_install, views, webhooks, widget,
};
use crate::domain::{lots, program};
use crate::error::{ErrorBody, ErrorCode, ErrorEnvelope};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "loyalty-wallet", description = "Loyalty points that become one-off discount codes."),
    modifiers(&BearerAuth, &CommonErrors),
    paths(
        customer::get_wallet, customer::get_quote, customer::post_claim, customer::list_claims,
        customer::refund_claim, customer::list_transactions,
        admin::get_program, admin::put_program, admin::list_customers, admin::get_customer,
        admin::list_customer_entries, admin::list_customer_claims, admin::list_customer_lots, admin::post_adjustment, admin::refund_claim,
        admin_shop::get_shop, admin_shop::put_shop, analytics::get_analytics, privacy::list_data_requests,
        notify::list, notify::retry, notify::summary,
        pos::list_customers, pos::get_wallet, pos::get_quote, pos::post_claim, pos::list_open_claims, pos::refund_claim, pos::list_offers,
        checkout::validate, checkout::redeem,
        ops::healthz, ops::readyz, ops::metrics, ops::openapi,
        webhooks::receive, widget::root, widget::add_slash, widget::asset,
        shopify_install::install, shopify_install::callback, proxy::session,
        campaigns::list_campaigns, campaigns::post_campaign, campaigns::get_campaign, campaigns::put_campaign,
        campaigns::list_offers, campaign_report::get_report, events::post_event, events::list_my_offers,
        segments::list_segments, export::customers_csv, export::ledger_csv,
    ),
    components(schemas(
        ErrorEnvelope, ErrorBody, ErrorCode, webhooks::WebhookReceipt, privacy::DataRequestView, privacy::DataRequestList,
        views::ClaimView, views::ClaimList, views::EntryView, views::EntryList, views::RefundView,
        views::WalletView, views::ProgramSummary, views::QuoteView, views::QuoteError, views::ProgramView,
        views::CustomerSummary, views::CustomerPage, views::CustomerDetail, views::ProfileView, views::BalanceView, views::AdjustmentView,
        claim_flow::ClaimBody, admin::AdjustmentBody, pos::PosClaimBody,
        checkout::ValidateBody, checkout::ValidateView, checkout::RedeemBody, checkout::RedeemView, checkout::OfferRedeemView,
        admin_shop::ShopView, admin_shop::ShopInput, notify::NotifyInput, notify::NotifyView,
        notify::NotificationView, notify::NotificationPage, notify::DeliverySummaryView, notify::DeliveryFailureView, admin_shop::PlatformInput, admin_shop::PlatformView,
        analytics::AnalyticsView, analytics::Bucket, analytics::DayView, analytics::PerCustomer, analytics::OrdersView, analytics::CountPoints,
        program::ProgramInput, program::ProgramSettings, program::Channel, program::PurchaseType, program::PurchaseTypes,
        program::Subscription, program::AppliesTo, program::Eligibility, program::EligibilityKind,
        program::CombinesWith, program::DecimalInput,
        campaigns::CampaignInput, campaign_views::CampaignView, campaign_views::CampaignList,
        campaign_views::OfferView, campaign_views::OfferPage, campaign_views::CustomerOfferView,
        campaign_views::CustomerOfferList, events::EventInput, events::EventReceipt,
        campaign_report::ReportView, campaign_report::GroupView, campaign_report::LiftView,
        super::shop_offers::OffersView, super::shop_scopes::ScopesView,
        proxy::ProxySession,
        segments::SegmentList, crate::platform::segments::Segment,
        views::ExpiringView, views::LotView, views::LotList, admin_shop::ExpiryView, lots::ExpiryInput, lots::ExpiryKind,
    ))
)]
pub(crate) struct ApiDoc;
