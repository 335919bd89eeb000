//! Secrets at rest: platform access tokens sealed with AES-256-GCM.
//!
//! A sealed value reads `v1:{key id}:{base64(nonce ‖ ciphertext ‖ tag)}`.
//! The key id is the first 8 hex digits of SHA-256(key), so a ring of keys
//! (the current one plus old ones during a rotation) opens any value sealed
//! by one of them, and `loyalty-wallet rotate-key` re-seals under the
//! current key. The shop id is bound in as associated data: a sealed token
//! copied onto another shop's row does not open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

const PREFIX: &str = "v1";
const NONCE_BYTES: usize = 12;

/// Where the current key came from (it decides what the service says at start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `LOYALTY_ENCRYPTION_KEY`.
    Configured,
    /// Development mode without a key: a throwaway key (its base64 inside).
    Generated(String),
    /// Production without a key: derived from the client secret (HMAC-SHA256).
    DerivedFromSecret,
}

#[derive(Clone)]
struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl Key {
    fn new(bytes: &[u8; 32]) -> Self {
        let digest = Sha256::digest(bytes);
        Self { id: hex::encode(&digest[..4]), cipher: Aes256Gcm::new(aes_gcm::Key::<Aes256Gcm>::from_slice(bytes)) }
    }
}

/// The current key (seals) and old keys (open only).
#[derive(Clone)]
pub struct KeyRing {
    current: Key,
    old: Vec<Key>,
    pub source: KeySource,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyRing(current {}, {} old, {:?})", self.current.id, self.old.len(), self.source_kind())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("not a sealed value")]
    NotSealed,
    #[error("sealed under key {0}, which is not configured")]
    UnknownKey(String),
    #[error("the sealed value does not open (corrupt, or another shop's)")]
    Corrupt,
    #[error("the value is too long to seal")]
    TooLong,
}

/// Decodes a base64 key of exactly 32 bytes.
pub(crate) fn parse_key(name: &str, text: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(text.trim())
        .map_err(|_| anyhow::anyhow!("{name} must be base64 (32 bytes: `openssl rand -base64 32`)"))?;
    bytes.try_into().map_err(|b: Vec<u8>| anyhow::anyhow!("{name} must decode to 32 bytes, not {}", b.len()))
}

impl KeyRing {
    pub fn new(current: &[u8; 32], old: &[[u8; 32]], source: KeySource) -> Self {
        Self { current: Key::new(current), old: old.iter().map(Key::new).collect(), source }
    }

    /// A fresh random key (development mode); its base64 is in the source.
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(&bytes, &[], KeySource::Generated(STANDARD.encode(bytes)))
    }

    /// A key derived from a secret the service already holds.
    pub(crate) fn derived(secret: &str, old: &[[u8; 32]]) -> Self {
        use hmac::{Hmac, Mac};
        let mut bytes = [0u8; 32];
        if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
            mac.update(b"loyalty-wallet token encryption v1");
            bytes.copy_from_slice(&mac.finalize().into_bytes());
        }
        Self::new(&bytes, old, KeySource::DerivedFromSecret)
    }

    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    fn source_kind(&self) -> &'static str {
        match self.source {
            KeySource::Configured => "configured",
            KeySource::Generated(_) => "generated",
            KeySource::DerivedFromSecret => "derived",
        }
    }

    /// Seals `plaintext` for `context` (the shop id) under the current key.
    pub(crate) fn seal(&self, context: &str, plaintext: &str) -> Result<String, CryptoError> {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() };
        let sealed =
            self.current.cipher.encrypt(Nonce::from_slice(&nonce), payload).map_err(|_| CryptoError::TooLong)?;
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}:{}:{}", self.current.id, STANDARD.encode(blob)))
    }

    /// The key id a sealed value names, if it is one.
    pub fn key_id(sealed: &str) -> Option<&str> {
        let mut parts = sealed.splitn(3, ':');
        (parts.next() == Some(PREFIX)).then_some(())?;
        let id = parts.next()?;
        parts.next().map(|_| id)
    }

    pub fn is_sealed(value: &str) -> bool {
        Self::key_id(value).is_some()
    }

    pub fn open(&self, context: &str, sealed: &str) -> Result<String, CryptoError> {
        let id = Self::key_id(sealed).ok_or(CryptoError::NotSealed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.old)
            .find(|k| k.id == id)
            .ok_or_else(|| CryptoError::UnknownKey(id.to_string()))?;
        let blob = sealed.rsplit(':').next().and_then(|b| STANDARD.decode(b).ok()).ok_or(CryptoError::Corrupt)?;
        if blob.len() <= NONCE_BYTES {
            return Err(CryptoError::Corrupt);
        }
        let (nonce, body) = blob.split_at(NONCE_BYTES);
        let opened = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Corrupt)?;
        String::from_utf8(opened).map_err(|_| CryptoError::Corrupt)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let ring = KeyRing::new(&[7u8; 32], &[], KeySource::Configured);
        let sealed = ring.seal("a.myshopify.com", "shpat_secret").unwrap();
        assert!(!sealed.contains("shpat_secret"));
        assert_ne!(sealed, ring.seal("a.myshopify.com", "shpat_secret").unwrap(), "a fresh nonce each time");
        assert_eq!(ring.open("a.myshopify.com", &sealed).as_deref(), Ok("shpat_secret"));
        assert_eq!(ring.open("b.myshopify.com", &sealed), Err(CryptoError::Corrupt));
        assert_eq!(ring.open("a.myshopify.com", "shpat_plain"), Err(CryptoError::NotSealed));
    }

    #[test]
    fn old_keys_open_and_unknown_keys_are_named() {
        let old = KeyRing::new(&[1u8; 32], &[], KeySource::Configured);
        let sealed = old.seal("s", "t").unwrap();
        let rotated = KeyRing::new(&[2u8; 32], &[[1u8; 32]], KeySource::Configured);
        assert_eq!(rotated.open("s", &sealed).as_deref(), Ok("t"));
        assert_eq!(KeyRing::key_id(&rotated.seal("s", "t").unwrap()), Some(rotated.current_id()));
        let other = KeyRing::new(&[3u8; 32], &[], KeySource::Configured);
        assert!(matches!(other.open("s", &sealed), Err(CryptoError::UnknownKey(_))));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert!(parse_key("K", &STANDARD.encode([0u8; 32])).is_ok());
        assert!(parse_key("K", &STANDARD.encode([0u8; 16])).is_err());
        assert!(parse_key("K", "not base64!").is_err());
    }
}
