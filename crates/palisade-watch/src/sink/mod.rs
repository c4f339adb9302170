//! Where finding events go: stdout, generic webhooks, Slack.
//!
//! The watch loop must stay fast whatever the receivers do, so [`SinkSet::dispatch`] never
//! waits: each sink has a bounded queue drained by its own worker, and an event that finds the
//! queue full is dropped and counted (`palisade_sink_dropped_total`) rather than slowing
//! evaluation down. Filtering (severity threshold) and duplicate suppression happen before
//! queueing, so neither costs queue space.

mod gate;
mod http;
mod slack;
mod stdout;
mod webhook;

use std::fmt;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use palisade_core::Severity;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::event::FindingEvent;
use crate::metrics::{Metrics, SinkCounters};
use gate::Gate;

#[derive(Clone)]
pub enum SinkKind {
    /// JSON lines on standard output, for piping into `jq`, a log shipper or a file.
    Stdout,
    /// The event JSON (see `docs/watch-events.md`) POSTed to a URL.
    Webhook { url: String },
    /// A Slack-compatible incoming webhook.
    Slack { url: String },
}

impl SinkKind {
    fn default_name(&self) -> &'static str {
        match self {
            SinkKind::Stdout => "stdout",
            SinkKind::Webhook { .. } => "webhook",
            SinkKind::Slack { .. } => "slack",
        }
    }
}

/// Webhook URLs are often credentials (Slack's are), so debug output names only the host.
impl fmt::Debug for SinkKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkKind::Stdout => f.write_str("Stdout"),
            SinkKind::Webhook { url } | SinkKind::Slack { url } => {
                let host = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
                    .unwrap_or_default();
                f.debug_struct(if matches!(self, SinkKind::Slack { .. }) {
                    "Slack"
                } else {
                    "Webhook"
                })
                .field("host", &host)
                .finish_non_exhaustive()
            }
        }
    }
}

/// How hard an HTTP sink tries before giving an event up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The delay before the first retry; each further retry doubles it, up to `max_delay`,
    /// with jitter so many watchers recovering together do not retry in step.
    pub initial_delay: Duration,
    /// Also caps the wait a receiver asks for with `Retry-After`.
    pub max_delay: Duration,
    /// Connecting, sending and reading the response of one attempt.
    pub attempt_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            attempt_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SinkConfig {
    /// The `sink` label of this sink's metrics; unique within a [`SinkSet`].
    pub name: String,
    pub kind: SinkKind,
    /// Events about findings less severe than this are not sent. A resolution is sent when
    /// the resolved finding meets it; a change when the finding meets it now or did before.
    pub min_severity: Severity,
    pub queue_capacity: usize,
    pub retry: RetryPolicy,
}

impl SinkConfig {
    /// Named after its kind, every severity, 1024 queued events, the default retry policy.
    pub fn new(kind: SinkKind) -> Self {
        SinkConfig {
            name: kind.default_name().to_owned(),
            kind,
            min_severity: Severity::Info,
            queue_capacity: 1024,
            retry: RetryPolicy::default(),
        }
    }
}

#[derive(Debug)]
pub enum SinkError {
    DuplicateName(String),
    /// Two sinks writing the same stream would print every event twice.
    SecondStdout,
    ZeroCapacity(String),
    ZeroAttempts(String),
    /// The URL does not parse or is not http(s); the URL itself is withheld, as it may be a
    /// credential.
    InvalidUrl {
        sink: String,
        reason: String,
    },
    Client(reqwest::Error),
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SinkError::DuplicateName(name) => write!(f, "two sinks are named `{name}`"),
            SinkError::SecondStdout => f.write_str("only one sink can write to stdout"),
            SinkError::ZeroCapacity(name) => {
                write!(f, "sink `{name}`: the queue capacity must be at least 1")
            }
            SinkError::ZeroAttempts(name) => {
                write!(f, "sink `{name}`: at least one delivery attempt is needed")
            }
            SinkError::InvalidUrl { sink, reason } => {
                write!(f, "sink `{sink}`: invalid URL: {reason}")
            }
            SinkError::Client(e) => write!(f, "cannot build the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for SinkError {}

type Queue = mpsc::Sender<Arc<FindingEvent>>;

struct Sink {
    gate: Gate,
    queue: Queue,
    counters: SinkCounters,
    worker: JoinHandle<()>,
}

/// Every configured sink, fed by the watch loop.
pub struct SinkSet {
    sinks: Vec<Sink>,
    metrics: Metrics,
}

impl SinkSet {
    /// Starts one worker per sink; must be called within a Tokio runtime.
    pub fn new(configs: Vec<SinkConfig>, metrics: &Metrics) -> Result<SinkSet, SinkError> {
        Self::with_stdout(configs, metrics, std::io::stdout())
    }

    /// As [`SinkSet::new`], with the stdout sink writing to `out` instead.
    pub fn with_stdout(
        configs: Vec<SinkConfig>,
        metrics: &Metrics,
        out: impl Write + Send + 'static,
    ) -> Result<SinkSet, SinkError> {
        let mut names = std::collections::HashSet::new();
        if configs
            .iter()
            .filter(|c| matches!(c.kind, SinkKind::Stdout))
            .count()
            > 1
        {
            return Err(SinkError::SecondStdout);
        }
        for config in &configs {
            if !names.insert(config.name.as_str()) {
                return Err(SinkError::DuplicateName(config.name.clone()));
            }
            if config.queue_capacity == 0 {
                return Err(SinkError::ZeroCapacity(config.name.clone()));
            }
            if config.retry.max_attempts == 0 {
                return Err(SinkError::ZeroAttempts(config.name.clone()));
            }
        }
        // Every URL is checked before any worker starts.
        let mut planned = Vec::with_capacity(configs.len());
        for config in configs {
            let http = match &config.kind {
                SinkKind::Stdout => None,
                SinkKind::Webhook { url } => Some((
                    http::parse_url(&config.name, url)?,
                    webhook::body as http::Format,
                )),
                SinkKind::Slack { url } => Some((
                    http::parse_url(&config.name, url)?,
                    slack::body as http::Format,
                )),
            };
            planned.push((config, http));
        }
        let client = if planned.iter().any(|(_, http)| http.is_some()) {
            Some(http::client()?)
        } else {
            None
        };
        let mut out = Some(out);
        let mut sinks = Vec::with_capacity(planned.len());
        for (config, http) in planned {
            let counters = metrics.sink_counters(&config.name);
            let (queue, rx) = mpsc::channel(config.queue_capacity);
            let worker = match http {
                None => {
                    let out = out.take().expect("checked: at most one stdout sink");
                    stdout::spawn(rx, out, counters.clone())
                }
                Some((url, format)) => http::spawn(
                    rx,
                    http::Target {
                        client: client.clone().expect("built when an HTTP sink exists"),
                        url,
                        format,
                        policy: config.retry,
                        counters: counters.clone(),
                        sink: config.name,
                    },
                ),
            };
            sinks.push(Sink {
                gate: Gate::new(config.min_severity),
                queue,
                counters,
                worker,
            });
        }
        Ok(SinkSet {
            sinks,
            metrics: metrics.clone(),
        })
    }

    /// Hands the event to every sink that wants it, without waiting for any of them, and
    /// counts it in `palisade_events_total`.
    pub fn dispatch(&self, event: &FindingEvent) {
        self.metrics.count_event(event.change);
        // One copy of the event, shared by every queue that takes it.
        let mut shared: Option<Arc<FindingEvent>> = None;
        for sink in &self.sinks {
            sink.gate.offer(event, |event| {
                let queued = shared
                    .get_or_insert_with(|| Arc::new(event.clone()))
                    .clone();
                let accepted = sink.queue.try_send(queued).is_ok();
                if !accepted {
                    sink.counters.dropped.inc();
                }
                accepted
            });
        }
    }

    /// Stops taking events and gives the workers up to `timeout` to deliver what is queued.
    /// Returns whether every queue was drained in time; HTTP deliveries still going on after
    /// that are abandoned.
    pub async fn shutdown(self, timeout: Duration) -> bool {
        let mut workers: Vec<JoinHandle<()>> = self
            .sinks
            .into_iter()
            .map(|sink| {
                // Dropping the sender closes the queue; the worker ends once it is empty.
                drop(sink.queue);
                sink.worker
            })
            .collect();
        let drained = tokio::time::timeout(timeout, async {
            for worker in &mut workers {
                // A worker that panicked has nothing left to flush.
                let _ = worker.await;
            }
        })
        .await
        .is_ok();
        for worker in workers {
            worker.abort();
        }
        drained
    }
}
