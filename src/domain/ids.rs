//! Identifiers that arrive from outside: shop domains, customer ids, claim ids.

/// A shop, identified by its platform domain (`example.myshopify.com`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShopDomain(String);

impl ShopDomain {
    /// Accepts `example.myshopify.com` or the JWT `dest` form `https://example.myshopify.com`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let host = raw.strip_prefix("https://").unwrap_or(raw).trim_end_matches('/');
        let host = host.to_ascii_lowercase();
        let valid = !host.is_empty()
            && host.len() <= 255
            && host.contains('.')
            && host.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && !host.starts_with(['.', '-'])
            && !host.ends_with(['.', '-']);
        if valid {
            Ok(Self(host))
        } else {
            Err(format!("{raw:?} is not a shop domain"))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

/// A customer id: the platform's numeric id as a string, or any short
/// URL-safe id for stores without a platform.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomerId(String);

impl CustomerId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = !raw.is_empty()
            && raw.len() <= 64
            && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(raw.to_string()))
        } else {
            Err(format!("{raw:?} is not a customer id (1-64 of A-Z a-z 0-9 - _)"))
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// Ids the service mints (claims, ledger entries, outbox rows): UUIDv7 text,
/// so that sorting by id is sorting by creation time.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Checks a path id is one of ours before it reaches the database.
pub(crate) fn parse_uuid(raw: &str) -> Result<String, String> {
    uuid::Uuid::parse_str(raw).map(|id| id.hyphenated().to_string()).map_err(|_| format!("{raw:?} is not an id"))
}
