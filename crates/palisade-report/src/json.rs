//! The JSON report. Its schema is documented in `docs/json-report.md`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use palisade_core::{
    ClusterSummary, ControlSummary, Diagnostic, ExpiredException, Finding, FrameworkScore,
    NotEvaluated, SuppressedFinding,
};

use crate::evidence::Evidence;
use crate::{BaselineStatus, ReportInput};

/// Version of the JSON report layout.
/// Version 2: findings carry `risk` and are sorted by it; `frameworks` holds compliance scores.
pub const SCHEMA_VERSION: &str = "2";

#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: &'static str,
    tool: Tool<'a>,
    evidence: Evidence<'a>,
    summary: Summary,
    /// Cluster scans only: each cluster read, with the kinds it would not serve.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    clusters: &'a [ClusterSummary],
    /// Scans with `--framework` only: each framework's score and requirements.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    frameworks: &'a [FrameworkScore],
    /// Set when the scan was compared with a baseline report.
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineSummary>,
    findings: Findings<'a>,
    suppressed: Suppressed<'a>,
    #[serde(rename = "notEvaluated")]
    not_evaluated: &'a [NotEvaluated],
    controls: &'a [ControlSummary],
    diagnostics: &'a [Diagnostic],
    #[serde(rename = "expiredExceptions")]
    expired_exceptions: &'a [ExpiredException],
}

#[derive(Serialize)]
struct BaselineSummary {
    new: usize,
    existing: usize,
}

/// A finding as the report shows it: its own fields, its fingerprint and, with a baseline,
/// whether it is new.
#[derive(Serialize)]
struct FindingJson<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    fingerprint: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineStatus>,
}

/// The findings, each serialised as it is written rather than collected first.
struct Findings<'a>(&'a ReportInput<'a>);

impl Serialize for Findings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let findings = &self.0.result.findings;
        let mut seq = serializer.serialize_seq(Some(findings.len()))?;
        for (i, finding) in findings.iter().enumerate() {
            seq.serialize_element(&FindingJson {
                finding,
                fingerprint: finding.fingerprint(),
                baseline: self.0.baseline_status(i),
            })?;
        }
        seq.end()
    }
}

#[derive(Serialize)]
struct SuppressedJson<'a> {
    finding: FindingJson<'a>,
    suppression: &'a palisade_core::Suppression,
}

struct Suppressed<'a>(&'a [SuppressedFinding]);

impl Serialize for Suppressed<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|s| SuppressedJson {
            finding: FindingJson {
                finding: &s.finding,
                fingerprint: s.finding.fingerprint(),
                baseline: None,
            },
            suppression: &s.suppression,
        }))
    }
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct Summary {
    resources: usize,
    sources: usize,
    findings: usize,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
    suppressed: usize,
    #[serde(rename = "notEvaluated")]
    not_evaluated: usize,
    errors: usize,
}

/// Streams the report, so a large scan never holds the whole text in memory.
pub(crate) fn write<'a>(
    input: &'a ReportInput<'a>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    use palisade_core::{DiagnosticLevel, Severity};
    let r = input.result;
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "palisade",
            version: input.tool_version,
        },
        evidence: Evidence::of(input),
        summary: Summary {
            resources: r.resources_scanned,
            sources: r.sources_scanned,
            findings: r.findings.len(),
            critical: r.count_by_severity(Severity::Critical),
            high: r.count_by_severity(Severity::High),
            medium: r.count_by_severity(Severity::Medium),
            low: r.count_by_severity(Severity::Low),
            info: r.count_by_severity(Severity::Info),
            suppressed: r.suppressed.len(),
            not_evaluated: r.not_evaluated.len(),
            errors: r
                .diagnostics
                .iter()
                .filter(|d| d.level == DiagnosticLevel::Error)
                .count(),
        },
        clusters: &r.clusters,
        frameworks: &r.frameworks,
        baseline: input.baseline.map(|b| BaselineSummary {
            new: b.new_count(),
            existing: r.findings.len() - b.new_count(),
        }),
        findings: Findings(input),
        suppressed: Suppressed(&r.suppressed),
        not_evaluated: &r.not_evaluated,
        controls: &r.controls,
        diagnostics: &r.diagnostics,
        expired_exceptions: &r.expired_exceptions,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use crate::testdata;
    use crate::{Baseline, SavedReport};

    fn render(input: &crate::ReportInput<'_>) -> Value {
        let mut out = Vec::new();
        super::write(input, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn findings_carry_their_fingerprint_and_baseline_standing() {
        let (result, sources) = (testdata::result(), testdata::sources());
        let plain = render(&testdata::input(&result, &sources));
        assert!(plain.get("baseline").is_none());
        let findings = plain["findings"].as_array().unwrap();
        for (json, finding) in findings.iter().zip(&result.findings) {
            assert_eq!(json["fingerprint"], finding.fingerprint().as_str());
            assert!(json.get("baseline").is_none());
            assert_eq!(json["control"], finding.control);
        }
        let suppressed = &plain["suppressed"][0];
        assert_eq!(
            suppressed["finding"]["fingerprint"],
            result.suppressed[0].finding.fingerprint().as_str()
        );
        assert!(suppressed["suppression"]["kind"].is_string());

        // Against a baseline that lacks the first finding, only that one is new.
        let mut older = plain.clone();
        older["findings"].as_array_mut().unwrap().remove(0);
        let saved = SavedReport::parse(&older.to_string()).unwrap();
        let baseline = Baseline::compare(&saved, &result.findings);
        let mut input = testdata::input(&result, &sources);
        input.baseline = Some(&baseline);
        let compared = render(&input);
        let marks: Vec<&str> = compared["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["baseline"].as_str().unwrap())
            .collect();
        assert_eq!(marks[0], "new");
        assert!(marks[1..].iter().all(|m| *m == "existing"));
        assert_eq!(
            compared["baseline"],
            serde_json::json!({"new": 1, "existing": result.findings.len() - 1})
        );
    }
}
