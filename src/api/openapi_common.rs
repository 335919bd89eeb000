//! Error answers every operation of a kind can give, added to the document
//! in one place so each handler's annotation lists only its own: 401/403
//! behind a token, 400/413/415 with a JSON body, 400 with query parameters,
//! 404 with a path parameter, 503 where the database is used, 431 on every
//! operation (a request head too large for the parser); and the
//! `Allow` header of 405 answers, taken from the same document.

use crate::error::AppError;
use actix_web::{HttpRequest, HttpResponse};
use std::collections::HashMap;
use std::sync::LazyLock;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, ResponseBuilder};

pub(crate) struct CommonErrors;

const COMMON: [(&str, &str); 9] = [
    ("400", "invalid_request: malformed JSON, query string or parameters"),
    ("401", "unauthorized: no token, or a bad, expired or foreign one"),
    ("403", "forbidden: the token's role may not use this route"),
    ("404", "not_found"),
    ("413", "invalid_request: body over LOYALTY_BODY_LIMIT_BYTES (default 65,536 bytes)"),
    ("415", "invalid_request: the body must be application/json"),
    ("422", "invalid_request with details.fields"),
    ("431", "invalid_request: the request head has more than 96 headers or is over 128 KiB"),
    ("503", "unavailable: the database or the platform cannot be reached now"),
];

impl utoipa::Modify for CommonErrors {
    fn modify(&self, doc: &mut OpenApi) {
        for (path, item) in doc.paths.paths.iter_mut() {
            let api = path.starts_with("/api/");
            for operation in [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch] {
                if let Some(operation) = operation.as_mut() {
                    add_common(operation, api);
                }
            }
        }
    }
}

fn add_common(operation: &mut Operation, api: bool) {
    let protected = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let has_body = operation.request_body.is_some();
    let params = operation.parameters.as_deref().unwrap_or_default();
    let has_query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let has_path = params.iter().any(|p| p.parameter_in == ParameterIn::Path);
    let wanted = |code: &str| match code {
        "400" => has_body || has_query || api,
        "401" | "403" => protected,
        "404" => has_path,
        "413" | "415" => has_body,
        "422" => has_body && api,
        "503" => api,
        // The HTTP parser answers it before any route is chosen.
        "431" => true,
        _ => false,
    };
    for (code, description) in COMMON {
        if wanted(code) && !operation.responses.responses.contains_key(code) {
            let envelope = Content::new(Some(Ref::from_schema_name("ErrorEnvelope")));
            let response =
                ResponseBuilder::new().description(description).content("application/json", envelope).build();
            operation.responses.responses.insert(code.to_string(), response.into());
        }
    }
}

/// Documented methods per path pattern, for `Allow`.
static METHODS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let doc = <super::openapi::ApiDoc as utoipa::OpenApi>::openapi();
    doc.paths
        .paths
        .iter()
        .map(|(path, item)| {
            let pairs = [("GET", &item.get), ("POST", &item.post), ("PUT", &item.put), ("DELETE", &item.delete)];
            let methods: Vec<&str> = pairs.iter().filter(|(_, op)| op.is_some()).map(|(m, _)| *m).collect();
            (path.clone(), methods.join(", "))
        })
        .collect()
});

/// 405 in the envelope, with the path's methods in `Allow`.
pub(crate) async fn method_not_allowed(req: HttpRequest) -> HttpResponse {
    let pattern = req.match_pattern().unwrap_or_default();
    let documented = pattern.split_once(":.*").map_or(pattern.clone(), |(head, _)| format!("{head}}}"));
    let allow = METHODS.get(&documented).cloned().unwrap_or_else(|| "GET".to_string());
    let error = AppError::invalid("this method is not allowed on this path")
        .with_status(actix_web::http::StatusCode::METHOD_NOT_ALLOWED);
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(actix_web::http::header::ALLOW, value);
    }
    response
}
