//! The outcome of a scan, as every reporter receives it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::control::Severity;
use crate::finding::{Finding, Location};
use crate::resource::ResourceId;

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
}

impl ScanResult {
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
