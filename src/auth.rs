//! Bearer tokens, two kinds. The service's own (role claim; HS256 under the
//! app secret): minted by the CLI, development links, the app proxy and
//! tests. Shopify's admin session tokens (no role; HS256 under the client
//! secret, `iss` https://{shop}/admin, `dest` https://{shop}): App Bridge's
//! `shopify.idToken()` in the embedded admin, admins of that shop.

use crate::config::Settings;
use crate::domain::ids::ShopDomain;
use base64::Engine;
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Customer,
    Admin,
    Pos,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "customer" => Ok(Role::Customer),
            "admin" => Ok(Role::Admin),
            "pos" => Ok(Role::Pos),
            other => Err(format!("unknown role {other:?}: customer, admin or pos")),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TokenClaims {
    pub(crate) dest: String,
    pub(crate) sub: String,
    /// Required, except on the platform's own admin session tokens (which
    /// carry `sid` and no role) when embedded mode is on: those are admins.
    #[serde(default)]
    pub(crate) role: Option<Role>,
    pub(crate) aud: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) iss: Option<String>,
    pub(crate) exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) iat: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) location_id: Option<String>,
    /// The platform's session id (admin session tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sid: Option<String>,
}

/// Who is calling: verified shop, role and subject.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) shop: ShopDomain,
    pub(crate) role: Role,
    pub(crate) subject: String,
    pub(crate) location_id: Option<String>,
    pub(crate) sid: Option<String>,
}

pub(crate) struct Verifier {
    /// The service's own tokens: the app secret.
    own: DecodingKey,
    validation: Validation,
    /// Shopify's session tokens: the client secret (`LOYALTY_CLIENT_SECRET`).
    shopify: DecodingKey,
    shopify_validation: Validation,
    /// `LOYALTY_SHOPIFY_EMBEDDED=1`: Shopify's session tokens are admins.
    embedded: bool,
}

const LEEWAY_SECONDS: u64 = 5;

fn hs256(audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.algorithms = vec![Algorithm::HS256];
    validation.leeway = LEEWAY_SECONDS;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_required_spec_claims(&["exp", "aud"]);
    validation.set_audience(&[audience]);
    validation
}

/// The claims that decide which kind a token is, read before any check.
#[derive(Deserialize)]
struct Peek {
    #[serde(default)]
    role: Option<serde_json::Value>,
    #[serde(default)]
    iss: Option<String>,
}

fn peek(token: &str) -> Option<Peek> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Shaped like Shopify's admin session token (no role, `iss` …/admin),
/// whether or not it verifies: a 401 to it tells App Bridge to retry once
/// with a fresh token.
pub(crate) fn looks_like_session_token(token: &str) -> bool {
    peek(token).is_some_and(|p| p.role.is_none() && p.iss.is_some_and(|iss| iss.ends_with("/admin")))
}

impl Verifier {
    pub(crate) fn new(settings: &Settings) -> Self {
        let mut validation = hs256(&settings.client_id);
        if let Some(issuer) = &settings.issuer {
            validation.set_issuer(&[issuer.as_str()]);
            validation.required_spec_claims.insert("iss".into());
        }
        let mut shopify_validation = hs256(&settings.client_id);
        shopify_validation.required_spec_claims.insert("iss".into());
        Self {
            own: DecodingKey::from_secret(settings.app_secret.expose().as_bytes()),
            validation,
            shopify: DecodingKey::from_secret(settings.install.client_secret.expose().as_bytes()),
            shopify_validation,
            embedded: settings.install.embedded,
        }
    }

    /// Checks signature, algorithm, audience, expiry, not-before and issuer
    /// under the key of the token's kind (a role claim: ours; none: Shopify's).
    pub(crate) fn verify(&self, token: &str) -> Result<Principal, String> {
        let own = peek(token).ok_or("not a JWT")?.role.is_some();
        let claims = if own {
            decode::<TokenClaims>(token, &self.own, &self.validation)
        } else {
            decode::<TokenClaims>(token, &self.shopify, &self.shopify_validation)
        }
        .map_err(|e| e.to_string())?
        .claims;
        let shop = ShopDomain::parse(&claims.dest)?;
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err("sub must be 1-128 characters".into());
        }
        let sid = claims.sid.filter(|sid| !sid.is_empty());
        let role = match claims.role {
            Some(role) => role,
            None => self.session_token_role(&claims.iss, &shop)?,
        };
        Ok(Principal { shop, role, subject: claims.sub, location_id: claims.location_id, sid })
    }

    /// A Shopify session token is an admin of the shop it was issued by: its
    /// `iss` must be that shop's admin (a token whose issuer and destination
    /// name different shops is refused).
    fn session_token_role(&self, iss: &Option<String>, shop: &ShopDomain) -> Result<Role, String> {
        if !self.embedded {
            return Err("a Shopify session token needs embedded mode (LOYALTY_SHOPIFY_EMBEDDED=1)".into());
        }
        let expected = format!("https://{}/admin", shop.as_str());
        match iss {
            Some(iss) if iss.eq_ignore_ascii_case(&expected) => Ok(Role::Admin),
            _ => Err(format!("the session token's iss must be {expected}")),
        }
    }
}

pub struct MintRequest<'a> {
    pub shop: &'a ShopDomain,
    pub role: Role,
    pub subject: &'a str,
    pub location_id: Option<&'a str>,
    pub ttl_seconds: i64,
}

pub fn mint(settings: &Settings, request: &MintRequest) -> anyhow::Result<String> {
    let now = chrono::Utc::now().timestamp();
    let claims = TokenClaims {
        dest: format!("https://{}", request.shop.as_str()),
        sub: request.subject.to_string(),
        role: Some(request.role),
        aud: settings.client_id.clone(),
        iss: settings.issuer.clone(),
        exp: now + request.ttl_seconds,
        nbf: Some(now - 1),
        iat: Some(now),
        location_id: request.location_id.map(str::to_string),
        sid: None,
    };
    let key = EncodingKey::from_secret(settings.app_secret.expose().as_bytes());
    Ok(encode(&Header::new(Algorithm::HS256), &claims, &key)?)
}
