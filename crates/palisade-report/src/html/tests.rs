use std::sync::Arc;

use palisade_core::{
    Coverage, FrameworkScore, RequirementScore, RequirementStatus, Risk, RiskFactors, ScanResult,
    Source,
};

use super::chart::tests::bars_of;
use super::view::MAX_PER_CONTROL;
use super::*;
use crate::testdata::{self, POD_001, RES_001};

fn html(result: &ScanResult, sources: &[Source]) -> String {
    let mut out = Vec::new();
    write(&testdata::input(result, sources), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The markup between `start` and the next `end` after it.
fn between<'h>(html: &'h str, start: &str, end: &str) -> &'h str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start}")) + start.len();
    let len = html[from..].find(end).unwrap_or_else(|| panic!("no {end}"));
    &html[from..from + len]
}

fn chart<'h>(html: &'h str, id: &str) -> &'h str {
    between(html, &format!(r#"<figure id="{id}">"#), "</figure>")
}

fn pairs(svg: &str) -> Vec<(String, f64)> {
    bars_of(svg)
}

fn bars(expected: &[(&str, f64)]) -> Vec<(String, f64)> {
    expected.iter().map(|(l, v)| (l.to_string(), *v)).collect()
}

#[test]
fn charts_count_what_the_result_holds() {
    let result = testdata::result();
    let page = html(&result, &testdata::sources());
    assert_eq!(
        pairs(chart(&page, "chart-severity")),
        bars(&[
            ("critical", 2.0),
            ("high", 1.0),
            ("medium", 2.0),
            ("low", 0.0),
            ("info", 0.0)
        ])
    );
    assert_eq!(
        pairs(chart(&page, "chart-family")),
        bars(&[("POD", 2.0), ("RES", 2.0), ("IMG", 1.0)])
    );
    assert_eq!(
        pairs(chart(&page, "chart-namespace")),
        bars(&[("shop", 3.0), ("(cluster-scoped)", 1.0), ("prod", 1.0)])
    );
    // Each severity's bar agrees with the result's own count.
    for (label, value) in pairs(chart(&page, "chart-severity")) {
        let severity: palisade_core::Severity = label.parse().unwrap();
        assert_eq!(value as usize, result.count_by_severity(severity));
    }
}

#[test]
fn namespaces_beyond_the_top_ten_are_counted_in_the_title() {
    let mut result = testdata::result();
    result.findings = (0..12)
        .flat_map(|i| {
            let namespace = format!("ns-{i:02}");
            // ns-00 gets 12 findings, ns-11 one: the counts order the bars.
            (i..12).map(move |j| {
                testdata::finding(
                    &RES_001,
                    testdata::resource("v1", "Pod", Some(&namespace), &format!("p{j}")),
                    "spec",
                    None,
                    "no memory limit",
                )
            })
        })
        .collect();
    let page = html(&result, &[]);
    let namespaces = pairs(chart(&page, "chart-namespace"));
    assert_eq!(namespaces.len(), 10);
    assert_eq!(namespaces[0], ("ns-00".to_string(), 12.0));
    assert_eq!(namespaces[9], ("ns-09".to_string(), 3.0));
    // ns-10 and ns-11 have 2 and 1.
    assert!(chart(&page, "chart-namespace").contains(
        "<figcaption>Findings by namespace: top 10 of 12 (3 more in the other 2)</figcaption>"
    ));
}

#[test]
fn hostile_values_are_inert() {
    let payload = r#"<script>alert(1)</script>"><img src=x onerror=alert(2)>"#;
    let yaml = format!("kind: Pod\nspec:\n  containers:\n    - name: '{payload}'\n");
    let sources = vec![Source {
        path: Arc::from(format!("{payload}.yaml").as_str()),
        text: Arc::from(yaml.as_str()),
        rendered_by: None,
        sha256: palisade_core::sha256(yaml.as_bytes()),
    }];
    let mut result = testdata::result();
    let mut finding = testdata::finding(
        &POD_001,
        testdata::resource("v1", "Pod", Some(payload), payload),
        "spec.containers[0].name",
        Some(testdata::loc(&sources[0].path, 4, 13, 4, 60)),
        &format!("container `{payload}` is privileged"),
    );
    finding.path = palisade_core::ObjectPath::parse(payload);
    result.findings.insert(0, finding);
    result.diagnostics[0].message = payload.to_string();
    result.not_evaluated[0].reason = payload.to_string().into();

    let page = html(&result, &sources);
    // The page's own script is the only one, and no element of the payload survives.
    assert_eq!(page.matches("<script").count(), 1, "{page}");
    assert!(!page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    // In attribute values (data-namespace, option values) quotes are escaped too.
    assert!(
        page.contains(r#"data-namespace="&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&quot;&gt;"#)
    );
}

#[test]
fn the_same_result_gives_the_same_bytes() {
    let result = testdata::result();
    let sources = testdata::sources();
    assert_eq!(html(&result, &sources), html(&result, &sources));
}

#[test]
fn the_policy_allows_exactly_the_inline_style_and_script() {
    let page = html(&testdata::result(), &testdata::sources());
    let policy = between(
        &page,
        r#"http-equiv="Content-Security-Policy" content=""#,
        "\"",
    );
    let style = between(&page, "<style>", "</style>");
    let script = between(&page, "<script>", "</script>");
    assert!(
        policy.starts_with("default-src &#x27;none&#x27;"),
        "{policy}"
    );
    // The attribute is escaped: compare with the escaped hash.
    let escaped = |s: String| s.replace('\'', "&#x27;").replace('/', "&#x2f;");
    assert!(policy.contains(&escaped(csp_hash(style))), "{policy}");
    assert!(policy.contains(&escaped(csp_hash(script))), "{policy}");
    // Nothing for the browser to fetch: no `src` attribute, no stylesheet link.
    assert!(!page.contains(" src="));
    assert!(!page.contains("stylesheet"));
}

#[test]
fn snippets_mark_the_located_text() {
    let page = html(&testdata::result(), &testdata::sources());
    // The privileged finding marks the value on line 13, with two lines of context each side.
    assert!(page.contains(
        r#"<span class="line marked"><span class="ln">13</span>            privileged: <mark>true</mark>   # TODO</span>"#
    ), "{page}");
    assert!(page.contains(r#"<span class="line"><span class="ln">11</span>"#));
    // The missing memory limit spans lines 10 to 15 (ending at column 1): lines 10–14 marked.
    assert!(page.contains(
        r#"<span class="line marked"><span class="ln">10</span><mark>        - name: app</mark></span>"#
    ), "{page}");
    // The empty line after the file's last line break is not shown.
    assert!(page.contains(r#"<span class="ln">14</span>            runAsUser: 0</span></pre>"#));
    assert!(!page.contains(r#"<span class="ln">15</span>"#));
}

#[test]
fn context_stays_within_the_document() {
    let page = html(&testdata::result(), &testdata::sources());
    // The rendered pod's finding is on line 12; line 1 is the `---` before its document.
    let card = between(&page, "container `helper` sets privileged", "</pre>");
    assert!(card.contains(r#"<span class="ln">10</span>"#), "{card}");
    let text = "a: 1\n---\nb: 2\nc: 3\n---\nd: 4\n";
    let sources = vec![Source {
        path: Arc::from("multi.yaml"),
        text: Arc::from(text),
        rendered_by: None,
        sha256: palisade_core::sha256(text.as_bytes()),
    }];
    let mut result = ScanResult::default();
    result.findings.push(testdata::finding(
        &RES_001,
        testdata::resource("v1", "Pod", None, "b"),
        "c",
        Some(testdata::loc("multi.yaml", 4, 1, 4, 5)),
        "c is wrong",
    ));
    let page = html(&result, &sources);
    let snippet = between(&page, r#"<pre class="snippet">"#, "</pre>");
    assert_eq!(
        snippet,
        concat!(
            r#"<span class="line"><span class="ln">3</span>b: 2</span>"#,
            r#"<span class="line marked"><span class="ln">4</span><mark>c: 3</mark></span>"#
        )
    );
}

#[test]
fn secrets_are_never_quoted() {
    let mut result = testdata::result();
    let mut finding = testdata::privileged_finding();
    finding.resource = testdata::resource("v1", "Secret", Some("shop"), "creds").into();
    result.findings = vec![finding];
    let page = html(&result, &testdata::sources());
    assert!(!page.contains("class=\"snippet\""), "{page}");
    assert!(page.contains("may hold secret values"));
}

#[test]
fn findings_beyond_the_cap_are_counted_not_rendered() {
    let mut result = testdata::result();
    let extra = 7;
    result.findings = (0..MAX_PER_CONTROL + extra)
        .map(|i| {
            testdata::finding(
                &RES_001,
                testdata::resource("v1", "Pod", Some("shop"), &format!("pod-{i:03}")),
                "spec",
                None,
                "no memory limit",
            )
        })
        .chain([testdata::privileged_finding()])
        .collect();
    let page = html(&result, &testdata::sources());
    assert_eq!(
        page.matches("<article class=\"finding").count(),
        MAX_PER_CONTROL + 1
    );
    assert!(page.contains(&format!("{extra} more not shown")), "{page}");
    // The first findings of a control are the ones shown (the report's order).
    // (Templates escape `/` too.)
    assert!(page.contains("Pod&#x2f;pod-000 (shop)"));
    assert!(!page.contains(&format!("Pod&#x2f;pod-{:03} (shop)", MAX_PER_CONTROL)));
    // The severity chart still counts every finding.
    assert_eq!(
        pairs(chart(&page, "chart-severity"))[2],
        ("medium".to_string(), (MAX_PER_CONTROL + extra) as f64)
    );
}

#[test]
fn an_empty_result_still_makes_a_page() {
    let page = html(&ScanResult::default(), &[]);
    assert!(page.contains("No findings."));
    assert!(chart(&page, "chart-family").contains("nothing to show"));
    assert!(page.ends_with("</html>\n"));
}

#[test]
fn write_errors_keep_their_kind() {
    struct ClosedAfter(usize);
    impl io::Write for ClosedAfter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.0 < buf.len() {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            self.0 -= buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let result = testdata::result();
    let sources = testdata::sources();
    let input = testdata::input(&result, &sources);
    let whole = html(&result, &sources).len();
    // Closed in the middle of the page, among the findings.
    let error = write(&input, &mut ClosedAfter(whole / 2)).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::BrokenPipe);
}

fn requirement(id: &str, status: RequirementStatus, score: Option<f64>) -> RequirementScore {
    RequirementScore {
        id: id.into(),
        section: "5.2".into(),
        title: format!("requirement {id}"),
        status,
        score,
        passed: 3,
        failed: 1,
        excepted: 2,
        not_evaluated: 0,
        controls: vec!["POD-001".into(), "POD-002".into()],
    }
}

/// The result with two scored frameworks, one of which could score nothing.
fn scored() -> ScanResult {
    let mut result = testdata::result();
    result.frameworks = vec![
        FrameworkScore {
            id: "cis-1.12".into(),
            name: "CIS Kubernetes Benchmark".into(),
            version: "1.12.0".into(),
            score: Some(62.5),
            requirements: vec![
                requirement("5.2.2", RequirementStatus::Failed, Some(75.0)),
                requirement("5.2.3", RequirementStatus::Passed, Some(50.0)),
                requirement("1.1.1", RequirementStatus::NeedsNodeScan, None),
            ],
            coverage: Coverage {
                automated: 2,
                manual: 0,
                node_scan: 1,
            },
        },
        FrameworkScore {
            id: "nsa-cisa".into(),
            name: "NSA-CISA <Hardening>".into(),
            version: "1.2".into(),
            score: None,
            requirements: vec![requirement("p1", RequirementStatus::Manual, None)],
            coverage: Coverage {
                automated: 0,
                manual: 1,
                node_scan: 0,
            },
        },
    ];
    result
}

#[test]
fn frameworks_show_their_scores_and_requirements() {
    let page = html(&scored(), &testdata::sources());
    assert_eq!(
        pairs(chart(&page, "chart-frameworks")),
        bars(&[
            ("CIS Kubernetes Benchmark", 62.5),
            ("NSA-CISA &lt;Hardening&gt;", 0.0)
        ])
    );
    assert!(chart(&page, "chart-frameworks").contains(">62.5 %</text>"));
    assert!(chart(&page, "chart-frameworks").contains(">n&#x2f;a</text>"));
    let cis = between(
        &page,
        r#"<div class="framework" id="framework-cis-1.12">"#,
        "</details>",
    );
    assert!(
        cis.contains(r#"<span class="score">62.5 %</span>"#),
        "{cis}"
    );
    assert!(cis.contains("3 requirements: 2 automated, 0 manual, 1 need a node scan"));
    assert!(
        cis.contains("1 passed, 1 failed, 1 needs node scan"),
        "{cis}"
    );
    assert!(cis.contains(concat!(
        r#"<tr><td><code>5.2.2</code> requirement 5.2.2</td><td class="status failed">failed</td>"#,
        r#"<td class="num">75.0 %</td><td class="num">3</td><td class="num">1</td>"#,
        r#"<td class="num">2</td><td class="num">0</td>"#,
        // POD-002 is not among the controls of the result: it did not run.
        r#"<td><code>POD-001</code>, <code>POD-002</code> (did not run)</td></tr>"#
    )), "{cis}");
    // Requirements outside a scan's reach are listed apart, after those it decides.
    let (scanned, outside) = cis.split_once("<details>").unwrap();
    assert!(scanned.contains("<code>5.2.3</code>") && !scanned.contains("<code>1.1.1</code>"));
    assert!(outside.contains("<summary>1 requirements a person or a node scan decides</summary>"));
    assert!(outside.contains(
        r#"<td class="status needs-node-scan">needs node scan</td><td class="num">n&#x2f;a</td>"#
    ));
    // Without scores there is neither section nor chart.
    let mut unscored = testdata::result();
    unscored.frameworks.clear();
    let plain = html(&unscored, &testdata::sources());
    assert!(!plain.contains(r#"id="frameworks""#) && !plain.contains("chart-frameworks"));
}

#[test]
fn findings_show_their_risk_and_its_factors() {
    let mut result = testdata::result();
    let factors = RiskFactors::EXPOSED | RiskFactors::REPLICATED;
    result.findings[0].risk = Risk::new(result.findings[0].severity, factors);
    let score = result.findings[0].risk.score;
    let page = html(&result, &testdata::sources());
    let card = between(&page, "<article", "</article>");
    assert!(card.contains(&format!(">risk {score}</span>")), "{card}");
    let exposed = palisade_core::RISK_FACTORS[0];
    assert!(
        card.contains(&format!(
            r#"<li title="{}">exposed ×1.6</li><li title="#,
            minijinja::HtmlEscape(exposed.explanation)
        )),
        "{card}"
    );
    assert!(card.contains("replicated ×1.1</li></ul>"), "{card}");
    // A finding without factors lists none.
    let last = &page[page.rfind("<article").unwrap()..];
    assert!(!between(last, "<article", "</article>").contains("factors"));
}

#[test]
fn counts_read_with_thousands_separated() {
    assert_eq!(digits(0), "0");
    assert_eq!(digits(999), "999");
    assert_eq!(digits(1000), "1,000");
    assert_eq!(digits(650_000), "650,000");
    assert_eq!(digits(1_234_567), "1,234,567");
}

#[test]
fn snapshot() {
    let page = html(&testdata::result(), &testdata::sources());
    // The content only: the inline style and script are checked above, and would make every
    // change of a colour a change of this snapshot.
    insta::assert_snapshot!(between(&page, "<body>", "<script>"));
}
