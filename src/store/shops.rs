//! Shops: currency, earn rate and platform connector settings.

use super::error::{Error, Result};
use super::schema::shops;
use super::{is_unique_violation, programs, AnyConnection};
use crate::crypto::{CryptoError, KeyRing};
use crate::domain::money::Currency;
use crate::domain::program::{Channel, ProgramSettings};
use crate::domain::refusal::Reason;
use crate::domain::state::stored_state;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The currency a shop sells in until the merchant sets another.
const INITIAL_CURRENCY: &str = "USD";
stored_state! {
    /// Which commerce platform a shop's codes live on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum PlatformKind("platform kind") {
        /// No platform: codes are live at once, checkout asks us.
        Native = "native",
        Shopify = "shopify",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = shops)]
#[diesel(treat_none_as_null = true)]
pub struct ShopRow {
    pub id: String,
    pub currency: String,
    pub earn_points_per_unit: String,
    pub platform_kind: PlatformKind,
    pub platform_access_token: Option<String>,
    pub(crate) platform_api_version: Option<String>,
    pub(crate) platform_base_url: Option<String>,
    pub platform_enabled: bool,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
    /// BCP 47 tag for numbers and money shown to shoppers, e.g. "de-DE".
    pub(crate) locale: String,
}

impl ShopRow {
    fn initial(id: &str, now: NaiveDateTime) -> Self {
        Self {
            id: id.to_string(),
            currency: INITIAL_CURRENCY.into(),
            earn_points_per_unit: "0".into(),
            platform_kind: PlatformKind::Native,
            platform_access_token: None,
            platform_api_version: None,
            platform_base_url: None,
            platform_enabled: true,
            created_at: now,
            updated_at: now,
            locale: "en-US".into(),
        }
    }

    /// Codes of a native shop are live at once: nothing to push anywhere.
    pub(crate) fn is_native(&self) -> bool {
        self.platform_kind == PlatformKind::Native
    }

    /// Stores an access token sealed under the current key (never in plaintext).
    pub(crate) fn set_access_token(&mut self, keys: &KeyRing, token: &str) -> Result<()> {
        let sealed = keys.seal(&self.id, token).map_err(|e| Reason::InvalidInput(e.to_string()))?;
        self.platform_access_token = Some(sealed);
        Ok(())
    }

    /// A usable connection: Shopify, enabled and a token stored.
    pub(crate) fn is_connected(&self) -> bool {
        self.platform_kind == PlatformKind::Shopify && self.platform_enabled && self.platform_access_token.is_some()
    }
}

/// Install (code grant or token exchange): the shop becomes a connected
/// Shopify shop with this token; its base URL and API version are kept.
pub(crate) fn connect(conn: &mut AnyConnection, shop_id: &str, keys: &KeyRing, token: &str) -> Result<ShopRow> {
    let mut row = ensure(conn, shop_id)?;
    row.set_access_token(keys, token)?;
    row.platform_kind = PlatformKind::Shopify;
    row.platform_enabled = true;
    row.updated_at = crate::clock::now();
    update(conn, &row)?;
    Ok(row)
}

/// What `rotate-key` did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub resealed: usize,
    pub current: usize,
    pub unreadable: Vec<String>,
}

/// Re-seals every stored token under the current key (`only_plaintext`:
/// just the plaintext tokens an older version left, as at start-up). A row
/// changed meanwhile is skipped (the update is conditional on the value read).
pub fn rotate_tokens(conn: &mut AnyConnection, keys: &KeyRing, only_plaintext: bool) -> Result<Rotation> {
    let rows: Vec<(String, Option<String>)> = shops::table
        .filter(shops::platform_access_token.is_not_null())
        .select((shops::id, shops::platform_access_token))
        .load(conn)?;
    let mut done = Rotation::default();
    for (id, value) in rows {
        let Some(value) = value else { continue };
        let id_of = KeyRing::key_id(&value);
        if id_of == Some(keys.current_id()) || (only_plaintext && id_of.is_some()) {
            done.current += 1;
            continue;
        }
        let plain = match keys.open(&id, &value) {
            Ok(plain) => plain,
            Err(CryptoError::NotSealed) => value.clone(),
            Err(_) => {
                done.unreadable.push(id);
                continue;
            }
        };
        let sealed = keys.seal(&id, &plain).map_err(|e| Error::internal_msg(e.to_string()))?;
        let changed = diesel::update(shops::table.find(&id))
            .filter(shops::platform_access_token.eq(&value))
            .set(shops::platform_access_token.eq(sealed))
            .execute(conn)?;
        done.resealed += changed;
    }
    Ok(done)
}

pub fn find(conn: &mut AnyConnection, shop_id: &str) -> QueryResult<Option<ShopRow>> {
    super::on_backend!(conn, |c| shops::table.find(shop_id).select(ShopRow::as_select()).get_result(c).optional())
}

/// The currency the shop sells in: a shop not stored yet sells in the one
/// it will be created with. A stored code the service does not know is an
/// error, never quietly another currency.
pub fn currency(conn: &mut AnyConnection, shop_id: &str) -> Result<Currency> {
    let code = find(conn, shop_id)?.map_or_else(|| INITIAL_CURRENCY.to_string(), |shop| shop.currency);
    Currency::parse(&code).map_err(|problem| Error::internal_msg(format!("shop {shop_id}: stored {problem}")))
}

/// Returns the shop, creating it (USD, earn rate 0, both programs disabled)
/// on first sight. Safe against a concurrent first request.
pub fn ensure(conn: &mut AnyConnection, shop_id: &str) -> Result<ShopRow> {
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
