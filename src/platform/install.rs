//! Connecting a shop: after the code grant (install callback) or a token
//! exchange (embedded admin), the offline token is sealed and stored, the
//! shop becomes a connected Shopify shop and the webhooks are subscribed.
//!
//! Token exchange runs at most once per shop at a time: a per-shop async
//! lock, and inside it a second look at the store, so two first requests
//! make one exchange (in one process; a second instance would make a second,
//! harmless exchange that stores an equivalent token).

use super::error::{Error, Result};
use super::oauth::{self, AppCredentials, OAuthError};
use super::subscriptions::{self, Subscribed};
use super::Platform;
use crate::config::{InstallSettings, Settings};
use crate::store::{self, shop_grants, shops};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) struct Installer {
    pub(crate) client_id: String,
    pub(crate) install: InstallSettings,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// When each connected shop was last exchanged again for its grant.
    regranted: Mutex<HashMap<String, std::time::Instant>>,
}

/// What a token exchange attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    /// The shop had a token (and a recorded grant) already: nothing sent.
    AlreadyConnected,
    Connected,
    /// Shopify refused the session token (the app is not installed on that
    /// shop, or the token is not one Shopify issued): the caller is not let in.
    Refused(String),
    /// Shopify or the database could not be reached: try again later.
    Unavailable(String),
}

/// A connected shop whose grant is unknown or short of the app's scopes is
/// exchanged again (Shopify answers the scopes granted now) at most this often.
const REGRANT_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

impl Installer {
    pub(crate) fn new(settings: &Settings) -> Self {
        Self {
            client_id: settings.client_id.clone(),
            install: settings.install.clone(),
            locks: Mutex::default(),
            regranted: Mutex::default(),
        }
    }

    pub(crate) fn app(&self) -> AppCredentials<'_> {
        AppCredentials { client_id: &self.client_id, client_secret: self.install.client_secret.expose() }
    }

    /// Where OAuth calls for this shop go: its own base URL, else the setting.
    pub(crate) async fn base_for(&self, platform: &Platform, shop: &str) -> Result<String> {
        let id = shop.to_string();
        let row = platform.store.read(move |conn| shops::find(conn, &id).map_err(store::Error::from)).await?;
        Ok(row.and_then(|r| r.platform_base_url).unwrap_or_else(|| platform.settings.shopify_base(shop)))
    }

    /// Stores the token (sealed) and the granted scope, connects the shop,
    /// subscribes the webhooks.
    pub(crate) async fn connect(&self, platform: &Platform, shop: &str, grant: &oauth::Grant) -> Result<Subscribed> {
        let (id, keys, token) = (shop.to_string(), platform.settings.tokens.clone(), grant.access_token.clone());
        let scope = grant.scope.clone();
        let row = platform
            .store
            .write(move |conn| {
                let row = shops::connect(conn, &id, &keys, &token)?;
                shop_grants::record(conn, &id, scope.as_deref(), crate::clock::now())?;
                Ok::<_, store::Error>(row)
            })
            .await?;
        let creds = super::shopify::ShopCreds::of(&row, &platform.settings)
            .ok_or_else(|| Error::internal("a shop just connected has no usable credentials"))?;
        Ok(subscriptions::subscribe_all(&platform.client, &creds, &self.install.app_url).await)
    }

    fn lock_for(&self, shop: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(shop.to_string()).or_default().clone()
    }

    /// Embedded admin: exchanges the session token once for a shop without
    /// a stored token. Failures are logged and reported, never raised.
    pub(crate) async fn ensure_exchanged(&self, platform: &Platform, shop: &str, session_token: &str) -> Exchange {
        match self.exchange_locked(platform, shop, session_token).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(%shop, %error, "token exchange failed");
                Exchange::Unavailable(error.to_string())
            }
        }
    }

    async fn exchange_locked(&self, platform: &Platform, shop: &str, session_token: &str) -> Result<Exchange> {
        if self.needed(platform, shop).await? == Needed::Nothing {
            return Ok(Exchange::AlreadyConnected);
        }
        let lock = self.lock_for(shop);
        let _held = lock.lock().await;
        let needed = self.needed(platform, shop).await?;
        if needed == Needed::Nothing {
            return Ok(Exchange::AlreadyConnected);
        }
        self.mark_regranted(shop);
        let base = self.base_for(platform, shop).await?;
        let grant = oauth::exchange_session_token(platform.client.http(), &base, &self.app(), session_token).await;
        match (grant, needed) {
            (Ok(grant), Needed::Connect) => {
                self.connect(platform, shop, &grant).await?;
                tracing::info!(%shop, scope = ?grant.scope, "token exchange: shop connected");
                Ok(Exchange::Connected)
            }
            (Ok(grant), _) => {
                self.record_grant(platform, shop, &grant).await?;
                tracing::info!(%shop, scope = ?grant.scope, "token exchange: grant renewed");
                Ok(Exchange::AlreadyConnected)
            }
            // A connected shop keeps working when asking again fails.
            (Err(error), Needed::Regrant) => {
                tracing::warn!(%shop, %error, "token exchange for the current grant failed");
                Ok(Exchange::AlreadyConnected)
            }
            (Err(OAuthError::Refused(reason)), _) => {
                tracing::warn!(%shop, %reason, "token exchange refused");
                Ok(Exchange::Refused(reason))
            }
            (Err(OAuthError::Unreachable(reason)), _) => {
                tracing::warn!(%shop, %reason, "token exchange failed");
                Ok(Exchange::Unavailable(reason))
            }
        }
    }

    /// A renewed grant: the new token (sealed) and its scope; the shop's
    /// connection and webhooks stay as they are.
    async fn record_grant(&self, platform: &Platform, shop: &str, grant: &oauth::Grant) -> Result<()> {
        let (id, keys, token) = (shop.to_string(), platform.settings.tokens.clone(), grant.access_token.clone());
        let scope = grant.scope.clone();
        platform
            .store
            .write(move |conn| {
                shops::connect(conn, &id, &keys, &token)?;
                shop_grants::record(conn, &id, scope.as_deref(), crate::clock::now())?;
                Ok::<_, store::Error>(())
            })
            .await?;
        Ok(())
    }

    /// Not connected: connect. Connected with a grant not recorded or short
    /// of the app's scopes, not asked within `REGRANT_INTERVAL`: ask again
    /// (the merchant may have approved new scopes at Shopify since).
    async fn needed(&self, platform: &Platform, shop: &str) -> Result<Needed> {
        let id = shop.to_string();
        let (row, grant) = platform
            .store
            .read(move |conn| {
                let row = shops::find(conn, &id).map_err(store::Error::from)?;
                Ok::<_, store::Error>((row, shop_grants::find(conn, &id)?))
            })
            .await?;
        if !row.is_some_and(|r| r.is_connected()) {
            return Ok(Needed::Connect);
        }
        let short = grant.is_none_or(|scope| !oauth::missing(&scope).is_empty());
        let recent = self.regranted.lock().unwrap_or_else(|p| p.into_inner()).get(shop).copied();
        let due = recent.is_none_or(|at| at.elapsed() >= REGRANT_INTERVAL);
        Ok(if short && due { Needed::Regrant } else { Needed::Nothing })
    }

    fn mark_regranted(&self, shop: &str) {
        self.regranted.lock().unwrap_or_else(|p| p.into_inner()).insert(shop.to_string(), std::time::Instant::now());
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needed {
    Nothing,
    Connect,
    Regrant,
}
