//! Start-up settings: a short secret is refused, no secret
//! means a clearly flagged development mode.

use loyalty_wallet::config::{Settings, DEV_CLIENT_ID, DEV_SECRET, MIN_SECRET_BYTES};
use std::collections::HashMap;

fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
    let vars: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Settings::from_map(&vars)
}

#[test]
fn a_secret_shorter_than_32_bytes_is_refused() {
    let short = "s".repeat(MIN_SECRET_BYTES - 1);
    let error = settings(&[("LOYALTY_APP_SECRET", &short)]).expect_err("short secret refused");
    let message = error.to_string();
    assert!(message.contains("LOYALTY_APP_SECRET") && message.contains("32"), "{message}");
    assert!(!message.contains(&short), "the secret is not echoed: {message}");
    // Surrounding blanks do not count toward the length.
    let padded = format!("  {short}  ");
    assert!(settings(&[("LOYALTY_APP_SECRET", &padded)]).is_err());
}

#[test]
fn a_32_byte_secret_is_production_mode() {
    let secret = "s".repeat(MIN_SECRET_BYTES);
    let settings = settings(&[("LOYALTY_APP_SECRET", &secret), ("LOYALTY_CLIENT_ID", "client-1")]).expect("settings");
    assert!(!settings.development);
    assert_eq!(settings.app_secret.expose(), secret);
    assert_eq!(settings.client_id, "client-1");
    assert!(!format!("{settings:?}").contains(&secret), "the secret never reaches Debug output");
}

#[test]
fn no_secret_is_development_mode() {
    for pairs in [vec![], vec![("LOYALTY_APP_SECRET", "")], vec![("LOYALTY_APP_SECRET", "   ")]] {
        let settings = settings(&pairs).expect("settings");
        assert!(settings.development, "{pairs:?}");
        assert_eq!(settings.app_secret.expose(), DEV_SECRET);
        assert_eq!(settings.client_id, DEV_CLIENT_ID);
    }
}

#[test]
fn defaults_and_bad_values() {
    let defaults = settings(&[]).expect("defaults");
    assert_eq!(defaults.bind, "127.0.0.1:8080");
    assert_eq!(defaults.database_url, "loyalty-wallet.db");
    assert_eq!(defaults.body_limit_bytes, 64 * 1024);
    assert!(settings(&[("LOG_FORMAT", "yaml")]).is_err());
    assert!(settings(&[("LOYALTY_DB_POOL_SIZE", "many")]).is_err());
    let postgres = settings(&[("DATABASE_URL", "postgres://u@h/db")]).expect("pg");
    assert_eq!(postgres.database_url, "postgres://u@h/db");
}
