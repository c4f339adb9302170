//! What a control is, as far as everything outside the catalog needs to know.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected critical, high, medium, low or info)")
            })
    }
}

/// Control families; the ID prefix of every control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Family {
    Pod,
    Img,
    Sec,
    Res,
    Rbac,
    Net,
    Ns,
    Api,
    Adm,
    Cp,
    Node,
    Vuln,
}

impl Family {
    pub const ALL: [Family; 12] = [
        Family::Pod,
        Family::Img,
        Family::Sec,
        Family::Res,
        Family::Rbac,
        Family::Net,
        Family::Ns,
        Family::Api,
        Family::Adm,
        Family::Cp,
        Family::Node,
        Family::Vuln,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Family::Pod => "POD",
            Family::Img => "IMG",
            Family::Sec => "SEC",
            Family::Res => "RES",
            Family::Rbac => "RBAC",
            Family::Net => "NET",
            Family::Ns => "NS",
            Family::Api => "API",
            Family::Adm => "ADM",
            Family::Cp => "CP",
            Family::Node => "NODE",
            Family::Vuln => "VULN",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Family::Pod => "pod and container hardening",
            Family::Img => "images and supply chain",
            Family::Sec => "secrets exposure",
            Family::Res => "resources and reliability",
            Family::Rbac => "role-based access control",
            Family::Net => "network and exposure",
            Family::Ns => "namespaces and tenancy",
            Family::Api => "deprecated and removed APIs",
            Family::Adm => "admission configuration",
            Family::Cp => "control plane",
            Family::Node => "kubelet and node",
            Family::Vuln => "image vulnerabilities",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

impl FromStr for Family {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Family::ALL
            .into_iter()
            .find(|f| f.prefix().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown control family `{s}`"))
    }
}

/// Pod Security Standards levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PssLevel {
    Baseline,
    Restricted,
}

impl PssLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            PssLevel::Baseline => "baseline",
            PssLevel::Restricted => "restricted",
        }
    }
}

impl FromStr for PssLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "baseline" => Ok(PssLevel::Baseline),
            "restricted" => Ok(PssLevel::Restricted),
            _ => Err(format!(
                "unknown Pod Security Standards level `{s}` (expected baseline or restricted)"
            )),
        }
    }
}

/// Other tools whose check IDs Palisade accepts as aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    Kubescape,
    Trivy,
    Checkov,
    Polaris,
    KubeLinter,
    KubeScore,
}

impl Tool {
    pub fn name(self) -> &'static str {
        match self {
            Tool::Kubescape => "kubescape",
            Tool::Trivy => "trivy",
            Tool::Checkov => "checkov",
            Tool::Polaris => "polaris",
            Tool::KubeLinter => "kube-linter",
            Tool::KubeScore => "kube-score",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Alias {
    pub tool: Tool,
    pub id: &'static str,
}

/// Whether a control can repair what it finds, and how safely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    /// No machine fix can be expressed in the object itself.
    None,
    /// The fix cannot change behaviour a running application relies on.
    Safe,
    /// The fix may break the application; applied only on request.
    Unsafe,
    /// The fix needs a value only the user knows (a registry, a limit).
    NeedsInput,
}

/// Everything about a control except its check.
#[derive(Debug, Serialize)]
pub struct ControlMeta {
    /// Stable ID: family prefix and number, e.g. `POD-001`.
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub family: Family,
    /// Which Pod Security Standards level this control is part of, if any.
    pub pss: Option<PssLevel>,
    pub aliases: &'static [Alias],
    /// One paragraph on how to fix, shown with every finding.
    pub remediation: &'static str,
    pub fix: FixAvailability,
    /// The full documentation (Markdown), taken from the control's doc comment.
    #[serde(skip)]
    pub doc: &'static str,
}

impl ControlMeta {
    /// Whether `name` is this control's ID or one of its aliases (case-insensitive).
    pub fn answers_to(&self, name: &str) -> bool {
        self.id.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.id.eq_ignore_ascii_case(name))
    }

    /// The documentation with the one leading space of each `///` line removed.
    pub fn doc_text(&self) -> String {
        self.doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string()
    }
}

/// The version of a control catalogue, as reports record it: 16 hex digits of a SHA-256 over
/// each control's ID and default severity, in ID order. It changes whenever a control is added,
/// removed, renamed or re-graded, without anyone having to remember to bump it; what a control's
/// check does is identified by the tool version beside it.
pub fn catalog_version<'a>(controls: impl IntoIterator<Item = &'a ControlMeta>) -> String {
    let mut entries: Vec<(&str, Severity)> =
        controls.into_iter().map(|c| (c.id, c.severity)).collect();
    entries.sort_unstable();
    entries.dedup();
    let mut digest = crate::digest::FieldDigest::new("palisade-catalog-v1");
    for (id, severity) in entries {
        digest.field(Some(id));
        digest.field(Some(severity.as_str()));
    }
    digest.hex(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: &'static str, severity: Severity) -> ControlMeta {
        ControlMeta {
            id,
            title: "t",
            severity,
            family: Family::Pod,
            pss: None,
            aliases: &[],
            remediation: "",
            fix: FixAvailability::None,
            doc: "",
        }
    }

    #[test]
    fn catalog_version_follows_ids_and_severities_not_order() {
        let a = meta("POD-001", Severity::High);
        let b = meta("POD-002", Severity::Low);
        let version = catalog_version([&a, &b]);
        assert_eq!(version.len(), 16);
        assert_eq!(catalog_version([&b, &a]), version);
        assert_ne!(catalog_version([&a]), version);
        let regraded = meta("POD-002", Severity::Medium);
        assert_ne!(catalog_version([&a, &regraded]), version);
    }
}
