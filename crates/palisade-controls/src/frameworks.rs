//! The framework catalogue: one YAML file per framework under `frameworks/`, compiled into the
//! binary and parsed once. It is the only place that says which requirement a control serves.

use std::collections::HashMap;
use std::sync::LazyLock;

use palisade_core::{FrameworkSpec, Requirement};

/// Every framework file, by name. Adding a framework means adding its file here.
const FILES: &[(&str, &str)] = &[
    ("cis-1.12.yaml", include_str!("../frameworks/cis-1.12.yaml")),
    ("gdpr.yaml", include_str!("../frameworks/gdpr.yaml")),
    ("hipaa.yaml", include_str!("../frameworks/hipaa.yaml")),
    (
        "iso-27001-2022.yaml",
        include_str!("../frameworks/iso-27001-2022.yaml"),
    ),
    (
        "mitre-attack-containers.yaml",
        include_str!("../frameworks/mitre-attack-containers.yaml"),
    ),
    (
        "nist-800-190.yaml",
        include_str!("../frameworks/nist-800-190.yaml"),
    ),
    (
        "nist-800-53-r5.yaml",
        include_str!("../frameworks/nist-800-53-r5.yaml"),
    ),
    (
        "nsa-cisa-1.2.yaml",
        include_str!("../frameworks/nsa-cisa-1.2.yaml"),
    ),
    (
        "pci-dss-4.0.yaml",
        include_str!("../frameworks/pci-dss-4.0.yaml"),
    ),
    (
        "pss-baseline.yaml",
        include_str!("../frameworks/pss-baseline.yaml"),
    ),
    (
        "pss-restricted.yaml",
        include_str!("../frameworks/pss-restricted.yaml"),
    ),
    ("soc2.yaml", include_str!("../frameworks/soc2.yaml")),
];

struct Catalogue {
    frameworks: Vec<FrameworkSpec>,
    /// Control ID → (framework index, requirement index), in framework then requirement order.
    serving: HashMap<String, Vec<(usize, usize)>>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let mut frameworks: Vec<FrameworkSpec> = FILES
        .iter()
        .map(|(name, text)| {
            // The files are compiled in and checked by tests, so a parse error is a build
            // defect, not bad user input.
            serde_saphyr::from_str(text)
                .unwrap_or_else(|e| panic!("built-in framework file {name} is invalid: {e}"))
        })
        .collect();
    frameworks.sort_by(|a, b| a.id.cmp(&b.id));
    let mut serving: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (f, framework) in frameworks.iter().enumerate() {
        for (r, requirement) in framework.requirements.iter().enumerate() {
            for control in requirement.assessment.controls() {
                serving.entry(control.clone()).or_default().push((f, r));
            }
        }
    }
    Catalogue {
        frameworks,
        serving,
    }
});

/// Every built-in framework, sorted by ID.
pub fn frameworks() -> &'static [FrameworkSpec] {
    &CATALOGUE.frameworks
}

/// The framework with this ID or alias (case-insensitive).
pub fn framework(name: &str) -> Option<&'static FrameworkSpec> {
    frameworks().iter().find(|f| f.answers_to(name))
}

/// The requirements a control serves (by its canonical ID), framework by framework in ID order
/// and within a framework in the framework's order.
pub fn serving(
    control_id: &str,
) -> impl Iterator<Item = (&'static FrameworkSpec, &'static Requirement)> {
    let catalogue: &'static Catalogue = &CATALOGUE;
    catalogue
        .serving
        .get(control_id)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|&(f, r)| {
            let framework = &catalogue.frameworks[f];
            (framework, &framework.requirements[r])
        })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashSet};

    use palisade_core::{Assessment, PssLevel};

    use super::*;
    use crate::catalog;

    #[test]
    fn every_file_parses_into_a_framework_with_a_unique_id() {
        assert_eq!(frameworks().len(), FILES.len());
        let ids: HashSet<&str> = frameworks().iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids.len(), FILES.len());
        for (name, _) in FILES {
            let stem = name.strip_suffix(".yaml").unwrap();
            assert!(ids.contains(stem), "{name} does not declare id `{stem}`");
        }
        let sorted: Vec<&str> = frameworks().iter().map(|f| f.id.as_str()).collect();
        assert!(sorted.is_sorted());
    }

    #[test]
    fn names_and_aliases_are_unambiguous() {
        let mut seen = HashSet::new();
        for framework in frameworks() {
            for name in std::iter::once(&framework.id).chain(&framework.aliases) {
                assert!(
                    seen.insert(name.to_ascii_lowercase()),
                    "`{name}` names two frameworks"
                );
            }
        }
        assert_eq!(framework("CIS").unwrap().id, "cis-1.12");
        assert!(framework("no-such-framework").is_none());
    }

    #[test]
    fn every_framework_is_described_and_well_formed() {
        for framework in frameworks() {
            let id = &framework.id;
            for (field, text) in [
                ("name", &framework.name),
                ("version", &framework.version),
                ("description", &framework.description),
                ("url", &framework.url),
            ] {
                assert!(!text.trim().is_empty(), "{id} has no {field}");
            }
            assert!(framework.url.starts_with("https://"), "{id} url");
            let mut sections = HashSet::new();
            for section in &framework.sections {
                assert!(
                    sections.insert(&section.id),
                    "{id}: section {} twice",
                    section.id
                );
                assert!(
                    !section.title.trim().is_empty(),
                    "{id}: section {}",
                    section.id
                );
                assert!(
                    framework.requirements_in(&section.id).next().is_some(),
                    "{id}: section {} is empty",
                    section.id
                );
            }
            let mut requirements = HashSet::new();
            for requirement in &framework.requirements {
                let rid = &requirement.id;
                assert!(requirements.insert(rid), "{id}: requirement {rid} twice");
                assert!(
                    sections.contains(&requirement.section),
                    "{id}: {rid} names unknown section {}",
                    requirement.section
                );
                assert!(!requirement.title.trim().is_empty(), "{id}: {rid} title");
                assert!(
                    !requirement.rationale.trim().is_empty(),
                    "{id}: {rid} rationale"
                );
                match &requirement.assessment {
                    Assessment::Automated { controls } => {
                        assert!(!controls.is_empty(), "{id}: {rid} automated by nothing");
                        let unique: HashSet<_> = controls.iter().collect();
                        assert_eq!(
                            unique.len(),
                            controls.len(),
                            "{id}: {rid} repeats a control"
                        );
                    }
                    Assessment::Manual { evidence } => {
                        assert!(!evidence.trim().is_empty(), "{id}: {rid} evidence");
                    }
                    Assessment::NodeScan => {}
                }
            }
        }
    }

    #[test]
    fn every_mapped_control_exists_under_its_canonical_id() {
        for framework in frameworks() {
            for requirement in &framework.requirements {
                for control in requirement.assessment.controls() {
                    let found = catalog::find(control).map(|c| c.meta().id);
                    assert_eq!(
                        found,
                        Some(control.as_str()),
                        "{} {} maps unknown control {control}",
                        framework.id,
                        requirement.id
                    );
                }
            }
        }
    }

    #[test]
    fn every_built_in_control_serves_some_framework() {
        let unserved: Vec<&str> = catalog::all()
            .iter()
            .map(|c| c.meta().id)
            .filter(|id| serving(id).next().is_none())
            .collect();
        assert!(unserved.is_empty(), "no framework maps {unserved:?}");
    }

    #[test]
    fn serving_is_the_reverse_of_the_mapping() {
        let pod001: Vec<(&str, &str)> = serving("POD-001")
            .map(|(f, r)| (f.id.as_str(), r.id.as_str()))
            .collect();
        assert!(pod001.contains(&("cis-1.12", "5.2.2")), "{pod001:?}");
        assert!(pod001.is_sorted_by_key(|(f, _)| *f));
        for (framework, requirement) in serving("POD-001") {
            assert!(
                requirement
                    .assessment
                    .controls()
                    .iter()
                    .any(|c| c == "POD-001"),
                "{} {}",
                framework.id,
                requirement.id
            );
        }
        assert_eq!(serving("NOPE-001").count(), 0);
    }

    #[test]
    fn misspelt_framework_data_is_rejected_not_ignored() {
        let parse = |assessment: &str| {
            let text = format!(
                "{{id: x, name: x, version: '1', description: x, url: 'https://x', sections: [], \
                 requirements: [{{id: '1', section: s, title: t, rationale: r, assessment: {assessment}}}]}}"
            );
            serde_saphyr::from_str::<FrameworkSpec>(&text).map(|f| f.coverage())
        };
        assert_eq!(parse("{kind: node-scan}").unwrap().node_scan, 1);
        assert_eq!(
            parse("{kind: automated, controls: [POD-001]}")
                .unwrap()
                .automated,
            1
        );
        assert!(parse("{kind: automatic, controls: [POD-001]}").is_err());
        assert!(parse("{kind: automated, control: [POD-001]}").is_err());
        assert!(parse("{kind: manual}").is_err());
    }

    /// The PSS frameworks list exactly the checks Pod Security Admission runs at their level.
    #[test]
    fn pss_frameworks_map_exactly_the_controls_of_their_level() {
        for (id, level) in [
            ("pss-baseline", PssLevel::Baseline),
            ("pss-restricted", PssLevel::Restricted),
        ] {
            let mapped: BTreeSet<&str> = framework(id)
                .unwrap()
                .requirements
                .iter()
                .flat_map(|r| r.assessment.controls())
                .map(String::as_str)
                .collect();
            let expected: BTreeSet<&str> = catalog::pss_controls(level)
                .iter()
                .map(|c| c.meta().id)
                .collect();
            assert_eq!(mapped, expected, "{id}");
            assert_eq!(framework(id).unwrap().requirements.len(), expected.len());
        }
    }
}
