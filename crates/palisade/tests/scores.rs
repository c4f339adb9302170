//! Compliance scores (`palisade scan --framework`) and risk ranking through the real binary,
//! on fixtures whose counts and context are known by hand.

mod common;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

/// Two pods that pass every Pod Security Standards baseline check but one: the second is
/// privileged. Baseline has 12 requirements, one control each, so 11 score 100 (2 passed),
/// `privileged` scores 100 × 1 / 2 = 50, and the framework (1100 + 50) / 12 = 95.83 → 95.8.
const TWO_PODS: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: plain\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: privileged\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";

fn fixture() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "pods.yaml", TWO_PODS);
    let path = path.to_str().unwrap().to_string();
    (dir, path)
}

fn requirement<'a>(framework: &'a Value, id: &str) -> &'a Value {
    framework["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("requirement {id} missing"))
}

#[test]
fn a_framework_is_scored_from_hand_counted_checks() {
    let (_dir, path) = fixture();
    let (report, code) = scan_json(&[&path, "--framework", "pss-baseline"]);
    assert_eq!(code, 1);
    let frameworks = report["frameworks"].as_array().unwrap();
    assert_eq!(frameworks.len(), 1);
    let baseline = &frameworks[0];
    assert_eq!(baseline["id"], "pss-baseline");
    assert_eq!(baseline["score"], 95.8);
    assert_eq!(baseline["requirements"].as_array().unwrap().len(), 12);
    let privileged = requirement(baseline, "privileged");
    assert_eq!(privileged["status"], "failed");
    assert_eq!(privileged["score"], 50.0);
    assert_eq!(
        (&privileged["passed"], &privileged["failed"]),
        (&1.into(), &1.into())
    );
    let sysctls = requirement(baseline, "sysctls");
    assert_eq!(
        (&sysctls["status"], &sysctls["score"]),
        (&"passed".into(), &100.0.into())
    );
    // Only the controls serving the framework ran.
    let ran: Vec<&str> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["control"].as_str().unwrap())
        .collect();
    assert_eq!(ran.len(), 12, "{ran:?}");
    assert_eq!(controls_of(&report), ["POD-001"]);
}

#[test]
fn controls_left_out_by_skip_make_their_requirements_not_evaluated() {
    let (_dir, path) = fixture();
    let (report, _) = scan_json(&[&path, "--framework", "pss-baseline", "--skip", "POD-010"]);
    let baseline = &report["frameworks"][0];
    let sysctls = requirement(baseline, "sysctls");
    assert_eq!(sysctls["status"], "not-evaluated");
    assert!(sysctls["score"].is_null());
    // (1000 + 50) / 11 = 95.45 → 95.5: the skipped requirement is not counted as passed.
    assert_eq!(baseline["score"], 95.5);
}

#[test]
fn aliases_config_and_repeats_name_each_framework_once_in_order() {
    let (dir, path) = fixture();
    let config = write(
        dir.path(),
        "palisade.yaml",
        "frameworks: [pss-restricted]\n",
    );
    let (report, _) = scan_json(&[
        &path,
        "--config",
        config.to_str().unwrap(),
        "--framework",
        "CIS",
        "--framework",
        "cis-1.12",
    ]);
    let ids: Vec<&str> = report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["pss-restricted", "cis-1.12"]);
}

#[test]
fn without_framework_nothing_is_scored() {
    let (_dir, path) = fixture();
    let (report, _) = scan_json(&[&path]);
    assert!(report.get("frameworks").is_none());
    palisade()
        .args(["scan", &path])
        .assert()
        .stdout(predicate::str::contains("FRAMEWORK").not());
}

#[test]
fn an_unknown_framework_is_an_error_listing_the_known_ones() {
    let (_dir, path) = fixture();
    palisade()
        .args(["scan", &path, "--framework", "cis-0.1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown framework `cis-0.1`"))
        .stderr(predicate::str::contains("pss-baseline"))
        .stdout(predicate::str::is_empty());
}

#[test]
fn every_format_shows_the_score() {
    let (_dir, path) = fixture();
    let run = |format: &str| {
        let output = palisade()
            .args([
                "scan",
                &path,
                "--framework",
                "pss-baseline",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        String::from_utf8(output.stdout).unwrap()
    };
    let text = run("text");
    assert!(text.contains("── FRAMEWORK pss-baseline"), "{text}");
    assert!(text.contains("score 95.8 / 100: the mean of 12 requirement scores"));
    assert!(text.contains("12 requirements: 11 passed, 1 failed"));
    let markdown = run("markdown");
    assert!(markdown.contains("| `pss-baseline` Pod Security Standards (baseline) v1.37 | 95.8 | 11 | 1 | 0 | 0 | 0 | 0 |"), "{markdown}");
    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    assert_eq!(
        sarif["runs"][0]["properties"]["frameworks"][0]["score"],
        95.8
    );
}

/// The same privileged Deployment twice: in `shop` a LoadBalancer Service publishes it and no
/// NetworkPolicy selects it; in `back` a NetworkPolicy selects it and nothing publishes it.
const EXPOSED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      automountServiceAccountToken: false\n      containers:\n        - name: app\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  type: LoadBalancer\n  selector: {app: web}\n  ports:\n    - port: 80\n";
const ISOLATED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: back\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      automountServiceAccountToken: false\n      containers:\n        - name: app\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: back\nspec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n";

/// Both Deployments, the isolated one in the file that sorts first (so only risk can put the
/// exposed one ahead).
fn two_deployments() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a-isolated.yaml", ISOLATED);
    write(dir.path(), "b-exposed.yaml", EXPOSED);
    dir
}

#[test]
fn an_exposed_privileged_deployment_outranks_the_same_one_behind_a_policy() {
    let dir = two_deployments();
    let path = dir.path().to_str().unwrap();
    let (report, _) = scan_json(&[path, "--complete-inventory", "--only", "POD-001"]);
    let findings = report["findings"].as_array().unwrap();
    let ranked: Vec<(&str, &Value)> = findings
        .iter()
        .map(|f| (f["resource"]["namespace"].as_str().unwrap(), &f["risk"]))
        .collect();
    assert_eq!(
        ranked,
        [
            (
                "shop",
                &serde_json::json!({"score": 100, "factors": ["exposed", "privileged", "no-network-policy", "replicated"]})
            ),
            (
                "back",
                &serde_json::json!({"score": 66, "factors": ["privileged", "replicated"]})
            ),
        ]
    );

    let text = palisade()
        .args(["scan", path, "--complete-inventory", "--only", "POD-001"])
        .output()
        .unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    let exposed = text
        .find("risk 100: exposed, privileged, no-network-policy, replicated")
        .expect("the text report names the factors");
    let isolated = text.find("risk 66: privileged, replicated").unwrap();
    assert!(exposed < isolated);

    let sarif = palisade()
        .args([
            "scan",
            path,
            "--complete-inventory",
            "--only",
            "POD-001",
            "--format",
            "sarif",
        ])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ranks: Vec<f64> = results
        .iter()
        .map(|r| r["rank"].as_f64().unwrap())
        .collect();
    assert_eq!(ranks, [100.0, 66.0]);
    assert_eq!(results[0]["properties"]["risk"]["score"], 100);

    let markdown = palisade()
        .args([
            "scan",
            path,
            "--complete-inventory",
            "--only",
            "POD-001",
            "--format",
            "markdown",
        ])
        .output()
        .unwrap();
    let markdown = String::from_utf8(markdown.stdout).unwrap();
    assert!(
        markdown
            .contains("| 100 (exposed, privileged, no-network-policy, replicated) | critical |"),
        "{markdown}"
    );
}

#[test]
fn risk_ranked_reports_are_byte_identical_across_runs() {
    let dir = two_deployments();
    let path = dir.path().to_str().unwrap();
    for format in ["json", "sarif", "text", "markdown"] {
        let run = || {
            palisade()
                .args([
                    "scan",
                    path,
                    "--complete-inventory",
                    "--framework",
                    "nsa",
                    "--format",
                    format,
                ])
                .output()
                .unwrap()
                .stdout
        };
        assert_eq!(run(), run(), "{format} differs between runs");
    }
}
