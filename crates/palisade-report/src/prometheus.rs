//! Prometheus text exposition of one scan, for node_exporter's textfile collector (or any
//! collector that reads `.prom` files): findings by severity, by control and by namespace,
//! what was scanned, what could not be judged, and when. Gauges, because a later scan
//! replaces the file whole. Series with no findings are written as 0 for severities only;
//! controls and namespaces appear when they have findings.

use std::collections::BTreeMap;
use std::fmt::Write;

use palisade_core::Severity;

use crate::ReportInput;

/// A label value as the exposition format wants it: backslash, double quote and line feed
/// escaped.
fn label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge");
}

pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let r = input.result;
    let mut out = String::new();

    family(
        &mut out,
        "palisade_scan_findings",
        "Open findings of the last scan, by severity.",
    );
    for severity in Severity::ALL {
        let _ = writeln!(
            out,
            "palisade_scan_findings{{severity=\"{severity}\"}} {}",
            r.count_by_severity(severity)
        );
    }

    let mut by_control: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    let mut by_namespace: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &r.findings {
        *by_control.entry((f.control, f.severity)).or_insert(0) += 1;
        let cluster = f.resource.cluster.as_deref().unwrap_or("");
        let namespace = f.resource.namespace.as_deref().unwrap_or("");
        *by_namespace.entry((cluster, namespace)).or_insert(0) += 1;
    }
    family(
        &mut out,
        "palisade_scan_control_findings",
        "Open findings of the last scan, by control and severity.",
    );
    for ((control, severity), n) in by_control {
        let _ = writeln!(
            out,
            "palisade_scan_control_findings{{control=\"{}\",severity=\"{severity}\"}} {n}",
            label(control)
        );
    }
    family(
        &mut out,
        "palisade_scan_namespace_findings",
        "Open findings of the last scan, by cluster (empty for files) and namespace (empty for cluster-scoped objects).",
    );
    for ((cluster, namespace), n) in by_namespace {
        let _ = writeln!(
            out,
            "palisade_scan_namespace_findings{{cluster=\"{}\",namespace=\"{}\"}} {n}",
            label(cluster),
            label(namespace)
        );
    }

    let totals = [
        (
            "palisade_scan_resources",
            "Objects the last scan judged.",
            r.resources_scanned,
        ),
        (
            "palisade_scan_suppressed_findings",
            "Findings of the last scan hidden by an exception or an ignore annotation.",
            r.suppressed.len(),
        ),
        (
            "palisade_scan_not_evaluated",
            "Control and object pairs the last scan could not judge.",
            r.not_evaluated.len(),
        ),
    ];
    for (name, help, value) in totals {
        family(&mut out, name, help);
        let _ = writeln!(out, "{name} {value}");
    }
    family(
        &mut out,
        "palisade_scan_timestamp_seconds",
        "When the last scan's report was generated, in Unix seconds.",
    );
    let _ = writeln!(
        out,
        "palisade_scan_timestamp_seconds {}",
        input.provenance.generated_at.as_second()
    );
    family(
        &mut out,
        "palisade_scan_info",
        "The Palisade and catalogue versions of the last scan (always 1).",
    );
    let _ = writeln!(
        out,
        "palisade_scan_info{{version=\"{}\",catalog_version=\"{}\"}} 1",
        label(input.tool_version),
        label(&input.provenance.catalog_version)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    /// Checks a sample line strictly against the text format: a metric name, optional labels
    /// with properly escaped values, a space and an integer value. Returns the labels.
    fn strict_sample(line: &str) -> Vec<(String, String)> {
        let name_end = line.find(['{', ' ']).expect("a value follows the name");
        let name = &line[..name_end];
        assert!(
            name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name in {line}"
        );
        let mut rest = &line[name_end..];
        let mut labels = Vec::new();
        if let Some(inner) = rest.strip_prefix('{') {
            rest = inner;
            loop {
                let eq = rest.find("=\"").expect("label=\"value\"");
                let key = &rest[..eq];
                assert!(
                    key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                let mut value = String::new();
                let mut chars = rest[eq + 2..].char_indices();
                let end = loop {
                    match chars.next().expect("a closing quote") {
                        (i, '"') => break i,
                        (_, '\\') => match chars.next().expect("an escaped character").1 {
                            'n' => value.push('\n'),
                            c @ ('\\' | '"') => value.push(c),
                            c => panic!("bad escape \\{c} in {line}"),
                        },
                        (_, '\n') => panic!("raw line break in {line}"),
                        (_, c) => value.push(c),
                    }
                };
                labels.push((key.to_string(), value));
                rest = &rest[eq + 2 + end + 1..];
                match rest.strip_prefix(',') {
                    Some(more) => rest = more,
                    None => {
                        rest = rest.strip_prefix('}').expect("labels close");
                        break;
                    }
                }
            }
        }
        let value = rest.strip_prefix(' ').expect("a space before the value");
        assert!(value.parse::<i64>().is_ok(), "bad value in {line}");
        labels
    }

    #[test]
    fn parses_and_the_numbers_are_the_results() {
        let (result, sources) = (testdata::result(), testdata::sources());
        let text = render(&testdata::input(&result, &sources));
        let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
            .expect("the exposition parses");
        let samples = text.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(scrape.samples.len(), samples, "no line was skipped");
        let value = |metric: &str, labels: &[(&str, &str)]| -> f64 {
            let sample = scrape
                .samples
                .iter()
                .find(|s| {
                    s.metric == metric && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v))
                })
                .unwrap_or_else(|| panic!("no {metric} {labels:?}"));
            match sample.value {
                prometheus_parse::Value::Gauge(v) => v,
                ref other => panic!("{metric} is not a gauge: {other:?}"),
            }
        };
        for severity in Severity::ALL {
            assert_eq!(
                value("palisade_scan_findings", &[("severity", severity.as_str())]),
                result.count_by_severity(severity) as f64
            );
        }
        let pod_001 = result
            .findings
            .iter()
            .filter(|f| f.control == "POD-001")
            .count();
        assert_eq!(
            value(
                "palisade_scan_control_findings",
                &[("control", "POD-001"), ("severity", "critical")]
            ),
            pod_001 as f64
        );
        let shop = result
            .findings
            .iter()
            .filter(|f| f.resource.namespace.as_deref() == Some("shop"))
            .count();
        assert_eq!(
            value("palisade_scan_namespace_findings", &[("namespace", "shop")]),
            shop as f64
        );
        assert_eq!(
            value("palisade_scan_namespace_findings", &[("namespace", "")]),
            1.0
        );
        assert_eq!(
            value("palisade_scan_resources", &[]),
            result.resources_scanned as f64
        );
        assert_eq!(value("palisade_scan_not_evaluated", &[]), 1.0);
        assert_eq!(value("palisade_scan_suppressed_findings", &[]), 2.0);
        assert_eq!(
            value("palisade_scan_timestamp_seconds", &[]),
            1_740_830_400.0
        );
        assert_eq!(value("palisade_scan_info", &[("version", "0.1.0")]), 1.0);
        assert!(scrape.docs["palisade_scan_findings"].contains("by severity"));
    }

    #[test]
    fn hostile_label_values_keep_the_format() {
        let mut result = testdata::result();
        for f in &mut result.findings {
            std::sync::Arc::make_mut(&mut f.resource).cluster =
                Some("ctx \"quoted\"\\ and\nbroken".into());
        }
        let text = render(&testdata::input(&result, &[]));
        let mut clusters = Vec::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            for (key, value) in strict_sample(line) {
                if key == "cluster" {
                    clusters.push(value);
                }
            }
        }
        assert!(!clusters.is_empty());
        assert!(clusters.iter().all(|c| c == "ctx \"quoted\"\\ and\nbroken"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(label("plain"), "plain");
    }

    #[test]
    fn every_family_has_help_and_type_before_its_samples() {
        let (result, sources) = (testdata::result(), testdata::sources());
        let text = render(&testdata::input(&result, &sources));
        let mut declared: Vec<&str> = Vec::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').unwrap();
                assert_eq!(kind, "gauge");
                assert!(!declared.contains(&name), "{name} declared twice");
                declared.push(name);
            } else if !line.starts_with("# HELP ") {
                let name = line.split(['{', ' ']).next().unwrap();
                assert_eq!(declared.last(), Some(&name), "{line}");
            }
        }
        assert_eq!(declared.len(), 8);
    }
}
