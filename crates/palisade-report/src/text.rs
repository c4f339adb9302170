//! The terminal report: findings grouped by severity, each shown the way a compiler shows an
//! error, then a summary.

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use palisade_core::{ClusterSummary, DiagnosticLevel, Finding, Severity};

use crate::evidence::Evidence;
use crate::snippet::{highlight, printable};
use crate::{BaselineStatus, ReportInput, TextOptions};

/// Inputs, exceptions and not-evaluated entries listed in the evidence section; a scan of a
/// thousand files should not scroll its findings away (the JSON report lists them all).
const EVIDENCE_ITEMS: usize = 20;

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn severity_color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "1;35",
        Severity::High => "1;31",
        Severity::Medium => "1;33",
        Severity::Low => "1;34",
        Severity::Info => "1;36",
    }
}

fn level(severity: Severity) -> Level<'static> {
    let base = match severity {
        Severity::Critical | Severity::High => Level::ERROR,
        Severity::Medium => Level::WARNING,
        Severity::Low | Severity::Info => Level::NOTE,
    };
    base.with_name(severity.as_str())
}

fn render_finding(
    input: &ReportInput<'_>,
    finding: &Finding,
    baseline: Option<BaselineStatus>,
    renderer: &Renderer,
) -> String {
    let title = format!("{}: {}", finding.title, printable(&finding.message));
    let mut notes = vec![format!(
        "resource: {}  ({})",
        printable(&finding.resource.to_string()),
        printable(&finding.resource.api_version)
    )];
    if !finding.path.is_root() {
        notes.push(format!("field: {}", printable(finding.path.as_str())));
    }
    if baseline == Some(BaselineStatus::New) {
        notes.push("new since the baseline".to_string());
    }
    let mut groups = Vec::new();
    let quotable = crate::snippet::may_quote_source(input, finding);
    let snippet = finding
        .location
        .as_ref()
        .filter(|_| quotable)
        .and_then(|loc| {
            let line = input.source_line(&loc.file, loc.line)?;
            Some((loc, line))
        });
    let header = level(finding.severity)
        .primary_title(title.as_str())
        .id(finding.control);
    match (&finding.location, snippet) {
        (Some(loc), Some((_, line))) => {
            let range = highlight(line, loc);
            groups.push(
                header.element(
                    Snippet::source(line)
                        .line_start(loc.line as usize)
                        .path(printable(&loc.file))
                        .annotation(AnnotationKind::Primary.span(range)),
                ),
            );
        }
        (Some(loc), None) => {
            notes.insert(
                0,
                format!("at: {}:{}:{}", printable(&loc.file), loc.line, loc.column),
            );
            groups.push(Group::with_title(header));
        }
        (None, _) => groups.push(Group::with_title(header)),
    }
    let notes_text = notes.join("\n");
    let help = format!(
        "{}  (palisade explain {})",
        finding.remediation, finding.control
    );
    groups.push(Group::with_title(
        Level::NOTE.secondary_title(notes_text.as_str()),
    ));
    groups.push(Group::with_title(
        Level::HELP.secondary_title(help.as_str()),
    ));
    renderer.render(&groups)
}

/// Forwards formatted text to an `io::Write`, keeping the first error.
struct Sink<'a> {
    out: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl std::fmt::Write for Sink<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.error.is_some() {
            return Err(std::fmt::Error);
        }
        self.out.write_all(s.as_bytes()).map_err(|e| {
            self.error = Some(e);
            std::fmt::Error
        })
    }
}

/// Writes the report finding by finding, so a large scan never holds it all in memory.
pub(crate) fn write(
    input: &ReportInput<'_>,
    options: TextOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let mut sink = Sink { out, error: None };
    let _ = render_into(input, options, &mut sink);
    match sink.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn render_into(
    input: &ReportInput<'_>,
    options: TextOptions,
    out: &mut Sink<'_>,
) -> std::fmt::Result {
    let result = input.result;
    let renderer = if options.color {
        Renderer::styled()
    } else {
        Renderer::plain()
    };

    for diagnostic in &result.diagnostics {
        let place = match (&diagnostic.file, diagnostic.line) {
            (Some(file), Some(line)) => format!(
                "{}:{line}:{}: ",
                printable(file),
                diagnostic.column.unwrap_or(1)
            ),
            (Some(file), None) => format!("{}: ", printable(file)),
            _ => String::new(),
        };
        let (code, word) = match diagnostic.level {
            DiagnosticLevel::Error => ("1;31", "input error"),
            DiagnosticLevel::Warning => ("1;33", "input warning"),
        };
        writeln!(
            out,
            "{}: {place}{}",
            paint(options.color, code, word),
            printable(&diagnostic.message)
        )?;
    }
    if !result.diagnostics.is_empty() {
        out.write_char('\n')?;
    }

    // A scan of several clusters gets one section of findings per cluster.
    let sections: Vec<Option<&ClusterSummary>> = if result.clusters.len() > 1 {
        result.clusters.iter().map(Some).collect()
    } else {
        vec![None]
    };
    for cluster in sections {
        if let Some(cluster) = cluster {
            let heading = format!(
                "══ cluster {} ({}, {}) ",
                printable(&cluster.name),
                printable(&cluster.server),
                printable(&cluster.version)
            );
            writeln!(
                out,
                "{}\n",
                paint(options.color, "1", &format!("{heading:═<72}"))
            )?;
        }
        let in_section = |f: &&Finding| {
            cluster.is_none_or(|c| f.resource.cluster.as_deref() == Some(c.name.as_str()))
        };
        write_findings(input, options, &renderer, out, &in_section)?;
    }
    write_clusters(options, out, &result.clusters)?;
    write_rest(input, options, out)
}

/// The findings that pass `keep`, grouped by severity, most severe first.
fn write_findings(
    input: &ReportInput<'_>,
    options: TextOptions,
    renderer: &Renderer,
    out: &mut Sink<'_>,
    keep: &dyn Fn(&&Finding) -> bool,
) -> std::fmt::Result {
    let result = input.result;
    for severity in Severity::ALL {
        let findings: Vec<(usize, &Finding)> = result
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.severity == severity && keep(f))
            .collect();
        if findings.is_empty() {
            continue;
        }
        let heading = format!(
            "── {} ({}) ",
            severity.as_str().to_uppercase(),
            findings.len()
        );
        writeln!(
            out,
            "{}\n",
            paint(
                options.color,
                severity_color(severity),
                &format!("{heading:─<72}")
            )
        )?;
        for (i, finding) in findings {
            let baseline = input.baseline_status(i);
            out.write_str(&render_finding(input, finding, baseline, renderer))?;
            out.write_str("\n\n")?;
        }
    }
    Ok(())
}

/// What each cluster of a cluster scan was, and what it would not let Palisade read.
fn write_clusters(
    options: TextOptions,
    out: &mut Sink<'_>,
    clusters: &[ClusterSummary],
) -> std::fmt::Result {
    if clusters.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{}",
        paint(options.color, "1", &format!("{:─<72}", "── CLUSTERS "))
    )?;
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "cluster",
        "server",
        "version",
        "resources",
        "findings",
        "unreadable kinds",
    ]);
    for c in clusters {
        let unreadable: Vec<String> = c
            .unavailable
            .iter()
            .map(|u| match &u.namespace {
                Some(ns) => format!("{} ({ns})", u.resource),
                None => u.resource.clone(),
            })
            .collect();
        table.add_row(vec![
            printable(&c.name).into_owned(),
            printable(&c.server).into_owned(),
            printable(&c.version).into_owned(),
            c.resources.to_string(),
            c.findings.to_string(),
            if unreadable.is_empty() {
                "-".to_string()
            } else {
                printable(&unreadable.join(", ")).into_owned()
            },
        ]);
    }
    writeln!(out, "{table}\n")
}

fn write_rest(
    input: &ReportInput<'_>,
    options: TextOptions,
    out: &mut Sink<'_>,
) -> std::fmt::Result {
    let result = input.result;

    if !result.not_evaluated.is_empty() {
        writeln!(
            out,
            "{}",
            paint(options.color, "1", &format!("{:─<72}", "── NOT EVALUATED "))
        )?;
        for ne in &result.not_evaluated {
            let place = ne
                .location
                .as_ref()
                .map(|l| format!(" at {}:{}:{}", printable(&l.file), l.line, l.column))
                .unwrap_or_default();
            writeln!(
                out,
                "  {} {}{place}: {}",
                ne.control,
                printable(&ne.resource.to_string()),
                printable(&ne.reason)
            )?;
        }
        out.write_char('\n')?;
    }

    for expired in &result.expired_exceptions {
        writeln!(
            out,
            "{}: exception for {} expired on {} and no longer applies ({})",
            paint(options.color, "1;33", "warning"),
            printable(&expired.control),
            expired.expired,
            printable(&expired.reason)
        )?;
    }

    writeln!(
        out,
        "{}",
        paint(options.color, "1", &format!("{:─<72}", "── EVIDENCE "))
    )?;
    for line in Evidence::of(input).lines(EVIDENCE_ITEMS) {
        writeln!(out, "  {}", printable(&line))?;
    }
    out.write_char('\n')?;

    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "critical",
        "high",
        "medium",
        "low",
        "info",
        "suppressed",
        "not evaluated",
        "resources",
        "input errors",
    ]);
    let errors = result
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .count();
    table.add_row(vec![
        result.count_by_severity(Severity::Critical).to_string(),
        result.count_by_severity(Severity::High).to_string(),
        result.count_by_severity(Severity::Medium).to_string(),
        result.count_by_severity(Severity::Low).to_string(),
        result.count_by_severity(Severity::Info).to_string(),
        result.suppressed.len().to_string(),
        result.not_evaluated.len().to_string(),
        result.resources_scanned.to_string(),
        errors.to_string(),
    ]);
    let since_baseline = input
        .baseline
        .map(|b| format!(" {} new since the baseline.", b.new_count()))
        .unwrap_or_default();
    let verdict = if result.findings.is_empty() {
        paint(options.color, "1;32", "No findings.")
    } else {
        paint(
            options.color,
            "1",
            &format!(
                "{} findings in {} resources from {} sources.",
                result.findings.len(),
                result.resources_scanned,
                result.sources_scanned
            ),
        )
    };
    writeln!(out, "{table}\n{verdict}{since_baseline}")
}
