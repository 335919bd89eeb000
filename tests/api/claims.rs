//! The claim rules: value rounding per currency,
//! limits, program state, eligibility, purchase types, codes, versioning,
//! and the POS channel.

use crate::helpers::*;
use loyalty_wallet::auth::Role;
use loyalty_wallet::domain::code::ALPHABET;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn program(ratio: &str, min: i64, max: i64) -> Value {
    json!({"enabled": true, "points_per_unit": ratio, "min_points": min, "max_points": max, "purchase_type": "one_time"})
}

async fn put_ok(app: &TestApp, channel: &str, body: &Value) -> Value {
    let (status, program) = status_json(app.put_program(channel, body).await).await;
    assert_eq!(status, StatusCode::OK, "{program}");
    program
}

#[tokio::test]
async fn the_value_is_rounded_down_to_the_minor_unit() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "3", 1, 10_000).await;
    app.grant("1", 1_000).await;
    let claim = app.claim_ok("1", 100).await;
    assert_eq!(claim["value"], "33.33", "100 points at 3 per dollar is $33.333…");
    assert_eq!(claim["currency"], "USD");
    assert_eq!(claim["points"], 100);
    assert_eq!(claim["status"], "active", "a native shop's code is live at once");
    assert_eq!(claim["channel"], "online");
    assert_eq!(app.balance("1").await, 900);
    let rows = app.claim_rows("1").await;
    assert_eq!(rows[0].value_minor, 3_333);

    // A decimal ratio: 2.5 points per dollar, 7 points → $2.80 exactly.
    put_ok(&app, "online", &program("2.5", 1, 10_000)).await;
    assert_eq!(app.claim_ok("1", 7).await["value"], "2.80");
    // 0.3 points per dollar: 1 point → $3.333… → $3.33.
    put_ok(&app, "online", &program("0.3", 1, 10_000)).await;
    assert_eq!(app.claim_ok("1", 1).await["value"], "3.33");
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn a_currency_without_minor_units_rounds_to_whole_units() {
    let app = TestApp::spawn().await;
    app.set_shop("JPY", "0").await;
    app.enable_program("online", "100", 1, 10_000).await;
    app.grant("1", 1_000).await;
    let claim = app.claim_ok("1", 150).await;
    assert_eq!(claim["value"], "1");
    assert_eq!(claim["currency"], "JPY");
    // Three-digit currencies keep three digits.
    app.set_shop("KWD", "0").await;
    assert_eq!(app.claim_ok("1", 150).await["value"], "1.500");

    // A value of zero is refused, and nothing is debited.
    app.set_shop("JPY", "0").await;
    let before = app.footprint("1").await;
    let body = expect_error(app.claim("1", 99).await, StatusCode::UNPROCESSABLE_ENTITY, "zero_value").await;
    assert!(body["error"]["message"].is_string());
    assert_eq!(app.footprint("1").await, before);
    // The quote agrees: invalid, zero_value, nothing written.
    let (_, quote) = status_json(app.get("/api/v1/quote?points=99", &app.customer("1")).await).await;
    assert_eq!(quote["valid"], false);
    assert_eq!(quote["value"], "0");
    assert_eq!(quote["error"]["code"], "zero_value");
    assert_eq!(app.footprint("1").await, before);
}

#[tokio::test]
async fn limits_are_enforced_with_their_codes() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 200, 500).await;
    app.grant("1", 10_000).await;
    let before = app.footprint("1").await;
    let below = expect_error(app.claim("1", 199).await, StatusCode::UNPROCESSABLE_ENTITY, "below_minimum").await;
    assert_eq!(below["error"]["details"]["min_points"], 200);
    let above = expect_error(app.claim("1", 501).await, StatusCode::UNPROCESSABLE_ENTITY, "above_maximum").await;
    assert_eq!(above["error"]["details"]["max_points"], 500);
    assert_eq!(app.footprint("1").await, before);
    // Both bounds are inclusive.
    assert_eq!(app.claim_ok("1", 200).await["value"], "2.00");
    assert_eq!(app.claim_ok("1", 500).await["value"], "5.00");
    assert_eq!(app.balance("1").await, 9_300);
    // The quote says the same without writing.
    let (_, quote) = status_json(app.get("/api/v1/quote?points=501", &app.customer("1")).await).await;
    assert_eq!((quote["valid"].clone(), quote["error"]["code"].clone()), (json!(false), json!("above_maximum")));
    let (_, quote) = status_json(app.get("/api/v1/quote?points=300", &app.customer("1")).await).await;
    assert_eq!((quote["valid"].clone(), quote["value"].clone()), (json!(true), json!("3.00")));
    assert!(quote["error"].is_null());
    let (_, quote) = status_json(app.get("/api/v1/quote?points=300", &app.customer("poor")).await).await;
    assert_eq!(quote["error"]["code"], "insufficient_points");
}

#[tokio::test]
async fn insufficient_points_is_a_conflict_with_the_balance() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 250).await;
    let before = app.footprint("1").await;
    let body = expect_error(app.claim("1", 300).await, StatusCode::CONFLICT, "insufficient_points").await;
    assert_eq!(body["error"]["details"]["points_balance"], 250);
    assert_eq!(app.footprint("1").await, before);
    // A brand new customer has 0 points.
    expect_error(app.claim("new", 100).await, StatusCode::CONFLICT, "insufficient_points").await;
}

#[tokio::test]
async fn a_disabled_program_refuses_claims() {
    let app = TestApp::spawn().await;
    app.grant("1", 1_000).await;
    let before = app.footprint("1").await;
    // A new shop's programs start disabled.
    expect_error(app.claim("1", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "program_disabled").await;
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &app.customer("1")).await).await;
    assert_eq!(wallet["program"]["enabled"], false);
    assert_eq!(wallet["program"]["eligible"], false);
    assert_eq!(wallet["program"]["ineligible_reason"], "program_disabled");
    let mut body = program("100", 100, 1_000);
    body["enabled"] = json!(false);
    put_ok(&app, "online", &body).await;
    expect_error(app.claim("1", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "program_disabled").await;
    assert_eq!(app.footprint("1").await, before);
}

#[tokio::test]
async fn a_customer_list_admits_only_listed_customers() {
    let app = TestApp::spawn().await;
    let mut body = program("100", 100, 1_000);
    body["eligibility"] = json!({"kind": "customers", "ids": ["207119551", "vip-2"]});
    put_ok(&app, "online", &body).await;
    for customer in ["207119551", "vip-2", "other"] {
        app.grant(customer, 1_000).await;
    }
    assert_eq!(app.claim_ok("207119551", 100).await["value"], "1.00");
    assert_eq!(app.claim_ok("vip-2", 100).await["value"], "1.00");
    let before = app.footprint("other").await;
    expect_error(app.claim("other", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible").await;
    assert_eq!(app.footprint("other").await, before);
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &app.customer("other")).await).await;
    assert_eq!(wallet["program"]["eligible"], false);
    assert_eq!(wallet["program"]["ineligible_reason"], "not_eligible");
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &app.customer("vip-2")).await).await;
    assert_eq!(wallet["program"]["eligible"], true);
}

#[tokio::test]
async fn a_segment_program_refuses_and_never_grants() {
    let app = TestApp::spawn().await;
    let mut body = program("100", 100, 1_000);
    body["eligibility"] = json!({"kind": "segments", "ids": ["gid-1"]});
    put_ok(&app, "online", &body).await;
    app.grant("1", 1_000).await;
    // Even a customer whose id equals the segment id is not let through.
    app.grant("gid-1", 1_000).await;
    let before = (app.footprint("1").await, app.footprint("gid-1").await);
    let error = expect_error(app.claim("1", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible").await;
    assert_eq!(error["error"]["details"]["reason"], "segments_unavailable");
    expect_error(app.claim("gid-1", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "not_eligible").await;
    assert_eq!((app.footprint("1").await, app.footprint("gid-1").await), before);
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &app.customer("1")).await).await;
    assert_eq!(wallet["program"]["ineligible_reason"], "segments_unavailable");
}

#[tokio::test]
async fn purchase_types_are_enforced() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 1_000).await;
    app.grant("1", 5_000).await;
    let token = app.customer("1");
    let claim_of = |purchase: &'static str| {
        let key = uuid::Uuid::new_v4().to_string();
        let body = json!({"points": 100, "purchase_type": purchase});
        let (app, token) = (&app, token.clone());
        async move { app.post("/api/v1/claims", &token, Some(&key), &body).await }
    };
    let before = app.footprint("1").await;
    expect_error(claim_of("subscription").await, StatusCode::UNPROCESSABLE_ENTITY, "purchase_type_not_allowed").await;
    assert_eq!(app.footprint("1").await, before);
    let (status, claim) = status_json(claim_of("one_time").await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(claim["purchase_type"], "one_time");

    let mut body = program("100", 100, 1_000);
    body["purchase_type"] = json!("subscription");
    body["subscription"] = json!({"applies_to": "first_payment"});
    put_ok(&app, "online", &body).await;
    expect_error(claim_of("one_time").await, StatusCode::UNPROCESSABLE_ENTITY, "purchase_type_not_allowed").await;
    // Without a purchase type the program's own is assumed.
    assert_eq!(app.claim_ok("1", 100).await["purchase_type"], "subscription");

    body["purchase_type"] = json!("both");
    put_ok(&app, "online", &body).await;
    let (status, _) = status_json(claim_of("one_time").await).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, claim) = status_json(claim_of("subscription").await).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(claim["purchase_type"], "subscription");
    let (_, wallet) = status_json(app.get("/api/v1/wallet", &token).await).await;
    assert_eq!(wallet["program"]["purchase_types"], json!(["one_time", "subscription"]));
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn codes_use_the_unambiguous_alphabet_and_the_prefix() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 1_000).await;
    app.grant("1", 10_000).await;
    let mut codes = std::collections::HashSet::new();
    for _ in 0..20 {
        let code = app.claim_ok("1", 1).await["code"].as_str().expect("code").to_string();
        assert_eq!(code.len(), 10, "{code}");
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        assert!(!code.contains(['0', 'O', '1', 'I', 'L']), "{code}");
        assert!(codes.insert(code), "codes are unique");
    }
    let mut body = program("100", 1, 1_000);
    body["code_prefix"] = json!("vip-24");
    let stored = put_ok(&app, "online", &body).await;
    assert_eq!(stored["code_prefix"], "VIP-24", "stored upper-case");
    let code = app.claim_ok("1", 1).await["code"].as_str().expect("code").to_string();
    let random = code.strip_prefix("VIP-24-").unwrap_or_else(|| panic!("prefix honoured: {code}"));
    assert_eq!(random.len(), 10);
    assert!(random.bytes().all(|b| ALPHABET.contains(&b)), "{code}");
}

/// No lookup checks a drawn code before the insert (it made PostgreSQL scan
/// the growing claims table under a plan cached while it was empty): the
/// insert finds a taken code and draws again, on both databases.
#[tokio::test]
async fn a_code_the_shop_already_has_is_drawn_again_at_the_insert() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 1, 1_000).await;
    app.grant("1", 10_000).await;
    app.claim_ok("1", 1).await;
    let taken = app.claim_rows("1").await.remove(0);
    let mut copy = taken.clone();
    copy.id = format!("{}-copy", taken.id);
    let (inserted, redrawn) = app
        .store
        .write::<_, loyalty_wallet::error::AppError, _>(move |conn| {
            let redrawn = loyalty_wallet::store::claims::insert_row(conn, &mut copy)?;
            Ok((copy, redrawn))
        })
        .await
        .expect("the insert draws another code");
    assert!(redrawn, "the taken code was noticed");
    assert_ne!(inserted.code, taken.code);
    assert_eq!(inserted.code.len(), taken.code.len());
    let codes: Vec<String> = app.claim_rows("1").await.into_iter().map(|row| row.code).collect();
    assert_eq!(codes.len(), 2, "both rows stored: {codes:?}");
    assert!(codes.contains(&taken.code) && codes.contains(&inserted.code), "{codes:?}");
}

#[tokio::test]
async fn a_ratio_change_touches_future_claims_only() {
    let app = TestApp::spawn().await;
    let v2 = app.enable_program("online", "100", 100, 10_000).await;
    let first_version = v2["version"].as_i64().expect("version");
    assert_eq!(first_version, 2, "version 1 is the initial disabled program");
    app.grant("1", 5_000).await;
    let before = app.claim_ok("1", 1_000).await;
    assert_eq!(before["value"], "10.00");
    assert_eq!(before["program_version"], first_version);

    let v3 = put_ok(&app, "online", &program("50", 100, 10_000)).await;
    assert_eq!(v3["version"], first_version + 1);
    let after = app.claim_ok("1", 1_000).await;
    assert_eq!(after["value"], "20.00");
    assert_eq!(after["program_version"], first_version + 1);

    // The earlier claim keeps its value and version, in the list and stored.
    let (_, list) = status_json(app.get("/api/v1/claims", &app.customer("1")).await).await;
    let listed: Vec<&Value> = list["claims"].as_array().expect("claims").iter().collect();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["id"], after["id"], "newest first");
    assert_eq!(listed[1]["id"], before["id"]);
    assert_eq!(listed[1]["value"], "10.00");
    assert_eq!(listed[1]["created_at"], before["created_at"], "the 201 shows the stored time");
    assert_eq!(listed[0], &after, "the list shows exactly what the 201 said");
    assert_eq!(listed[1]["program_version"], first_version);
    let rows = app.claim_rows("1").await;
    let old = rows.iter().find(|r| r.id == before["id"].as_str().expect("id")).expect("old claim");
    assert_eq!(old.snapshot().expect("snapshot").points_per_unit.to_string(), "100");
    // Re-saving identical settings is not a new version.
    let same = put_ok(&app, "online", &program("50", 100, 10_000)).await;
    assert_eq!(same["version"], first_version + 1);
    assert_wallet_invariants(&app, SHOP, "1").await;
}

#[tokio::test]
async fn pos_claims_use_the_pos_program_and_channel() {
    let app = TestApp::spawn().await;
    app.enable_program("pos", "10", 10, 1_000).await;
    app.grant("55", 1_000).await;
    let pos = app.token(Role::Pos, "clerk-1");
    // The online program is still disabled: the shopper cannot claim.
    expect_error(app.claim("55", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "program_disabled").await;

    let (status, wallet) = status_json(app.get("/api/v1/pos/customers/55/wallet", &pos).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(wallet["program"]["channel"], "pos");
    assert_eq!(wallet["program"]["points_per_unit"], "10");
    assert_eq!(wallet["points_balance"], 1_000);
    let (_, quote) = status_json(app.get("/api/v1/pos/quote?points=100&customer_id=55", &pos).await).await;
    assert_eq!((quote["valid"].clone(), quote["value"].clone()), (json!(true), json!("10.00")));

    let key = uuid::Uuid::new_v4().to_string();
    let response = app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "55", "points": 100})).await;
    let (status, claim) = status_json(response).await;
    assert_eq!(status, StatusCode::CREATED, "{claim}");
    assert_eq!(claim["channel"], "pos");
    assert_eq!(claim["value"], "10.00", "100 points at the pos ratio of 10");
    assert_eq!(claim["customer_id"], "55");
    assert_eq!(app.balance("55").await, 900);
    // The POS limits apply, not the online ones.
    let key = uuid::Uuid::new_v4().to_string();
    let response = app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "55", "points": 5})).await;
    expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "below_minimum").await;
    // The shopper sees the POS claim in their own list.
    let (_, list) = status_json(app.get("/api/v1/claims", &app.customer("55")).await).await;
    assert_eq!(list["claims"][0]["channel"], "pos");
    // A customer id that is not one is refused with the field named.
    let key = uuid::Uuid::new_v4().to_string();
    let response =
        app.post("/api/v1/pos/claims", &pos, Some(&key), &json!({"customer_id": "a b", "points": 100})).await;
    let error = expect_error(response, StatusCode::UNPROCESSABLE_ENTITY, "invalid_request").await;
    assert!(error["error"]["details"]["fields"]["customer_id"].is_string());
    assert_wallet_invariants(&app, SHOP, "55").await;
}

#[tokio::test]
async fn disabling_the_program_leaves_existing_codes_usable() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 1_000).await;
    let claim = app.claim_ok("1", 500).await;
    let code = claim["code"].as_str().expect("code");
    let mut disabled = program("100", 100, 10_000);
    disabled["enabled"] = json!(false);
    put_ok(&app, "online", &disabled).await;
    expect_error(app.claim("1", 100).await, StatusCode::UNPROCESSABLE_ENTITY, "program_disabled").await;

    let body = json!({"code": code.to_lowercase(), "customer_id": "1", "subtotal": "20.00"});
    let (status, verdict) = status_json(app.post("/api/v1/checkout/validate", &app.admin(), None, &body).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["value"], "5.00");
    let (status, used) = status_json(app.redeem(code, "1", "order-1", "20.00").await).await;
    assert_eq!(status, StatusCode::OK, "{used}");
    assert_eq!(used["status"], "used");
    assert_wallet_invariants(&app, SHOP, "1").await;
}
