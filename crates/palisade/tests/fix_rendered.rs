//! `palisade fix` on Helm charts and Kustomize directories, with the real `helm` and
//! `kubectl`: values edits proven by rendering, template lines for fields no value drives,
//! Kustomize patch files verified by building; each rescanned and run twice.

mod common;

use std::path::Path;

use common::*;

/// Whether `tool` is on PATH; skipping says so, except in CI, where scripts/test.sh provides it.
fn have(tool: &str) -> bool {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()));
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{tool} is required in CI"
        );
        eprintln!("SKIPPED: {tool} is not installed");
    }
    found
}

fn scan_controls(dir: &Path, target: &str) -> Vec<String> {
    let output = palisade()
        .current_dir(dir)
        .args(["scan", target, "--format", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    controls_of(&report)
}

const VALUES: &str = "\
# Default values for web.
image:
  repository: nginx
  tag: \"1.27\"   # pinned on purpose

# Security context of the web container.
securityContext:
  allowPrivilegeEscalation: true
  # runAsNonRoot: true

podSecurityContext:
  fsGroup: 2000

replicaCount: 3
";

const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicaCount }}
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: web
          image: \"{{ .Values.image.repository }}:{{ .Values.image.tag }}\"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          ports:
            - containerPort: 80
              hostPort: 8080
";

fn chart(dir: &Path) {
    write(
        dir,
        "chart/Chart.yaml",
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    );
    write(dir, "chart/values.yaml", VALUES);
    write(dir, "chart/templates/deployment.yaml", DEPLOYMENT);
}

const ONLY: &str = "POD-004,POD-014,POD-015,POD-020";

#[test]
fn chart_values_are_edited_when_a_value_drives_the_field_and_templates_are_pointed_at() {
    if !have("helm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    chart(dir.path());
    let values = dir.path().join("chart/values.yaml");

    let (diff, stderr, code) = fix_in(
        dir.path(),
        &["chart", "--unsafe-fixes", "--only", ONLY, "--diff"],
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.starts_with("--- a/chart/values.yaml\n+++ b/chart/values.yaml\n"),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&values).unwrap(), VALUES);

    let (report, stderr, code) = fix_in(dir.path(), &["chart", "--unsafe-fixes", "--only", ONLY]);
    assert_eq!(code, 0, "{stderr}");
    // Comments, quoting and every untouched line stay as they were.
    assert_eq!(
        std::fs::read_to_string(&values).unwrap(),
        VALUES
            .replace(
                "Escalation: true\n",
                "Escalation: false\n  readOnlyRootFilesystem: true\n"
            )
            .replace(
                "  fsGroup: 2000\n",
                "  fsGroup: 2000\n  runAsNonRoot: true\n"
            )
    );
    for set in [
        "--set securityContext.allowPrivilegeEscalation=false",
        "--set securityContext.readOnlyRootFilesystem=true",
        "--set podSecurityContext.runAsNonRoot=true",
    ] {
        assert!(report.contains(set), "{set} missing from:\n{report}");
    }
    // The host port is written in the template: its exact line, and no edit.
    assert!(
        report.contains("fix in the template: chart/templates/deployment.yaml:26 ("),
        "{report}"
    );
    assert!(
        report
            .contains("written in a chart template: edit the template (lines above):\n    POD-004"),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("chart/templates/deployment.yaml")).unwrap(),
        DEPLOYMENT
    );

    let left = scan_controls(dir.path(), "chart");
    for fixed in ["POD-014", "POD-015", "POD-020"] {
        assert!(!left.contains(&fixed.to_string()), "{fixed} still reported");
    }
    assert!(left.contains(&"POD-004".to_string()));

    let fixed = std::fs::read_to_string(&values).unwrap();
    let (_, _, code) = fix_in(
        dir.path(),
        &["chart", "--unsafe-fixes", "--only", ONLY, "--diff"],
    );
    assert_eq!(code, 0, "a second run finds nothing more to edit");
    fix_in(dir.path(), &["chart", "--unsafe-fixes", "--only", ONLY]);
    assert_eq!(std::fs::read_to_string(&values).unwrap(), fixed);
}

#[test]
fn fixes_go_into_the_last_values_file_given_and_set_overrides_are_respected() {
    if !have("helm") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    chart(dir.path());
    let prod = write(dir.path(), "prod.yaml", "# production\nreplicaCount: 5\n");
    let (report, stderr, code) = fix_in(
        dir.path(),
        &["chart", "-f", "prod.yaml", "--only", "POD-014"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(report.contains("(values: prod.yaml)"), "{report}");
    assert_eq!(
        std::fs::read_to_string(&prod).unwrap(),
        "# production\nreplicaCount: 5\nsecurityContext:\n  allowPrivilegeEscalation: false\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("chart/values.yaml")).unwrap(),
        VALUES
    );

    // A --set of the same value wins over any file: the edit cannot show in the rendering.
    let dir = tempfile::tempdir().unwrap();
    chart(dir.path());
    let (report, _, _) = fix_in(
        dir.path(),
        &[
            "chart",
            "--set",
            "securityContext.allowPrivilegeEscalation=true",
            "--only",
            "POD-014",
        ],
    );
    assert!(report.contains("did not change"), "{report}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("chart/values.yaml")).unwrap(),
        VALUES
    );
}

const BASE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: app
          image: nginx:1.27
          ports:
            - containerPort: 80
              hostPort: 8080
";

const OVERLAY: &str = "\
# Production overlay.
namePrefix: prod-
namespace: prod
resources:
  - ../base   # the shared base
";

fn overlay(dir: &Path) {
    write(dir, "base/kustomization.yaml", "resources:\n  - web.yaml\n");
    write(dir, "base/web.yaml", BASE);
    write(dir, "prod/kustomization.yaml", OVERLAY);
}

#[test]
fn kustomize_fixes_are_written_as_a_referenced_patch_and_verified() {
    if !have("kubectl") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    overlay(dir.path());
    let only = ["--only", "POD-004,POD-014", "--unsafe-fixes"];
    let kustomization = dir.path().join("prod/kustomization.yaml");
    let patch = dir
        .path()
        .join("prod/palisade-fixes/deployment-prod-prod-web.yaml");

    // Without the flag: listed, with the file that defines the object.
    let (report, _, _) = fix_in(dir.path(), &[&["prod"][..], &only].concat());
    assert!(
        report.contains("(defined in base/web.yaml)") || report.contains("base/web.yaml"),
        "{report}"
    );
    assert!(
        report.contains("rendered by Kustomize: rerun with --kustomize-patch"),
        "{report}"
    );

    let (diff, stderr, code) = fix_in(
        dir.path(),
        &[&["prod", "--kustomize-patch", "--diff"][..], &only].concat(),
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        diff.contains("--- /dev/null\n+++ b/prod/palisade-fixes/deployment-prod-prod-web.yaml\n"),
        "{diff}"
    );
    assert!(
        diff.contains("--- a/prod/kustomization.yaml\n+++ b/prod/kustomization.yaml\n"),
        "{diff}"
    );
    assert!(!patch.exists());
    assert_eq!(std::fs::read_to_string(&kustomization).unwrap(), OVERLAY);

    let (report, stderr, code) = fix_in(
        dir.path(),
        &[&["prod", "--kustomize-patch"][..], &only].concat(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        report.contains("Fixed 2 finding(s) in 2 file(s)."),
        "{report}"
    );
    assert_eq!(
        std::fs::read_to_string(&kustomization).unwrap(),
        format!(
            "{OVERLAY}patches:\n  - path: palisade-fixes/deployment-prod-prod-web.yaml\n    target:\n      kind: Deployment\n      name: web\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(&patch).unwrap(),
        // Each list item the patch steps into is pinned by a test, so a base that reorders
        // its containers or ports makes the build fail rather than patch another item.
        "# Written by `palisade fix --kustomize-patch`: fixes of Deployment/prod-web.\n\
         - op: test\n  path: /spec/template/spec/containers/0/name\n  value: app\n\
         - op: add\n  path: /spec/template/spec/containers/0/securityContext\n  value:\n    allowPrivilegeEscalation: false\n\
         - op: test\n  path: /spec/template/spec/containers/0/ports/0\n  value:\n    containerPort: 80\n    hostPort: 8080\n\
         - op: remove\n  path: /spec/template/spec/containers/0/ports/0/hostPort\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("base/web.yaml")).unwrap(),
        BASE
    );
    // No scratch copy is left beside the overlay.
    let entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(entries.len(), 2, "{entries:?}");

    let left = scan_controls(dir.path(), "prod");
    assert!(!left.contains(&"POD-004".to_string()));
    assert!(!left.contains(&"POD-014".to_string()));

    let (_, _, code) = fix_in(
        dir.path(),
        &[&["prod", "--kustomize-patch", "--diff"][..], &only].concat(),
    );
    assert_eq!(code, 0, "a second run finds nothing more to patch");
}
