//! What the double's root fields do: discount codes (an amount or a
//! percentage, optionally a minimum subtotal; free shipping), their lookup
//! and deletion, segment memberships and the segment list. Each answers a
//! value of its schema type (`__typename` only where a union needs it); the
//! GraphQL front end cuts it down to the selection. Percentages are
//! fractions 0–1; free shipping codes carry the purchase types at the top of
//! the input, basic codes under `customerGets`; who may use a code is the
//! input's `context` (customers, segments or all buyers).

use super::{oauth, DiscountRecord, State};
use serde_json::{json, Value};

/// Runs one root field with its coerced arguments.
pub(super) fn execute(state: &mut State, name: &str, args: &Value) -> Value {
    let text = |key: &str| args[key].as_str().unwrap_or_default().to_string();
    match name {
        "discountCodeBasicCreate" => create(state, &args["basicCodeDiscount"], false),
        "discountCodeFreeShippingCreate" => create(state, &args["freeShippingCodeDiscount"], true),
        "discountCodeDelete" => delete(state, &text("id")),
        "codeDiscountNodeByCode" => {
            state.stats.lookups += 1;
            state.live_index(&text("code")).map_or(Value::Null, |i| node_json(&state.discounts[i]))
        }
        "customerSegmentMembership" => {
            let customer = text("customerId");
            let member = |segment: &str| state.segments.get(segment).is_some_and(|m| m.contains(&customer));
            let ids = args["segmentIds"].as_array().into_iter().flatten().filter_map(Value::as_str);
            json!({"memberships": ids.map(|id| json!({"segmentId": id, "isMember": member(id)})).collect::<Value>()})
        }
        "segments" => {
            let (first, names) = (args["first"].as_u64().unwrap_or(0) as usize, &state.segment_names);
            let nodes: Value =
                names.iter().take(first).map(|(id, name)| json!({"id": id, "name": name, "query": ""})).collect();
            json!({"nodes": nodes, "pageInfo": {"hasNextPage": names.len() > first, "endCursor": null}})
        }
        "webhookSubscriptionCreate" => oauth::subscribe(state, &text("topic"), &args["webhookSubscription"]),
        _ => Value::Null,
    }
}

fn user_error(field: &[&str], code: &str, message: &str) -> Value {
    json!({"field": field, "code": code, "message": message, "extraInfo": null})
}

fn delete(state: &mut State, id: &str) -> Value {
    let Some(discount) = state.discounts.iter_mut().find(|d| d.id == id && !d.deleted) else {
        let error = user_error(&["id"], "INVALID", "Discount does not exist");
        return json!({"deletedCodeDiscountId": null, "userErrors": [error]});
    };
    discount.deleted = true;
    state.stats.deletes += 1;
    json!({"deletedCodeDiscountId": id, "userErrors": []})
}

/// `discountCodeBasicCreate` or `discountCodeFreeShippingCreate` with a coerced input.
fn create(state: &mut State, input: &Value, free_shipping: bool) -> Value {
    let root = if free_shipping { "freeShippingCodeDiscount" } else { "basicCodeDiscount" };
    match record(input, root, free_shipping).and_then(|record| insert(state, record, root)) {
        Ok(index) => json!({"codeDiscountNode": node_json(&state.discounts[index]), "userErrors": []}),
        Err(errors) => json!({"codeDiscountNode": null, "userErrors": errors}),
    }
}

/// What needs the other discounts: an injected rejection, then TAKEN.
fn insert(state: &mut State, mut record: DiscountRecord, root: &str) -> Result<usize, Vec<Value>> {
    if let Some(rejection) = state.faults.reject_next_create.take() {
        state.stats.faults_injected += 1;
        let field: &[&str] = if rejection == "TAKEN" { &[root, "code"] } else { &[root] };
        return Err(vec![user_error(field, &rejection, "Rejected by the test double")]);
    }
    if state.live_index(&record.code).is_some() {
        state.stats.taken += 1;
        return Err(vec![user_error(&[root, "code"], "TAKEN", "Code must be unique. Please try a different code.")]);
    }
    record.id = format!("gid://shopify/DiscountCodeNode/{}", state.next_id);
    state.next_id += 1;
    state.stats.creates += 1;
    state.discounts.push(record);
    Ok(state.discounts.len() - 1)
}

fn record(input: &Value, root: &str, free_shipping: bool) -> Result<DiscountRecord, Vec<Value>> {
    let errors = input_errors(input, root, free_shipping);
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = |v: &Value| v.as_str().map(str::to_string);
    let flag = |v: &Value| v.as_bool().unwrap_or(false);
    let context = &input["context"];
    let added = |kind: &str| context[kind]["add"].as_array().into_iter().flatten().filter_map(text).collect();
    let purchase = if free_shipping { input } else { &input["customerGets"] };
    let (value, combines) = (&input["customerGets"]["value"], &input["combinesWith"]);
    Ok(DiscountRecord {
        id: String::new(),
        code: text(&input["code"]).unwrap_or_default(),
        title: text(&input["title"]).unwrap_or_default(),
        amount: text(&value["discountAmount"]["amount"]).unwrap_or_default(),
        customer_ids: added("customers"),
        segment_ids: added("customerSegments"),
        applies_on_one_time_purchase: purchase["appliesOnOneTimePurchase"].as_bool().unwrap_or(true),
        applies_on_subscription: flag(&purchase["appliesOnSubscription"]),
        recurring_cycle_limit: input["recurringCycleLimit"].as_i64(),
        usage_limit: input["usageLimit"].as_i64(),
        applies_once_per_customer: flag(&input["appliesOncePerCustomer"]),
        combines_with: (
            flag(&combines["orderDiscounts"]),
            flag(&combines["productDiscounts"]),
            flag(&combines["shippingDiscounts"]),
        ),
        starts_at: text(&input["startsAt"]),
        ends_at: text(&input["endsAt"]),
        deleted: false,
        percentage: value["percentage"].as_f64(),
        min_subtotal: text(&input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"]),
        free_shipping,
        max_shipping: text(&input["maximumShippingPrice"]),
    })
}

fn positive(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.parse::<f64>().is_ok_and(|n| n > 0.0))
}

/// The user errors of a coerced create input, as Shopify reports them.
fn input_errors(input: &Value, root: &str, free_shipping: bool) -> Vec<Value> {
    let text = |key: &str| input[key].as_str().unwrap_or_default();
    let (code, title) = (text("code"), text("title"));
    let (gets, value) = (&input["customerGets"], &input["customerGets"]["value"]);
    let given = ["discountAmount", "percentage", "discountOnQuantity"].iter().filter(|k| !value[**k].is_null());
    let (amount, percentage) = (&value["discountAmount"]["amount"], value["percentage"].as_f64());
    let mut customers = input["context"]["customers"]["add"].as_array().into_iter().flatten().filter_map(Value::as_str);
    let strangers = customers.any(|id| !is_customer_gid(id));
    let date = |key: &str| chrono::DateTime::parse_from_rfc3339(text(key)).ok();
    let backwards = matches!((date("startsAt"), date("endsAt")), (Some(start), Some(end)) if end <= start);
    let (usage, cycles) = (input["usageLimit"].as_i64(), input["recurringCycleLimit"].as_i64());
    let minimum = &input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"];
    let shipping = input["maximumShippingPrice"].as_str().is_some_and(|m| !m.parse::<f64>().is_ok_and(|v| v >= 0.0));
    let checks: [(bool, &[&str], &str); 16] = [
        (title.trim().is_empty(), &["title"], "Title can't be blank"),
        (code.trim().is_empty(), &["code"], "Code can't be blank"),
        (code.chars().count() > 255, &["code"], "Code is too long (maximum is 255 characters)"),
        (code.contains(['\n', '\r']), &["code"], "Code cannot contain newline characters."),
        (!free_shipping && gets.is_null(), &["customerGets"], "Customer gets can't be blank"),
        (!gets.is_null() && given.count() != 1, &["customerGets", "value"], "Exactly one value must be given"),
        (amount.is_string() && !positive(amount), &AMOUNT, "Value must be greater than 0"),
        (!value["discountAmount"].is_null() && !amount.is_string(), &AMOUNT, "Amount can't be blank"),
        (percentage.is_some_and(|p| p <= 0.0 || p > 1.0), &PERCENTAGE, "Percentage must be between 0 and 1"),
        (!gets.is_null() && gets["items"].is_null(), &["customerGets", "items"], "Items can't be blank"),
        (strangers, &["context", "customers", "add"], "Customer does not exist"),
        (backwards, &["endsAt"], "Ends at needs to be after starts_at"),
        (usage.is_some_and(|u| u < 1), &["usageLimit"], "Usage limit must be greater than 0"),
        (cycles.is_some_and(|r| r < 0), &["recurringCycleLimit"], "Recurring cycle limit must be 0 or more"),
        (!minimum.is_null() && !positive(minimum), &MINIMUM, "Minimum subtotal must be greater than 0"),
        (shipping, &["maximumShippingPrice"], "Maximum shipping price is invalid"),
    ];
    let failed = checks.into_iter().filter(|(failed, ..)| *failed);
    failed.map(|(_, path, message)| user_error(&[&[root], path].concat(), "INVALID", message)).collect()
}

const AMOUNT: [&str; 4] = ["customerGets", "value", "discountAmount", "amount"];
const PERCENTAGE: [&str; 3] = ["customerGets", "value", "percentage"];
const MINIMUM: [&str; 3] = ["minimumRequirement", "subtotal", "greaterThanOrEqualToSubtotal"];

fn is_customer_gid(id: &str) -> bool {
    id.strip_prefix("gid://shopify/Customer/").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn status_of(record: &DiscountRecord) -> &'static str {
    let now = chrono::Utc::now();
    let at = |time: &Option<String>| time.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    if at(&record.starts_at).is_some_and(|start| start > now) {
        "SCHEDULED"
    } else if at(&record.ends_at).is_some_and(|end| end <= now) {
        "EXPIRED"
    } else {
        "ACTIVE"
    }
}

/// The whole `DiscountCodeNode` as the double knows it.
fn node_json(record: &DiscountRecord) -> Value {
    let money = |amount: &str| json!({"amount": amount, "currencyCode": "USD"});
    let value = match record.percentage {
        Some(percentage) => json!({"__typename": "DiscountPercentage", "percentage": percentage}),
        None => json!({"__typename": "DiscountAmount", "amount": money(&record.amount), "appliesOnEachItem": false}),
    };
    let ids = |ids: &[String]| ids.iter().map(|id| json!({"id": id})).collect::<Vec<Value>>();
    let context = match (record.customer_ids.is_empty(), record.segment_ids.is_empty()) {
        (false, _) => json!({"__typename": "DiscountCustomers", "customers": ids(&record.customer_ids)}),
        (true, false) => json!({"__typename": "DiscountCustomerSegments", "segments": ids(&record.segment_ids)}),
        (true, true) => json!({"__typename": "DiscountBuyerSelectionAll", "all": "ALL"}),
    };
    let minimum = record.min_subtotal.as_deref().map(money);
    let (order, product, shipping) = record.combines_with;
    let redeem = format!("gid://shopify/DiscountRedeemCode/{}", record.id.rsplit('/').next().unwrap_or("0"));
    json!({"id": record.id, "codeDiscount": {
        "__typename": if record.free_shipping { "DiscountCodeFreeShipping" } else { "DiscountCodeBasic" },
        "title": record.title, "status": status_of(record), "startsAt": record.starts_at, "endsAt": record.ends_at,
        "summary": format!("${} off entire order • One use per customer", record.amount),
        "usageLimit": record.usage_limit, "appliesOncePerCustomer": record.applies_once_per_customer,
        "asyncUsageCount": 0, "recurringCycleLimit": record.recurring_cycle_limit,
        "codesCount": {"count": 1, "precision": "EXACT"},
        "codes": {"nodes": [{"id": redeem, "code": record.code, "asyncUsageCount": 0}]},
        "combinesWith": {"orderDiscounts": order, "productDiscounts": product, "shippingDiscounts": shipping},
        "appliesOnOneTimePurchase": record.applies_on_one_time_purchase,
        "appliesOnSubscription": record.applies_on_subscription,
        "customerGets": {"appliesOnOneTimePurchase": record.applies_on_one_time_purchase,
            "appliesOnSubscription": record.applies_on_subscription,
            "items": {"__typename": "AllDiscountItems", "allItems": true}, "value": value},
        "context": context, "maximumShippingPrice": record.max_shipping.as_deref().map(money),
        "minimumRequirement": minimum.map(|m| json!({"__typename": "DiscountMinimumSubtotal", "greaterThanOrEqualToSubtotal": m})),
    }})
}
