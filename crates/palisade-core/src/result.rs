//! The outcome of a scan, as every reporter receives it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::control::Severity;
use crate::finding::{Finding, Location};
use crate::resource::{ResourceId, Unavailable};
use crate::score::FrameworkScore;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    Warning,
    Error,
}

/// A problem with the input or the configuration, not with the resources' security.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    /// File the problem is in, when it is in a file.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    pub message: String,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Error,
            file: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic {
            level: DiagnosticLevel::Warning,
            ..Diagnostic::error(message)
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at(mut self, line: u32, column: u32) -> Self {
        self.line = Some(line);
        self.column = Some(column);
        self
    }
}

/// A control that could not judge a resource, and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct NotEvaluated {
    pub control: &'static str,
    pub resource: Arc<ResourceId>,
    pub reason: Cow<'static, str>,
    pub location: Option<Location>,
}

/// Why a finding is not counted against the resource.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suppression {
    /// An annotation on the resource (Palisade's or another tool's).
    InlineIgnore { annotation: String, reason: String },
    /// An exception from the configuration file.
    Exception {
        reason: String,
        expires: Option<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SuppressedFinding {
    pub finding: Finding,
    pub suppression: Suppression,
}

/// An exception whose expiry date has passed; it no longer applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiredException {
    pub control: String,
    pub reason: String,
    pub expired: String,
}

/// How one control fared across all resources.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ControlSummary {
    pub control: &'static str,
    pub passed: u32,
    pub failed: u32,
    pub not_applicable: u32,
    pub not_evaluated: u32,
    pub suppressed: u32,
}

/// One cluster of a cluster scan: what was read and what could not be.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSummary {
    /// The kubeconfig context (`in-cluster` inside a pod).
    pub name: String,
    pub server: String,
    /// The API server's `gitVersion`.
    pub version: String,
    /// When the cluster was read (RFC 3339).
    pub read_at: String,
    pub resources: usize,
    pub findings: usize,
    /// Kinds it would not serve; their objects are missing from the scan.
    pub unavailable: Vec<Unavailable>,
}

/// Everything a scan produced. All lists are sorted, so reports are deterministic.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanResult {
    pub findings: Vec<Finding>,
    pub suppressed: Vec<SuppressedFinding>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub controls: Vec<ControlSummary>,
    pub diagnostics: Vec<Diagnostic>,
    pub expired_exceptions: Vec<ExpiredException>,
    pub resources_scanned: usize,
    pub sources_scanned: usize,
    /// Set by cluster scans, one entry per cluster in the order they were named.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterSummary>,
    /// Compliance scores of the frameworks asked for (`--framework`), in the order asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub frameworks: Vec<FrameworkScore>,
}

impl ScanResult {
    /// Adds the result of another evaluation with the same plan (another cluster), keeping
    /// every list in report order.
    pub fn merge(&mut self, other: ScanResult) {
        /// Appends, or takes the other list whole when this one is empty: a large cluster's
        /// findings are hundreds of megabytes, and copying them would hold them twice.
        fn append<T>(mine: &mut Vec<T>, mut theirs: Vec<T>) {
            if mine.is_empty() {
                std::mem::swap(mine, &mut theirs);
            } else {
                mine.append(&mut theirs);
            }
        }
        append(&mut self.findings, other.findings);
        append(&mut self.suppressed, other.suppressed);
        append(&mut self.not_evaluated, other.not_evaluated);
        append(&mut self.diagnostics, other.diagnostics);
        append(&mut self.expired_exceptions, other.expired_exceptions);
        self.resources_scanned += other.resources_scanned;
        self.sources_scanned += other.sources_scanned;
        self.clusters.extend(other.clusters);
        // Scores describe the counts they were computed from; the caller scores the sum.
        self.frameworks.clear();
        if self.controls.is_empty() {
            self.controls = other.controls;
        } else {
            for (mine, theirs) in self.controls.iter_mut().zip(other.controls) {
                debug_assert_eq!(mine.control, theirs.control, "merged results share a plan");
                mine.passed += theirs.passed;
                mine.failed += theirs.failed;
                mine.not_applicable += theirs.not_applicable;
                mine.not_evaluated += theirs.not_evaluated;
                mine.suppressed += theirs.suppressed;
            }
        }
        self.findings
            .sort_unstable_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.suppressed
            .sort_unstable_by(|a, b| a.finding.sort_key().cmp(&b.finding.sort_key()));
        self.not_evaluated.sort_unstable();
        self.diagnostics.sort();
        self.diagnostics.dedup();
        self.expired_exceptions.dedup();
    }

    /// Findings at or above `threshold`.
    pub fn count_at_least(&self, threshold: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= threshold)
            .count()
    }

    pub fn count_by_severity(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error)
    }
}
