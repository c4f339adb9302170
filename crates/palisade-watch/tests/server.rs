//! The HTTP endpoints, over real connections on 127.0.0.1.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{finding, sample};
use palisade_core::Severity;
use palisade_watch::{
    EvaluationScope, FindingEvent, Health, Metrics, Server, SinkConfig, SinkKind, SinkSet, serve,
};

async fn start() -> (Server, Metrics, Health, String) {
    let metrics = Metrics::new();
    let health = Health::new(&metrics);
    let server = serve(
        "127.0.0.1:0".parse().unwrap(),
        metrics.clone(),
        health.clone(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", server.local_addr());
    (server, metrics, health, base)
}

async fn get(url: &str) -> (u16, String, String) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// Checks the OpenMetrics text format line by line and returns each family's type.
fn parse_families(text: &str) -> HashMap<String, String> {
    let mut types = HashMap::new();
    let mut helped = HashSet::new();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.last(), Some(&"# EOF"), "exposition ends with # EOF");
    for line in &lines[..lines.len() - 1] {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a name and a text");
            assert!(valid_name(name), "{line}");
            assert!(!help.is_empty(), "{line}");
            assert!(helped.insert(name.to_owned()), "second HELP: {line}");
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a name and a type");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "{line}"
            );
        } else if let Some(rest) = line.strip_prefix("# UNIT ") {
            let (name, unit) = rest.split_once(' ').unwrap();
            assert!(name.ends_with(&format!("_{unit}")), "{line}");
        } else {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            value
                .parse::<f64>()
                .unwrap_or_else(|_| panic!("value of {line}"));
            let name = match series.split_once('{') {
                Some((name, labels)) => {
                    let labels = labels.strip_suffix('}').expect("labels closed");
                    check_labels(labels, line);
                    name
                }
                None => series,
            };
            assert!(valid_name(name), "{line}");
            let family = types
                .keys()
                .filter(|f| {
                    name == f.as_str()
                        || ["_total", "_bucket", "_sum", "_count"]
                            .iter()
                            .any(|suffix| name == format!("{f}{suffix}"))
                })
                .max_by_key(|f| f.len());
            assert!(family.is_some(), "sample before its TYPE: {line}");
        }
    }
    types
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn check_labels(labels: &str, line: &str) {
    let mut rest = labels;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
        assert!(valid_name(key), "label name in {line}");
        let end = after.find('"').unwrap_or_else(|| panic!("{line}"));
        rest = after[end + 1..]
            .strip_prefix(',')
            .unwrap_or(&after[end + 1..]);
    }
}

#[tokio::test]
async fn metrics_exposition_is_well_formed_and_complete() {
    let (server, metrics, health, base) = start().await;
    let a = finding("POD-001", Severity::High, "web");
    let b = finding("POD-001", Severity::High, "api");
    metrics.set_findings([&a, &b]);
    metrics.apply(&FindingEvent::opened(
        None,
        finding("RES-002", Severity::Low, "web"),
    ));
    metrics.apply(&FindingEvent::resolved(None, b));
    metrics.observe_evaluation(EvaluationScope::Incremental, Duration::from_millis(3));
    metrics.observe_evaluation(EvaluationScope::Full, Duration::from_millis(1500));
    metrics.set_watch_lag("deployments.apps", Duration::from_millis(42));
    metrics.set_last_event("deployments.apps", "2025-03-01T12:00:00Z".parse().unwrap());
    metrics.set_resources("Deployment", 120);
    health.set_stale("pods", true);
    // Sink counters exist from the moment a sink does.
    let sinks = SinkSet::with_stdout(
        vec![SinkConfig::new(SinkKind::Stdout)],
        &metrics,
        std::io::sink(),
    )
    .unwrap();

    let (status, content_type, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(status, 200);
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let types = parse_families(&text);
    for (family, kind) in [
        ("palisade_findings", "gauge"),
        ("palisade_evaluation_duration_seconds", "histogram"),
        ("palisade_watch_lag_seconds", "gauge"),
        ("palisade_watch_stale", "gauge"),
        ("palisade_watch_last_event_timestamp_seconds", "gauge"),
        ("palisade_resources", "gauge"),
        ("palisade_events", "counter"),
        ("palisade_sink_errors", "counter"),
        ("palisade_sink_dropped", "counter"),
        ("palisade_sink_delivered", "counter"),
        ("palisade_sink_retries", "counter"),
    ] {
        assert_eq!(
            types.get(family).map(String::as_str),
            Some(kind),
            "{family}"
        );
    }

    for (series, value) in [
        (
            r#"palisade_findings{severity="high",control="POD-001",namespace="shop"}"#,
            1.0,
        ),
        (
            r#"palisade_findings{severity="low",control="RES-002",namespace="shop"}"#,
            1.0,
        ),
        (
            r#"palisade_evaluation_duration_seconds_count{scope="incremental"}"#,
            1.0,
        ),
        (
            r#"palisade_evaluation_duration_seconds_sum{scope="full"}"#,
            1.5,
        ),
        (
            r#"palisade_evaluation_duration_seconds_bucket{le="0.004",scope="incremental"}"#,
            1.0,
        ),
        (
            r#"palisade_evaluation_duration_seconds_bucket{le="0.002",scope="incremental"}"#,
            0.0,
        ),
        (
            r#"palisade_watch_lag_seconds{resource="deployments.apps"}"#,
            0.042,
        ),
        (
            r#"palisade_watch_last_event_timestamp_seconds{resource="deployments.apps"}"#,
            1_740_830_400.0,
        ),
        (r#"palisade_watch_stale{resource="pods"}"#, 1.0),
        (r#"palisade_resources{kind="Deployment"}"#, 120.0),
        (r#"palisade_events_total{change="resolved"}"#, 0.0),
        (r#"palisade_sink_dropped_total{sink="stdout"}"#, 0.0),
    ] {
        assert_eq!(sample(&text, series), Some(value), "{series}");
    }
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("palisade_findings{"))
            .count(),
        2,
        "the drained series of the resolved finding is gone"
    );

    health.set_stale("pods", false);
    let (_, _, text) = get(&format!("{base}/metrics")).await;
    assert_eq!(
        sample(&text, r#"palisade_watch_stale{resource="pods"}"#),
        Some(0.0)
    );
    assert!(sinks.shutdown(Duration::from_secs(5)).await);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn readiness_follows_baseline_and_staleness() {
    let (server, _metrics, health, base) = start().await;
    let (status, _, _) = get(&format!("{base}/healthz")).await;
    assert_eq!(status, 200);

    let (status, _, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 503);
    assert!(body.contains("baseline"), "{body}");

    health.set_ready(true);
    let (status, _, _) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 200);

    health.set_stale("pods", true);
    health.set_stale("deployments.apps", true);
    let (status, _, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body.trim(), "stale watches: deployments.apps, pods");

    health.set_stale("pods", false);
    let (status, _, body) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 503);
    assert_eq!(body.trim(), "stale watches: deployments.apps");

    health.set_stale("deployments.apps", false);
    let (status, _, _) = get(&format!("{base}/readyz")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&format!("{base}/healthz")).await;
    assert_eq!(status, 200);

    server.shutdown().await.unwrap();
    assert!(
        reqwest::get(format!("{base}/healthz")).await.is_err(),
        "still serving"
    );
}
