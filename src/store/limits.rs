//! Limits and budgets as conditional UPDATEs on counter rows: the row is
//! changed only while the limit holds, so two issuers can never both pass
//! (PostgreSQL re-checks the WHERE after waiting on the row lock; SQLite
//! writes are serial). A refusal is an UPDATE of zero rows.

use super::is_unique_violation;
use super::schema::{campaign_buckets, campaign_counters, campaign_customer_counts, customer_facts};
use super::AnyConnection;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

fn insert_ignoring_duplicate(
    conn: &mut AnyConnection,
    insert: impl FnOnce(&mut AnyConnection) -> QueryResult<usize>,
) -> QueryResult<()> {
    match conn.transaction(insert) {
        Err(e) if !is_unique_violation(&e) => Err(e),
        _ => Ok(()),
    }
}

/// At most one offer per customer per `hours` across campaigns; stamps the
/// customer's last offer time when it passes (always, without a window).
pub(crate) fn take_offer_slot(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    window: Option<Duration>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    super::events::ensure_facts(conn, shop_id, customer, now)?;
    let row = customer_facts::table.find((shop_id, customer));
    let updated = match window {
        Some(window) => diesel::update(row)
            .filter(customer_facts::last_offer_at.is_null().or(customer_facts::last_offer_at.le(now - window)))
            .set(customer_facts::last_offer_at.eq(now))
            .execute(conn)?,
        None => diesel::update(row).set(customer_facts::last_offer_at.eq(now)).execute(conn)?,
    };
    Ok(updated == 1)
}

/// `per_customer` codes per `days` window (the window opens at the first
/// code and restarts once it has passed; no window = ever).
pub(crate) fn take_customer_code(
    conn: &mut AnyConnection,
    shop_id: &str,
    campaign: &str,
    customer: &str,
    limit: i64,
    days: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    insert_ignoring_duplicate(conn, |c| {
        diesel::insert_into(campaign_customer_counts::table)
            .values((
                campaign_customer_counts::shop_id.eq(shop_id),
                campaign_customer_counts::campaign_id.eq(campaign),
                campaign_customer_counts::customer_id.eq(customer),
                campaign_customer_counts::window_start.eq(now),
                campaign_customer_counts::codes.eq(0_i64),
            ))
            .execute(c)
    })?;
    let row = campaign_customer_counts::table.find((shop_id, campaign, customer));
    if let Some(days) = days {
        diesel::update(row)
            .filter(campaign_customer_counts::window_start.le(now - Duration::days(days)))
            .set((campaign_customer_counts::window_start.eq(now), campaign_customer_counts::codes.eq(0_i64)))
            .execute(conn)?;
    }
    let taken = diesel::update(row)
        .filter(campaign_customer_counts::codes.lt(limit))
        .set(campaign_customer_counts::codes.eq(campaign_customer_counts::codes + 1))
        .execute(conn)?;
    Ok(taken == 1)
}

/// One more code in `bucket` while fewer than `limit` are counted there.
pub(crate) fn take_bucket(
    conn: &mut AnyConnection,
    shop_id: &str,
    campaign: &str,
    bucket: &str,
    limit: i64,
) -> QueryResult<bool> {
    insert_ignoring_duplicate(conn, |c| {
        diesel::insert_into(campaign_buckets::table)
            .values((
                campaign_buckets::shop_id.eq(shop_id),
                campaign_buckets::campaign_id.eq(campaign),
                campaign_buckets::bucket.eq(bucket),
                campaign_buckets::codes.eq(0_i64),
            ))
            .execute(c)
    })?;
    let taken = diesel::update(campaign_buckets::table.find((shop_id, campaign, bucket)))
        .filter(campaign_buckets::codes.lt(limit))
        .set(campaign_buckets::codes.eq(campaign_buckets::codes + 1))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Reserves `value` against the outstanding cap and adds it to the total,
/// only while both caps hold after the addition.
pub(crate) fn reserve(
    conn: &mut AnyConnection,
    shop_id: &str,
    campaign: &str,
    value: i64,
    max_outstanding: Option<i64>,
    max_total: Option<i64>,
) -> QueryResult<bool> {
    let mut update = diesel::update(campaign_counters::table.find((shop_id, campaign))).into_boxed();
    if let Some(cap) = max_outstanding {
        update = update.filter(campaign_counters::reserved_minor.le(cap - value));
    }
    if let Some(cap) = max_total {
        update = update.filter(campaign_counters::total_minor.le(cap - value));
    }
    let taken = update
        .set((
            campaign_counters::reserved_minor.eq(campaign_counters::reserved_minor + value),
            campaign_counters::total_minor.eq(campaign_counters::total_minor + value),
        ))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Gives back an offer's reservation (used, expired, deleted, failed). The
/// caller changes the offer's status in the same transaction with a
/// conditional UPDATE, so this runs once per offer.
pub fn release(conn: &mut AnyConnection, shop_id: &str, campaign: &str, value: i64) -> QueryResult<()> {
    if value == 0 {
        return Ok(());
    }
    diesel::update(campaign_counters::table.find((shop_id, campaign)))
        .set(campaign_counters::reserved_minor.eq(campaign_counters::reserved_minor - value))
        .execute(conn)
        .map(|_| ())
}
