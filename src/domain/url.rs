//! Outgoing URLs a merchant may configure (a platform `base_url`, the
//! `notify.url`): `https://` only; plain `http://` only to a loopback
//! address, and only when the operator allows it (tests, development).

use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OutgoingUrl(String);

impl OutgoingUrl {
    /// Parses a URL a merchant wants the service to call.
    pub(crate) fn parse(raw: &str, allow_loopback_http: bool) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.len() > 2048 {
            return Err("at most 2048 characters".into());
        }
        let url = url::Url::parse(raw).map_err(|_| "not an absolute URL".to_string())?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry credentials".into());
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or("needs a host")?;
        match url.scheme() {
            "https" => Ok(Self(url.to_string())),
            "http" if allow_loopback_http && is_loopback(host) => Ok(Self(url.to_string())),
            "http" if is_loopback(host) => {
                Err("http:// to loopback needs LOYALTY_ALLOW_LOOPBACK_URLS=1; use https://".into())
            }
            _ => Err("must be an https:// URL".into()),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::OutgoingUrl;

    #[test]
    fn https_is_accepted_and_plain_http_only_to_loopback_when_allowed() {
        assert!(OutgoingUrl::parse("https://hooks.example.com/x", false).is_ok());
        assert!(OutgoingUrl::parse("http://hooks.example.com/x", true).is_err());
        assert!(OutgoingUrl::parse("http://127.0.0.1:9/x", false).is_err());
        assert!(OutgoingUrl::parse("http://127.0.0.1:9/x", true).is_ok());
        assert!(OutgoingUrl::parse("http://[::1]:9/x", true).is_ok());
        assert!(OutgoingUrl::parse("http://localhost:9/x", true).is_ok());
        assert!(OutgoingUrl::parse("ftp://example.com", true).is_err());
        assert!(OutgoingUrl::parse("https://user:pw@example.com", true).is_err());
        assert!(OutgoingUrl::parse("not a url", true).is_err());
    }
}
