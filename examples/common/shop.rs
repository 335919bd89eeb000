//! A shop made ready over the admin API: its online program, its platform
//! (native, or Shopify at the local double) and customers with points.
#![allow(dead_code)]

use futures_util::StreamExt;
use loyalty_wallet::auth::{mint, MintRequest, Role};
use loyalty_wallet::config::Settings;
use loyalty_wallet::domain::ids::ShopDomain;
use serde_json::json;

/// Every claim takes this many points (the program's minimum: 1.00 USD).
pub const POINTS_PER_CLAIM: i64 = 100;
pub const DOUBLE_TOKEN: &str = "shpat_example";

/// The customers of a shop are 1000, 1001, …
pub fn customer_id(index: usize) -> String {
    (1000 + index).to_string()
}

pub fn token(settings: &Settings, shop: &str, role: Role, subject: &str) -> anyhow::Result<String> {
    let shop = ShopDomain::parse(shop).map_err(anyhow::Error::msg)?;
    mint(settings, &MintRequest { shop: &shop, role, subject, location_id: None, ttl_seconds: 3600 })
}

/// Where the shop's codes go: nowhere (native) or the double at this URL.
pub enum Platform<'a> {
    Native,
    Shopify { base_url: &'a str },
}

/// Program, platform and `customers` wallets of `points` each, through `base`.
pub async fn prepare(
    base: &str,
    settings: &Settings,
    shop: &str,
    platform: Platform<'_>,
    customers: usize,
    points: i64,
) -> anyhow::Result<()> {
    let admin = token(settings, shop, Role::Admin, "example")?;
    let http = reqwest::Client::new();
    let program = json!({"enabled": true, "points_per_unit": "100", "min_points": POINTS_PER_CLAIM,
        "max_points": 100000, "purchase_type": "one_time"});
    let platform = match platform {
        Platform::Native => json!({"kind": "native"}),
        Platform::Shopify { base_url } => json!({"kind": "shopify", "access_token": DOUBLE_TOKEN,
            "api_version": "2026-10", "base_url": base_url}),
    };
    let shop_body = json!({"currency": "USD", "earn_points_per_unit": "0", "platform": platform});
    for (path, body) in [("/api/v1/admin/programs/online", program), ("/api/v1/admin/shop", shop_body)] {
        http.put(format!("{base}{path}")).bearer_auth(&admin).json(&body).send().await?.error_for_status()?;
    }
    let grants = (0..customers).map(|c| {
        let request = http
            .post(format!("{base}/api/v1/admin/customers/{}/adjustments", customer_id(c)))
            .bearer_auth(&admin)
            .header("Idempotency-Key", format!("grant-{c}"))
            .json(&json!({"points": points, "reason": "example grant"}));
        async move { request.send().await.and_then(|r| r.error_for_status()).map(|_| ()) }
    });
    let granted: Vec<_> = futures_util::stream::iter(grants).buffer_unordered(16).collect().await;
    granted.into_iter().collect::<Result<Vec<()>, _>>()?;
    Ok(())
}
