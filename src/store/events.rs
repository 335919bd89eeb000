//! Events in: stored once, customer facts kept, and each matching enabled
//! campaign schedules an offer (one per event and campaign, by index).

use super::campaigns::{self, Campaign};
use super::error::Result;
use super::offers::{self, OfferRow, OfferStatus};
use super::schema::{campaign_events, customer_facts};
use super::{is_unique_violation, AnyConnection};
use crate::domain::campaign::TriggerKind;
use crate::domain::event::{Event, EventKind, EventSource};
use crate::domain::ids::new_id;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

pub(crate) struct Ingested {
    pub(crate) event_id: String,
    pub(crate) matched_campaigns: usize,
}

/// Stores `event` and schedules its offers, in the caller's transaction.
pub(crate) fn ingest(
    conn: &mut AnyConnection,
    shop_id: &str,
    event: &Event,
    source: EventSource,
    now: NaiveDateTime,
) -> Result<Ingested> {
    let occurred_at = event.occurred_at.unwrap_or(now);
    let event_id = new_id();
    insert_event(conn, shop_id, &event_id, event, source, occurred_at, now)?;
    // The customer can be found and opened from now on, with what the event says about them.
    super::shops::ensure(conn, shop_id)?;
    super::profiles::remember(conn, shop_id, &event.customer_id, &event.profile(), now)?;
    let order_count = update_facts(conn, shop_id, event, occurred_at, now)?;
    let kinds = triggers(conn, shop_id, event, now)?;
    if event.kind == EventKind::Order {
        offers::cancel_carts(conn, shop_id, &event.customer_id, None, now)?;
    }
    if let Some(cart) = &event.cancels {
        offers::cancel_carts(conn, shop_id, &event.customer_id, Some(cart), now)?;
    }
    let mut matched = 0;
    for campaign in campaigns::enabled(conn, shop_id)? {
        if matches(&campaign, event, &kinds, order_count) {
            schedule(conn, shop_id, &campaign, &event_id, event, occurred_at, now)?;
            matched += 1;
        }
    }
    Ok(Ingested { event_id, matched_campaigns: matched })
}

/// A platform order, stored once per order id: the same order delivered
/// again (another webhook id, or both orders/paid and a retry) changes
/// nothing. None when it was seen before.
pub(crate) fn ingest_order_once(
    conn: &mut AnyConnection,
    shop_id: &str,
    event: &Event,
    source: EventSource,
    now: NaiveDateTime,
) -> Result<Option<Ingested>> {
    let seen: i64 = campaign_events::table
        .filter(campaign_events::shop_id.eq(shop_id))
        .filter(campaign_events::customer_id.eq(&event.customer_id))
        .filter(campaign_events::kind.eq(EventKind::Order))
        .filter(campaign_events::order_id.eq(&event.order_id))
        .count()
        .get_result(conn)?;
    if seen > 0 {
        return Ok(None);
    }
    ingest(conn, shop_id, event, source, now).map(Some)
}

fn insert_event(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    event: &Event,
    source: EventSource,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(campaign_events::table)
        .values((
            campaign_events::shop_id.eq(shop_id),
            campaign_events::id.eq(id),
            campaign_events::customer_id.eq(&event.customer_id),
            campaign_events::kind.eq(event.kind),
            campaign_events::name.eq(&event.name),
            campaign_events::source.eq(source),
            campaign_events::order_id.eq(&event.order_id),
            campaign_events::cart_id.eq(&event.cart_id),
            campaign_events::subtotal_minor.eq(event.subtotal_minor),
            campaign_events::data.eq("{}"),
            campaign_events::occurred_at.eq(occurred_at),
            campaign_events::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Makes sure the customer's facts row exists (safe against a concurrent insert).
pub(crate) fn ensure_facts(
    conn: &mut AnyConnection,
    shop_id: &str,
    customer: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let exists = customer_facts::table.find((shop_id, customer)).count().get_result::<i64>(conn)? > 0;
    if exists {
        return Ok(());
    }
    let inserted = conn.transaction(|c| {
        diesel::insert_into(customer_facts::table)
            .values((
                customer_facts::shop_id.eq(shop_id),
                customer_facts::customer_id.eq(customer),
                customer_facts::order_count.eq(0_i64),
                customer_facts::created_at.eq(now),
                customer_facts::updated_at.eq(now),
            ))
            .execute(c)
    });
    match inserted {
        Err(e) if !is_unique_violation(&e) => Err(e),
        _ => Ok(()),
    }
}

/// Keeps what triggers need; returns the order count after this event.
fn update_facts(
    conn: &mut AnyConnection,
    shop_id: &str,
    event: &Event,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let customer = event.customer_id.as_str();
    ensure_facts(conn, shop_id, customer, now)?;
    let row = customer_facts::table.find((shop_id, customer));
    if let Some(name) = &event.first_name {
        diesel::update(row).set(customer_facts::first_name.eq(name)).execute(conn)?;
    }
    if let Some(email) = &event.email {
        diesel::update(row).set(customer_facts::email.eq(email)).execute(conn)?;
    }
    if let Some(birthday) = &event.birthday {
        diesel::update(row).set(customer_facts::birthday.eq(birthday)).execute(conn)?;
    }
    if event.kind == EventKind::Order {
        // One UPDATE: concurrent orders of one customer each get their own count.
        diesel::update(row)
            .set((
                customer_facts::order_count.eq(customer_facts::order_count + 1),
                customer_facts::win_back_at.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
        diesel::update(row)
            .filter(customer_facts::last_order_at.is_null().or(customer_facts::last_order_at.lt(occurred_at)))
            .set(customer_facts::last_order_at.eq(occurred_at))
            .execute(conn)?;
    }
    diesel::update(row).set(customer_facts::updated_at.eq(now)).execute(conn)?;
    row.select(customer_facts::order_count).get_result(conn)
}

/// The trigger kinds this event starts.
fn triggers(
    conn: &mut AnyConnection,
    shop_id: &str,
    event: &Event,
    now: NaiveDateTime,
) -> QueryResult<Vec<TriggerKind>> {
    Ok(match event.kind {
        EventKind::Customer => {
            // Welcome once per customer: the first event that stamps it wins.
            let first = diesel::update(customer_facts::table.find((shop_id, &event.customer_id)))
                .filter(customer_facts::welcomed_at.is_null())
                .set(customer_facts::welcomed_at.eq(now))
                .execute(conn)?;
            if first == 1 {
                vec![TriggerKind::Welcome]
            } else {
                vec![]
            }
        }
        EventKind::Order => vec![TriggerKind::FirstOrder, TriggerKind::OrderPaid, TriggerKind::NthOrder],
        EventKind::Cart => vec![TriggerKind::CartAbandoned],
        EventKind::Custom => vec![TriggerKind::Custom],
        EventKind::WinBack => vec![TriggerKind::WinBack],
        EventKind::Birthday => vec![TriggerKind::Birthday],
    })
}

fn matches(campaign: &Campaign, event: &Event, kinds: &[TriggerKind], order_count: i64) -> bool {
    let trigger = &campaign.settings.trigger;
    if !kinds.contains(&trigger.kind) {
        return false;
    }
    match trigger.kind {
        TriggerKind::FirstOrder => order_count == 1,
        TriggerKind::NthOrder => trigger.n == Some(order_count),
        TriggerKind::OrderPaid => trigger.min_subtotal_minor.is_none_or(|min| event.subtotal_minor.unwrap_or(0) >= min),
        TriggerKind::Custom => trigger.event.is_some() && trigger.event == event.name,
        _ => true,
    }
}

fn schedule(
    conn: &mut AnyConnection,
    shop_id: &str,
    campaign: &Campaign,
    event_id: &str,
    event: &Event,
    occurred_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let delay = Duration::minutes(campaign.settings.trigger.delay_minutes);
    let row = OfferRow {
        shop_id: shop_id.to_string(),
        id: new_id(),
        campaign_id: campaign.row.id.clone(),
        campaign_version: campaign.row.version,
        customer_id: event.customer_id.clone(),
        event_id: event_id.to_string(),
        trigger_kind: campaign.settings.trigger.kind,
        cart_id: event.cart_id.clone(),
        status: OfferStatus::Scheduled,
        reason: None,
        code: None,
        discount: None,
        reserved_minor: 0,
        value_minor: 0,
        platform_id: None,
        order_id: None,
        order_subtotal_minor: None,
        due_at: occurred_at + delay,
        occurred_at,
        issued_at: None,
        expires_at: None,
        created_at: now,
        updated_at: now,
    };
    offers::insert(conn, &row)
}

/// Campaign facts kept for triggers (first name, e-mail, birthday) and the
/// personal data events carried; counts and dates stay for the limits.
pub(crate) fn erase_facts(conn: &mut AnyConnection, shop_id: &str, customer: Option<&str>) -> QueryResult<()> {
    use super::schema::{campaign_events, customer_facts};
    let mut facts = diesel::update(customer_facts::table).filter(customer_facts::shop_id.eq(shop_id)).into_boxed();
    let mut events = diesel::update(campaign_events::table).filter(campaign_events::shop_id.eq(shop_id)).into_boxed();
    if let Some(customer) = customer {
        facts = facts.filter(customer_facts::customer_id.eq(customer.to_string()));
        events = events.filter(campaign_events::customer_id.eq(customer.to_string()));
    }
    facts
        .set((
            customer_facts::first_name.eq(None::<String>),
            customer_facts::email.eq(None::<String>),
            customer_facts::birthday.eq(None::<String>),
        ))
        .execute(conn)?;
    events.set(campaign_events::data.eq("{}")).execute(conn)?;
    Ok(())
}
