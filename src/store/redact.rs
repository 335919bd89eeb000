//! Privacy requests from the platform (customers/redact, shop/redact):
//! personal data is erased, every sum and the ledger's shape stay.

use super::error::Result;
use super::schema::{customers as customers_table, data_requests, idempotency_keys};
use super::schema::{ledger_entries, shops as shops_table};
use super::AnyConnection;
use diesel::prelude::*;

/// customers/redact and shop/redact: personal data goes, sums stay. The
/// customer id stays as the ledger's key (the platform's own pseudonym);
/// e-mail, name, free-text reasons and stored responses are erased.
pub(crate) fn redact(conn: &mut AnyConnection, shop_id: &str, customer: Option<&str>) -> Result<String> {
    let now = crate::clock::now();
    let mut people =
        customers_table::table.filter(customers_table::shop_id.eq(shop_id)).select(customers_table::id).into_boxed();
    if let Some(customer) = customer {
        people = people.filter(customers_table::id.eq(customer.to_string()));
    }
    let ids: Vec<String> = people.load(conn)?;
    for id in &ids {
        diesel::update(customers_table::table.find((shop_id, id)))
            .set((
                customers_table::email.eq(None::<String>),
                customers_table::display_name.eq(None::<String>),
                customers_table::first_name.eq(None::<String>),
                customers_table::last_name.eq(None::<String>),
                customers_table::phone.eq(None::<String>),
                customers_table::redacted_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(
            ledger_entries::table
                .filter(ledger_entries::shop_id.eq(shop_id))
                .filter(ledger_entries::customer_id.eq(id)),
        )
        .set(ledger_entries::reason.eq(None::<String>))
        .execute(conn)?;
        diesel::delete(
            data_requests::table.filter(data_requests::shop_id.eq(shop_id)).filter(data_requests::customer_id.eq(id)),
        )
        .execute(conn)?;
        diesel::delete(
            idempotency_keys::table
                .filter(idempotency_keys::shop_id.eq(shop_id))
                .filter(idempotency_keys::principal.eq(format!("customer:{id}"))),
        )
        .execute(conn)?;
    }
    super::events::erase_facts(conn, shop_id, customer)?;
    if customer.is_none() {
        diesel::delete(idempotency_keys::table.filter(idempotency_keys::shop_id.eq(shop_id))).execute(conn)?;
        diesel::delete(data_requests::table.filter(data_requests::shop_id.eq(shop_id))).execute(conn)?;
        diesel::update(shops_table::table.find(shop_id))
            .set((shops_table::platform_access_token.eq(None::<String>), shops_table::platform_enabled.eq(false)))
            .execute(conn)?;
    }
    Ok(format!("{} customer(s) redacted", ids.len()))
}
