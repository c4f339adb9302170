//! End-to-end tests of `palisade scan` through the real binary.

mod common;

use common::*;
use predicates::prelude::*;

const PRIVILEGED_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n";

fn demo() -> String {
    repo_root()
        .join("examples/demo-shop")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn demo_scan_reports_findings_with_locations_and_exits_1() {
    let (report, code) = scan_json(&[&demo()]);
    assert_eq!(code, 1);
    assert_eq!(report["schemaVersion"], "2");
    let findings = report["findings"].as_array().unwrap();
    assert!(findings.len() > 20, "only {} findings", findings.len());
    let privileged = findings
        .iter()
        .find(|f| f["control"] == "POD-001")
        .expect("privileged storefront is found");
    assert_eq!(privileged["severity"], "critical");
    assert_eq!(privileged["resource"]["kind"], "Deployment");
    assert_eq!(privileged["resource"]["name"], "storefront");
    assert_eq!(privileged["resource"]["namespace"], "shop");
    assert_eq!(privileged["resource"]["apiVersion"], "apps/v1");
    assert_eq!(
        privileged["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert!(
        privileged["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("storefront.yaml")
    );
    assert_eq!(privileged["location"]["line"], 25);
    assert_eq!(privileged["location"]["column"], 13);
    assert!(
        privileged["message"]
            .as_str()
            .unwrap()
            .contains("privileged: true")
    );
    assert!(!privileged["remediation"].as_str().unwrap().is_empty());
    assert!(
        privileged["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["id"] == "C-0057")
    );
    let controls = controls_of(&report);
    for expected in [
        "POD-002", "POD-022", "IMG-001", "SEC-001", "NET-001", "NET-002", "NET-003", "NS-001",
        "RBAC-001", "RBAC-002", "API-001",
    ] {
        assert!(
            controls.iter().any(|c| c == expected),
            "{expected} missing from demo findings"
        );
    }
}

#[test]
fn text_output_shows_the_offending_line_like_a_compiler() {
    palisade()
        .args(["scan", &demo(), "--only", "POD-001"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("critical[POD-001]"))
        .stdout(predicate::str::contains("storefront.yaml:25:13"))
        .stdout(predicate::str::contains("privileged: true"))
        .stdout(predicate::str::contains("FINDINGS (1), riskiest first"))
        .stdout(predicate::str::contains(
            "risk 100: exposed, privileged, dangerous-service-account, token-mounted",
        ));
}

#[test]
fn fail_on_threshold_decides_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "latest.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx\n",
    );
    let file = file.to_str().unwrap();
    palisade()
        .args(["scan", file, "--only", "IMG-001", "--fail-on", "critical"])
        .assert()
        .code(0);
    palisade()
        .args(["scan", file, "--only", "IMG-001", "--fail-on", "low"])
        .assert()
        .code(1);
    palisade()
        .args(["scan", file, "--only", "IMG-001", "--fail-on", "none"])
        .assert()
        .code(0);
    palisade()
        .args(["scan", file, "--fail-on", "severe"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown severity"));
}

#[test]
fn reads_stdin() {
    let output = palisade()
        .args(["scan", "-", "--format", "json", "--only", "POD-001"])
        .write_stdin(PRIVILEGED_POD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"][0]["location"]["file"], "<stdin>");
    assert_eq!(report["findings"][0]["location"]["line"], 11);
}

#[test]
fn several_formats_go_to_an_output_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("reports");
    palisade()
        .args([
            "scan",
            &demo(),
            "--format",
            "json",
            "--format",
            "junit",
            "--format",
            "sarif",
            "--format",
            "markdown",
            "--output-dir",
        ])
        .arg(&out)
        .assert()
        .code(1);
    for name in [
        "palisade.json",
        "palisade.junit.xml",
        "palisade.sarif",
        "palisade.md",
    ] {
        let text = std::fs::read_to_string(out.join(name)).unwrap();
        assert!(text.len() > 100, "{name} is nearly empty");
    }
    palisade()
        .args(["scan", &demo(), "--format", "json", "--format", "sarif"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--output-dir"));
}

#[test]
fn reports_are_byte_identical_across_runs() {
    for format in ["json", "sarif", "junit", "markdown", "text"] {
        let run = || {
            palisade()
                .args(["scan", &demo(), "--format", format])
                .output()
                .unwrap()
                .stdout
        };
        let first = run();
        assert!(!first.is_empty());
        assert_eq!(first, run(), "{format} output differs between runs");
    }
}

#[test]
fn sarif_output_validates_against_the_schema() {
    let Some(schema_path) = shared("reference/sarif-schema-2.1.0.json") else {
        return;
    };
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let output = palisade()
        .args(["scan", &demo(), "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let region = &results.iter().find(|r| r["ruleId"] == "POD-001").unwrap()["locations"][0]["physicalLocation"]
        ["region"];
    assert_eq!(region["startLine"], 25);
}

#[test]
fn broken_input_is_reported_with_file_and_line_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.yaml", PRIVILEGED_POD);
    write(
        dir.path(),
        "broken.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fine\n  namespace: team\ndata:\n  PASSWORD: hunter2\n",
    );
    write(dir.path(), "list.yaml", "- not\n- an object\n");
    write(
        dir.path(),
        "typed.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: typo\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: \"yes\"\n",
    );
    let (report, code) = scan_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "findings in the good files still fail the scan");
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let syntax = diagnostics
        .iter()
        .find(|d| d["file"].as_str().unwrap().ends_with("broken.yaml"))
        .expect("syntax error reported");
    assert_eq!(syntax["level"], "error");
    assert_eq!(syntax["line"], 5);
    assert!(
        syntax["message"]
            .as_str()
            .unwrap()
            .contains("YAML syntax error")
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d["file"].as_str().unwrap().ends_with("list.yaml") && d["line"] == 1)
    );
    let controls = controls_of(&report);
    assert!(
        controls.contains(&"POD-001".to_string()),
        "good.yaml still scanned"
    );
    assert!(
        controls.contains(&"SEC-002".to_string()),
        "the valid document after the broken one is still scanned"
    );
    let not_evaluated = report["notEvaluated"].as_array().unwrap();
    let typo = not_evaluated
        .iter()
        .find(|n| n["control"] == "POD-001")
        .expect("wrong type is not evaluated");
    assert!(
        typo["reason"]
            .as_str()
            .unwrap()
            .contains("must be a boolean, found string \"yes\"")
    );
    assert_eq!(typo["location"]["line"], 11);
}

#[test]
fn hostile_yaml_is_refused_without_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let mut laughs = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        laughs.push_str(&format!("  a{i}: &a{i} [{refs}]\n"));
    }
    laughs.push_str("---\n");
    laughs.push_str(PRIVILEGED_POD);
    write(dir.path(), "laughs.yaml", &laughs);
    write(
        dir.path(),
        "deep.yaml",
        &format!("{}{}", "[".repeat(5000), "]".repeat(5000)),
    );
    let (report, code) = scan_json(&[dir.path().to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 1);
    let messages: Vec<&str> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.contains("more than")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("nesting") || m.contains("recursion")),
        "{messages:?}"
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "the pod after the bomb is scanned"
    );
}

#[test]
fn oversized_files_are_skipped_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.yaml");
    let line = "# padding padding padding padding padding padding padding padding padding\n";
    std::fs::write(&big, line.repeat(50 * 1024 * 1024 / line.len() + 1)).unwrap();
    write(dir.path(), "small.yaml", PRIVILEGED_POD);
    let (report, code) = scan_json(&[dir.path().to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 1);
    let diag = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["file"].as_str().unwrap().ends_with("huge.yaml"))
        .expect("size error");
    assert!(
        diag["message"]
            .as_str()
            .unwrap()
            .contains("larger than the 32.0 MiB limit"),
        "{diag}"
    );
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn unreadable_input_or_bad_flags_exit_2() {
    palisade()
        .args(["scan", "/definitely/not/here"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("no such file"));
    palisade()
        .args(["scan", "--no-such-flag", "x"])
        .assert()
        .code(2);
    palisade()
        .args(["scan", &demo(), "--only", "POD-999"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown control `POD-999`"));
}

#[test]
fn list_kinds_are_unpacked_and_json_files_read() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Pod\n    metadata: {name: a, namespace: t}\n    spec:\n      containers: [{name: c, image: 'nginx:1', securityContext: {privileged: true}}]\n",
    );
    write(
        dir.path(),
        "pod.json",
        "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"b\", \"namespace\": \"t\"},\n  \"spec\": {\"containers\": [{\"name\": \"c\", \"image\": \"nginx:1\", \"securityContext\": {\"privileged\": true}}]}\n}\n",
    );
    let (report, _) = scan_json(&[dir.path().to_str().unwrap(), "--only", "POD-001"]);
    let names: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(report["findings"][1]["location"]["line"], 5);
}

#[test]
fn palisadeignore_and_hidden_directories_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "kept/pod.yaml", PRIVILEGED_POD);
    write(dir.path(), "vendor/pod.yaml", PRIVILEGED_POD);
    write(dir.path(), ".git/pod.yaml", PRIVILEGED_POD);
    write(dir.path(), ".palisadeignore", "vendor/\n");
    let (report, _) = scan_json(&[dir.path().to_str().unwrap(), "--only", "POD-001"]);
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["file"].as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].ends_with("kept/pod.yaml"));
}

#[test]
fn pss_level_runs_exactly_the_pod_security_checks() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: app\n      image: nginx\n",
    );
    let (baseline, code) = scan_json(&[pod.to_str().unwrap(), "--pss-level", "baseline"]);
    assert_eq!(code, 0, "a plain pod passes baseline: {baseline}");
    let (restricted, code) = scan_json(&[pod.to_str().unwrap(), "--pss-level", "restricted"]);
    assert_eq!(code, 1);
    let mut controls = controls_of(&restricted);
    controls.sort();
    controls.dedup();
    assert_eq!(
        controls,
        ["POD-014", "POD-015", "POD-017", "POD-018"],
        "restricted rejects for exactly these reasons"
    );
}

#[test]
fn kustomize_directories_are_built() {
    if which("kubectl").is_none() && which("kustomize").is_none() {
        eprintln!("SKIPPED: neither kubectl nor kustomize is installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "base/pod.yaml", PRIVILEGED_POD);
    write(
        dir.path(),
        "base/kustomization.yaml",
        "resources:\n  - pod.yaml\n",
    );
    write(
        dir.path(),
        "overlay/kustomization.yaml",
        "resources:\n  - ../base\nnamePrefix: prod-\n",
    );
    let overlay = dir.path().join("overlay");
    let (report, code) = scan_json(&[overlay.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 1, "{report}");
    let finding = &report["findings"][0];
    assert_eq!(finding["resource"]["name"], "prod-p");
    // The finding points at the base file a person edits, not at the build output.
    let file = finding["location"]["file"].as_str().unwrap();
    assert!(file.ends_with("base/pod.yaml"), "{finding}");
    assert_eq!(finding["location"]["line"], 11);
}

#[test]
fn missing_helm_is_reported_with_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    );
    write(dir.path(), "chart/templates/pod.yaml", PRIVILEGED_POD);
    write(dir.path(), "plain/pod.yaml", PRIVILEGED_POD);
    let output = palisade()
        .env("PALISADE_HELM", "/nonexistent/helm")
        .args(["scan", "--format", "json", "--only", "POD-001"])
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let diag = &report["diagnostics"][0];
    assert!(
        diag["message"].as_str().unwrap().contains("install Helm"),
        "{diag}"
    );
    assert_eq!(
        report["findings"].as_array().unwrap().len(),
        1,
        "the plain manifests are still scanned"
    );
    assert_eq!(output.status.code(), Some(1));
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(tool))
            .find(|p| p.is_file())
    })
}

#[test]
fn secret_values_never_appear_in_any_report() {
    for format in ["text", "json", "sarif", "junit", "markdown"] {
        let output = palisade()
            .args(["scan", &demo(), "--format", format])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("SEC-001"),
            "{format} report lacks the credential finding"
        );
        for secret in ["s3ss10n-s3cr3t-do-not-share", "Tr0ub4dor-orders-db"] {
            assert!(
                !text.contains(secret),
                "{format} report prints a secret value"
            );
        }
    }
}

#[test]
fn helm_charts_are_rendered_and_findings_point_at_templates() {
    if which("helm").is_none() {
        eprintln!(
            "SKIPPED: helm is not installed (no Debian or registry package provides it here)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "chart/Chart.yaml",
        "apiVersion: v2\nname: demo\nversion: 0.1.0\n",
    );
    write(dir.path(), "chart/values.yaml", "privileged: false\n");
    write(
        dir.path(),
        "chart/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}-web\n  namespace: team\nspec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: {{ .Values.privileged }}\n",
    );
    let values = write(dir.path(), "prod.yaml", "privileged: true\n");
    let chart = dir.path().join("chart");
    let (clean, code) = scan_json(&[chart.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 0, "{clean}");
    let (report, code) = scan_json(&[
        chart.to_str().unwrap(),
        "--only",
        "POD-001",
        "--values",
        values.to_str().unwrap(),
        "--release-name",
        "shop",
    ]);
    assert_eq!(code, 1, "{report}");
    let finding = &report["findings"][0];
    assert_eq!(finding["resource"]["name"], "shop-web");
    assert!(
        finding["location"]["file"]
            .as_str()
            .unwrap()
            .ends_with("chart/templates/pod.yaml")
    );
    assert_eq!(finding["location"]["line"], 11);
}

#[test]
fn input_that_yields_nothing_but_errors_fails_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let broken = write(dir.path(), "broken.yaml", "kind: [unclosed\n");
    palisade()
        .args(["scan", broken.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no input could be read"));
    // Special files are refused rather than read forever.
    palisade()
        .args([
            "scan",
            "/dev/zero",
            "--max-file-size",
            "18446744073709551615",
        ])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("not a regular file"));
}

#[test]
fn control_characters_in_manifests_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "esc.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"web\\e]0;pwned\\a\"\n  namespace: t\nspec:\n  containers:\n    - name: \"c\\e[2J\"\n      image: nginx:1\n      securityContext: {privileged: true}\n",
    );
    for format in ["text", "markdown"] {
        let output = palisade()
            .args([
                "scan",
                file.to_str().unwrap(),
                "--only",
                "POD-001",
                "--format",
                format,
            ])
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains("POD-001"), "{format}: {text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{format} passes control characters through"
        );
    }
}
