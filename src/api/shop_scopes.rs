//! Which of the app's Shopify scopes a connected shop granted, and a link
//! that asks the merchant for the rest (the install path, signed here the
//! way Shopify signs it, so it goes on to Shopify's consent screen).

use crate::config::{Secret, Settings};
use crate::domain::signature;
use crate::error::AppResult;
use crate::platform::oauth;
use crate::store::shop_grants;
use crate::store::shops::ShopRow;
use crate::store::AnyConnection;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ScopesView {
    /// The scopes the app asks for now.
    #[schema(example = json!(["write_discounts", "read_customers", "read_orders", "write_app_proxy"]))]
    pub(crate) required: Vec<String>,
    /// As Shopify granted them; null when not known (connected before
    /// grants were recorded, or with a pasted access token).
    pub(crate) granted: Option<Vec<String>>,
    /// Required scopes the grant lacks (a `write_` scope covers its
    /// `read_`); null when the grant is not known.
    pub(crate) missing: Option<Vec<String>>,
    /// Opens Shopify's consent screen for the app's scopes (open it in the
    /// top window); null when nothing is missing.
    pub(crate) reauthorize_url: Option<String>,
}

/// What the re-authorize link needs: where the install path is, and the
/// client secret that signs its query.
#[derive(Clone)]
pub(crate) struct Reauthorize {
    app_url: String,
    secret: Secret,
}

impl Reauthorize {
    pub(crate) fn of(settings: &Settings) -> Self {
        Self { app_url: settings.install.app_url.clone(), secret: settings.install.client_secret.clone() }
    }

    /// `{app_url}/shopify/install?shop=…&timestamp=…&hmac=…`: valid for the
    /// install path's 24 hours; all it can do is start the OAuth grant.
    fn url(&self, shop: &str) -> String {
        let now = chrono::Utc::now().timestamp().to_string();
        let pairs = vec![("shop".to_string(), shop.to_string()), ("timestamp".to_string(), now)];
        let hmac = signature::sign(self.secret.expose().as_bytes(), &signature::oauth_message(&pairs));
        let query: String =
            form_urlencoded::Serializer::new(String::new()).extend_pairs(&pairs).append_pair("hmac", &hmac).finish();
        format!("{}/shopify/install?{query}", self.app_url)
    }
}

/// The scopes of a shop connected to Shopify; None for any other shop.
pub(crate) fn view(conn: &mut AnyConnection, row: &ShopRow, link: &Reauthorize) -> AppResult<Option<ScopesView>> {
    if !row.is_connected() {
        return Ok(None);
    }
    let granted = shop_grants::find(conn, &row.id)?;
    let missing = granted.as_deref().map(oauth::missing);
    let complete = missing.as_ref().is_some_and(Vec::is_empty);
    let list = |scope: &str| scope.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
    Ok(Some(ScopesView {
        required: oauth::SCOPES.iter().map(|s| s.to_string()).collect(),
        granted: granted.as_deref().map(list),
        missing: missing.map(|m| m.into_iter().map(String::from).collect()),
        reauthorize_url: (!complete).then(|| link.url(&row.id)),
    }))
}
