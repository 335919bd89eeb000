//! Supervision of background work: a panic in one unit
//! (one outbox row, one reconciliation lookup, one sweep) is caught and
//! logged with what it was working on, and the loop goes on; a worker loop
//! that still ends is started again.

use futures_util::FutureExt;
use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

/// Runs `unit`; a panic becomes `Err` with its message.
pub(crate) async fn catch<T>(unit: impl Future<Output = T>) -> Result<T, String> {
    AssertUnwindSafe(unit).catch_unwind().await.map_err(|panic| message(&*panic))
}

/// The text of a panic payload.
fn message(panic: &(dyn Any + Send)) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "panic without a message".to_string()
    }
}

/// Spawns `worker` and restarts it (after `pause`) whenever it ends, by a
/// panic or otherwise.
pub(crate) fn keep_running<W, Fut>(name: &'static str, state: Arc<super::Platform>, pause: Duration, worker: W)
where
    W: Fn(Arc<super::Platform>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            match tokio::spawn(worker(state.clone())).await {
                Err(error) if error.is_panic() => {
                    let text = message(&*error.into_panic());
                    tracing::error!(worker = name, panic = %text, "background worker panicked; restarting it");
                }
                Err(error) => tracing::error!(worker = name, %error, "background worker stopped; restarting it"),
                Ok(()) => tracing::warn!(worker = name, "background worker ended; restarting it"),
            }
            tokio::time::sleep(pause).await;
        }
    });
}
