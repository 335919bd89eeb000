//! `bench explain`: the plan of every hot query, as the database would run
//! it. The queries are built with the same diesel DSL as the store's and
//! rendered for the database's dialect; SQLite plans them with unbound
//! parameters (`EXPLAIN QUERY PLAN`), PostgreSQL as a prepared statement's
//! generic plan (`EXPLAIN EXECUTE` under `plan_cache_mode = force_generic_plan`),
//! which is what a parameterised query gets — neither depends on the values.

use super::db::{self, customer_id, SHOP};
use super::plan_verdict::{judge, shorten, unkeyed_wallet_read};
use crate::domain::claim::EntryKind;
use crate::domain::program::Channel;
use crate::store::claims::ClaimRow;
use crate::store::customers::{CustomerRow, EntryRow};
use crate::store::idempotency::StoredResponse;
use crate::store::lots::open;
use crate::store::outbox::{OutboxAction, OutboxRow, OutboxState};
use crate::store::profiles::{search_sql, SearchKey};
use crate::store::schema::{
    claims, customers, idempotency_keys, ledger_entries, lot_allocations, lots, outbox, pending_points,
    points_policies, programs, shops,
};
use crate::store::shops::ShopRow;
use crate::store::AnyConnection;
use diesel::connection::SimpleConnection;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::QueryFragment;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

/// The relay's PostgreSQL lease (store/outbox.rs), verbatim.
const LEASE_PG: &str = "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 \
     WHERE (shop_id, id) IN (SELECT shop_id, id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
     ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) RETURNING *";

struct HotQuery {
    name: &'static str,
    sqlite: String,
    postgres: String,
    /// Values to plan a PostgreSQL query with (a custom plan), for a query
    /// sent as an unnamed statement, which PostgreSQL plans with its values;
    /// None: the generic plan a cached prepared statement gets.
    pg_values: Option<String>,
}

/// The SQL of `query` for backend `B`, without diesel's bind comment.
fn sql_for<B: diesel::backend::Backend + Default, Q: QueryFragment<B>>(query: Q) -> String
where
    B::QueryBuilder: Default,
{
    let text = diesel::debug_query::<B, _>(&query).to_string();
    text.split(" -- binds:").next().unwrap_or_default().to_string()
}

/// Builds the query once per dialect (`as_select` is typed by backend).
macro_rules! render {
    ($name:expr, $query:expr $(,)?) => {
        HotQuery {
            name: $name,
            sqlite: sql_for::<Sqlite, _>($query),
            postgres: sql_for::<Pg, _>($query),
            pg_values: None,
        }
    };
}

fn hot_queries() -> Vec<HotQuery> {
    let (shop, customer, now) = (SHOP, customer_id(1), chrono::Utc::now().naive_utc());
    let mut queries = customer_and_ledger(shop, &customer, now);
    queries.extend(claim_queries(shop, &customer));
    queries.push(render!(
        "idempotency find",
        idempotency_keys::table.find((shop, "customer:c00000001", "key")).select(StoredResponse::as_select()).limit(1),
    ));
    queries.push(render!(
        "program current",
        programs::table
            .filter(programs::shop_id.eq(shop))
            .filter(programs::channel.eq(Channel::Online))
            .order(programs::version.desc())
            .select((programs::version, programs::settings, programs::created_at))
            .limit(1),
    ));
    queries.push(render!("shop find", shops::table.find(shop).select(ShopRow::as_select()).limit(1)));
    queries.extend(outbox_queries(shop, now));
    queries.extend(lot_queries(shop, &customer, now));
    queries.extend(sweep_queries(shop, &customer, now));
    queries.extend(SearchKey::ALL.map(|key| HotQuery {
        name: key.label(),
        sqlite: search_sql(key, false),
        postgres: search_sql(key, true),
        pg_values: Some(search_values(shop, key)),
    }));
    queries
}

/// What a merchant types into the customer search, per key: a few letters
/// more than a handful of customers share (tests/api/search_plans.rs seeds
/// customer 808 as `c00000808`, "Alex Family808", alex808@example.com,
/// phone 15550000808).
fn search_values(shop: &str, key: SearchKey) -> String {
    let prefix = match key {
        SearchKey::Id => "c0000080",
        SearchKey::Name => "alex family80",
        SearchKey::LastName => "family808",
        SearchKey::Email => "alex808@",
        SearchKey::Phone => "1555000080",
    };
    format!("'{shop}', '{prefix}', '{prefix}' || chr(1114111), '', 51")
}

/// What a claim and a refund add for the lots (store/lots.rs).
fn lot_queries(shop: &str, customer: &str, now: chrono::NaiveDateTime) -> Vec<HotQuery> {
    let policy = (points_policies::expiry_kind, points_policies::expiry_days, points_policies::pending_days);
    vec![
        render!(
            "lots: shop with its policy (claim)",
            shops::table
                .left_join(points_policies::table)
                .filter(shops::id.eq(shop))
                .select((ShopRow::as_select(), policy.nullable())),
        ),
        render!("lots: policy find", points_policies::table.find(shop).select(policy).limit(1)),
        render!(
            "lots: next expiry dates of a wallet (wallet read)",
            crate::store::wallets::expiring_dates!(shop, customer, 5)
        ),
        render!(
            "lots: open lots of a wallet (debit)",
            lots::table.filter(lots::shop_id.eq(shop)).filter(lots::customer_id.eq(customer)).filter(open()).select((
                lots::id,
                lots::remaining,
                lots::expires_at,
                lots::created_at,
                lots::order_id
            )),
        ),
        render!("lots: the open lot spent first (claim debit)", crate::store::lots::soonest_open_lot!(shop, customer),),
        render!(
            "lots: guarded lot update, points left (debit)",
            diesel::update(lots::table.find((shop, customer, "lot-id")))
                .filter(lots::remaining.gt(100_i64))
                .set(lots::remaining.eq(lots::remaining - 100_i64)),
        ),
        render!(
            "lots: guarded lot update, emptied (debit)",
            diesel::update(lots::table.find((shop, customer, "lot-id")))
                .filter(lots::remaining.eq(100_i64))
                .set((lots::remaining.eq(0_i64), lots::open.eq(false))),
        ),
        render!(
            "lots: inactivity re-date (touch)",
            diesel::update(
                lots::table.filter(lots::shop_id.eq(shop)).filter(lots::customer_id.eq(customer)).filter(open())
            )
            .set((lots::expires_at.eq(now), lots::warned.eq(false))),
        ),
        render!(
            "lots: redeem entry of a claim (refund)",
            ledger_entries::table
                .filter(ledger_entries::shop_id.eq(shop))
                .filter(ledger_entries::claim_id.eq("claim-id"))
                .filter(ledger_entries::kind.eq(EntryKind::Redeem))
                .select(ledger_entries::id)
                .limit(1),
        ),
        render!(
            "lots: allocations of an entry (refund)",
            lot_allocations::table
                .filter(lot_allocations::shop_id.eq(shop))
                .filter(lot_allocations::entry_id.eq("entry-id"))
                .order(lot_allocations::lot_id.asc())
                .select((lot_allocations::lot_id, lot_allocations::points)),
        ),
    ]
}

/// The points sweep's batches (store/expiry.rs, store/pending.rs).
fn sweep_queries(shop: &str, customer: &str, now: chrono::NaiveDateTime) -> Vec<HotQuery> {
    vec![
        render!(
            "sweep: due lots (expiry batch)",
            lots::table
                .filter(lots::shop_id.eq(shop))
                .filter(open())
                .filter(lots::expires_at.le(now))
                .order(lots::expires_at.asc())
                .limit(500)
                .select(lots::customer_id),
        ),
        render!(
            "sweep: a customer's due lots",
            lots::table
                .filter(lots::shop_id.eq(shop))
                .filter(lots::customer_id.eq(customer))
                .filter(open())
                .filter(lots::expires_at.is_null().eq(false))
                .filter(lots::expires_at.le(now))
                .select((lots::id, lots::remaining)),
        ),
        render!(
            "sweep: lots to warn about",
            lots::table
                .filter(lots::shop_id.eq(shop))
                .filter(open())
                .filter(lots::expires_at.gt(now))
                .filter(lots::expires_at.le(now))
                .filter(lots::warned.eq(false))
                .order(lots::expires_at.asc())
                .limit(500)
                .select((lots::customer_id, lots::id, lots::remaining, lots::expires_at)),
        ),
        render!(
            "sweep: pending points due (release)",
            pending_points::table
                .filter(pending_points::release_at.le(now))
                .order(pending_points::release_at.asc())
                .limit(500)
                .select((pending_points::shop_id, pending_points::order_id)),
        ),
    ]
}

fn customer_and_ledger(shop: &str, customer: &str, now: chrono::NaiveDateTime) -> Vec<HotQuery> {
    vec![
        render!("customer find", customers::table.find((shop, customer)).select(CustomerRow::as_select()).limit(1)),
        render!(
            "customer debit",
            diesel::update(customers::table.find((shop, customer))).filter(customers::points_balance.ge(100_i64)).set(
                (customers::points_balance.eq(customers::points_balance - 100_i64), customers::updated_at.eq(now))
            ),
        ),
        render!(
            "ledger by customer",
            ledger_entries::table
                .filter(ledger_entries::shop_id.eq(shop))
                .filter(ledger_entries::customer_id.eq(customer))
                .order(ledger_entries::id.desc())
                .limit(100)
                .select(EntryRow::as_select()),
        ),
        render!(
            "ledger page after a cursor",
            ledger_entries::table
                .filter(ledger_entries::shop_id.eq(shop))
                .filter(ledger_entries::customer_id.eq(customer))
                .filter(ledger_entries::id.lt("01900000-0000-7000-8000-000000000000"))
                .order(ledger_entries::id.desc())
                .limit(51)
                .select(EntryRow::as_select()),
        ),
    ]
}

fn claim_queries(shop: &str, customer: &str) -> Vec<HotQuery> {
    vec![
        render!(
            "claim by code",
            claims::table
                .filter(claims::shop_id.eq(shop))
                .filter(claims::code.eq("ABCD-EFGH"))
                .select(ClaimRow::as_select())
                .limit(1),
        ),
        render!(
            "claims by customer",
            claims::table
                .filter(claims::shop_id.eq(shop))
                .filter(claims::customer_id.eq(customer))
                .order(claims::id.desc())
                .limit(100)
                .select(ClaimRow::as_select()),
        ),
        render!(
            "claims page after a cursor",
            claims::table
                .filter(claims::shop_id.eq(shop))
                .filter(claims::customer_id.eq(customer))
                .filter(claims::id.lt("01900000-0000-7000-8000-000000000000"))
                .order(claims::id.desc())
                .limit(51)
                .select(ClaimRow::as_select()),
        ),
        render!("claim by id", claims::table.find((shop, "some-id")).select(ClaimRow::as_select()).limit(1)),
    ]
}

fn outbox_queries(shop: &str, now: chrono::NaiveDateTime) -> Vec<HotQuery> {
    let sqlite_lease = render!(
        "outbox lease (due rows)",
        outbox::table
            .filter(outbox::status.eq(OutboxState::Pending))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::next_attempt_at.asc())
            .limit(16)
            .select(OutboxRow::as_select()),
    );
    vec![
        HotQuery { postgres: LEASE_PG.to_string(), ..sqlite_lease },
        render!(
            "outbox row of a claim",
            outbox::table
                .filter(outbox::shop_id.eq(shop))
                .filter(outbox::claim_id.eq("some-id"))
                .filter(outbox::action.eq(OutboxAction::Create))
                .filter(outbox::status.eq(OutboxState::Pending))
                .select(OutboxRow::as_select())
                .limit(1),
        ),
    ]
}

#[derive(QueryableByName)]
struct SqlitePlanLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Prints every plan; fails if any hot query has to read a whole table.
pub(crate) fn run(url: &str) -> anyhow::Result<()> {
    let mut conn = db::connect(url)?;
    let postgres = db::is_postgres(url);
    if postgres {
        conn.batch_execute("SET plan_cache_mode = force_generic_plan")?;
    }
    let (mut scans, mut unkeyed) = (Vec::new(), Vec::new());
    for query in hot_queries() {
        let sql = if postgres { &query.postgres } else { &query.sqlite };
        let plan = match (postgres, &query.pg_values) {
            (true, Some(values)) => pg_custom_plan(&mut conn, sql, values)?,
            (true, None) => pg_plan(&mut conn, sql)?,
            (false, _) => sqlite_plan(&mut conn, sql)?,
        };
        let mut verdict = judge(&plan);
        if postgres && verdict.starts_with("FULL SCAN") {
            verdict = pg_index_fallback(&mut conn, sql, verdict)?;
        }
        println!("== {}: {verdict}\n   {}", query.name, shorten(sql));
        plan.iter().for_each(|line| println!("   | {line}"));
        if verdict.starts_with("FULL SCAN") {
            scans.push(query.name);
        }
        if !postgres && unkeyed_wallet_read(sql, &plan) {
            println!("   ! names one customer but its index search does not use customer_id");
            unkeyed.push(query.name);
        }
    }
    anyhow::ensure!(scans.is_empty(), "hot queries without an index: {scans:?}");
    anyhow::ensure!(unkeyed.is_empty(), "wallet queries searching the whole shop: {unkeyed:?}");
    println!("every hot query uses an index");
    Ok(())
}

/// PostgreSQL rightly reads a one-page table (one shop, its programs)
/// whole; with sequential scans priced out it must still find an index.
fn pg_index_fallback(conn: &mut AnyConnection, sql: &str, verdict: String) -> anyhow::Result<String> {
    conn.batch_execute("SET enable_seqscan = off")?;
    let forced = pg_plan(conn, sql);
    conn.batch_execute("RESET enable_seqscan")?;
    let forced = judge(&forced?);
    Ok(match forced.strip_prefix("index") {
        Some(index) => format!("small table read whole by choice; index available{index}"),
        None => verdict,
    })
}

/// The plan PostgreSQL makes for `sql` with these values (an unnamed
/// statement's custom plan).
fn pg_custom_plan(conn: &mut AnyConnection, sql: &str, values: &str) -> anyhow::Result<Vec<String>> {
    conn.batch_execute(&format!("SET plan_cache_mode = force_custom_plan; PREPARE lw_explain AS {sql}"))?;
    let lines: QueryResult<Vec<PgPlanLine>> =
        diesel::sql_query(format!("EXPLAIN EXECUTE lw_explain({values})")).load(conn);
    conn.batch_execute("DEALLOCATE lw_explain; SET plan_cache_mode = force_generic_plan")?;
    Ok(lines?.into_iter().map(|l| l.line).collect())
}

fn sqlite_plan(conn: &mut AnyConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let lines: Vec<SqlitePlanLine> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(conn)?;
    Ok(lines.into_iter().map(|l| l.detail).collect())
}

fn pg_plan(conn: &mut AnyConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let params = (1..=9).filter(|n| sql.contains(&format!("${n}"))).count();
    let nulls = vec!["NULL"; params].join(", ");
    conn.batch_execute(&format!("PREPARE lw_explain AS {sql}"))?;
    let execute = if params == 0 {
        "EXPLAIN EXECUTE lw_explain".to_string()
    } else {
        format!("EXPLAIN EXECUTE lw_explain({nulls})")
    };
    let lines: QueryResult<Vec<PgPlanLine>> = diesel::sql_query(execute).load(conn);
    conn.batch_execute("DEALLOCATE lw_explain")?;
    Ok(lines?.into_iter().map(|l| l.line).collect())
}
