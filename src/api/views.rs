//! Response bodies of the public API (docs/API.md) and how rows become them.

use crate::domain::money::Currency;
use crate::domain::program::{Channel, CombinesWith, ProgramSettings, PurchaseType, Subscription};
use crate::domain::refusal::Reason;
use crate::error::{AppError, ErrorCode};
use crate::store::claims::ClaimRow;
use crate::store::customers::{CustomerRow, EntryRow};
use crate::store::programs::Program;
use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Times as the API shows them: UTC, to the microsecond. PostgreSQL keeps
/// microseconds, so a response written before the row was read back (a 201,
/// a PUT) must not show more digits than every later read of the same row.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc().trunc_subsecs(6)
}

/// Money as the API shows it: minor units of the currency as a decimal string.
pub fn money(minor: i64, currency: &str) -> String {
    Currency::parse(currency).map(|c| c.format_minor(minor)).unwrap_or_else(|_| minor.to_string())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimView {
    pub id: String,
    pub code: String,
    pub points: i64,
    #[schema(example = "5.00")]
    pub value: String,
    pub currency: String,
    /// pending, active, used, refund_pending, refunded, failed, expired
    pub status: String,
    pub channel: String,
    pub customer_id: String,
    pub purchase_type: String,
    pub program_version: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub used_at: Option<DateTime<Utc>>,
    pub refunded_at: Option<DateTime<Utc>>,
    pub order_id: Option<String>,
    pub failure_reason: Option<String>,
}

impl From<&ClaimRow> for ClaimView {
    fn from(row: &ClaimRow) -> Self {
        Self {
            id: row.id.clone(),
            code: row.code.clone(),
            points: row.points,
            value: money(row.value_minor, &row.currency),
            currency: row.currency.clone(),
            status: row.status.as_str().to_string(),
            channel: row.channel.as_str().to_string(),
            customer_id: row.customer_id.clone(),
            purchase_type: row.purchase_type.as_str().to_string(),
            program_version: row.program_version,
            created_at: utc(row.created_at),
            expires_at: row.expires_at.map(utc),
            used_at: row.used_at.map(utc),
            refunded_at: row.refunded_at.map(utc),
            order_id: row.order_id.clone(),
            failure_reason: row.failure_reason.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClaimList {
    pub claims: Vec<ClaimView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    pub id: String,
    pub delta: i64,
    pub balance_after: i64,
    /// earn, redeem, refund, adjust, expire, pending, release
    pub kind: String,
    /// Change of the pending points (pending +N, release -N, a refund inside
    /// the return window < 0); 0 otherwise.
    pub pending_delta: i64,
    pub claim_id: Option<String>,
    pub order_id: Option<String>,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Admin views only: the staff member (`sub` of the admin token) who
    /// made a manual adjustment; left out elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl From<&EntryRow> for EntryView {
    fn from(row: &EntryRow) -> Self {
        Self {
            id: row.id.clone(),
            delta: row.delta,
            balance_after: row.balance_after,
            kind: row.kind.as_str().to_string(),
            pending_delta: row.pending_delta,
            claim_id: row.claim_id.clone(),
            order_id: row.order_id.clone(),
            reason: row.reason.clone(),
            created_at: utc(row.created_at),
            actor: None,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EntryList {
    pub entries: Vec<EntryView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundView {
    pub claim: ClaimView,
    pub points_refunded: i64,
    pub points_balance: i64,
}

/// The program as a shopper sees it, with their eligibility.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramSummary {
    pub channel: Channel,
    pub version: i64,
    pub enabled: bool,
    #[schema(example = "100")]
    pub points_per_unit: String,
    pub min_points: i64,
    pub max_points: i64,
    pub purchase_types: Vec<PurchaseType>,
    pub eligible: bool,
    /// program_disabled, not_eligible or segments_unavailable
    pub ineligible_reason: Option<String>,
    /// How long a new code stays valid; none = until used or cancelled.
    pub code_lifetime_hours: Option<i64>,
    /// For subscription codes: which payments the discount applies to.
    pub subscription: Option<Subscription>,
    /// Which other discounts a code combines with at checkout.
    pub combines_with: CombinesWith,
}

impl ProgramSummary {
    pub fn new(program: &Program, eligibility: Result<(), Reason>) -> Self {
        let reason = eligibility.err().map(|refusal| match refusal {
            Reason::ProgramDisabled => "program_disabled",
            Reason::SegmentsUnavailable => "segments_unavailable",
            _ => "not_eligible",
        });
        Self {
            channel: program.channel,
            version: program.version,
            enabled: program.settings.enabled,
            points_per_unit: program.settings.points_per_unit.to_string(),
            min_points: program.settings.min_points,
            max_points: program.settings.max_points,
            purchase_types: program.settings.purchase_type.list(),
            eligible: reason.is_none(),
            ineligible_reason: reason.map(str::to_string),
            code_lifetime_hours: program.settings.code_lifetime_hours,
            subscription: program.settings.subscription.clone(),
            combines_with: program.settings.combines_with,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WalletView {
    pub customer_id: String,
    pub points_balance: i64,
    /// Earned on orders still inside the return window: shown, not spendable.
    pub pending_points: i64,
    /// The next (up to 5) dates on which points expire, soonest first.
    pub expiring: Vec<ExpiringView>,
    pub currency: String,
    /// Points a customer earns per unit of currency paid (the shop's rate).
    #[schema(example = "1")]
    pub earn_points_per_unit: String,
    /// The shop's locale (BCP 47) for numbers and money, e.g. "de-DE".
    #[schema(example = "en-US")]
    pub locale: String,
    pub program: ProgramSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringView {
    pub points: i64,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteError {
    pub code: ErrorCode,
    pub message: String,
}

impl From<AppError> for QuoteError {
    fn from(error: AppError) -> Self {
        Self { code: error.code, message: error.message }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    pub points: i64,
    #[schema(example = "5.00")]
    pub value: String,
    pub currency: String,
    pub valid: bool,
    pub error: Option<QuoteError>,
}

/// A program as the merchant edits it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgramView {
    pub channel: Channel,
    pub version: i64,
    #[serde(flatten)]
    pub settings: ProgramSettings,
    pub updated_at: DateTime<Utc>,
}

impl From<&Program> for ProgramView {
    fn from(program: &Program) -> Self {
        Self {
            channel: program.channel,
            version: program.version,
            settings: program.settings.clone(),
            updated_at: utc(program.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerSummary {
    pub id: String,
    pub points_balance: i64,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<&CustomerRow> for CustomerSummary {
    fn from(row: &CustomerRow) -> Self {
        Self {
            id: row.id.clone(),
            points_balance: row.points_balance,
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerPage {
    pub customers: Vec<CustomerSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    pub customer_id: String,
    pub points_balance: i64,
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    pub wallet: BalanceView,
    /// The newest 100 claims; the rest from `claims_next_cursor` on.
    pub claims: Vec<ClaimView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/claims`; null when all are shown.
    pub claims_next_cursor: Option<String>,
    /// The newest 100 ledger entries; the rest from `entries_next_cursor` on.
    pub entries: Vec<EntryView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/entries`; null when all are shown.
    pub entries_next_cursor: Option<String>,
    /// Points earned on orders still inside the return window.
    pub pending_points: i64,
    /// The wallet's newest 100 lots, soonest expiry first (spent ones
    /// included); the rest from `lots_next_cursor` on.
    pub lots: Vec<LotView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/lots`; null when all are shown.
    pub lots_next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotView {
    pub id: String,
    pub points: i64,
    pub remaining: i64,
    /// null: never expires.
    pub expires_at: Option<DateTime<Utc>>,
    pub order_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotList {
    /// Newest first.
    pub lots: Vec<LotView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub next_cursor: Option<String>,
}

impl From<&crate::store::lots::LotRow> for LotView {
    fn from(row: &crate::store::lots::LotRow) -> Self {
        Self {
            id: row.id.clone(),
            points: row.points,
            remaining: row.remaining,
            expires_at: row.expires_at.map(utc),
            order_id: row.order_id.clone(),
            created_at: utc(row.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdjustmentView {
    pub entry: EntryView,
    pub points_balance: i64,
}
