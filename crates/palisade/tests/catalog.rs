//! `palisade controls` and `palisade explain`.

mod common;

use common::*;
use predicates::prelude::*;

#[test]
fn explain_accepts_ids_and_aliases() {
    for name in [
        "POD-001",
        "pod-001",
        "C-0057",
        "KSV-0017",
        "CKV_K8S_16",
        "privileged-container",
    ] {
        palisade()
            .args(["explain", name])
            .assert()
            .success()
            .stdout(predicate::str::contains("POD-001 — Privileged container"))
            .stdout(predicate::str::contains("## How to fix"));
    }
    palisade()
        .args(["explain", "XYZ-1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no control answers"));
}

#[test]
fn controls_json_lists_metadata() {
    let output = palisade()
        .args(["controls", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let controls: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(controls.len() >= 60, "only {} controls", controls.len());
    for control in &controls {
        for field in ["id", "title", "severity", "family", "aliases", "frameworks"] {
            assert!(!control[field].is_null(), "{} lacks {field}", control["id"]);
        }
    }
    let rbac = palisade()
        .args(["controls", "--family", "RBAC", "--format", "json"])
        .output()
        .unwrap();
    let rbac: Vec<serde_json::Value> = serde_json::from_slice(&rbac.stdout).unwrap();
    assert!(!rbac.is_empty() && rbac.iter().all(|c| c["family"] == "RBAC"));
    let cis = palisade()
        .args(["controls", "--framework", "cis", "--format", "json"])
        .output()
        .unwrap();
    let cis: Vec<serde_json::Value> = serde_json::from_slice(&cis.stdout).unwrap();
    assert!(!cis.is_empty() && cis.len() < controls.len());
    assert!(cis.iter().all(|c| {
        c["frameworks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["framework"] == "cis")
    }));
}

#[test]
fn controls_table_renders() {
    palisade()
        .arg("controls")
        .assert()
        .success()
        .stdout(predicate::str::contains("POD-001"))
        .stdout(predicate::str::contains("controls"));
}

#[test]
fn generated_control_docs_are_current() {
    let output = palisade()
        .args(["controls", "--format", "markdown"])
        .output()
        .unwrap();
    let fresh = String::from_utf8(output.stdout).unwrap();
    let path = repo_root().join("docs/controls.md");
    if std::env::var_os("PALISADE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/controls.md is stale; regenerate with `PALISADE_UPDATE_DOCS=1 cargo test -p palisade --test catalog`"
    );
}
