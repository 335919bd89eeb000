//! The scheduled win-back / birthday scan: a keyset walk
//! over `customer_facts` by (shop, customer) in pages, its place kept in
//! `campaign_scans`, so a pass is bounded and the next pass (or the next
//! process) resumes where it stopped. A customer found is stamped by a
//! conditional UPDATE (`win_back_at` / `birthday_year`) in the same
//! transaction as its event, so two scanners never both fire.

use super::error::Result;
use super::schema::{campaign_scans, campaigns as campaigns_table, customer_facts};
use super::{campaigns, events, offer_settings, AnyConnection};
use crate::domain::campaign::TriggerKind;
use crate::domain::event::{Event, EventKind, EventSource};
use crate::domain::scan;
use chrono::{Datelike, Duration, NaiveDateTime};
use diesel::prelude::*;

/// Where a shop's scan stands after one page.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Page {
    pub(crate) visited: usize,
    pub(crate) found: usize,
    /// The cycle finished (or was not due): no more pages this pass.
    pub(crate) done: bool,
}

/// Shops with an enabled win_back or birthday campaign.
pub(crate) fn shops_to_scan(conn: &mut AnyConnection) -> Result<Vec<String>> {
    let shops: Vec<String> = campaigns_table::table
        .filter(campaigns_table::enabled.eq(true))
        .select(campaigns_table::shop_id)
        .distinct()
        .load(conn)?;
    let mut wanted = Vec::new();
    for shop in shops {
        if what(conn, &shop, Duration::days(1))? != (None, false) {
            wanted.push(shop);
        }
    }
    Ok(wanted)
}

/// The shortest win-back window of the shop's enabled campaigns, and
/// whether any birthday campaign is enabled.
fn what(conn: &mut AnyConnection, shop_id: &str, day: Duration) -> Result<(Option<Duration>, bool)> {
    let mut window: Option<i64> = None;
    let mut birthdays = false;
    for campaign in campaigns::enabled(conn, shop_id)? {
        let trigger = &campaign.settings.trigger;
        match trigger.kind {
            TriggerKind::WinBack => {
                let days = trigger.inactive_days.unwrap_or(90).max(1);
                window = Some(window.map_or(days, |w| w.min(days)));
            }
            TriggerKind::Birthday => birthdays = true,
            _ => {}
        }
    }
    Ok((window.map(|days| day * i32::try_from(days).unwrap_or(i32::MAX)), birthdays))
}

type FactRow = (String, Option<NaiveDateTime>, Option<NaiveDateTime>, Option<String>, Option<i32>);

/// One page of the shop's cycle (at most `limit` customers), in the
/// caller's transaction. A finished cycle rests for `scan::cycle_pause`.
pub(crate) fn page(
    conn: &mut AnyConnection,
    shop_id: &str,
    now: NaiveDateTime,
    day: Duration,
    limit: i64,
) -> Result<Page> {
    let state: Option<(Option<String>, NaiveDateTime)> = campaign_scans::table
        .find(shop_id)
        .select((campaign_scans::cursor_customer, campaign_scans::next_cycle_at))
        .first(conn)
        .optional()?;
    let cursor = match state {
        Some((None, next)) if next > now => return Ok(Page { done: true, ..Page::default() }),
        Some((cursor, _)) => cursor,
        None => None,
    };
    let (window, birthdays) = what(conn, shop_id, day)?;
    let today = now.and_utc().with_timezone(&offer_settings::get(conn, shop_id)?.tz()).date_naive();
    let mut query = customer_facts::table
        .filter(customer_facts::shop_id.eq(shop_id))
        .order(customer_facts::customer_id.asc())
        .limit(limit)
        .select((
            customer_facts::customer_id,
            customer_facts::last_order_at,
            customer_facts::win_back_at,
            customer_facts::birthday,
            customer_facts::birthday_year,
        ))
        .into_boxed();
    if let Some(after) = &cursor {
        query = query.filter(customer_facts::customer_id.gt(after.clone()));
    }
    let rows: Vec<FactRow> = query.load(conn)?;
    let mut found = 0;
    for (customer, last_order, win_back_at, birthday, birthday_year) in &rows {
        if window.is_some_and(|w| scan::win_back_due(*last_order, *win_back_at, now, w)) {
            found += usize::from(win_back(conn, shop_id, customer, *last_order, now)?);
        }
        if birthdays && scan::birthday_due(birthday.as_deref(), *birthday_year, today) {
            found += usize::from(birthday_found(conn, shop_id, customer, today.year(), now)?);
        }
    }
    let done = (rows.len() as i64) < limit;
    let next_cursor = if done { None } else { rows.last().map(|r| r.0.clone()) };
    save(conn, shop_id, next_cursor, now + scan::cycle_pause(day), now)?;
    Ok(Page { visited: rows.len(), found, done })
}

fn save(
    conn: &mut AnyConnection,
    shop_id: &str,
    cursor: Option<String>,
    next_cycle_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(campaign_scans::table.find(shop_id))
        .set((
            campaign_scans::cursor_customer.eq(&cursor),
            campaign_scans::next_cycle_at.eq(next_cycle_at),
            campaign_scans::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(campaign_scans::table)
            .values((
                campaign_scans::shop_id.eq(shop_id),
                campaign_scans::cursor_customer.eq(&cursor),
                campaign_scans::next_cycle_at.eq(next_cycle_at),
                campaign_scans::updated_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Stamps the win-back of this inactivity period (only if no order came
/// meanwhile) and ingests the event; false when someone else did.
fn win_back(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    last_order: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<bool> {
    let stamped = diesel::update(customer_facts::table.find((shop_id, customer)))
        .filter(customer_facts::win_back_at.is_null())
        .filter(customer_facts::last_order_at.eq(last_order))
        .set(customer_facts::win_back_at.eq(now))
        .execute(conn)?;
    if stamped == 1 {
        events::ingest(conn, shop_id, &Event::new(customer.to_string(), EventKind::WinBack), EventSource::Scan, now)?;
    }
    Ok(stamped == 1)
}

fn birthday_found(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    year: i32,
    now: NaiveDateTime,
) -> Result<bool> {
    let stamped = diesel::update(customer_facts::table.find((shop_id, customer)))
        .filter(customer_facts::birthday_year.is_null().or(customer_facts::birthday_year.ne(year)))
        .set(customer_facts::birthday_year.eq(year))
        .execute(conn)?;
    if stamped == 1 {
        events::ingest(conn, shop_id, &Event::new(customer.to_string(), EventKind::Birthday), EventSource::Scan, now)?;
    }
    Ok(stamped == 1)
}
