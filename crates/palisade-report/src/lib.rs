//! Results → reports. Every format renders the same [`ScanResult`]; none adds or drops
//! findings, and all are deterministic (the same result gives byte-identical output).

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use palisade_core::{
    ControlMeta, Finding, FrameworkScore, FrameworkSpec, Requirement, ScanResult, Source,
    Suppression,
};

mod baseline;
mod csv;
mod diff;
mod evidence;
mod html;
mod json;
mod junit;
mod markdown;
mod policyreport;
mod prometheus;
mod sarif;
mod saved;
mod snippet;
#[cfg(test)]
mod testdata;
mod text;

pub use baseline::{Baseline, BaselineStatus};
pub use diff::{
    DIFF_SCHEMA_VERSION, Delta, DiffFormat, FrameworkDelta, SeverityDelta, Side, compare,
    render_diff,
};
pub use evidence::Provenance;
pub use json::SCHEMA_VERSION;
pub use saved::{SavedFinding, SavedReport, SavedScore};

/// What a report needs besides the result.
pub struct ReportInput<'a> {
    pub result: &'a ScanResult,
    /// The texts findings point into, for snippets.
    pub sources: &'a [Source],
    /// Metadata of every control that ran, sorted by ID.
    pub controls: &'a [&'static ControlMeta],
    /// The compliance frameworks controls are mapped to (the built-in catalogue). Passed in so
    /// reports stay independent of where the catalogue comes from.
    pub frameworks: &'a [FrameworkSpec],
    /// The Palisade version, recorded in reports.
    pub tool_version: &'a str,
    /// Each finding's standing against the `--baseline` report, when one was given.
    pub baseline: Option<&'a Baseline>,
    /// When and against what catalogue and frameworks the report was made (its evidence).
    pub provenance: Provenance,
    /// Sources by path and their line starts, so a report with many findings finds each
    /// snippet in constant time.
    index: SourceIndex<'a>,
}

struct SourceIndex<'a> {
    by_path: HashMap<&'a str, usize>,
    line_starts: Vec<OnceLock<Vec<usize>>>,
}

impl<'a> ReportInput<'a> {
    pub fn new(
        result: &'a ScanResult,
        sources: &'a [Source],
        controls: &'a [&'static ControlMeta],
        frameworks: &'a [FrameworkSpec],
        tool_version: &'a str,
    ) -> Self {
        let by_path = sources
            .iter()
            .enumerate()
            .map(|(i, s)| (&*s.path, i))
            .collect();
        ReportInput {
            result,
            sources,
            controls,
            frameworks,
            tool_version,
            baseline: None,
            provenance: Provenance::new(controls),
            index: SourceIndex {
                by_path,
                line_starts: sources.iter().map(|_| OnceLock::new()).collect(),
            },
        }
    }

    /// The source a finding's location names.
    pub fn source(&self, file: &str) -> Option<&'a Source> {
        self.index.by_path.get(file).map(|&i| &self.sources[i])
    }

    /// The text of a source file by the path findings use.
    pub fn source_text(&self, file: &str) -> Option<&'a str> {
        self.source(file).map(|s| &*s.text)
    }

    /// Line `line` (1-based) of a source file, without its line break.
    pub fn source_line(&self, file: &str, line: u32) -> Option<&'a str> {
        let i = *self.index.by_path.get(file)?;
        let text: &'a str = &self.sources[i].text;
        let starts = self.index.line_starts[i].get_or_init(|| {
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        });
        let start = *starts.get(usize::try_from(line).ok()?.checked_sub(1)?)?;
        let rest = text.get(start..)?;
        let end = rest.find('\n').unwrap_or(rest.len());
        Some(rest[..end].strip_suffix('\r').unwrap_or(&rest[..end]))
    }

    /// The baseline standing of the finding at `index` of the result.
    pub fn baseline_status(&self, index: usize) -> Option<BaselineStatus> {
        self.baseline.and_then(|b| b.status(index))
    }

    pub fn control(&self, id: &str) -> Option<&'static ControlMeta> {
        self.controls.iter().find(|c| c.id == id).copied()
    }

    /// The framework requirements a control serves, framework by framework.
    pub fn requirements_served<'s>(
        &'s self,
        control_id: &'s str,
    ) -> impl Iterator<Item = (&'a FrameworkSpec, &'a Requirement)> + 's {
        self.frameworks
            .iter()
            .flat_map(move |f| f.served_by(control_id).map(move |r| (f, r)))
    }
}

/// The checks a framework's requirements lost to exceptions and ignore annotations, one line per
/// control and resource (a resource's several findings of one control share one exception),
/// in the result's order.
pub fn exceptions_in<'r>(
    framework: &FrameworkScore,
    result: &'r ScanResult,
) -> Vec<(&'r Finding, &'r Suppression)> {
    let serving: HashSet<&str> = framework
        .requirements
        .iter()
        .flat_map(|r| r.controls.iter().map(String::as_str))
        .collect();
    let mut seen = HashSet::new();
    result
        .suppressed
        .iter()
        .filter(|s| serving.contains(s.finding.control))
        .filter(|s| seen.insert((s.finding.control, &s.finding.resource)))
        .map(|s| (&s.finding, &s.suppression))
        .collect()
}

/// Why a check was taken out, in a few words: the reason, and the expiry or annotation.
pub fn suppression_words(suppression: &Suppression) -> String {
    match suppression {
        Suppression::Exception {
            reason,
            expires: Some(expires),
        } => format!("exception until {expires}: {reason}"),
        Suppression::Exception {
            reason,
            expires: None,
        } => format!("exception: {reason}"),
        Suppression::InlineIgnore { annotation, reason } => {
            format!("ignored by annotation {annotation}: {reason}")
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
    Csv,
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport` objects.
    OpenReports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport` objects.
    PolicyReport,
    /// Prometheus text exposition, for a textfile collector.
    Prometheus,
    Html,
}

impl Format {
    pub const ALL: [Format; 10] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
        Format::Csv,
        Format::OpenReports,
        Format::PolicyReport,
        Format::Prometheus,
        Format::Html,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
            Format::OpenReports => "openreports",
            Format::PolicyReport => "policyreport",
            Format::Prometheus => "prometheus",
            Format::Html => "html",
        }
    }

    /// Whether the format quotes lines of the scanned files (snippets), and so needs their text.
    pub fn quotes_source(self) -> bool {
        matches!(self, Format::Text | Format::Sarif | Format::Html)
    }

    /// File name used with `--output-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "palisade.txt",
            Format::Json => "palisade.json",
            Format::Sarif => "palisade.sarif",
            Format::Junit => "palisade.junit.xml",
            Format::Markdown => "palisade.md",
            Format::Csv => "palisade.csv",
            Format::OpenReports => "palisade.openreports.json",
            Format::PolicyReport => "palisade.policyreport.json",
            Format::Prometheus => "palisade.prom",
            Format::Html => "palisade.html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md" => Ok(Format::Markdown),
            "xml" => Ok(Format::Junit),
            "htm" => Ok(Format::Html),
            lower => Format::ALL
                .into_iter()
                .find(|f| f.name() == lower)
                .ok_or_else(|| {
                    let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                    format!(
                        "unknown format `{s}` (expected one of {})",
                        names.join(", ")
                    )
                }),
        }
    }
}

/// Options for the terminal format.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
}

/// Writes `input` in `format` to `out`. Text, JSON, SARIF, HTML and CSV are streamed.
pub fn write(
    format: Format,
    input: &ReportInput<'_>,
    text: TextOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::write(input, text, out),
        Format::Json => json::write(input, out),
        Format::Sarif => sarif::write(input, out),
        Format::Junit => out.write_all(junit::render(input).as_bytes()),
        Format::Markdown => out.write_all(markdown::render(input).as_bytes()),
        Format::Csv => csv::write(input, out),
        Format::OpenReports => policyreport::write(policyreport::Api::OpenReports, input, out),
        Format::PolicyReport => policyreport::write(policyreport::Api::PolicyWg, input, out),
        Format::Prometheus => out.write_all(prometheus::render(input).as_bytes()),
        Format::Html => html::write(input, out),
    }
}

/// Renders `input` in `format` into a string.
pub fn render(format: Format, input: &ReportInput<'_>, text: TextOptions) -> String {
    let mut out = Vec::new();
    write(format, input, text, &mut out).expect("writing to memory cannot fail");
    String::from_utf8(out).expect("reports are UTF-8")
}
