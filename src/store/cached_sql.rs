//! Statements diesel's statement cache keeps. diesel prepares afresh, on
//! every call, any `UPDATE` built with its DSL and any query holding a
//! `sql(...)` literal (it cannot tell a fixed literal from a generated one),
//! so on the claim's hot path SQLite parsed and planned those statements
//! once per claim. The types here write fixed SQL with binds and declare a
//! static query id, so each is prepared once per connection.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, Integer, Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

/// A fixed piece of SQL, with no binds, as a diesel expression of a SQL
/// type: statements holding it keep a static query id and stay cached,
/// where diesel's `sql(...)` would make them prepared on every call. How it
/// groups is said beside each one (`ValidGrouping`).
macro_rules! sql_literal {
    ($(#[$doc:meta])* $name:ident: $sql_type:ty = $sql:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, QueryId)]
        pub struct $name;

        impl Expression for $name {
            type SqlType = $sql_type;
        }

        impl<DB: Backend> QueryFragment<DB> for $name {
            fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
                out.push_sql($sql);
                Ok(())
            }
        }

        impl<QS> AppearsOnTable<QS> for $name {}
        impl<QS> SelectableExpression<QS> for $name {}
    };
}

sql_literal! {
    /// `lots.open` as a literal (a partial index `WHERE open` is only used
    /// when the query's own WHERE names the column, not a bound `true`).
    OpenLot: Bool = "lots.open"
}

impl ValidGrouping<()> for OpenLot {
    type IsAggregate = is_aggregate::Never;
}

sql_literal! {
    /// An aggregate: PostgreSQL sums a BIGINT as NUMERIC; the cast keeps
    /// both backends' type `BigInt`.
    RemainingSum: BigInt = "CAST(SUM(lots.remaining) AS BIGINT)"
}

impl<GB> ValidGrouping<GB> for RemainingSum {
    type IsAggregate = is_aggregate::Yes;
}

sql_literal! {
    /// A GROUP BY and ORDER BY key: diesel cannot tell that `expires_at` is
    /// grouped when this expression is.
    NeverExpires: Bool = "(lots.expires_at IS NULL)"
}

/// Used only as a grouped key, so it counts as grouped wherever it is.
impl<GB> ValidGrouping<GB> for NeverExpires {
    type IsAggregate = is_aggregate::Yes;
}
impl<T> diesel::expression::IsContainedInGroupBy<T> for NeverExpires {
    type Output = diesel::expression::is_contained_in_group_by::No;
}

/// Takes `points` from one lot that keeps some afterwards:
/// `UPDATE lots SET remaining = remaining - p WHERE <key> AND remaining > p`.
#[derive(Debug, Clone, Copy)]
pub struct TakeKeeping<'a> {
    pub shop_id: &'a str,
    pub customer_id: &'a str,
    pub lot_id: &'a str,
    pub points: i64,
}

impl QueryId for TakeKeeping<'_> {
    type QueryId = TakeKeeping<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for TakeKeeping<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE lots SET remaining = remaining - ");
        out.push_bind_param::<BigInt, i64>(&self.points)?;
        out.push_sql(" WHERE shop_id = ");
        out.push_bind_param::<Text, str>(self.shop_id)?;
        out.push_sql(" AND customer_id = ");
        out.push_bind_param::<Text, str>(self.customer_id)?;
        out.push_sql(" AND id = ");
        out.push_bind_param::<Text, str>(self.lot_id)?;
        out.push_sql(" AND remaining > ");
        out.push_bind_param::<BigInt, i64>(&self.points)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for TakeKeeping<'_> {}

/// The claim's conditional debit: `UPDATE customers SET points_balance =
/// points_balance - p, updated_at = now WHERE <key> AND points_balance >= p
/// RETURNING points_balance`: the balance after comes back with the debit
/// (no row: the balance did not cover it), so the ledger entry needs no
/// read of its own.
#[derive(Debug, Clone, Copy)]
pub struct DebitBalance<'a> {
    pub shop_id: &'a str,
    pub customer_id: &'a str,
    pub points: i64,
    pub now: NaiveDateTime,
}

impl QueryId for DebitBalance<'_> {
    type QueryId = DebitBalance<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for DebitBalance<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<BigInt> + HasSqlType<Timestamp>,
    str: ToSql<Text, DB>,
    i64: ToSql<BigInt, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE customers SET points_balance = points_balance - ");
        out.push_bind_param::<BigInt, i64>(&self.points)?;
        out.push_sql(", updated_at = ");
        out.push_bind_param::<Timestamp, NaiveDateTime>(&self.now)?;
        out.push_sql(" WHERE shop_id = ");
        out.push_bind_param::<Text, str>(self.shop_id)?;
        out.push_sql(" AND id = ");
        out.push_bind_param::<Text, str>(self.customer_id)?;
        out.push_sql(" AND points_balance >= ");
        out.push_bind_param::<BigInt, i64>(&self.points)?;
        out.push_sql(" RETURNING points_balance");
        Ok(())
    }
}

impl Query for DebitBalance<'_> {
    type SqlType = BigInt;
}

impl<Conn> RunQueryDsl<Conn> for DebitBalance<'_> {}

/// Records a write's answer under its idempotency key (every claim):
/// `UPDATE idempotency_keys SET status_code = s, response_body = b WHERE <key>`.
#[derive(Debug, Clone, Copy)]
pub struct CompleteKey<'a> {
    pub shop_id: &'a str,
    pub principal: &'a str,
    pub key: &'a str,
    pub status: i32,
    pub body: &'a str,
}

impl QueryId for CompleteKey<'_> {
    type QueryId = CompleteKey<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB> QueryFragment<DB> for CompleteKey<'_>
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Integer>,
    str: ToSql<Text, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE idempotency_keys SET status_code = ");
        out.push_bind_param::<Integer, i32>(&self.status)?;
        out.push_sql(", response_body = ");
        out.push_bind_param::<Text, str>(self.body)?;
        out.push_sql(" WHERE shop_id = ");
        out.push_bind_param::<Text, str>(self.shop_id)?;
        out.push_sql(" AND principal = ");
        out.push_bind_param::<Text, str>(self.principal)?;
        out.push_sql(" AND \"key\" = ");
        out.push_bind_param::<Text, str>(self.key)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for CompleteKey<'_> {}
