//! What the HTML report shows, as plain values for its templates: the result summarised,
//! grouped and counted here, so the templates only lay it out.

use std::collections::{BTreeMap, HashMap};

use palisade_core::{
    ControlMeta, ControlSummary, DiagnosticLevel, Finding, FrameworkScore, NotEvaluated,
    ResourceId, Severity, Suppression, is_document_marker,
};
use serde::Serialize;

use super::chart::{self, Bar};
use super::digits;
use crate::ReportInput;
use crate::evidence::Evidence;
use crate::snippet::{highlight, may_quote_source, printable};

/// Findings shown per control; the rest are counted in a "not shown" note pointing to the JSON
/// report. A 100,000-object scan has hundreds of thousands of findings, more than a browser
/// lays out comfortably, and past a hundred of one kind a reader learns nothing new.
pub(crate) const MAX_PER_CONTROL: usize = 100;

/// Namespaces charted by name; the rest share one bar.
const TOP_NAMESPACES: usize = 10;

/// Resources listed per group of not-evaluated or suppressed findings.
const MAX_GROUP_RESOURCES: usize = 20;

/// Lines of context shown around a finding's location, and the most lines it may mark.
const CONTEXT_LINES: u32 = 2;
const MAX_MARKED_LINES: u32 = 6;

/// Everything on the page but the findings themselves, which are rendered one at a time.
#[derive(Serialize)]
pub(crate) struct Page<'a> {
    pub title: &'static str,
    pub scope: String,
    pub tool_version: &'a str,
    pub verdict: String,
    pub summary: Summary,
    pub charts: Vec<Chart>,
    pub frameworks: Vec<FrameworkView<'a>>,
    pub filters: Filters,
    pub has_findings: bool,
    pub findings_total: String,
    pub findings_rendered: String,
    pub max_per_control: usize,
    pub hidden: Vec<Hidden<'a>>,
    pub not_evaluated: Vec<Group<'a>>,
    pub suppressed: Vec<Group<'a>>,
    pub expired_exceptions: Vec<Expired>,
    pub diagnostics: Vec<DiagnosticView>,
    /// The same evidence every report carries.
    pub evidence: Evidence<'a>,
}

#[derive(Serialize)]
pub(crate) struct Summary {
    pub resources: String,
    pub findings: String,
    pub severities: Vec<SeverityCount>,
    pub not_evaluated: String,
    pub suppressed: String,
    pub input_errors: String,
    pub input_warnings: String,
}

#[derive(Serialize)]
pub(crate) struct SeverityCount {
    pub name: &'static str,
    pub count: String,
}

#[derive(Serialize)]
pub(crate) struct Chart {
    pub id: &'static str,
    pub title: String,
    /// Markup made by [`chart::bar_chart`], which escapes every label itself.
    pub svg: String,
}

#[derive(Serialize)]
pub(crate) struct Filters {
    pub severities: Vec<&'static str>,
    pub families: Vec<Choice>,
    pub namespaces: Vec<Choice>,
}

#[derive(Serialize)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
}

/// A framework's score and every requirement's standing.
#[derive(Serialize)]
pub(crate) struct FrameworkView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub version: &'a str,
    pub score: String,
    pub coverage: String,
    /// How many requirements have each status, e.g. `12 passed`.
    pub statuses: Vec<String>,
    /// The requirements controls decide (or could not), in the framework's order.
    pub scanned: Vec<RequirementView<'a>>,
    /// The requirements a person or a node scan decides: listed apart, as a scan says nothing
    /// about them.
    pub outside: Vec<RequirementView<'a>>,
}

#[derive(Serialize)]
pub(crate) struct RequirementView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub status: &'static str,
    pub score: String,
    pub passed: u32,
    pub failed: u32,
    pub excepted: u32,
    pub not_evaluated: u32,
    pub controls: &'a [String],
    /// Its controls this scan did not run (`--only`, `--skip`): why it may be not evaluated.
    pub not_run: Vec<&'a str>,
}

/// A control with findings beyond [`MAX_PER_CONTROL`].
#[derive(Serialize)]
pub(crate) struct Hidden<'a> {
    pub control: &'a str,
    pub title: &'a str,
    pub not_shown: String,
}

/// Not-evaluated or suppressed findings of one control for one reason.
#[derive(Serialize)]
pub(crate) struct Group<'a> {
    pub control: &'a str,
    pub title: &'a str,
    /// `exception` or `inline ignore` for suppressed findings; empty for not evaluated.
    pub kind: &'static str,
    pub reason: String,
    pub annotation: Option<String>,
    pub expires: Option<String>,
    pub count: String,
    pub resources: Vec<String>,
    pub more: usize,
}

#[derive(Serialize)]
pub(crate) struct Expired {
    pub control: String,
    pub reason: String,
    pub expired: String,
}

#[derive(Serialize)]
pub(crate) struct DiagnosticView {
    pub level: &'static str,
    pub place: Option<String>,
    pub message: String,
}

/// How the report was made: enough to tell what was scanned and reproduce it.
/// One finding as its card shows it.
#[derive(Serialize)]
pub(crate) struct FindingView<'a> {
    pub severity: &'static str,
    pub control: &'a str,
    pub title: &'a str,
    pub family: &'a str,
    /// Empty for cluster-scoped resources.
    pub namespace: String,
    pub resource: String,
    pub api_version: String,
    pub place: Option<String>,
    pub path: Option<String>,
    pub message: String,
    pub remediation: &'a str,
    pub fix: Option<String>,
    pub risk: u8,
    pub factors: Vec<FactorView>,
    pub snippet: Vec<SnippetLine>,
    /// Set when the finding has a location whose text is not quoted because it may hold
    /// secret values.
    pub withheld: bool,
}

/// A piece of context that raised a finding's risk.
#[derive(Serialize)]
pub(crate) struct FactorView {
    pub name: &'static str,
    pub explanation: &'static str,
    /// The factor's multiplier, e.g. `×1.6`.
    pub weight: String,
}

#[derive(Serialize)]
pub(crate) struct SnippetLine {
    pub number: u32,
    /// One of the lines the location covers.
    pub marked: bool,
    pub before: String,
    pub hit: String,
    pub after: String,
}

/// Control metadata by ID, looked up once per finding.
pub(crate) struct Controls<'a>(HashMap<&'a str, &'static ControlMeta>);

impl<'a> Controls<'a> {
    pub fn new(input: &ReportInput<'a>) -> Self {
        Controls(input.controls.iter().map(|c| (c.id, *c)).collect())
    }

    fn title(&self, id: &'a str) -> &'static str {
        self.0.get(id).map_or("", |c| c.title)
    }

    /// The family prefix, from the metadata or else from the ID itself (`POD-001` → `POD`).
    pub fn family(&self, id: &'a str) -> &'a str {
        self.0
            .get(id)
            .map_or_else(|| id.split('-').next().unwrap_or(id), |c| c.family.prefix())
    }
}

/// Which findings the page renders: the first [`MAX_PER_CONTROL`] of each control in report
/// order, so the most serious of each kind are the ones shown.
pub(crate) struct Selection<'a> {
    pub shown: Vec<bool>,
    pub per_control: BTreeMap<&'a str, usize>,
}

impl<'a> Selection<'a> {
    pub fn new(findings: &'a [Finding]) -> Self {
        let mut per_control: BTreeMap<&str, usize> = BTreeMap::new();
        let shown = findings
            .iter()
            .map(|f| {
                let seen = per_control.entry(f.control).or_default();
                *seen += 1;
                *seen <= MAX_PER_CONTROL
            })
            .collect();
        Selection { shown, per_control }
    }

    pub fn rendered(&self) -> usize {
        self.shown.iter().filter(|s| **s).count()
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", digits(n), if n == 1 { one } else { many })
}

/// `(cluster-scoped)` stands for resources without a namespace in charts and filters.
fn namespace_label(namespace: &str) -> String {
    if namespace.is_empty() {
        "(cluster-scoped)".to_string()
    } else {
        printable(namespace).into_owned()
    }
}

fn severity_class(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "sev-critical",
        Severity::High => "sev-high",
        Severity::Medium => "sev-medium",
        Severity::Low => "sev-low",
        Severity::Info => "sev-info",
    }
}

pub(crate) fn page<'a>(
    input: &'a ReportInput<'a>,
    controls: &Controls<'a>,
    selection: &Selection<'a>,
) -> Page<'a> {
    let result = input.result;
    let count_level = |level| {
        result
            .diagnostics
            .iter()
            .filter(|d| d.level == level)
            .count()
    };
    let severities: Vec<(Severity, usize)> = Severity::ALL
        .into_iter()
        .map(|s| (s, result.count_by_severity(s)))
        .collect();
    let by_family = count_by(result.findings.iter().map(|f| controls.family(f.control)));
    let by_namespace = count_by(
        result
            .findings
            .iter()
            .map(|f| f.resource.namespace.as_deref().unwrap_or("")),
    );

    Page {
        title: "Palisade security report",
        scope: scope(input),
        tool_version: input.tool_version,
        verdict: verdict(input, &severities),
        summary: Summary {
            resources: digits(result.resources_scanned),
            findings: digits(result.findings.len()),
            severities: severities
                .iter()
                .map(|(s, n)| SeverityCount {
                    name: s.as_str(),
                    count: digits(*n),
                })
                .collect(),
            not_evaluated: digits(result.not_evaluated.len()),
            suppressed: digits(result.suppressed.len()),
            input_errors: digits(count_level(DiagnosticLevel::Error)),
            input_warnings: digits(count_level(DiagnosticLevel::Warning)),
        },
        charts: charts(&severities, &by_family, &by_namespace, &result.frameworks),
        frameworks: result
            .frameworks
            .iter()
            .map(|f| framework(f, &result.controls))
            .collect(),
        filters: Filters {
            severities: severities
                .iter()
                .filter(|(_, n)| *n > 0)
                .map(|(s, _)| s.as_str())
                .collect(),
            families: by_family
                .iter()
                .map(|(family, _)| Choice {
                    value: family.to_string(),
                    label: family_label(family),
                })
                .collect(),
            namespaces: by_namespace
                .iter()
                .map(|(ns, _)| Choice {
                    // As the cards carry it, so the filter compares like with like.
                    value: printable(ns).into_owned(),
                    label: namespace_label(ns),
                })
                .collect(),
        },
        has_findings: !result.findings.is_empty(),
        findings_total: digits(result.findings.len()),
        findings_rendered: digits(selection.rendered()),
        max_per_control: MAX_PER_CONTROL,
        hidden: selection
            .per_control
            .iter()
            .filter(|(_, n)| **n > MAX_PER_CONTROL)
            .map(|(control, n)| Hidden {
                control,
                title: controls.title(control),
                not_shown: digits(n - MAX_PER_CONTROL),
            })
            .collect(),
        not_evaluated: not_evaluated_groups(&result.not_evaluated, controls),
        suppressed: suppressed_groups(input, controls),
        expired_exceptions: result
            .expired_exceptions
            .iter()
            .map(|e| Expired {
                control: printable(&e.control).into_owned(),
                reason: printable(&e.reason).into_owned(),
                expired: printable(&e.expired).into_owned(),
            })
            .collect(),
        diagnostics: result
            .diagnostics
            .iter()
            .map(|d| DiagnosticView {
                level: match d.level {
                    DiagnosticLevel::Error => "error",
                    DiagnosticLevel::Warning => "warning",
                },
                place: d.file.as_ref().map(|file| match (d.line, d.column) {
                    (Some(line), Some(column)) => format!("{}:{line}:{column}", printable(file)),
                    (Some(line), None) => format!("{}:{line}", printable(file)),
                    _ => printable(file).into_owned(),
                }),
                message: printable(&d.message).into_owned(),
            })
            .collect(),
        evidence: Evidence::of(input),
    }
}

/// Counts by key, largest first, then by key.
fn count_by<'k>(keys: impl Iterator<Item = &'k str>) -> Vec<(&'k str, usize)> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    counts
}

fn family_label(prefix: &str) -> String {
    palisade_core::Family::ALL
        .into_iter()
        .find(|f| f.prefix() == prefix)
        .map_or_else(
            || printable(prefix).into_owned(),
            |f| format!("{prefix} ({})", f.description()),
        )
}

/// A score as the page prints it: one decimal, or `n/a` when nothing could be scored.
fn score_text(score: Option<f64>) -> String {
    score.map_or_else(|| "n/a".to_string(), |s| format!("{s:.1} %"))
}

fn score_class(score: Option<f64>) -> &'static str {
    match score {
        None => "score-none",
        Some(s) if s >= 80.0 => "score-good",
        Some(s) if s >= 50.0 => "score-fair",
        Some(_) => "score-poor",
    }
}

fn framework<'a>(score: &'a FrameworkScore, ran: &'a [ControlSummary]) -> FrameworkView<'a> {
    use palisade_core::RequirementStatus as Status;
    let coverage = &score.coverage;
    FrameworkView {
        id: &score.id,
        name: &score.name,
        version: &score.version,
        score: score_text(score.score),
        coverage: format!(
            "{} requirements: {} automated, {} manual, {} need a node scan",
            digits(coverage.total()),
            digits(coverage.automated),
            digits(coverage.manual),
            digits(coverage.node_scan)
        ),
        statuses: [
            Status::Passed,
            Status::Failed,
            Status::NotEvaluated,
            Status::NotApplicable,
            Status::Manual,
            Status::NeedsNodeScan,
        ]
        .into_iter()
        .map(|status| (status, score.count(status)))
        .filter(|(_, n)| *n > 0)
        .map(|(status, n)| format!("{} {}", digits(n), status.as_str().replace('-', " ")))
        .collect(),
        scanned: requirement_views(score, ran, false),
        outside: requirement_views(score, ran, true),
    }
}

fn requirement_views<'a>(
    score: &'a FrameworkScore,
    ran: &'a [ControlSummary],
    outside_the_scan: bool,
) -> Vec<RequirementView<'a>> {
    use palisade_core::RequirementStatus as Status;
    score
        .requirements
        .iter()
        .filter(|r| matches!(r.status, Status::Manual | Status::NeedsNodeScan) == outside_the_scan)
        .map(|r| RequirementView {
            id: &r.id,
            title: &r.title,
            status: r.status.as_str(),
            score: score_text(r.score),
            passed: r.passed,
            failed: r.failed,
            excepted: r.excepted,
            not_evaluated: r.not_evaluated,
            controls: &r.controls,
            not_run: r.not_run(ran).collect(),
        })
        .collect()
}

fn charts(
    severities: &[(Severity, usize)],
    by_family: &[(&str, usize)],
    by_namespace: &[(&str, usize)],
    frameworks: &[FrameworkScore],
) -> Vec<Chart> {
    let largest = |counts: &mut dyn Iterator<Item = usize>| counts.max().unwrap_or(0) as f64;
    let severity_bars: Vec<Bar> = severities
        .iter()
        .map(|(s, n)| Bar::count(s.as_str(), *n, severity_class(*s)))
        .collect();
    let family_bars: Vec<Bar> = by_family
        .iter()
        .map(|(family, n)| Bar::count(*family, *n, "family"))
        .collect();
    let namespace_bars: Vec<Bar> = by_namespace
        .iter()
        .take(TOP_NAMESPACES)
        .map(|(ns, n)| Bar::count(namespace_label(ns), *n, "namespace"))
        .collect();
    // The rest are named in the title rather than drawn: their sum would dwarf every bar.
    let rest = &by_namespace[namespace_bars.len()..];
    let namespace_title = if rest.is_empty() {
        "Findings by namespace".to_string()
    } else {
        format!(
            "Findings by namespace: top {TOP_NAMESPACES} of {} ({} more in the other {})",
            digits(by_namespace.len()),
            digits(rest.iter().map(|(_, n)| n).sum()),
            digits(rest.len()),
        )
    };
    let mut charts = vec![
        Chart {
            id: "chart-severity",
            title: "Findings by severity".into(),
            svg: chart::bar_chart(
                "Findings by severity",
                &severity_bars,
                largest(&mut severities.iter().map(|(_, n)| *n)),
            ),
        },
        Chart {
            id: "chart-family",
            title: "Findings by control family".into(),
            svg: chart::bar_chart(
                "Findings by control family",
                &family_bars,
                largest(&mut by_family.iter().map(|(_, n)| *n)),
            ),
        },
        Chart {
            id: "chart-namespace",
            svg: chart::bar_chart(
                &namespace_title,
                &namespace_bars,
                largest(&mut namespace_bars.iter().map(|b| b.value as usize)),
            ),
            title: namespace_title,
        },
    ];
    if !frameworks.is_empty() {
        let bars: Vec<Bar> = frameworks
            .iter()
            .map(|f| Bar {
                label: printable(&f.name).into_owned(),
                value: f.score.unwrap_or(0.0),
                shown: score_text(f.score),
                class: score_class(f.score),
            })
            .collect();
        charts.push(Chart {
            id: "chart-frameworks",
            title: "Compliance score per framework".into(),
            svg: chart::bar_chart("Compliance score per framework", &bars, 100.0),
        });
    }
    charts
}

/// What was scanned, in a few words.
fn scope(input: &ReportInput<'_>) -> String {
    let result = input.result;
    let resources = plural(result.resources_scanned, "resource", "resources");
    match result.clusters.as_slice() {
        [] => format!(
            "{resources} from {}",
            plural(result.sources_scanned, "source", "sources")
        ),
        [cluster] => format!(
            "{resources} in cluster {} ({}), read at {}",
            printable(&cluster.name),
            printable(&cluster.version),
            printable(&cluster.read_at)
        ),
        clusters => format!(
            "{resources} in {} clusters: {}",
            clusters.len(),
            clusters
                .iter()
                .map(|c| printable(&c.name).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn verdict(input: &ReportInput<'_>, severities: &[(Severity, usize)]) -> String {
    let result = input.result;
    if result.findings.is_empty() {
        return "No findings.".to_string();
    }
    let counts: Vec<String> = severities
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{} {s}", digits(*n)))
        .collect();
    let resources = result
        .findings
        .iter()
        .map(|f| &f.resource)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    format!(
        "{} ({}) in {}.",
        plural(result.findings.len(), "finding", "findings"),
        counts.join(", "),
        plural(resources, "resource", "resources")
    )
}

fn resource_text(resource: &ResourceId) -> String {
    printable(&resource.to_string()).into_owned()
}

/// Lists at most [`MAX_GROUP_RESOURCES`] resources and says how many more there are.
fn listed<'r>(resources: impl ExactSizeIterator<Item = &'r ResourceId>) -> (Vec<String>, usize) {
    let total = resources.len();
    let listed: Vec<String> = resources
        .take(MAX_GROUP_RESOURCES)
        .map(resource_text)
        .collect();
    let more = total - listed.len();
    (listed, more)
}

fn not_evaluated_groups<'a>(items: &'a [NotEvaluated], controls: &Controls<'a>) -> Vec<Group<'a>> {
    let mut groups: BTreeMap<(&str, &str), Vec<&ResourceId>> = BTreeMap::new();
    for item in items {
        groups
            .entry((item.control, &item.reason))
            .or_default()
            .push(&item.resource);
    }
    groups
        .into_iter()
        .map(|((control, reason), resources)| {
            let count = digits(resources.len());
            let (resources, more) = listed(resources.into_iter());
            Group {
                control,
                title: controls.title(control),
                kind: "",
                reason: printable(reason).into_owned(),
                annotation: None,
                expires: None,
                count,
                resources,
                more,
            }
        })
        .collect()
}

fn suppressed_groups<'a>(input: &ReportInput<'a>, controls: &Controls<'a>) -> Vec<Group<'a>> {
    type Key<'k> = (
        &'k str,
        &'static str,
        &'k str,
        Option<&'k str>,
        Option<&'k str>,
    );
    let mut groups: BTreeMap<Key<'a>, Vec<&ResourceId>> = BTreeMap::new();
    for s in &input.result.suppressed {
        let key: Key<'a> = match &s.suppression {
            Suppression::Exception { reason, expires } => (
                s.finding.control,
                "exception",
                reason,
                None,
                expires.as_deref(),
            ),
            Suppression::InlineIgnore { annotation, reason } => (
                s.finding.control,
                "inline ignore",
                reason,
                Some(annotation),
                None,
            ),
        };
        groups.entry(key).or_default().push(&s.finding.resource);
    }
    groups
        .into_iter()
        .map(
            |((control, kind, reason, annotation, expires), resources)| {
                let count = digits(resources.len());
                let (resources, more) = listed(resources.into_iter());
                Group {
                    control,
                    title: controls.title(control),
                    kind,
                    reason: printable(reason).into_owned(),
                    annotation: annotation.map(|a| printable(a).into_owned()),
                    expires: expires.map(|e| printable(e).into_owned()),
                    count,
                    resources,
                    more,
                }
            },
        )
        .collect()
}

pub(crate) fn finding<'a>(
    input: &ReportInput<'a>,
    controls: &Controls<'a>,
    finding: &'a Finding,
) -> FindingView<'a> {
    let quotable = may_quote_source(input, finding);
    let snippet = finding
        .location
        .as_ref()
        .filter(|_| quotable)
        .map(|location| snippet(input, location))
        .unwrap_or_default();
    FindingView {
        severity: finding.severity.as_str(),
        control: finding.control,
        title: finding.title,
        family: controls.family(finding.control),
        namespace: finding
            .resource
            .namespace
            .as_deref()
            .map(|ns| printable(ns).into_owned())
            .unwrap_or_default(),
        resource: resource_text(&finding.resource),
        api_version: printable(&finding.resource.api_version).into_owned(),
        place: finding
            .location
            .as_ref()
            .map(|l| format!("{}:{}:{}", printable(&l.file), l.line, l.column)),
        path: (!finding.path.is_root()).then(|| printable(finding.path.as_str()).into_owned()),
        // The card keeps a message's line breaks; other control characters are shown escaped.
        message: finding
            .message
            .split('\n')
            .map(printable)
            .collect::<Vec<_>>()
            .join("\n"),
        remediation: finding.remediation,
        fix: finding.fix.as_ref().map(|fix| {
            let safety = match fix.safety {
                palisade_core::FixSafety::Safe => "safe to apply as is",
                palisade_core::FixSafety::Unsafe => "review before applying",
            };
            format!("{} ({safety})", printable(&fix.description))
        }),
        risk: finding.risk.score,
        factors: finding
            .risk
            .factors
            .iter()
            .map(|factor| FactorView {
                name: factor.name,
                explanation: factor.explanation,
                weight: format!("×{}", factor.multiplier()),
            })
            .collect(),
        snippet,
        withheld: finding.location.is_some() && !quotable,
    }
}

/// The lines around `location`: a few before, the located lines (at most
/// [`MAX_MARKED_LINES`]), a few after. A location on one line marks its columns; one spanning
/// lines marks those lines whole.
fn snippet(input: &ReportInput<'_>, location: &palisade_core::Location) -> Vec<SnippetLine> {
    // A span ending at column 1 ends before its last line starts.
    let last_marked = if location.end_line > location.line && location.end_column <= 1 {
        location.end_line - 1
    } else {
        location.end_line.max(location.line)
    }
    .min(location.line + MAX_MARKED_LINES - 1);
    // Context stays within the finding's own document, and blank lines after the location say
    // nothing (the last is often the end of the file).
    let context = |line: &u32| {
        input
            .source_line(&location.file, *line)
            .is_some_and(|text| !text.trim().is_empty() && !is_document_marker(text))
    };
    let first = (location.line.saturating_sub(CONTEXT_LINES).max(1)..location.line)
        .rev()
        .take_while(context)
        .last()
        .unwrap_or(location.line);
    let last = (last_marked + 1..=last_marked + CONTEXT_LINES)
        .take_while(context)
        .last()
        .unwrap_or(last_marked);
    (first..=last)
        .map_while(|number| Some((number, input.source_line(&location.file, number)?)))
        .map(|(number, text)| {
            let marked = (location.line..=last_marked).contains(&number);
            let range = if !marked {
                0..0
            } else if last_marked == location.line {
                highlight(text, location)
            } else {
                0..text.len()
            };
            SnippetLine {
                number,
                marked,
                before: printable(&text[..range.start]).into_owned(),
                hit: printable(&text[range.clone()]).into_owned(),
                after: printable(&text[range.end..]).into_owned(),
            }
        })
        .collect()
}
