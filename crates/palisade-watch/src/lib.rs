//! `palisade watch`: continuous monitoring of a live cluster.
//!
//! The watch loop re-evaluates objects as they change and turns the difference into
//! [`FindingEvent`]s; this crate carries them out of the process (sinks), exports what the loop
//! is doing (metrics) and answers the orchestrator's probes (server).

pub mod event;
pub mod metrics;
pub mod monitor;
pub mod server;
pub mod sink;
mod state;

pub use event::{Change, FindingEvent};
pub use metrics::{EvaluationScope, Metrics};
pub use monitor::{Outputs, WatchConfig, watch_cluster};
pub use server::{Health, Server, serve};
pub use sink::{RetryPolicy, SinkConfig, SinkError, SinkKind, SinkSet};
