//! Shops: currency, earn rate and platform connector settings.

use super::schema::shops;
use super::{is_unique_violation, programs, AnyConnection};
use crate::domain::program::{Channel, ProgramSettings};
use crate::error::AppResult;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const NATIVE: &str = "native";
pub const SHOPIFY: &str = "shopify";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = shops)]
#[diesel(treat_none_as_null = true)]
pub struct ShopRow {
    pub id: String,
    pub currency: String,
    pub earn_points_per_unit: String,
    pub platform_kind: String,
    pub platform_access_token: Option<String>,
    pub platform_api_version: Option<String>,
    pub platform_base_url: Option<String>,
    pub platform_enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ShopRow {
    fn initial(id: &str, now: NaiveDateTime) -> Self {
        Self {
            id: id.to_string(),
            currency: "USD".into(),
            earn_points_per_unit: "0".into(),
            platform_kind: NATIVE.into(),
            platform_access_token: None,
            platform_api_version: None,
            platform_base_url: None,
            platform_enabled: true,
            created_at: now,
            updated_at: now,
        }
    }

    /// Codes of a native shop are live at once: nothing to push anywhere.
    pub fn is_native(&self) -> bool {
        self.platform_kind == NATIVE
    }

    /// How to reach the shop's platform; None for native or disconnected
    /// (uninstalled) shops. `base_url` defaults to `https://{shop}`.
    pub fn platform_creds(&self, default_version: &str) -> Option<crate::platform::shopify::ShopCreds> {
        if self.is_native() || !self.platform_enabled {
            return None;
        }
        Some(crate::platform::shopify::ShopCreds {
            shop: self.id.clone(),
            base_url: self.platform_base_url.clone().unwrap_or_else(|| format!("https://{}", self.id)),
            access_token: self.platform_access_token.clone()?,
            api_version: self.platform_api_version.clone().unwrap_or_else(|| default_version.to_string()),
        })
    }
}

pub fn find(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Option<ShopRow>> {
    shops::table.find(shop_id).select(ShopRow::as_select()).get_result(conn).optional()
}

/// Returns the shop, creating it (USD, earn rate 0, both programs disabled)
/// on first sight. Safe against a concurrent first request.
pub fn ensure(conn: &mut AnyConnection, shop_id: &str) -> AppResult<ShopRow> {
    if let Some(shop) = find(conn, shop_id)? {
        return Ok(shop);
    }
    let now = crate::clock::now();
    let row = ShopRow::initial(shop_id, now);
    let created = conn.transaction(|c| {
        diesel::insert_into(shops::table).values(&row).execute(c)?;
        for channel in [Channel::Online, Channel::Pos] {
            programs::insert_version(c, shop_id, channel, 1, &ProgramSettings::initial(), now)?;
        }
        Ok::<_, diesel::result::Error>(())
    });
    match created {
        Ok(()) => Ok(row),
        Err(e) if is_unique_violation(&e) => Ok(find(conn, shop_id)?.ok_or(e)?),
        Err(e) => Err(e.into()),
    }
}

pub fn update(conn: &mut AnyConnection, row: &ShopRow) -> QueryResult<()> {
    diesel::update(shops::table.find(&row.id)).set(row).execute(conn).map(|_| ())
}
