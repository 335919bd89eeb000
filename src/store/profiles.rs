//! Who customers are (names, e-mail, phone on the wallet row) and finding
//! them: every search is a few prefix ranges, each on its own index, merged
//! by id (domain::profile says why a range is a prefix match).

use super::customers::{self, CustomerRow};
use super::error::Result;
use super::schema::customers as table;
use super::AnyConnection;
use crate::domain::profile::{prefix_end, Profile, SearchTerms};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};
use std::collections::BTreeMap;

/// A key a search compares prefixes on; each has an index on both databases
/// (migration 2026-12-08-060000_customer_search).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SearchKey {
    /// The customer id as typed (the primary key on SQLite, `customers_id_search` on PostgreSQL).
    Id,
    /// "First Last", lower-cased: finds first names and whole names.
    Name,
    LastName,
    Email,
    /// Digits only.
    Phone,
}

impl SearchKey {
    pub(crate) const ALL: [SearchKey; 5] =
        [SearchKey::Id, SearchKey::Name, SearchKey::LastName, SearchKey::Email, SearchKey::Phone];

    /// The name `bench explain` prints for this key's query.
    pub(crate) fn label(self) -> &'static str {
        match self {
            SearchKey::Id => "customer search: id prefix",
            SearchKey::Name => "customer search: name prefix",
            SearchKey::LastName => "customer search: last name prefix",
            SearchKey::Email => "customer search: e-mail prefix",
            SearchKey::Phone => "customer search: phone prefix",
        }
    }

    /// The SQLite index of a key other than the id (whose range is on the primary key).
    fn sqlite_index(self) -> Option<&'static str> {
        match self {
            SearchKey::Id => None,
            SearchKey::Name => Some("customers_name_search"),
            SearchKey::LastName => Some("customers_last_name_search"),
            SearchKey::Email => Some("customers_email_search"),
            SearchKey::Phone => Some("customers_phone_search"),
        }
    }

    fn expression(self) -> &'static str {
        match self {
            SearchKey::Id => "id",
            SearchKey::Name => "lower(display_name)",
            SearchKey::LastName => "lower(last_name)",
            SearchKey::Email => "lower(email)",
            SearchKey::Phone => "phone",
        }
    }
}

/// One prefix range, a keyset page by id. PostgreSQL compares with the
/// `text_pattern_ops` operators (byte-wise, whatever the database's
/// collation), which its search indexes are built with; SQLite's BINARY
/// collation is byte-wise already. SQLite plans without statistics and,
/// left alone, walks the primary key for `ORDER BY id` (a scan of the whole
/// shop); `INDEXED BY` holds it to the key's index (and fails loudly if that
/// index is ever gone).
pub(crate) fn search_sql(key: SearchKey, postgres: bool) -> String {
    let expr = key.expression();
    if postgres {
        return format!(
            "SELECT * FROM customers WHERE shop_id = $1 AND {expr} ~>=~ $2 AND {expr} ~<~ $3 AND id > $4 \
             ORDER BY id LIMIT $5"
        );
    }
    let indexed = key.sqlite_index().map(|index| format!(" INDEXED BY {index}")).unwrap_or_default();
    format!(
        "SELECT * FROM customers{indexed} WHERE shop_id = ?1 AND {expr} >= ?2 AND {expr} < ?3 AND id > ?4 \
         ORDER BY id LIMIT ?5"
    )
}

fn range(
    conn: &mut AnyConnection,
    shop_id: &str,
    key: SearchKey,
    prefix: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<CustomerRow>> {
    let postgres = matches!(conn, AnyConnection::Postgresql(_));
    let query = diesel::sql_query(search_sql(key, postgres))
        .bind::<Text, _>(shop_id)
        .bind::<Text, _>(prefix)
        .bind::<Text, _>(prefix_end(prefix))
        .bind::<Text, _>(after)
        .bind::<BigInt, _>(limit);
    super::on_backend!(conn, |c| query.load(c))
}

/// Keyset page (by id, after `after`) of a shop's customers whose id, name,
/// last name or e-mail starts with `query` ignoring case, or whose phone
/// starts with its digits. An empty query lists every customer.
pub(crate) fn search(
    conn: &mut AnyConnection,
    shop_id: &str,
    query: &str,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<CustomerRow>> {
    let Some(terms) = SearchTerms::parse(query) else { return everyone(conn, shop_id, after, limit) };
    let after = after.unwrap_or("");
    let mut ranges = vec![(SearchKey::Id, terms.id_prefix.clone())];
    for text in &terms.text_prefixes {
        ranges.extend([SearchKey::Name, SearchKey::LastName, SearchKey::Email].map(|k| (k, text.clone())));
    }
    ranges.extend(terms.phone_prefix.map(|digits| (SearchKey::Phone, digits)));
    let mut found = BTreeMap::new();
    for (key, prefix) in ranges {
        for row in range(conn, shop_id, key, &prefix, after, limit)? {
            found.entry(row.id.clone()).or_insert(row);
        }
    }
    Ok(found.into_values().take(limit.max(0) as usize).collect())
}

fn everyone(conn: &mut AnyConnection, shop_id: &str, after: Option<&str>, limit: i64) -> QueryResult<Vec<CustomerRow>> {
    let mut select = table::table
        .filter(table::shop_id.eq(shop_id))
        .select(CustomerRow::as_select())
        .order(table::id.asc())
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        select = select.filter(table::id.gt(after.to_string()));
    }
    select.load(conn)
}

/// Each told field replaces the stored one, the rest stay; the whole name is
/// rebuilt from the names after the change. One UPDATE reading the row it
/// writes, so concurrent events about one customer (one telling the last
/// name, another the e-mail) never undo each other.
const REMEMBER_SQL: &str = "UPDATE customers SET \
     first_name = COALESCE($1, first_name), last_name = COALESCE($2, last_name), \
     email = COALESCE($3, email), phone = COALESCE($4, phone), \
     display_name = CASE WHEN $1 IS NULL AND $2 IS NULL THEN display_name \
       ELSE NULLIF(TRIM(COALESCE($1, first_name, '') || ' ' || COALESCE($2, last_name, '')), '') END, \
     updated_at = $5 WHERE shop_id = $6 AND id = $7";

/// Keeps what `profile` tells about the customer (creating the wallet with 0
/// points on first sight, so any customer an event names can be opened).
/// Fields it does not tell keep their stored value.
pub(crate) fn remember(
    conn: &mut AnyConnection,
    shop_id: &str,
    id: &str,
    profile: &Profile,
    now: NaiveDateTime,
) -> Result<()> {
    customers::ensure(conn, shop_id, id)?;
    if profile.is_empty() {
        return Ok(());
    }
    let sql = match conn {
        AnyConnection::Postgresql(_) => REMEMBER_SQL.to_string(),
        AnyConnection::Sqlite(_) => REMEMBER_SQL.replace('$', "?"),
    };
    let query = diesel::sql_query(sql)
        .bind::<Nullable<Text>, _>(&profile.first_name)
        .bind::<Nullable<Text>, _>(&profile.last_name)
        .bind::<Nullable<Text>, _>(&profile.email)
        .bind::<Nullable<Text>, _>(&profile.phone)
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(shop_id)
        .bind::<Text, _>(id);
    super::on_backend!(conn, |c| query.execute(c))?;
    Ok(())
}
