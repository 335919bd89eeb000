//! Campaigns: the current settings on one row (its version, whether it is
//! enabled or paused) and every saved version; a counter row per campaign.

use super::error::{Error, Result};
use super::page::Keyset;
use super::schema::{campaign_counters, campaign_versions, campaigns};
use super::AnyConnection;
use crate::domain::campaign::CampaignSettings;
use crate::domain::ids::new_id;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub(crate) struct CampaignRow {
    pub(crate) id: String,
    pub(crate) version: i64,
    pub(crate) enabled: bool,
    pub(crate) paused_reason: Option<String>,
    pub(crate) settings: String,
    pub(crate) created_at: NaiveDateTime,
    pub(crate) updated_at: NaiveDateTime,
}

/// A campaign with its parsed settings.
#[derive(Debug, Clone)]
pub(crate) struct Campaign {
    pub(crate) row: CampaignRow,
    pub(crate) settings: CampaignSettings,
}

impl Campaign {
    fn from_row(row: CampaignRow) -> Result<Self> {
        let settings = parse(&row.settings)?;
        Ok(Self { row, settings })
    }

    /// Enabled and not paused by its kill switch.
    pub(crate) fn active(&self) -> bool {
        self.row.enabled
    }
}

fn parse(json: &str) -> Result<CampaignSettings> {
    serde_json::from_str(json).map_err(Error::internal)
}

fn to_json(settings: &CampaignSettings) -> QueryResult<String> {
    serde_json::to_string(settings).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

fn insert_version(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    version: i64,
    json: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(campaign_versions::table)
        .values((
            campaign_versions::shop_id.eq(shop_id),
            campaign_versions::campaign_id.eq(id),
            campaign_versions::version.eq(version),
            campaign_versions::settings.eq(json),
            campaign_versions::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub(crate) fn create(
    conn: &mut AnyConnection,
    shop_id: &str,
    settings: &CampaignSettings,
    now: NaiveDateTime,
) -> Result<Campaign> {
    let id = new_id();
    let json = to_json(settings)?;
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::shop_id.eq(shop_id),
            campaigns::id.eq(&id),
            campaigns::version.eq(1_i64),
            campaigns::enabled.eq(settings.enabled),
            campaigns::settings.eq(&json),
            campaigns::created_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)?;
    insert_version(conn, shop_id, &id, 1, &json, now)?;
    diesel::insert_into(campaign_counters::table)
        .values((
            campaign_counters::shop_id.eq(shop_id),
            campaign_counters::campaign_id.eq(&id),
            campaign_counters::reserved_minor.eq(0_i64),
            campaign_counters::total_minor.eq(0_i64),
        ))
        .execute(conn)?;
    find(conn, shop_id, &id)?.ok_or_else(|| Error::internal_msg("campaign vanished"))
}

pub(crate) fn find(conn: &mut AnyConnection, shop_id: &str, id: &str) -> Result<Option<Campaign>> {
    let row = campaigns::table.find((shop_id, id)).select(CampaignRow::as_select()).get_result(conn).optional()?;
    row.map(Campaign::from_row).transpose()
}

/// A page of a shop's campaigns, oldest first, `limit` rows after `after`
/// (keyset on the UUIDv7 id: one created between two pages comes later).
pub(crate) fn list(
    conn: &mut AnyConnection,
    shop_id: &str,
    after: Option<&Keyset>,
    limit: i64,
) -> Result<Vec<Campaign>> {
    let mut query = campaigns::table
        .filter(campaigns::shop_id.eq(shop_id))
        .order(campaigns::id.asc())
        .limit(limit)
        .select(CampaignRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(campaigns::id.gt(after.id.clone()));
    }
    let rows: Vec<CampaignRow> = query.load(conn)?;
    rows.into_iter().map(Campaign::from_row).collect()
}

/// The keyset of a campaign, for the next page.
pub(crate) fn campaign_key(campaign: &Campaign) -> Keyset {
    Keyset { created_at: campaign.row.created_at, id: campaign.row.id.clone() }
}

/// The enabled campaigns of a shop (events match against these).
pub(crate) fn enabled(conn: &mut AnyConnection, shop_id: &str) -> Result<Vec<Campaign>> {
    let rows: Vec<CampaignRow> = campaigns::table
        .filter(campaigns::shop_id.eq(shop_id))
        .filter(campaigns::enabled.eq(true))
        .select(CampaignRow::as_select())
        .load(conn)?;
    rows.into_iter().map(Campaign::from_row).collect()
}

/// Saves `settings` as the next version. The version bump is one UPDATE on
/// the campaign row, so concurrent saves queue on its lock and each gets its
/// own number. Saving with `enabled: true` resumes a paused campaign.
pub(crate) fn save(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    settings: &CampaignSettings,
    now: NaiveDateTime,
) -> Result<Option<Campaign>> {
    let json = to_json(settings)?;
    let updated = diesel::update(campaigns::table.find((shop_id, id)))
        .set((
            campaigns::version.eq(campaigns::version + 1),
            campaigns::enabled.eq(settings.enabled),
            campaigns::paused_reason.eq(None::<String>),
            campaigns::settings.eq(&json),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        return Ok(None);
    }
    let Some(campaign) = find(conn, shop_id, id)? else { return Ok(None) };
    insert_version(conn, shop_id, id, campaign.row.version, &json, now)?;
    Ok(Some(campaign))
}

/// The kill switch: disables the campaign and records why (once).
pub(crate) fn pause(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(campaigns::table.find((shop_id, id)))
        .filter(campaigns::enabled.eq(true))
        .set((campaigns::enabled.eq(false), campaigns::paused_reason.eq(reason), campaigns::updated_at.eq(now)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Money reserved by open offers and ever issued, in minor units.
pub fn counters(conn: &mut AnyConnection, shop_id: &str, id: &str) -> QueryResult<(i64, i64)> {
    campaign_counters::table
        .find((shop_id, id))
        .select((campaign_counters::reserved_minor, campaign_counters::total_minor))
        .get_result(conn)
}
