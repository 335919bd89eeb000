//! The merchant admin's HTML as Shopify's admin and browsers need it.
//!
//! Opened by Shopify (`?embedded=1&host=…&shop=…&id_token=…`), the page
//! gets App Bridge first in `<head>`: `<meta name="shopify-api-key">` with
//! the client id and Shopify's CDN script as the first blocking script.
//! Opened any other way (development links, `?token=`, a bookmark) it gets
//! neither: App Bridge loaded at the top level sends the browser to
//! Shopify's login (Shopify's own `shopify_app` renders it only when
//! embedded for that reason). `frame-ancestors` lets only the shop's admin
//! frame the page. Shopify's parameters without a valid `shop` or `host`
//! get a page that says how to open the app, not a blank one.

use crate::config::Settings;
use crate::domain::signature::{self, is_shop_domain};
use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};

/// Where the page's template has App Bridge (and the mode) put in.
const MARKER: &str = "<!--app-bridge-->";
const APP_BRIDGE: &str = "https://cdn.shopify.com/shopifycloud/app-bridge.js";
pub(crate) const SHOPIFY_ADMIN: &str = "https://admin.shopify.com";

/// What the query says about where the page runs.
struct Opened {
    /// Shopify's parameters are present (`embedded`, `host` or `id_token`).
    by_shopify: bool,
    /// A valid `shop` parameter.
    shop: Option<String>,
    host: bool,
}

fn opened(req: &HttpRequest) -> Opened {
    let pairs = signature::parse_query(req.query_string());
    let given = |key: &str| signature::value(&pairs, key).filter(|v| !v.trim().is_empty());
    Opened {
        by_shopify: ["embedded", "host", "id_token"].iter().any(|key| given(key).is_some()),
        shop: given("shop").filter(|shop| is_shop_domain(shop)).map(str::to_string),
        host: given("host").is_some(),
    }
}

/// `frame-ancestors`: the shop's own admin domain (when the query names a
/// valid one) and Shopify's unified admin; nobody else may frame the page.
pub(crate) fn frame_ancestors(shop: Option<&str>) -> String {
    match shop {
        Some(shop) => format!("frame-ancestors https://{shop} {SHOPIFY_ADMIN}"),
        None => format!("frame-ancestors {SHOPIFY_ADMIN}"),
    }
}

/// What replaces the marker: the mode, and App Bridge when Shopify opened it.
fn head(settings: &Settings, embedded: bool) -> String {
    let mut out = String::new();
    if embedded {
        let key = super::pages::escape(&settings.client_id);
        out.push_str(&format!(
            "<meta name=\"shopify-api-key\" content=\"{key}\">\n  <script src=\"{APP_BRIDGE}\"></script>\n  "
        ));
    }
    if settings.development {
        out.push_str("<meta name=\"loyalty-development\" content=\"1\">\n  ");
    }
    out
}

/// The admin page (`template` is widget/admin.html).
pub(crate) fn admin_page(req: &HttpRequest, settings: &Settings, template: &[u8]) -> HttpResponse {
    let opened = opened(req);
    let csp = frame_ancestors(opened.shop.as_deref());
    if opened.by_shopify && (opened.shop.is_none() || !opened.host) {
        return wrong_opening(&csp, opened.shop.is_none());
    }
    let text = String::from_utf8_lossy(template).replacen(MARKER, &head(settings, opened.by_shopify), 1);
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, csp))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(text)
}

/// Shopify's parameters, but not enough of them to run inside its admin.
fn wrong_opening(csp: &str, shop_missing: bool) -> HttpResponse {
    let missing = if shop_missing { "a valid <code>shop</code>" } else { "<code>host</code>" };
    let body = format!(
        "<h1>Open the app from Shopify admin</h1>\
         <p>This address has Shopify's admin parameters but not {missing}, so the app cannot sign in to your store.</p>\
         <p>In your Shopify admin choose <strong>Apps → Loyalty Wallet</strong>; Shopify opens the app with everything it needs.</p>\
         <p class=\"muted\">Developers: open <code>/widget/admin.html?token=…</code> with an admin token instead.</p>"
    );
    let mut res =
        super::pages::html(StatusCode::BAD_REQUEST, super::pages::page("Open the app from Shopify admin", &body));
    if let Ok(value) = header::HeaderValue::from_str(csp) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, value);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shop_and_shopify_admin_may_frame_the_page() {
        assert_eq!(
            frame_ancestors(Some("a.myshopify.com")),
            "frame-ancestors https://a.myshopify.com https://admin.shopify.com"
        );
        assert_eq!(frame_ancestors(None), "frame-ancestors https://admin.shopify.com");
    }
}
