//! Comparing scans end to end: `palisade scan --baseline`, `--fail-on-new` and `palisade diff`.

mod common;

use std::path::Path;

use common::*;
use predicates::prelude::*;

const WEB: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:latest\n          securityContext:\n            privileged: true\n";
const CACHE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cache\n  namespace: shop\nspec:\n  containers:\n    - name: redis\n      image: redis:latest\n";

/// Scans `dir` with IMG-001 and POD-001 into `report`, and returns the JSON report.
fn scan_to(dir: &Path, report: &Path, extra: &[&str]) -> (serde_json::Value, i32) {
    let output = palisade()
        .args(["scan", dir.to_str().unwrap(), "--only", "IMG-001,POD-001"])
        .args(["--format", "json", "--output", report.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(report).unwrap();
    (
        serde_json::from_str(&text).unwrap(),
        output.status.code().unwrap(),
    )
}

fn statuses(report: &serde_json::Value) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!("{} {}", f["control"], f["resource"]["name"]),
                f["baseline"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect()
}

#[test]
fn moved_lines_and_reordered_documents_add_no_new_finding() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("deploy");
    write(&src, "all.yaml", &format!("{WEB}---\n{CACHE}"));
    let before = dir.path().join("before.json");
    let (first, _) = scan_to(&src, &before, &[]);
    let fingerprints = |r: &serde_json::Value| -> Vec<String> {
        let mut all: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        all.sort();
        all
    };
    assert_eq!(fingerprints(&first).len(), 3);
    assert!(first.get("baseline").is_none());

    // The same objects, documents swapped, lines pushed down by comments, in a renamed file.
    std::fs::remove_file(src.join("all.yaml")).unwrap();
    write(
        &src,
        "renamed.yaml",
        &format!("# moved\n# around\n{CACHE}---\n# more\n{WEB}"),
    );
    let after = dir.path().join("after.json");
    let (second, code) = scan_to(
        &src,
        &after,
        &[
            "--baseline",
            before.to_str().unwrap(),
            "--fail-on-new",
            "info",
        ],
    );
    assert_eq!(code, 0, "nothing is new");
    assert_eq!(fingerprints(&second), fingerprints(&first));
    assert_eq!(
        second["baseline"],
        serde_json::json!({"new": 0, "existing": 3})
    );
    assert!(statuses(&second).iter().all(|(_, s)| s == "existing"));
    assert_ne!(
        first["findings"][0]["location"]["line"],
        second["findings"][0]["location"]["line"]
    );
}

#[test]
fn a_new_finding_fails_only_at_its_severity() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("deploy");
    write(&src, "web.yaml", WEB);
    let before = dir.path().join("before.json");
    scan_to(&src, &before, &[]);

    // A new Pod with a mutable tag: IMG-001 (medium), new; the old findings stay existing.
    write(&src, "cache.yaml", CACHE);
    let baseline = ["--baseline", before.to_str().unwrap()];
    let after = dir.path().join("after.json");
    let (report, code) = scan_to(
        &src,
        &after,
        &[&baseline[..], &["--fail-on-new", "medium"]].concat(),
    );
    assert_eq!(code, 1);
    let marks = statuses(&report);
    assert!(marks.contains(&("\"IMG-001\" \"cache\"".into(), "new".into())));
    assert!(marks.contains(&("\"POD-001\" \"web\"".into(), "existing".into())));
    assert_eq!(report["baseline"]["new"], 1);

    let (_, code) = scan_to(
        &src,
        &after,
        &[&baseline[..], &["--fail-on-new", "high"]].concat(),
    );
    assert_eq!(code, 0, "the new finding is below high");
    // An explicit --fail-on still applies beside --fail-on-new.
    let (_, code) = scan_to(
        &src,
        &after,
        &[
            &baseline[..],
            &["--fail-on-new", "high", "--fail-on", "critical"],
        ]
        .concat(),
    );
    assert_eq!(code, 1, "the existing privileged container is critical");

    palisade()
        .args(["scan", src.to_str().unwrap(), "--only", "IMG-001,POD-001"])
        .args(baseline)
        .assert()
        .code(1)
        .stdout(predicate::str::contains("1 new since the baseline."))
        .stdout(predicate::str::contains("new since the baseline").count(2));
}

#[test]
fn baseline_errors_name_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let src = write(dir.path(), "web.yaml", WEB);
    let src = src.to_str().unwrap();
    let missing = dir.path().join("missing.json");
    palisade()
        .args(["scan", src, "--baseline", missing.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot read baseline report")
                .and(predicate::str::contains("missing.json")),
        );
    let sarif = write(
        dir.path(),
        "old.sarif",
        "{\"version\": \"2.1.0\", \"runs\": []}",
    );
    palisade()
        .args(["scan", src, "--baseline", sarif.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("old.sarif")
                .and(predicate::str::contains("not a Palisade JSON report")),
        );
    let garbage = write(dir.path(), "garbage.json", "{ nope");
    palisade()
        .args(["scan", src, "--baseline", garbage.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("garbage.json: not JSON"));
    palisade()
        .args(["scan", src, "--fail-on-new", "high"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--baseline"));
}

#[test]
fn diff_shows_the_delta_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("deploy");
    write(&src, "web.yaml", WEB);
    let before = dir.path().join("before.json");
    scan_to(&src, &before, &[]);
    // The privileged container is fixed, a new Pod appears.
    write(
        &src,
        "web.yaml",
        &WEB.replace("privileged: true", "privileged: false"),
    );
    write(&src, "cache.yaml", CACHE);
    let after = dir.path().join("after.json");
    scan_to(&src, &after, &[]);
    let (b, a) = (before.to_str().unwrap(), after.to_str().unwrap());

    palisade()
        .args(["diff", b, a])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("1 new, 1 resolved, 1 unchanged"))
        .stdout(predicate::str::contains("New findings (1):"))
        .stdout(predicate::str::contains("IMG-001 Pod/cache (shop)"))
        .stdout(predicate::str::contains("Resolved findings (1):"))
        .stdout(predicate::str::contains("POD-001 Deployment/web (shop)"));

    let out = dir.path().join("delta.json");
    palisade()
        .args([
            "diff",
            b,
            a,
            "--format",
            "json",
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .code(0)
        .stdout(predicate::str::is_empty());
    let delta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(
        delta["summary"],
        serde_json::json!({"new": 1, "resolved": 1, "unchanged": 1})
    );
    assert_eq!(delta["severities"][0]["change"], -1, "one critical fewer");
    assert_eq!(delta["frameworks"], serde_json::json!([]));

    palisade()
        .args(["diff", b, a, "--format", "markdown"])
        .assert()
        .code(0)
        .stdout(predicate::str::starts_with(
            "## ❌ Palisade posture change: 1 new, 1 resolved, 1 unchanged",
        ));
}

#[test]
fn diff_shows_framework_scores_when_reports_carry_them() {
    let dir = tempfile::tempdir().unwrap();
    let report = |score: f64| {
        serde_json::json!({
            "schemaVersion": "1",
            "findings": [],
            "frameworks": [{"id": "cis-1.12", "score": score}]
        })
        .to_string()
    };
    let b = write(dir.path(), "b.json", &report(60.0));
    let a = write(dir.path(), "a.json", &report(72.25));
    palisade()
        .args(["diff", b.to_str().unwrap(), a.to_str().unwrap()])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(
            "cis-1.12                      60   72.25  +12.25",
        ));
}

#[test]
fn diff_errors_name_the_file_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.json",
        "{\"schemaVersion\": \"1\", \"findings\": []}",
    );
    let bad = write(dir.path(), "bad.json", "[1, 2]");
    let good = good.to_str().unwrap();
    palisade()
        .args(["diff", good, bad.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("after report").and(predicate::str::contains("bad.json")));
    palisade()
        .args(["diff", "nowhere.json", good])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read before report nowhere.json",
        ));
    palisade()
        .args(["diff", good, good, "--format", "html"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown diff format"));
}
