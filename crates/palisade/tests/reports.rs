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

#[test]
fn every_format_goes_to_its_own_file_in_an_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "in/a.yaml", PRIVILEGED);
    write(dir.path(), "in/b.yaml", LATEST);
    let out = dir.path().join("reports");
    palisade()
        .args(["scan", a.parent().unwrap().to_str().unwrap()])
        .args(["--format", "csv,openreports,policyreport,prometheus,json"])
        .arg("--output-dir")
        .arg(&out)
        .assert()
        .code(1);
    let read = |name: &str| std::fs::read_to_string(out.join(name)).unwrap();
    let report: serde_json::Value = serde_json::from_str(&read("palisade.json")).unwrap();
    let findings = report["findings"].as_array().unwrap();

    let csv_text = read("palisade.csv");
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), findings.len());
    assert_eq!(&rows[0][0], findings[0]["fingerprint"].as_str().unwrap());

    for (name, kind) in [
        ("palisade.openreports.json", "Report"),
        ("palisade.policyreport.json", "PolicyReport"),
    ] {
        let list: serde_json::Value = serde_json::from_str(&read(name)).unwrap();
        let kinds: Vec<(&str, &str)> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["kind"].as_str().unwrap(),
                    r["metadata"]["namespace"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(kinds, [(kind, "other"), (kind, "team")], "{name}");
        let failed: u64 = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["summary"]["fail"].as_u64().unwrap())
            .sum();
        assert_eq!(failed as usize, findings.len());
    }

    let prom = read("palisade.prom");
    assert!(prom.contains("# TYPE palisade_scan_findings gauge\n"));
    assert!(prom.contains(&format!(
        "palisade_scan_findings{{severity=\"critical\"}} {}\n",
        report["summary"]["critical"]
    )));
    assert!(prom.contains("palisade_scan_namespace_findings{cluster=\"\",namespace=\"team\"}"));
    assert!(prom.contains("palisade_scan_timestamp_seconds 1740830400\n"));
}

#[test]
fn kubectl_reads_the_report_objects() {
    let Ok(path) = std::env::var("PATH") else {
        return;
    };
    if !std::env::split_paths(&path).any(|d| d.join("kubectl").is_file()) {
        eprintln!("SKIPPED: kubectl not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.yaml", PRIVILEGED);
    for format in ["openreports", "policyreport"] {
        let file = dir.path().join(format!("{format}.json"));
        palisade()
            .args(["scan", a.to_str().unwrap(), "--format", format, "-o"])
            .arg(&file)
            .assert()
            .code(1);
        // `--local` needs no cluster: kubectl reads the List and acts on each object.
        let output = std::process::Command::new("kubectl")
            .args(["label", "--local", "-o", "name", "checked=yes", "-f"])
            .arg(&file)
            .output()
            .unwrap();
        let names = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = match format {
            "openreports" => "report.openreports.io/palisade",
            _ => "policyreport.wgpolicyk8s.io/palisade",
        };
        assert_eq!(names.trim(), expected);
    }
}
