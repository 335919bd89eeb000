//! Outgoing webhooks to the merchant's systems: the body every delivery of
//! one event carries (same `id` on each retry), its signature, the secret
//! rules and the retry schedule (1 s doubling to 1 h, dead after the window).

use super::state::stored_state;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

const SECRET_MIN_BYTES: usize = 16;
const SECRET_MAX_BYTES: usize = 128;
pub(crate) const HEADER_SIGNATURE: &str = "X-Loyalty-Signature";

stored_state! {
    /// The event types the service sends (`notifications.event_type`).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum EventType("event type") {
        OfferIssued = "offer.issued",
        PointsExpiring = "points.expiring",
        ClaimCreated = "claim.created",
        ClaimRefunded = "claim.refunded",
        CampaignPaused = "campaign.paused",
    }
}

/// Checks a merchant's signing secret: 16–128 bytes, no surrounding blanks.
pub(crate) fn parse_secret(raw: &str) -> Result<String, String> {
    if raw.trim() != raw {
        return Err("must not start or end with blanks".into());
    }
    match raw.len() {
        n if n < SECRET_MIN_BYTES => Err(format!("at least {SECRET_MIN_BYTES} bytes")),
        n if n > SECRET_MAX_BYTES => Err(format!("at most {SECRET_MAX_BYTES} bytes")),
        _ => Ok(raw.to_string()),
    }
}

/// The JSON body of one event: `{id, type, created_at, data}`.
pub(crate) fn body(id: &str, event_type: EventType, created_at: DateTime<Utc>, data: serde_json::Value) -> String {
    serde_json::json!({
        "id": id,
        "type": event_type.as_str(),
        "created_at": created_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// `sha256=<hex HMAC-SHA256 of the body under the secret>`.
pub(crate) fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length; the error arm cannot happen.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Wait before the next try after `attempts` failures: 1 s doubling, at most
/// 1 h, plus up to 10 % jitter from `jitter` (0..1).
pub(crate) fn backoff(attempts: i32, jitter: f64) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 12) as u32;
    let base_ms = (1_000i64 << exp).min(3_600_000);
    let jitter = if jitter.is_finite() { jitter.clamp(0.0, 1.0) } else { 0.0 };
    Duration::milliseconds(base_ms + (base_ms as f64 * 0.1 * jitter) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hex_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn backoff_doubles_from_one_second_to_one_hour() {
        assert_eq!(backoff(1, 0.0), Duration::seconds(1));
        assert_eq!(backoff(2, 0.0), Duration::seconds(2));
        assert_eq!(backoff(5, 0.0), Duration::seconds(16));
        assert_eq!(backoff(40, 0.0), Duration::hours(1));
        assert!(backoff(3, 1.0) <= Duration::milliseconds(4_400));
        assert_eq!(backoff(3, f64::NAN), Duration::seconds(4));
    }

    #[test]
    fn secrets_are_bounded() {
        assert!(parse_secret("short").is_err());
        assert!(parse_secret(&"x".repeat(16)).is_ok());
        assert!(parse_secret(&"x".repeat(129)).is_err());
        assert!(parse_secret(" xxxxxxxxxxxxxxxxxx").is_err());
    }

    #[test]
    fn event_types_round_trip() {
        for t in [EventType::OfferIssued, EventType::ClaimRefunded, EventType::CampaignPaused] {
            assert_eq!(EventType::from_stored(t.as_str()), Some(t));
        }
        assert_eq!(EventType::from_stored("nope"), None);
    }
}
