//! The HTTP endpoints a cluster operator expects from a long-running watcher: `/metrics` for
//! Prometheus, `/healthz` for liveness, `/readyz` for readiness.
//!
//! Readiness means "the findings this process reports are current": not before the baseline
//! evaluation, and not while a watch is stale, because then a resolved or new problem may be
//! going unnoticed. Liveness only means the process answers; restarting a watcher because its
//! API server is unreachable would not bring the API server back.

use std::collections::BTreeSet;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::metrics::Metrics;

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the watch loop tells the readiness probe; clones share it.
#[derive(Clone, Debug)]
pub struct Health {
    ready: Arc<AtomicBool>,
    stale: Arc<Mutex<BTreeSet<String>>>,
    metrics: Metrics,
}

impl Health {
    /// Also drives `palisade_watch_stale`, so the probe and the metric cannot disagree.
    pub fn new(metrics: &Metrics) -> Self {
        Health {
            ready: Arc::new(AtomicBool::new(false)),
            stale: Arc::default(),
            metrics: metrics.clone(),
        }
    }

    /// True once the baseline evaluation is done.
    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    /// `resource` is the name used for the per-resource metrics, e.g. `deployments.apps`.
    pub fn set_stale(&self, resource: &str, stale: bool) {
        let mut set = self.stale.lock().unwrap_or_else(PoisonError::into_inner);
        if stale {
            set.insert(resource.to_owned());
        } else {
            set.remove(resource);
        }
        self.metrics.set_stale(resource, stale);
    }

    fn readiness(&self) -> Result<(), String> {
        if !self.ready.load(Ordering::Acquire) {
            return Err("baseline evaluation not finished".to_owned());
        }
        let stale = self.stale.lock().unwrap_or_else(PoisonError::into_inner);
        if stale.is_empty() {
            Ok(())
        } else {
            let names: Vec<&str> = stale.iter().map(String::as_str).collect();
            Err(format!("stale watches: {}", names.join(", ")))
        }
    }
}

#[derive(Clone)]
struct AppState {
    metrics: Metrics,
    health: Health,
}

/// A running server. Dropping it stops the server too, without waiting for requests in flight.
pub struct Server {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<io::Result<()>>,
}

impl Server {
    /// The bound address, useful when `serve` was given port 0.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting connections and waits for requests in flight to finish.
    pub async fn shutdown(self) -> io::Result<()> {
        // The server may already have stopped on its own; then there is nobody to tell.
        let _ = self.stop.send(());
        self.task.await.map_err(io::Error::other)?
    }
}

/// Binds `addr` and serves the endpoints in the background of the current Tokio runtime.
pub async fn serve(addr: SocketAddr, metrics: Metrics, health: Health) -> io::Result<Server> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local_addr = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics_text))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(ready))
        .with_state(AppState { metrics, health });
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(Server {
        local_addr,
        stop,
        task,
    })
}

async fn metrics_text(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, OPENMETRICS)],
        state.metrics.encode(),
    )
}

async fn ready(State(state): State<AppState>) -> (StatusCode, String) {
    match state.health.readiness() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
    }
}
