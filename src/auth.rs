//! Session tokens: HS256 JWTs signed with the app secret, the platform's
//! scheme. Minting (CLI, development links, tests) and verification.

use crate::config::Settings;
use crate::domain::ids::ShopDomain;
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
    key: DecodingKey,
    validation: Validation,
    /// `LOYALTY_SHOPIFY_EMBEDDED=1`: a role-less token with a `sid` is an admin.
    embedded: bool,
}

const LEEWAY_SECONDS: u64 = 5;

impl Verifier {
    pub(crate) fn new(settings: &Settings) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "aud"]);
        validation.set_audience(&[settings.client_id.as_str()]);
        if let Some(issuer) = &settings.issuer {
            validation.set_issuer(&[issuer.as_str()]);
            validation.required_spec_claims.insert("iss".into());
        }
        let key = DecodingKey::from_secret(settings.app_secret.expose().as_bytes());
        Self { key, validation, embedded: settings.install.embedded }
    }

    /// Checks signature, algorithm, audience, expiry, not-before and issuer.
    pub(crate) fn verify(&self, token: &str) -> Result<Principal, String> {
        let data = decode::<TokenClaims>(token, &self.key, &self.validation).map_err(|e| e.to_string())?;
        let claims = data.claims;
        let shop = ShopDomain::parse(&claims.dest)?;
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err("sub must be 1-128 characters".into());
        }
        let sid = claims.sid.filter(|sid| !sid.is_empty());
        let role = match (claims.role, &sid) {
            (Some(role), _) => role,
            (None, Some(_)) if self.embedded => Role::Admin,
            (None, _) => return Err("missing field `role`".into()),
        };
        Ok(Principal { shop, role, subject: claims.sub, location_id: claims.location_id, sid })
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
