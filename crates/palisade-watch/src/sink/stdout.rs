//! JSON lines: one event per line, the shape `docs/watch-events.md` describes.

use std::io::Write;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::event::FindingEvent;
use crate::metrics::SinkCounters;

/// Writes on a blocking thread: a slow reader at the other end of a pipe stalls this worker
/// (and, once its queue is full, drops events) but never the runtime's threads.
pub(super) fn spawn(
    mut queue: mpsc::Receiver<Arc<FindingEvent>>,
    mut out: impl Write + Send + 'static,
    counters: SinkCounters,
) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let mut line = Vec::new();
        while let Some(event) = queue.blocking_recv() {
            line.clear();
            // Each line goes out whole and at once, so a reader never sees half an event.
            let written = serde_json::to_writer(&mut line, &*event)
                .map_err(std::io::Error::from)
                .and_then(|()| {
                    line.push(b'\n');
                    out.write_all(&line)?;
                    out.flush()
                });
            match written {
                Ok(()) => {
                    counters.delivered.inc();
                }
                Err(e) => {
                    counters.errors.inc();
                    tracing::warn!(error = %e, "cannot write a finding event to stdout");
                }
            }
        }
    })
}
