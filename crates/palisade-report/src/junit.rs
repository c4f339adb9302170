//! JUnit XML, for CI systems that show test results.
//!
//! Each control that ran is a test suite named `ID title`. Each finding is a failed test case
//! (its type is the severity); a control without findings gets one passing test case, so CI shows
//! it as passed. A control that could not judge a resource, and a finding that was suppressed,
//! are skipped test cases with the reason. Input errors are errored test cases of an `input`
//! suite. Nothing carries a time or timestamp, so the output is deterministic.

use std::collections::BTreeMap;

use palisade_core::{
    ControlMeta, ControlSummary, DiagnosticLevel, Finding, NotEvaluated, Severity,
    SuppressedFinding, Suppression,
};
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use crate::ReportInput;

/// The name of the passing test case of a control without findings.
pub(crate) const NO_FINDINGS: &str = "no findings";

/// Everything one control's suite holds.
struct Suite<'a> {
    id: &'a str,
    title: &'a str,
    severity: Option<Severity>,
    meta: Option<&'static ControlMeta>,
    summary: Option<&'a ControlSummary>,
    findings: Vec<&'a Finding>,
    suppressed: Vec<&'a SuppressedFinding>,
    not_evaluated: Vec<&'a NotEvaluated>,
}

impl<'a> Suite<'a> {
    fn new(id: &'a str, title: &'a str, severity: Option<Severity>) -> Self {
        Suite {
            id,
            title,
            severity,
            meta: None,
            summary: None,
            findings: Vec::new(),
            suppressed: Vec::new(),
            not_evaluated: Vec::new(),
        }
    }
}

/// The suites in report order: the controls that ran (sorted by ID), then controls known only
/// from their findings or not-evaluated entries (custom policies without metadata).
fn suites<'a>(input: &'a ReportInput<'_>) -> Vec<Suite<'a>> {
    let r = input.result;
    let mut suites: Vec<Suite<'a>> = input
        .controls
        .iter()
        .map(|meta| Suite {
            meta: Some(*meta),
            ..Suite::new(meta.id, meta.title, Some(meta.severity))
        })
        .collect();
    let mut extra: BTreeMap<&'a str, Suite<'a>> = BTreeMap::new();
    for f in &r.findings {
        slot(
            &mut suites,
            &mut extra,
            f.control,
            f.title,
            Some(f.severity),
        )
        .findings
        .push(f);
    }
    for sf in &r.suppressed {
        let f = &sf.finding;
        slot(
            &mut suites,
            &mut extra,
            f.control,
            f.title,
            Some(f.severity),
        )
        .suppressed
        .push(sf);
    }
    for ne in &r.not_evaluated {
        slot(&mut suites, &mut extra, ne.control, ne.control, None)
            .not_evaluated
            .push(ne);
    }
    suites.extend(extra.into_values());
    for suite in &mut suites {
        suite.summary = r.controls.iter().find(|c| c.control == suite.id);
    }
    suites
}

/// The suite of control `id`, created after the known ones when the control has no metadata.
fn slot<'a, 's>(
    suites: &'s mut [Suite<'a>],
    extra: &'s mut BTreeMap<&'a str, Suite<'a>>,
    id: &'a str,
    title: &'a str,
    severity: Option<Severity>,
) -> &'s mut Suite<'a> {
    match suites.iter().position(|s| s.id == id) {
        Some(i) => &mut suites[i],
        None => extra
            .entry(id)
            .or_insert_with(|| Suite::new(id, title, severity)),
    }
}

/// `Deployment/web (shop) spec.template.spec.containers[0].image`: what a test case is about.
fn case_name(f: &Finding) -> String {
    if f.path.is_root() {
        f.resource.to_string()
    } else {
        format!("{} {}", f.resource, f.path)
    }
}

fn place(input: &ReportInput<'_>, f: &Finding) -> String {
    match &f.location {
        Some(loc) => {
            let rendered = input
                .sources
                .iter()
                .find(|s| *s.path == *loc.file)
                .and_then(|s| s.rendered_by);
            match rendered {
                Some(tool) => format!(
                    "{}:{}:{} (rendered by {tool})",
                    loc.file, loc.line, loc.column
                ),
                None => format!("{}:{}:{}", loc.file, loc.line, loc.column),
            }
        }
        None => "not from a file".to_string(),
    }
}

/// The text of a failure: everything needed to find and fix the problem.
fn details(input: &ReportInput<'_>, f: &Finding) -> String {
    let mut lines = vec![format!(
        "resource: {} ({})",
        f.resource, f.resource.api_version
    )];
    if !f.path.is_root() {
        lines.push(format!("field: {}", f.path));
    }
    lines.push(format!("location: {}", place(input, f)));
    lines.push(format!("remediation: {}", f.remediation));
    if let Some(fix) = &f.fix {
        let safety = serde_json::to_value(fix.safety)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        lines.push(format!("fix: {} ({safety})", fix.description));
    }
    lines.push(format!("details: palisade explain {}", f.control));
    lines.join("\n")
}

fn failure(input: &ReportInput<'_>, f: &Finding) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status
        .set_message(f.message.as_str())
        .set_type(f.severity.as_str())
        .set_description(details(input, f));
    let mut case = TestCase::new(case_name(f), status);
    case.set_classname(f.control);
    case
}

fn suppressed(input: &ReportInput<'_>, s: &SuppressedFinding) -> TestCase {
    let (reason, how) = match &s.suppression {
        Suppression::InlineIgnore { annotation, reason } => {
            (reason, format!("annotation {annotation}"))
        }
        Suppression::Exception { reason, expires } => (
            reason,
            match expires {
                Some(date) => format!("exception in the configuration, expires {date}"),
                None => "exception in the configuration".to_string(),
            },
        ),
    };
    let mut status = TestCaseStatus::skipped();
    status
        .set_message(format!("suppressed: {reason}"))
        .set_type("suppressed")
        .set_description(format!(
            "finding: {}\nsuppressed by: {how}\n{}",
            s.finding.message,
            details(input, &s.finding)
        ));
    let mut case = TestCase::new(case_name(&s.finding), status);
    case.set_classname(s.finding.control);
    case
}

fn not_evaluated(ne: &NotEvaluated) -> TestCase {
    let mut status = TestCaseStatus::skipped();
    status
        .set_message(format!("not evaluated: {}", ne.reason))
        .set_type("not-evaluated");
    if let Some(loc) = &ne.location {
        status.set_description(format!(
            "location: {}:{}:{}",
            loc.file, loc.line, loc.column
        ));
    }
    let mut case = TestCase::new(ne.resource.to_string(), status);
    case.set_classname(ne.control);
    case
}

fn suite(input: &ReportInput<'_>, s: &Suite<'_>) -> TestSuite {
    let name = if s.title == s.id {
        s.id.to_string()
    } else {
        format!("{} {}", s.id, s.title)
    };
    let mut suite = TestSuite::new(name);
    if let Some(severity) = s.severity {
        suite.add_property(Property::new("severity", severity.as_str()));
    }
    if let Some(meta) = s.meta {
        suite.add_property(Property::new("family", meta.family.prefix()));
        suite.add_property(Property::new("remediation", meta.remediation));
    }
    for f in &s.findings {
        suite.add_test_case(failure(input, f));
    }
    // No findings is a pass, unless nothing could be judged at all.
    let judged = s.summary.is_some_and(|c| c.passed > 0) || s.not_evaluated.is_empty();
    if s.findings.is_empty() && judged {
        let mut case = TestCase::new(NO_FINDINGS, TestCaseStatus::success());
        case.set_classname(s.id);
        if let Some(summary) = s.summary {
            case.add_property(Property::new("passed", summary.passed.to_string()));
            case.add_property(Property::new(
                "notApplicable",
                summary.not_applicable.to_string(),
            ));
        }
        suite.add_test_case(case);
    }
    for sf in &s.suppressed {
        suite.add_test_case(suppressed(input, sf));
    }
    for ne in &s.not_evaluated {
        suite.add_test_case(not_evaluated(ne));
    }
    suite
}

/// Input problems: files that could not be read or parsed (errors), and warnings such as kinds
/// a cluster would not serve (skipped cases), so part of the input was not scanned.
fn input_suite(input: &ReportInput<'_>) -> Option<TestSuite> {
    let problems = &input.result.diagnostics;
    if problems.is_empty() {
        return None;
    }
    let mut suite = TestSuite::new("input");
    for d in problems {
        let name = match (&d.file, d.line) {
            (Some(file), Some(line)) => format!("{file}:{line}:{}", d.column.unwrap_or(1)),
            (Some(file), None) => file.clone(),
            (None, _) => "input".to_string(),
        };
        let mut status = match d.level {
            DiagnosticLevel::Error => TestCaseStatus::non_success(NonSuccessKind::Error),
            DiagnosticLevel::Warning => TestCaseStatus::skipped(),
        };
        status
            .set_message(d.message.as_str())
            .set_type(match d.level {
                DiagnosticLevel::Error => "input-error",
                DiagnosticLevel::Warning => "input-warning",
            });
        let mut case = TestCase::new(name, status);
        case.set_classname("input");
        suite.add_test_case(case);
    }
    Some(suite)
}

pub(crate) fn render(input: &ReportInput<'_>) -> String {
    let mut report = Report::new("palisade");
    for s in suites(input) {
        report.add_test_suite(suite(input, &s));
    }
    if let Some(suite) = input_suite(input) {
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit report serialises")
}

#[cfg(test)]
mod tests {
    use palisade_core::ScanResult;

    use super::*;
    use crate::testdata;

    fn parse(xml: &str) -> Report {
        Report::deserialize_from_str(xml).expect("JUnit XML parses")
    }

    fn sample() -> (String, Report) {
        let sources = testdata::sources();
        let result = testdata::result();
        let xml = render(&testdata::input(&result, &sources));
        let report = parse(&xml);
        (xml, report)
    }

    fn kind(case: &TestCase) -> &'static str {
        match &case.status {
            TestCaseStatus::Success { .. } => "pass",
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            } => "failure",
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            } => "error",
            TestCaseStatus::Skipped { .. } => "skipped",
        }
    }

    #[test]
    fn one_suite_per_control_with_consistent_counts() {
        let (_, report) = sample();
        let names: Vec<&str> = report.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "IMG-001 Image tag is mutable",
                "NET-001 Namespace without NetworkPolicy",
                "POD-001 Privileged container",
                "RBAC-001 Wildcard | in role rules",
                "RES-001 Memory limit missing",
                "input",
            ]
        );
        // The counts written in the XML agree with the test cases it holds.
        for suite in &report.test_suites {
            let count = |k: &str| suite.test_cases.iter().filter(|c| kind(c) == k).count();
            assert_eq!(
                suite.tests,
                suite.test_cases.len(),
                "{}",
                suite.name.as_str()
            );
            assert_eq!(suite.failures, count("failure"), "{}", suite.name.as_str());
            assert_eq!(suite.errors, count("error"), "{}", suite.name.as_str());
            assert_eq!(suite.skipped, count("skipped"), "{}", suite.name.as_str());
        }
        let per_suite: Vec<(usize, usize, usize, usize)> = report
            .test_suites
            .iter()
            .map(|s| (s.tests, s.failures, s.skipped, s.errors))
            .collect();
        assert_eq!(
            per_suite,
            [
                (2, 1, 1, 0), // IMG-001: a finding, a suppressed one
                (1, 0, 1, 0), // NET-001: not evaluated, so no pass
                (2, 2, 0, 0), // POD-001: two findings
                (1, 0, 0, 0), // RBAC-001: no findings, a pass
                (3, 2, 1, 0), // RES-001: two findings, a suppressed one
                (2, 0, 1, 1), // one input error, one input warning
            ]
        );
        assert_eq!(report.tests, 11);
        assert_eq!(report.failures, 5);
        assert_eq!(report.skipped, 4);
        assert_eq!(report.errors, 1);
        let result = testdata::result();
        assert_eq!(report.failures, result.findings.len());
        let warnings = result
            .diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Warning)
            .count();
        assert_eq!(
            report.skipped,
            result.suppressed.len() + result.not_evaluated.len() + warnings
        );
    }

    #[test]
    fn failures_say_what_where_and_how_to_fix() {
        let (_, report) = sample();
        let pod = &report.test_suites[2];
        // Riskiest first: the exposed Deployment before the chart's Pod.
        let case = &pod.test_cases[0];
        assert_eq!(
            case.name.as_str(),
            "Deployment/web (shop) spec.template.spec.containers[0].securityContext.privileged"
        );
        assert_eq!(case.classname.as_ref().map(|c| c.as_str()), Some("POD-001"));
        let TestCaseStatus::NonSuccess {
            message,
            ty,
            description,
            ..
        } = &case.status
        else {
            panic!("a finding is a failure");
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "container `app` sets privileged: true"
        );
        assert_eq!(ty.as_ref().unwrap().as_str(), "critical");
        assert_eq!(
            description.as_ref().unwrap().as_str(),
            "resource: Deployment/web (shop) (apps/v1)\n\
             field: spec.template.spec.containers[0].securityContext.privileged\n\
             location: deploy/web.yaml:13:25\n\
             remediation: Set securityContext.privileged to false, or remove it.\n\
             fix: set privileged to false (safe)\n\
             details: palisade explain POD-001"
        );
        let TestCaseStatus::NonSuccess { description, .. } = &pod.test_cases[1].status else {
            panic!("a finding is a failure");
        };
        assert!(
            description
                .as_ref()
                .unwrap()
                .as_str()
                .contains("location: chart (helm template):12:21 (rendered by helm)")
        );
        let TestCaseStatus::NonSuccess { description, .. } =
            &report.test_suites[4].test_cases[0].status
        else {
            panic!("a finding is a failure");
        };
        assert!(
            description
                .as_ref()
                .unwrap()
                .as_str()
                .contains("location: not from a file")
        );
    }

    #[test]
    fn skips_carry_their_reason_and_passes_their_control() {
        let (_, report) = sample();
        let TestCaseStatus::Skipped { message, ty, .. } =
            &report.test_suites[1].test_cases[0].status
        else {
            panic!("not evaluated is skipped");
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "not evaluated: listing NetworkPolicies is forbidden"
        );
        assert_eq!(ty.as_ref().unwrap().as_str(), "not-evaluated");
        assert_eq!(
            report.test_suites[1].test_cases[0].name.as_str(),
            "Namespace/shop"
        );

        let TestCaseStatus::Skipped { message, ty, .. } =
            &report.test_suites[0].test_cases[1].status
        else {
            panic!("suppressed is skipped");
        };
        assert_eq!(
            message.as_ref().unwrap().as_str(),
            "suppressed: pinned by the deploy pipeline"
        );
        assert_eq!(ty.as_ref().unwrap().as_str(), "suppressed");

        let pass = &report.test_suites[3].test_cases[0];
        assert_eq!(pass.name.as_str(), NO_FINDINGS);
        assert_eq!(kind(pass), "pass");

        let error = &report.test_suites[5].test_cases[0];
        assert_eq!(error.name.as_str(), "deploy/broken.yaml:3:5");
        assert_eq!(kind(error), "error");
    }

    #[test]
    fn an_empty_scan_passes_every_control() {
        let result = ScanResult::default();
        let xml = render(&testdata::input(&result, &[]));
        let report = parse(&xml);
        assert_eq!(report.test_suites.len(), 5);
        assert_eq!(report.tests, 5);
        assert_eq!(report.failures + report.errors + report.skipped, 0);
    }

    #[test]
    fn rendering_is_deterministic_and_escaped() {
        let (xml, _) = sample();
        let sources = testdata::sources();
        let again = render(&testdata::input(&testdata::result(), &sources));
        assert_eq!(xml, again);
        assert!(xml.starts_with(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"palisade\""
        ));
        assert!(!xml.contains("timestamp") && !xml.contains("time="));
        let mut result = testdata::result();
        result.findings[0].message = "a <b> & \"c\" \u{1b}[31m".into();
        let xml = render(&testdata::input(&result, &sources));
        let report = parse(&xml);
        let TestCaseStatus::NonSuccess { message, .. } =
            &report.test_suites[2].test_cases[0].status
        else {
            panic!("a finding is a failure");
        };
        assert!(
            message
                .as_ref()
                .unwrap()
                .as_str()
                .starts_with("a <b> & \"c\"")
        );
    }
}
