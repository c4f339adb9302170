//! Configuration, exceptions and inline ignores, through the binary.

mod common;

use common::*;
use predicates::prelude::*;

fn pod(annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\n  annotations:\n{annotations}spec:\n  containers:\n    - name: app\n      image: nginx:1.27\n      securityContext:\n        privileged: true\n"
    )
}

#[test]
fn config_is_found_upward_and_applied() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        ".palisade.yaml",
        "controls:\n  enable: [POD-001, IMG-001]\n  severity: {POD-001: low}\n",
    );
    let file = write(dir.path(), "apps/pod.yaml", &pod("    x: y\n"));
    let (report, _) = scan_json(&[file.to_str().unwrap()]);
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0]["control"], "POD-001");
    assert_eq!(findings[0]["severity"], "low");
}

#[test]
fn unknown_ids_or_fields_in_config_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "bad.yaml",
        "controls:\n  disable: [POD-001, NOPE-1]\n",
    );
    let file = write(dir.path(), "pod.yaml", &pod("    x: y\n"));
    palisade()
        .args([
            "scan",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown control `NOPE-1`"));
    let config = write(dir.path(), "typo.yaml", "exeptions: []\n");
    palisade()
        .args([
            "scan",
            file.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown field `exeptions`"))
        .stderr(predicate::str::contains("line 1"));
}

#[test]
fn exceptions_suppress_and_expired_ones_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "c.yaml",
        "controls:\n  enable: [POD-001]\nexceptions:\n  - controls: [C-0057]\n    resources: [{kind: Pod, namespace: team, name: \"p*\"}]\n    reason: debugging pod, removed next sprint\n    expires: 2999-01-01\n",
    );
    let file = write(dir.path(), "pod.yaml", &pod("    x: y\n"));
    let (report, code) = scan_json(&[file.to_str().unwrap(), "--config", config.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert!(report["findings"].as_array().unwrap().is_empty());
    let suppressed = &report["suppressed"][0];
    assert_eq!(suppressed["finding"]["control"], "POD-001");
    assert_eq!(suppressed["suppression"]["kind"], "exception");
    assert_eq!(
        suppressed["suppression"]["reason"],
        "debugging pod, removed next sprint"
    );

    let expired = write(
        dir.path(),
        "old.yaml",
        "controls:\n  enable: [POD-001]\nexceptions:\n  - controls: [POD-001]\n    reason: temporary\n    expires: 2020-01-01\n",
    );
    let (report, code) = scan_json(&[
        file.to_str().unwrap(),
        "--config",
        expired.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "an expired exception no longer applies");
    assert_eq!(report["expiredExceptions"][0]["expired"], "2020-01-01");
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
}

#[test]
fn inline_ignores_of_palisade_and_other_tools_are_honoured() {
    let cases = [
        "    palisade.dev/ignore: \"POD-001 break-glass debug pod\"\n",
        "    checkov.io/skip1: CKV_K8S_16=needed for the device plugin\n",
        "    ignore-check.kube-linter.io/privileged-container: device plugin\n",
        "    polaris.fairwinds.com/runAsPrivileged-exempt: \"true\"\n",
        "    kubescape.io/skip-controls: \"C-0057\"\n",
        "    kube-score/ignore: container-security-context-privileged\n",
    ];
    let dir = tempfile::tempdir().unwrap();
    for (i, annotations) in cases.iter().enumerate() {
        let file = write(dir.path(), &format!("pod{i}.yaml"), &pod(annotations));
        let (report, code) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]);
        assert_eq!(code, 0, "not suppressed by {annotations}");
        assert_eq!(
            report["suppressed"][0]["suppression"]["kind"], "inline-ignore",
            "{annotations}"
        );
        // A central team can refuse inline ignores.
        let (report, code) = scan_json(&[
            file.to_str().unwrap(),
            "--only",
            "POD-001",
            "--no-inline-ignores",
        ]);
        assert_eq!(code, 1, "{annotations}");
        assert!(report["suppressed"].as_array().unwrap().is_empty());
    }
    let reason = {
        let file = write(dir.path(), "pod-reason.yaml", &pod(cases[0]));
        scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]).0["suppressed"][0]["suppression"]
            ["reason"]
            .clone()
    };
    assert_eq!(reason, "break-glass debug pod");
}

#[test]
fn ignoring_one_control_keeps_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "pod.yaml",
        &pod("    palisade.dev/ignore: \"IMG-002 pinned by policy elsewhere\"\n"),
    );
    let (report, _) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001,IMG-002"]);
    assert_eq!(controls_of(&report), ["POD-001"]);
}

#[test]
fn custom_workload_kinds_are_judged_like_pods() {
    let dir = tempfile::tempdir().unwrap();
    let widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: team\nspec:\n  runner:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n";
    let file = write(dir.path(), "widget.yaml", widget);
    let (report, code) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(
        code, 0,
        "an undeclared CRD matches no pod control: {report}"
    );
    write(
        dir.path(),
        ".palisade.yaml",
        "workloadKinds:\n  - apiVersion: example.com/v1\n    kind: Widget\n    podSpecPath: spec.runner.spec\n",
    );
    let (report, code) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 1);
    assert_eq!(
        report["findings"][0]["path"],
        "spec.runner.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(report["findings"][0]["location"]["line"], 13);

    let rollout = "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\nmetadata:\n  name: r\n  namespace: team\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n          securityContext:\n            privileged: true\n";
    let file = write(dir.path(), "rollout.yaml", rollout);
    let (report, _) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(
        controls_of(&report),
        ["POD-001"],
        "Argo Rollouts work out of the box"
    );
}

#[test]
fn command_line_and_config_selections_combine_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "pod.yaml", &pod("    x: y\n"));
    let config = write(
        dir.path(),
        "c.yaml",
        "controls:\n  enable: [RBAC]\nfailOn: none\n",
    );
    let args = |extra: &[&str]| {
        let mut v = vec![
            file.to_str().unwrap().to_string(),
            "--config".into(),
            config.to_str().unwrap().into(),
        ];
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        scan_json(&refs)
    };
    // `failOn: none` in the config is accepted; `enable: [RBAC]` finds nothing on a pod.
    let (report, code) = run(&[]);
    assert_eq!(code, 0);
    assert!(report["findings"].as_array().unwrap().is_empty());
    // --only narrows the config's `enable`; it does not add to it.
    let (report, _) = run(&["--only", "POD-001"]);
    assert!(
        report["findings"].as_array().unwrap().is_empty(),
        "{report}"
    );
    // --pss-level means exactly Pod Security Admission's checks, whatever the config enables.
    let (report, _) = run(&["--pss-level", "baseline"]);
    assert_eq!(controls_of(&report), ["POD-001"]);
}

#[test]
fn kubescape_skips_with_a_past_date_expire() {
    let dir = tempfile::tempdir().unwrap();
    let annotations = "    kubescape.io/skip-controls: \"C-0057\"\n    kubescape.io/skip-expiry: \"2020-01-01\"\n";
    let file = write(dir.path(), "pod.yaml", &pod(annotations));
    let (report, code) = scan_json(&[file.to_str().unwrap(), "--only", "POD-001"]);
    assert_eq!(code, 1, "{report}");
    assert!(report["suppressed"].as_array().unwrap().is_empty());
}
