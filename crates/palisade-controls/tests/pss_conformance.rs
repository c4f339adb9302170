//! Agreement with Kubernetes Pod Security Admission on its own test fixtures.
//!
//! The corpus (`/work/shared/corpus/pss/{baseline,restricted}/{pass,fail}/*.yaml`) holds the
//! fixtures the Kubernetes project generates for Pod Security Admission at the newest policy
//! version. A fail file's name says which PSA check it violates (`hostnamespaces0.yaml`,
//! `capabilities_restricted2.yaml`). For each level, the controls `palisade scan --pss-level`
//! runs (`palisade_controls::pss_controls`: baseline, or restricted with PSA's replacements) must:
//! - on a fail file, report the control that implements the named check. At the restricted
//!   level PSA replaces four baseline checks with stricter restricted ones, so a fail file named
//!   after a replaced check may instead be reported by the replacing control;
//! - on a pass file, report nothing;
//! - on every file, evaluate (no "not evaluated" skips).
//!
//! Every disagreement is collected and reported together.

use std::path::{Path, PathBuf};

use palisade_controls::{Context, Control, Settings, Verdict};
use palisade_core::{Inventory, PssLevel};

/// Fixture-name prefix (the PSA check ID in lowercase) → the Palisade control implementing it.
const CHECKS: &[(&str, &str)] = &[
    ("privileged", "POD-001"),
    ("hostnamespaces", "POD-002"),
    ("hostpathvolumes", "POD-003"),
    ("hostports", "POD-004"),
    ("capabilities_baseline", "POD-005"),
    ("apparmorprofile", "POD-006"),
    ("selinuxoptions", "POD-007"),
    ("procmount", "POD-008"),
    ("seccompprofile_baseline", "POD-009"),
    ("sysctls", "POD-010"),
    ("windowshostprocess", "POD-011"),
    ("hostprobesandhostlifecycle", "POD-012"),
    ("restrictedvolumes", "POD-013"),
    ("allowprivilegeescalation", "POD-014"),
    ("runasnonroot", "POD-015"),
    ("runasuser", "POD-016"),
    ("seccompprofile_restricted", "POD-017"),
    ("capabilities_restricted", "POD-018"),
    ("procmount_restricted", "POD-019"),
];

/// At the restricted level, PSA runs the restricted check instead of the baseline one:
/// (replaced baseline control, replacing restricted control).
const RESTRICTED_OVERRIDES: &[(&str, &str)] = &[
    ("POD-003", "POD-013"),
    ("POD-009", "POD-017"),
    ("POD-005", "POD-018"),
    ("POD-008", "POD-019"),
];

fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/pss")
}

/// The controls Palisade runs for a PSS level (`palisade scan --pss-level`).
fn controls_of(level: PssLevel) -> Vec<&'static dyn Control> {
    palisade_controls::pss_controls(level)
}

/// The controls that may satisfy a fail file, from its name; `None` for an unknown prefix.
fn expected_for(level: PssLevel, stem: &str) -> Option<Vec<&'static str>> {
    let prefix = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    let (_, id) = CHECKS.iter().find(|(name, _)| *name == prefix)?;
    let mut accepted = vec![*id];
    if level == PssLevel::Restricted {
        accepted.extend(
            RESTRICTED_OVERRIDES
                .iter()
                .filter(|(replaced, _)| replaced == id)
                .map(|(_, by)| *by),
        );
    }
    Some(accepted)
}

/// What the level's controls made of one file: the IDs that reported violations, the
/// controls that could not evaluate it, and how many verdicts were real judgements.
struct Outcome {
    triggered: Vec<&'static str>,
    skipped: Vec<String>,
    applicable: usize,
}

fn evaluate(controls: &[&'static dyn Control], text: &str) -> Result<Outcome, String> {
    let mut inventory = Inventory::default();
    let source = inventory.add_source("fixture.yaml", text);
    let mut diagnostics = Vec::new();
    palisade_load::load_source(
        &mut inventory,
        source,
        Default::default(),
        &|_| None,
        &mut diagnostics,
    );
    if !diagnostics.is_empty() {
        return Err(format!("does not load cleanly: {diagnostics:?}"));
    }
    if inventory.resources.is_empty() {
        return Err("holds no Kubernetes object".into());
    }
    let settings = Settings::default();
    let index = palisade_core::InventoryIndex::new(&inventory);
    let cx = Context {
        settings: &settings,
        inventory: &inventory,
        index: &index,
    };
    let mut outcome = Outcome {
        triggered: Vec::new(),
        skipped: Vec::new(),
        applicable: 0,
    };
    for resource in &inventory.resources {
        for control in controls {
            match control.check(&cx, resource) {
                Ok(Verdict::NotApplicable) => {}
                Ok(Verdict::Checked(violations)) => {
                    outcome.applicable += 1;
                    if !violations.is_empty() && !outcome.triggered.contains(&control.meta().id) {
                        outcome.triggered.push(control.meta().id);
                    }
                }
                Err(skip) => outcome.skipped.push(format!(
                    "{} not evaluated: {}",
                    control.meta().id,
                    skip.reason
                )),
            }
        }
    }
    Ok(outcome)
}

/// Judges one fixture; `Err` describes the disagreement.
fn judge(
    level: PssLevel,
    controls: &[&'static dyn Control],
    path: &Path,
    fail: bool,
) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot be read: {e}"))?;
    let outcome = evaluate(controls, &text)?;
    if !outcome.skipped.is_empty() {
        return Err(outcome.skipped.join("; "));
    }
    if outcome.applicable == 0 {
        return Err("no control of the level applied to it".into());
    }
    if fail {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        let accepted = expected_for(level, &stem).ok_or_else(|| {
            format!("file name `{stem}` names no known PSS check; add it to CHECKS")
        })?;
        if !outcome.triggered.iter().any(|id| accepted.contains(id)) {
            return Err(format!(
                "expected {} to report it, but got [{}]",
                accepted.join(" or "),
                outcome.triggered.join(", ")
            ));
        }
    } else if !outcome.triggered.is_empty() {
        return Err(format!(
            "expected no findings, but {} reported it",
            outcome.triggered.join(", ")
        ));
    }
    Ok(())
}

/// Writes a line to stderr past the test harness's output capture, so it shows in a normal
/// `cargo test` run.
fn visible(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn agrees_with_pod_security_admission_fixtures() {
    let root = corpus_root();
    if !root.is_dir() {
        visible("SKIPPED: ../shared/corpus/pss not found");
        return;
    }
    let mut total = 0;
    let mut disagreements = Vec::new();
    for level in [PssLevel::Baseline, PssLevel::Restricted] {
        let controls = controls_of(level);
        assert!(
            !controls.is_empty(),
            "no controls declare PSS level {}",
            level.as_str()
        );
        for (kind, fail) in [("pass", false), ("fail", true)] {
            let dir = root.join(level.as_str()).join(kind);
            let files = yaml_files(&dir);
            assert!(!files.is_empty(), "{} holds no fixtures", dir.display());
            for file in files {
                total += 1;
                if let Err(why) = judge(level, &controls, &file, fail) {
                    let relative = file.strip_prefix(&root).unwrap_or(&file);
                    disagreements.push(format!("{}: {why}", relative.display()));
                }
            }
        }
    }
    let agree = total - disagreements.len();
    visible(&format!("PSS conformance: {agree}/{total} fixtures agree"));
    assert!(
        disagreements.is_empty(),
        "PSS conformance: {agree}/{total} fixtures agree; {} disagree:\n  {}",
        disagreements.len(),
        disagreements.join("\n  ")
    );
}

#[test]
fn every_pss_control_is_named_by_a_fixture_prefix() {
    // Each Palisade PSS control must correspond to a PSA check, so the conformance test
    // exercises all of them.
    for control in palisade_controls::all() {
        let meta = control.meta();
        if meta.pss.is_some() {
            assert!(
                CHECKS.iter().any(|(_, id)| *id == meta.id),
                "{} declares a PSS level but no PSA check maps to it",
                meta.id
            );
        }
    }
}
