//! The merchant's shop settings and analytics.

use super::auth::AdminAuth;
use super::extract::JsonBody;
use super::shop_scopes::Reauthorize;
use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::domain::lots::{ExpiryInput, ExpiryKind, PolicyInput};
use crate::domain::money::Currency;
use crate::domain::program::DecimalInput;
use crate::domain::url::OutgoingUrl;
use crate::error::{AppError, AppResult, ErrorEnvelope};
use crate::store::notify as notify_store;
use crate::store::shops::{self, PlatformKind, ShopRow};
use crate::store::{lots, shop_grants};
use crate::store::{AnyConnection, Store};
use actix_web::web;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PlatformView {
    /// native or shopify
    pub(crate) kind: String,
    pub(crate) api_version: Option<String>,
    pub(crate) base_url: Option<String>,
    /// The access token is write-only; this says whether one is stored.
    pub(crate) access_token_set: bool,
    pub(crate) enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ShopView {
    pub(crate) shop: String,
    pub(crate) currency: String,
    #[schema(example = "1")]
    pub(crate) earn_points_per_unit: String,
    /// Numbers and money in the widget follow this BCP 47 tag, e.g. "de-DE".
    #[schema(example = "en-US")]
    pub(crate) locale: String,
    pub(crate) platform: PlatformView,
    /// Outgoing webhooks to the merchant's systems; null when not set.
    pub(crate) notify: Option<super::notify::NotifyView>,
    pub(crate) points_expiry: ExpiryView,
    /// Days points earned on an order stay pending (0 = available at once).
    pub(crate) pending_days: i64,
    /// Days before a lot expires that `points.expiring` is sent (0 = never).
    pub(crate) expiry_warning_days: i64,
    /// IANA time zone of the shop's days (campaign daily limits, birthdays).
    pub(crate) timezone: String,
    pub(crate) offers: super::shop_offers::OffersView,
    /// Shopify access scopes of a connected shop (null for other shops).
    pub(crate) scopes: Option<super::shop_scopes::ScopesView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ExpiryView {
    pub(crate) kind: ExpiryKind,
    pub(crate) days: Option<i64>,
}

impl From<&ShopRow> for ShopView {
    fn from(row: &ShopRow) -> Self {
        Self {
            shop: row.id.clone(),
            currency: row.currency.clone(),
            earn_points_per_unit: row.earn_points_per_unit.clone(),
            locale: row.locale.clone(),
            platform: PlatformView {
                kind: row.platform_kind.as_str().to_string(),
                api_version: row.platform_api_version.clone(),
                base_url: row.platform_base_url.clone(),
                access_token_set: row.platform_access_token.is_some(),
                enabled: row.platform_enabled,
            },
            notify: None,
            points_expiry: ExpiryView { kind: ExpiryKind::None, days: None },
            pending_days: 0,
            expiry_warning_days: 0,
            timezone: "UTC".into(),
            offers: super::shop_offers::OffersView { min_hours_between_offers: None, blocked_customers: vec![] },
            scopes: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlatformInput {
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) access_token: Option<String>,
    #[serde(default)]
    pub(crate) api_version: Option<String>,
    #[serde(default)]
    pub(crate) base_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShopInput {
    /// Left out: unchanged (as every section below).
    #[serde(default)]
    pub(crate) currency: Option<String>,
    /// Points earned per unit of currency paid ("1" = 1 point per dollar).
    #[serde(default)]
    pub(crate) earn_points_per_unit: Option<DecimalInput>,
    /// BCP 47 language[-REGION], e.g. "de-DE"; kept when omitted.
    #[serde(default)]
    pub(crate) locale: Option<String>,
    #[serde(default)]
    pub(crate) platform: Option<PlatformInput>,
    /// `{url, secret}`; null removes it; left out keeps it.
    #[serde(default, deserialize_with = "super::notify::absent_or_null")]
    #[schema(value_type = Option<super::notify::NotifyInput>)]
    pub(crate) notify: Option<Option<super::notify::NotifyInput>>,
    /// When points expire: never, `days` after each credit, or `days` after
    /// the last earn, claim or positive adjustment (the whole balance).
    #[serde(default)]
    pub(crate) points_expiry: Option<ExpiryInput>,
    /// 0-365: points earned on an order become available this many days later.
    #[serde(default)]
    pub(crate) pending_days: Option<i64>,
    /// 0-365 and below `points_expiry.days`: warn this many days before expiry.
    #[serde(default)]
    pub(crate) expiry_warning_days: Option<i64>,
    #[serde(default)]
    pub(crate) timezone: Option<String>,
    /// `{min_hours_between_offers, blocked_customers: [ids]}`
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub(crate) offers: Option<serde_json::Value>,
}

/// `ll`, `lll`, `ll-RR` or `ll-123`, normalised to `ll-RR` case.
fn parse_locale(raw: &str) -> Result<String, String> {
    let raw = raw.trim();
    let (lang, region) = raw.split_once(['-', '_']).map_or((raw, None), |(l, r)| (l, Some(r)));
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic());
    let region_ok = region.is_none_or(|r| {
        (r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
            || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
    });
    if !lang_ok || !region_ok {
        return Err("a language tag such as en-US, de-DE or fr".into());
    }
    let lang = lang.to_ascii_lowercase();
    Ok(region.map_or(lang.clone(), |r| format!("{lang}-{}", r.to_ascii_uppercase())))
}

#[utoipa::path(get, path = "/api/v1/admin/shop", summary = "The shop's settings", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ShopView), (status = 403, body = ErrorEnvelope)))]
pub(crate) async fn get_shop(
    auth: AdminAuth,
    store: web::Data<Store>,
    settings: web::Data<Settings>,
) -> AppResult<web::Json<ShopView>> {
    let shop = auth.shop.as_str().to_string();
    let link = Reauthorize::of(&settings);
    let view = store
        .write(move |conn| {
            let row = shops::ensure(conn, &shop)?;
            shop_view(conn, row, &link)
        })
        .await?;
    Ok(web::Json(view))
}

fn shop_view(conn: &mut AnyConnection, row: ShopRow, link: &Reauthorize) -> AppResult<ShopView> {
    let notify = notify_store::target(conn, &row.id)?.map(Into::into);
    let scopes = super::shop_scopes::view(conn, &row, link)?;
    let policy = lots::policy(conn, &row.id)?;
    let (timezone, offers) = super::shop_offers::read(conn, &row.id)?;
    Ok(ShopView {
        notify,
        scopes,
        timezone,
        offers,
        points_expiry: ExpiryView { kind: policy.expiry, days: policy.days },
        pending_days: policy.pending_days,
        expiry_warning_days: policy.warning_days,
        ..ShopView::from(&row)
    })
}

/// The points policy fields of the request (each left out keeps its value);
/// saved only when every field of the request is valid.
fn apply_policy(
    conn: &mut AnyConnection,
    shop: &str,
    change: PolicyInput,
    fields: &mut BTreeMap<String, String>,
) -> AppResult<()> {
    if change.expiry.is_none() && change.pending_days.is_none() && change.warning_days.is_none() {
        return Ok(());
    }
    match lots::policy(conn, shop)?.changed_by(change) {
        Ok(policy) if fields.is_empty() => lots::save_policy(conn, shop, &policy)?,
        Ok(_) => {}
        Err(more) => fields.extend(more),
    }
    Ok(())
}

/// The shop fields of the request written into `row`; problems go to
/// `fields`.
fn update_shop_row(
    row: &mut ShopRow,
    input: ShopInput,
    keys: &KeyRing,
    allow_loopback: bool,
    fields: &mut BTreeMap<String, String>,
) {
    if let Some(currency) = &input.currency {
        match Currency::parse(currency.trim()) {
            Ok(currency) => row.currency = currency.code().into(),
            Err(e) => drop(fields.insert("currency".into(), e)),
        }
    }
    if let Some(rate) = &input.earn_points_per_unit {
        match rate.to_rate() {
            Ok(rate) => row.earn_points_per_unit = rate,
            Err(e) => drop(fields.insert("earn_points_per_unit".into(), e)),
        }
    }
    if let Some(locale) = input.locale {
        match parse_locale(&locale) {
            Ok(locale) => row.locale = locale,
            Err(e) => drop(fields.insert("locale".into(), e)),
        }
    }
    if let Some(platform) = input.platform {
        apply_platform(row, platform, keys, allow_loopback, fields);
    }
}

/// Connector settings: the kind, and for Shopify a token (write-only; kept
/// when omitted), an API version `YYYY-MM` and an optional base URL.
/// `base_url` must be an outgoing URL (`https://`, loopback `http://` only
/// when `allow_loopback`).
fn apply_platform(
    row: &mut ShopRow,
    platform: PlatformInput,
    keys: &KeyRing,
    allow_loopback: bool,
    fields: &mut BTreeMap<String, String>,
) {
    let kind = PlatformKind::from_stored(&platform.kind);
    match kind {
        // Back to native: the platform's token is erased, not kept unused.
        Some(PlatformKind::Native) => {
            row.platform_access_token = None;
        }
        Some(PlatformKind::Shopify) => {
            let token = platform.access_token.as_deref().map(str::trim).filter(|t| !t.is_empty());
            if token.is_none() && row.platform_access_token.is_none() {
                fields.insert("platform.access_token".into(), "required for shopify".into());
            }
            if let Some(Err(e)) = token.map(|token| row.set_access_token(keys, token)) {
                fields.insert("platform.access_token".into(), AppError::from(e).message);
            }
            row.platform_enabled = true;
        }
        None => drop(fields.insert("platform.kind".into(), "native or shopify".into())),
    }
    if let Some(version) = &platform.api_version {
        let valid = version.len() == 7
            && version.as_bytes()[4] == b'-'
            && version.bytes().filter(u8::is_ascii_digit).count() == 6;
        if !valid {
            fields.insert("platform.api_version".into(), "YYYY-MM, e.g. 2026-10".into());
        }
    }
    let base_url = match platform.base_url.as_deref().map(|url| OutgoingUrl::parse(url, allow_loopback)) {
        None => None,
        Some(Ok(url)) => Some(url.as_str().trim_end_matches('/').to_string()),
        Some(Err(rule)) => {
            fields
                .insert("platform.base_url".into(), format!("{rule} (https://, or http:// to loopback when allowed)"));
            None
        }
    };
    if let Some(kind) = kind {
        row.platform_kind = kind;
    }
    row.platform_api_version = platform.api_version;
    row.platform_base_url = base_url;
}

#[utoipa::path(put, path = "/api/v1/admin/shop", summary = "Change the shop's settings", tag = "admin", security(("bearer" = [])), request_body = ShopInput,
    responses((status = 200, body = ShopView), (status = 400, body = ErrorEnvelope), (status = 422, body = ErrorEnvelope)))]
pub(crate) async fn put_shop(
    auth: AdminAuth,
    body: JsonBody<ShopInput>,
    store: web::Data<Store>,
    settings: web::Data<Settings>,
) -> AppResult<web::Json<ShopView>> {
    let shop = auth.shop.as_str().to_string();
    let mut input = body.value;
    let allow_loopback = settings.allow_loopback_urls;
    let keys = settings.platform.tokens.clone();
    let link = Reauthorize::of(&settings);
    let view = store
        .write(move |conn| {
            let (mut row, mut fields, now) = (shops::ensure(conn, &shop)?, BTreeMap::new(), crate::clock::now());
            let token_before = row.platform_access_token.clone();
            let notify = input.notify.take();
            let policy = PolicyInput {
                expiry: input.points_expiry.take(),
                pending_days: input.pending_days.take(),
                warning_days: input.expiry_warning_days.take(),
            };
            let offers =
                super::shop_offers::parse(conn, &shop, input.timezone.take(), input.offers.take(), &mut fields)?;
            update_shop_row(&mut row, input, &keys, allow_loopback, &mut fields);
            super::notify::update_target(conn, &shop, notify, allow_loopback, &mut fields, now)?;
            apply_policy(conn, &shop, policy, &mut fields)?;
            if !fields.is_empty() {
                return Err(AppError::invalid_fields("the shop settings are not valid", fields));
            }
            row.updated_at = now;
            shops::update(conn, &row)?;
            if row.platform_access_token != token_before {
                // A pasted token's scopes are not known.
                shop_grants::record(conn, &shop, None, now)?;
            }
            if let Some(offers) = offers {
                super::shop_offers::save(conn, &shop, &offers)?;
            }
            shop_view(conn, row, &link)
        })
        .await?;
    Ok(web::Json(view))
}
