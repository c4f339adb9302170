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
            .stdout(predicate::str::contains("## How to fix"))
            .stdout(predicate::str::contains("cis-1.12"))
            .stdout(predicate::str::contains(
                "5.2.2  Privileged containers are kept out",
            ));
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
            .any(|f| f["framework"] == "cis-1.12")
    }));
    let pod001 = controls.iter().find(|c| c["id"] == "POD-001").unwrap();
    assert!(
        pod001["frameworks"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"framework": "cis-1.12", "requirement": "5.2.2"}))
    );
    palisade()
        .args(["controls", "--framework", "no-such-framework"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown framework"));
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

#[test]
fn frameworks_lists_every_framework_with_its_coverage() {
    palisade()
        .arg("frameworks")
        .assert()
        .success()
        .stdout(predicate::str::contains("cis-1.12"))
        .stdout(predicate::str::contains("pci-dss-4.0"))
        .stdout(predicate::str::contains("12 frameworks"));
    let output = palisade()
        .args(["frameworks", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let frameworks: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let ids: Vec<&str> = frameworks
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.is_sorted(), "{ids:?}");
    let cis = frameworks.iter().find(|f| f["id"] == "cis-1.12").unwrap();
    let coverage = &cis["coverage"];
    let parts = ["automated", "manual", "node-scan"].map(|k| coverage[k].as_u64().unwrap());
    assert_eq!(
        parts.iter().sum::<u64>(),
        cis["requirements"].as_u64().unwrap()
    );
    assert!(parts.iter().all(|&n| n > 0), "{coverage}");
}

#[test]
fn frameworks_show_prints_the_requirement_tree() {
    palisade()
        .args(["frameworks", "show", "cis-1.12"])
        .assert()
        .success()
        .stdout(predicate::str::contains("need a node scan"))
        .stdout(predicate::str::contains("\n5.2 Pod security ("))
        .stdout(predicate::str::contains("  5.2.2 "))
        .stdout(predicate::str::contains("automated by POD-001"))
        .stdout(predicate::str::contains("  1.1.1 "))
        .stdout(predicate::str::contains("manual; evidence:"));
    // Aliases and any letter case name the same framework.
    let by_alias = palisade()
        .args(["frameworks", "show", "CIS"])
        .output()
        .unwrap();
    let by_id = palisade()
        .args(["frameworks", "show", "cis-1.12"])
        .output()
        .unwrap();
    assert!(by_alias.status.success());
    assert_eq!(by_alias.stdout, by_id.stdout);

    let output = palisade()
        .args(["frameworks", "show", "cis", "--format", "json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let cis: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(cis["id"], "cis-1.12");
    let requirements = cis["requirements"].as_array().unwrap();
    let privileged = requirements.iter().find(|r| r["id"] == "5.2.2").unwrap();
    assert_eq!(
        privileged["assessment"],
        serde_json::json!({"kind": "automated", "controls": ["POD-001"]})
    );
    assert_eq!(
        cis["coverage"]["automated"].as_u64().unwrap() as usize,
        requirements
            .iter()
            .filter(|r| r["assessment"]["kind"] == "automated")
            .count()
    );
}

#[test]
fn frameworks_show_rejects_an_unknown_framework_and_lists_the_known_ones() {
    palisade()
        .args(["frameworks", "show", "cis-9.99"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains("unknown framework `cis-9.99`"))
        .stderr(predicate::str::contains("cis-1.12"))
        .stderr(predicate::str::contains("nsa-cisa-1.2"));
}

#[test]
fn generated_framework_docs_are_current() {
    let output = palisade()
        .args(["frameworks", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let fresh = String::from_utf8(output.stdout).unwrap();
    let path = repo_root().join("docs/frameworks.md");
    if std::env::var_os("PALISADE_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &fresh).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "docs/frameworks.md is stale; regenerate with `PALISADE_UPDATE_DOCS=1 cargo test -p palisade --test catalog`"
    );
}
