//! `palisade fix`, end to end: the binary edits copies of fixtures and real manifests, and a
//! rescan judges the result.
//!
//! - every control that declares a machine fix produces a diff on its failing fixtures, and
//!   each diff is snapshotted (`snapshots/fix__<ID>.snap`);
//! - `--diff` changes nothing and exits 1 when something is fixable; a second `fix` is a no-op;
//! - over `../shared/corpus/realworld` and the PSS fail fixtures: after `fix --unsafe-fixes`,
//!   no finding with a machine fix remains except those `fix` itself lists as refused, every
//!   document still parses, documents whose object did not change are byte-identical, and
//!   every comment line is still there, in order;
//! - Polaris' own fix results (`mutated*.yaml`) are compared field by field with ours.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use palisade_load::yaml::{Limits, parse_stream, split_documents};
use serde_json::Value;

fn fixtures() -> PathBuf {
    repo_root().join("crates/palisade-controls/fixtures")
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn fix(dir: &Path, args: &[&str]) -> (String, String, i32) {
    fix_in(dir, &[&["."][..], args].concat())
}

fn controls() -> Vec<Value> {
    let output = palisade()
        .args(["controls", "--format", "json"])
        .output()
        .unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_control_with_a_machine_fix_fixes_its_failing_fixtures() {
    let mut missing = Vec::new();
    for control in controls() {
        let id = control["id"].as_str().unwrap();
        if !matches!(control["fix"].as_str(), Some("safe" | "unsafe")) {
            continue;
        }
        let dir = tempfile::tempdir().unwrap();
        let mut any = false;
        for entry in std::fs::read_dir(fixtures().join(id)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if name.starts_with("fail") {
                std::fs::copy(&path, dir.path().join(&name)).unwrap();
                any = true;
            }
        }
        assert!(any, "{id} has no failing fixture");
        let (diff, stderr, code) = fix(dir.path(), &["--diff", "--unsafe-fixes", "--only", id]);
        if diff.is_empty() {
            missing.push(format!("{id}: {stderr}"));
            continue;
        }
        assert_eq!(code, 1, "{id}: --diff with something to fix exits 1");
        insta::assert_snapshot!(id, diff);
    }
    assert!(
        missing.is_empty(),
        "controls that declare a fix but fix none of their failing fixtures:\n{}",
        missing.join("\n")
    );
}

const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: web   # the front end
spec:
  containers:
    - name: app
      image: \"nginx:1.27\"
      securityContext:
        allowPrivilegeEscalation: true
";

#[test]
fn diff_changes_nothing_and_fix_applies_safe_fixes_once() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(dir.path(), "pod.yaml", POD);

    let (diff, _, code) = fix(dir.path(), &["--diff", "--only", "POD-014"]);
    assert_eq!(code, 1);
    assert!(
        diff.contains(
            "-        allowPrivilegeEscalation: true\n+        allowPrivilegeEscalation: false\n"
        ),
        "{diff}"
    );
    assert_eq!(std::fs::read_to_string(&pod).unwrap(), POD);

    let (summary, _, code) = fix(dir.path(), &[]);
    assert_eq!(code, 0);
    assert!(summary.contains("POD-014"), "{summary}");
    assert!(
        summary.contains("unsafe: rerun with --unsafe-fixes"),
        "{summary}"
    );
    let fixed = std::fs::read_to_string(&pod).unwrap();
    assert_eq!(fixed, POD.replace("Escalation: true", "Escalation: false"));

    let (_, _, code) = fix(dir.path(), &["--diff"]);
    assert_eq!(code, 0, "nothing safe is left to fix");
    fix(dir.path(), &[]);
    assert_eq!(std::fs::read_to_string(&pod).unwrap(), fixed);

    let (report, _) = scan_json(&[pod.to_str().unwrap()]);
    assert!(!controls_of(&report).contains(&"POD-014".to_string()));
}

#[test]
fn rendered_and_needs_input_findings_are_listed_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(dir.path(), "pod.yaml", POD);
    let (summary, _, _) = fix(dir.path(), &["--only", "RES-001,POD-014"]);
    assert!(
        summary.contains("needs a value only you know:\n    RES-001"),
        "{summary}"
    );
    assert!(!std::fs::read_to_string(&pod).unwrap().contains("cpu"));
}

#[test]
fn values_only_the_user_knows_come_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(dir.path(), "pod.yaml", POD);
    write(
        dir.path(),
        ".palisade.yaml",
        "fix:\n  resources:\n    requests: { cpu: 100m }\n    limits: { cpu: '1' }\n",
    );
    let (summary, _, code) = fix(dir.path(), &["--only", "RES-001,RES-002,RES-003"]);
    assert_eq!(code, 0);
    // The request is safe; the limit is unsafe; memory has no value in the config.
    assert!(summary.contains("Fixed 1 finding(s)"), "{summary}");
    assert!(
        summary.contains("unsafe: rerun with --unsafe-fixes:\n    RES-002"),
        "{summary}"
    );
    assert!(
        summary.contains("needs a value only you know:\n    RES-003"),
        "{summary}"
    );
    let fixed = std::fs::read_to_string(&pod).unwrap();
    assert!(
        fixed.ends_with("      resources:\n        requests:\n          cpu: 100m\n"),
        "{fixed}"
    );

    fix(dir.path(), &["--only", "RES-002", "--unsafe-fixes"]);
    let fixed = std::fs::read_to_string(&pod).unwrap();
    assert!(
        fixed.ends_with(
            "        requests:\n          cpu: 100m\n        limits:\n          cpu: \"1\"\n"
        ),
        "{fixed}"
    );
}

#[test]
fn images_come_from_the_config_only_when_they_resolve_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let pod = write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: nginx   # upstream\n    - name: cache\n      image: redis:latest\n",
    );
    let digest = "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945";
    // nginx gets a pinned image from the allowed mirror; redis a tag only, which answers
    // IMG-001 but neither IMG-002 nor IMG-004 (Docker Hub is not allowed), so those stay
    // listed for it rather than getting a fix that does not fix.
    write(
        dir.path(),
        ".palisade.yaml",
        &format!(
            "registries:\n  allowed: [mirror.example.com]\nfix:\n  images:\n    nginx: mirror.example.com/nginx:1.27.3@{digest}\n    redis: redis:7.4.1\n"
        ),
    );
    let only = ["--only", "IMG-001,IMG-002,IMG-004", "--unsafe-fixes"];
    let (summary, _, code) = fix(dir.path(), &only);
    assert_eq!(code, 0, "{summary}");
    assert!(
        summary.contains("needs a value only you know:\n    IMG-002       1  Image not pinned by digest\n    IMG-004       1"),
        "{summary}"
    );
    let fixed = std::fs::read_to_string(&pod).unwrap();
    assert!(
        fixed.contains(&format!(
            "      image: mirror.example.com/nginx:1.27.3@{digest}   # upstream\n"
        )),
        "{fixed}"
    );
    assert!(fixed.ends_with("      image: redis:7.4.1\n"), "{fixed}");
    let (report, _) = scan_json(&[pod.to_str().unwrap(), "--only", "IMG-001,IMG-002"]);
    assert_eq!(
        controls_of(&report),
        ["IMG-002"],
        "only redis' digest is left"
    );
    let (_, _, code) = fix(dir.path(), &[&only[..], &["--diff"]].concat());
    assert_eq!(code, 0, "a second run has nothing to do");
}

const ROLE: &str = "\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ci-deployer
rules:
  # what the pipeline touches
  - apiGroups: [\"apps\"]
    resources: [\"*\"]
    verbs: [\"*\"]
";

#[test]
fn role_wildcards_are_replaced_by_the_lists_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let role = write(dir.path(), "role.yaml", ROLE);
    let (summary, _, _) = fix(dir.path(), &["--only", "RBAC-001", "--unsafe-fixes"]);
    assert!(
        summary.contains("needs a value only you know:\n    RBAC-001"),
        "{summary}"
    );
    assert_eq!(std::fs::read_to_string(&role).unwrap(), ROLE);

    write(
        dir.path(),
        ".palisade.yaml",
        "fix:\n  rbac:\n    roles:\n      ClusterRole/ci-deployer:\n        verbs: [get, list, watch, patch]\n        resources: [deployments, services]\n",
    );
    let (summary, _, _) = fix(dir.path(), &["--only", "RBAC-001"]);
    assert!(
        summary.contains("unsafe: rerun with --unsafe-fixes:\n    RBAC-001"),
        "{summary}"
    );
    let (summary, _, code) = fix(dir.path(), &["--only", "RBAC-001", "--unsafe-fixes"]);
    assert_eq!(code, 0, "{summary}");
    assert_eq!(
        std::fs::read_to_string(&role).unwrap(),
        ROLE.replace(
            "[\"*\"]\n    verbs: [\"*\"]",
            "[deployments, services]\n    verbs: [get, list, watch, patch]"
        )
    );
    let (report, _) = scan_json(&[role.to_str().unwrap()]);
    assert!(!controls_of(&report).contains(&"RBAC-001".to_string()));
}

#[test]
fn objects_rendered_by_kustomize_are_listed_not_edited() {
    let has = |tool: &str| {
        std::process::Command::new(tool)
            .arg("version")
            .output()
            .is_ok()
    };
    if !has("kubectl") && !has("kustomize") {
        eprintln!("SKIPPED: neither kubectl nor kustomize is installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pod = write(dir.path(), "app/pod.yaml", POD);
    write(
        dir.path(),
        "app/kustomization.yaml",
        "resources:\n  - pod.yaml\n",
    );
    let (summary, stderr, code) = fix(&dir.path().join("app"), &["--only", "POD-014"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        summary.contains("rendered by Kustomize: rerun with --kustomize-patch:\n    POD-014"),
        "{summary}"
    );
    assert_eq!(std::fs::read_to_string(pod).unwrap(), POD);
}

#[test]
fn standard_input_is_refused() {
    let output = palisade().args(["fix", "-"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// Corpora
// ---------------------------------------------------------------------------------------------

/// The manifest files under `dir`, YAML and JSON.
fn manifest_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            manifest_files(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

fn comments(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| l.starts_with('#'))
        .collect()
}

fn objects(text: &str) -> Vec<Option<Value>> {
    split_documents(text)
        .iter()
        .map(|chunk| {
            let mut docs = parse_stream(chunk.text, Limits::default());
            match docs.len() {
                1 => docs.remove(0).ok().map(|d| d.root.to_json()),
                _ => None,
            }
        })
        .collect()
}

/// Fixes a copy of `corpus` with every fix, rescans it and checks the promises of `fix`.
fn check_corpus(name: &str, corpus: &Path) {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(corpus, dir.path());
    let mut files = Vec::new();
    manifest_files(dir.path(), &mut files);
    let before: BTreeMap<PathBuf, String> = files
        .iter()
        .map(|f| (f.clone(), std::fs::read_to_string(f).unwrap()))
        .collect();
    let (scan_before, _) = scan_json(&[dir.path().to_str().unwrap()]);

    let (summary, stderr, code) = fix(dir.path(), &["--unsafe-fixes"]);
    assert_eq!(code, 0, "{name}: {stderr}");

    let (scan_after, _) = scan_json(&[dir.path().to_str().unwrap()]);
    let diagnostics = |r: &Value| r["diagnostics"].as_array().map_or(0, Vec::len);
    assert_eq!(
        diagnostics(&scan_after),
        diagnostics(&scan_before),
        "{name}: fixing must not break any document"
    );

    // A remaining finding with a machine fix must be one that `fix` listed as refused.
    let refused: BTreeSet<&str> = summary
        .split_once("Not fixed:")
        .map(|(_, rest)| rest)
        .unwrap_or("")
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let remaining: Vec<String> = scan_after["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .map(|f| f["control"].as_str().unwrap().to_string())
        .filter(|c| !refused.contains(c.as_str()))
        .collect();
    assert!(
        remaining.is_empty(),
        "{name}: fixable findings remain that fix did not report: {remaining:?}\n{summary}"
    );
    let fixed_before = scan_before["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !f["fix"].is_null())
        .count();

    let mut changed = 0;
    for (path, old) in &before {
        let new = std::fs::read_to_string(path).unwrap();
        if new == *old {
            continue;
        }
        changed += 1;
        let shown = path.strip_prefix(dir.path()).unwrap().display();
        assert_eq!(
            comments(old),
            comments(&new),
            "{name}: {shown} lost a comment"
        );
        let (old_objects, new_objects) = (objects(old), objects(&new));
        assert_eq!(old_objects.len(), new_objects.len(), "{shown}: documents");
        let (old_chunks, new_chunks) = (split_documents(old), split_documents(&new));
        for (i, (a, b)) in old_objects.iter().zip(&new_objects).enumerate() {
            assert!(
                b.is_some() || a.is_none(),
                "{shown}: document {i} no longer parses"
            );
            if a == b {
                assert_eq!(
                    old_chunks[i].text, new_chunks[i].text,
                    "{shown}: document {i} changed"
                );
            }
        }
    }

    let (diff, _, code) = fix(dir.path(), &["--unsafe-fixes", "--diff"]);
    assert_eq!(
        (diff.as_str(), code),
        ("", 0),
        "{name}: a second fix changes nothing"
    );
    eprintln!(
        "{name}: {} files, {changed} changed; {fixed_before} findings had a machine fix\n{summary}",
        before.len()
    );
}

#[test]
fn realworld_corpus_fixes_cleanly() {
    if let Some(corpus) = shared("corpus/realworld") {
        check_corpus("realworld", &corpus);
    }
}

#[test]
fn pss_fail_fixtures_fix_cleanly() {
    for level in ["baseline", "restricted"] {
        if let Some(corpus) = shared(&format!("corpus/pss/{level}/fail")) {
            check_corpus(level, &corpus);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Coverage
// ---------------------------------------------------------------------------------------------

/// The share of controls with a machine fix among those whose fix can be written in the object
/// itself (every control but those declaring `fix: none`). `docs/fix.md` quotes the figure.
#[test]
fn machine_fixes_cover_at_least_seventy_percent_of_fixable_controls() {
    let mut by_kind: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for control in controls() {
        by_kind
            .entry(control["fix"].as_str().unwrap().to_string())
            .or_default()
            .push(control["id"].as_str().unwrap().to_string());
    }
    let count = |kind: &str| by_kind.get(kind).map_or(0, Vec::len);
    let machine = count("safe") + count("unsafe");
    let expressible = machine + count("needs-input");
    let percent = 100.0 * machine as f64 / expressible as f64;
    let figure = format!("{machine} of {expressible} ({percent:.1} %)");
    eprintln!(
        "machine fixes: {figure}; needs input: {:?}",
        by_kind.get("needs-input")
    );
    assert!(percent >= 70.0, "machine-fix coverage fell to {figure}");
    let doc = std::fs::read_to_string(repo_root().join("docs/fix.md")).unwrap();
    assert!(
        doc.contains(&figure),
        "docs/fix.md should quote the coverage `{figure}`"
    );
}

// ---------------------------------------------------------------------------------------------
// Polaris
// ---------------------------------------------------------------------------------------------

/// Every leaf of `value` with its path, `a.b[0].c` style.
fn leaves(value: &Value, path: String, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                leaves(
                    v,
                    if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    },
                    out,
                );
            }
        }
        Value::Array(items) if !items.is_empty() && items.iter().any(|i| i.is_object()) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{path}[{i}]"), out);
            }
        }
        other => {
            out.insert(path, other.clone());
        }
    }
}

fn first_object(text: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(Some(object)) = objects(text).into_iter().find(Option::is_some) {
        leaves(&object, String::new(), &mut out);
    }
    out
}

/// How Palisade's fix of each Polaris failure fixture compares with Polaris' own fix
/// (`mutated*`): `same` (every field Polaris changes has the same value), `equivalent`
/// (Polaris removes a field that Palisade sets to its default `false`), `different`, `needs
/// input` (Palisade lists the finding and writes nothing: the value is the user's to choose)
/// or `not reported` (Palisade's scan does not report this fixture; docs/conformance.md says
/// why). The same table, with reasons, is in docs/fix.md; a change in any row fails here.
const POLARIS_FIXES: &[(&str, &str)] = &[
    ("cpuLimitsMissing/mutated.yaml", "needs input"),
    ("cpuRequestsMissing/mutated.yaml", "needs input"),
    ("dangerousCapabilities/mutated.yaml", "same"),
    ("deploymentMissingReplicas/mutated.yaml", "not reported"),
    ("hostIPCSet/mutated.yaml", "equivalent"),
    ("hostNetworkSet/mutated.yaml", "equivalent"),
    ("hostPIDSet/mutated.yaml", "equivalent"),
    ("hostPortSet/mutated.yaml", "same"),
    ("insecureCapabilities/mutated.add.yaml", "same"),
    ("insecureCapabilities/mutated.drop-most.yaml", "different"),
    ("insecureCapabilities/mutated.yaml", "same"),
    ("livenessProbeMissing/mutated.yaml", "needs input"),
    ("memoryLimitsMissing/mutated.cpu.yaml", "needs input"),
    ("memoryLimitsMissing/mutated.yaml", "needs input"),
    ("memoryRequestsMissing/mutated.yaml", "needs input"),
    ("pullPolicyNotAlways/mutated.cron-job.yaml", "not reported"),
    ("pullPolicyNotAlways/mutated.deployment.yaml", "same"),
    ("pullPolicyNotAlways/mutated.yaml", "not reported"),
    ("readinessProbeMissing/mutated.yaml", "needs input"),
    ("runAsRootAllowed/mutated.yaml", "not reported"),
];

/// Compares one Polaris case; returns its outcome and the differing fields.
fn compare_with_polaris(
    check: &str,
    failure: &Path,
    polaris_fixed: &Path,
) -> (&'static str, Vec<String>) {
    let original = std::fs::read_to_string(failure).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = write(dir.path(), "case.yaml", &original);
    let (summary, _, _) = fix(dir.path(), &["--unsafe-fixes", "--only", check]);
    let fixed = std::fs::read_to_string(copy).unwrap();
    if fixed == original {
        let outcome = if summary.contains("needs a value only you know") {
            "needs input"
        } else {
            "not reported"
        };
        return (outcome, Vec::new());
    }
    let (before, ours) = (first_object(&original), first_object(&fixed));
    let theirs = first_object(&std::fs::read_to_string(polaris_fixed).unwrap());
    let mut differ = Vec::new();
    let mut equivalent = false;
    let shown = |v: Option<&Value>| v.map_or("(unset)".to_string(), Value::to_string);
    for (path, value) in &theirs {
        if before.get(path) != Some(value) && ours.get(path) != Some(value) {
            differ.push(format!(
                "{path}: Polaris {value}, Palisade {}",
                shown(ours.get(path))
            ));
        }
    }
    for path in before.keys().filter(|p| !theirs.contains_key(*p)) {
        match ours.get(path) {
            None => {}
            Some(Value::Bool(false)) => equivalent = true,
            other => differ.push(format!(
                "{path}: Polaris removes it, Palisade {}",
                shown(other)
            )),
        }
    }
    let outcome = match (differ.is_empty(), equivalent) {
        (false, _) => "different",
        (true, true) => "equivalent",
        (true, false) => "same",
    };
    (outcome, differ)
}

#[test]
fn polaris_fixes_compared_field_by_field() {
    let Some(checks) = shared("corpus/polaris/checks") else {
        return;
    };
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(&checks).unwrap() {
        let check = entry.unwrap().path();
        let name = check.file_name().unwrap().to_string_lossy().to_string();
        for case in std::fs::read_dir(&check).unwrap() {
            let polaris_fixed = case.unwrap().path();
            let file = polaris_fixed
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            if !file.starts_with("mutated") {
                continue;
            }
            let failure = check.join(file.replacen("mutated", "failure", 1));
            let (outcome, differ) = compare_with_polaris(&name, &failure, &polaris_fixed);
            eprintln!("{name}/{file}: {outcome} {}", differ.join("; "));
            seen.push((format!("{name}/{file}"), outcome));
        }
    }
    seen.sort();
    let expected: Vec<(String, &str)> = POLARIS_FIXES
        .iter()
        .map(|(case, outcome)| (case.to_string(), *outcome))
        .collect();
    assert_eq!(seen, expected);
}
