//! Compliance frameworks as data: a framework's sections and requirements, and how Palisade
//! assesses each requirement.
//!
//! The catalogue itself (which frameworks exist, their requirements and mappings) lives in
//! `palisade-controls` as one data file per framework; this module only says what such a file
//! means, so every stage (engine, reports, CLI) reads frameworks through the same types.

use serde::{Deserialize, Serialize};

/// One compliance framework at one version, e.g. the CIS Kubernetes Benchmark 1.12.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct FrameworkSpec {
    /// Stable, versioned ID, e.g. `cis-1.12`.
    pub id: String,
    /// Shorter names users may type instead of the ID, e.g. `cis`.
    #[serde(default)]
    pub aliases: Vec<String>,
    pub name: String,
    pub version: String,
    pub description: String,
    /// Where the framework's own text is published.
    pub url: String,
    /// The framework's grouping of its requirements, in the framework's order.
    pub sections: Vec<Section>,
    /// Every requirement Palisade knows of, in the framework's order; each names its section.
    pub requirements: Vec<Requirement>,
}

/// A heading of a framework that groups requirements, e.g. CIS `5.2` "Pod Security Standards".
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Section {
    pub id: String,
    pub title: String,
}

/// One requirement of a framework and how Palisade assesses it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Requirement {
    /// The framework's own identifier: `5.2.2`, `T1611`, `AC-6`, `164.312(a)(1)`.
    pub id: String,
    /// The ID of the [`Section`] this requirement belongs to.
    pub section: String,
    /// A short title in Palisade's words.
    pub title: String,
    pub assessment: Assessment,
    /// Why the assessment is what it is: for an automated requirement, how its controls serve
    /// it (and what they leave out); for a manual one, why no scan can decide it; for a node
    /// scan, what the node check has to look at.
    pub rationale: String,
}

/// How a requirement is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Assessment {
    /// Decided by these built-in controls (by ID): the requirement holds where none of them
    /// finds anything.
    Automated { controls: Vec<String> },
    /// Needs a person; `evidence` says what they must supply.
    Manual { evidence: String },
    /// Needs a check run on the node itself (files, process flags), which Palisade does not yet
    /// run; reported as "not evaluated: needs node scan".
    NodeScan,
}

impl Assessment {
    /// The controls that decide the requirement; empty unless automated.
    pub fn controls(&self) -> &[String] {
        match self {
            Assessment::Automated { controls } => controls,
            Assessment::Manual { .. } | Assessment::NodeScan => &[],
        }
    }

    /// The kind as written in data and reports: `automated`, `manual` or `node-scan`.
    pub fn kind(&self) -> &'static str {
        match self {
            Assessment::Automated { .. } => "automated",
            Assessment::Manual { .. } => "manual",
            Assessment::NodeScan => "node-scan",
        }
    }
}

/// How many of a framework's requirements each kind of assessment covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Coverage {
    pub automated: usize,
    pub manual: usize,
    pub node_scan: usize,
}

impl Coverage {
    /// The coverage of any set of requirements, e.g. one section.
    pub fn of<'a>(requirements: impl IntoIterator<Item = &'a Requirement>) -> Coverage {
        let mut coverage = Coverage::default();
        for requirement in requirements {
            match requirement.assessment {
                Assessment::Automated { .. } => coverage.automated += 1,
                Assessment::Manual { .. } => coverage.manual += 1,
                Assessment::NodeScan => coverage.node_scan += 1,
            }
        }
        coverage
    }

    pub fn total(&self) -> usize {
        self.automated + self.manual + self.node_scan
    }
}

impl FrameworkSpec {
    /// Whether `name` is this framework's ID or one of its aliases (case-insensitive).
    pub fn answers_to(&self, name: &str) -> bool {
        let name = name.trim();
        self.id.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    /// The requirement with this ID (exact match: framework IDs are case-sensitive, `Art. 25`).
    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    /// The requirements of one section, in the framework's order.
    pub fn requirements_in<'a>(
        &'a self,
        section: &'a str,
    ) -> impl Iterator<Item = &'a Requirement> + 'a {
        self.requirements
            .iter()
            .filter(move |r| r.section == section)
    }

    /// The requirements this control decides, in the framework's order.
    pub fn served_by<'a>(&'a self, control_id: &str) -> impl Iterator<Item = &'a Requirement> {
        self.requirements
            .iter()
            .filter(move |r| r.assessment.controls().iter().any(|c| c == control_id))
    }

    pub fn coverage(&self) -> Coverage {
        Coverage::of(&self.requirements)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement(id: &str, assessment: Assessment) -> Requirement {
        Requirement {
            id: id.into(),
            section: "1".into(),
            title: "t".into(),
            assessment,
            rationale: "r".into(),
        }
    }

    fn spec() -> FrameworkSpec {
        FrameworkSpec {
            id: "cis-1.12".into(),
            aliases: vec!["cis".into()],
            name: "n".into(),
            version: "1.12".into(),
            description: "d".into(),
            url: "u".into(),
            sections: vec![Section {
                id: "1".into(),
                title: "s".into(),
            }],
            requirements: vec![
                requirement(
                    "1.1",
                    Assessment::Automated {
                        controls: vec!["POD-001".into()],
                    },
                ),
                requirement(
                    "1.2",
                    Assessment::Manual {
                        evidence: "e".into(),
                    },
                ),
                requirement("1.3", Assessment::NodeScan),
                requirement("1.4", Assessment::NodeScan),
            ],
        }
    }

    #[test]
    fn answers_to_its_id_and_aliases_in_any_case() {
        let spec = spec();
        assert!(spec.answers_to("CIS-1.12") && spec.answers_to(" cis "));
        assert!(!spec.answers_to("cis-1.11") && !spec.answers_to("nsa"));
    }

    #[test]
    fn counts_coverage_by_assessment_kind() {
        let coverage = spec().coverage();
        assert_eq!(
            coverage,
            Coverage {
                automated: 1,
                manual: 1,
                node_scan: 2
            }
        );
        assert_eq!(coverage.total(), 4);
        let spec = spec();
        assert_eq!(Coverage::of(spec.requirements.iter().skip(2)).node_scan, 2);
    }

    #[test]
    fn finds_requirements_by_exact_id() {
        let spec = spec();
        assert_eq!(
            spec.requirement("1.1").unwrap().assessment.controls(),
            ["POD-001"]
        );
        assert!(spec.requirement("1.10").is_none());
        let served: Vec<&str> = spec.served_by("POD-001").map(|r| r.id.as_str()).collect();
        assert_eq!(served, ["1.1"]);
        assert_eq!(spec.served_by("POD-002").count(), 0);
        assert_eq!(spec.requirements_in("1").count(), 4);
    }

    #[test]
    fn assessment_is_tagged_by_kind() {
        let json = serde_json::to_value(Assessment::NodeScan).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "node-scan"}));
        let manual: Assessment =
            serde_json::from_value(serde_json::json!({"kind": "manual", "evidence": "x"})).unwrap();
        assert_eq!(
            manual,
            Assessment::Manual {
                evidence: "x".into()
            }
        );
        assert!(
            serde_json::from_value::<Assessment>(serde_json::json!({"kind": "automatic"})).is_err()
        );
    }
}
