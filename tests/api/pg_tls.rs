//! Issue 27.1: PostgreSQL over TLS. Runs when TEST_DATABASE_URL asks for
//! `sslmode=verify-full` (.ci/steps/pg_tls.sh starts a hostssl-only server
//! with a CA and certificate for `localhost` made by rcgen): the service's
//! own connections are encrypted, `require` and `verify-ca` work, and a
//! wrong CA, a wrong host name or a plain connection are refused, with the
//! cause named.

use crate::helpers::*;
use crate::pg_certs;
use diesel::sql_types::Bool;
use diesel::RunQueryDsl;
use loyalty_wallet::store::pg_connect::Refusal;
use loyalty_wallet::store::{pool, AnyConnection, ConnectOptions};

/// The TLS server's URL, when the suite runs against one.
fn tls_server() -> Option<String> {
    postgres_server().filter(|url| url.contains("sslmode=verify-full"))
}

#[derive(diesel::QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

fn encrypted(conn: &mut AnyConnection) -> diesel::QueryResult<bool> {
    diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .get_result::<Encrypted>(conn)
        .map(|row| row.ssl)
}

/// How `url` fares as the service's first connection.
fn first_connection(url: &str) -> Result<bool, loyalty_wallet::store::StartupError> {
    let options = ConnectOptions { connect_timeout: std::time::Duration::from_secs(3), ..ConnectOptions::default() };
    let mut conn = pool::connect_first(url, &options)?;
    Ok(encrypted(&mut conn).expect("pg_stat_ssl"))
}

#[tokio::test]
async fn the_service_talks_to_postgresql_over_verified_tls() {
    let Some(_) = tls_server() else {
        eprintln!(
            "skipped: needs TEST_DATABASE_URL=postgres://…?sslmode=verify-full&sslrootcert=… (.ci/steps/pg_tls.sh)"
        );
        return;
    };
    let app = TestApp::spawn().await;
    let pooled = app.store.read(|conn| encrypted(conn).map_err(loyalty_wallet::store::Error::from)).await;
    assert!(pooled.expect("a pooled read"), "the pool's connection is not encrypted");
    // Writes go through the group writers' own connections.
    let written = app.store.write(|conn| encrypted(conn).map_err(loyalty_wallet::store::Error::from)).await;
    assert!(written.expect("a write unit"), "the writer's connection is not encrypted");
    let ready = app.client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 200);
}

#[test]
fn require_and_verify_ca_work_without_the_host_name() {
    let Some(server) = tls_server() else {
        eprintln!("skipped: needs a verify-full TEST_DATABASE_URL");
        return;
    };
    // verify-ca checks the chain, not the name: the address works.
    let by_address = server.replace("@localhost:", "@127.0.0.1:");
    assert!(first_connection(&by_address.replace("sslmode=verify-full", "sslmode=verify-ca")).expect("verify-ca"));
    let require = by_address.replace("sslmode=verify-full", "sslmode=require");
    assert!(first_connection(&require).expect("require"));
}

#[test]
fn a_wrong_ca_a_wrong_host_name_and_plain_text_are_refused() {
    let Some(server) = tls_server() else {
        eprintln!("skipped: needs a verify-full TEST_DATABASE_URL");
        return;
    };
    assert!(first_connection(&server).expect("verify-full as given"));

    let dir = tempfile::tempdir().expect("dir");
    let stranger = pg_certs::make("a CA this server never saw", &["localhost"]).expect("CA");
    let wrong_ca = dir.path().join("wrong-ca.crt");
    std::fs::write(&wrong_ca, stranger.ca_pem).expect("write CA");
    let rootcert = server.split("sslrootcert=").nth(1).and_then(|r| r.split('&').next()).expect("sslrootcert");
    let refused = first_connection(&server.replace(rootcert, &wrong_ca.to_string_lossy())).expect_err("wrong CA");
    assert_eq!(refused.cause, Refusal::Tls, "{refused}");

    // The certificate names localhost only.
    let refused = first_connection(&server.replace("@localhost:", "@127.0.0.1:")).expect_err("wrong host name");
    assert_eq!(refused.cause, Refusal::Tls, "{refused}");
    assert!(refused.to_string().contains("127.0.0.1"), "the host is named: {refused}");

    // pg_hba.conf has hostssl lines only.
    let refused = first_connection(&server.replace("sslmode=verify-full", "sslmode=disable")).expect_err("plain");
    assert_eq!(refused.cause, Refusal::LoginRefused, "{refused}");
}
