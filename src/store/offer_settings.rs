//! Shop-wide settings of campaigns: the shop's time zone (days of
//! `daily_codes`, birthdays) and the offer guardrails.

use super::schema::shop_offer_settings;
use super::AnyConnection;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use rust_decimal::Decimal;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OfferSettings {
    pub(crate) timezone: String,
    pub(crate) min_hours_between_offers: Option<Decimal>,
    pub(crate) blocked_customers: Vec<String>,
}

impl Default for OfferSettings {
    fn default() -> Self {
        Self { timezone: "UTC".into(), min_hours_between_offers: None, blocked_customers: vec![] }
    }
}

impl OfferSettings {
    pub(crate) fn blocks(&self, customer: &str) -> bool {
        self.blocked_customers.iter().any(|c| c == customer)
    }

    pub(crate) fn tz(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

pub(crate) fn get(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<OfferSettings> {
    let row: Option<(String, Option<String>, String)> = shop_offer_settings::table
        .find(shop_id)
        .select((
            shop_offer_settings::timezone,
            shop_offer_settings::min_hours_between_offers,
            shop_offer_settings::blocked_customers,
        ))
        .get_result(conn)
        .optional()?;
    let Some((timezone, hours, blocked)) = row else { return Ok(OfferSettings::default()) };
    Ok(OfferSettings {
        timezone,
        min_hours_between_offers: hours.and_then(|h| Decimal::from_str(&h).ok()),
        blocked_customers: serde_json::from_str(&blocked).unwrap_or_default(),
    })
}

pub(crate) fn put(
    conn: &mut AnyConnection,
    shop_id: &str,
    settings: &OfferSettings,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let blocked = serde_json::to_string(&settings.blocked_customers).unwrap_or_else(|_| "[]".into());
    let hours = settings.min_hours_between_offers.map(|h| h.normalize().to_string());
    let updated = diesel::update(shop_offer_settings::table.find(shop_id))
        .set((
            shop_offer_settings::timezone.eq(&settings.timezone),
            shop_offer_settings::min_hours_between_offers.eq(&hours),
            shop_offer_settings::blocked_customers.eq(&blocked),
            shop_offer_settings::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(shop_offer_settings::table)
            .values((
                shop_offer_settings::shop_id.eq(shop_id),
                shop_offer_settings::timezone.eq(&settings.timezone),
                shop_offer_settings::min_hours_between_offers.eq(&hours),
                shop_offer_settings::blocked_customers.eq(&blocked),
                shop_offer_settings::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}
