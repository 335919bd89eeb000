//! What a points claim asks the platform to create: the claim's row and the
//! program snapshot recorded on it, as one Shopify discount input.

use super::shopify::DiscountInput;
use crate::domain::money::Currency;
use crate::domain::program::PurchaseType;
use crate::store::{self, claims::ClaimRow};

/// The discount for `claim`: its code, value and customer, the purchase type
/// and subscription cycles of the program version it was made under.
pub(super) fn discount_input(claim: &ClaimRow) -> store::Result<DiscountInput> {
    let snapshot = claim.snapshot()?;
    let subscription = claim.purchase_type == PurchaseType::Subscription;
    Ok(DiscountInput {
        title: format!("Dynamic discount — {} points", claim.points),
        code: claim.code.clone(),
        amount: Currency::parse(&claim.currency).map_err(store::Error::internal_msg)?.format_minor(claim.value_minor),
        customer_id: claim.customer_id.clone(),
        one_time: !subscription,
        subscription,
        recurring_cycle_limit: snapshot
            .subscription
            .as_ref()
            .filter(|_| subscription)
            .map(|s| s.recurring_cycle_limit()),
        combines_with: snapshot.combines_with,
        starts_at: claim.created_at.and_utc().to_rfc3339(),
        ends_at: claim.expires_at.map(|at| at.and_utc().to_rfc3339()),
    })
}
