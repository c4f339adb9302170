//! Markdown for a pull-request comment: a one-line verdict, a summary table, the compliance
//! scores asked for, the findings riskiest first (at most [`MAX_ROWS`] rows), and collapsible
//! sections with how to fix each failing control, what could not be evaluated, and problems
//! with the input.

use std::collections::BTreeSet;
use std::fmt::Write;

use palisade_core::{DiagnosticLevel, Finding, RequirementStatus, Severity};

use crate::ReportInput;

/// Rows shown per table (and per list); the rest are counted in an "and N more" line.
pub(crate) const MAX_ROWS: usize = 50;

/// GitHub refuses comments over 65,536 characters; stay well under it, leaving room for what a
/// CI step adds around the report.
pub(crate) const MAX_CHARS: usize = 60_000;

/// Fewer rows per table, tried in turn while the report is too long for a comment.
const FALLBACK_ROWS: [usize; 5] = [25, 10, 5, 1, 0];

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text for a table cell or a list item: `|` escaped everywhere (GitHub needs it even inside
/// code spans), HTML angle brackets escaped outside code spans, and line breaks turned into
/// `<br>` in cells (spaces inside code spans and in list items).
fn escape(text: &str, in_table: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '|' => out.push_str("\\|"),
            '\r' => {}
            '\n' if in_table && !in_code => out.push_str("<br>"),
            '\n' => out.push(' '),
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            c if c.is_control() && c != '\t' => out.extend(c.escape_default()),
            _ => out.push(c),
        }
    }
    out
}

fn cell(text: &str) -> String {
    escape(text, true)
}

/// `text` as a code span, whatever backticks it holds.
fn code(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    if longest == 0 {
        format!("{fence}{text}{fence}")
    } else {
        format!("{fence} {text} {fence}")
    }
}

fn verdict(input: &ReportInput<'_>) -> String {
    let r = input.result;
    let errors = r
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .count();
    let serious = r.count_at_least(Severity::High);
    let icon = if serious > 0 {
        "❌"
    } else if !r.findings.is_empty() || errors > 0 || !r.not_evaluated.is_empty() {
        "⚠️"
    } else {
        "✅"
    };
    let mut line = if r.findings.is_empty() {
        "no findings".to_string()
    } else {
        let counts: Vec<String> = Severity::ALL
            .into_iter()
            .map(|s| (s, r.count_by_severity(s)))
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        let resources: BTreeSet<_> = r.findings.iter().map(|f| &f.resource).collect();
        format!(
            "{} ({}) in {}",
            plural(r.findings.len(), "finding", "findings"),
            counts.join(", "),
            plural(resources.len(), "resource", "resources")
        )
    };
    if errors > 0 {
        let _ = write!(line, ", {}", plural(errors, "input error", "input errors"));
    }
    if !r.not_evaluated.is_empty() {
        let _ = write!(
            line,
            ", {} not evaluated",
            plural(r.not_evaluated.len(), "check", "checks")
        );
    }
    format!("## {icon} Palisade: {line}")
}

fn summary_table(input: &ReportInput<'_>, out: &mut String) {
    let r = input.result;
    let errors = r
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .count();
    out.push_str(
        "| Critical | High | Medium | Low | Info | Suppressed | Not evaluated | Input errors |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mut row: Vec<String> = Severity::ALL
        .into_iter()
        .map(|s| r.count_by_severity(s).to_string())
        .collect();
    row.push(r.suppressed.len().to_string());
    row.push(r.not_evaluated.len().to_string());
    row.push(errors.to_string());
    let _ = writeln!(out, "| {} |", row.join(" | "));
}

fn location_cell(input: &ReportInput<'_>, f: &Finding) -> String {
    let Some(loc) = &f.location else {
        return "—".to_string();
    };
    let place = code(&format!("{}:{}", loc.file, loc.line));
    let rendered = input
        .sources
        .iter()
        .find(|s| *s.path == *loc.file)
        .and_then(|s| s.rendered_by);
    match rendered {
        Some(tool) => format!("{place} (rendered by {tool})"),
        None => place,
    }
}

fn risk_cell(f: &Finding) -> String {
    if f.risk.factors.is_empty() {
        f.risk.score.to_string()
    } else {
        format!("{} ({})", f.risk.score, f.risk.factors)
    }
}

fn findings_table(input: &ReportInput<'_>, max_rows: usize, out: &mut String) {
    let findings = &input.result.findings;
    if findings.is_empty() {
        return;
    }
    let _ = writeln!(out, "\n### Findings ({}), riskiest first\n", findings.len());
    out.push_str("| Risk | Severity | Control | Resource | Location | Message |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for f in findings.iter().take(max_rows) {
        let _ = writeln!(
            out,
            "| {} | {} | {} {} | {} | {} | {} |",
            risk_cell(f),
            f.severity.as_str(),
            cell(&code(f.control)),
            cell(f.title),
            cell(&code(&f.resource.to_string())),
            cell(&location_cell(input, f)),
            cell(&f.message),
        );
    }
    if findings.len() > max_rows {
        let more = findings.len() - max_rows;
        let noun = if more == 1 { "finding" } else { "findings" };
        let _ = writeln!(out, "\n_…and {more} more {noun}._");
    }
}

/// One row per framework asked for, then per framework the requirements that failed or could
/// not be decided, and the exceptions that took checks out.
fn frameworks(input: &ReportInput<'_>, max_rows: usize, out: &mut String) {
    let r = input.result;
    if r.frameworks.is_empty() {
        return;
    }
    out.push_str("\n### Compliance\n\n");
    out.push_str("Score: the mean of the requirement scores, each 100 × passed / (passed + failed) checks; excepted and not-evaluated checks count in neither. Details in `docs/scoring.md`.\n\n");
    out.push_str("| Framework | Score | Passed | Failed | Not evaluated | Not applicable | Manual | Needs node scan |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for f in &r.frameworks {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&code(&f.id)),
            cell(&format!("{} {}", f.name, f.version)),
            f.score.map_or("—".to_string(), |s| format!("{s:.1}")),
            f.count(RequirementStatus::Passed),
            f.count(RequirementStatus::Failed),
            f.count(RequirementStatus::NotEvaluated),
            f.count(RequirementStatus::NotApplicable),
            f.count(RequirementStatus::Manual),
            f.count(RequirementStatus::NeedsNodeScan),
        );
    }
    for f in &r.frameworks {
        let open: Vec<String> = f
            .requirements
            .iter()
            .filter(|q| matches!(q.status, RequirementStatus::Failed | RequirementStatus::NotEvaluated))
            .map(|q| {
                let not_run: Vec<&str> = q.not_run(&r.controls).collect();
                let mut item = format!(
                    "**{}** {} — {}{}: {} passed, {} failed, {} excepted, {} not evaluated; controls {}",
                    escape(&q.id, false),
                    escape(&q.title, false),
                    q.status.label(),
                    q.score.map_or(String::new(), |s| format!(" ({s:.1})")),
                    q.passed,
                    q.failed,
                    q.excepted,
                    q.not_evaluated,
                    q.controls.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
                );
                if !not_run.is_empty() {
                    let _ = write!(
                        item,
                        "; not run in this scan: {}",
                        not_run.iter().map(|c| code(c)).collect::<Vec<_>>().join(", ")
                    );
                }
                item
            })
            .collect();
        let exceptions: Vec<String> = crate::exceptions_in(f, r)
            .into_iter()
            .map(|(finding, suppression)| {
                format!(
                    "excepted: {} on {}: {}",
                    code(finding.control),
                    code(&finding.resource.to_string()),
                    escape(&crate::suppression_words(suppression), false)
                )
            })
            .collect();
        if open.is_empty() && exceptions.is_empty() {
            continue;
        }
        let summary = format!(
            "{} {}: {} and {}",
            code(&f.id),
            escape(&f.name, false),
            plural(
                open.len(),
                "requirement failed or not evaluated",
                "requirements failed or not evaluated"
            ),
            plural(exceptions.len(), "exception", "exceptions")
        );
        let mut body = String::new();
        capped_list(
            open.into_iter().chain(exceptions).collect(),
            max_rows,
            &mut body,
        );
        details(out, &summary, &body);
    }
}

fn details(out: &mut String, summary: &str, body: &str) {
    let _ = write!(
        out,
        "\n<details>\n<summary>{summary}</summary>\n\n{body}\n</details>\n"
    );
}

/// How to fix each control that failed, most severe first.
fn remediation(input: &ReportInput<'_>, out: &mut String) {
    let r = input.result;
    let mut failed: Vec<(Severity, &str, &str, &str, usize)> = Vec::new();
    for f in &r.findings {
        match failed.iter_mut().find(|e| e.1 == f.control) {
            Some(entry) => entry.4 += 1,
            None => {
                let (title, remediation) = match input.control(f.control) {
                    Some(meta) => (meta.title, meta.remediation),
                    None => (f.title, f.remediation),
                };
                failed.push((f.severity, f.control, title, remediation, 1));
            }
        }
    }
    if failed.is_empty() {
        return;
    }
    failed.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut body = String::new();
    for (severity, id, title, remediation, count) in &failed {
        let _ = writeln!(
            body,
            "- **{} {}** ({severity}, {}): {} Details: {}",
            code(id),
            escape(title, false),
            plural(*count, "finding", "findings"),
            escape(remediation, false),
            code(&format!("palisade explain {id}"))
        );
    }
    let summary = format!(
        "How to fix ({})",
        plural(failed.len(), "control", "controls")
    );
    details(out, &summary, &body);
}

fn capped_list(items: Vec<String>, max_rows: usize, out: &mut String) {
    let total = items.len();
    for item in items.into_iter().take(max_rows) {
        let _ = writeln!(out, "- {item}");
    }
    if total > max_rows {
        let _ = writeln!(out, "- …and {} more", total - max_rows);
    }
}

fn not_evaluated(input: &ReportInput<'_>, max_rows: usize, out: &mut String) {
    let entries = &input.result.not_evaluated;
    if entries.is_empty() {
        return;
    }
    let items = entries
        .iter()
        .map(|ne| {
            let place = ne
                .location
                .as_ref()
                .map(|l| format!(" at {}", code(&format!("{}:{}", l.file, l.line))))
                .unwrap_or_default();
            format!(
                "{} on {}{place}: {}",
                code(ne.control),
                code(&ne.resource.to_string()),
                escape(&ne.reason, false)
            )
        })
        .collect();
    let mut body = String::new();
    capped_list(items, max_rows, &mut body);
    details(out, &format!("Not evaluated ({})", entries.len()), &body);
}

/// Errors and warnings about the input and the configuration, expired exceptions among them.
fn input_problems(input: &ReportInput<'_>, max_rows: usize, out: &mut String) {
    let r = input.result;
    let mut items: Vec<String> = r
        .diagnostics
        .iter()
        .map(|d| {
            let level = match d.level {
                DiagnosticLevel::Error => "error",
                DiagnosticLevel::Warning => "warning",
            };
            let place = match (&d.file, d.line) {
                (Some(file), Some(line)) => {
                    format!(
                        " {}",
                        code(&format!("{file}:{line}:{}", d.column.unwrap_or(1)))
                    )
                }
                (Some(file), None) => format!(" {}", code(file)),
                _ => String::new(),
            };
            format!("**{level}**{place}: {}", escape(&d.message, false))
        })
        .collect();
    items.extend(r.expired_exceptions.iter().map(|e| {
        format!(
            "**warning**: the exception for {} expired on {} and no longer applies ({})",
            code(&e.control),
            escape(&e.expired, false),
            escape(&e.reason, false)
        )
    }));
    if items.is_empty() {
        return;
    }
    let errors = r
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Error)
        .count();
    let summary = format!(
        "Input errors and warnings ({}, {})",
        plural(errors, "error", "errors"),
        plural(items.len() - errors, "warning", "warnings")
    );
    let mut body = String::new();
    capped_list(items, max_rows, &mut body);
    details(out, &summary, &body);
}

pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let mut out = render_rows(input, MAX_ROWS);
    for rows in FALLBACK_ROWS {
        if out.chars().count() <= MAX_CHARS {
            break;
        }
        out = render_rows(input, rows);
    }
    out
}

fn render_rows(input: &ReportInput<'_>, max_rows: usize) -> String {
    let r = input.result;
    let mut out = verdict(input);
    out.push_str("\n\n");
    summary_table(input, &mut out);
    frameworks(input, max_rows, &mut out);
    findings_table(input, max_rows, &mut out);
    remediation(input, &mut out);
    not_evaluated(input, max_rows, &mut out);
    input_problems(input, max_rows, &mut out);
    let _ = writeln!(
        out,
        "\n<sub>Palisade {} · {} from {}</sub>",
        escape(input.tool_version, false),
        plural(r.resources_scanned, "resource", "resources"),
        plural(r.sources_scanned, "source", "sources")
    );
    out
}

#[cfg(test)]
mod tests {
    use palisade_core::ScanResult;

    use super::*;
    use crate::testdata;

    fn sample() -> String {
        let sources = testdata::sources();
        let result = testdata::result();
        render(&testdata::input(&result, &sources))
    }

    #[test]
    fn snapshot() {
        insta::assert_snapshot!(sample());
    }

    #[test]
    fn verdict_summary_and_tables() {
        let out = sample();
        let first = out.lines().next().unwrap();
        assert_eq!(
            first,
            "## ❌ Palisade: 5 findings (2 critical, 1 high, 2 medium) in 3 resources, 1 input error, 1 check not evaluated"
        );
        assert!(out.contains("| 2 | 1 | 2 | 0 | 0 | 2 | 1 | 1 |\n"));
        assert!(out.contains("\n### Findings (5), riskiest first\n"));
        // The riskiest finding leads, its factors named.
        let rows: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("| 96 ") || l.starts_with("| 40 "))
            .collect();
        assert_eq!(rows.len(), 2, "{out}");
        assert_eq!(
            rows[0],
            "| 96 (exposed, privileged) | critical | `POD-001` Privileged container | `Deployment/web (shop)` | `deploy/web.yaml:13` | container `app` sets privileged: true |"
        );
        assert!(rows[1].contains("`Pod/helper`"));
        // Rendered sources say so; findings without a file have no location.
        assert!(out.contains("| `chart (helm template):12` (rendered by helm) |"));
        assert!(out.contains("| `Pod/api (prod)` | — | container `api` has no memory limit<br>(read from the cluster) |"));
        // `|` inside a cell is escaped, code span or not.
        assert!(out.contains("uses image `nginx:latest` \\| a mutable tag |"));
    }

    #[test]
    fn compliance_scores_and_what_held_them_back() {
        let out = sample();
        assert!(out.contains("\n### Compliance\n"));
        assert!(out.contains(
            "| `cis-1.12` CIS Kubernetes Benchmark 1.12.0 | 16.7 | 0 | 2 | 2 | 1 | 1 | 1 |\n"
        ));
        assert!(out.contains("<summary>`cis-1.12` CIS Kubernetes Benchmark: 4 requirements failed or not evaluated and 1 exception</summary>"));
        assert!(out.contains("- **5.2.2** requirement 5.2.2 — failed (33.3): 1 passed, 2 failed, 0 excepted, 0 not evaluated; controls `POD-001`\n"));
        // NET-002 did not run in this scan (the sample's counts have no entry for it).
        assert!(out.contains("— not evaluated: 0 passed, 0 failed, 0 excepted, 0 not evaluated; controls `NET-002`; not run in this scan: `NET-002`\n"));
        assert!(out.contains("- excepted: `RES-001` on `Pod/helper`: exception until 2027-01-31: batch helper, sized by LimitRange\n"));
        // IMG-001 serves no requirement of the framework: its ignored finding is not listed.
        assert!(!out.contains("excepted: `IMG-001`"));
    }

    #[test]
    fn collapsible_sections() {
        let out = sample();
        assert!(out.contains("<details>\n<summary>How to fix (3 controls)</summary>\n\n- **`POD-001` Privileged container** (critical, 2 findings): Set securityContext.privileged to false, or remove it. Details: `palisade explain POD-001`\n- **`IMG-001` Image tag is mutable**"));
        assert!(out.contains("<summary>Not evaluated (1)</summary>\n\n- `NET-001` on `Namespace/shop`: listing NetworkPolicies is forbidden\n"));
        assert!(out.contains("<summary>Input errors and warnings (1 error, 2 warnings)</summary>"));
        assert!(out.contains("- **error** `deploy/broken.yaml:3:5`: did not find expected key\n"));
        assert!(out.contains("- **warning**: the exception for `POD-001` expired on 2025-06-30"));
        assert!(out.ends_with("<sub>Palisade 0.1.0 · 4 resources from 3 sources</sub>\n"));
    }

    #[test]
    fn caps_rows_of_the_findings_table() {
        let base = testdata::privileged_finding();
        let findings: Vec<Finding> = (0..53)
            .map(|i| {
                let mut f = base.clone();
                std::sync::Arc::make_mut(&mut f.resource).name = format!("web-{i:02}");
                f
            })
            .collect();
        let result = ScanResult {
            findings,
            ..Default::default()
        };
        let out = render(&testdata::input(&result, &[]));
        assert_eq!(out.matches("| critical |").count(), MAX_ROWS);
        assert!(out.contains("\n_…and 3 more findings._\n"));
        assert!(out.contains("web-49") && !out.contains("web-50"));
    }

    #[test]
    fn stays_within_a_comment_when_messages_are_long() {
        let base = testdata::privileged_finding();
        let findings: Vec<Finding> = (0..200)
            .map(|i| {
                let mut f = base.clone();
                std::sync::Arc::make_mut(&mut f.resource).name = format!("web-{i:03}");
                f.message = format!("{i} {}", "long message ".repeat(100));
                f
            })
            .collect();
        let result = ScanResult {
            findings,
            ..Default::default()
        };
        let out = render(&testdata::input(&result, &[]));
        assert!(
            out.chars().count() <= MAX_CHARS,
            "{} chars",
            out.chars().count()
        );
        assert!(out.contains("\n_…and 175 more findings._\n"));
        assert!(out.contains("How to fix (1 control)"));
    }

    #[test]
    fn a_clean_scan() {
        let result = ScanResult {
            resources_scanned: 1,
            sources_scanned: 1,
            clusters: Vec::new(),
            ..Default::default()
        };
        let out = render(&testdata::input(&result, &[]));
        assert_eq!(
            out,
            "## ✅ Palisade: no findings\n\n\
             | Critical | High | Medium | Low | Info | Suppressed | Not evaluated | Input errors |\n\
             |---:|---:|---:|---:|---:|---:|---:|---:|\n\
             | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n\
             \n<sub>Palisade 0.1.0 · 1 resource from 1 source</sub>\n"
        );
    }

    #[test]
    fn escaping() {
        assert_eq!(cell("a | b\nc <script>"), "a \\| b<br>c &lt;script&gt;");
        assert_eq!(cell("`x|<y>` <z>"), "`x\\|<y>` &lt;z&gt;");
        assert_eq!(escape("one\r\ntwo", false), "one two");
        assert_eq!(code("plain"), "`plain`");
        assert_eq!(code("has ` tick"), "`` has ` tick ``");
    }

    #[test]
    fn rendering_is_deterministic() {
        assert_eq!(sample(), sample());
    }
}
