//! Tests of the Shopify test double itself, over real HTTP with reqwest.

use crate::shopify_double::{DiscountRecord, DoubleConfig, Faults, ShopifyDouble, ViolationKind};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CREATE: &str = "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";
const LOOKUP: &str = "query codeDiscountNodeByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }";
const DELETE: &str = "mutation discountCodeDelete($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }";
const SEGMENTS: &str = "query customerSegmentMembership($customerId: ID!, $segmentIds: [ID!]!) { customerSegmentMembership(customerId: $customerId, segmentIds: $segmentIds) { memberships { segmentId isMember } } }";
const FREE_SHIPPING: &str = "mutation discountCodeFreeShippingCreate($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";
const CURRENT: &str = loyalty_wallet::platform::shopify::version::CURRENT;
const INVALID_INPUT: &str = "Variable $basicCodeDiscount of type DiscountCodeBasicInput! was provided invalid value";

fn input(code: &str) -> Value {
    json!({
        "title": "Dynamic discount — 500 points", "code": code, "startsAt": "2025-01-01T00:00:00Z", "endsAt": null,
        "context": {"customers": {"add": ["gid://shopify/Customer/123"]}},
        "customerGets": {"value": {"discountAmount": {"amount": "5.00", "appliesOnEachItem": false}}, "items": {"all": true},
                         "appliesOnOneTimePurchase": false, "appliesOnSubscription": true},
        "recurringCycleLimit": 3, "usageLimit": 1, "appliesOncePerCustomer": true,
        "combinesWith": {"orderDiscounts": true, "productDiscounts": false, "shippingDiscounts": true}
    })
}

/// The create input with one field (by path) replaced.
fn input_with(code: &str, path: &[&str], value: Value) -> Value {
    let mut input = input(code);
    *path.iter().fold(&mut input, |object, key| &mut object[*key]) = value;
    input
}

struct Call {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Call {
    fn message(&self) -> &str {
        self.body["errors"][0]["message"].as_str().unwrap_or_else(|| panic!("an error message in {}", self.body))
    }

    fn available(&self) -> f64 {
        self.body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_f64().expect("currentlyAvailable")
    }

    /// Every GraphQL answer carries `extensions.cost`.
    fn assert_cost(&self) {
        let cost = &self.body["extensions"]["cost"];
        assert!(cost["requestedQueryCost"].is_number(), "requestedQueryCost in {}", self.body);
        assert!(cost.get("actualQueryCost").is_some(), "actualQueryCost in {}", self.body);
        for key in ["maximumAvailable", "currentlyAvailable", "restoreRate"] {
            assert!(cost["throttleStatus"][key].is_number(), "{key} in {}", self.body);
        }
    }
}

struct Rig {
    double: ShopifyDouble,
    client: Client,
}

impl Rig {
    async fn start(config: DoubleConfig) -> Self {
        Self { double: ShopifyDouble::start(config).await, client: Client::new() }
    }

    async fn send(&self, client: &Client, token: &str, query: &str, variables: Value) -> reqwest::Result<Call> {
        let response = client
            .post(format!("{}/admin/api/{CURRENT}/graphql.json", self.double.base_url))
            .header("X-Shopify-Access-Token", token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await?;
        let (status, headers) = (response.status(), response.headers().clone());
        let text = response.text().await?;
        Ok(Call { status, headers, body: serde_json::from_str(&text).unwrap_or(Value::String(text)) })
    }

    async fn gql(&self, query: &str, variables: Value) -> Call {
        let token = DoubleConfig::default().access_token;
        self.send(&self.client, &token, query, variables).await.expect("request to the double")
    }

    async fn create(&self, input: Value) -> Call {
        self.gql(CREATE, json!({"basicCodeDiscount": input})).await
    }

    async fn lookup(&self, code: &str) -> Call {
        self.gql(LOOKUP, json!({"code": code})).await
    }

    /// The create sent with another client (a short timeout): the transport error.
    async fn create_failing(&self, client: &Client, code: &str) -> reqwest::Error {
        let variables = json!({"basicCodeDiscount": input(code)});
        let sent = self.send(client, &DoubleConfig::default().access_token, CREATE, variables).await;
        sent.err().expect("the create fails at the transport")
    }
}

fn created(call: &Call) -> &Value {
    &call.body["data"]["discountCodeBasicCreate"]
}

fn found(call: &Call) -> &Value {
    &call.body["data"]["codeDiscountNodeByCode"]
}

#[tokio::test]
async fn create_lookup_delete_and_taken() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let first = rig.create(input("LW-ABC-123")).await;
    assert_eq!(first.status, StatusCode::OK);
    first.assert_cost();
    assert_eq!(created(&first)["userErrors"], json!([]), "{}", first.body);
    let id = created(&first)["codeDiscountNode"]["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("gid://shopify/DiscountCodeNode/"), "{id}");
    assert_eq!(first.body["extensions"]["cost"]["actualQueryCost"], json!(10));
    let expected = DiscountRecord {
        id: id.clone(),
        code: "LW-ABC-123".into(),
        title: "Dynamic discount — 500 points".into(),
        amount: "5.00".into(),
        customer_ids: vec!["gid://shopify/Customer/123".into()],
        applies_on_subscription: true,
        recurring_cycle_limit: Some(3),
        usage_limit: Some(1),
        applies_once_per_customer: true,
        combines_with: (true, false, true),
        starts_at: Some("2025-01-01T00:00:00Z".into()),
        ..DiscountRecord::default()
    };
    assert_eq!(rig.double.discounts(), vec![expected]);

    // Lookup is case-insensitive.
    let lookup = rig.lookup("lw-abc-123").await;
    assert_eq!(found(&lookup)["id"], json!(id));
    lookup.assert_cost();
    assert_eq!(lookup.body["extensions"]["cost"]["requestedQueryCost"], json!(1));
    assert_eq!(*found(&rig.lookup("NOPE").await), Value::Null);

    // The same code again, whatever the case: TAKEN, nothing created.
    let taken = rig.create(input("lw-abc-123")).await;
    assert_eq!(created(&taken)["codeDiscountNode"], Value::Null);
    let error = json!({"field": ["basicCodeDiscount", "code"], "code": "TAKEN",
                       "message": "Code must be unique. Please try a different code."});
    assert_eq!(created(&taken)["userErrors"], json!([error]));
    taken.assert_cost();

    let deleted = rig.gql(DELETE, json!({"id": id})).await;
    assert_eq!(deleted.body["data"]["discountCodeDelete"], json!({"deletedCodeDiscountId": id, "userErrors": []}));
    assert_eq!(*found(&rig.lookup("LW-ABC-123").await), Value::Null);
    let again = rig.gql(DELETE, json!({"id": id})).await;
    let error = json!({"field": ["id"], "code": "INVALID", "message": "Discount does not exist"});
    assert_eq!(again.body["data"]["discountCodeDelete"], json!({"deletedCodeDiscountId": null, "userErrors": [error]}));
    assert!(rig.double.live_codes().is_empty());

    // A deleted code may be created again.
    assert_eq!(created(&rig.create(input("LW-ABC-123")).await)["userErrors"], json!([]));
    assert_eq!(rig.double.discounts().len(), 2);
    assert_eq!(rig.double.live_codes(), vec!["LW-ABC-123".to_string()]);
    let stats = rig.double.stats();
    assert_eq!((stats.creates, stats.taken, stats.deletes, stats.lookups), (2, 1, 1, 3), "{stats:?}");
    assert_eq!(stats.requests, 8);
    assert_eq!(rig.double.connections_accepted(), 1, "keep-alive: one connection for sequential requests");
}

#[tokio::test]
async fn injected_rejections_and_out_of_band_deletes() {
    let rig = Rig::start(DoubleConfig::default()).await;
    rig.double.set_faults(Faults { reject_next_create: Some("INVALID".into()), ..Faults::default() });
    let rejected = rig.create(input("R-1")).await;
    assert_eq!(created(&rejected)["userErrors"][0]["code"], "INVALID");
    assert_eq!(created(&rejected)["codeDiscountNode"], Value::Null);
    let id = created(&rig.create(input("R-1")).await)["codeDiscountNode"]["id"].clone();
    assert_eq!((rig.double.stats().creates, rig.double.stats().faults_injected), (1, 1));
    // The merchant deletes it in the admin: not an API delete.
    assert_eq!(rig.double.delete_out_of_band("r-1"), id.as_str().map(str::to_string));
    assert_eq!(rig.double.delete_out_of_band("R-1"), None);
    assert!(rig.double.live_codes().is_empty() && rig.double.discounts()[0].deleted);
    assert_eq!(rig.double.stats().deletes, 0);
}

#[tokio::test]
async fn invalid_input_is_refused_without_creating() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let mut no_code = input("X");
    no_code.as_object_mut().expect("object").remove("code");
    let (amount, add) = (["customerGets", "value", "discountAmount", "amount"], ["context", "customers", "add"]);
    let user_errors = [
        (no_code, vec!["code"]),
        (input_with("X1", &["title"], json!("  ")), vec!["title"]),
        (input_with("X2", &amount, json!("0.00")), amount.to_vec()),
        (input_with("X3", &add, json!(["123"])), add.to_vec()),
        (input_with("X4", &["endsAt"], json!("2024-01-01T00:00:00Z")), vec!["endsAt"]),
    ];
    for (body, path) in user_errors {
        let answer = rig.create(body).await;
        assert_eq!(created(&answer)["codeDiscountNode"], Value::Null, "{}", answer.body);
        assert_eq!(created(&answer)["userErrors"][0]["code"], "INVALID", "{}", answer.body);
        assert_eq!(created(&answer)["userErrors"][0]["field"], json!([&["basicCodeDiscount"], &path[..]].concat()));
        answer.assert_cost();
    }

    // Type errors are top-level GraphQL errors, as Shopify answers them:
    // unknown input fields, scalars, a custom scalar (DateTime), @oneOf.
    let context = json!({"customers": {"add": ["gid://shopify/Customer/1"]}, "all": "ALL"});
    let type_errors = [
        input_with("Y1", &["customerGets", "bogus"], json!(true)),
        input_with("Y2", &amount, json!("five")),
        input_with("Y3", &["usageLimit"], json!("1")),
        input_with("Y4", &["startsAt"], json!("yesterday")),
        input_with("Y5", &["context"], context),
    ];
    for body in type_errors {
        let answer = rig.create(body).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
        assert!(answer.message().starts_with(INVALID_INPUT), "{}", answer.message());
        answer.assert_cost();
    }
    // (query, variables, the message, or its beginning when not `whole`)
    let mutation_as_query = CREATE.replacen("mutation", "query", 1);
    // (query, variables, the beginning of one of the errors): apollo-compiler's messages.
    let refusals = [
        (CREATE, json!({}), INVALID_INPUT),
        ("mutation { discountCodeFoo(id: \"1\") { id } }", json!({}), "type `Mutation` does not have a field `discountCodeFoo`"),
        (&mutation_as_query, json!({"basicCodeDiscount": input("Z")}), "type `QueryRoot` does not have a field `discountCodeBasicCreate`"),
        (
            "query($code: String!) { codeDiscountNodeByCode(code: $code) { id nope } }",
            json!({"code": "A"}),
            "type `DiscountCodeNode` does not have a field `nope`",
        ),
        ("query { codeDiscountNodeByCode(code: \"A\") { id }", json!({}), "syntax error"),
        ("query { codeDiscountNodeByCode(code: \"A\") }", json!({}), "interface, union and object types must have a subselection set"),
        ("query { codeDiscountNodeByCode(code: \"A\") { id { x } } }", json!({}), "field selection of scalar type `ID` must not have subselections"),
        ("query { segments(first: 1) { ...Nodes } }", json!({}), "cannot find fragment `Nodes` in this document"),
        ("query($first: Int) { segments(first: $first) { nodes { id } } }", json!({"first": "ten"}), "Variable $first of type Int"),
        ("query { codeDiscountNodeByCode(code: 5) { id } }", json!({}), "expected value of type String!, found an integer"),
        (
            "mutation { discountCodeBasicCreate(basicCodeDiscount: {title: \"t\", startsAt: \"soon\"}) { userErrors { message } } }",
            json!({}),
            "Argument 'basicCodeDiscount' on Field 'discountCodeBasicCreate' has an invalid value (Could not coerce value \"soon\" to DateTime)",
        ),
    ];
    for (query, variables, expected) in refusals {
        let answer = rig.gql(query, variables).await;
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
        let messages: Vec<&str> =
            answer.body["errors"].as_array().into_iter().flatten().filter_map(|e| e["message"].as_str()).collect();
        assert!(messages.iter().any(|m| m.starts_with(expected)), "{query}: {messages:?}");
    }
    assert!(rig.double.discounts().is_empty());
    assert_eq!(rig.double.stats().creates, 0);
    let refused = rig.double.take_violations();
    assert!(refused.iter().all(|v| v.kind == ViolationKind::Invalid), "{refused:?}");
    assert!(refused.len() >= 5 + 11, "every refused request is a violation: {refused:?}");
}

#[tokio::test]
async fn selections_aliases_fragments_and_literals() {
    let rig = Rig::start(DoubleConfig::default()).await;
    rig.create(input("FRAG-1")).await;
    let query = r#"
        query Check($code: String!) {
          node: codeDiscountNodeByCode(code: $code) {
            id
            codeDiscount {
              __typename
              ... on DiscountCodeBasic {
                title status usageLimit appliesOncePerCustomer recurringCycleLimit
                codes(first: 1) { nodes { code } }
                combinesWith { orderDiscounts productDiscounts shippingDiscounts }
                customerGets { appliesOnSubscription value { ...Amount } }
                context { ... on DiscountCustomers { customers { id } } }
              }
              ... on DiscountCodeFreeShipping { maximumShippingPrice { amount } }
            }
          }
          literal: codeDiscountNodeByCode(code: "frag-1") { id }
        }
        fragment Amount on DiscountAmount { amount { amount currencyCode } appliesOnEachItem }
    "#;
    let answer = rig.gql(query, json!({"code": "FRAG-1"})).await;
    let basic = &answer.body["data"]["node"]["codeDiscount"];
    assert_eq!(basic["__typename"], "DiscountCodeBasic", "{}", answer.body);
    assert_eq!(basic["title"], "Dynamic discount — 500 points");
    assert_eq!(basic["status"], "ACTIVE");
    assert_eq!(basic["codes"]["nodes"][0]["code"], "FRAG-1");
    assert_eq!(basic["customerGets"]["value"]["amount"]["amount"], "5.00");
    assert_eq!(basic["context"]["customers"][0]["id"], "gid://shopify/Customer/123");
    let combines = json!({"orderDiscounts": true, "productDiscounts": false, "shippingDiscounts": true});
    assert_eq!(basic["combinesWith"], combines);
    assert_eq!(answer.body["data"]["literal"]["id"], answer.body["data"]["node"]["id"]);
    assert_eq!(answer.body["extensions"]["cost"]["requestedQueryCost"], json!(2), "two root fields");
    assert_eq!(answer.body["data"].as_object().expect("data").len(), 2);
    assert_eq!(basic.as_object().map(|b| b.len()), Some(10), "only selected fields: {basic}");

    let on_union =
        rig.gql("query { codeDiscountNodeByCode(code: \"FRAG-1\") { codeDiscount { title } } }", json!({})).await;
    let messages = on_union.body["errors"].to_string();
    assert!(messages.contains("type `DiscountCode` does not have a field `title`"), "{}", on_union.body);
    assert!(!rig.double.take_violations().is_empty());
}

/// Deprecated inputs still work, as at Shopify, but are recorded, as are
/// deprecated fields selected.
#[tokio::test]
async fn deprecated_inputs_and_fields_are_recorded() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let mut old = input("DEP-1");
    old["customerSelection"] = old.as_object_mut().and_then(|o| o.remove("context")).expect("context");
    assert_eq!(created(&rig.create(old).await)["userErrors"], json!([]));
    let subscribe = "mutation($topic: WebhookSubscriptionTopic!, $input: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $input) { webhookSubscription { id callbackUrl } userErrors { message } } }";
    let variables = json!({"topic": "ORDERS_PAID", "input": {"callbackUrl": "https://a.example/w", "format": "JSON"}});
    let answer = rig.gql(subscribe, variables).await;
    let made = &answer.body["data"]["webhookSubscriptionCreate"]["webhookSubscription"];
    assert_eq!(made["callbackUrl"], "https://a.example/w", "{}", answer.body);
    assert_eq!(rig.double.subscriptions()[0].uri, "https://a.example/w");
    let found = rig.double.take_violations();
    assert!(found.iter().all(|v| v.kind == ViolationKind::Deprecated), "{found:?}");
    let messages: Vec<&str> = found.iter().map(|v| v.message.as_str()).collect();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    assert!(messages[0].starts_with("input field DiscountCodeBasicInput.customerSelection"), "{}", messages[0]);
    assert!(messages[1].starts_with("input field WebhookSubscriptionInput.callbackUrl"), "{}", messages[1]);
    assert!(messages[2].starts_with("field callbackUrl is deprecated"), "{}", messages[2]);
    assert_eq!(rig.double.schema_checks().deprecated, 3);
}

/// A violation nobody takes fails the test: the double panics when dropped.
#[tokio::test]
#[should_panic(expected = "violation(s) of Shopify's published Admin schema")]
async fn a_violation_nobody_takes_fails_the_test() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let answer = rig.gql("query { codeDiscountNodeByCode(code: \"A\") { nope } }", json!({})).await;
    assert!(answer.body["errors"].is_array() && answer.body.get("data").is_none(), "{}", answer.body);
}

#[tokio::test]
async fn bad_token_is_401_and_paths_are_checked() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let wrong = rig.send(&rig.client, "shpat_wrong", LOOKUP, json!({"code": "A"})).await.expect("request");
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let refusal = "[API] Invalid API key or access token (unrecognized login or wrong password)";
    assert_eq!(wrong.body, json!({"errors": refusal}));
    let post = |version: &str, token: Option<&str>, body: Value| {
        let request = rig.client.post(format!("{}/admin/api/{version}/graphql.json", rig.double.base_url)).json(&body);
        let request = token.into_iter().fold(request, |request, token| request.header("X-Shopify-Access-Token", token));
        async move { request.send().await.expect("request") }
    };
    let (token, lookup) = (DoubleConfig::default().access_token, json!({"query": LOOKUP, "variables": {"code": "A"}}));
    assert_eq!(post(CURRENT, None, lookup.clone()).await.status(), StatusCode::UNAUTHORIZED);
    let oldest = oldest_supported();
    let other_version = post(&oldest, Some(&token), lookup.clone()).await;
    assert_eq!(other_version.status(), StatusCode::OK);
    assert_eq!(other_version.headers()["x-shopify-api-version"], oldest.as_str());
    // Retired (2025-10 is in the package, 2025-01 is not): answered as the
    // oldest supported version, as Shopify does, and recorded.
    for retired in ["2025-10", "2025-01"] {
        let answer = post(retired, Some(&token), lookup.clone()).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["x-shopify-api-version"], oldest.as_str());
    }
    let violations = rig.double.take_violations();
    assert_eq!(violations.iter().map(|v| v.kind).collect::<Vec<_>>(), [ViolationKind::Version; 2], "{violations:?}");
    assert!(violations[1].message.contains("2025-01 is not a supported version"), "{}", violations[1]);
    assert_eq!(post("latest", Some(&token), json!({"query": LOOKUP})).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(post(CURRENT, Some(&token), json!({"variables": {}})).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(rig.double.stats().requests, 7);
}

/// The oldest version of the package Shopify supports today.
fn oldest_supported() -> String {
    use loyalty_wallet::platform::shopify::version::{support, Support};
    let today = chrono::Utc::now().date_naive();
    let (_, versions, _) = ShopifyDouble::published_schemas();
    let supported = versions.into_iter().find(|v| matches!(support(v, today), Ok(Support::Supported { .. })));
    supported.expect("a supported version in the package")
}

#[tokio::test]
async fn bursts_beyond_the_bucket_are_throttled_and_it_refills() {
    // 50 points, 10 per mutation, 100 points/s.
    let rig = Rig::start(DoubleConfig { bucket_size: 50.0, restore_rate: 100.0, ..DoubleConfig::default() }).await;
    let mut outcomes = Vec::new();
    for i in 0..8 {
        let answer = rig.create(input(&format!("BURST-{i}"))).await;
        assert_eq!(answer.status, StatusCode::OK);
        answer.assert_cost();
        outcomes.push(answer);
    }
    let throttled: Vec<&Call> =
        outcomes.iter().filter(|c| c.body["errors"][0]["extensions"]["code"] == "THROTTLED").collect();
    // Five fit the bucket; the refill during the burst (a few ms) may let one more in.
    assert!((2..=3).contains(&throttled.len()), "throttled {} of 8", throttled.len());
    let first = throttled[0];
    assert_eq!(first.message(), "Throttled");
    assert_eq!(first.body["extensions"]["cost"]["actualQueryCost"], Value::Null);
    assert_eq!(first.body["extensions"]["cost"]["requestedQueryCost"], json!(10));
    assert!(first.available() < 10.0);
    assert!(first.body.get("data").is_none());
    assert_eq!(rig.double.stats().throttled as usize, throttled.len());
    assert_eq!(rig.double.stats().creates as usize, 8 - throttled.len());
    let status = &outcomes[0].body["extensions"]["cost"]["throttleStatus"];
    assert_eq!((&status["maximumAvailable"], &status["restoreRate"]), (&json!(50.0), &json!(100.0)));
    assert_eq!(outcomes[0].available(), 40.0);

    // Refill at the restore rate: 0.2 s later about 20 more points.
    let before = rig.double.currently_available();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let gained = rig.double.currently_available() - before;
    assert!((18.0..=35.0).contains(&gained), "gained {gained} in 0.2 s");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(rig.double.currently_available(), 50.0, "capped at the bucket size");
    let answer = rig.create(input("AFTER")).await;
    assert_eq!(created(&answer)["userErrors"], json!([]));
    assert_eq!(answer.available(), 40.0);
}

#[tokio::test]
async fn throttled_as_429_with_retry_after() {
    let rig = Rig::start(DoubleConfig { bucket_size: 20.0, restore_rate: 5.0, ..DoubleConfig::default() }).await;
    rig.double.set_faults(Faults { throttle_as_429: true, ..Faults::default() });
    for code in ["T-0", "T-1"] {
        assert_eq!(rig.create(input(code)).await.status, StatusCode::OK);
    }
    let refused = rig.create(input("T-2")).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert_eq!(retry, 2, "10 points at 5 per second");
    assert_eq!(refused.body["errors"][0]["extensions"]["code"], "THROTTLED");
    refused.assert_cost();
    assert_eq!((rig.double.stats().throttled, rig.double.stats().creates), (1, 2));
    // A query costs 1: served once a little has been restored.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lookup = rig.lookup("T-0").await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.body);
}

#[tokio::test]
async fn faults_after_the_write_leave_it_applied() {
    let rig = Rig::start(DoubleConfig::default()).await;
    // Slow: applied, then the impatient client times out; a patient one gets the answer.
    rig.double.set_faults(Faults { slow_ms: 600, ..Faults::default() });
    let impatient = Client::builder().timeout(Duration::from_millis(150)).build().expect("client");
    let started = Instant::now();
    let error = rig.create_failing(&impatient, "SLOW-1").await;
    assert!(error.is_timeout() && started.elapsed() < Duration::from_millis(550), "{error}");
    assert_eq!(rig.double.live_codes(), vec!["SLOW-1".to_string()], "applied before the slow answer");
    let started = Instant::now();
    assert!(found(&rig.lookup("SLOW-1").await)["id"].is_string());
    assert!(started.elapsed() >= Duration::from_millis(550));

    // Dropped: the connection closes without an answer; queries are not dropped; a retry is TAKEN.
    rig.double.set_faults(Faults { drop_after_write_rate: 1.0, ..Faults::default() });
    let error = rig.create_failing(&rig.client, "DROP-1").await;
    assert!(!error.is_timeout(), "{error}");
    assert!(found(&rig.lookup("DROP-1").await)["id"].is_string());
    rig.create_failing(&rig.client, "DROP-1").await;
    assert_eq!((rig.double.stats().creates, rig.double.stats().taken), (2, 1));

    // Internal error: HTTP 200, a top-level INTERNAL_SERVER_ERROR, no data, applied all the same.
    rig.double.set_faults(Faults::default());
    rig.double.set_internal_error_rate(1.0);
    let answer = rig.create(input("IE-1")).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert!(answer.body.get("data").is_none());
    answer.assert_cost();
    rig.double.set_internal_error_rate(0.0);
    let fast = rig.send(&impatient, &DoubleConfig::default().access_token, LOOKUP, json!({"code": "IE-1"})).await;
    assert!(found(&fast.expect("a fast answer"))["id"].is_string());
    assert_eq!(rig.double.live_codes().len(), 3);
    assert_eq!(rig.double.stats().faults_injected, 2 + 2 + 1);
}

#[tokio::test]
async fn down_fail_next_and_error_rate_answer_5xx_before_doing_anything() {
    let rig = Rig::start(DoubleConfig::default()).await;
    rig.double.set_faults(Faults { down: true, ..Faults::default() });
    assert_eq!(rig.create(input("D-1")).await.status, StatusCode::SERVICE_UNAVAILABLE);
    rig.double.set_faults(Faults { fail_next: 2, ..Faults::default() });
    for _ in 0..2 {
        assert_eq!(rig.create(input("D-1")).await.status, StatusCode::BAD_GATEWAY);
    }
    assert_eq!(rig.double.faults().fail_next, 0);
    assert_eq!(rig.create(input("D-1")).await.status, StatusCode::OK);
    assert_eq!(rig.double.live_codes().len(), 1);

    rig.double.set_faults(Faults { error_rate: 1.0, ..Faults::default() });
    for i in 0..8 {
        let failed = rig.create(input(&format!("E-{i}"))).await;
        assert!(failed.status.is_server_error(), "{}", failed.status);
    }
    rig.double.set_faults(Faults { error_rate: 0.3, ..Faults::default() });
    let mut failures = 0;
    for i in 0..100 {
        failures += usize::from(rig.lookup(&format!("E-{i}")).await.status.is_server_error());
    }
    assert!((15..=45).contains(&failures), "{failures} of 100 at 30 %");
    assert_eq!(rig.double.live_codes().len(), 1);
    assert_eq!(rig.double.stats().faults_injected, 11 + failures as u64);
}

#[tokio::test]
async fn segment_memberships_and_segments_down() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let (one, two) = ("gid://shopify/Segment/1", "gid://shopify/Segment/2");
    rig.double.set_segment_members(one, &["gid://shopify/Customer/7"]);
    let variables = json!({"customerId": "gid://shopify/Customer/7", "segmentIds": [one, two]});
    let answer = rig.gql(SEGMENTS, variables.clone()).await;
    let memberships = json!([{"segmentId": one, "isMember": true}, {"segmentId": two, "isMember": false}]);
    assert_eq!(answer.body["data"]["customerSegmentMembership"]["memberships"], memberships);
    answer.assert_cost();
    rig.double.set_faults(Faults { segments_down: true, ..Faults::default() });
    assert_eq!(rig.gql(SEGMENTS, variables).await.status, StatusCode::SERVICE_UNAVAILABLE);
    // Other operations still work while segments are down.
    assert_eq!(created(&rig.create(input("SEG-1")).await)["userErrors"], json!([]));
}

#[tokio::test]
async fn concurrent_creates_of_one_code_make_one_discount() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let codes = (0..30).map(|i| if i % 3 == 0 { "SAME".to_string() } else { format!("C-{i}") });
    let answers = futures_util::future::join_all(codes.map(|code| rig.create(input(&code)))).await;
    let taken = answers.iter().filter(|answer| created(answer)["userErrors"][0]["code"] == "TAKEN").count();
    assert_eq!(taken, 9);
    assert_eq!(rig.double.discounts().len(), 21);
    assert_eq!(rig.double.stats().creates, 21);
}

/// `customerGets.value.percentage` is a fraction 0–1;
/// `minimumRequirement.subtotal.greaterThanOrEqualToSubtotal` a Decimal;
/// `discountCodeFreeShippingCreate(freeShippingCodeDiscount:)` takes
/// `destination` and `maximumShippingPrice`.
#[tokio::test]
async fn percentages_minimums_and_free_shipping_are_coerced_like_the_published_schema() {
    let rig = Rig::start(DoubleConfig::default()).await;
    let mut pct = input_with("PCT1", &["customerGets", "value"], json!({"percentage": 0.15}));
    pct["minimumRequirement"] = json!({"subtotal": {"greaterThanOrEqualToSubtotal": "40.00"}});
    let answer = rig.create(pct).await;
    assert!(created(&answer)["codeDiscountNode"]["id"].is_string(), "{}", answer.body);
    let made = rig.double.find_code("PCT1").expect("created");
    assert_eq!((made.percentage, made.min_subtotal.as_deref()), (Some(0.15), Some("40.00")));

    // 15 instead of 0.15 is a user error; a minimum of the wrong shape a type error.
    let answer = rig.create(input_with("PCT2", &["customerGets", "value"], json!({"percentage": 15}))).await;
    let path = json!(["basicCodeDiscount", "customerGets", "value", "percentage"]);
    assert_eq!(created(&answer)["userErrors"][0]["field"], path, "{}", answer.body);
    let answer =
        rig.create(input_with("PCT3", &["minimumRequirement"], json!({"subtotal": {"amount": "40.00"}}))).await;
    assert!(answer.body.get("data").is_none(), "{}", answer.body);

    let ship = json!({
        "title": "Free shipping", "code": "SHIP1", "startsAt": "2025-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
        "context": {"customers": {"add": ["gid://shopify/Customer/7"]}},
        "destination": {"all": true}, "maximumShippingPrice": "8.00",
        "minimumRequirement": {"subtotal": {"greaterThanOrEqualToSubtotal": "25.00"}},
        "usageLimit": 1, "appliesOncePerCustomer": true, "appliesOnOneTimePurchase": true, "appliesOnSubscription": false,
        "combinesWith": {"orderDiscounts": true, "productDiscounts": true, "shippingDiscounts": false},
    });
    let free_shipping = |input: &Value| rig.gql(FREE_SHIPPING, json!({"freeShippingCodeDiscount": input}));
    let answer = free_shipping(&ship).await;
    assert!(
        answer.body["data"]["discountCodeFreeShippingCreate"]["codeDiscountNode"]["id"].is_string(),
        "{}",
        answer.body
    );
    let made = rig.double.find_code("SHIP1").expect("created");
    assert!(made.free_shipping);
    assert_eq!((made.max_shipping.as_deref(), made.min_subtotal.as_deref()), (Some("8.00"), Some("25.00")));
    assert_eq!((made.usage_limit, made.customer_ids.clone()), (Some(1), vec!["gid://shopify/Customer/7".to_string()]));
    let again = free_shipping(&ship).await;
    assert_eq!(again.body["data"]["discountCodeFreeShippingCreate"]["userErrors"][0]["code"], "TAKEN");
    // A basic-only field on the free shipping input is a type error, nothing created.
    let mut wrong = ship.clone();
    wrong["code"] = json!("SHIP2");
    wrong["customerGets"] = json!({"value": {"percentage": 0.1}, "items": {"all": true}});
    let answer = free_shipping(&wrong).await;
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    assert!(rig.double.find_code("SHIP2").is_none());
    assert_eq!(rig.double.stats().creates, 2);
    let refused = rig.double.take_violations();
    assert_eq!(refused.iter().filter(|v| v.kind == ViolationKind::Invalid).count(), refused.len());
    assert_eq!(refused.len(), 2, "the minimum of the wrong shape, the basic-only field: {refused:?}");
}
