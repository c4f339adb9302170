//! The CIS framework lists every recommendation of the CIS Kubernetes Benchmark 1.12 exactly
//! once, and nothing else.
//!
//! The recommendation IDs come from kube-bench's machine-readable copy of the benchmark
//! (`/work/shared/reference/kube-bench/cis-1.12/{master,etcd,controlplane,node,policies}.yaml`).
//! Where that reference material is absent the test says so and passes vacuously.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// kube-bench's files for the five sections of the benchmark.
const SECTION_FILES: [&str; 5] = [
    "master.yaml",
    "etcd.yaml",
    "controlplane.yaml",
    "node.yaml",
    "policies.yaml",
];

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/kube-bench/cis-1.12")
}

/// Every recommendation ID in kube-bench's copy of the benchmark, with how often it appears.
///
/// The files are read line by line rather than as YAML: some of their multi-line quoted
/// strings are indented in a way only lenient parsers accept, and the IDs are all we need. A
/// check is a `- id:` item inside a `checks:` list (group IDs sit outside those lists).
fn benchmark_ids(dir: &Path) -> BTreeMap<String, usize> {
    let mut ids = BTreeMap::new();
    for name in SECTION_FILES {
        let path = dir.join(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut checks_indent: Option<usize> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let indent = line.len() - trimmed.len();
            if checks_indent.is_some_and(|outer| indent <= outer) {
                checks_indent = None;
            }
            if trimmed == "checks:" {
                checks_indent = Some(indent);
            } else if let (Some(_), Some(id)) = (checks_indent, trimmed.strip_prefix("- id:")) {
                let id = id.trim().trim_matches('"').to_string();
                *ids.entry(id).or_default() += 1;
            }
        }
    }
    ids
}

#[test]
fn cis_framework_holds_every_recommendation_exactly_once() {
    let dir = reference_dir();
    if !dir.is_dir() {
        eprintln!(
            "SKIPPED: CIS completeness needs the kube-bench reference at {} (not present)",
            dir.display()
        );
        return;
    }
    let benchmark = benchmark_ids(&dir);
    assert!(
        benchmark.len() > 100,
        "kube-bench files yielded only {} IDs",
        benchmark.len()
    );
    assert!(
        benchmark.values().all(|&n| n == 1),
        "kube-bench lists an ID twice"
    );

    let cis = palisade_controls::framework("cis-1.12").expect("cis-1.12 is built in");
    let mut ours: BTreeMap<&str, usize> = BTreeMap::new();
    for requirement in &cis.requirements {
        *ours.entry(requirement.id.as_str()).or_default() += 1;
    }
    let missing: Vec<&String> = benchmark
        .keys()
        .filter(|id| !ours.contains_key(id.as_str()))
        .collect();
    let extra: Vec<&&str> = ours
        .keys()
        .filter(|id| !benchmark.contains_key(**id))
        .collect();
    let repeated: Vec<(&&str, &usize)> = ours.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && repeated.is_empty(),
        "cis-1.12 differs from the benchmark: missing {missing:?}, not in the benchmark {extra:?}, repeated {repeated:?}"
    );
}
