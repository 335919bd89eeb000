//! Group commit: a writer thread owns a write connection and folds every
//! write waiting in the queue into a single durable transaction. Each unit
//! runs in its own savepoint, so one refused claim rolls back alone; nobody
//! is answered before the shared COMMIT returns (SQLite synchronous=FULL,
//! PostgreSQL synchronous_commit). SQLite has one writer; PostgreSQL has
//! `Writes::pg_writers`, all taking from one queue, so a commit's fsync
//! serves many claims while the other writer fills its next batch.
//!
//! Two batches in flight (PostgreSQL's writers, or two service processes)
//! can deadlock on wallet rows. The server then fails one statement of one
//! unit; that unit's savepoint is rolled back (its writes undone, the locks
//! it took released) and its batch closes there: what ran before it commits
//! at once, releasing the locks the other batch waits for, and the units
//! after it go to the next batch. PostgreSQL checks a waiter for deadlock
//! once, after `deadlock_timeout`; a batch that went on after its victim
//! kept the other waiting and met it again, a deadlock per unit, until the
//! other's statement timed out. The victim runs again (its work is `Clone`
//! for that), up to `MAX_ATTEMPTS` times, alone: the writer waits until no
//! other batch of this process is in flight and holds the others back
//! meanwhile (`Gate`), so only another process can make it lose again.
//!
//! A writer whose connection broke (a restarted server, a failed COMMIT
//! that left no transaction state) opens a new one before its next batch.

use super::{write_transaction, AnyConnection, Error};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, RwLock};
use tokio::sync::oneshot;

/// Runs of one unit before its deadlock is answered as `unavailable`.
const MAX_ATTEMPTS: u32 = 5;

trait Unit: Send {
    /// Runs the unit in its own savepoint. False when the server picked it
    /// as a deadlock victim (its writes undone) and it may run again.
    fn run(&mut self, conn: &mut AnyConnection, deadlock: &Deadlock) -> bool;
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T, E, F> {
    work: Option<F>,
    attempts: u32,
    outcome: Option<Result<T, E>>,
    reply: oneshot::Sender<Result<T, E>>,
    span: tracing::Span,
}

/// A unit's own failure, or the database's while opening or closing the
/// unit's savepoint.
enum UnitError<E> {
    Work(E),
    Savepoint(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for UnitError<E> {
    fn from(error: diesel::result::Error) -> Self {
        UnitError::Savepoint(error)
    }
}

impl<T, E, F> Unit for Job<T, E, F>
where
    T: Send + 'static,
    E: From<Error> + Send + 'static,
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Clone + Send + 'static,
{
    fn run(&mut self, conn: &mut AnyConnection, deadlock: &Deadlock) -> bool {
        let _entered = self.span.enter();
        self.attempts += 1;
        // A spare copy only where a deadlock can make the unit run again.
        let work = match deadlock.possible && self.attempts < MAX_ATTEMPTS {
            true => self.work.clone(),
            false => self.work.take(),
        };
        let Some(work) = work else { return true };
        deadlock.clear();
        // A savepoint per unit: its failure undoes its own writes only.
        let outcome = conn.transaction(|c| {
            catch_unwind(AssertUnwindSafe(|| work(c)))
                .unwrap_or_else(|_| Err(Error::internal_msg("write unit panicked").into()))
                .map_err(UnitError::Work)
        });
        if outcome.is_err() && deadlock.seen() && self.attempts < MAX_ATTEMPTS {
            tracing::info!(attempt = self.attempts, "write unit was a deadlock victim; it runs again");
            return false;
        }
        self.outcome = Some(outcome.map_err(|error| match error {
            UnitError::Work(error) => error,
            UnitError::Savepoint(error) => Error::from(error).into(),
        }));
        true
    }

    fn finish(self: Box<Self>, committed: Result<(), String>) {
        let outcome = match (committed, self.outcome) {
            (Ok(()), Some(outcome)) => outcome,
            (Err(cause), _) => Err(Error::unavailable_msg(format!("commit failed: {cause}")).into()),
            (Ok(()), None) => Err(Error::internal_msg("write unit never ran").into()),
        };
        let _ = self.reply.send(outcome);
    }
}

/// Set by the connection when the server reports a deadlock (or a
/// serialization failure) on any statement; cleared before each unit.
struct Deadlock {
    seen: Arc<AtomicBool>,
    /// PostgreSQL; SQLite's one writer never deadlocks with another batch.
    possible: bool,
}

impl Deadlock {
    /// Watches `conn`, the writer's first connection.
    fn watching(conn: &mut AnyConnection) -> Self {
        let possible = matches!(conn, AnyConnection::Postgresql(_));
        let deadlock = Self { seen: Arc::default(), possible };
        deadlock.watch(conn);
        deadlock
    }

    fn clear(&self) {
        self.seen.store(false, Ordering::Relaxed);
    }

    fn seen(&self) -> bool {
        self.seen.load(Ordering::Relaxed)
    }

    /// Makes `conn` report its deadlocks here.
    fn watch(&self, conn: &mut AnyConnection) {
        let flag = self.seen.clone();
        let watcher = move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::FinishQuery { error: Some(error), .. } = event {
                if super::error::is_retryable(error) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        };
        conn.set_instrumentation(Box::new(watcher) as Box<dyn Instrumentation>);
    }
}

/// Opens a fresh write connection, configured as the pool's are.
pub(crate) type Reopen = Arc<dyn Fn() -> anyhow::Result<AnyConnection> + Send + Sync>;

type Inbox = Mutex<mpsc::Receiver<Box<dyn Unit>>>;

/// Batches in flight share it (read); deadlock victims running again hold
/// it alone (write), so no other batch of this process holds their rows.
type Gate = RwLock<()>;

pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Box<dyn Unit>>,
}

impl GroupWriter {
    /// One writer thread per connection, all taking from one queue: a free
    /// writer takes every unit waiting (up to `max_batch`) into its commit.
    pub(crate) fn start(
        conns: Vec<AnyConnection>,
        reopen: Reopen,
        max_batch: usize,
        clock: crate::clock::Clock,
    ) -> anyhow::Result<Self> {
        let (queue, inbox) = mpsc::channel::<Box<dyn Unit>>();
        let inbox = Arc::new(Mutex::new(inbox));
        let gate = Arc::new(Gate::default());
        for (n, conn) in conns.into_iter().enumerate() {
            let (inbox, gate, clock, reopen) = (inbox.clone(), gate.clone(), clock.clone(), reopen.clone());
            std::thread::Builder::new().name(format!("db-writer-{n}")).spawn(move || {
                crate::clock::install(&clock);
                write_loop(conn, &inbox, &gate, &reopen, max_batch.max(1));
            })?;
        }
        Ok(Self { queue })
    }

    pub(crate) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Clone + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job { work: Some(work), attempts: 0, outcome: None, reply, span: tracing::Span::current() };
        self.queue.send(Box::new(job)).map_err(|_| Error::unavailable_msg("writer stopped"))?;
        answer.await.map_err(|_| Error::unavailable_msg("writer dropped the unit"))?
    }
}

/// One writer: batches until the queue closes (the store was dropped) and
/// every unit carried over has run. Deadlock victims run again in a batch
/// of their own, with the gate held alone.
fn write_loop(mut conn: AnyConnection, inbox: &Inbox, gate: &Gate, reopen: &Reopen, max_batch: usize) {
    let deadlock = Deadlock::watching(&mut conn);
    let (mut victims, mut carried) = (Vec::new(), Vec::new());
    let mut outage = Outage::default();
    loop {
        let (batch, alone) = match victims.is_empty() {
            false => (std::mem::take(&mut victims), true),
            true => match take_batch(inbox, std::mem::take(&mut carried), max_batch) {
                Some(batch) => (batch, false),
                None => break,
            },
        };
        // The gate is taken after the batch: a writer idle on the queue holds nothing.
        let Batch { committed, again, unstarted } = match alone {
            true => {
                let _alone = gate.write().unwrap_or_else(|poisoned| poisoned.into_inner());
                commit_batch(&mut conn, batch, &deadlock)
            }
            false => {
                let _shared = gate.read().unwrap_or_else(|poisoned| poisoned.into_inner());
                commit_batch(&mut conn, batch, &deadlock)
            }
        };
        victims = again;
        if committed.is_ok() {
            // Closed early at a deadlock: the rest run in the next batch.
            carried.extend(unstarted);
            continue;
        }
        if is_broken(&mut conn) {
            if let Some(mut fresh) = reconnect(reopen, &mut outage) {
                deadlock.watch(&mut fresh);
                conn = fresh;
                // Nothing of theirs reached the server: they run on the new connection.
                carried.extend(unstarted);
                continue;
            }
        }
        for unit in unstarted {
            unit.finish(committed.clone());
        }
    }
}

/// The units carried over from the last batch, then every unit waiting
/// (waiting for one when nothing was carried); None once the queue is
/// closed and nothing is carried. A writer with carried units never waits
/// for the queue: another writer may be holding it, idle, until a new unit
/// comes.
fn take_batch(inbox: &Inbox, mut batch: Vec<Box<dyn Unit>>, max_batch: usize) -> Option<Vec<Box<dyn Unit>>> {
    let inbox = match batch.is_empty() {
        true => inbox.lock().unwrap_or_else(|poisoned| poisoned.into_inner()),
        false => match inbox.try_lock() {
            Ok(inbox) => inbox,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return Some(batch),
        },
    };
    if batch.is_empty() {
        batch.push(inbox.recv().ok()?);
    }
    while batch.len() < max_batch {
        match inbox.try_recv() {
            Ok(unit) => batch.push(unit),
            Err(_) => break,
        }
    }
    Some(batch)
}

/// True when the connection cannot take another transaction.
fn is_broken(conn: &mut AnyConnection) -> bool {
    use diesel::connection::{SimpleConnection, TransactionManager};
    <AnyConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
        || conn.batch_execute("SELECT 1").is_err()
}

/// An outage as one writer sees it: when it last tried to reconnect, and
/// whether that failed (logged once per outage, not once per batch).
#[derive(Default)]
struct Outage {
    last_attempt: Option<std::time::Instant>,
    failing: bool,
}

/// Reconnect attempts while the database is away, at most this often; the
/// batches in between are answered unavailable at once.
const RECONNECT_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// A new connection for a broken one, or None while the database stays out
/// of reach: then the batch is answered 503 at once (its units never
/// reached the server), so no request waits on a string of attempts.
fn reconnect(reopen: &Reopen, outage: &mut Outage) -> Option<AnyConnection> {
    if outage.failing && outage.last_attempt.is_some_and(|at| at.elapsed() < RECONNECT_EVERY) {
        return None;
    }
    outage.last_attempt = Some(std::time::Instant::now());
    match reopen() {
        Ok(fresh) => {
            tracing::warn!("write connection reopened");
            outage.failing = false;
            Some(fresh)
        }
        Err(error) => {
            if !std::mem::replace(&mut outage.failing, true) {
                let error = format!("{error:#}").split_whitespace().collect::<Vec<_>>().join(" ");
                tracing::error!(%error, "write connection cannot be reopened; retrying");
            }
            None
        }
    }
}

/// What became of a batch's units.
struct Batch {
    /// The commit's result, told to every unit that ran.
    committed: Result<(), String>,
    /// Deadlock victims, to run again in a batch of their own.
    again: Vec<Box<dyn Unit>>,
    /// Units that never ran: the transaction could not begin, or the batch
    /// closed early at a deadlock.
    unstarted: Vec<Box<dyn Unit>>,
}

/// Commits one batch and answers each unit that ran. A deadlock victim
/// closes the batch: the units after it wait for the next one, because
/// the other batch of the deadlock is still waiting for this one's locks,
/// and each further unit that met it would cost another deadlock timeout.
fn commit_batch(conn: &mut AnyConnection, batch: Vec<Box<dyn Unit>>, deadlock: &Deadlock) -> Batch {
    let (mut ran, mut again) = (Vec::with_capacity(batch.len()), Vec::new());
    let mut waiting = std::collections::VecDeque::from(batch);
    let committed = write_transaction(conn, |c| {
        while let Some(mut unit) = waiting.pop_front() {
            if !unit.run(c, deadlock) {
                again.push(unit);
                break;
            }
            ran.push(unit);
        }
        Ok::<(), Error>(())
    })
    .map_err(|e| format!("{e:?}"));
    match &committed {
        // Units ran and their commit failed: each is answered with it.
        Err(cause) if !ran.is_empty() => {
            tracing::error!(%cause, units = ran.len(), unstarted = waiting.len(), "group commit failed")
        }
        // The transaction could not begin (the connection is gone): the
        // reconnect logs the outage once.
        Err(cause) => tracing::debug!(%cause, unstarted = waiting.len(), "group commit could not begin"),
        Ok(()) => {}
    }
    for unit in ran {
        unit.finish(committed.clone());
    }
    Batch { committed, again, unstarted: waiting.into() }
}
