//! `bench explain` on a fresh database, as an outside run would call it:
//! every hot query uses an index, and on SQLite (which plans without
//! statistics, so an empty database gets the plan a big one gets) every
//! query for one wallet searches its index by customer. The sweep's
//! per-customer read once searched every due lot of the shop instead.

use crate::helpers::*;
use loyalty_wallet::store::pool::{self, Backend};
use loyalty_wallet::store::run_migrations;
use std::process::Command;

#[test]
fn every_hot_query_uses_an_index_and_wallet_queries_search_by_customer() {
    let (url, _dir) = fresh_database();
    let _drop = DropDatabase(url.clone());
    let mut conn = pool::connect(&url, Backend::of_url(&url)).expect("connect");
    run_migrations(&mut conn).expect("migrate");
    drop(conn);
    let run = Command::new(env!("CARGO_BIN_EXE_loyalty-wallet"))
        .args(["bench", "explain", "--database", &url])
        .env("RUST_LOG", "warn")
        .output()
        .expect("run bench explain");
    let printed = format!("{}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
    assert!(run.status.success(), "bench explain failed:\n{printed}");
    assert!(printed.contains("every hot query uses an index"), "{printed}");
    let due = printed.lines().find(|l| l.starts_with("== sweep: a customer's due lots:")).expect("the sweep's row");
    assert!(due.contains("index"), "{due}");
    if !url.starts_with("postgres") {
        assert!(due.contains("customer_id=?"), "the sweep reads one wallet's due lots by customer: {due}");
    }
}
