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
use crate::store::{self, shops};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

pub(crate) struct Installer {
    pub(crate) client_id: String,
    pub(crate) install: InstallSettings,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// What a token exchange attempt came to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Exchange {
    /// The shop had a token already (nothing sent).
    AlreadyConnected,
    Connected,
    Failed(String),
}

impl Installer {
    pub(crate) fn new(settings: &Settings) -> Self {
        Self { client_id: settings.client_id.clone(), install: settings.install.clone(), locks: Mutex::default() }
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

    /// Stores the token (sealed), connects the shop, subscribes the webhooks.
    pub(crate) async fn connect(&self, platform: &Platform, shop: &str, token: &str) -> Result<Subscribed> {
        let (id, keys, token) = (shop.to_string(), platform.settings.tokens.clone(), token.to_string());
        let row = platform.store.write(move |conn| shops::connect(conn, &id, &keys, &token)).await?;
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
                Exchange::Failed(error.to_string())
            }
        }
    }

    async fn exchange_locked(&self, platform: &Platform, shop: &str, session_token: &str) -> Result<Exchange> {
        if self.is_connected(platform, shop).await? {
            return Ok(Exchange::AlreadyConnected);
        }
        let lock = self.lock_for(shop);
        let _held = lock.lock().await;
        if self.is_connected(platform, shop).await? {
            return Ok(Exchange::AlreadyConnected);
        }
        let base = self.base_for(platform, shop).await?;
        let grant = oauth::exchange_session_token(platform.client.http(), &base, &self.app(), session_token).await;
        match grant {
            Ok(grant) => {
                self.connect(platform, shop, &grant.access_token).await?;
                tracing::info!(%shop, scope = ?grant.scope, "token exchange: shop connected");
                Ok(Exchange::Connected)
            }
            Err(OAuthError::Refused(reason)) | Err(OAuthError::Unreachable(reason)) => {
                tracing::warn!(%shop, %reason, "token exchange refused or failed");
                Ok(Exchange::Failed(reason))
            }
        }
    }

    async fn is_connected(&self, platform: &Platform, shop: &str) -> Result<bool> {
        let id = shop.to_string();
        let row = platform.store.read(move |conn| shops::find(conn, &id).map_err(store::Error::from)).await?;
        Ok(row.is_some_and(|r| r.is_connected()))
    }
}
