//! The JSON report. Its schema is documented in `docs/json-report.md`; bump
//! [`SCHEMA_VERSION`] on any incompatible change.

use serde::Serialize;

use palisade_core::{
    ClusterSummary, ControlSummary, Diagnostic, ExpiredException, Finding, FrameworkScore,
    NotEvaluated, SuppressedFinding,
};

use crate::ReportInput;

/// Version of the JSON report layout.
/// Version 2: findings carry `risk` and are sorted by it; `frameworks` holds compliance scores.
pub const SCHEMA_VERSION: &str = "2";

#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "schemaVersion")]
    schema_version: &'static str,
    tool: Tool<'a>,
    summary: Summary,
    /// Cluster scans only: each cluster read, with the kinds it would not serve.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    clusters: &'a [ClusterSummary],
    /// Scans with `--framework` only: each framework's score and requirements.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    frameworks: &'a [FrameworkScore],
    findings: &'a [Finding],
    suppressed: &'a [SuppressedFinding],
    #[serde(rename = "notEvaluated")]
    not_evaluated: &'a [NotEvaluated],
    controls: &'a [ControlSummary],
    diagnostics: &'a [Diagnostic],
    #[serde(rename = "expiredExceptions")]
    expired_exceptions: &'a [ExpiredException],
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
pub(crate) fn write(input: &ReportInput<'_>, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    use palisade_core::{DiagnosticLevel, Severity};
    let r = input.result;
    let report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "palisade",
            version: input.tool_version,
        },
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
        findings: &r.findings,
        suppressed: &r.suppressed,
        not_evaluated: &r.not_evaluated,
        controls: &r.controls,
        diagnostics: &r.diagnostics,
        expired_exceptions: &r.expired_exceptions,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    out.write_all(b"\n")
}
