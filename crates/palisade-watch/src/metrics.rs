//! Prometheus metrics of a running watch.
//!
//! One [`Metrics`] is shared (cheaply cloned) by the watch loop, the sinks and the HTTP server.
//! The open-findings gauge is kept as plain counts and written out at scrape time, so that a
//! finding opening or closing costs one map update however many findings the cluster has, a
//! label set that drops to zero disappears instead of lingering, and a re-baseline replaces the
//! whole table at once rather than letting a scrape see it half rebuilt.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use palisade_core::{Finding, Severity};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};

use crate::event::{Change, FindingEvent};

/// Which evaluation a duration measures: the whole inventory (start, re-list) or the objects
/// one change touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvaluationScope {
    Full,
    Incremental,
}

impl EvaluationScope {
    fn as_str(self) -> &'static str {
        match self {
            EvaluationScope::Full => "full",
            EvaluationScope::Incremental => "incremental",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ScopeLabels {
    scope: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
pub(crate) struct ResourceLabels {
    resource: String,
}

impl ResourceLabels {
    pub(crate) fn new(resource: &str) -> Self {
        ResourceLabels {
            resource: resource.to_owned(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ChangeLabels {
    change: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SinkLabels {
    sink: String,
}

type FloatGauge = Gauge<f64, AtomicU64>;

/// Open findings by namespace, then by (control, severity). Cluster-scoped objects count under
/// the empty namespace, which Prometheus reads as "no namespace label". Sorted maps keep the
/// exposition in a stable order.
type FindingCounts = BTreeMap<String, BTreeMap<(&'static str, Severity), u64>>;

#[derive(Debug, Default)]
struct OpenFindings(Mutex<FindingCounts>);

impl OpenFindings {
    fn counts(&self) -> MutexGuard<'_, FindingCounts> {
        // Every update leaves the map consistent, so a panic elsewhere cannot have torn it.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn add(counts: &mut FindingCounts, namespace: &str, key: (&'static str, Severity)) {
    match counts.get_mut(namespace) {
        Some(by_control) => *by_control.entry(key).or_default() += 1,
        None => {
            counts.insert(namespace.to_owned(), BTreeMap::from([(key, 1)]));
        }
    }
}

/// Never below zero: a resolution the gauge never saw opened is ignored rather than turned
/// into a negative count.
fn remove(counts: &mut FindingCounts, namespace: &str, key: (&'static str, Severity)) {
    let Some(by_control) = counts.get_mut(namespace) else {
        return;
    };
    if let Some(count) = by_control.get_mut(&key) {
        *count -= 1;
        if *count == 0 {
            by_control.remove(&key);
        }
    }
    if by_control.is_empty() {
        counts.remove(namespace);
    }
}

fn namespace_of(finding: &Finding) -> &str {
    finding.resource.namespace.as_deref().unwrap_or("")
}

impl Collector for OpenFindings {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let counts = self.counts();
        let mut family = encoder.encode_descriptor(
            "findings",
            "Findings currently open in the watched cluster.",
            None,
            prometheus_client::metrics::MetricType::Gauge,
        )?;
        for (namespace, by_control) in counts.iter() {
            for (&(control, severity), &count) in by_control {
                let labels = [
                    ("severity", severity.as_str()),
                    ("control", control),
                    ("namespace", namespace.as_str()),
                ];
                let value = i64::try_from(count).unwrap_or(i64::MAX);
                ConstGauge::new(value).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

/// The counters one sink updates, resolved once when the sink is built so that delivering an
/// event touches atomics only.
#[derive(Clone, Debug)]
pub(crate) struct SinkCounters {
    pub delivered: Counter,
    pub errors: Counter,
    pub dropped: Counter,
    pub retries: Counter,
}

#[derive(Debug)]
struct Inner {
    registry: Registry,
    findings: Arc<OpenFindings>,
    evaluation: Family<ScopeLabels, Histogram>,
    lag: Family<ResourceLabels, FloatGauge>,
    stale: Family<ResourceLabels, Gauge>,
    last_event: Family<ResourceLabels, FloatGauge>,
    resources: Family<KindLabels, Gauge>,
    events: Family<ChangeLabels, Counter>,
    sink_delivered: Family<SinkLabels, Counter>,
    sink_errors: Family<SinkLabels, Counter>,
    sink_dropped: Family<SinkLabels, Counter>,
    sink_retries: Family<SinkLabels, Counter>,
}

/// The registry and every metric watch exports; clones share them.
#[derive(Clone, Debug)]
pub struct Metrics(Arc<Inner>);

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("palisade");
        let findings = Arc::new(OpenFindings::default());
        registry.register_collector(Box::new(Arc::clone(&findings)));

        // 0.5 ms to 16 s: an incremental evaluation should take milliseconds (the alerting
        // bar is 100 ms), a full one of 100,000 objects seconds.
        let evaluation = Family::<ScopeLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register_with_unit(
            "evaluation_duration",
            "Time spent evaluating controls, for the whole inventory or for one change",
            Unit::Seconds,
            evaluation.clone(),
        );
        // Series that exist from the start read 0 rather than being absent, which is what
        // `rate()` and absence alerts need.
        for scope in [EvaluationScope::Full, EvaluationScope::Incremental] {
            let _ = evaluation.get_or_create(&ScopeLabels {
                scope: scope.as_str(),
            });
        }

        let lag = Family::default();
        registry.register_with_unit(
            "watch_lag",
            "Time from an object change arriving to its evaluation and alerts being done, for the latest change",
            Unit::Seconds,
            lag.clone(),
        );
        let stale = Family::default();
        registry.register(
            "watch_stale",
            "1 while the watch of this resource type is not receiving events (disconnected, re-listing, erroring)",
            stale.clone(),
        );
        let last_event = Family::default();
        registry.register(
            "watch_last_event_timestamp_seconds",
            "Unix time of the latest event received for this resource type",
            last_event.clone(),
        );
        let resources = Family::default();
        registry.register(
            "resources",
            "Objects of this kind in the watched inventory",
            resources.clone(),
        );

        let events = Family::default();
        registry.register(
            "events",
            "Finding events emitted, by change",
            events.clone(),
        );
        for change in Change::ALL {
            let _ = events.get_or_create(&ChangeLabels {
                change: change.as_str(),
            });
        }
        let sink_delivered = Family::default();
        registry.register(
            "sink_delivered",
            "Events a sink delivered",
            sink_delivered.clone(),
        );
        let sink_errors = Family::default();
        registry.register(
            "sink_errors",
            "Events a sink gave up on: rejected, or still failing after every retry",
            sink_errors.clone(),
        );
        let sink_dropped = Family::default();
        registry.register(
            "sink_dropped",
            "Events dropped because the sink's queue was full",
            sink_dropped.clone(),
        );
        let sink_retries = Family::default();
        registry.register(
            "sink_retries",
            "Delivery attempts that failed and were retried",
            sink_retries.clone(),
        );

        Metrics(Arc::new(Inner {
            registry,
            findings,
            evaluation,
            lag,
            stale,
            last_event,
            resources,
            events,
            sink_delivered,
            sink_errors,
            sink_dropped,
            sink_retries,
        }))
    }

    /// Replaces the open-findings gauge with exactly these findings: after the baseline
    /// evaluation and after a re-list, when incremental updates can no longer be trusted.
    pub fn set_findings<'a>(&self, findings: impl IntoIterator<Item = &'a Finding>) {
        let mut counts = FindingCounts::new();
        for f in findings {
            add(&mut counts, namespace_of(f), (f.control, f.severity));
        }
        *self.0.findings.counts() = counts;
    }

    /// Moves the open-findings gauge by one event: opened counts up, resolved down, changed
    /// moves the finding from its previous severity to its current one.
    pub fn apply(&self, event: &FindingEvent) {
        let f = &event.finding;
        let namespace = namespace_of(f);
        let current = (f.control, f.severity);
        let mut counts = self.0.findings.counts();
        match event.change {
            Change::Opened => add(&mut counts, namespace, current),
            Change::Resolved => remove(&mut counts, namespace, current),
            Change::Changed => {
                if let Some(previous) = event.previous_severity {
                    remove(&mut counts, namespace, (f.control, previous));
                    add(&mut counts, namespace, current);
                }
            }
        }
    }

    pub fn observe_evaluation(&self, scope: EvaluationScope, duration: Duration) {
        self.0
            .evaluation
            .get_or_create(&ScopeLabels {
                scope: scope.as_str(),
            })
            .observe(duration.as_secs_f64());
    }

    /// `resource` names the watched type, e.g. `deployments.apps`; the same name is used for
    /// every per-resource metric and for [`crate::Health::set_stale`].
    pub fn set_watch_lag(&self, resource: &str, lag: Duration) {
        self.0
            .lag
            .get_or_create(&ResourceLabels::new(resource))
            .set(lag.as_secs_f64());
    }

    pub fn set_last_event(&self, resource: &str, at: jiff::Timestamp) {
        self.0
            .last_event
            .get_or_create(&ResourceLabels::new(resource))
            .set(at.as_duration().as_secs_f64());
    }

    pub fn set_resources(&self, kind: &str, count: u64) {
        self.0
            .resources
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// The OpenMetrics text exposition of everything above.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.0.registry)
            .expect("writing to a String cannot fail");
        out
    }

    pub(crate) fn set_stale(&self, resource: &str, stale: bool) {
        self.0
            .stale
            .get_or_create(&ResourceLabels::new(resource))
            .set(i64::from(stale));
    }

    pub(crate) fn count_event(&self, change: Change) {
        self.0
            .events
            .get_or_create(&ChangeLabels {
                change: change.as_str(),
            })
            .inc();
    }

    pub(crate) fn sink_counters(&self, sink: &str) -> SinkCounters {
        let labels = SinkLabels {
            sink: sink.to_owned(),
        };
        SinkCounters {
            delivered: self.0.sink_delivered.get_or_create_owned(&labels),
            errors: self.0.sink_errors.get_or_create_owned(&labels),
            dropped: self.0.sink_dropped.get_or_create_owned(&labels),
            retries: self.0.sink_retries.get_or_create_owned(&labels),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::sample::finding;

    fn findings_lines(metrics: &Metrics) -> Vec<String> {
        metrics
            .encode()
            .lines()
            .filter(|l| l.starts_with("palisade_findings{"))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn open_findings_follow_events_and_empty_series_disappear() {
        let metrics = Metrics::new();
        let a = finding("POD-001", Severity::High, "web");
        let b = finding("POD-001", Severity::High, "api");
        metrics.set_findings([&a, &b]);
        assert_eq!(
            findings_lines(&metrics),
            [r#"palisade_findings{severity="high",control="POD-001",namespace="prod"} 2"#]
        );

        let mut raised = b.clone();
        raised.severity = Severity::Critical;
        metrics.apply(&FindingEvent::changed(None, &b, raised.clone()).unwrap());
        assert_eq!(
            findings_lines(&metrics),
            [
                r#"palisade_findings{severity="high",control="POD-001",namespace="prod"} 1"#,
                r#"palisade_findings{severity="critical",control="POD-001",namespace="prod"} 1"#,
            ]
        );

        metrics.apply(&FindingEvent::resolved(None, a.clone()));
        metrics.apply(&FindingEvent::resolved(None, raised));
        assert!(findings_lines(&metrics).is_empty());
        // A resolution never seen opened leaves the gauge at zero, not below.
        metrics.apply(&FindingEvent::resolved(None, a.clone()));
        assert!(findings_lines(&metrics).is_empty());

        let mut cluster_scoped = a;
        Arc::make_mut(&mut cluster_scoped.resource).namespace = None;
        metrics.apply(&FindingEvent::opened(None, cluster_scoped));
        assert_eq!(
            findings_lines(&metrics),
            [r#"palisade_findings{severity="high",control="POD-001",namespace=""} 1"#]
        );
    }

    #[test]
    fn set_findings_replaces_rather_than_adds() {
        let metrics = Metrics::new();
        let a = finding("POD-001", Severity::High, "web");
        metrics.set_findings([&a]);
        metrics.set_findings([&finding("RES-001", Severity::Low, "web")]);
        assert_eq!(
            findings_lines(&metrics),
            [r#"palisade_findings{severity="low",control="RES-001",namespace="prod"} 1"#]
        );
    }
}
