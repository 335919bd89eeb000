//! Checkout of a store without a platform: is this code good for this
//! cart, and mark it used exactly once (earning points on the order).

use super::claims::{self, ClaimRow};
use super::customers::{self, Movement};
use super::error::{Error, Result};
use super::offers::{self, OfferRow, OfferStatus};
use super::schema::claims as claims_table;
use super::schema::offers as offers_table;
use super::shops::{self, ShopRow};
use super::AnyConnection;
use crate::domain::claim::{ClaimStatus, EntryKind};
use crate::domain::earning::EarnRate;
use crate::domain::money::Currency;
use crate::domain::offer_value::{value_off, OfferValue};
use crate::domain::program::PurchaseType;
use crate::domain::refusal::Reason;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Why a code cannot be used; the checkout shows it, the API names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeRefusal(pub String);

/// Finds the customer's usable claim for `code`, or says why there is none.
/// Another customer's code looks exactly like an unknown code.
fn usable_claim(
    conn: &mut AnyConnection,
    shop_id: &str,
    code: &str,
    customer_id: &str,
    purchase_type: Option<PurchaseType>,
    now: NaiveDateTime,
) -> Result<std::result::Result<ClaimRow, CodeRefusal>> {
    let Some(claim) = claims::find_by_code(conn, shop_id, code)?.filter(|c| c.customer_id == customer_id) else {
        return Ok(Err(CodeRefusal("unknown code".into())));
    };
    if claim.status != ClaimStatus::Active {
        return Ok(Err(CodeRefusal(format!("code is {}", claim.status))));
    }
    if claim.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(CodeRefusal("code has expired".into())));
    }
    // A code is worth an amount of the currency it was made in; after the
    // shop changed currency it would buy a different amount (or be
    // subtracted from a subtotal in another unit).
    if let Some(shop) = shops::find(conn, shop_id)? {
        if shop.currency != claim.currency {
            return Ok(Err(CodeRefusal(format!("code is in {}, the shop sells in {}", claim.currency, shop.currency))));
        }
    }
    if let Some(purchase) = purchase_type {
        if !claim.snapshot()?.purchase_type.allows(purchase) {
            return Ok(Err(CodeRefusal(format!("code does not apply to {} purchases", purchase.as_str()))));
        }
    }
    Ok(Ok(claim))
}

/// The shop's currency and a cart subtotal in its minor units (422 when malformed).
fn subtotal_in(currency: &str, subtotal: &str) -> Result<(Currency, i64)> {
    let currency = Currency::parse(currency).map_err(Error::internal_msg)?;
    let minor = currency.parse_amount(subtotal).map_err(Reason::InvalidSubtotal)?;
    Ok((currency, minor))
}

/// An offer code's verdict for a cart: usable with its value, or why not.
pub(crate) type OfferVerdict = std::result::Result<(OfferRow, OfferValue), Reason>;

/// The customer's offer with this `code`, checked for this cart; None when
/// the customer has no offer with that code (the claim path decides then).
pub(crate) fn usable_offer(
    conn: &mut AnyConnection,
    shop_id: &str,
    code: &str,
    customer_id: &str,
    purchase_type: Option<PurchaseType>,
    subtotal: &str,
) -> Result<Option<(Currency, OfferVerdict)>> {
    let Some(offer) = offers::find_by_code(conn, shop_id, code)?.filter(|o| o.customer_id == customer_id) else {
        return Ok(None);
    };
    let shop_currency = shops::currency(conn, shop_id)?;
    let (currency, subtotal_minor) = subtotal_in(shop_currency.code(), subtotal)?;
    let refuse = |message: String| Ok(Some((currency, Err(Reason::CodeNotValid(message)))));
    let discount = offer.discount().ok_or_else(|| Error::internal_msg("an issued offer without its discount"))?;
    if offer.status != OfferStatus::Active {
        return refuse(format!("code is {}", offer.status));
    }
    if offer.expires_at.is_some_and(|at| at <= crate::clock::now()) {
        return refuse("code has expired".into());
    }
    if discount.currency != currency.code() {
        return refuse(format!("code is in {}, the shop sells in {}", discount.currency, currency.code()));
    }
    if let Some(purchase) = purchase_type.filter(|p| !discount.purchase_type.allows(*p)) {
        return refuse(format!("code does not apply to {} purchases", purchase.as_str()));
    }
    let verdict = value_off(&discount, subtotal_minor).map(|value| (offer, value)).map_err(|below| {
        let minimum = currency.format_minor(below.min_subtotal_minor);
        Reason::BelowMinimumSubtotal { minimum }
    });
    Ok(Some((currency, verdict)))
}

/// Marks the offer used by the order once and gives its reservation back;
/// earns points on what was paid. Refusals are 409 `code_not_valid` (422
/// `below_minimum_subtotal` for a cart under the minimum).
pub(crate) fn redeem_offer(conn: &mut AnyConnection, request: &RedeemRequest) -> Result<Option<(OfferRow, i64)>> {
    let verdict = usable_offer(conn, request.shop_id, request.code, request.customer_id, None, request.subtotal)?;
    let Some((currency, verdict)) = verdict else { return Ok(None) };
    let (offer, value) = verdict?;
    let (_, subtotal_minor) = subtotal_in(currency.code(), request.subtotal)?;
    let now = crate::clock::now();
    let used = diesel::update(offers_table::table.find((&offer.shop_id, &offer.id)))
        .filter(offers_table::status.eq(OfferStatus::Active))
        .set((
            offers_table::status.eq(OfferStatus::Used),
            offers_table::order_id.eq(request.order_id),
            offers_table::order_subtotal_minor.eq(subtotal_minor),
            offers_table::updated_at.eq(now),
        ))
        .execute(conn)?;
    if used != 1 {
        return Err(Reason::CodeNotValid("code was used concurrently".into()).into());
    }
    super::limits::release(conn, &offer.shop_id, &offer.campaign_id, offer.reserved_minor)?;
    let off = match value {
        OfferValue::Amount(minor) => minor,
        OfferValue::Shipping(_) => 0,
    };
    let shop = shops::ensure(conn, request.shop_id)?;
    let (shop_id, customer, order) = (request.shop_id, request.customer_id, request.order_id);
    let earned = match earn_rate(&shop, order) {
        Ok(rate) => earn(conn, rate, currency, shop_id, customer, order, (subtotal_minor - off).max(0))?,
        Err(_) => 0,
    };
    let offer = offers::find(conn, shop_id, &offer.id)?.ok_or_else(|| Error::NotFound("offer"))?;
    Ok(Some((offer, earned)))
}

/// Is this code good for this cart? Nothing is written: the shop's currency
/// and the usable claim, or why there is none.
pub(crate) fn validate(
    conn: &mut AnyConnection,
    shop_id: &str,
    code: &str,
    customer_id: &str,
    purchase_type: Option<PurchaseType>,
    subtotal: &str,
) -> Result<(Currency, std::result::Result<ClaimRow, CodeRefusal>)> {
    let currency = shops::currency(conn, shop_id)?;
    let (currency, _) = subtotal_in(currency.code(), subtotal)?;
    let verdict = usable_claim(conn, shop_id, code, customer_id, purchase_type, crate::clock::now())?;
    Ok((currency, verdict))
}

pub struct Redemption {
    pub(crate) claim: ClaimRow,
    pub points_earned: i64,
}

pub struct RedeemRequest<'a> {
    pub shop_id: &'a str,
    pub code: &'a str,
    pub customer_id: &'a str,
    pub order_id: &'a str,
    pub subtotal: &'a str,
}

/// Marks the code used by the order (once) and earns points on what the
/// customer paid, at the shop's earn rate.
pub fn redeem(conn: &mut AnyConnection, request: &RedeemRequest) -> Result<Redemption> {
    let shop = shops::ensure(conn, request.shop_id)?;
    let (currency, subtotal_minor) = subtotal_in(&shop.currency, request.subtotal)?;
    let now = crate::clock::now();
    let claim = usable_claim(conn, request.shop_id, request.code, request.customer_id, None, now)?
        .map_err(|refusal| Reason::CodeNotValid(refusal.0))?;
    let used = diesel::update(claims_table::table.find((&claim.shop_id, &claim.id)))
        .filter(claims_table::status.eq(ClaimStatus::Active))
        .set((
            claims_table::status.eq(ClaimStatus::Used),
            claims_table::order_id.eq(request.order_id),
            claims_table::order_subtotal_minor.eq(subtotal_minor),
            claims_table::used_at.eq(now),
            claims_table::updated_at.eq(now),
        ))
        .execute(conn)?;
    if used != 1 {
        return Err(Reason::CodeNotValid("code was used concurrently".into()).into());
    }
    let paid_minor = (subtotal_minor - claim.value_minor).max(0);
    let points_earned = match earn_rate(&shop, request.order_id) {
        Ok(rate) => earn(conn, rate, currency, request.shop_id, request.customer_id, request.order_id, paid_minor)?,
        Err(_) => 0,
    };
    let claim = claims::find(conn, request.shop_id, &claim.id)?.ok_or_else(|| Error::NotFound("claim"))?;
    Ok(Redemption { claim, points_earned })
}

/// The shop's stored earn rate. One that does not parse earns nothing and
/// says so: a warning naming the shop and the order, and the reason returned.
pub(crate) fn earn_rate(shop: &ShopRow, order_id: &str) -> std::result::Result<EarnRate, String> {
    EarnRate::parse(&shop.earn_points_per_unit).inspect_err(|problem| {
        tracing::warn!(shop = %shop.id, order = order_id, %problem, "stored earn rate unreadable: the order earns no points");
    })
}

/// Points for an order, at most once per order (the ledger's unique index
/// on order and kind decides a race). Returns the points credited.
pub(crate) fn earn(
    conn: &mut AnyConnection,
    rate: EarnRate,
    currency: Currency,
    shop_id: &str,
    customer_id: &str,
    order_id: &str,
    paid_minor: i64,
) -> Result<i64> {
    let points = rate.points_for(paid_minor, currency);
    if points <= 0 {
        return Ok(0);
    }
    customers::ensure(conn, shop_id, customer_id)?;
    let policy = super::lots::policy(conn, shop_id)?;
    if let Some(release_at) = policy.release_at(crate::clock::now(), crate::clock::current().day_length()) {
        return match conn.transaction(|c| super::pending::hold(c, shop_id, customer_id, order_id, points, release_at)) {
            Ok(()) => Ok(points),
            Err(e) if e.is_unique_violation() => Ok(0),
            Err(e) => Err(e),
        };
    }
    let movement = Movement { order_id: Some(order_id), ..Movement::of(EntryKind::Earn) };
    match conn.transaction(|c| customers::credit(c, shop_id, customer_id, points, movement)) {
        Ok(_) => Ok(points),
        Err(e) if e.is_unique_violation() => Ok(0),
        Err(e) => Err(e),
    }
}
