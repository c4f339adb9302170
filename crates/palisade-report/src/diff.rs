//! `palisade diff`: the change of posture between two JSON reports: findings new in the later
//! one, findings resolved since the earlier one, how many stayed, the count per severity and,
//! when both reports carry them, each framework's score.

use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use palisade_core::Severity;
use serde::Serialize;

use crate::markdown::{MAX_ROWS, cell, code, plural};
use crate::saved::{SavedFinding, SavedReport};
use crate::snippet::printable;

/// Version of the `palisade diff --format json` layout.
pub const DIFF_SCHEMA_VERSION: &str = "1";

/// One side of a comparison: the report and the name it is shown by (its path).
pub struct Side<'a> {
    pub label: &'a str,
    pub report: &'a SavedReport,
}

#[derive(Debug, PartialEq, Serialize)]
pub struct SeverityDelta {
    pub severity: Severity,
    pub before: usize,
    pub after: usize,
    pub change: i64,
}

/// A framework's score before and after; `None` where that report has no score for it.
#[derive(Debug, PartialEq, Serialize)]
pub struct FrameworkDelta {
    pub id: String,
    pub before: Option<f64>,
    pub after: Option<f64>,
    pub change: Option<f64>,
}

/// What changed between two reports.
pub struct Delta<'a> {
    pub before: Side<'a>,
    pub after: Side<'a>,
    /// In the later report and not in the earlier one, most severe first.
    pub new: Vec<&'a SavedFinding>,
    /// In the earlier report and not in the later one, most severe first.
    pub resolved: Vec<&'a SavedFinding>,
    pub unchanged: usize,
    /// Every severity, most severe first.
    pub severities: Vec<SeverityDelta>,
    /// Frameworks either report scores, by ID; empty when neither has scores.
    pub frameworks: Vec<FrameworkDelta>,
}

/// The findings of `of` that `other` lacks, matched by fingerprint and counted (two findings
/// with one fingerprint against one leave one over).
fn missing_from<'a>(of: &'a SavedReport, other: &SavedReport) -> Vec<&'a SavedFinding> {
    let mut remaining: HashMap<String, usize> = other.fingerprint_counts();
    let mut out: Vec<&SavedFinding> = of
        .findings
        .iter()
        .filter(|f| match remaining.get_mut(&f.fingerprint()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect();
    out.sort_by(|a, b| {
        let key = |f: &'a SavedFinding| {
            (
                Reverse(f.severity),
                &f.control,
                &f.resource,
                &f.path,
                &f.message,
            )
        };
        key(a).cmp(&key(b))
    });
    out
}

fn framework_deltas(before: &SavedReport, after: &SavedReport) -> Vec<FrameworkDelta> {
    let mut scores: BTreeMap<&str, (Option<f64>, Option<f64>)> = BTreeMap::new();
    for f in &before.frameworks {
        scores.entry(&f.id).or_default().0 = Some(f.score);
    }
    for f in &after.frameworks {
        scores.entry(&f.id).or_default().1 = Some(f.score);
    }
    scores
        .into_iter()
        .map(|(id, (before, after))| FrameworkDelta {
            id: id.to_string(),
            before,
            after,
            change: before.zip(after).map(|(b, a)| a - b),
        })
        .collect()
}

pub fn compare<'a>(before: Side<'a>, after: Side<'a>) -> Delta<'a> {
    let new = missing_from(after.report, before.report);
    let resolved = missing_from(before.report, after.report);
    let count =
        |r: &SavedReport, s: Severity| r.findings.iter().filter(|f| f.severity == s).count();
    let severities = Severity::ALL
        .into_iter()
        .map(|severity| {
            let (b, a) = (
                count(before.report, severity),
                count(after.report, severity),
            );
            SeverityDelta {
                severity,
                before: b,
                after: a,
                change: a as i64 - b as i64,
            }
        })
        .collect();
    Delta {
        unchanged: after.report.findings.len() - new.len(),
        frameworks: framework_deltas(before.report, after.report),
        new,
        resolved,
        severities,
        before,
        after,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

impl std::str::FromStr for DiffFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(DiffFormat::Text),
            "json" => Ok(DiffFormat::Json),
            "markdown" | "md" => Ok(DiffFormat::Markdown),
            _ => Err(format!(
                "unknown diff format `{s}` (expected text, json or markdown)"
            )),
        }
    }
}

pub fn render_diff(delta: &Delta<'_>, format: DiffFormat) -> String {
    match format {
        DiffFormat::Text => text(delta),
        DiffFormat::Json => json(delta),
        DiffFormat::Markdown => markdown(delta),
    }
}

fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// A score with at most two decimals and no trailing zeros: `75.5`, `70`, `0.75`.
fn number(v: f64) -> String {
    let text = format!("{v:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn score(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), number)
}

fn score_change(value: Option<f64>) -> String {
    match value {
        None => "-".to_string(),
        Some(v) if v > 0.0 => format!("+{}", number(v)),
        Some(v) => number(v),
    }
}

/// `Deployment/web (shop)`, with the cluster first when there is one.
fn resource_name(f: &SavedFinding) -> String {
    f.resource.to_string()
}

fn place(f: &SavedFinding) -> Option<String> {
    f.location
        .as_ref()
        .map(|l| format!("{}:{}:{}", l.file, l.line, l.column))
}

fn generated(side: &Side<'_>) -> String {
    side.report
        .evidence
        .as_ref()
        .and_then(|e| e.generated_at.as_deref())
        .map(|at| format!(", generated {at}"))
        .unwrap_or_default()
}

fn text(delta: &Delta<'_>) -> String {
    let mut out = String::new();
    let (before, after) = (&delta.before, &delta.after);
    let _ = writeln!(
        out,
        "Posture change from {} to {}",
        printable(before.label),
        printable(after.label)
    );
    for (word, side) in [("before", before), ("after", after)] {
        let _ = writeln!(
            out,
            "  {word:<7}{}{}",
            plural(side.report.findings.len(), "finding", "findings"),
            printable(&generated(side))
        );
    }
    let _ = writeln!(
        out,
        "  {} new, {} resolved, {} unchanged\n",
        delta.new.len(),
        delta.resolved.len(),
        delta.unchanged
    );
    let _ = writeln!(
        out,
        "  {:<10}{:>8}{:>8}{:>8}",
        "severity", "before", "after", "change"
    );
    for s in &delta.severities {
        let _ = writeln!(
            out,
            "  {:<10}{:>8}{:>8}{:>8}",
            s.severity.as_str(),
            s.before,
            s.after,
            signed(s.change)
        );
    }
    if !delta.frameworks.is_empty() {
        let _ = writeln!(
            out,
            "\n  {:<24}{:>8}{:>8}{:>8}",
            "framework score", "before", "after", "change"
        );
        for f in &delta.frameworks {
            let _ = writeln!(
                out,
                "  {:<24}{:>8}{:>8}{:>8}",
                printable(&f.id),
                score(f.before),
                score(f.after),
                score_change(f.change)
            );
        }
    }
    for (title, list) in [("New", &delta.new), ("Resolved", &delta.resolved)] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} findings ({}):", list.len());
        for f in list.iter() {
            let _ = writeln!(
                out,
                "  {:<8} {} {}: {}",
                f.severity.as_str(),
                printable(&f.control),
                printable(&resource_name(f)),
                printable(&f.message)
            );
            let mut detail = Vec::new();
            if !f.path.is_empty() {
                detail.push(format!("field {}", printable(&f.path)));
            }
            if let Some(at) = place(f) {
                detail.push(format!("at {}", printable(&at)));
            }
            if !detail.is_empty() {
                let _ = writeln!(out, "           {}", detail.join(", "));
            }
        }
    }
    out
}

fn markdown(delta: &Delta<'_>) -> String {
    let mut out = String::new();
    let (new, resolved) = (delta.new.len(), delta.resolved.len());
    let icon = if new > 0 { "❌" } else { "✅" };
    let _ = writeln!(
        out,
        "## {icon} Palisade posture change: {new} new, {resolved} resolved, {} unchanged\n",
        delta.unchanged
    );
    let _ = writeln!(
        out,
        "From {} to {}.\n",
        code(delta.before.label),
        code(delta.after.label)
    );
    out.push_str("| severity | before | after | change |\n|---|---:|---:|---:|\n");
    for s in &delta.severities {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            s.severity.as_str(),
            s.before,
            s.after,
            signed(s.change)
        );
    }
    if !delta.frameworks.is_empty() {
        out.push_str(
            "\n| framework | score before | score after | change |\n|---|---:|---:|---:|\n",
        );
        for f in &delta.frameworks {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&f.id),
                score(f.before),
                score(f.after),
                score_change(f.change)
            );
        }
    }
    for (title, list) in [
        ("New findings", &delta.new),
        ("Resolved findings", &delta.resolved),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n### {title} ({})\n\n| severity | control | resource | field | message |\n|---|---|---|---|---|",
            list.len()
        );
        for f in list.iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.severity.as_str(),
                code(&f.control),
                cell(&resource_name(f)),
                if f.path.is_empty() {
                    String::new()
                } else {
                    code(&f.path)
                },
                cell(&f.message)
            );
        }
        if list.len() > MAX_ROWS {
            let _ = writeln!(out, "\n…and {} more.", list.len() - MAX_ROWS);
        }
    }
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct DiffJson<'a> {
    schema_version: &'static str,
    before: SideJson<'a>,
    after: SideJson<'a>,
    summary: SummaryJson,
    severities: &'a [SeverityDelta],
    frameworks: &'a [FrameworkDelta],
    new: Vec<FindingJson<'a>>,
    resolved: Vec<FindingJson<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SideJson<'a> {
    report: &'a str,
    generated_at: Option<&'a str>,
    findings: usize,
}

#[derive(Serialize)]
struct SummaryJson {
    new: usize,
    resolved: usize,
    unchanged: usize,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    fingerprint: String,
    #[serde(flatten)]
    finding: &'a SavedFinding,
}

fn side_json<'a>(s: &Side<'a>) -> SideJson<'a> {
    SideJson {
        report: s.label,
        generated_at: s
            .report
            .evidence
            .as_ref()
            .and_then(|e| e.generated_at.as_deref()),
        findings: s.report.findings.len(),
    }
}

fn findings_json<'a>(list: &[&'a SavedFinding]) -> Vec<FindingJson<'a>> {
    list.iter()
        .map(|f| FindingJson {
            fingerprint: f.fingerprint(),
            finding: f,
        })
        .collect()
}

fn json(delta: &Delta<'_>) -> String {
    let (side, findings) = (side_json, findings_json);
    let doc = DiffJson {
        schema_version: DIFF_SCHEMA_VERSION,
        before: side(&delta.before),
        after: side(&delta.after),
        summary: SummaryJson {
            new: delta.new.len(),
            resolved: delta.resolved.len(),
            unchanged: delta.unchanged,
        },
        severities: &delta.severities,
        frameworks: &delta.frameworks,
        new: findings(&delta.new),
        resolved: findings(&delta.resolved),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("the diff serialises");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(control: &str, severity: &str, name: &str, line: u32) -> serde_json::Value {
        serde_json::json!({
            "control": control, "title": "t", "severity": severity,
            "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": name},
            "path": "spec.x", "message": format!("{control} on {name}"),
            "location": {"file": "deploy.yaml", "line": line, "column": 3, "endLine": line, "endColumn": 9}
        })
    }

    fn report(findings: Vec<serde_json::Value>, frameworks: serde_json::Value) -> SavedReport {
        SavedReport::parse(
            &serde_json::json!({
                "schemaVersion": "1",
                "evidence": {"generatedAt": "2025-03-01T12:00:00Z"},
                "findings": findings,
                "frameworks": frameworks,
            })
            .to_string(),
        )
        .unwrap()
    }

    fn sample() -> (SavedReport, SavedReport) {
        let before = report(
            vec![
                finding("POD-001", "critical", "web", 10),
                finding("IMG-001", "medium", "web", 12),
                finding("RES-001", "low", "api", 40),
            ],
            serde_json::json!([
                {"id": "cis-1.12", "score": 70.0},
                {"id": "nsa-cisa-1.2", "score": 55.5},
                {"id": "pss-restricted", "score": 40.0}
            ]),
        );
        // The IMG-001 finding moved lines; POD-001 is fixed; RES-001 stays; two new.
        let after = report(
            vec![
                finding("IMG-001", "medium", "web", 30),
                finding("RES-001", "low", "api", 41),
                finding("POD-002", "high", "web", 11),
                finding("IMG-001", "medium", "cache", 5),
            ],
            serde_json::json!([
                {"id": "cis-1.12", "score": 75.5},
                {"id": "nsa-cisa-1.2", "score": 50.0},
                {"id": "pci-dss-4.0", "score": 90.0}
            ]),
        );
        (before, after)
    }

    fn delta<'a>(before: &'a SavedReport, after: &'a SavedReport) -> Delta<'a> {
        compare(
            Side {
                label: "before.json",
                report: before,
            },
            Side {
                label: "after.json",
                report: after,
            },
        )
    }

    #[test]
    fn counts_new_resolved_unchanged_and_severities() {
        let (before, after) = sample();
        let d = delta(&before, &after);
        let names = |l: &[&SavedFinding]| -> Vec<String> {
            l.iter()
                .map(|f| format!("{} {}", f.control, f.resource.name))
                .collect()
        };
        assert_eq!(names(&d.new), ["POD-002 web", "IMG-001 cache"]);
        assert_eq!(names(&d.resolved), ["POD-001 web"]);
        assert_eq!(d.unchanged, 2);
        let change: Vec<(Severity, usize, usize, i64)> = d
            .severities
            .iter()
            .map(|s| (s.severity, s.before, s.after, s.change))
            .collect();
        assert_eq!(
            change,
            [
                (Severity::Critical, 1, 0, -1),
                (Severity::High, 0, 1, 1),
                (Severity::Medium, 1, 2, 1),
                (Severity::Low, 1, 1, 0),
                (Severity::Info, 0, 0, 0),
            ]
        );
    }

    #[test]
    fn framework_scores_change_per_framework() {
        let (before, after) = sample();
        let d = delta(&before, &after);
        type Row<'a> = (&'a str, Option<f64>, Option<f64>, Option<f64>);
        let rows: Vec<Row<'_>> = d
            .frameworks
            .iter()
            .map(|f| (f.id.as_str(), f.before, f.after, f.change))
            .collect();
        assert_eq!(
            rows,
            [
                ("cis-1.12", Some(70.0), Some(75.5), Some(5.5)),
                ("nsa-cisa-1.2", Some(55.5), Some(50.0), Some(-5.5)),
                ("pci-dss-4.0", None, Some(90.0), None),
                ("pss-restricted", Some(40.0), None, None),
            ]
        );
        let text = render_diff(&d, DiffFormat::Text);
        assert!(
            text.contains("cis-1.12                      70    75.5    +5.5"),
            "{text}"
        );
        assert!(
            text.contains("nsa-cisa-1.2                55.5      50    -5.5"),
            "{text}"
        );
        let md = render_diff(&d, DiffFormat::Markdown);
        assert!(md.contains("| cis-1.12 | 70 | 75.5 | +5.5 |"), "{md}");
        let json: serde_json::Value =
            serde_json::from_str(&render_diff(&d, DiffFormat::Json)).unwrap();
        assert_eq!(
            json["frameworks"][0],
            serde_json::json!({"id": "cis-1.12", "before": 70.0, "after": 75.5, "change": 5.5})
        );
        assert_eq!(json["frameworks"][2]["change"], serde_json::Value::Null);

        // Without scores in either report, no framework section at all.
        let bare = report(Vec::new(), serde_json::json!([]));
        let d = delta(&bare, &bare);
        assert!(d.frameworks.is_empty());
        assert_eq!(number(0.755), "0.76");
        assert_eq!(number(-0.5), "-0.5");
        assert!(!render_diff(&d, DiffFormat::Text).contains("framework"));
        assert!(!render_diff(&d, DiffFormat::Markdown).contains("framework"));
    }

    #[test]
    fn every_format_shows_the_same_delta() {
        let (before, after) = sample();
        let d = delta(&before, &after);
        let text = render_diff(&d, DiffFormat::Text);
        assert!(text.contains("Posture change from before.json to after.json"));
        assert!(text.contains("2 new, 1 resolved, 2 unchanged"));
        assert!(text.contains("generated 2025-03-01T12:00:00Z"));
        assert!(
            text.contains("critical         1       0      -1"),
            "{text}"
        );
        assert!(text.contains(
            "New findings (2):\n  high     POD-002 Deployment/web (shop): POD-002 on web"
        ));
        assert!(text.contains("Resolved findings (1):\n  critical POD-001"));
        assert!(text.contains("field spec.x, at deploy.yaml:10:3"));

        let md = render_diff(&d, DiffFormat::Markdown);
        assert!(md.starts_with("## ❌ Palisade posture change: 2 new, 1 resolved, 2 unchanged"));
        assert!(md.contains("| critical | 1 | 0 | -1 |"));
        assert!(md.contains("### New findings (2)"));
        assert!(
            md.contains("| high | `POD-002` | Deployment/web (shop) | `spec.x` | POD-002 on web |")
        );

        let json: serde_json::Value =
            serde_json::from_str(&render_diff(&d, DiffFormat::Json)).unwrap();
        assert_eq!(json["schemaVersion"], DIFF_SCHEMA_VERSION);
        assert_eq!(
            json["summary"],
            serde_json::json!({"new": 2, "resolved": 1, "unchanged": 2})
        );
        assert_eq!(json["before"]["report"], "before.json");
        assert_eq!(json["after"]["findings"], 4);
        assert_eq!(json["new"][0]["control"], "POD-002");
        assert_eq!(
            json["new"][0]["fingerprint"],
            d.new[0].fingerprint().as_str()
        );
        assert_eq!(json["resolved"][0]["location"]["line"], 10);
        assert_eq!(
            json["severities"][0],
            serde_json::json!({"severity": "critical", "before": 1, "after": 0, "change": -1})
        );
    }

    #[test]
    fn nothing_changed_is_all_unchanged() {
        let (before, _) = sample();
        let d = delta(&before, &before);
        assert!(d.new.is_empty() && d.resolved.is_empty());
        assert_eq!(d.unchanged, 3);
        assert!(render_diff(&d, DiffFormat::Markdown).starts_with("## ✅"));
    }
}
