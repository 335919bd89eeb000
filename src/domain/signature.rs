//! Shopify's query signatures (docs/PLATFORM.md), pure functions.
//!
//! - Install and OAuth callback: drop `hmac`, sort by key, join `key=value`
//!   with `&`.
//! - App proxy: drop `signature`, repeated keys' values joined with `,`,
//!   sort by key, `key=value` concatenated without a separator.
//!
//! Both: hex HMAC-SHA256 under the client secret, compared in constant time.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Decoded query pairs in order of appearance (repeats kept).
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// The first value of `key`, if any.
pub(crate) fn value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Keys in order, each with its values joined by `,`, without `skip`.
fn grouped(pairs: &[(String, String)], skip: &str) -> Vec<(String, String)> {
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for (key, value) in pairs.iter().filter(|(k, _)| k != skip) {
        match groups.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => values.push(value),
            None => groups.push((key.clone(), vec![value])),
        }
    }
    groups.sort_by(|a, b| a.0.cmp(&b.0));
    groups.into_iter().map(|(k, v)| (k, v.join(","))).collect()
}

/// The message an install or callback `hmac` signs.
pub(crate) fn oauth_message(pairs: &[(String, String)]) -> String {
    grouped(pairs, "hmac").iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The message an app proxy `signature` signs.
pub(crate) fn proxy_message(pairs: &[(String, String)]) -> String {
    grouped(pairs, "signature").iter().map(|(k, v)| format!("{k}={v}")).collect()
}

/// Hex HMAC-SHA256 of `message`.
pub(crate) fn sign(secret: &[u8], message: &str) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret) else { return String::new() };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a hex signature (either case) under any of `secrets`.
pub(crate) fn verify(secrets: &[&[u8]], message: &str, signature: Option<&str>) -> bool {
    let Some(given) = signature.and_then(|s| hex::decode(s.trim()).ok()) else { return false };
    secrets.iter().any(|secret| {
        <Hmac<Sha256> as Mac>::new_from_slice(secret)
            .map(|mut mac| {
                mac.update(message.as_bytes());
                mac.verify_slice(&given).is_ok()
            })
            .unwrap_or(false)
    })
}

/// Shopify's shop domains: `^[a-z0-9][a-z0-9-]*\.myshopify\.com$` (lower case).
pub(crate) fn is_shop_domain(shop: &str) -> bool {
    let Some(name) = shop.strip_suffix(".myshopify.com") else { return false };
    !name.is_empty()
        && name.len() <= 100
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_two_messages_differ_only_in_their_separator() {
        let q = pairs(&[("timestamp", "1"), ("shop", "a.myshopify.com"), ("hmac", "x"), ("code", "c")]);
        assert_eq!(oauth_message(&q), "code=c&shop=a.myshopify.com&timestamp=1");
        let p = pairs(&[("shop", "a"), ("ids", "1"), ("signature", "x"), ("ids", "2"), ("path_prefix", "/apps/l")]);
        assert_eq!(proxy_message(&p), "ids=1,2path_prefix=/apps/lshop=a");
    }

    #[test]
    fn signatures_verify_in_either_case_and_only_with_the_key() {
        let sig = sign(b"k", "m");
        assert!(verify(&[b"k"], "m", Some(&sig)));
        assert!(verify(&[b"other", b"k"], "m", Some(&sig.to_uppercase())));
        assert!(!verify(&[b"other"], "m", Some(&sig)));
        assert!(!verify(&[b"k"], "m2", Some(&sig)));
        assert!(!verify(&[b"k"], "m", None));
        assert!(!verify(&[b"k"], "m", Some("zz")));
    }

    #[test]
    fn shop_domains() {
        for good in ["a.myshopify.com", "my-shop-1.myshopify.com", "0.myshopify.com"] {
            assert!(is_shop_domain(good), "{good}");
        }
        for bad in [
            "x.myshopify.com.evil.com",
            ".myshopify.com",
            "-a.myshopify.com",
            "A.myshopify.com",
            "a.b.myshopify.com",
            "evil.com",
            "a_b.myshopify.com",
        ] {
            assert!(!is_shop_domain(bad), "{bad}");
        }
    }
}
