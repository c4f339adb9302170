//! Runs every control against the fixtures in `fixtures/<ID>/`.
//!
//! File names say what must happen: `fail*` files must produce at least one violation (and the
//! violations are snapshotted), `pass*` files none, `na*` files must be "not applicable" and
//! `skip*` files "not evaluated". A fixture may start with `# kube-version: 1.24` to target an
//! older Kubernetes release, and hold `# inventory: complete` among its first comment lines to
//! stand for a cluster scan (every object of the cluster).
//!
//! The day of the scan is fixed, so fixtures give the same result on any day: 2026-11-22,
//! unless a comment line at the top says otherwise (`# today: 2025-06-01`).

use std::fmt::Write;
use std::path::Path;

use palisade_core::{Inventory, Violation};

use crate::control::{Context, Control, Verdict};
use crate::settings::{Settings, WorkloadKind};

fn settings_for(text: &str) -> Settings {
    let mut settings = Settings {
        allowed_registries: vec!["registry.example.com".into(), "ghcr.io/example".into()],
        workload_kinds: vec![WorkloadKind {
            group: "example.com".into(),
            kind: "Widget".into(),
            pod_spec_path: vec!["spec".into(), "podTemplate".into(), "spec".into()],
        }],
        ..Settings::default()
    };
    if let Some(version) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# kube-version:"))
    {
        settings.kube_version = version.trim().parse().expect("valid kube-version comment");
    }
    settings.today = jiff::civil::date(2026, 11, 22);
    if let Some(day) = text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .find_map(|l| l.strip_prefix("# today:"))
    {
        settings.today = day.trim().parse().expect("valid today comment");
    }
    // Any comment line at the top may say the fixture stands for a whole cluster.
    if text
        .lines()
        .take_while(|l| l.starts_with('#'))
        .any(|l| l.trim_end() == "# inventory: complete")
    {
        settings.inventory_complete = true;
    }
    settings
}

/// Loads YAML text as a fixture file; it must load without diagnostics.
pub(crate) fn load(text: &str) -> Inventory {
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
    assert!(
        diagnostics.is_empty(),
        "fixture does not load cleanly: {diagnostics:?}"
    );
    inventory
}

fn describe(inventory: &Inventory, violations: &[(String, Violation)]) -> String {
    let mut out = String::new();
    for (resource, v) in violations {
        let root = &inventory
            .resources
            .iter()
            .find(|r| r.id.to_string() == *resource)
            .expect("resource exists")
            .root;
        let (span, exact) = v.path.locate(root);
        let _ = writeln!(
            out,
            "{resource} @ {}:{}{} {}\n  {}",
            span.line,
            span.col,
            if exact { "" } else { " (parent)" },
            v.path,
            v.message
        );
        if let Some(fix) = &v.fix {
            let _ = writeln!(
                out,
                "  fix ({:?}): {} {}",
                fix.safety,
                fix.description,
                serde_json::to_string(&fix.ops).unwrap()
            );
        }
    }
    out
}

fn run_fixture(control: &dyn Control, path: &Path) {
    let id = control.meta().id;
    let text = std::fs::read_to_string(path).unwrap();
    let settings = settings_for(&text);
    let inventory = load(&text);
    let index = palisade_core::InventoryIndex::new(&inventory);
    let cx = Context {
        settings: &settings,
        inventory: &inventory,
        index: &index,
    };
    let name = path.file_stem().unwrap().to_string_lossy().to_string();
    let mut violations = Vec::new();
    let mut applicable = 0;
    let mut skips = Vec::new();
    for resource in &inventory.resources {
        match control.check(&cx, resource) {
            Ok(Verdict::NotApplicable) => {}
            Ok(Verdict::Checked(found)) => {
                applicable += 1;
                violations.extend(found.into_iter().map(|v| (resource.id.to_string(), v)));
            }
            Err(skip) => skips.push(skip),
        }
    }
    let context = format!("{id} fixture {}", path.display());
    if name.starts_with("fail") {
        assert!(skips.is_empty(), "{context}: not evaluated: {skips:?}");
        assert!(
            !violations.is_empty(),
            "{context}: expected violations, found none"
        );
        insta::assert_snapshot!(format!("{id}__{name}"), describe(&inventory, &violations));
    } else if name.starts_with("pass") {
        assert!(skips.is_empty(), "{context}: not evaluated: {skips:?}");
        assert!(applicable > 0, "{context}: control never applied");
        assert!(
            violations.is_empty(),
            "{context}: unexpected violations:\n{}",
            describe(&inventory, &violations)
        );
    } else if name.starts_with("na") {
        assert!(
            applicable == 0 && skips.is_empty(),
            "{context}: expected not applicable"
        );
    } else if name.starts_with("skip") {
        assert!(!skips.is_empty(), "{context}: expected not evaluated");
        assert!(
            skips
                .iter()
                .all(|s| s.span.is_some() || !s.reason.is_empty())
        );
    } else {
        panic!("{context}: fixture names start with fail, pass, na or skip");
    }
}

#[test]
fn every_control_meets_its_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    // `PALISADE_FIXTURES=RBAC` runs only the controls whose ID starts with it.
    let only = std::env::var("PALISADE_FIXTURES").unwrap_or_default();
    for control in crate::all() {
        if !control.meta().id.starts_with(only.as_str()) {
            continue;
        }
        let dir = root.join(control.meta().id);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| {
                panic!(
                    "{} has no fixtures directory {}",
                    control.meta().id,
                    dir.display()
                )
            })
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(
            files
                .iter()
                .any(|f| f.file_name().unwrap().to_string_lossy().starts_with("fail"))
                && files.iter().any(|f| f
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("pass")),
            "{} needs at least one pass and one fail fixture",
            control.meta().id
        );
        for file in files {
            run_fixture(*control, &file);
        }
    }
}
