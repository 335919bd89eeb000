//! The widget, admin and POS pages, embedded in the binary at build time so
//! one executable serves everything.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use include_dir::{include_dir, Dir};
use sha2::{Digest, Sha256};

static WIDGET: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/widget");

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "json" => "application/json",
        "ico" => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[utoipa::path(get, path = "/widget/{path}", summary = "Widget, admin and POS files", tag = "pages",
    description = "admin.html is filled in per request: opened with Shopify's parameters (embedded, host, shop, id_token) it loads App Bridge first, and with them but no valid shop or no host it is a 400 HTML page saying how to open the app; it always sends Content-Security-Policy frame-ancestors (the shop's admin and admin.shopify.com).",
    params(("path" = String, Path, description = "file under widget/; empty = index.html")),
    responses((status = 200, description = "the page, script or style", content_type = "text/html"), (status = 304, description = "unchanged (ETag)"),
        (status = 404, body = crate::error::ErrorEnvelope)))]
pub(crate) async fn asset(
    req: HttpRequest,
    path: web::Path<String>,
    settings: web::Data<crate::config::Settings>,
) -> HttpResponse {
    let path = path.into_inner();
    let path = if path.is_empty() || path.ends_with('/') { format!("{path}index.html") } else { path };
    let Some(file) = WIDGET.get_file(&path) else {
        return crate::error::AppError::not_found("file").error_response_json();
    };
    // The admin page is filled in per request (App Bridge, frame-ancestors).
    if path == "admin.html" {
        return super::admin_page::admin_page(&req, &settings, file.contents());
    }
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(file.contents()))[..16]);
    if req.headers().get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()) == Some(etag.as_str()) {
        return HttpResponse::NotModified().finish();
    }
    HttpResponse::Ok()
        .content_type(content_type(&path))
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(file.contents())
}

#[utoipa::path(get, path = "/", summary = "Landing page", tag = "pages", responses((status = 200, description = "landing page (links to the demo screens in development mode)", content_type = "text/html")))]
pub(crate) async fn root(settings: web::Data<crate::config::Settings>) -> HttpResponse {
    super::pages::landing(&settings)
}

#[utoipa::path(get, path = "/widget", summary = "Redirect to /widget/", tag = "pages", responses((status = 308, description = "to /widget/ (query kept)")))]
pub(crate) async fn add_slash(req: HttpRequest) -> HttpResponse {
    super::pages::add_slash(&req)
}
