//! Group commit for SQLite: one writer thread owns the write connection and
//! folds every write waiting in its queue into a single durable transaction.
//! Each unit runs in its own savepoint, so one refused claim rolls back alone;
//! nobody is answered before the shared COMMIT (synchronous=FULL) returns.

use super::{write_transaction, AnyConnection, Error};
use diesel::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use tokio::sync::oneshot;

trait Unit: Send {
    fn run(&mut self, conn: &mut AnyConnection);
    fn finish(self: Box<Self>, committed: Result<(), String>);
}

struct Job<T, E, F> {
    work: Option<F>,
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
    F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
{
    fn run(&mut self, conn: &mut AnyConnection) {
        let _entered = self.span.enter();
        let Some(work) = self.work.take() else { return };
        // A savepoint per unit: its failure undoes its own writes only.
        let outcome = conn.transaction(|c| {
            catch_unwind(AssertUnwindSafe(|| work(c)))
                .unwrap_or_else(|_| Err(Error::internal_msg("write unit panicked").into()))
                .map_err(UnitError::Work)
        });
        self.outcome = Some(outcome.map_err(|error| match error {
            UnitError::Work(error) => error,
            UnitError::Savepoint(error) => Error::from(error).into(),
        }));
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

pub(crate) struct GroupWriter {
    queue: mpsc::Sender<Box<dyn Unit>>,
}

impl GroupWriter {
    pub(crate) fn start(mut conn: AnyConnection, max_batch: usize, clock: crate::clock::Clock) -> anyhow::Result<Self> {
        let (queue, inbox) = mpsc::channel::<Box<dyn Unit>>();
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || {
            crate::clock::install(&clock);
            while let Ok(first) = inbox.recv() {
                let mut batch = vec![first];
                while batch.len() < max_batch.max(1) {
                    match inbox.try_recv() {
                        Ok(unit) => batch.push(unit),
                        Err(_) => break,
                    }
                }
                commit_batch(&mut conn, batch);
            }
        })?;
        Ok(Self { queue })
    }

    pub(crate) async fn submit<T, E, F>(&self, work: F) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<Error> + Send + 'static,
        F: FnOnce(&mut AnyConnection) -> Result<T, E> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Job { work: Some(work), outcome: None, reply, span: tracing::Span::current() };
        self.queue.send(Box::new(job)).map_err(|_| Error::unavailable_msg("writer stopped"))?;
        answer.await.map_err(|_| Error::unavailable_msg("writer dropped the unit"))?
    }
}

fn commit_batch(conn: &mut AnyConnection, mut batch: Vec<Box<dyn Unit>>) {
    let committed = write_transaction(conn, |c| {
        for unit in batch.iter_mut() {
            unit.run(c);
        }
        Ok::<(), Error>(())
    })
    .map_err(|e| format!("{e:?}"));
    if let Err(cause) = &committed {
        tracing::error!(%cause, units = batch.len(), "group commit failed");
    }
    for unit in batch {
        unit.finish(committed.clone());
    }
}
