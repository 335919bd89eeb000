//! The double's second-round discount kinds (issue 9): percentages and
//! minimum subtotals on `discountCodeBasicCreate`, and
//! `discountCodeFreeShippingCreate`, coerced against the published
//! input types like the rest (an unknown field or a wrong scalar is a
//! top-level error and nothing runs).
//!
//! Schema fields relied on (Admin GraphQL 2025-01 docs, checked against
//! shopify.dev's `DiscountCodeFreeShippingInput`, `DiscountMinimumRequirementInput`,
//! `DiscountMinimumSubtotalInput`, `DiscountShippingDestinationSelectionInput`,
//! `DiscountCodeFreeShippingCreatePayload`):
//! - `discountCodeFreeShippingCreate(freeShippingCodeDiscount: DiscountCodeFreeShippingInput!)`
//!   answering `{codeDiscountNode, userErrors}`;
//! - `DiscountCodeFreeShippingInput`: appliesOncePerCustomer, appliesOnOneTimePurchase,
//!   appliesOnSubscription, code, combinesWith, customerSelection (context from 2025-04),
//!   destination, endsAt, maximumShippingPrice (Decimal), minimumRequirement,
//!   recurringCycleLimit, startsAt, title, usageLimit;
//! - `minimumRequirement: {subtotal: {greaterThanOrEqualToSubtotal: Decimal}}` or
//!   `{quantity: {greaterThanOrEqualToQuantity: UnsignedInt64}}`;
//! - `customerGets.value.percentage: Float`, a fraction between 0 and 1.

use super::{is_customer_gid, parse_datetime, user_error, DiscountRecord, State};
use serde_json::Value;

/// Input object fields added to the main table: (type, field, field type, since).
pub(super) const INPUT_FIELDS: &[(&str, &str, &str, &str)] = &[
    ("DiscountCodeFreeShippingInput", "appliesOncePerCustomer", "Boolean", ""),
    ("DiscountCodeFreeShippingInput", "appliesOnOneTimePurchase", "Boolean", ""),
    ("DiscountCodeFreeShippingInput", "appliesOnSubscription", "Boolean", ""),
    ("DiscountCodeFreeShippingInput", "code", "String", ""),
    ("DiscountCodeFreeShippingInput", "combinesWith", "DiscountCombinesWithInput", ""),
    ("DiscountCodeFreeShippingInput", "context", "DiscountContextInput", "2025-04"),
    ("DiscountCodeFreeShippingInput", "customerSelection", "DiscountCustomerSelectionInput", ""),
    ("DiscountCodeFreeShippingInput", "destination", "DiscountShippingDestinationSelectionInput", ""),
    ("DiscountCodeFreeShippingInput", "endsAt", "DateTime", ""),
    ("DiscountCodeFreeShippingInput", "maximumShippingPrice", "Decimal", ""),
    ("DiscountCodeFreeShippingInput", "minimumRequirement", "DiscountMinimumRequirementInput", ""),
    ("DiscountCodeFreeShippingInput", "recurringCycleLimit", "Int", ""),
    ("DiscountCodeFreeShippingInput", "startsAt", "DateTime", ""),
    ("DiscountCodeFreeShippingInput", "title", "String", ""),
    ("DiscountCodeFreeShippingInput", "usageLimit", "Int", ""),
    ("DiscountShippingDestinationSelectionInput", "all", "Boolean", ""),
    ("DiscountShippingDestinationSelectionInput", "countries", "DiscountCountriesInput", ""),
    ("DiscountCountriesInput", "add", "[String!]", ""),
    ("DiscountCountriesInput", "remove", "[String!]", ""),
    ("DiscountCountriesInput", "includeRestOfWorld", "Boolean", ""),
    ("DiscountMinimumRequirementInput", "quantity", "DiscountMinimumQuantityInput", ""),
    ("DiscountMinimumRequirementInput", "subtotal", "DiscountMinimumSubtotalInput", ""),
    ("DiscountMinimumQuantityInput", "greaterThanOrEqualToQuantity", "String", ""),
    ("DiscountMinimumSubtotalInput", "greaterThanOrEqualToSubtotal", "Decimal", ""),
];

/// The minimum subtotal of a coerced input (None when absent); a
/// non-positive one is a user error.
pub(super) fn minimum(input: &Value, root: &str, errors: &mut Vec<Value>) -> Option<String> {
    let raw = input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"].as_str()?;
    if !raw.parse::<f64>().is_ok_and(|v| v > 0.0) {
        errors.push(user_error(
            &[root, "minimumRequirement", "subtotal", "greaterThanOrEqualToSubtotal"],
            "INVALID",
            "Minimum subtotal must be greater than 0",
        ));
    }
    Some(raw.to_string())
}

/// Creates a free shipping discount from a coerced `DiscountCodeFreeShippingInput`.
pub(super) fn create_free_shipping(state: &mut State, input: &Value) -> (Option<usize>, Vec<Value>) {
    const ROOT: &str = "freeShippingCodeDiscount";
    let text = |v: &Value| v.as_str().map(str::to_string);
    let flag = |v: &Value| v.as_bool().unwrap_or(false);
    let mut errors = Vec::new();
    let code = text(&input["code"]).unwrap_or_default();
    let title = text(&input["title"]).unwrap_or_default();
    if title.trim().is_empty() {
        errors.push(user_error(&[ROOT, "title"], "INVALID", "Title can't be blank"));
    }
    if code.trim().is_empty() || code.chars().count() > 255 || code.contains(['\n', '\r']) {
        errors.push(user_error(&[ROOT, "code"], "INVALID", "Code is invalid"));
    }
    let selection = if input["customerSelection"].is_null() { &input["context"] } else { &input["customerSelection"] };
    let mut customers = Vec::new();
    for id in selection["customers"]["add"].as_array().into_iter().flatten() {
        let id = id.as_str().unwrap_or_default().to_string();
        if !is_customer_gid(&id) {
            errors.push(user_error(
                &[ROOT, "customerSelection", "customers", "add"],
                "INVALID",
                "Customer does not exist",
            ));
        }
        customers.push(id);
    }
    let max_shipping = text(&input["maximumShippingPrice"]);
    if max_shipping.as_deref().is_some_and(|m| !m.parse::<f64>().is_ok_and(|v| v >= 0.0)) {
        errors.push(user_error(&[ROOT, "maximumShippingPrice"], "INVALID", "Maximum shipping price is invalid"));
    }
    let (starts_at, ends_at) = (text(&input["startsAt"]), text(&input["endsAt"]));
    if let (Some(s), Some(e)) =
        (starts_at.as_deref().and_then(parse_datetime), ends_at.as_deref().and_then(parse_datetime))
    {
        if e <= s {
            errors.push(user_error(&[ROOT, "endsAt"], "INVALID", "Ends at needs to be after starts_at"));
        }
    }
    let usage_limit = input["usageLimit"].as_i64();
    if usage_limit.is_some_and(|u| u < 1) {
        errors.push(user_error(&[ROOT, "usageLimit"], "INVALID", "Usage limit must be greater than 0"));
    }
    let min_subtotal = minimum(input, ROOT, &mut errors);
    if !errors.is_empty() {
        return (None, errors);
    }
    if let Some(rejection) = state.faults.reject_next_create.take() {
        state.stats.faults_injected += 1;
        return (None, vec![user_error(&[ROOT], &rejection, "Rejected by the test double")]);
    }
    if state.live_index(&code).is_some() {
        state.stats.taken += 1;
        return (None, vec![user_error(&[ROOT, "code"], "TAKEN", "Code must be unique. Please try a different code.")]);
    }
    let combines = &input["combinesWith"];
    let record = DiscountRecord {
        id: format!("gid://shopify/DiscountCodeNode/{}", state.next_id),
        code,
        title,
        amount: String::new(),
        customer_ids: customers,
        applies_on_one_time_purchase: input["appliesOnOneTimePurchase"].as_bool().unwrap_or(true),
        applies_on_subscription: flag(&input["appliesOnSubscription"]),
        recurring_cycle_limit: input["recurringCycleLimit"].as_i64(),
        usage_limit,
        applies_once_per_customer: flag(&input["appliesOncePerCustomer"]),
        combines_with: (
            flag(&combines["orderDiscounts"]),
            flag(&combines["productDiscounts"]),
            flag(&combines["shippingDiscounts"]),
        ),
        starts_at,
        ends_at,
        deleted: false,
        percentage: None,
        min_subtotal,
        free_shipping: true,
        max_shipping,
    };
    state.next_id += 1;
    state.stats.creates += 1;
    state.discounts.push(record);
    (Some(state.discounts.len() - 1), Vec::new())
}
