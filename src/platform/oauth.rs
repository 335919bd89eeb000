//! Shopify's OAuth endpoint, `POST {base}/admin/oauth/access_token`: the
//! authorization code grant (install) and the token exchange grant
//! (embedded apps, Shopify-managed install). Both give an offline token.

use serde::Deserialize;
use serde_json::json;

/// The scopes the app asks for, in one place (also in shopify.app.toml):
/// discounts for the codes, customers and orders for points, the app proxy
/// for the storefront widget's session, store credit for points paid out
/// as store credit.
pub(crate) const SCOPES: &[&str] =
    &["write_discounts", "read_customers", "read_orders", "write_app_proxy", "write_store_credit_account_transactions"];

pub fn scope() -> String {
    SCOPES.join(",")
}

/// The app's scopes a grant (Shopify's comma-separated `scope`) lacks. A
/// `write_` scope includes its `read_` scope, as Shopify grants them.
pub(crate) fn missing(granted: &str) -> Vec<&'static str> {
    let granted: Vec<&str> = granted.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let has = |needed: &str| {
        granted.contains(&needed)
            || needed.strip_prefix("read_").is_some_and(|rest| granted.contains(&format!("write_{rest}").as_str()))
    };
    SCOPES.iter().copied().filter(|needed| !has(needed)).collect()
}

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE_TOKEN: &str = "urn:shopify:params:oauth:token-type:offline-access-token";

#[derive(Deserialize)]
pub(crate) struct Grant {
    pub(crate) access_token: String,
    #[serde(default)]
    pub(crate) scope: Option<String>,
}

impl std::fmt::Debug for Grant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Grant(scope {:?})", self.scope)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OAuthError {
    /// Refused (bad or used code, invalid session token): `error` of the answer.
    #[error("refused by the platform: {0}")]
    Refused(String),
    /// Network failure, timeout or 5xx.
    #[error("the platform could not be reached: {0}")]
    Unreachable(String),
}

/// Who the app is at Shopify.
pub(crate) struct AppCredentials<'a> {
    pub(crate) client_id: &'a str,
    pub(crate) client_secret: &'a str,
}

/// Authorization code grant: the callback's `code` for an offline token.
pub(crate) async fn exchange_code(
    http: &reqwest::Client,
    base: &str,
    app: &AppCredentials<'_>,
    code: &str,
) -> Result<Grant, OAuthError> {
    let body = json!({"client_id": app.client_id, "client_secret": app.client_secret, "code": code});
    post(http, base, &body).await
}

/// Token exchange grant: an admin session token for an offline token.
pub(crate) async fn exchange_session_token(
    http: &reqwest::Client,
    base: &str,
    app: &AppCredentials<'_>,
    session_token: &str,
) -> Result<Grant, OAuthError> {
    let body = json!({
        "client_id": app.client_id,
        "client_secret": app.client_secret,
        "grant_type": TOKEN_EXCHANGE,
        "subject_token": session_token,
        "subject_token_type": ID_TOKEN,
        "requested_token_type": OFFLINE_TOKEN,
    });
    post(http, base, &body).await
}

async fn post(http: &reqwest::Client, base: &str, body: &serde_json::Value) -> Result<Grant, OAuthError> {
    let url = format!("{}/admin/oauth/access_token", base.trim_end_matches('/'));
    let response =
        http.post(&url).header("Accept", "application/json").json(body).send().await.map_err(|e| {
            OAuthError::Unreachable(if e.is_timeout() { "timeout".into() } else { "connect or io".into() })
        })?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    if status.is_server_error() {
        return Err(OAuthError::Unreachable(format!("HTTP {status}")));
    }
    if !status.is_success() {
        let reason = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
            .unwrap_or_else(|| format!("HTTP {status}"));
        return Err(OAuthError::Refused(reason));
    }
    let grant: Grant =
        serde_json::from_str(&text).map_err(|_| OAuthError::Refused("answer without access_token".into()))?;
    if grant.access_token.is_empty() {
        return Err(OAuthError::Refused("empty access_token".into()));
    }
    Ok(grant)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_scope_covers_its_read_scope_and_nothing_else() {
        let all = scope();
        assert!(missing(&all).is_empty());
        let old = "write_discounts,read_customers,read_orders";
        assert_eq!(missing(old), vec!["write_app_proxy", "write_store_credit_account_transactions"]);
        let wider = format!("{all},write_orders").replace("read_orders,", "");
        assert!(missing(&wider).is_empty(), "write_orders includes read_orders");
        assert_eq!(missing(" read_discounts , read_customers"), {
            let mut want = SCOPES.to_vec();
            want.retain(|s| *s != "read_customers");
            want
        });
        assert_eq!(missing("").len(), SCOPES.len());
    }
}
