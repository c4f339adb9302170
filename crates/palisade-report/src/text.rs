//! The terminal report: findings riskiest first, each shown the way a compiler shows an error
//! with its risk and the context behind it, then the compliance scores asked for, then a
//! summary.

use std::fmt::Write;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use palisade_core::{
    ClusterSummary, DiagnosticLevel, Finding, RequirementScore, RequirementStatus, Severity,
};

use crate::snippet::{highlight, printable};
use crate::{ReportInput, TextOptions};

fn paint(color: bool, code: &str, text: &str) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
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

fn render_finding(input: &ReportInput<'_>, finding: &Finding, renderer: &Renderer) -> String {
    let title = format!("{}: {}", finding.title, printable(&finding.message));
    let mut notes = vec![
        risk_line(finding),
        format!(
            "resource: {}  ({})",
            printable(&finding.resource.to_string()),
            printable(&finding.resource.api_version)
        ),
    ];
    if !finding.path.is_root() {
        notes.push(format!("field: {}", printable(finding.path.as_str())));
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

/// `risk 87: exposed, privileged`, or `risk 30` when nothing around the resource adds to it.
fn risk_line(finding: &Finding) -> String {
    let risk = finding.risk;
    if risk.factors.is_empty() {
        format!("risk {}", risk.score)
    } else {
        format!("risk {}: {}", risk.score, risk.factors)
    }
}

/// The findings that pass `keep`, in the result's order: riskiest first.
fn write_findings(
    input: &ReportInput<'_>,
    options: TextOptions,
    renderer: &Renderer,
    out: &mut Sink<'_>,
    keep: &dyn Fn(&&Finding) -> bool,
) -> std::fmt::Result {
    let count = input.result.findings.iter().filter(keep).count();
    if count == 0 {
        return Ok(());
    }
    let heading = format!("── FINDINGS ({count}), riskiest first ");
    writeln!(
        out,
        "{}\n",
        paint(options.color, "1", &format!("{heading:─<72}"))
    )?;
    for finding in input.result.findings.iter().filter(keep) {
        out.write_str(&render_finding(input, finding, renderer))?;
        out.write_str("\n\n")?;
    }
    Ok(())
}

/// Each framework asked for: its score and how it was reached, and the requirements that
/// failed or could not be decided.
fn write_frameworks(
    input: &ReportInput<'_>,
    options: TextOptions,
    out: &mut Sink<'_>,
) -> std::fmt::Result {
    let result = input.result;
    for framework in &result.frameworks {
        let heading = format!(
            "── FRAMEWORK {} ({} {}) ",
            printable(&framework.id),
            printable(&framework.name),
            printable(&framework.version)
        );
        writeln!(
            out,
            "{}",
            paint(options.color, "1", &format!("{heading:─<72}"))
        )?;
        let scored = framework
            .requirements
            .iter()
            .filter(|r| r.score.is_some())
            .count();
        match framework.score {
            Some(score) => writeln!(
                out,
                "score {score:.1} / 100: the mean of {scored} requirement scores (each 100 × passed / (passed + failed) checks)"
            )?,
            None => writeln!(
                out,
                "no score: no requirement had a check that passed or failed"
            )?,
        }
        let counts: Vec<String> = RequirementStatus::ALL
            .into_iter()
            .map(|status| (status, framework.count(status)))
            .filter(|(_, n)| *n > 0)
            .map(|(status, n)| format!("{n} {}", status.label()))
            .collect();
        writeln!(
            out,
            "{} requirements: {}",
            framework.requirements.len(),
            counts.join(", ")
        )?;
        let open: Vec<&RequirementScore> = framework
            .requirements
            .iter()
            .filter(|r| {
                matches!(
                    r.status,
                    RequirementStatus::Failed | RequirementStatus::NotEvaluated
                )
            })
            .collect();
        if !open.is_empty() {
            let mut table = Table::new();
            table.load_preset(UTF8_FULL_CONDENSED);
            table.set_header(vec![
                "requirement",
                "status",
                "score",
                "passed",
                "failed",
                "excepted",
                "not evaluated",
                "controls",
            ]);
            for r in open {
                let not_run: Vec<&str> = r.not_run(&result.controls).collect();
                let mut controls = r.controls.join(", ");
                if !not_run.is_empty() {
                    controls.push_str(&format!("\nnot run in this scan: {}", not_run.join(", ")));
                }
                table.add_row(vec![
                    format!("{} {}", printable(&r.id), printable(&r.title)),
                    r.status.label().to_string(),
                    r.score.map_or("-".to_string(), |s| format!("{s:.1}")),
                    r.passed.to_string(),
                    r.failed.to_string(),
                    r.excepted.to_string(),
                    r.not_evaluated.to_string(),
                    printable(&controls).into_owned(),
                ]);
            }
            writeln!(out, "{table}")?;
        }
        for (excepted, suppression) in crate::exceptions_in(framework, result) {
            writeln!(
                out,
                "excepted: {} on {}: {}",
                excepted.control,
                printable(&excepted.resource.to_string()),
                printable(&crate::suppression_words(suppression))
            )?;
        }
        out.write_char('\n')?;
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

    write_frameworks(input, options, out)?;

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
    writeln!(out, "{table}\n{verdict}")
}

#[cfg(test)]
mod tests {
    use crate::testdata;

    fn sample() -> String {
        let sources = testdata::sources();
        let result = testdata::result();
        crate::render(
            crate::Format::Text,
            &testdata::input(&result, &sources),
            crate::TextOptions::default(),
        )
    }

    #[test]
    fn findings_come_riskiest_first_with_their_factors() {
        let out = sample();
        assert!(out.contains("── FINDINGS (5), riskiest first ─"));
        let web = out
            .find("risk 96: exposed, privileged")
            .expect("factors named");
        let helper = out.find("risk 40\n").expect("a bare score without factors");
        let image = out.find("risk 30\n").unwrap();
        assert!(web < helper && helper < image, "{out}");
    }

    #[test]
    fn each_framework_shows_its_score_and_open_requirements() {
        let out = sample();
        assert!(out.contains("── FRAMEWORK cis-1.12 (CIS Kubernetes Benchmark 1.12.0) ─"));
        assert!(out.contains("score 16.7 / 100: the mean of 2 requirement scores"));
        assert!(out.contains(
            "7 requirements: 2 failed, 2 not evaluated, 1 not applicable, 1 manual, 1 needs node scan\n"
        ));
        assert!(out.contains("5.2.2 requirement 5.2.2"));
        assert!(out.contains("not run in this scan: NET-002"));
        assert!(
            !out.contains("5.1.1 requirement"),
            "not-applicable rows are left out"
        );
        assert!(out.contains(
            "excepted: RES-001 on Pod/helper: exception until 2027-01-31: batch helper, sized by LimitRange\n"
        ));
    }
}
