//! Development mode (no app secret configured): a demo shop with a customer
//! who has points, and ready-to-open links with tokens.

use crate::auth::{mint, MintRequest, Role};
use crate::config::Settings;
use crate::domain::ids::ShopDomain;
use crate::domain::program::{Channel, ProgramSettings};
use crate::error::AppResult;
use crate::store::{customers, programs, shops, Store};
use chrono::Utc;

const DEMO_SHOP: &str = "demo-shop.myshopify.com";
const DEMO_CUSTOMER: &str = "1001";
const DEMO_POINTS: i64 = 5_000;
const LINK_TTL_SECONDS: i64 = 7 * 24 * 3600;

/// Seeds once: an enabled program on both channels and 5,000 points.
pub async fn seed(store: &Store) -> AppResult<()> {
    store
        .write(|conn| {
            shops::ensure(conn, DEMO_SHOP)?;
            let now = Utc::now().naive_utc();
            for channel in [Channel::Online, Channel::Pos] {
                let current = programs::current(conn, DEMO_SHOP, channel)?;
                if current.version == 1 {
                    let settings =
                        ProgramSettings { enabled: true, max_points: DEMO_POINTS, ..ProgramSettings::initial() };
                    programs::save_new_version(conn, DEMO_SHOP, channel, &settings, now)?;
                }
            }
            if customers::find(conn, DEMO_SHOP, DEMO_CUSTOMER)?.is_none() {
                customers::adjust(conn, DEMO_SHOP, DEMO_CUSTOMER, DEMO_POINTS, "demo points")?;
            }
            Ok(())
        })
        .await
}

/// The three demo screens with fresh tokens, as (label, relative link), for
/// the landing page in development mode.
pub(crate) fn screen_links(settings: &Settings) -> anyhow::Result<Vec<(&'static str, String)>> {
    let shop = ShopDomain::parse(DEMO_SHOP).map_err(anyhow::Error::msg)?;
    let token = |role, subject: &str| {
        let location_id = (role == Role::Pos).then_some("front-desk");
        mint(settings, &MintRequest { shop: &shop, role, subject, location_id, ttl_seconds: LINK_TTL_SECONDS })
    };
    Ok(vec![
        ("Shopper widget (storefront demo)", format!("/widget/?token={}", token(Role::Customer, DEMO_CUSTOMER)?)),
        ("Merchant admin", format!("/widget/admin.html?token={}", token(Role::Admin, "demo-admin")?)),
        ("POS screen", format!("/widget/pos.html?token={}", token(Role::Pos, "demo-clerk")?)),
    ])
}

/// The lines printed at start in development mode.
pub fn links(settings: &Settings, base: &str) -> anyhow::Result<String> {
    let shop = ShopDomain::parse(DEMO_SHOP).map_err(anyhow::Error::msg)?;
    let token = |role, subject: &str| {
        let location_id = (role == Role::Pos).then_some("front-desk");
        mint(settings, &MintRequest { shop: &shop, role, subject, location_id, ttl_seconds: LINK_TTL_SECONDS })
    };
    let customer = token(Role::Customer, DEMO_CUSTOMER)?;
    let admin = token(Role::Admin, "demo-admin")?;
    let pos = token(Role::Pos, "demo-clerk")?;
    Ok(format!(
        "\n  DEVELOPMENT MODE: no LOYALTY_APP_SECRET set; demo data, tokens signed with a public dev secret.\n\
         \n  Shopper widget:  {base}/widget/?token={customer}\
         \n  Merchant admin:  {base}/widget/admin.html?token={admin}\
         \n  POS screen:      {base}/widget/pos.html?token={pos}\
         \n  Admin API:       curl -H 'Authorization: Bearer {admin}' {base}/api/v1/admin/shop\
         \n  API document:    {base}/openapi.json\n"
    ))
}
