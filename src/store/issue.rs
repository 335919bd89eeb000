//! Issuing a due offer, in ONE transaction: re-check the campaign, the
//! audience, the shop's guardrails, the holdout group, every limit and
//! budget (conditional updates, rolled back together on a refusal), then
//! write the code. PostgreSQL instances share the queue with SKIP LOCKED.

use super::campaigns::{self, Campaign};
use super::error::{Error, Result};
use super::offer_settings::{self, OfferSettings};
use super::offers::{OfferRow, OfferStatus};
use super::outbox::OutboxAction;
use super::schema::{customer_facts, offers};
use super::{claims, limits, shops, AnyConnection};
use crate::domain::code_template;
use crate::domain::notify::EventType;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

pub(crate) mod reason {
    pub(crate) const LIMIT_REACHED: &str = "limit_reached";
    pub(crate) const BUDGET_EXHAUSTED: &str = "budget_exhausted";
    pub(crate) const CUSTOMER_BLOCKED: &str = "customer_blocked";
    pub(crate) const CAMPAIGN_INACTIVE: &str = "campaign_inactive";
    /// The campaign paused itself (kill switch, stop-loss): its `paused_reason` says why.
    pub(crate) const CAMPAIGN_PAUSED: &str = "campaign_paused";
    pub(crate) const NOT_ELIGIBLE: &str = "not_eligible";
    pub(crate) const TOO_SOON: &str = "too_soon";
    /// The kill switch's record on the campaign.
    pub(crate) const CODES_PER_HOUR: &str = "max_codes_per_hour exceeded";
}

/// What happened to one due offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Issued {
        code: String,
        pending: bool,
    },
    HeldOut,
    Refused(&'static str),
    /// The kill switch tripped on this offer: campaign paused, offer refused.
    Paused,
}

/// Why an issue attempt stopped inside its savepoint.
enum Stop {
    Refused(&'static str),
    Pause,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Db(e)
    }
}

/// Issues (or records why not) one claimed offer.
pub(crate) fn issue(conn: &mut AnyConnection, offer: &OfferRow, now: NaiveDateTime) -> Result<Outcome> {
    let shop = &offer.shop_id;
    let guard = offer_settings::get(conn, shop)?;
    let campaign = campaigns::find(conn, shop, &offer.campaign_id)?;
    if campaign.as_ref().is_some_and(|c| !c.active() && c.row.paused_reason.is_some()) {
        return refuse(conn, offer, campaign.as_ref(), reason::CAMPAIGN_PAUSED, now);
    }
    let Some(campaign) = campaign.filter(|c| c.active() && c.settings.in_schedule(now)) else {
        return refuse(conn, offer, None, reason::CAMPAIGN_INACTIVE, now);
    };
    if !campaign.settings.eligible(&offer.customer_id, false) {
        return refuse(conn, offer, Some(&campaign), reason::NOT_ELIGIBLE, now);
    }
    if guard.blocks(&offer.customer_id) {
        return refuse(conn, offer, Some(&campaign), reason::CUSTOMER_BLOCKED, now);
    }
    if code_template::held_out(&campaign.row.id, &offer.customer_id, campaign.settings.holdout_percent) {
        finish(conn, offer, &campaign, OfferStatus::HeldOut, None, now)?;
        return Ok(Outcome::HeldOut);
    }
    match conn.transaction(|c| take_limits(c, offer, &campaign, &guard, now)) {
        Ok(()) => {}
        Err(Stop::Refused(why)) => return refuse(conn, offer, Some(&campaign), why, now),
        Err(Stop::Pause) => {
            if campaigns::pause(conn, shop, &campaign.row.id, reason::CODES_PER_HOUR, now)? {
                let data = serde_json::json!({
                    "campaign_id": campaign.row.id, "name": campaign.settings.name, "reason": reason::CODES_PER_HOUR,
                });
                super::notify::enqueue(conn, shop, EventType::CampaignPaused, data, now)?;
            }
            refuse(conn, offer, Some(&campaign), reason::CAMPAIGN_PAUSED, now)?;
            return Ok(Outcome::Paused);
        }
        Err(Stop::Db(e)) => return Err(e.into()),
    }
    write_code(conn, offer, &campaign, now)
}

fn take_limits(
    conn: &mut AnyConnection,
    offer: &OfferRow,
    campaign: &Campaign,
    guard: &OfferSettings,
    now: NaiveDateTime,
) -> std::result::Result<(), Stop> {
    let (shop, id, customer) = (&offer.shop_id, &campaign.row.id, &offer.customer_id);
    let limits = &campaign.settings.limits;
    let window = guard.min_hours_between_offers.map(|h| {
        let seconds = i64::try_from((h * rust_decimal::Decimal::from(3600)).trunc()).unwrap_or(0);
        Duration::seconds(seconds)
    });
    if !limits::take_offer_slot(conn, shop, customer, window, now)? {
        return Err(Stop::Refused(reason::TOO_SOON));
    }
    if let Some(max) = limits.per_customer {
        if !limits::take_customer_code(conn, shop, id, customer, max, limits.per_customer_days, now)? {
            return Err(Stop::Refused(reason::LIMIT_REACHED));
        }
    }
    if let Some(max) = limits.daily_codes {
        let day = now.and_utc().with_timezone(&guard.tz()).format("d:%Y-%m-%d").to_string();
        if !limits::take_bucket(conn, shop, id, &day, max)? {
            return Err(Stop::Refused(reason::LIMIT_REACHED));
        }
    }
    if let Some(max) = limits.max_codes_per_hour {
        let hour = format!("h:{}", now.format("%Y-%m-%dT%H"));
        if !limits::take_bucket(conn, shop, id, &hour, max)? {
            return Err(Stop::Pause);
        }
    }
    let value = campaign.settings.reserve_minor();
    let (out, total) = (limits.max_outstanding_value_minor, limits.max_total_value_minor);
    if !limits::reserve(conn, shop, id, value, out, total)? {
        return Err(Stop::Refused(reason::BUDGET_EXHAUSTED));
    }
    Ok(())
}

fn refuse(
    conn: &mut AnyConnection,
    offer: &OfferRow,
    campaign: Option<&Campaign>,
    why: &'static str,
    now: NaiveDateTime,
) -> Result<Outcome> {
    let version = campaign.map_or(offer.campaign_version, |c| c.row.version);
    diesel::update(offers::table.find((&offer.shop_id, &offer.id)))
        .filter(offers::status.eq(OfferStatus::Scheduled))
        .set((
            offers::status.eq(OfferStatus::Refused),
            offers::reason.eq(why),
            offers::campaign_version.eq(version),
            offers::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(Outcome::Refused(why))
}

fn finish(
    conn: &mut AnyConnection,
    offer: &OfferRow,
    campaign: &Campaign,
    to: OfferStatus,
    code: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let discount = serde_json::to_string(&campaign.settings.discount).ok();
    let issued = code.is_some();
    let expires = issued.then(|| now + Duration::seconds(campaign.settings.lifetime_seconds()));
    let reserved = if issued { campaign.settings.reserve_minor() } else { 0 };
    diesel::update(offers::table.find((&offer.shop_id, &offer.id)))
        .filter(offers::status.eq(OfferStatus::Scheduled))
        .set((
            offers::status.eq(to),
            offers::code.eq(code),
            offers::discount.eq(discount),
            offers::campaign_version.eq(campaign.row.version),
            offers::reserved_minor.eq(reserved),
            offers::value_minor.eq(reserved),
            offers::issued_at.eq(issued.then_some(now)),
            offers::expires_at.eq(expires),
            offers::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Writes a fresh code; a collision (unique index) draws another.
fn write_code(conn: &mut AnyConnection, offer: &OfferRow, campaign: &Campaign, now: NaiveDateTime) -> Result<Outcome> {
    let shop = shops::ensure(conn, &offer.shop_id)?;
    let pending = !shop.is_native();
    let to = if pending { OfferStatus::Pending } else { OfferStatus::Active };
    let first_name: Option<String> = customer_facts::table
        .find((&offer.shop_id, &offer.customer_id))
        .select(customer_facts::first_name)
        .get_result::<Option<String>>(conn)
        .optional()?
        .flatten();
    let template = &campaign.settings.code;
    for _ in 0..8 {
        let code = code_template::render(
            &template.template,
            template.random_length,
            first_name.as_deref(),
            template.prefix.as_deref(),
            &mut rand::thread_rng(),
        );
        if claims::find_by_code(conn, &offer.shop_id, &code)?.is_some() {
            continue;
        }
        match conn.transaction(|c| finish(c, offer, campaign, to, Some(&code), now)) {
            Ok(_) => {
                if pending {
                    // Pushed to the platform exactly once by the relay.
                    super::outbox::enqueue_due_now(conn, &offer.shop_id, &offer.id, OutboxAction::OfferCreate)?;
                }
                notify_issued(conn, offer, campaign, &code, now)?;
                return Ok(Outcome::Issued { code, pending });
            }
            Err(e) if super::is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::internal_msg("no free code after 8 draws"))
}

/// `offer.issued` to the merchant's own tools (a no-op without a notify URL).
fn notify_issued(
    conn: &mut AnyConnection,
    offer: &OfferRow,
    campaign: &Campaign,
    code: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let d = &campaign.settings.discount;
    let money = |minor: Option<i64>| {
        minor.map(|m| crate::domain::money::Currency::parse(&d.currency).map_or(m.to_string(), |c| c.format_minor(m)))
    };
    let value = match d.kind {
        crate::domain::campaign::DiscountKind::FixedAmount => money(d.amount_minor),
        crate::domain::campaign::DiscountKind::Percentage => d.percentage.map(|p| p.normalize().to_string()),
        crate::domain::campaign::DiscountKind::FreeShipping => money(d.max_shipping_minor),
    };
    let expires = now + Duration::seconds(campaign.settings.lifetime_seconds());
    let data = serde_json::json!({
        "offer_id": offer.id,
        "campaign_id": campaign.row.id,
        "customer_id": offer.customer_id,
        "code": code,
        "discount": {"kind": d.kind.as_str(), "value": value, "min_subtotal": money(d.min_subtotal_minor), "currency": d.currency},
        "expires_at": expires.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    });
    super::notify::enqueue(conn, &offer.shop_id, EventType::OfferIssued, data, now)
}
