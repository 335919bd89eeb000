//! Outbox work for campaign offers: push a pending offer's code exactly once
//! (look before resending on a retry; `TAKEN` resolved by a lookup), and
//! delete an expired offer's code at the platform.

use super::error::{Error, Result};
use super::relay::{backoff, retry_for, RowOutcome};
use super::shopify::offers::{OfferDiscountInput, OfferValue};
use super::shopify::{PlatformError, ShopCreds};
use super::Platform;
use crate::domain::campaign::{Discount, DiscountKind};
use crate::domain::money::Currency;
use crate::domain::program::PurchaseTypes;
use crate::store::offers::{self, OfferRow, OfferStatus};
use crate::store::outbox::OutboxRow;
use crate::store::shops::{self, ShopRow};
use crate::store::{self, offer_life};
use chrono::{SecondsFormat, Utc};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

async fn load(platform: &Platform, row: &OutboxRow) -> Result<(OfferRow, ShopRow)> {
    let (shop_id, offer_id) = (row.shop_id.clone(), row.claim_id.clone());
    platform
        .store
        .read(move |conn| {
            let offer = offers::find(conn, &shop_id, &offer_id)?.ok_or(store::Error::NotFound("offer"))?;
            let shop = shops::find(conn, &shop_id)?.ok_or(store::Error::NotFound("shop"))?;
            Ok::<_, store::Error>((offer, shop))
        })
        .await
        .map_err(Error::from)
}

fn disconnected(platform: &Platform, row: &OutboxRow) -> RowOutcome {
    RowOutcome::Retry { after: backoff(platform, row.attempts), error: "platform disconnected".into(), counted: true }
}

/// The value part: a percentage becomes a fraction (15 → 0.15).
fn value(discount: &Discount, currency: Currency) -> Option<OfferValue> {
    Some(match discount.kind {
        DiscountKind::FixedAmount => OfferValue::Amount(currency.format_minor(discount.amount_minor?)),
        DiscountKind::Percentage => OfferValue::Fraction((discount.percentage? / Decimal::from(100)).to_f64()?),
        DiscountKind::FreeShipping => {
            OfferValue::FreeShipping(discount.max_shipping_minor.map(|m| currency.format_minor(m)))
        }
    })
}

/// The offer as the platform should hold it (from its stored discount).
fn offer_input(offer: &OfferRow) -> Result<OfferDiscountInput> {
    let discount = offer.discount().ok_or_else(|| Error::internal("offer without a discount"))?;
    let code = offer.code.clone().ok_or_else(|| Error::internal("offer without a code"))?;
    let currency = Currency::parse(&discount.currency).map_err(Error::internal)?;
    let value = value(&discount, currency).ok_or_else(|| Error::internal("offer discount incomplete"))?;
    let at = |t: chrono::NaiveDateTime| t.and_utc().to_rfc3339_opts(SecondsFormat::Millis, true);
    Ok(OfferDiscountInput {
        title: format!("Personal offer ({}) {code}", offer.trigger_kind),
        code,
        customer_id: offer.customer_id.clone(),
        value,
        min_subtotal: discount.min_subtotal_minor.map(|m| currency.format_minor(m)),
        one_time: discount.purchase_type != PurchaseTypes::Subscription,
        subscription: discount.purchase_type != PurchaseTypes::OneTime,
        combines_with: discount.combines_with,
        starts_at: at(offer.issued_at.unwrap_or(offer.created_at)),
        ends_at: offer.expires_at.map(at),
    })
}

/// Pushes a pending offer. An offer no longer pending (used, expired) is
/// not pushed; one that expires while the platform is unreachable stops
/// being retried once `expire_due` moves it.
pub(super) async fn push(platform: &Platform, row: &OutboxRow) -> Result<RowOutcome> {
    let (offer, shop) = load(platform, row).await?;
    if offer.status != OfferStatus::Pending {
        return Ok(RowOutcome::Done);
    }
    let Some(creds) = ShopCreds::of(&shop, &platform.settings) else { return Ok(disconnected(platform, row)) };
    let input = offer_input(&offer)?;
    if row.attempts > 1 {
        // An earlier attempt may have reached the platform: look before sending.
        match platform.client.find_by_code(&creds, &input.code).await {
            Ok(Some(id)) => return activated(platform, &offer, &id).await,
            Ok(None) => {}
            Err(error) => return Ok(retry_for(platform, row, error)),
        }
    }
    match platform.client.create_offer_discount(&creds, &input).await {
        Ok(id) => activated(platform, &offer, &id).await,
        Err(PlatformError::Taken) => match platform.client.find_by_code(&creds, &input.code).await {
            Ok(Some(id)) => activated(platform, &offer, &id).await,
            Ok(None) => Ok(RowOutcome::Retry {
                after: backoff(platform, row.attempts),
                error: "TAKEN but not found".into(),
                counted: true,
            }),
            Err(error) => Ok(retry_for(platform, row, error)),
        },
        Err(PlatformError::Rejected(reason)) => {
            tracing::warn!(shop = %offer.shop_id, offer = %offer.id, %reason, "the platform refused the offer code");
            let offer = offer.clone();
            platform
                .store
                .write(move |conn| {
                    offer_life::fail(conn, &offer, "the platform refused the code", Utc::now().naive_utc())?;
                    Ok::<_, store::Error>(RowOutcome::Dead("the platform refused the offer code".into()))
                })
                .await
                .map_err(Error::from)
        }
        Err(error) => Ok(retry_for(platform, row, error)),
    }
}

async fn activated(platform: &Platform, offer: &OfferRow, platform_id: &str) -> Result<RowOutcome> {
    let (offer, platform_id) = (offer.clone(), platform_id.to_string());
    let woke = platform
        .store
        .write(move |conn| {
            offer_life::activate(conn, &offer, &platform_id, Utc::now().naive_utc())
                .map(|moved| !moved)
                .map_err(store::Error::from)
        })
        .await?;
    if woke {
        platform.wake.notify_one();
    }
    Ok(RowOutcome::Done)
}

/// Deletes an offer's code at the platform (looked up by code when its id
/// is not known); gone already counts as done.
pub(super) async fn delete(platform: &Platform, row: &OutboxRow) -> Result<RowOutcome> {
    let (offer, shop) = load(platform, row).await?;
    let Some(code) = offer.code.clone() else { return Ok(RowOutcome::Done) };
    let Some(creds) = ShopCreds::of(&shop, &platform.settings) else { return Ok(disconnected(platform, row)) };
    match super::relay::remove_code(platform, &creds, offer.platform_id.as_deref(), &code).await {
        Ok(()) => Ok(RowOutcome::Done),
        Err(error) => Ok(retry_for(platform, row, error)),
    }
}
