//! Response bodies of the public API (docs/API.md) and how rows become them.

use crate::domain::claim::ClaimStatus;
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
pub(crate) fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc().trunc_subsecs(6)
}

/// Money as the API shows it: minor units of the currency as a decimal string.
pub(crate) fn money(minor: i64, currency: &str) -> String {
    Currency::parse(currency).map(|c| c.format_minor(minor)).unwrap_or_else(|_| minor.to_string())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClaimView {
    pub(crate) id: String,
    pub(crate) code: String,
    pub(crate) points: i64,
    #[schema(example = "5.00")]
    pub(crate) value: String,
    pub(crate) currency: String,
    /// pending, active, used, refund_pending, refunded, failed, expired
    pub(crate) status: String,
    pub(crate) channel: String,
    pub(crate) customer_id: String,
    pub(crate) purchase_type: String,
    pub(crate) program_version: i64,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) used_at: Option<DateTime<Utc>>,
    pub(crate) refunded_at: Option<DateTime<Utc>>,
    pub(crate) order_id: Option<String>,
    pub(crate) failure_reason: Option<String>,
    /// Who cancelled the code: shopper, merchant, clerk, expiry or platform
    /// (deleted at Shopify); null while it is open or used, and for codes
    /// cancelled before this was recorded.
    pub(crate) cancelled_by: Option<String>,
}

/// Who cancelled a claim, shown only while the claim is cancelled (an order
/// that used the code before its deletion wins, and then nobody cancelled it).
fn cancelled_by(row: &ClaimRow) -> Option<String> {
    let cancelled = matches!(row.status, ClaimStatus::RefundPending | ClaimStatus::Refunded | ClaimStatus::Expired);
    row.cancelled_by.filter(|_| cancelled).map(|by| by.as_str().to_string())
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
            cancelled_by: cancelled_by(row),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ClaimList {
    pub(crate) claims: Vec<ClaimView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct EntryView {
    pub(crate) id: String,
    pub(crate) delta: i64,
    pub(crate) balance_after: i64,
    /// earn, redeem, refund, adjust, expire, pending, release
    pub(crate) kind: String,
    /// Change of the pending points (pending +N, release -N, a refund inside
    /// the return window < 0); 0 otherwise.
    pub(crate) pending_delta: i64,
    pub(crate) claim_id: Option<String>,
    pub(crate) order_id: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    /// Admin views only: the staff member (`sub` of the admin token) who
    /// made a manual adjustment; left out elsewhere.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) actor: Option<String>,
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
pub(crate) struct EntryList {
    pub(crate) entries: Vec<EntryView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RefundView {
    pub(crate) claim: ClaimView,
    pub(crate) points_refunded: i64,
    pub(crate) points_balance: i64,
}

/// The program as a shopper sees it, with their eligibility.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgramSummary {
    pub(crate) channel: Channel,
    pub(crate) version: i64,
    pub(crate) enabled: bool,
    #[schema(example = "100")]
    pub(crate) points_per_unit: String,
    pub(crate) min_points: i64,
    pub(crate) max_points: i64,
    pub(crate) purchase_types: Vec<PurchaseType>,
    pub(crate) eligible: bool,
    /// program_disabled, not_eligible or segments_unavailable
    pub(crate) ineligible_reason: Option<String>,
    /// How long a new code stays valid; none = until used or cancelled.
    pub(crate) code_lifetime_hours: Option<i64>,
    /// For subscription codes: which payments the discount applies to.
    pub(crate) subscription: Option<Subscription>,
    /// Which other discounts a code combines with at checkout.
    pub(crate) combines_with: CombinesWith,
}

impl ProgramSummary {
    pub(crate) fn new(program: &Program, eligibility: Result<(), Reason>) -> Self {
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
pub(crate) struct WalletView {
    pub(crate) customer_id: String,
    pub(crate) points_balance: i64,
    /// What the whole balance is worth at the program's ratio, rounded down
    /// to the currency's minor unit (a code may be capped lower by max_points).
    #[schema(example = "27.50")]
    pub(crate) points_value: String,
    /// Earned on orders still inside the return window: shown, not spendable.
    pub(crate) pending_points: i64,
    /// The next (up to 5) dates on which points expire, soonest first.
    pub(crate) expiring: Vec<ExpiringView>,
    pub(crate) currency: String,
    /// Points a customer earns per unit of currency paid (the shop's rate).
    #[schema(example = "1")]
    pub(crate) earn_points_per_unit: String,
    /// The shop's locale (BCP 47) for numbers and money, e.g. "de-DE".
    #[schema(example = "en-US")]
    pub(crate) locale: String,
    pub(crate) program: ProgramSummary,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExpiringView {
    pub(crate) points: i64,
    pub(crate) expires_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuoteError {
    pub(crate) code: ErrorCode,
    pub(crate) message: String,
}

impl From<AppError> for QuoteError {
    fn from(error: AppError) -> Self {
        Self { code: error.code, message: error.message }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct QuoteView {
    pub(crate) points: i64,
    #[schema(example = "5.00")]
    pub(crate) value: String,
    pub(crate) currency: String,
    pub(crate) valid: bool,
    pub(crate) error: Option<QuoteError>,
}

/// A program as the merchant edits it.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProgramView {
    pub(crate) channel: Channel,
    pub(crate) version: i64,
    #[serde(flatten)]
    pub(crate) settings: ProgramSettings,
    pub(crate) updated_at: DateTime<Utc>,
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
pub(crate) struct CustomerSummary {
    pub(crate) id: String,
    pub(crate) points_balance: i64,
    pub(crate) email: Option<String>,
    /// "First Last" (or whichever is known).
    pub(crate) display_name: Option<String>,
    /// Digits only.
    pub(crate) phone: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

impl From<&CustomerRow> for CustomerSummary {
    fn from(row: &CustomerRow) -> Self {
        Self {
            id: row.id.clone(),
            points_balance: row.points_balance,
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            phone: row.phone.clone(),
            created_at: utc(row.created_at),
        }
    }
}

/// A customer's personal data (what a data request hands over; a redaction erases it).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ProfileView {
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) email: Option<String>,
    /// Digits only.
    pub(crate) phone: Option<String>,
}

impl From<&CustomerRow> for ProfileView {
    fn from(row: &CustomerRow) -> Self {
        Self {
            first_name: row.first_name.clone(),
            last_name: row.last_name.clone(),
            display_name: row.display_name.clone(),
            email: row.email.clone(),
            phone: row.phone.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CustomerPage {
    pub(crate) customers: Vec<CustomerSummary>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct BalanceView {
    pub(crate) customer_id: String,
    pub(crate) points_balance: i64,
    pub(crate) currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CustomerDetail {
    pub(crate) wallet: BalanceView,
    /// Who the customer is, as webhooks and events told (null fields: not known or erased).
    pub(crate) profile: ProfileView,
    /// The newest 100 claims; the rest from `claims_next_cursor` on.
    pub(crate) claims: Vec<ClaimView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/claims`; null when all are shown.
    pub(crate) claims_next_cursor: Option<String>,
    /// The newest 100 ledger entries; the rest from `entries_next_cursor` on.
    pub(crate) entries: Vec<EntryView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/entries`; null when all are shown.
    pub(crate) entries_next_cursor: Option<String>,
    /// Points earned on orders still inside the return window.
    pub(crate) pending_points: i64,
    /// The wallet's newest 100 lots, soonest expiry first (spent ones
    /// included); the rest from `lots_next_cursor` on.
    pub(crate) lots: Vec<LotView>,
    /// `cursor` for `GET /api/v1/admin/customers/{id}/lots`; null when all are shown.
    pub(crate) lots_next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LotView {
    pub(crate) id: String,
    pub(crate) points: i64,
    pub(crate) remaining: i64,
    /// null: never expires.
    pub(crate) expires_at: Option<DateTime<Utc>>,
    pub(crate) order_id: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct LotList {
    /// Newest first.
    pub(crate) lots: Vec<LotView>,
    /// Pass as `cursor` for the next (older) page; null on the last page.
    pub(crate) next_cursor: Option<String>,
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
pub(crate) struct AdjustmentView {
    pub(crate) entry: EntryView,
    pub(crate) points_balance: i64,
}
