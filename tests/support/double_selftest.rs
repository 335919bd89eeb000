//! Tests of the Shopify test double itself, over real HTTP with reqwest.

use crate::shopify_double::{DoubleConfig, Faults, ShopifyDouble};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CREATE: &str = "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";
const LOOKUP: &str = "query codeDiscountNodeByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }";
const DELETE: &str = "mutation discountCodeDelete($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }";
const SEGMENTS: &str = "query customerSegmentMembership($customerId: ID!, $segmentIds: [ID!]!) { customerSegmentMembership(customerId: $customerId, segmentIds: $segmentIds) { memberships { segmentId isMember } } }";

fn config() -> DoubleConfig {
    DoubleConfig::default()
}

fn input(code: &str) -> Value {
    json!({
        "title": "Dynamic discount — 500 points",
        "code": code,
        "startsAt": "2025-01-01T00:00:00Z",
        "endsAt": null,
        "customerSelection": {"customers": {"add": ["gid://shopify/Customer/123"]}},
        "customerGets": {
            "value": {"discountAmount": {"amount": "5.00", "appliesOnEachItem": false}},
            "items": {"all": true},
            "appliesOnOneTimePurchase": false,
            "appliesOnSubscription": true
        },
        "recurringCycleLimit": 3,
        "usageLimit": 1,
        "appliesOncePerCustomer": true,
        "combinesWith": {"orderDiscounts": true, "productDiscounts": false, "shippingDiscounts": true}
    })
}

struct Call {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn gql_with(
    client: &reqwest::Client,
    double: &ShopifyDouble,
    token: &str,
    query: &str,
    variables: Value,
) -> reqwest::Result<Call> {
    let response = client
        .post(format!("{}/admin/api/2025-01/graphql.json", double.base_url))
        .header("X-Shopify-Access-Token", token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await?;
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok(Call { status, headers, body })
}

async fn gql(client: &reqwest::Client, double: &ShopifyDouble, query: &str, variables: Value) -> Call {
    gql_with(client, double, &config().access_token, query, variables).await.expect("request to the double")
}

fn assert_cost(body: &Value) {
    let cost = &body["extensions"]["cost"];
    assert!(cost["requestedQueryCost"].is_number(), "requestedQueryCost in {body}");
    assert!(cost.get("actualQueryCost").is_some(), "actualQueryCost in {body}");
    let throttle = &cost["throttleStatus"];
    for key in ["maximumAvailable", "currentlyAvailable", "restoreRate"] {
        assert!(throttle[key].is_number(), "{key} in {body}");
    }
}

fn available(body: &Value) -> f64 {
    body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"].as_f64().expect("currentlyAvailable")
}

#[tokio::test]
async fn create_lookup_delete_and_taken() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();

    let created = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("LW-ABC-123")})).await;
    assert_eq!(created.status, StatusCode::OK);
    assert_cost(&created.body);
    assert_eq!(created.body["data"]["discountCodeBasicCreate"]["userErrors"], json!([]), "{}", created.body);
    let id =
        created.body["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"].as_str().expect("id").to_string();
    assert!(id.starts_with("gid://shopify/DiscountCodeNode/"), "{id}");
    assert_eq!(created.body["extensions"]["cost"]["actualQueryCost"], json!(10));

    let record = double.discounts().pop().expect("recorded");
    assert_eq!(record.id, id);
    assert_eq!(record.code, "LW-ABC-123");
    assert_eq!(record.title, "Dynamic discount — 500 points");
    assert_eq!(record.amount, "5.00");
    assert_eq!(record.customer_ids, vec!["gid://shopify/Customer/123".to_string()]);
    assert!(!record.applies_on_one_time_purchase);
    assert!(record.applies_on_subscription);
    assert_eq!(record.recurring_cycle_limit, Some(3));
    assert_eq!(record.usage_limit, Some(1));
    assert!(record.applies_once_per_customer);
    assert_eq!(record.combines_with, (true, false, true));
    assert_eq!(record.starts_at.as_deref(), Some("2025-01-01T00:00:00Z"));
    assert_eq!(record.ends_at, None);
    assert!(!record.deleted);

    // Lookup is case-insensitive.
    let found = gql(&client, &double, LOOKUP, json!({"code": "lw-abc-123"})).await;
    assert_eq!(found.body["data"]["codeDiscountNodeByCode"]["id"], json!(id));
    assert_cost(&found.body);
    assert_eq!(found.body["extensions"]["cost"]["requestedQueryCost"], json!(1));
    let missing = gql(&client, &double, LOOKUP, json!({"code": "NOPE"})).await;
    assert_eq!(missing.body["data"]["codeDiscountNodeByCode"], Value::Null);

    // The same code again, whatever the case: TAKEN, nothing created.
    let taken = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("lw-abc-123")})).await;
    let payload = &taken.body["data"]["discountCodeBasicCreate"];
    assert_eq!(payload["codeDiscountNode"], Value::Null);
    assert_eq!(payload["userErrors"][0]["code"], "TAKEN");
    assert_eq!(payload["userErrors"][0]["field"], json!(["basicCodeDiscount", "code"]));
    assert_eq!(payload["userErrors"][0]["message"], "Code must be unique. Please try a different code.");
    assert_cost(&taken.body);

    let deleted = gql(&client, &double, DELETE, json!({"id": id})).await;
    assert_eq!(deleted.body["data"]["discountCodeDelete"]["deletedCodeDiscountId"], json!(id));
    assert_eq!(deleted.body["data"]["discountCodeDelete"]["userErrors"], json!([]));
    let gone = gql(&client, &double, LOOKUP, json!({"code": "LW-ABC-123"})).await;
    assert_eq!(gone.body["data"]["codeDiscountNodeByCode"], Value::Null);
    let again = gql(&client, &double, DELETE, json!({"id": id})).await;
    let payload = &again.body["data"]["discountCodeDelete"];
    assert_eq!(payload["deletedCodeDiscountId"], Value::Null);
    assert_eq!(
        payload["userErrors"],
        json!([{"field": ["id"], "code": "INVALID", "message": "Discount does not exist"}])
    );
    assert!(double.live_codes().is_empty());

    // A deleted code may be created again.
    let recreated = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("LW-ABC-123")})).await;
    assert_eq!(recreated.body["data"]["discountCodeBasicCreate"]["userErrors"], json!([]));
    assert_eq!(double.discounts().len(), 2);
    assert_eq!(double.live_codes(), vec!["LW-ABC-123".to_string()]);

    let stats = double.stats();
    assert_eq!((stats.creates, stats.taken, stats.deletes, stats.lookups), (2, 1, 1, 3), "{stats:?}");
    assert_eq!(stats.requests, 8);
    assert_eq!(double.connections_accepted(), 1, "keep-alive: one connection for sequential requests");
}

#[tokio::test]
async fn invalid_input_is_refused_without_creating() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    let mut cases = Vec::new();
    let mut no_code = input("X");
    no_code.as_object_mut().expect("object").remove("code");
    cases.push((no_code, vec!["basicCodeDiscount", "code"]));
    let mut blank_title = input("X1");
    blank_title["title"] = json!("  ");
    cases.push((blank_title, vec!["basicCodeDiscount", "title"]));
    let mut zero = input("X2");
    zero["customerGets"]["value"]["discountAmount"]["amount"] = json!("0.00");
    cases.push((zero, vec!["basicCodeDiscount", "customerGets", "value", "discountAmount", "amount"]));
    let mut not_customer = input("X3");
    not_customer["customerSelection"]["customers"]["add"] = json!(["123"]);
    cases.push((not_customer, vec!["basicCodeDiscount", "customerSelection", "customers", "add"]));
    let mut backwards = input("X4");
    backwards["endsAt"] = json!("2024-01-01T00:00:00Z");
    cases.push((backwards, vec!["basicCodeDiscount", "endsAt"]));
    for (body, field) in cases {
        let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": body})).await;
        let payload = &answer.body["data"]["discountCodeBasicCreate"];
        assert_eq!(payload["codeDiscountNode"], Value::Null, "{}", answer.body);
        assert_eq!(payload["userErrors"][0]["code"], "INVALID", "{}", answer.body);
        assert_eq!(payload["userErrors"][0]["field"], json!(field), "{}", answer.body);
        assert_cost(&answer.body);
    }

    // Type errors are top-level GraphQL errors, as Shopify answers them.
    let mut unknown_field = input("Y1");
    unknown_field["customerGets"]["bogus"] = json!(true);
    let mut bad_decimal = input("Y2");
    bad_decimal["customerGets"]["value"]["discountAmount"]["amount"] = json!("five");
    let mut bad_int = input("Y3");
    bad_int["usageLimit"] = json!("1");
    let mut bad_date = input("Y4");
    bad_date["startsAt"] = json!("yesterday");
    let mut context_on_old_version = input("Y5");
    context_on_old_version["context"] = json!({"customers": {"add": ["gid://shopify/Customer/1"]}});
    for body in [unknown_field, bad_decimal, bad_int, bad_date, context_on_old_version] {
        let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": body})).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
        let message = answer.body["errors"][0]["message"].as_str().expect("message");
        assert!(
            message
                .starts_with("Variable $basicCodeDiscount of type DiscountCodeBasicInput! was provided invalid value"),
            "{message}"
        );
        assert_cost(&answer.body);
    }
    let missing_variable = gql(&client, &double, CREATE, json!({})).await;
    assert!(missing_variable.body["errors"][0]["message"].as_str().expect("message").contains("invalid value"));
    let unknown_root = gql(&client, &double, "mutation { discountCodeFoo(id: \"1\") { id } }", json!({})).await;
    assert_eq!(unknown_root.body["errors"][0]["message"], "Field 'discountCodeFoo' doesn't exist on type 'Mutation'");
    let mutation_as_query =
        gql(&client, &double, &CREATE.replacen("mutation", "query", 1), json!({"basicCodeDiscount": input("Z")})).await;
    assert!(mutation_as_query.body["errors"][0]["message"].as_str().expect("message").contains("QueryRoot"));
    let unknown_selection = gql(
        &client,
        &double,
        "query($code: String!) { codeDiscountNodeByCode(code: $code) { id nope } }",
        json!({"code": "A"}),
    )
    .await;
    assert_eq!(unknown_selection.body["errors"][0]["message"], "Field 'nope' doesn't exist on type 'DiscountCodeNode'");
    let syntax = gql(&client, &double, "query { codeDiscountNodeByCode(code: \"A\") { id }", json!({})).await;
    assert!(syntax.body["errors"][0]["message"].as_str().expect("message").starts_with("syntax error"));

    assert!(double.discounts().is_empty());
    assert_eq!(double.stats().creates, 0);
}

#[tokio::test]
async fn selections_aliases_fragments_and_literals() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("FRAG-1")})).await;
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
                customerSelection { ... on DiscountCustomers { customers { id } } }
              }
            }
          }
          literal: codeDiscountNodeByCode(code: "frag-1") { id }
        }
        fragment Amount on DiscountAmount { amount { amount currencyCode } appliesOnEachItem }
    "#;
    let answer = gql(&client, &double, query, json!({"code": "FRAG-1"})).await;
    let node = &answer.body["data"]["node"];
    assert_eq!(node["codeDiscount"]["__typename"], "DiscountCodeBasic", "{}", answer.body);
    let basic = &node["codeDiscount"];
    assert_eq!(basic["title"], "Dynamic discount — 500 points");
    assert_eq!(basic["status"], "ACTIVE");
    assert_eq!(basic["codes"]["nodes"][0]["code"], "FRAG-1");
    assert_eq!(basic["customerGets"]["value"]["amount"]["amount"], "5.00");
    assert_eq!(basic["customerSelection"]["customers"][0]["id"], "gid://shopify/Customer/123");
    assert_eq!(
        basic["combinesWith"],
        json!({"orderDiscounts": true, "productDiscounts": false, "shippingDiscounts": true})
    );
    assert_eq!(answer.body["data"]["literal"]["id"], node["id"]);
    assert_eq!(answer.body["extensions"]["cost"]["requestedQueryCost"], json!(2), "two root fields");
    assert_eq!(answer.body["data"].as_object().expect("data").len(), 2);
    assert!(basic.get("__union").is_none() && basic.get("summary").is_none(), "only selected fields: {basic}");

    let on_union = gql(
        &client,
        &double,
        "query { codeDiscountNodeByCode(code: \"FRAG-1\") { codeDiscount { title } } }",
        json!({}),
    )
    .await;
    assert!(on_union.body["errors"][0]["message"].as_str().expect("message").contains("unions"), "{}", on_union.body);
}

#[tokio::test]
async fn bad_token_is_401_and_paths_are_checked() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    let wrong = gql_with(&client, &double, "shpat_wrong", LOOKUP, json!({"code": "A"})).await.expect("request");
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.body,
        json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})
    );
    let post = |version: &str, token: Option<&str>, body: Value| {
        let request = client.post(format!("{}/admin/api/{version}/graphql.json", double.base_url)).json(&body);
        let request = match token {
            Some(token) => request.header("X-Shopify-Access-Token", token),
            None => request,
        };
        async move { request.send().await.expect("request") }
    };
    let token = config().access_token;
    let none = post("2025-01", None, json!({"query": LOOKUP, "variables": {"code": "A"}})).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    let other_version = post("2025-10", Some(&token), json!({"query": LOOKUP, "variables": {"code": "A"}})).await;
    assert_eq!(other_version.status(), StatusCode::OK);
    assert_eq!(other_version.headers()["x-shopify-api-version"], "2025-10");
    let not_found = post("latest", Some(&token), json!({"query": LOOKUP})).await;
    assert_eq!(not_found.status(), StatusCode::NOT_FOUND);
    let no_query = post("2025-01", Some(&token), json!({"variables": {}})).await;
    assert_eq!(no_query.status(), StatusCode::BAD_REQUEST);
    assert_eq!(double.stats().requests, 5);
}

#[tokio::test]
async fn bursts_beyond_the_bucket_are_throttled_and_it_refills() {
    // 50 points, 10 per mutation, 100 points/s.
    let double = ShopifyDouble::start(DoubleConfig { bucket_size: 50.0, restore_rate: 100.0, ..config() }).await;
    let client = reqwest::Client::new();
    let mut outcomes = Vec::new();
    for i in 0..8 {
        let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input(&format!("BURST-{i}"))})).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_cost(&answer.body);
        outcomes.push(answer.body);
    }
    let throttled: Vec<&Value> =
        outcomes.iter().filter(|b| b["errors"][0]["extensions"]["code"] == "THROTTLED").collect();
    // Five fit the bucket; the refill during the burst (a few ms) may let one more in.
    assert!((2..=3).contains(&throttled.len()), "throttled {} of 8", throttled.len());
    let first = throttled[0];
    assert_eq!(first["errors"][0]["message"], "Throttled");
    assert_eq!(first["extensions"]["cost"]["actualQueryCost"], Value::Null);
    assert_eq!(first["extensions"]["cost"]["requestedQueryCost"], json!(10));
    assert!(available(first) < 10.0);
    assert!(first.get("data").is_none());
    assert_eq!(double.stats().throttled as usize, throttled.len());
    assert_eq!(double.stats().creates as usize, 8 - throttled.len());
    assert_eq!(outcomes[0]["extensions"]["cost"]["throttleStatus"]["maximumAvailable"], json!(50.0));
    assert_eq!(outcomes[0]["extensions"]["cost"]["throttleStatus"]["restoreRate"], json!(100.0));
    assert_eq!(available(&outcomes[0]), 40.0);

    // Refill at the restore rate: 0.2 s later about 20 more points.
    let before = double.currently_available();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let after = double.currently_available();
    let gained = after - before;
    assert!((18.0..=35.0).contains(&gained), "gained {gained} in 0.2 s");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(double.currently_available(), 50.0, "capped at the bucket size");
    let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("AFTER")})).await;
    assert_eq!(answer.body["data"]["discountCodeBasicCreate"]["userErrors"], json!([]));
    assert_eq!(available(&answer.body), 40.0);
}

#[tokio::test]
async fn throttled_as_429_with_retry_after() {
    let double = ShopifyDouble::start(DoubleConfig { bucket_size: 20.0, restore_rate: 5.0, ..config() }).await;
    double.set_faults(Faults { throttle_as_429: true, ..Faults::default() });
    let client = reqwest::Client::new();
    for i in 0..2 {
        let ok = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input(&format!("T-{i}"))})).await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let refused = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("T-2")})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused.headers["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert_eq!(retry, 2, "10 points at 5 per second");
    assert_eq!(refused.body["errors"][0]["extensions"]["code"], "THROTTLED");
    assert_cost(&refused.body);
    assert_eq!(double.stats().throttled, 1);
    assert_eq!(double.stats().creates, 2);
    // A query costs 1: served once a little has been restored.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let lookup = gql(&client, &double, LOOKUP, json!({"code": "T-0"})).await;
    assert_eq!(lookup.status, StatusCode::OK, "{}", lookup.body);
}

#[tokio::test]
async fn slow_answers_apply_the_mutation_then_time_out_the_client() {
    let double = ShopifyDouble::start(config()).await;
    double.set_faults(Faults { slow_ms: 600, ..Faults::default() });
    let client = reqwest::Client::builder().timeout(Duration::from_millis(150)).build().expect("client");
    let started = Instant::now();
    let error =
        gql_with(&client, &double, &config().access_token, CREATE, json!({"basicCodeDiscount": input("SLOW-1")}))
            .await
            .err()
            .expect("times out");
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_millis(550));
    assert_eq!(double.live_codes(), vec!["SLOW-1".to_string()], "applied before the slow answer");

    // A patient client gets the answer.
    let patient = reqwest::Client::new();
    let started = Instant::now();
    let answer = gql(&patient, &double, LOOKUP, json!({"code": "SLOW-1"})).await;
    assert!(started.elapsed() >= Duration::from_millis(550));
    assert!(answer.body["data"]["codeDiscountNodeByCode"]["id"].is_string());
    double.set_faults(Faults::default());
    let fast = gql(&client, &double, LOOKUP, json!({"code": "SLOW-1"})).await;
    assert!(fast.body["data"]["codeDiscountNodeByCode"]["id"].is_string());
    assert_eq!(double.stats().faults_injected, 2);
}

#[tokio::test]
async fn dropped_after_write_the_discount_exists() {
    let double = ShopifyDouble::start(config()).await;
    double.set_faults(Faults { drop_after_write_rate: 1.0, ..Faults::default() });
    let client = reqwest::Client::new();
    let error =
        gql_with(&client, &double, &config().access_token, CREATE, json!({"basicCodeDiscount": input("DROP-1")}))
            .await
            .err()
            .expect("connection dropped");
    assert!(!error.is_timeout(), "{error}");
    assert_eq!(double.live_codes(), vec!["DROP-1".to_string()]);
    assert_eq!(double.stats().creates, 1);
    // Queries are not dropped: the client can find out what happened.
    let found = gql(&client, &double, LOOKUP, json!({"code": "DROP-1"})).await;
    assert!(found.body["data"]["codeDiscountNodeByCode"]["id"].is_string());
    // A retry of the create is TAKEN, and still dropped.
    assert!(gql_with(&client, &double, &config().access_token, CREATE, json!({"basicCodeDiscount": input("DROP-1")}))
        .await
        .is_err());
    assert_eq!(double.stats().taken, 1);
    assert_eq!(double.discounts().len(), 1);
}

#[tokio::test]
async fn down_fail_next_and_error_rate_answer_5xx_before_doing_anything() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    double.set_faults(Faults { down: true, ..Faults::default() });
    let down = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("D-1")})).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    double.set_faults(Faults { fail_next: 2, ..Faults::default() });
    for _ in 0..2 {
        let failed = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("D-1")})).await;
        assert_eq!(failed.status, StatusCode::BAD_GATEWAY);
    }
    assert_eq!(double.faults().fail_next, 0);
    let ok = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("D-1")})).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(double.live_codes().len(), 1);

    double.set_faults(Faults { error_rate: 1.0, ..Faults::default() });
    for i in 0..8 {
        let failed = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input(&format!("E-{i}"))})).await;
        assert!(failed.status.is_server_error(), "{}", failed.status);
    }
    double.set_faults(Faults { error_rate: 0.3, ..Faults::default() });
    let mut failures = 0;
    for i in 0..100 {
        let answer = gql(&client, &double, LOOKUP, json!({"code": format!("E-{i}")})).await;
        failures += usize::from(answer.status.is_server_error());
    }
    assert!((15..=45).contains(&failures), "{failures} of 100 at 30 %");
    assert_eq!(double.live_codes().len(), 1);
    assert_eq!(double.stats().faults_injected, 11 + failures as u64);
}

#[tokio::test]
async fn reject_next_create_once() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    double.set_faults(Faults { reject_next_create: Some("INVALID".into()), ..Faults::default() });
    let rejected = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("R-1")})).await;
    assert_eq!(rejected.body["data"]["discountCodeBasicCreate"]["userErrors"][0]["code"], "INVALID");
    assert_eq!(rejected.body["data"]["discountCodeBasicCreate"]["codeDiscountNode"], Value::Null);
    let accepted = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("R-1")})).await;
    assert_eq!(accepted.body["data"]["discountCodeBasicCreate"]["userErrors"], json!([]));
    assert_eq!(double.stats().creates, 1);
}

#[tokio::test]
async fn segments_and_out_of_band_deletes() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    double.set_segment_members("gid://shopify/Segment/1", &["gid://shopify/Customer/7"]);
    let variables = json!({"customerId": "gid://shopify/Customer/7", "segmentIds": ["gid://shopify/Segment/1", "gid://shopify/Segment/2"]});
    let answer = gql(&client, &double, SEGMENTS, variables.clone()).await;
    assert_eq!(
        answer.body["data"]["customerSegmentMembership"]["memberships"],
        json!([{"segmentId": "gid://shopify/Segment/1", "isMember": true}, {"segmentId": "gid://shopify/Segment/2", "isMember": false}])
    );
    assert_cost(&answer.body);
    double.set_faults(Faults { segments_down: true, ..Faults::default() });
    assert_eq!(gql(&client, &double, SEGMENTS, variables).await.status, StatusCode::SERVICE_UNAVAILABLE);
    // Other operations still work while segments are down.
    let created = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("OOB-1")})).await;
    let id = created.body["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"].clone();
    assert_eq!(double.delete_out_of_band("oob-1"), id.as_str().map(str::to_string));
    assert_eq!(double.delete_out_of_band("OOB-1"), None);
    assert!(double.live_codes().is_empty());
    assert!(double.discounts()[0].deleted);
}

#[tokio::test]
async fn concurrent_creates_of_one_code_make_one_discount() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..30 {
        let client = client.clone();
        let url = format!("{}/admin/api/2025-01/graphql.json", double.base_url);
        let code = if i % 3 == 0 { "SAME".to_string() } else { format!("C-{i}") };
        tasks.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .header("X-Shopify-Access-Token", DoubleConfig::default().access_token)
                .json(&json!({"query": CREATE, "variables": {"basicCodeDiscount": input(&code)}}))
                .send()
                .await
                .expect("send");
            response.json::<Value>().await.expect("json")
        }));
    }
    let mut taken = 0;
    for task in tasks {
        let body = task.await.expect("task");
        if body["data"]["discountCodeBasicCreate"]["userErrors"][0]["code"] == "TAKEN" {
            taken += 1;
        }
    }
    assert_eq!(taken, 9);
    assert_eq!(double.discounts().len(), 21);
    assert_eq!(double.stats().creates, 21);
}

#[tokio::test]
async fn internal_errors_are_answered_200_after_the_write() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    double.set_internal_error_rate(1.0);
    let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": input("IE-1")})).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["errors"][0]["extensions"]["code"], "INTERNAL_SERVER_ERROR");
    assert!(answer.body.get("data").is_none());
    assert_cost(&answer.body);
    assert_eq!(double.live_codes(), vec!["IE-1".to_string()], "applied all the same");
    double.set_internal_error_rate(0.0);
    let found = gql(&client, &double, LOOKUP, json!({"code": "IE-1"})).await;
    assert!(found.body["data"]["codeDiscountNodeByCode"]["id"].is_string());
}

const FREE_SHIPPING: &str = "mutation discountCodeFreeShippingCreate($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";

/// Issue 9's kinds, with the published fields they rely on (see the notes in
/// shopify_double_discounts.rs): `customerGets.value.percentage` is a fraction
/// 0–1; `minimumRequirement.subtotal.greaterThanOrEqualToSubtotal` a Decimal;
/// `discountCodeFreeShippingCreate(freeShippingCodeDiscount:)` with
/// `destination` and `maximumShippingPrice`.
#[tokio::test]
async fn percentages_minimums_and_free_shipping_are_coerced_like_the_published_schema() {
    let double = ShopifyDouble::start(config()).await;
    let client = reqwest::Client::new();
    let mut pct = input("PCT1");
    pct["customerGets"]["value"] = json!({"percentage": 0.15});
    pct["minimumRequirement"] = json!({"subtotal": {"greaterThanOrEqualToSubtotal": "40.00"}});
    let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": pct})).await;
    assert!(answer.body["data"]["discountCodeBasicCreate"]["codeDiscountNode"]["id"].is_string(), "{}", answer.body);
    let made = double.find_code("PCT1").expect("created");
    assert_eq!((made.percentage, made.min_subtotal.as_deref()), (Some(0.15), Some("40.00")));

    // 15 instead of 0.15 is a user error; a minimum of the wrong shape a type error.
    let mut whole = input("PCT2");
    whole["customerGets"]["value"] = json!({"percentage": 15});
    let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": whole})).await;
    let errors = &answer.body["data"]["discountCodeBasicCreate"]["userErrors"];
    assert_eq!(
        errors[0]["field"],
        json!(["basicCodeDiscount", "customerGets", "value", "percentage"]),
        "{}",
        answer.body
    );
    let mut bad_min = input("PCT3");
    bad_min["minimumRequirement"] = json!({"subtotal": {"amount": "40.00"}});
    let answer = gql(&client, &double, CREATE, json!({"basicCodeDiscount": bad_min})).await;
    assert!(answer.body.get("data").is_none(), "{}", answer.body);

    let ship = json!({
        "title": "Free shipping", "code": "SHIP1", "startsAt": "2025-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
        "customerSelection": {"customers": {"add": ["gid://shopify/Customer/7"]}},
        "destination": {"all": true}, "maximumShippingPrice": "8.00",
        "minimumRequirement": {"subtotal": {"greaterThanOrEqualToSubtotal": "25.00"}},
        "usageLimit": 1, "appliesOncePerCustomer": true, "appliesOnOneTimePurchase": true, "appliesOnSubscription": false,
        "combinesWith": {"orderDiscounts": true, "productDiscounts": true, "shippingDiscounts": false},
    });
    let answer = gql(&client, &double, FREE_SHIPPING, json!({"freeShippingCodeDiscount": ship.clone()})).await;
    let payload = &answer.body["data"]["discountCodeFreeShippingCreate"];
    assert!(payload["codeDiscountNode"]["id"].is_string(), "{}", answer.body);
    let made = double.find_code("SHIP1").expect("created");
    assert!(made.free_shipping);
    assert_eq!((made.max_shipping.as_deref(), made.min_subtotal.as_deref()), (Some("8.00"), Some("25.00")));
    assert_eq!((made.usage_limit, made.customer_ids.clone()), (Some(1), vec!["gid://shopify/Customer/7".to_string()]));
    let again = gql(&client, &double, FREE_SHIPPING, json!({"freeShippingCodeDiscount": ship.clone()})).await;
    assert_eq!(again.body["data"]["discountCodeFreeShippingCreate"]["userErrors"][0]["code"], "TAKEN");
    // A basic-only field on the free shipping input is a type error, nothing created.
    let mut wrong = ship;
    wrong["code"] = json!("SHIP2");
    wrong["customerGets"] = json!({"value": {"percentage": 0.1}, "items": {"all": true}});
    let answer = gql(&client, &double, FREE_SHIPPING, json!({"freeShippingCodeDiscount": wrong})).await;
    assert!(answer.body.get("data").is_none(), "{}", answer.body);
    assert!(double.find_code("SHIP2").is_none());
    assert_eq!(double.stats().creates, 2);
}
