//! The watch loop: one kube-runtime watcher per listed collection, all feeding one loop that
//! keeps a [`State`] current and turns each batch of changes into events.
//!
//! - The first complete list of every collection is the baseline: judged, never alerted, so a
//!   restart does not re-announce what was already open.
//! - A collection the cluster refuses (403) is recorded as unavailable; the controls that read
//!   it report "not evaluated" instead of guessing, and it keeps being retried.
//! - A lost watch marks its collection stale (`/readyz` fails and names it) until the API
//!   answers again; the watcher reconnects with backoff and re-lists after 410 Gone, and a
//!   re-list is reconciled object by object, so nothing is missed and nothing re-alerted.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream::BoxStream};
use kube::api::{Api, DynamicObject};
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use palisade_cluster::{Cluster, CollectOptions, ListedKind, convert};
use palisade_core::{Resource, ResourceId, Unavailable};
use palisade_engine::Plan;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::metrics::{EvaluationScope, Metrics};
use crate::server::Health;
use crate::sink::SinkSet;
use crate::state::State;

/// One watched collection: a kind, cluster-wide or in one namespace.
struct Collection {
    kind: ListedKind,
    namespace: Option<String>,
    /// How metrics and logs name it, e.g. `deployments.apps` or `pods/shop`.
    label: String,
}

impl Collection {
    fn unavailable(&self, reason: String) -> Unavailable {
        let ar = &self.kind.resource;
        Unavailable {
            group: ar.group.clone(),
            version: ar.version.clone(),
            kind: ar.kind.clone(),
            resource: ar.plural.clone(),
            namespace: self.namespace.clone(),
            reason,
        }
    }
}

struct Message {
    collection: usize,
    item: Result<Event<Value>, watcher::Error>,
    received: Instant,
}

fn collections(cluster: &Cluster, options: &CollectOptions) -> Vec<Collection> {
    let mut out = Vec::new();
    for kind in &cluster.kinds {
        let ar = &kind.resource;
        let base = if ar.group.is_empty() {
            ar.plural.clone()
        } else {
            format!("{}.{}", ar.plural, ar.group)
        };
        if kind.namespaced && !options.namespaces.is_empty() {
            for ns in &options.namespaces {
                out.push(Collection {
                    kind: kind.clone(),
                    namespace: Some(ns.clone()),
                    label: format!("{base}/{ns}"),
                });
            }
        } else {
            out.push(Collection {
                kind: kind.clone(),
                namespace: None,
                label: base,
            });
        }
    }
    out
}

fn to_json<K: serde::Serialize>(event: Event<K>) -> Event<Value> {
    let json = |k: K| serde_json::to_value(k).unwrap_or(Value::Null);
    match event {
        Event::Apply(k) => Event::Apply(json(k)),
        Event::Delete(k) => Event::Delete(json(k)),
        Event::Init => Event::Init,
        Event::InitApply(k) => Event::InitApply(json(k)),
        Event::InitDone => Event::InitDone,
    }
}

fn watch_stream(
    cluster: &Cluster,
    collection: &Collection,
) -> BoxStream<'static, Result<Event<Value>, watcher::Error>> {
    fn api<K>(cluster: &Cluster, collection: &Collection) -> Api<K>
    where
        K: kube::Resource<
                DynamicType = kube::core::ApiResource,
                Scope = kube::core::DynamicResourceScope,
            >,
    {
        let ar = &collection.kind.resource;
        match &collection.namespace {
            Some(ns) => Api::namespaced_with(cluster.client.clone(), ns, ar),
            None => Api::all_with(cluster.client.clone(), ar),
        }
    }
    let config = watcher::Config::default().page_size(500);
    if collection.kind.metadata_only {
        // An `Api` of `PartialObjectMeta` lists and watches with metadata-only requests.
        let api: Api<PartialObjectMeta<DynamicObject>> = api(cluster, collection);
        watcher::watcher(api, config)
            .default_backoff()
            .map(|r| r.map(to_json))
            .boxed()
    } else {
        let api: Api<DynamicObject> = api(cluster, collection);
        watcher::watcher(api, config)
            .default_backoff()
            .map(|r| r.map(to_json))
            .boxed()
    }
}

/// Tunables of the loop.
#[derive(Clone, Debug)]
pub struct WatchConfig {
    pub collect: CollectOptions,
    /// Changes arriving this close together are judged as one batch.
    pub batch_window: Duration,
    /// How often a stale cluster is probed to see whether it answers again.
    pub probe_interval: Duration,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            collect: CollectOptions::default(),
            batch_window: Duration::from_millis(5),
            probe_interval: Duration::from_secs(2),
        }
    }
}

/// Everything the loop reports to.
#[derive(Clone)]
pub struct Outputs {
    pub sinks: Arc<SinkSet>,
    pub metrics: Metrics,
    pub health: Health,
}

/// Where the loop is with each collection.
struct Progress {
    /// Objects received since the collection's list (re)started, until it is complete.
    listing: Vec<Option<Vec<Resource>>>,
    /// Whether the collection's first list completed (or was refused).
    listed: Vec<bool>,
    refused: HashMap<usize, Unavailable>,
    stale: HashSet<usize>,
}

struct Loop<'a> {
    cluster: &'a Cluster,
    plan: Plan,
    config: WatchConfig,
    outputs: Outputs,
    collections: Vec<Collection>,
    state: State,
    progress: Progress,
    /// Objects changed since the last evaluation, and when the oldest change arrived.
    changed: Vec<ResourceId>,
    oldest_change: Option<Instant>,
}

impl Loop<'_> {
    fn resource(&self, collection: usize, object: Value) -> Option<Resource> {
        let c = &self.collections[collection];
        let ar = &c.kind.resource;
        let mut resource =
            convert::resource(object, &ar.api_version, &ar.kind, &self.cluster.name)?;
        if self
            .config
            .collect
            .excluded(resource.id.namespace.as_deref())
        {
            return None;
        }
        resource.origin.context_only = !self.config.collect.judged(&resource, c.kind.namespaced);
        Some(resource)
    }

    fn mark_changed(&mut self, id: ResourceId, received: Instant) {
        self.changed.push(id);
        self.oldest_change.get_or_insert(received);
    }

    fn handle(&mut self, message: Message) {
        let Message {
            collection,
            item,
            received,
        } = message;
        let label = self.collections[collection].label.clone();
        let event = match item {
            Ok(event) => event,
            Err(error) => return self.handle_error(collection, &label, error),
        };
        if self.progress.stale.remove(&collection) {
            self.outputs.health.set_stale(&label, false);
        }
        self.outputs
            .metrics
            .set_last_event(&label, jiff::Timestamp::now());
        match event {
            Event::Init => self.progress.listing[collection] = Some(Vec::new()),
            Event::InitApply(object) => {
                if let Some(resource) = self.resource(collection, object) {
                    self.progress.listing[collection]
                        .get_or_insert_with(Vec::new)
                        .push(resource);
                }
            }
            Event::InitDone => {
                let listed = self.progress.listing[collection].take().unwrap_or_default();
                self.reconcile(collection, listed, received);
                self.progress.listed[collection] = true;
                if self.progress.refused.remove(&collection).is_some() {
                    self.state
                        .set_unavailable(self.progress.refused.values().cloned().collect());
                }
            }
            Event::Apply(object) => {
                if let Some(resource) = self.resource(collection, object) {
                    let id = resource.id.clone();
                    if self.state.apply(resource) {
                        self.mark_changed(id, received);
                    }
                }
            }
            Event::Delete(object) => {
                if let Some(resource) = self.resource(collection, object)
                    && self.state.delete(&resource.id)
                {
                    self.mark_changed(resource.id, received);
                }
            }
        }
    }

    /// Brings the state in line with a complete (re-)list of one collection.
    fn reconcile(&mut self, collection: usize, listed: Vec<Resource>, received: Instant) {
        let c = &self.collections[collection];
        let ids: HashSet<ResourceId> = listed.iter().map(|r| r.id.clone()).collect();
        let gone = self.state.missing_after_relist(
            &c.kind.resource.api_version,
            &c.kind.resource.kind,
            c.namespace.as_deref(),
            &ids,
        );
        for resource in listed {
            let id = resource.id.clone();
            if self.state.apply(resource) {
                self.mark_changed(id, received);
            }
        }
        for id in gone {
            if self.state.delete(&id) {
                self.mark_changed(id, received);
            }
        }
    }

    fn handle_error(&mut self, collection: usize, label: &str, error: watcher::Error) {
        let refused = match &error {
            watcher::Error::InitialListFailed(kube::Error::Api(status))
            | watcher::Error::WatchStartFailed(kube::Error::Api(status))
                if status.code == 403 || status.code == 401 =>
            {
                Some(format!(
                    "{} {}: {}",
                    status.code, status.reason, status.message
                ))
            }
            _ => None,
        };
        match refused {
            Some(reason) if !self.progress.listed[collection] => {
                if !self.progress.refused.contains_key(&collection) {
                    tracing::warn!(collection = label, %reason, "cannot watch; its readers are not evaluated");
                    let gap = self.collections[collection].unavailable(reason);
                    self.progress.refused.insert(collection, gap);
                    self.state
                        .set_unavailable(self.progress.refused.values().cloned().collect());
                }
                // Refused counts as done for the baseline; the watcher keeps retrying.
                self.progress.listed[collection] = true;
            }
            _ => {
                if self.progress.stale.insert(collection) {
                    tracing::warn!(collection = label, %error, "watch lost; stale until the API answers");
                    self.outputs.health.set_stale(label, true);
                }
            }
        }
    }

    fn baseline(&mut self) {
        let started = Instant::now();
        let findings = self.state.baseline(&self.plan);
        let elapsed = started.elapsed();
        self.outputs
            .metrics
            .observe_evaluation(EvaluationScope::Full, elapsed);
        self.outputs
            .metrics
            .set_findings(self.state.open_findings());
        self.report_resources();
        self.outputs.health.set_ready(true);
        self.changed.clear();
        self.oldest_change = None;
        tracing::info!(
            cluster = %self.cluster.name,
            resources = self.state.resources().len(),
            findings,
            millis = elapsed.as_millis() as u64,
            "baseline evaluated; watching for changes"
        );
        eprintln!(
            "palisade watch: {}: baseline of {} findings in {} objects ({} ms); watching",
            self.cluster.name,
            findings,
            self.state.resources().len(),
            elapsed.as_millis()
        );
    }

    fn report_resources(&self) {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        for r in self.state.resources() {
            *counts.entry(r.id.kind.as_str()).or_default() += 1;
        }
        for (kind, count) in counts {
            self.outputs.metrics.set_resources(kind, count);
        }
    }

    fn evaluate_changes(&mut self) {
        if self.changed.is_empty() {
            return;
        }
        let changed = std::mem::take(&mut self.changed);
        let started = Instant::now();
        let events = self.state.reevaluate(&self.plan, &changed);
        for event in &events {
            self.outputs.metrics.apply(event);
            self.outputs.sinks.dispatch(event);
        }
        self.outputs
            .metrics
            .observe_evaluation(EvaluationScope::Incremental, started.elapsed());
        if let Some(oldest) = self.oldest_change.take() {
            let lag = oldest.elapsed();
            let mut labels: Vec<String> = changed
                .iter()
                .map(|id| id.kind.to_ascii_lowercase())
                .collect();
            labels.dedup();
            for label in labels {
                self.outputs.metrics.set_watch_lag(&label, lag);
            }
        }
    }
}

/// Watches one cluster until `shutdown` turns true (or its sender is dropped).
pub async fn watch_cluster(
    cluster: Cluster,
    plan: Plan,
    config: WatchConfig,
    outputs: Outputs,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Result<(), String> {
    let collections = collections(&cluster, &config.collect);
    let (tx, mut rx) = mpsc::channel::<Message>(4096);
    let mut tasks = Vec::new();
    for (index, collection) in collections.iter().enumerate() {
        let mut stream = watch_stream(&cluster, collection);
        let tx = tx.clone();
        tasks.push(tokio::spawn(async move {
            while let Some(item) = stream.next().await {
                let message = Message {
                    collection: index,
                    item,
                    received: Instant::now(),
                };
                if tx.send(message).await.is_err() {
                    break;
                }
            }
        }));
    }
    drop(tx);
    let count = collections.len();
    let mut run = Loop {
        cluster: &cluster,
        plan,
        config,
        outputs,
        collections,
        state: State::new(cluster.name.clone()),
        progress: Progress {
            listing: (0..count).map(|_| None).collect(),
            listed: vec![false; count],
            refused: HashMap::new(),
            stale: HashSet::new(),
        },
        changed: Vec::new(),
        oldest_change: None,
    };
    let mut baselined = false;
    let mut probe = tokio::time::interval(run.config.probe_interval);
    loop {
        tokio::select! {
            message = rx.recv() => {
                let Some(message) = message else { break };
                run.handle(message);
                // Take whatever else arrives within the batch window.
                let deadline = tokio::time::Instant::now() + run.config.batch_window;
                while let Ok(Some(message)) = tokio::time::timeout_at(deadline, rx.recv()).await {
                    run.handle(message);
                }
            }
            _ = probe.tick() => {
                if !run.progress.stale.is_empty() && run.cluster.client.apiserver_version().await.is_ok() {
                    for collection in std::mem::take(&mut run.progress.stale) {
                        run.outputs.health.set_stale(&run.collections[collection].label, false);
                    }
                }
                continue;
            }
            changed = shutdown.changed() => {
                if changed.is_err() || *shutdown.borrow() { break }
                continue;
            }
        }
        if !baselined {
            if run.progress.listed.iter().all(|&l| l) {
                run.baseline();
                baselined = true;
            }
            continue;
        }
        run.evaluate_changes();
    }
    for task in tasks {
        task.abort();
    }
    Ok(())
}
