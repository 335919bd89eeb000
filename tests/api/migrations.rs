//! Migrations are tested both ways (STYLE.md): on a fresh database every
//! migration applies, every down.sql undoes its up.sql, and they apply again.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use loyalty_wallet::store::pool::{self, Backend};
use loyalty_wallet::store::{revert_all_migrations, run_migrations, shops, AnyConnection};

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The application's tables (diesel's own bookkeeping table left out).
fn tables(conn: &mut AnyConnection) -> Vec<String> {
    let query = match conn {
        AnyConnection::Sqlite(_) => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        AnyConnection::Postgresql(_) => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY table_name"
        }
    };
    let rows: Vec<Name> = match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query(query).load(c),
        AnyConnection::Postgresql(c) => diesel::sql_query(query).load(c),
    }
    .expect("list tables");
    rows.into_iter().map(|r| r.name).filter(|n| n != "__diesel_schema_migrations").collect()
}

#[test]
fn migrations_apply_revert_and_apply_again() {
    let (url, _dir) = fresh_database();
    let _drop = DropDatabase(url.clone());
    let mut conn = pool::connect(&url, Backend::of_url(&url)).expect("connect");
    assert!(tables(&mut conn).is_empty(), "a fresh database");

    run_migrations(&mut conn).expect("first run");
    let created = tables(&mut conn);
    for table in ["shops", "programs", "customers", "claims", "ledger_entries", "outbox", "idempotency_keys"] {
        assert!(created.contains(&table.to_string()), "{table} in {created:?}");
    }
    // With data in it, too.
    shops::ensure(&mut conn, "migrated.myshopify.com").expect("a shop");
    run_migrations(&mut conn).expect("running again is a no-op");

    revert_all_migrations(&mut conn).expect("revert all");
    assert_eq!(tables(&mut conn), Vec::<String>::new(), "every down.sql undid its up.sql");

    run_migrations(&mut conn).expect("second run");
    assert_eq!(tables(&mut conn), created, "the same schema again");
    let shop = shops::ensure(&mut conn, "migrated.myshopify.com").expect("a shop after the round trip");
    assert_eq!(shop.currency, "USD");
    conn.batch_execute("SELECT 1").expect("still usable");
}

#[tokio::test]
async fn the_app_migrates_its_database_at_start() {
    let app = TestApp::spawn().await;
    let url = app.database_url.clone();
    let tables = tokio::task::spawn_blocking(move || {
        let mut conn = pool::connect(&url, Backend::of_url(&url)).expect("connect");
        tables(&mut conn)
    })
    .await
    .expect("tables");
    for table in ["shops", "programs", "customers", "claims", "ledger_entries", "outbox", "idempotency_keys"] {
        assert!(tables.contains(&table.to_string()), "{table} in {tables:?}");
    }
}
