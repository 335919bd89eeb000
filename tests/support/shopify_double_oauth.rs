//! The double's OAuth endpoints and webhook subscriptions: `authorize`
//! approves at once (302 to `redirect_uri` with a signed query and a code);
//! `access_token` takes a code grant (single use, 5 minutes) or a token
//! exchange (an HS256 session token for this client and shop), else 400;
//! a topic and URL subscribed twice is a userError.

use super::http::{json, now, reply, Answer, Outcome};
use super::State;
use hmac::{Hmac, Mac};
use hyper::http::request::Parts;
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE_TOKEN: &str = "urn:shopify:params:oauth:token-type:offline-access-token";
const CODE_LIFETIME: Duration = Duration::from_secs(300);

#[derive(Default, Clone, Debug)]
pub struct OAuthStats {
    /// `authorize` redirects given, with their query.
    pub authorizations: Vec<HashMap<String, String>>,
    pub code_grants: u64,
    pub token_exchanges: u64,
    /// Refused calls to `access_token` (any reason).
    pub refused: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscription {
    pub id: String,
    pub topic: String,
    /// `uri` (or the deprecated `callbackUrl`) of the input.
    pub uri: String,
    pub format: String,
}

#[derive(Default)]
pub struct OAuthState {
    codes: HashMap<String, (Instant, bool)>,
    pub stats: OAuthStats,
    pub subscriptions: Vec<Subscription>,
    /// Delay of every `access_token` answer (to make requests overlap).
    pub delay: Duration,
    next: u64,
}

fn query_pairs(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Hex HMAC-SHA256 of the sorted `key=value` pairs joined with `&`.
pub fn oauth_hmac(secret: &str, pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<String> = pairs.iter().filter(|(k, _)| k != "hmac").map(|(k, v)| format!("{k}={v}")).collect();
    sorted.sort();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(sorted.join("&").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Answers the OAuth paths; None for any other path.
pub(super) fn handle(state: &mut State, head: &Parts, body: &[u8]) -> Option<Outcome> {
    let path = head.uri.path();
    match (head.method.as_str(), path) {
        ("GET", "/admin/oauth/authorize") => Some(now(authorize(state, head.uri.query().unwrap_or_default()))),
        ("POST", "/admin/oauth/access_token") => Some((Some(access_token(state, body)), state.oauth.delay)),
        _ if path.starts_with("/admin/oauth/") => Some(now(json(404, &json!({"errors": "Not Found"})))),
        _ => None,
    }
}

fn html(status: u16, body: &str, headers: &[(&str, &str)]) -> Answer {
    reply(status, "text/html; charset=utf-8", headers, body.to_string())
}

fn authorize(state: &mut State, query: &str) -> Answer {
    let given: HashMap<String, String> = query_pairs(query).into_iter().collect();
    if given.get("client_id") != Some(&state.config.client_id) {
        return html(400, "<h1>Oauth error invalid_request: The client_id is invalid</h1>", &[]);
    }
    let (Some(redirect), Some(oauth_state)) = (given.get("redirect_uri"), given.get("state")) else {
        return html(400, "<h1>Oauth error invalid_request: redirect_uri and state are required</h1>", &[]);
    };
    state.oauth.stats.authorizations.push(given.clone());
    let code = issue_code(state);
    let pairs = callback_query(&state.config.client_secret, &state.config.shop, &code, oauth_state);
    let encoded: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).finish();
    html(302, "", &[("Location", &format!("{redirect}?{encoded}"))])
}

/// A fresh single-use code, as the merchant's approval makes one.
fn issue_code(state: &mut State) -> String {
    state.oauth.next += 1;
    let code = format!("code-{:08x}-{:016x}", state.oauth.next, rand::Rng::gen::<u64>(&mut state.rng));
    state.oauth.codes.insert(code.clone(), (Instant::now(), false));
    code
}

/// The signed query Shopify sends to the callback.
fn callback_query(secret: &str, shop: &str, code: &str, oauth_state: &str) -> Vec<(String, String)> {
    let host = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, format!("{shop}/admin"));
    let now = chrono::Utc::now().timestamp().to_string();
    let pairs = [("code", code), ("host", &host), ("shop", shop), ("state", oauth_state), ("timestamp", &now)];
    let mut pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let hmac = oauth_hmac(secret, &pairs);
    pairs.push(("hmac".into(), hmac));
    pairs
}

fn refused(state: &mut State, error: &str, description: &str) -> Answer {
    state.oauth.stats.refused += 1;
    json(400, &json!({"error": error, "error_description": description}))
}

fn access_token(state: &mut State, body: &[u8]) -> Answer {
    let fields: HashMap<String, String> = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => map.into_iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string()))).collect(),
        _ => query_pairs(&String::from_utf8_lossy(body)).into_iter().collect(),
    };
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    if field("client_id") != state.config.client_id || field("client_secret") != state.config.client_secret {
        return refused(state, "invalid_client", "Client authentication failed");
    }
    let scope = "write_discounts,read_customers,read_orders";
    let grant = json!({"access_token": state.config.access_token, "scope": scope});
    if field("grant_type") == TOKEN_EXCHANGE {
        if field("subject_token_type") != ID_TOKEN || field("requested_token_type") != OFFLINE_TOKEN {
            return refused(state, "invalid_request", "unsupported token types");
        }
        if let Err(why) = check_session_token(state, &field("subject_token")) {
            return refused(state, "invalid_subject_token", &why);
        }
        state.oauth.stats.token_exchanges += 1;
        return json(200, &grant);
    }
    match state.oauth.codes.get_mut(&field("code")) {
        Some((issued, used)) if !*used && issued.elapsed() < CODE_LIFETIME => {
            *used = true;
            state.oauth.stats.code_grants += 1;
            json(200, &grant)
        }
        _ => refused(state, "invalid_request", "The authorization code was not found or was already used"),
    }
}

fn check_session_token(state: &State, token: &str) -> Result<(), String> {
    use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_audience(&[state.config.client_id.as_str()]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    let key = DecodingKey::from_secret(state.config.client_secret.as_bytes());
    let claims = decode::<Value>(token, &key, &validation).map_err(|e| e.to_string())?.claims;
    if claims["dest"].as_str() != Some(&format!("https://{}", state.config.shop)) {
        return Err("the session token is for another shop".into());
    }
    Ok(())
}

/// `webhookSubscriptionCreate` with a coerced topic and input: an https
/// address (http only to loopback), as Shopify requires of `uri`.
pub(super) fn subscribe(state: &mut State, topic: &str, input: &Value) -> Value {
    let field = if input["uri"].is_null() { "callbackUrl" } else { "uri" };
    let uri = input[field].as_str().unwrap_or_default().to_string();
    let loopback = ["http://127.0.0.1", "http://localhost"].iter().any(|l| uri.starts_with(l));
    if !uri.starts_with("https://") && !loopback {
        return subscription_payload(None, Some((field, "Address is invalid")));
    }
    if state.oauth.subscriptions.iter().any(|s| s.topic == topic && s.uri == uri) {
        return subscription_payload(None, Some((field, "Address for this topic has already been taken")));
    }
    state.oauth.next += 1;
    let id = format!("gid://shopify/WebhookSubscription/{}", 9_000_000 + state.oauth.next);
    let format = input["format"].as_str().unwrap_or("JSON").to_string();
    state.oauth.subscriptions.push(Subscription { id, topic: topic.into(), uri, format });
    subscription_payload(state.oauth.subscriptions.last(), None)
}

/// The answer: the subscription made, or a user error on a field.
fn subscription_payload(made: Option<&Subscription>, error: Option<(&str, &str)>) -> Value {
    let made = made.map(|s| {
        let endpoint = json!({"__typename": "WebhookHttpEndpoint", "callbackUrl": s.uri});
        json!({"id": s.id, "topic": s.topic, "uri": s.uri, "callbackUrl": s.uri, "format": s.format, "endpoint": endpoint})
    });
    let errors: Vec<Value> = error
        .iter()
        .map(|(field, message)| json!({"field": ["webhookSubscription", field], "message": message}))
        .collect();
    json!({"webhookSubscription": made, "userErrors": errors})
}
