//! PostgreSQL's group writers (`LOYALTY_PG_GROUP_WRITERS`): a writer whose
//! connection the server cut opens a new one, a unit picked as a deadlock
//! victim runs again, and its batch closes at once so the other batch of
//! the deadlock is not held up.

use crate::helpers::*;
use diesel::{Connection, PgConnection, RunQueryDsl};
use loyalty_wallet::store::{AnyConnection, Store, Writes};
use reqwest::StatusCode;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_go_on_after_the_server_cuts_every_connection() {
    let app = TestApp::spawn().await;
    if postgres_server().is_none() {
        // A SQLite connection cannot be cut from outside; the PostgreSQL run covers this.
        assert!(!app.database_url.starts_with("postgres"));
        return;
    }
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 10_000).await;
    assert_eq!(app.claim("1", 100).await.status(), StatusCode::CREATED);

    let mut admin = PgConnection::establish(&app.database_url).expect("connect");
    let cut: Vec<Cut> = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load(&mut admin)
    .expect("terminate");
    assert!(cut.iter().filter(|c| c.done).count() >= 2, "the writers' connections were cut: {}", cut.len());

    // A writer finds its connection dead when its transaction cannot
    // begin: it opens a new one and runs the batch there, so no claim fails.
    let mut statuses = Vec::new();
    for i in 0..12 {
        let token = app.customer("1");
        let key = format!("after-cut-{i}");
        statuses.push(app.post("/api/v1/claims", &token, Some(&key), &json!({"points": 100})).await.status());
    }
    assert_eq!(statuses, vec![StatusCode::CREATED; 12]);
    let created = statuses.len() as i64;
    assert_eq!(app.balance("1").await, 10_000 - 100 * (created + 1));
    assert_eq!(assert_wallet_invariants(&app, SHOP, "1").await, 10_000 - 100 * (created + 1));
}

#[derive(diesel::QueryableByName)]
struct Cut {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    done: bool,
}

/// Two units that take two rows in opposite order, each in its own
/// writer's batch: the server picks one as a deadlock victim, and the
/// writer runs that unit again instead of failing it.
#[test]
fn a_deadlock_victim_runs_again() {
    let Some(mut probe) = Probe::open(8) else { return };
    let (runtime, store) = (&probe.runtime, &probe.store);
    let holding = Arc::new(AtomicUsize::new(0));
    let unit = |first: i32, second: i32| {
        let holding = holding.clone();
        move |conn: &mut AnyConnection| -> loyalty_wallet::store::Result<()> {
            bump(conn, first)?;
            // The first run waits (at most 5 s) until both units hold their first row.
            let waited = Instant::now();
            holding.fetch_add(1, Ordering::SeqCst);
            while holding.load(Ordering::SeqCst) < 2 && waited.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(5));
            }
            bump(conn, second)
        }
    };
    let (a, b) = runtime.block_on(async {
        let a = tokio::spawn({
            let (store, unit) = (store.clone(), unit(1, 2));
            async move { store.write(unit).await }
        });
        // The second unit is queued once the first one's writer holds row 1,
        // so the other writer takes it.
        while holding.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let b = store.write(unit(2, 1)).await;
        (a.await.expect("join"), b)
    });
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(probe.counts(), vec![2, 2], "each unit counted once");
    assert!(probe.deadlocks() >= 1, "the server saw a deadlock");
}

/// A fresh PostgreSQL database holding `probe` rows 1 and 2 (n = 0), a
/// store with two group writers batching up to `max_batch`, and a
/// connection of the test's own. None on SQLite: its one writer runs
/// batches one at a time, so there is no deadlock to test.
struct Probe {
    runtime: tokio::runtime::Runtime,
    store: Store,
    admin: PgConnection,
    _drop: DropDatabase,
    _dir: Option<tempfile::TempDir>,
}

impl Probe {
    fn open(max_batch: usize) -> Option<Self> {
        let (url, _dir) = fresh_database();
        let _drop = DropDatabase(url.clone());
        if postgres_server().is_none() {
            assert!(!url.starts_with("postgres"), "one SQLite writer: no deadlock to test");
            return None;
        }
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        let store = Store::open(&url, 2, Writes { max_batch, pg_writers: 2 }).expect("store");
        let mut admin = PgConnection::establish(&url).expect("connect");
        diesel::sql_query("CREATE TABLE probe (id INT PRIMARY KEY, n INT NOT NULL)")
            .execute(&mut admin)
            .expect("table");
        diesel::sql_query("INSERT INTO probe VALUES (1, 0), (2, 0)").execute(&mut admin).expect("rows");
        Some(Self { runtime, store, admin, _drop, _dir })
    }

    /// Each row's count, by id.
    fn counts(&mut self) -> Vec<i32> {
        let rows: Vec<Count> =
            diesel::sql_query("SELECT n FROM probe ORDER BY id").load(&mut self.admin).expect("read");
        rows.iter().map(|c| c.n).collect()
    }

    /// Deadlocks the server saw in this database.
    fn deadlocks(&mut self) -> i32 {
        let rows: Vec<Count> =
            diesel::sql_query("SELECT deadlocks::int AS n FROM pg_stat_database WHERE datname = current_database()")
                .load(&mut self.admin)
                .expect("stats");
        rows[0].n
    }
}

fn bump(conn: &mut AnyConnection, id: i32) -> loyalty_wallet::store::Result<()> {
    diesel::sql_query(format!("UPDATE probe SET n = n + 1 WHERE id = {id}")).execute(conn)?;
    Ok(())
}

#[derive(diesel::QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    n: i32,
}

/// A deadlock victim closes its batch. Writer Y's one unit holds row 2
/// and waits for row 1, held by writer X's batch; PostgreSQL checks a
/// waiter for deadlocks once, after `deadlock_timeout`, and X's second
/// unit is busy then, so Y's check finds none. Then X's next units, one
/// after another, wait for row 2: each is a deadlock victim. Before, X
/// went on with its next unit, which met Y again: a deadlock timeout per
/// unit while Y waited, until Y's statement timed out (15 s). Now X commits
/// at once, Y goes on, and X's victim runs again alone, then the rest:
/// every unit commits exactly once.
#[test]
fn a_deadlock_victim_closes_its_batch_so_the_other_batch_goes_on() {
    const FOLLOWERS: usize = 20;
    let Some(mut probe) = Probe::open(64) else { return };
    let (runtime, store) = (&probe.runtime, &probe.store);
    let flags = Flags::default();
    let results = runtime.block_on(async {
        // Both writers busy, each with one unit that waits to be let go.
        let hold = |n: usize| {
            let (store, flags) = (store.clone(), flags.clone());
            tokio::spawn(async move {
                store
                    .write(move |_: &mut AnyConnection| -> loyalty_wallet::store::Result<()> {
                        flags.raise(n);
                        flags.wait(n + 10);
                        Ok(())
                    })
                    .await
            })
        };
        let first = hold(0);
        flags.wait_async(0).await;
        let second = hold(1);
        flags.wait_async(1).await;
        // Queued while both are busy: one batch for writer X.
        let x = {
            let (store, flags) = (store.clone(), flags.clone());
            tokio::spawn(async move {
                type Written = loyalty_wallet::store::Result<()>;
                let mut units: Vec<std::pin::Pin<Box<dyn std::future::Future<Output = Written> + Send + '_>>> =
                    Vec::new();
                let raise = flags.clone();
                units.push(Box::pin(store.write(move |conn: &mut AnyConnection| {
                    bump(conn, 1)?;
                    raise.raise(2); // X holds row 1
                    Ok(())
                })));
                units.push(Box::pin(store.write(move |_: &mut AnyConnection| {
                    flags.wait(3); // until Y holds row 2 and waits for row 1
                                   // Past Y's one deadlock check (1 s after it began to
                                   // wait), which finds no cycle: X waits for nothing.
                    std::thread::sleep(Duration::from_millis(1300));
                    Ok(())
                })));
                for _ in 0..FOLLOWERS {
                    units.push(Box::pin(store.write(|conn: &mut AnyConnection| bump(conn, 2))));
                }
                futures_util::future::join_all(units).await
            })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        flags.raise(10);
        flags.wait_async(2).await;
        // Y's one unit: row 2, then row 1 (held by X's first unit).
        let y = {
            let (store, flags) = (store.clone(), flags.clone());
            tokio::spawn(async move {
                store
                    .write(move |conn: &mut AnyConnection| -> loyalty_wallet::store::Result<()> {
                        bump(conn, 2)?;
                        flags.raise(3);
                        bump(conn, 1)
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        flags.raise(11);
        let mut all = vec![first.await.expect("join"), second.await.expect("join"), y.await.expect("join")];
        all.extend(x.await.expect("join"));
        all
    });
    let failed: Vec<String> = results.iter().filter_map(|r| r.as_ref().err().map(|e| format!("{e:?}"))).collect();
    assert!(failed.is_empty(), "{} of {} units failed: {failed:?}", failed.len(), results.len());
    assert_eq!(probe.counts(), vec![2, FOLLOWERS as i32 + 1], "each unit once");
    assert!(probe.deadlocks() >= 1, "the server saw a deadlock");
}

/// Numbered one-way flags shared between the test and its units.
#[derive(Clone, Default)]
struct Flags(Arc<std::sync::Mutex<std::collections::HashSet<usize>>>);

impl Flags {
    fn raise(&self, n: usize) {
        self.0.lock().expect("flags").insert(n);
    }

    fn is_up(&self, n: usize) -> bool {
        self.0.lock().expect("flags").contains(&n)
    }

    /// Blocks (a unit, on its writer's thread) until flag `n`, at most 5 s.
    fn wait(&self, n: usize) {
        let since = Instant::now();
        while !self.is_up(n) && since.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    async fn wait_async(&self, n: usize) {
        let since = Instant::now();
        while !self.is_up(n) && since.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert!(self.is_up(n), "flag {n} never came up");
    }
}
