//! Access tokens at rest: sealed on every write path,
//! re-sealed by `loyalty-wallet rotate-key`, plaintext from older versions
//! sealed at start.

use crate::helpers::*;
use crate::platform::connect;
use base64::Engine;
use diesel::prelude::*;
use loyalty_wallet::crypto::{CryptoError, KeyRing, KeySource};
use loyalty_wallet::store::schema::shops as shops_table;
use loyalty_wallet::store::shops;

const TOKEN: &str = "shpat_rotation_secret_token";

fn key(byte: u8) -> [u8; 32] {
    [byte; 32]
}

fn b64(bytes: [u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

async fn stored(app: &TestApp) -> String {
    app.store
        .read::<_, loyalty_wallet::error::AppError, _>(|conn| {
            Ok(shops::find(conn, SHOP)?.and_then(|row| row.platform_access_token))
        })
        .await
        .expect("read")
        .expect("a token is stored")
}

async fn spawn_with_key(current: [u8; 32]) -> TestApp {
    let (database_url, dir) = fresh_database();
    let mut settings = test_settings(&database_url);
    settings.platform.tokens = KeyRing::new(&current, &[], KeySource::Configured);
    TestApp::spawn_with(settings, dir).await
}

#[tokio::test]
async fn the_manual_token_is_sealed_and_rotate_key_reseals_it() {
    let app = spawn_with_key(key(1)).await;
    connect(&app, "http://127.0.0.1:9", TOKEN).await;
    let old = KeyRing::new(&key(1), &[], KeySource::Configured);
    let sealed = stored(&app).await;
    assert_eq!(KeyRing::key_id(&sealed), Some(old.current_id()), "{sealed}");
    assert_eq!(old.open(SHOP, &sealed).as_deref(), Ok(TOKEN));

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_loyalty-wallet"));
    command
        .arg("rotate-key")
        .env_clear()
        .env("DATABASE_URL", &app.database_url)
        .env("LOYALTY_APP_SECRET", SECRET)
        .env("LOYALTY_ENCRYPTION_KEY", b64(key(2)))
        .env("LOYALTY_ENCRYPTION_KEY_OLD", format!("{},{}", b64(key(9)), b64(key(1))));
    let output = command.output().expect("run rotate-key");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{printed} {}", String::from_utf8_lossy(&output.stderr));
    assert!(printed.contains(": 1;"), "one token re-sealed: {printed}");

    let new = KeyRing::new(&key(2), &[], KeySource::Configured);
    let resealed = stored(&app).await;
    assert_eq!(KeyRing::key_id(&resealed), Some(new.current_id()));
    assert_eq!(new.open(SHOP, &resealed).as_deref(), Ok(TOKEN));
    assert!(
        matches!(old.open(SHOP, &resealed), Err(CryptoError::UnknownKey(_))),
        "the old key alone no longer opens it"
    );

    // Once more: nothing to do. Without the old key a token would be reported.
    let ring = KeyRing::new(&key(2), &[key(1)], KeySource::Configured);
    let again = app.store.write(move |conn| shops::rotate_tokens(conn, &ring, false)).await.expect("rotate");
    assert_eq!((again.resealed, again.current), (0, 1));
    let stranger = KeyRing::new(&key(3), &[], KeySource::Configured);
    let lost = app.store.write(move |conn| shops::rotate_tokens(conn, &stranger, false)).await.expect("rotate");
    assert_eq!(lost.unreadable, vec![SHOP.to_string()]);
    assert_eq!(stored(&app).await, resealed, "an unreadable token is left as it was");
}

#[tokio::test]
async fn plaintext_tokens_of_an_older_version_are_sealed_at_start() {
    let (database_url, dir) = fresh_database();
    let first = TestApp::spawn_with(test_settings(&database_url), None).await;
    first.set_shop("USD", "1").await;
    first
        .store
        .write::<_, loyalty_wallet::error::AppError, _>(|conn| {
            diesel::update(shops_table::table.find(SHOP))
                .set((shops_table::platform_kind.eq("shopify"), shops_table::platform_access_token.eq(TOKEN)))
                .execute(conn)?;
            Ok(())
        })
        .await
        .expect("plant a plaintext token");
    let second = TestApp::spawn_with(test_settings(&database_url), dir).await;
    let sealed = stored(&second).await;
    assert!(KeyRing::is_sealed(&sealed) && !sealed.contains(TOKEN), "{sealed}");
    assert_eq!(second.settings.platform.tokens.open(SHOP, &sealed).as_deref(), Ok(TOKEN));
    assert_eq!(second.settings.platform.tokens.source, KeySource::DerivedFromSecret, "no key set: derived");
}
