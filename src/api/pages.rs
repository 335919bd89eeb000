//! What a person with a browser meets outside the three screens: a landing
//! page at `/`, HTML error pages (API clients keep the JSON envelope; the
//! choice is made by `Accept`), and HEAD answered like GET.

use crate::config::Settings;
use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::Value;

/// Error bodies above this size are passed through untouched.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A small self-contained page (inline style; no scripts).
pub(crate) fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title><style>\
         body{{font:16px/1.5 system-ui,sans-serif;color:#1b1f24;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
         a{{color:#0b57d0}}code{{background:#f1f3f5;padding:0 .25em;border-radius:3px;overflow-wrap:anywhere}}\
         li{{margin:.4rem 0}}.muted{{color:#555e68}}</style></head><body>{body}</body></html>",
        title = escape(title)
    )
}

pub(crate) fn html(status: actix_web::http::StatusCode, text: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(text)
}

/// The landing page: what this service is; in development mode, links that
/// open each screen with a demo token.
pub(crate) fn landing(settings: &Settings) -> HttpResponse {
    let links = if settings.development {
        match crate::dev::screen_links(settings) {
            Ok(links) => {
                let items: String = links
                    .iter()
                    .map(|(label, href)| format!("<li><a href=\"{}\">{}</a></li>", escape(href), escape(label)))
                    .collect();
                format!("<h2>Development mode</h2><p>Demo shop with a customer who has points:</p><ul>{items}</ul>")
            }
            Err(_) => String::new(),
        }
    } else {
        "<p class=\"muted\">The screens open from the shop's admin, storefront or POS with a signed token.</p>"
            .to_string()
    };
    let body = format!(
        "<h1>Loyalty wallet</h1><p>Shoppers turn loyalty points into one-off discount codes; \
         merchants set the rules; clerks create codes at the till.</p>{links}\
         <p class=\"muted\">API: <a href=\"/openapi.json\">/openapi.json</a> · health: <a href=\"/healthz\">/healthz</a></p>"
    );
    html(actix_web::http::StatusCode::OK, page("Loyalty wallet", &body))
}

/// `/widget` → `/widget/` (relative links in the pages need the slash).
pub(crate) fn add_slash(req: &HttpRequest) -> HttpResponse {
    let query = req.query_string();
    let location = if query.is_empty() { "/widget/".to_string() } else { format!("/widget/?{query}") };
    HttpResponse::PermanentRedirect().insert_header((header::LOCATION, location)).finish()
}

/// Whether the client asked for a page rather than data: `text/html` listed
/// and JSON not listed before it (browsers navigating; fetch() sends JSON).
fn wants_html(req: &actix_web::dev::RequestHead) -> bool {
    let Some(accept) = req.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    match (accept.find("text/html"), accept.find("application/json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// Middleware: HEAD is routed as GET (the HTTP layer drops the body), and an
/// error answered to a browser becomes a page with the same status.
pub(crate) async fn browser(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    let html = wants_html(req.head());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !html || !is_json || !(status.is_client_error() || status.is_server_error()) {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let bytes = body::to_bytes_limited(res.into_body(), MAX_ERROR_BODY).await.ok().and_then(Result::ok);
    let message = bytes
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_default();
    Ok(ServiceResponse::new(req, error_page(status, &message)))
}

fn error_page(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    let reason = status.canonical_reason().unwrap_or("Error");
    let title = format!("{} {reason}", status.as_u16());
    let hint = match status.as_u16() {
        404 => "There is no page at this address.",
        401 | 403 => "This page needs a valid link from the shop (the token may have expired).",
        _ => "The request could not be completed.",
    };
    let detail = if message.is_empty() { String::new() } else { format!("<p class=\"muted\">{}</p>", escape(message)) };
    let body = format!("<h1>{}</h1><p>{hint}</p>{detail}<p><a href=\"/\">Start page</a></p>", escape(&title));
    html(status, page(&title, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href=\"x\">'&'</a>"), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }
}
