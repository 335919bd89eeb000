//! shopify.app.toml and the theme app extension: the
//! files parse, and every URL path, scope and topic in them is one the
//! service really has.

use crate::helpers::*;
use crate::platform::deliver;
use loyalty_wallet::platform::shopify::topic::Topic;
use loyalty_wallet::platform::{oauth, subscriptions};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(path: &str) -> toml::Table {
    read(path).parse::<toml::Table>().unwrap_or_else(|e| panic!("{path} is not TOML: {e}"))
}

/// The path of an absolute URL (`https://host/a/b` → `/a/b`).
fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/').map_or("/".to_string(), |at| rest[at..].to_string())
}

fn text<'a>(table: &'a toml::Table, dotted: &str) -> &'a str {
    let mut value: Option<&toml::Value> = None;
    let mut current = table;
    for part in dotted.split('.') {
        value = current.get(part);
        if let Some(toml::Value::Table(inner)) = value {
            current = inner;
        }
    }
    value.and_then(toml::Value::as_str).unwrap_or_else(|| panic!("{dotted} missing"))
}

/// A route is there when it answers neither 404 nor 405.
async fn routed(app: &TestApp, method: Method, path: &str) {
    let status = app.send_raw(method.clone(), path, None, &[], None).await.status();
    assert!(status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {status}");
}

#[tokio::test]
async fn the_app_config_names_only_what_the_service_has() {
    let app = TestApp::spawn().await;
    let config = parse("shopify.app.toml");
    assert!(!text(&config, "client_id").is_empty());
    assert_eq!(text(&config, "access_scopes.scopes"), oauth::scope(), "scopes in one place");

    let admin = path_of(text(&config, "application_url"));
    assert_eq!(app.client.get(app.url(&admin)).send().await.expect("GET").status(), StatusCode::OK, "{admin}");
    let redirects = config["auth"]["redirect_urls"].as_array().expect("redirect_urls");
    assert!(!redirects.is_empty());
    for url in redirects {
        let path = path_of(url.as_str().expect("url"));
        assert_eq!(path, "/shopify/callback");
        routed(&app, Method::GET, &path).await;
    }

    let proxy = &config["app_proxy"];
    assert_eq!((proxy["prefix"].as_str(), proxy["subpath"].as_str()), (Some("apps"), Some("loyalty")));
    let proxy_path = format!("{}/session", path_of(proxy["url"].as_str().expect("proxy url")));
    assert_eq!(proxy_path, "/proxy/session", "Shopify forwards /apps/loyalty/session to {{url}}/session");
    routed(&app, Method::GET, &proxy_path).await;

    let subscriptions = config["webhooks"]["subscriptions"].as_array().expect("webhooks.subscriptions");
    for subscription in subscriptions {
        assert_eq!(path_of(subscription["uri"].as_str().expect("uri")), subscriptions::WEBHOOK_PATH);
        let topics = subscription
            .get("compliance_topics")
            .or_else(|| subscription.get("topics"))
            .and_then(toml::Value::as_array)
            .expect("topics");
        for topic in topics {
            let topic = topic.as_str().expect("topic");
            let handled = Topic::from_stored(topic)
                .is_some_and(|known| Topic::PRIVACY.contains(&known) || Topic::SUBSCRIBED.contains(&known));
            assert!(handled, "{topic} is a topic of the service");
            let payload = json!({"shop_id": 1, "shop_domain": SHOP, "customer": {"id": 5, "email": "a@b.c"}, "orders_requested": [], "orders_to_redact": []});
            let (status, body) = status_json(deliver(&app, topic, &format!("evt-{topic}"), &payload).await).await;
            assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("processed")), "{topic}: {body}");
        }
    }
    let declared: Vec<&str> = subscriptions
        .iter()
        .flat_map(|s| s["compliance_topics"].as_array().into_iter().flatten())
        .filter_map(toml::Value::as_str)
        .collect();
    for topic in Topic::PRIVACY {
        assert!(declared.contains(&topic.as_str()), "the mandatory topic {topic} is declared");
    }
}

const EXTENSION: &str = "extensions/loyalty-widget";

/// The JSON between `{% schema %}` and `{% endschema %}` of a block.
fn block_schema(liquid: &str) -> Value {
    let schema = liquid.split("{% schema %}").nth(1).and_then(|s| s.split("{% endschema %}").next()).expect("schema");
    serde_json::from_str(schema).expect("the block schema is JSON")
}

/// Every quoted name before `| <filter>` in the block's Liquid outputs
/// (`{{ 'x.js' | asset_url }}` → `x.js`).
fn filtered_names(liquid: &str, filter: &str) -> Vec<String> {
    liquid
        .split("{{")
        .skip(1)
        .filter_map(|output| output.split("}}").next())
        .filter_map(|output| {
            let (value, rest) = output.split_once('|')?;
            (rest.split_whitespace().next() == Some(filter)).then(|| value.trim().trim_matches('\'').to_string())
        })
        .collect()
}

/// A dotted key of a locale file (`blocks.wallet.name`).
fn has_key(table: &Value, dotted: &str) -> bool {
    dotted.split('.').try_fold(table, |t, k| t.get(k)).is_some_and(Value::is_string)
}

#[tokio::test]
async fn the_theme_extension_loads_the_widget_through_the_proxy() {
    let app = TestApp::spawn().await;
    let extension = parse(&format!("{EXTENSION}/shopify.extension.toml"));
    let first = &extension["extensions"].as_array().expect("[[extensions]]")[0];
    assert_eq!(first["type"].as_str(), Some("theme"));
    let config = parse("shopify.app.toml");
    let (prefix, subpath) = (text(&config, "app_proxy.prefix"), text(&config, "app_proxy.subpath"));

    let liquid = read(&format!("{EXTENSION}/blocks/wallet.liquid"));
    assert!(liquid.contains(&format!("session-url=\"/{prefix}/{subpath}/session\"")), "session-url through the proxy");
    // The proxy session is where the widget learns the API's base URL.
    routed(&app, Method::GET, &format!("{}/session", path_of(text(&config, "app_proxy.url")))).await;
    let code = liquid.split("{% endcomment %}").last().expect("markup");
    for host in ["https://", "http://", "loyalty.example", "/widget/", "app_url", "api-base"] {
        assert!(!code.contains(host), "the block names no app host or path ({host})");
    }
    let assets = filtered_names(&liquid, "asset_url");
    assert_eq!(assets, ["loyalty-wallet.js"], "the block loads the bundled widget from the extension's assets");
    assert!(liquid.contains("<script type=\"module\" src=\"{{ 'loyalty-wallet.js' | asset_url }}\""), "as a module");
    let schema = block_schema(&liquid);
    assert_eq!(schema["target"].as_str(), Some("section"));
    for key in ["javascript", "stylesheet"] {
        assets_exist(schema[key].as_str().into_iter().map(str::to_string));
    }
    assets_exist(assets.iter().cloned());
    assets_exist(bundle_references(&read(&format!("{EXTENSION}/assets/loyalty-wallet.js"))));

    let settings = schema["settings"].as_array().expect("settings");
    let ids: Vec<&str> = settings.iter().filter_map(|s| s["id"].as_str()).collect();
    assert_eq!(ids, ["heading", "accent_color"], "only heading and accent colour are settings");
    assert!(settings.iter().all(|s| s["type"] != "url"), "no URL setting");
    for id in ids {
        assert!(liquid.contains(&format!("block.settings.{id}")), "{id} is used");
    }
    let schema_strings: Value =
        serde_json::from_str(&read(&format!("{EXTENSION}/locales/en.default.schema.json"))).expect("JSON");
    let labels = settings.iter().filter_map(|s| s["label"].as_str()).chain(schema["name"].as_str());
    for key in labels.filter_map(|label| label.strip_prefix("t:")) {
        assert!(has_key(&schema_strings, key), "{key} is in locales/en.default.schema.json");
    }
    let strings: Value = serde_json::from_str(&read(&format!("{EXTENSION}/locales/en.default.json"))).expect("JSON");
    for key in filtered_names(&liquid, "t") {
        assert!(has_key(&strings, &key), "{key} is in locales/en.default.json");
    }
}

/// Files the bundle loads from beside itself (`new URL("./x", import.meta.url)`).
fn bundle_references(bundle: &str) -> Vec<String> {
    bundle
        .split("new URL(\"./")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').filter(|(_, after)| after.starts_with(",import.meta.url")))
        .map(|(name, _)| name.to_string())
        .collect()
}

fn assets_exist(names: impl IntoIterator<Item = String>) {
    for name in names {
        let path = format!("{}/{EXTENSION}/assets/{name}", env!("CARGO_MANIFEST_DIR"));
        assert!(std::path::Path::new(&path).is_file(), "assets/{name} is shipped in the extension");
    }
}

#[test]
fn the_bundle_reference_reader_finds_the_stylesheet() {
    let sample = r#"const a=new URL("./loyalty-wallet.css",import.meta.url).href,b=new URL("./x.png",base);"#;
    assert_eq!(bundle_references(sample), ["loyalty-wallet.css"]);
    assert_eq!(filtered_names("{{ 'a.js' | asset_url }} {{ x | escape }} {{ 'k.l' | t }}", "asset_url"), ["a.js"]);
}

#[test]
fn the_extension_pins_the_app_api_version() {
    let extension = parse(&format!("{EXTENSION}/shopify.extension.toml"));
    let config = parse("shopify.app.toml");
    let (pinned, app) = (text(&extension, "api_version"), text(&config, "webhooks.api_version"));
    assert_eq!(pinned, app, "the theme extension and shopify.app.toml pin one Admin API version");
    let shaped = pinned.len() == 7
        && pinned.as_bytes()[4] == b'-'
        && pinned.replace('-', "").bytes().all(|b| b.is_ascii_digit());
    assert!(shaped, "{pinned} is a YYYY-MM version");
}

/// One Admin API version everywhere: the service default, `[webhooks]
/// api_version` and every extension pin the newest stable version, which
/// Shopify supports today; a value that is no version stops the start, and
/// one past Shopify's support window only warns.
#[test]
fn one_supported_api_version_is_pinned_everywhere() {
    use loyalty_wallet::platform::shopify::version::{support, Support, CURRENT};
    let today = chrono::Utc::now().date_naive();
    let supported = matches!(support(CURRENT, today), Ok(Support::Supported { .. }));
    assert!(
        supported,
        "{CURRENT} is past Shopify's support window on {today}: bump it (README, \"Shopify API version\")"
    );
    assert_eq!(test_settings("unused.db").platform.api_version, CURRENT, "the service default");
    assert_eq!(text(&parse("shopify.app.toml"), "webhooks.api_version"), CURRENT);
    let extensions = std::fs::read_dir(format!("{}/extensions", env!("CARGO_MANIFEST_DIR"))).expect("extensions/");
    let mut pinned = 0;
    for extension in extensions.map(|entry| entry.expect("entry").file_name().into_string().expect("utf-8")) {
        let path = format!("extensions/{extension}/shopify.extension.toml");
        assert_eq!(text(&parse(&path), "api_version"), CURRENT, "{path}");
        pinned += 1;
    }
    assert!(pinned >= 1, "at least the theme extension");

    let settings = |version: &str| {
        let vars = [("LOYALTY_SHOPIFY_API_VERSION", version), ("DATABASE_URL", "unused.db")];
        loyalty_wallet::config::Settings::from_map(&vars.map(|(k, v)| (k.to_string(), v.to_string())).into())
    };
    for malformed in ["2026-13", "2026-02", "latest", "26-10"] {
        let refused = settings(malformed).expect_err(malformed).to_string();
        assert!(
            refused.contains("LOYALTY_SHOPIFY_API_VERSION") && refused.contains("not a Shopify API version"),
            "{refused}"
        );
    }
    let retired = settings("2025-01").expect("a retired version still starts");
    let warning = retired.platform.api_version_warning(today).expect("a WARN at start");
    assert!(warning.contains("12-month support window"), "{warning}");
    assert_eq!(settings(CURRENT).expect("current").platform.api_version_warning(today), None);
}
