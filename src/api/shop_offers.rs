//! The campaign sections of the shop settings (`timezone`, `offers`): read
//! and written next to `PUT /api/v1/admin/shop`; a section left out of the
//! body stays as it was.

use crate::domain::ids::CustomerId;
use crate::error::AppResult;
use crate::store::offer_settings::{self, OfferSettings};
use crate::store::AnyConnection;
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::str::FromStr;
use utoipa::ToSchema;

const MAX_BLOCKED: usize = 10_000;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct OffersView {
    /// At most one offer per customer in this many hours, across campaigns (null = no cap).
    #[schema(value_type = Option<f64>)]
    pub(crate) min_hours_between_offers: Option<Value>,
    pub(crate) blocked_customers: Vec<String>,
}

impl From<&OfferSettings> for OffersView {
    fn from(s: &OfferSettings) -> Self {
        let hours = s.min_hours_between_offers.map(|h| {
            let text = h.normalize().to_string();
            serde_json::from_str::<serde_json::Number>(&text).map_or(Value::String(text), Value::Number)
        });
        Self { min_hours_between_offers: hours, blocked_customers: s.blocked_customers.clone() }
    }
}

/// The stored sections, for the shop view.
pub(crate) fn read(conn: &mut AnyConnection, shop: &str) -> AppResult<(String, OffersView)> {
    let settings = offer_settings::get(conn, shop)?;
    Ok((settings.timezone.clone(), OffersView::from(&settings)))
}

/// Validates the sections present in the body against the stored ones.
pub(crate) fn parse(
    conn: &mut AnyConnection,
    shop: &str,
    timezone: Option<String>,
    offers: Option<Value>,
    fields: &mut BTreeMap<String, String>,
) -> AppResult<Option<OfferSettings>> {
    if timezone.is_none() && offers.is_none() {
        return Ok(None);
    }
    let mut settings = offer_settings::get(conn, shop)?;
    if let Some(tz) = timezone {
        match tz.trim().parse::<chrono_tz::Tz>() {
            Ok(zone) => settings.timezone = zone.name().to_string(),
            Err(_) => drop(fields.insert("timezone".to_string(), "an IANA time zone such as Europe/Paris".to_string())),
        }
    }
    if let Some(offers) = offers {
        parse_offers(&offers, &mut settings, fields);
    }
    Ok(Some(settings))
}

fn parse_offers(offers: &Value, settings: &mut OfferSettings, fields: &mut BTreeMap<String, String>) {
    let Some(object) = offers.as_object() else {
        fields.insert("offers".into(), "must be an object".into());
        return;
    };
    for key in object.keys().filter(|k| !["min_hours_between_offers", "blocked_customers"].contains(&k.as_str())) {
        fields.insert(format!("offers.{key}"), "unknown field".into());
    }
    if let Some(hours) = object.get("min_hours_between_offers") {
        let parsed = match hours {
            Value::Null => Ok(None),
            Value::Number(n) => Decimal::from_str(&n.to_string()).map(Some).map_err(|_| ()),
            Value::String(s) => Decimal::from_str(s.trim()).map(Some).map_err(|_| ()),
            _ => Err(()),
        };
        match parsed {
            Ok(h) if h.is_none_or(|h| h >= Decimal::ZERO && h <= Decimal::from(24 * 366)) => {
                settings.min_hours_between_offers = h.filter(|h| !h.is_zero())
            }
            _ => drop(fields.insert("offers.min_hours_between_offers".into(), "hours from 0 to 8784, or null".into())),
        }
    }
    if let Some(blocked) = object.get("blocked_customers") {
        let ids: Option<Vec<String>> = blocked.as_array().and_then(|items| {
            items
                .iter()
                .map(|v| v.as_str().and_then(|s| CustomerId::parse(s).ok()).map(CustomerId::into_string))
                .collect()
        });
        match ids {
            Some(mut ids) if ids.len() <= MAX_BLOCKED => {
                ids.sort();
                ids.dedup();
                settings.blocked_customers = ids;
            }
            _ => drop(
                fields
                    .insert("offers.blocked_customers".into(), format!("a list of at most {MAX_BLOCKED} customer ids")),
            ),
        }
    }
}

pub(crate) fn save(conn: &mut AnyConnection, shop: &str, settings: &OfferSettings) -> AppResult<()> {
    Ok(offer_settings::put(conn, shop, settings, Utc::now().naive_utc())?)
}
