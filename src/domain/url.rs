//! Outgoing URLs (issue 14, point 4): where the service sends requests on a
//! merchant's say (a platform `base_url`, `notify.url`). They must be
//! `https://`; `http://` only to a loopback address and only when allowed
//! (`LOYALTY_ALLOW_LOOPBACK_URLS=1`, on in development mode). No user info,
//! query or fragment, at most 255 characters.

use std::net::IpAddr;

pub const MAX_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingUrl(String);

impl OutgoingUrl {
    /// The URL, normalised (trailing slashes removed), if it may be called.
    pub fn parse(raw: &str, allow_loopback_http: bool) -> Result<Self, String> {
        let rule = || {
            let http = if allow_loopback_http { " (http:// only to a loopback address)" } else { "" };
            format!("an https:// URL{http} without user info, query or fragment, at most {MAX_LEN} characters")
        };
        if raw.len() > MAX_LEN || raw.contains(char::is_whitespace) {
            return Err(rule());
        }
        let url = url::Url::parse(raw).map_err(|_| rule())?;
        let plain = url.username().is_empty()
            && url.password().is_none()
            && url.query().is_none()
            && url.fragment().is_none()
            && url.host_str().is_some_and(|h| !h.is_empty());
        let allowed = match url.scheme() {
            "https" => true,
            "http" => allow_loopback_http && is_loopback(&url),
            _ => false,
        };
        if !(plain && allowed) {
            return Err(rule());
        }
        // The normalised form is what the client will call.
        Ok(Self(url.as_str().trim_end_matches('/').to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback_when_allowed() {
        for ok in ["https://shop.myshopify.com", "https://proxy.example.com:8443/base/"] {
            assert!(OutgoingUrl::parse(ok, false).is_ok(), "{ok}");
        }
        for loopback in ["http://127.0.0.1:8080", "http://[::1]:1", "http://localhost:3000", "http://127.9.9.9"] {
            assert!(OutgoingUrl::parse(loopback, false).is_err(), "{loopback} needs the switch");
            assert!(OutgoingUrl::parse(loopback, true).is_ok(), "{loopback}");
        }
        for bad in [
            "http://example.com",
            "http://10.0.0.1",
            "http://127.0.0.1.evil.com",
            "ftp://127.0.0.1",
            "https://user:pw@shop.example.com",
            "https://shop.example.com/?q=1",
            "https://shop.example.com/#x",
            "javascript:alert(1)",
            "https://exa mple.com",
        ] {
            assert!(OutgoingUrl::parse(bad, true).is_err(), "{bad}");
        }
        assert_eq!(
            OutgoingUrl::parse("https://a.example/", false).map(OutgoingUrl::into_string),
            Ok("https://a.example".into())
        );
    }
}
