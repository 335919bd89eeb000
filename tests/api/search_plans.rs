//! Issue 30 point 2: the customer search is served by its indexes on both
//! databases. A shop of 20,000 named customers (analyzed on PostgreSQL, as
//! autovacuum would; SQLite plans without statistics), then `bench explain`,
//! whose plan of each search key must name that key's index. PostgreSQL
//! plans the search (an unnamed statement) with the typed prefix, so its
//! plan is shown for a prefix a few customers share; for a prefix that
//! thousands share it may rightly walk the primary key in id order instead.

use crate::helpers::*;
use diesel::connection::SimpleConnection;
use loyalty_wallet::store::pool::{self, Backend};
use loyalty_wallet::store::run_migrations;
use std::process::Command;

/// The shop `bench explain` plans for (src/bench/db.rs).
const BENCH_SHOP: &str = "bench-shop.myshopify.com";

const NAMES: [&str; 8] = ["Alex", "Bea", "Chidi", "Dana", "Élodie", "Farah", "Gus", "Hana"];

fn seed(url: &str, customers: usize) {
    let mut conn = pool::connect(url, Backend::of_url(url)).expect("connect");
    run_migrations(&mut conn).expect("migrate");
    conn.batch_execute(&format!(
        "INSERT INTO shops (id, currency, earn_points_per_unit, platform_kind, platform_enabled, created_at, updated_at, locale) \
         VALUES ('{BENCH_SHOP}', 'USD', '1', 'native', FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00', 'en-US')"
    ))
    .expect("shop");
    for start in (0..customers).step_by(1000) {
        let rows: Vec<String> = (start..(start + 1000).min(customers))
            .map(|i| {
                let (first, last) = (NAMES[i % NAMES.len()], format!("Family{i}"));
                format!(
                    "('{BENCH_SHOP}', 'c{i:08}', 0, '{}{i}@example.com', '{first} {last}', '{first}', '{last}', '1555{i:07}', \
                     '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
                    first.to_lowercase()
                )
            })
            .collect();
        conn.batch_execute(&format!(
            "INSERT INTO customers (shop_id, id, points_balance, email, display_name, first_name, last_name, phone, \
             created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .expect("customers");
    }
    if url.starts_with("postgres") {
        conn.batch_execute("ANALYZE customers").expect("analyze");
    }
}

#[test]
fn every_customer_search_key_uses_its_own_index() {
    let (url, _dir) = fresh_database();
    let _drop = DropDatabase(url.clone());
    seed(&url, 20_000);
    let run = Command::new(env!("CARGO_BIN_EXE_loyalty-wallet"))
        .args(["bench", "explain", "--database", &url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bench explain");
    let printed = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "bench explain failed:\n{printed}");
    let postgres = url.starts_with("postgres");
    let expected = [
        ("id prefix", if postgres { "customers_id_search" } else { "sqlite_autoindex_customers_1" }),
        ("name prefix", "customers_name_search"),
        ("last name prefix", "customers_last_name_search"),
        ("e-mail prefix", "customers_email_search"),
        ("phone prefix", "customers_phone_search"),
    ];
    for (key, index) in expected {
        let head = format!("== customer search: {key}:");
        let at = printed.find(&head).unwrap_or_else(|| panic!("no plan for {key}:\n{printed}"));
        // This query's block: its head line, up to the next query's.
        let mut lines = printed[at..].lines();
        let head = lines.next().unwrap_or_default();
        let body: Vec<&str> = lines.take_while(|l| !l.starts_with("== ")).collect();
        let plan = format!("{head}\n{}", body.join("\n"));
        eprintln!("{plan}");
        assert!(plan.contains(index), "the {key} search should use {index}:\n{plan}");
        assert!(!plan.contains("FULL SCAN"), "{plan}");
    }
}
