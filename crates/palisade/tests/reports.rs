//! The evidence every report carries and the report formats for auditors and tooling, through
//! the binary.

mod common;

use common::*;
use predicates::prelude::*;
use sha2::{Digest, Sha256};

const PRIVILEGED: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p1\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";
const LATEST: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cache\n  namespace: other\nspec:\n  containers:\n    - name: redis\n      image: redis:latest\n";

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn evidence_records_inputs_versions_time_and_exceptions() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.yaml", PRIVILEGED);
    let b = write(dir.path(), "b.yaml", LATEST);
    let config = write(
        dir.path(),
        "c.yaml",
        "exceptions:\n  - controls: [IMG-001]\n    resources: [{kind: Pod, name: cache}]\n    reason: mirrored nightly\n    expires: 2999-01-01\n",
    );
    let (report, _) = scan_json(&[
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    let evidence = &report["evidence"];
    assert_eq!(evidence["tool"], "palisade");
    assert_eq!(evidence["toolVersion"], report["tool"]["version"]);
    assert_eq!(evidence["generatedAt"], REPORT_TIME);
    let catalog = evidence["catalogVersion"].as_str().unwrap();
    assert_eq!(catalog.len(), 16);
    assert!(evidence["controls"].as_u64().unwrap() > 50);
    assert_eq!(evidence["frameworks"], serde_json::json!([]));
    let inputs = evidence["inputs"].as_array().unwrap();
    assert_eq!(inputs.len(), 2);
    assert!(inputs[0]["path"].as_str().unwrap().ends_with("a.yaml"));
    assert_eq!(inputs[0]["sha256"], sha256_hex(PRIVILEGED));
    assert_eq!(inputs[1]["sha256"], sha256_hex(LATEST));
    assert_eq!(
        evidence["exceptions"],
        serde_json::json!([{"control": "IMG-001", "kind": "exception", "reason": "mirrored nightly",
                            "expires": "2999-01-01", "findings": 1}])
    );

    // The catalogue version does not depend on which controls a scan runs.
    let (narrowed, _) = scan_json(&[a.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(narrowed["evidence"]["catalogVersion"], catalog);
    assert_eq!(narrowed["evidence"]["controls"], 1);

    palisade()
        .args(["scan", a.to_str().unwrap()])
        .assert()
        .stdout(predicate::str::contains("── EVIDENCE"))
        .stdout(predicate::str::contains(format!(
            "{} {}",
            sha256_hex(PRIVILEGED),
            a.display()
        )))
        .stdout(predicate::str::contains(format!(
            "generated at: {REPORT_TIME}"
        )));
}

#[test]
fn the_report_time_comes_from_the_environment_or_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.yaml", PRIVILEGED);
    let generated = |cmd: &mut assert_cmd::Command| -> String {
        let out = cmd
            .args(["scan", a.to_str().unwrap(), "--format", "json"])
            .output()
            .unwrap();
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["evidence"]["generatedAt"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut epoch = palisade();
    epoch
        .env_remove("PALISADE_REPORT_TIME")
        .env("SOURCE_DATE_EPOCH", "1700000000");
    assert_eq!(generated(&mut epoch), "2023-11-14T22:13:20Z");

    let mut clock = palisade();
    clock.env_remove("PALISADE_REPORT_TIME");
    let now: i64 = jiff::Timestamp::now().as_second();
    let at: jiff::Timestamp = generated(&mut clock).parse().unwrap();
    assert!((at.as_second() - now).abs() < 600, "{at} is not now");

    palisade()
        .env("PALISADE_REPORT_TIME", "yesterday")
        .args(["scan", a.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("PALISADE_REPORT_TIME `yesterday`"));
}
