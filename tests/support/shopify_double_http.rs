//! The double's HTTP side: hyper serves each connection; the answer is
//! decided under the state's lock, then delayed, or replaced by closing the
//! connection (a service error makes hyper drop it without answering).

use super::violations::{Served, ViolationKind};
use super::{discounts, graphql, lock, oauth, Hostile, State};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::http::request::Parts;
use hyper::{Method, Request, Response};
use rand::Rng;
use serde_json::{json, Map, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub(super) type Answer = Response<Full<Bytes>>;
/// The answer (None: close the connection instead) and the delay before it.
pub(super) type Outcome = (Option<Answer>, Duration);

const JSON: &str = "application/json; charset=utf-8";
const MAX_BODY: usize = 8 * 1024 * 1024;
const INTERNAL: &str = "Internal error. Looks like something went wrong on our end.";

pub(super) async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<Mutex<State>>,
    mut stop: tokio::sync::watch::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted { Ok((stream, _)) => stream, Err(_) => continue },
            _ = stop.changed() => return,
        };
        lock(&state).connections += 1;
        let (state, mut stop) = (state.clone(), stop.clone());
        let service = hyper::service::service_fn(move |request| answer(state.clone(), request));
        tokio::spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let connection =
                hyper::server::conn::http1::Builder::new().title_case_headers(true).serve_connection(io, service);
            tokio::select! { _ = connection => {}, _ = stop.changed() => {} }
        });
    }
}

async fn answer(state: Arc<Mutex<State>>, request: Request<Incoming>) -> Result<Answer, &'static str> {
    let (head, body) = request.into_parts();
    let (answer, delay) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => {
            let body = body.to_bytes();
            // A schema is read once per process (about a second): not under the lock.
            if let Some(version) = api_version(head.uri.path()).filter(|v| !super::schema::warmed(v)) {
                let _ = tokio::task::spawn_blocking(move || super::schema::warm(&version)).await;
            }
            match held_for(&state, &body) {
                Some(hold) => hold_then_handle(state.clone(), head, body, hold).await?,
                None => handle(&mut lock(&state), &head, &body),
            }
        }
        Err(_) => now(json(413, &json!({"errors": "Payload Too Large"}))),
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    answer.ok_or("the double drops the connection after the write")
}

/// How long to hold this request: `hold_creates_ms` for a discount create
/// mutation (known by its text), counted as held.
fn held_for(state: &Mutex<State>, body: &[u8]) -> Option<Duration> {
    let mut state = lock(state);
    let hold = state.faults.hold_creates_ms;
    let text = String::from_utf8_lossy(body);
    let create = text.contains("mutation") && text.contains("Create");
    (hold > 0 && create).then(|| {
        state.stats.held += 1;
        Duration::from_millis(hold)
    })
}

/// Handles the request after `hold`, in its own task: the write lands even
/// if the client hangs up meanwhile.
async fn hold_then_handle(
    state: Arc<Mutex<State>>,
    head: Parts,
    body: Bytes,
    hold: Duration,
) -> Result<Outcome, &'static str> {
    let late = tokio::spawn(async move {
        tokio::time::sleep(hold).await;
        handle(&mut lock(&state), &head, &body)
    });
    late.await.map_err(|_| "the held create was lost")
}

pub(super) fn now(answer: Answer) -> Outcome {
    (Some(answer), Duration::ZERO)
}

pub(super) fn reply(status: u16, content_type: &str, headers: &[(&str, &str)], body: impl Into<Bytes>) -> Answer {
    let builder = Response::builder().status(status).header("Content-Type", content_type);
    let builder = headers.iter().fold(builder, |builder, (name, value)| builder.header(*name, *value));
    builder.body(Full::new(body.into())).expect("a valid answer")
}

pub(super) fn json(status: u16, body: &Value) -> Answer {
    reply(status, JSON, &[], body.to_string())
}

/// Decides the answer under the lock; the delay is applied after.
fn handle(state: &mut State, head: &Parts, body: &[u8]) -> Outcome {
    state.stats.requests += 1;
    if let Some(outcome) = oauth::handle(state, head, body) {
        return outcome;
    }
    let Some(version) = api_version(head.uri.path()) else { return now(json(404, &json!({"errors": "Not Found"}))) };
    if head.method != Method::POST {
        return now(json(405, &json!({"errors": "Method Not Allowed"})));
    }
    if let Some(answer) = early_failure(state) {
        return now(state.fault(answer));
    }
    if head.headers.get("x-shopify-access-token").map(|v| v.as_bytes()) != Some(state.config.access_token.as_bytes()) {
        let refusal = "[API] Invalid API key or access token (unrecognized login or wrong password)";
        return now(json(401, &json!({"errors": refusal})));
    }
    if let Some(hostile) = &state.faults.hostile {
        return now(state.fault(hostile_answer(hostile)));
    }
    let served = match state.serve(&version) {
        Ok(served) => served,
        Err(why) => {
            state.violation(ViolationKind::Version, &version, "(any)", why.clone());
            return now(json(500, &json!({"errors": why})));
        }
    };
    let (mut answer, delay) = graphql_request(state, body, &version, &served);
    if let Some(answer) = &mut answer {
        answer.headers_mut().insert("X-Shopify-API-Version", served.version.parse().expect("a header value"));
    }
    (answer, delay)
}

fn api_version(path: &str) -> Option<String> {
    let version = path.strip_prefix("/admin/api/")?.strip_suffix("/graphql.json")?;
    let bytes = version.as_bytes();
    let dated =
        bytes.len() == 7 && bytes[4] == b'-' && bytes.iter().enumerate().all(|(i, b)| i == 4 || b.is_ascii_digit());
    (dated || version == "unstable").then(|| version.to_string())
}

/// `down`, `fail_next` and `error_rate`: the 5xx to answer at once.
fn early_failure(state: &mut State) -> Option<Answer> {
    let status = if state.faults.down {
        503
    } else if state.faults.fail_next > 0 {
        state.faults.fail_next -= 1;
        502
    } else if state.chance(state.faults.error_rate) {
        [500, 502, 503, 504][state.rng.gen_range(0..4)]
    } else {
        return None;
    };
    Some(five_hundred(status))
}

fn five_hundred(status: u16) -> Answer {
    let html =
        |title| reply(status, "text/html; charset=utf-8", &[], format!("<html><body><h1>{title}</h1></body></html>"));
    match status {
        500 => json(500, &json!({"errors": [{"message": INTERNAL, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]})),
        502 => html("502 Bad Gateway"),
        504 => html("504 Gateway Time-out"),
        _ => json(503, &json!({"errors": "Unavailable Shop"})),
    }
}

/// Raw texts, which JSON may not allow.
fn hostile_answer(hostile: &Hostile) -> Answer {
    let throttled = r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]"#;
    match hostile {
        Hostile::RetryAfter(after) => reply(429, JSON, &[("Retry-After", after)], format!("{throttled}}}")),
        Hostile::ThrottleStatus(maximum, current, restore) => {
            let status =
                format!(r#""maximumAvailable":{maximum},"currentlyAvailable":{current},"restoreRate":{restore}"#);
            let cost = format!(r#""requestedQueryCost":10,"actualQueryCost":null,"throttleStatus":{{{status}}}"#);
            reply(200, JSON, &[], format!(r#"{throttled},"extensions":{{"cost":{{{cost}}}}}}}"#))
        }
        Hostile::Body(body) => reply(200, JSON, &[], body.clone()),
    }
}

/// A GraphQL body: its query, variables and operation name.
type GraphqlBody = (String, Map<String, Value>, Option<String>);

/// Reads a GraphQL body, or says why it answers 400.
fn read_body(body: &[u8]) -> Result<GraphqlBody, Value> {
    let missing = || json!({"errors": {"query": "Required parameter missing or invalid"}});
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(body) else { return Err(missing()) };
    let query = body.get("query").and_then(Value::as_str).ok_or_else(missing)?.to_string();
    let variables = match body.get("variables") {
        Some(Value::Object(map)) => map.clone(),
        None | Some(Value::Null) => Map::new(),
        _ => return Err(json!({"errors": {"variables": "must be an object"}})),
    };
    Ok((query, variables, body.get("operationName").and_then(Value::as_str).map(str::to_string)))
}

/// An authenticated GraphQL call: check against the schema, charge,
/// execute, then the faults that come after the write.
fn graphql_request(state: &mut State, body: &[u8], requested: &str, served: &Served) -> Outcome {
    let (query, variables, operation) = match read_body(body) {
        Ok(read) => read,
        Err(errors) => return now(json(400, &errors)),
    };
    let checked = graphql::check(served.schema.clone(), &served.version, &query, &variables, operation.as_deref());
    state.refill();
    let checked = match checked {
        Ok(checked) => checked,
        Err(refusal) => return now(refused(state, requested, &served.version, refusal)),
    };
    state.checked(requested, &served.version, &checked.label);
    for message in &checked.deprecated {
        state.violation(ViolationKind::Deprecated, &served.version, &checked.label, message.clone());
    }
    if state.faults.segments_down
        && checked.root_fields.iter().any(|f| matches!(f.as_str(), "customerSegmentMembership" | "segments"))
    {
        return now(state.fault(five_hundred(503)));
    }
    let unit = if checked.mutation { state.config.mutation_cost } else { state.config.query_cost };
    let cost = unit * checked.root_fields.len() as f64;
    if state.available < cost {
        return now(throttled(state, cost));
    }
    state.available -= cost;
    let (data, errors) = checked.execute(&mut |name, args| discounts::execute(state, name, args));
    for error in &errors {
        let message = format!("the double's answer does not fit the schema: {error}");
        state.violation(ViolationKind::Answer, &served.version, &checked.label, message);
    }
    let mut body = json!({"data": data, "extensions": state.cost_json(cost, Some(cost))});
    if state.chance(state.internal_error_rate) {
        body = state.fault(internal_error(state.stats.requests, body["extensions"].take()));
    }
    after_write(state, checked.mutation, json(200, &body))
}

/// A request the schema refuses: Shopify's top-level `errors` (nothing
/// charged, nothing done), each one recorded as a violation.
fn refused(state: &mut State, requested: &str, version: &str, (errors, label): graphql::Refusal) -> Answer {
    state.checked(requested, version, &label);
    for message in errors.iter().filter_map(|e| e["message"].as_str()) {
        state.violation(ViolationKind::Invalid, version, &label, message.to_string());
    }
    json(200, &json!({"errors": errors, "extensions": state.cost_json(0.0, None)}))
}

/// HTTP 200 with a top-level `INTERNAL_SERVER_ERROR` and no data.
fn internal_error(request: u64, extensions: Value) -> Value {
    let id = format!("double-{request:016x}");
    let message = format!("{INTERNAL} Request ID: {id} (include this in support requests).");
    json!({"errors": [{"message": message, "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": id}}],
           "extensions": extensions})
}

/// THROTTLED, as HTTP 200 or as 429 with `Retry-After`.
fn throttled(state: &mut State, cost: f64) -> Answer {
    state.stats.throttled += 1;
    let documentation = "https://shopify.dev/api/usage/rate-limits";
    let error = json!({"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": documentation}});
    let body = json!({"errors": [error], "extensions": state.cost_json(cost, None)});
    if !state.faults.throttle_as_429 {
        return json(200, &body);
    }
    let wait = ((cost - state.available) / state.config.restore_rate.max(f64::MIN_POSITIVE)).ceil().max(1.0);
    reply(429, JSON, &[("Retry-After", &format!("{}", wait as u64))], body.to_string())
}

/// `slow_ms` and `drop_after_write_rate`, once the request was executed.
fn after_write(state: &mut State, mutation: bool, answer: Answer) -> Outcome {
    let slow = state.faults.slow_ms > 0 && (state.slow_share >= 1.0 || state.chance(state.slow_share));
    let delay = Duration::from_millis(if slow { state.fault(state.faults.slow_ms) } else { 0 });
    if mutation && state.chance(state.faults.drop_after_write_rate) {
        return state.fault((None, delay));
    }
    (Some(answer), delay)
}
