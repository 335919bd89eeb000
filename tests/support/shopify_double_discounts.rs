//! What the double's root fields do: discount codes (an amount or a
//! percentage, optionally a minimum subtotal; free shipping), their lookup
//! and deletion, segment memberships and the segment list. Each answers its
//! full payload; the GraphQL front end projects it onto the selection.
//! Percentages are fractions 0–1; free shipping codes carry the purchase
//! types at the top of the input, basic codes under `customerGets`.

use super::{oauth, DiscountRecord, State};
use serde_json::{json, Value};

/// Runs one planned root field with its coerced arguments.
pub(super) fn execute(state: &mut State, name: &str, args: &Value, mutation: bool) -> Value {
    let text = |key: &str| args[key].as_str().unwrap_or_default().to_string();
    match name {
        "__typename" => json!(if mutation { "Mutation" } else { "QueryRoot" }),
        "discountCodeBasicCreate" => create(state, &args["basicCodeDiscount"], false),
        "discountCodeFreeShippingCreate" => create(state, &args["freeShippingCodeDiscount"], true),
        "discountCodeDelete" => delete(state, &text("id")),
        "codeDiscountNodeByCode" => {
            state.stats.lookups += 1;
            state.live_index(&text("code")).map_or(Value::Null, |i| node_json(&state.discounts[i]))
        }
        "customerSegmentMembership" => {
            let customer = text("customerId");
            let segments = args["segmentIds"].as_array().into_iter().flatten().filter_map(Value::as_str);
            let member = |segment: &str| state.segments.get(segment).is_some_and(|m| m.contains(&customer));
            memberships(segments.map(|segment| (segment, member(segment))).collect())
        }
        "segments" => {
            let first = args["first"].as_u64().unwrap_or(0) as usize;
            let names = state.segment_names.iter().take(first).map(|(id, name)| (id.as_str(), name.as_str()));
            segment_connection(names.collect(), state.segment_names.len() > first)
        }
        "webhookSubscriptionCreate" => oauth::subscribe(state, &text("topic"), &args["webhookSubscription"]),
        _ => Value::Null,
    }
}

/// The shape each root field answers, fully populated, to check selections.
pub(super) fn sample_payload(name: &str) -> Value {
    let node = node_json(&DiscountRecord { customer_ids: vec!["x".into()], ..DiscountRecord::default() });
    let errors = || vec![user_error(&["x"], "INVALID", "x")];
    match name {
        "discountCodeBasicCreate" => create_payload(false, node, errors()),
        "discountCodeFreeShippingCreate" => create_payload(true, node, errors()),
        "discountCodeDelete" => delete_payload(Some("x"), errors()),
        "webhookSubscriptionCreate" => {
            let made = oauth::Subscription { id: "x".into(), topic: "x".into(), callback_url: "x".into() };
            oauth::subscription_payload(Some(&made), Some("x"))
        }
        "customerSegmentMembership" => memberships(vec![("x", true)]),
        "segments" => segment_connection(vec![("x", "x")], false),
        _ => node,
    }
}

fn user_error(field: &[&str], code: &str, message: &str) -> Value {
    json!({"__typename": "DiscountUserError", "field": field, "code": code, "message": message, "extraInfo": null})
}

fn create_payload(free_shipping: bool, node: Value, errors: Vec<Value>) -> Value {
    let typename =
        if free_shipping { "DiscountCodeFreeShippingCreatePayload" } else { "DiscountCodeBasicCreatePayload" };
    json!({"__typename": typename, "codeDiscountNode": node, "userErrors": errors})
}

fn delete_payload(id: Option<&str>, errors: Vec<Value>) -> Value {
    json!({"__typename": "DiscountCodeDeletePayload", "deletedCodeDiscountId": id, "userErrors": errors})
}

fn memberships(segments: Vec<(&str, bool)>) -> Value {
    let item =
        |(id, member): (&str, bool)| json!({"__typename": "SegmentMembership", "segmentId": id, "isMember": member});
    json!({"__typename": "SegmentMembershipResponse", "memberships": segments.into_iter().map(item).collect::<Vec<_>>()})
}

/// `segments(first:)`: one page of named segments, by id.
fn segment_connection(segments: Vec<(&str, &str)>, more: bool) -> Value {
    let node = |(id, name): (&str, &str)| json!({"__typename": "Segment", "id": id, "name": name, "query": ""});
    json!({"__typename": "SegmentConnection", "nodes": segments.into_iter().map(node).collect::<Vec<_>>(),
           "pageInfo": {"__typename": "PageInfo", "hasNextPage": more, "endCursor": null}})
}

fn delete(state: &mut State, id: &str) -> Value {
    match state.discounts.iter_mut().find(|d| d.id == id && !d.deleted) {
        Some(discount) => {
            discount.deleted = true;
            state.stats.deletes += 1;
            delete_payload(Some(id), Vec::new())
        }
        None => delete_payload(None, vec![user_error(&["id"], "INVALID", "Discount does not exist")]),
    }
}

/// `discountCodeBasicCreate` or `discountCodeFreeShippingCreate` with a coerced input.
fn create(state: &mut State, input: &Value, free_shipping: bool) -> Value {
    let root = if free_shipping { "freeShippingCodeDiscount" } else { "basicCodeDiscount" };
    match record(input, root, free_shipping).and_then(|record| insert(state, record, root)) {
        Ok(index) => create_payload(free_shipping, node_json(&state.discounts[index]), Vec::new()),
        Err(errors) => create_payload(free_shipping, Value::Null, errors),
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
    let selection = if input["customerSelection"].is_null() { &input["context"] } else { &input["customerSelection"] };
    let purchase = if free_shipping { input } else { &input["customerGets"] };
    let (value, combines) = (&input["customerGets"]["value"], &input["combinesWith"]);
    Ok(DiscountRecord {
        id: String::new(),
        code: text(&input["code"]).unwrap_or_default(),
        title: text(&input["title"]).unwrap_or_default(),
        amount: text(&value["discountAmount"]["amount"]).unwrap_or_default(),
        customer_ids: selection["customers"]["add"].as_array().into_iter().flatten().filter_map(text).collect(),
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

/// The user errors of one input, under its root argument.
struct Problems<'a> {
    root: &'a str,
    errors: Vec<Value>,
}

impl Problems<'_> {
    fn check(&mut self, failed: bool, path: &[&str], message: &str) {
        if failed {
            self.errors.push(user_error(&[&[self.root], path].concat(), "INVALID", message));
        }
    }
}

fn positive(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.parse::<f64>().is_ok_and(|n| n > 0.0))
}

/// The user errors of a coerced create input, as Shopify reports them.
fn input_errors(input: &Value, root: &str, free_shipping: bool) -> Vec<Value> {
    let mut problems = Problems { root, errors: Vec::new() };
    let text = |key: &str| input[key].as_str().unwrap_or_default();
    let code = text("code");
    problems.check(text("title").trim().is_empty(), &["title"], "Title can't be blank");
    problems.check(code.trim().is_empty(), &["code"], "Code can't be blank");
    problems.check(code.chars().count() > 255, &["code"], "Code is too long (maximum is 255 characters)");
    problems.check(code.contains(['\n', '\r']), &["code"], "Code cannot contain newline characters.");
    if !free_shipping {
        customer_gets_errors(&input["customerGets"], &mut problems);
    }
    let selection = if input["customerSelection"].is_null() { "context" } else { "customerSelection" };
    let mut customers = input[selection]["customers"]["add"].as_array().into_iter().flatten().filter_map(Value::as_str);
    let strangers = customers.any(|id| !is_customer_gid(id));
    problems.check(strangers, &[selection, "customers", "add"], "Customer does not exist");
    let date = |key: &str| chrono::DateTime::parse_from_rfc3339(text(key)).ok();
    let backwards = matches!((date("startsAt"), date("endsAt")), (Some(start), Some(end)) if end <= start);
    problems.check(backwards, &["endsAt"], "Ends at needs to be after starts_at");
    let usage = input["usageLimit"].as_i64().is_some_and(|u| u < 1);
    problems.check(usage, &["usageLimit"], "Usage limit must be greater than 0");
    let cycles = input["recurringCycleLimit"].as_i64().is_some_and(|r| r < 0);
    problems.check(cycles, &["recurringCycleLimit"], "Recurring cycle limit must be 0 or more");
    let minimum = &input["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"];
    let path = ["minimumRequirement", "subtotal", "greaterThanOrEqualToSubtotal"];
    problems.check(!minimum.is_null() && !positive(minimum), &path, "Minimum subtotal must be greater than 0");
    let shipping = input["maximumShippingPrice"].as_str().is_some_and(|m| !m.parse::<f64>().is_ok_and(|v| v >= 0.0));
    problems.check(shipping, &["maximumShippingPrice"], "Maximum shipping price is invalid");
    problems.errors
}

fn customer_gets_errors(gets: &Value, problems: &mut Problems) {
    if gets.is_null() {
        return problems.check(true, &["customerGets"], "Customer gets can't be blank");
    }
    let value = &gets["value"];
    let given = ["discountAmount", "percentage", "discountOnQuantity"].iter().filter(|k| !value[**k].is_null());
    problems.check(given.count() != 1, &["customerGets", "value"], "Exactly one value must be given");
    let amount = &value["discountAmount"]["amount"];
    let path = ["customerGets", "value", "discountAmount", "amount"];
    problems.check(amount.is_string() && !positive(amount), &path, "Value must be greater than 0");
    problems.check(!value["discountAmount"].is_null() && !amount.is_string(), &path, "Amount can't be blank");
    let percentage = value["percentage"].as_f64().is_some_and(|p| p <= 0.0 || p > 1.0);
    let path = ["customerGets", "value", "percentage"];
    problems.check(percentage, &path, "Percentage must be between 0 and 1");
    problems.check(gets["items"].is_null(), &["customerGets", "items"], "Items can't be blank");
}

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

/// The whole `DiscountCodeNode` as the double knows it; answers are
/// projections of this onto the selection. `__union` marks an abstract type
/// whose fields can only be selected through a fragment.
fn node_json(record: &DiscountRecord) -> Value {
    let number = record.id.rsplit('/').next().unwrap_or("0");
    let (order, product, shipping) = record.combines_with;
    let customers: Vec<Value> =
        record.customer_ids.iter().map(|id| json!({"__typename": "Customer", "id": id})).collect();
    let redeem = json!({"__typename": "DiscountRedeemCode", "id": format!("gid://shopify/DiscountRedeemCode/{number}"),
                        "code": record.code, "asyncUsageCount": 0});
    let typename = if record.free_shipping { "DiscountCodeFreeShipping" } else { "DiscountCodeBasic" };
    json!({"__typename": "DiscountCodeNode", "id": record.id, "codeDiscount": {
        "__typename": typename, "__union": "DiscountCode", "title": record.title, "status": status_of(record),
        "summary": format!("${} off entire order • One use per customer", record.amount),
        "startsAt": record.starts_at, "endsAt": record.ends_at, "usageLimit": record.usage_limit,
        "appliesOncePerCustomer": record.applies_once_per_customer, "asyncUsageCount": 0,
        "recurringCycleLimit": record.recurring_cycle_limit, "discountClass": "ORDER",
        "codesCount": {"__typename": "Count", "count": 1, "precision": "EXACT"},
        "codes": {"__typename": "DiscountRedeemCodeConnection", "nodes": [redeem.clone()],
                  "edges": [{"__typename": "DiscountRedeemCodeEdge", "node": redeem}]},
        "combinesWith": {"__typename": "DiscountCombinesWith", "orderDiscounts": order,
                         "productDiscounts": product, "shippingDiscounts": shipping},
        "customerGets": {"__typename": "DiscountCustomerGets",
            "appliesOnOneTimePurchase": record.applies_on_one_time_purchase,
            "appliesOnSubscription": record.applies_on_subscription,
            "items": {"__typename": "AllDiscountItems", "__union": "DiscountItems", "allItems": true},
            "value": {"__typename": "DiscountAmount", "__union": "DiscountCustomerGetsValue", "appliesOnEachItem": false,
                      "amount": {"__typename": "MoneyV2", "amount": record.amount, "currencyCode": "USD"}}},
        "customerSelection": {"__typename": "DiscountCustomers", "__union": "DiscountCustomerSelection",
                              "customers": customers},
    }})
}
