//! The seeding statements: rows generated inside the database from a number
//! series (`INSERT … SELECT`), so millions of rows need no round trips. The
//! two dialects differ only in the series and the zero padding.

use super::db::{POINTS_PER_CLAIM, SHOP};
use super::seed::Plan;
use crate::store::pool::Backend;

/// Seeded rows are dated before anything the service writes; their ids
/// sort before the UUIDv7 ids it mints (ids order by creation time).
const SEEDED_AT: &str = "2025-01-01 00:00:00";
const LEDGER_ID: &str = "00000000-0000-7000-8000-";
const CLAIM_ID: &str = "00000000-0000-7000-9000-";
const OUTBOX_ID: &str = "00000000-0000-7000-a000-";

/// Points an `earn` entry adds.
pub(crate) const EARN: i64 = 100;

/// The numbers `lo..hi` as `s(n)`, ready to prefix an INSERT.
fn series(backend: Backend, lo: u64, hi: u64) -> String {
    match backend {
        Backend::Sqlite => {
            format!("WITH RECURSIVE s(n) AS (SELECT {lo} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {hi}) ")
        }
        Backend::Postgres => format!("WITH s(n) AS (SELECT generate_series({lo}::bigint, {hi}::bigint - 1)) "),
    }
}

fn pad(backend: Backend, expr: &str, width: usize) -> String {
    match backend {
        Backend::Sqlite => format!("printf('%0{width}d', {expr})"),
        Backend::Postgres => format!("lpad(({expr})::text, {width}, '0')"),
    }
}

fn timestamp(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("'{SEEDED_AT}'"),
        Backend::Postgres => format!("TIMESTAMP '{SEEDED_AT}'"),
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn customer(backend: Backend, index: &str) -> String {
    format!("'c' || {}", pad(backend, index, 8))
}

/// Customers `lo..hi`, each with the balance its entries add up to.
pub(crate) fn customers(backend: Backend, lo: u64, hi: u64, plan: &Plan) -> String {
    let ts = timestamp(backend);
    format!(
        "{}INSERT INTO customers (shop_id, id, points_balance, email, display_name, created_at, updated_at, \
         redacted_at) SELECT '{SHOP}', {}, {}, NULL, NULL, {ts}, {ts}, NULL FROM s",
        series(backend, lo, hi),
        customer(backend, "n"),
        plan.final_balance(),
    )
}

/// One lot per seeded wallet holding its balance, without expiry, standing
/// for its seeded history (as the lots migration makes for existing wallets).
pub(crate) fn lots(backend: Backend, lo: u64, hi: u64, plan: &Plan) -> String {
    let e = plan.per_customer;
    format!(
        "{}INSERT INTO lots (shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, \
         created_at, open) SELECT '{SHOP}', {cust}, 'migrated-' || {cust}, {b}, {b}, NULL, '{LEDGER_ID}' || {last}, \
         NULL, FALSE, {ts}, {b} > 0 FROM s",
        series(backend, lo, hi),
        cust = customer(backend, "n"),
        b = plan.final_balance(),
        last = pad(backend, &format!("n * {e} + {}", e.saturating_sub(1)), 12),
        ts = timestamp(backend),
    )
}

/// The entries of customers `lo..hi`: entry k of a wallet is the opening
/// adjustment (k = 0), a redeem of its claim (k % 10 = 5) or an earn. The
/// running balance is closed-form: with ρ = ⌊(k+5)/10⌋ redeems so far,
/// opening + EARN·(k − ρ) − POINTS_PER_CLAIM·ρ.
pub(crate) fn ledger(backend: Backend, lo: u64, hi: u64, plan: &Plan) -> String {
    let e = plan.per_customer;
    let r = plan.redeems_per_customer();
    let k = format!("(n % {e})");
    let i = format!("(n / {e})");
    let opening = plan.opening;
    format!(
        "{}INSERT INTO ledger_entries (shop_id, id, customer_id, delta, balance_after, kind, claim_id, order_id, \
         reason, created_at) SELECT '{SHOP}', '{LEDGER_ID}' || {lid}, {cust}, \
         CASE WHEN {k} = 0 THEN {opening} WHEN {k} % 10 = 5 THEN -{POINTS_PER_CLAIM} ELSE {EARN} END, \
         {opening} + {EARN} * ({k} - ({k} + 5) / 10) - {POINTS_PER_CLAIM} * (({k} + 5) / 10), \
         CASE WHEN {k} = 0 THEN 'adjust' WHEN {k} % 10 = 5 THEN 'redeem' ELSE 'earn' END, \
         CASE WHEN {k} % 10 = 5 THEN '{CLAIM_ID}' || {cid} END, \
         CASE WHEN {k} > 0 AND {k} % 10 <> 5 THEN 'seed-' || {lid} END, \
         CASE WHEN {k} = 0 THEN 'seeded opening balance' END, {ts} FROM s",
        series(backend, lo * e, hi * e),
        lid = pad(backend, "n", 12),
        cust = customer(backend, &i),
        cid = pad(backend, &format!("{i} * {r} + ({k} - 5) / 10"), 12),
        ts = timestamp(backend),
    )
}

/// The claims of customers `lo..hi` (used codes), valued by `version`.
pub(crate) fn claims(backend: Backend, lo: u64, hi: u64, plan: &Plan, version: i64, snapshot: &str) -> String {
    let r = plan.redeems_per_customer();
    let ts = timestamp(backend);
    let value_minor = plan.value_minor;
    format!(
        "{}INSERT INTO claims (shop_id, id, customer_id, channel, code, points, value_minor, currency, \
         purchase_type, status, program_version, program_snapshot, platform_id, order_id, order_subtotal_minor, \
         failure_reason, created_at, updated_at, expires_at, used_at, refunded_at, flag) \
         SELECT '{SHOP}', '{CLAIM_ID}' || {mid}, {cust}, 'online', 'SEED' || {code}, {POINTS_PER_CLAIM}, \
         {value_minor}, 'USD', 'one_time', 'used', {version}, {snapshot}, NULL, 'seed-order-' || {mid}, 5000, \
         NULL, {ts}, {ts}, NULL, {ts}, NULL, NULL FROM s",
        series(backend, lo * r, hi * r),
        mid = pad(backend, "n", 12),
        cust = customer(backend, &format!("(n / {r})")),
        code = pad(backend, "n", 10),
        snapshot = quote(snapshot),
    )
}

/// The stored idempotent answer of each seeded claim.
pub(crate) fn idempotency(backend: Backend, lo: u64, hi: u64, plan: &Plan) -> String {
    let r = plan.redeems_per_customer();
    format!(
        "{}INSERT INTO idempotency_keys (shop_id, principal, key, request_hash, status_code, response_body, \
         created_at) SELECT '{SHOP}', 'customer:' || {cust}, 'seed-' || {mid}, 'seed', 201, '{{}}', {ts} FROM s",
        series(backend, lo * r, hi * r),
        cust = customer(backend, &format!("(n / {r})")),
        mid = pad(backend, "n", 12),
        ts = timestamp(backend),
    )
}

/// The finished push of each seeded claim.
pub(crate) fn outbox(backend: Backend, lo: u64, hi: u64, plan: &Plan) -> String {
    let r = plan.redeems_per_customer();
    let ts = timestamp(backend);
    format!(
        "{}INSERT INTO outbox (shop_id, id, claim_id, action, status, attempts, next_attempt_at, last_error, \
         created_at, updated_at) SELECT '{SHOP}', '{OUTBOX_ID}' || {mid}, '{CLAIM_ID}' || {mid}, 'create', 'done', \
         1, {ts}, NULL, {ts}, {ts} FROM s",
        series(backend, lo * r, hi * r),
        mid = pad(backend, "n", 12),
    )
}
