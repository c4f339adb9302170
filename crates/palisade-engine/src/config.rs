//! The configuration file, `.palisade.yaml`.
//!
//! ```yaml
//! controls:
//!   enable: [POD, RBAC]        # only these (IDs, aliases or families); default: all
//!   disable: [IMG-002, C-0075] # never these
//!   severity: { IMG-001: low } # overrides
//! registries:
//!   allowed: [registry.example.com, ghcr.io/acme]
//! workloadKinds:
//!   - apiVersion: example.com/v1
//!     kind: Widget
//!     podSpecPath: spec.template.spec
//! exceptions:
//!   - controls: [POD-001]
//!     resources: [{ kind: DaemonSet, namespace: monitoring, name: "node-exporter*" }]
//!     reason: node exporter needs host access
//!     expires: 2027-01-31
//! inlineIgnores: true
//! kubeVersion: "1.29"
//! frameworks: [cis-1.12, nsa]  # score these (IDs or aliases); only their controls run
//! namespaces:
//!   critical: [payments, kube-system, "prod-*"]  # findings here rank higher (globs)
//! fix:                         # values only you know, for `palisade fix`
//!   resources:                 # RES-001 to RES-004
//!     requests: { cpu: 100m, memory: 128Mi }
//!     limits: { memory: 256Mi }
//!   rbac:                      # RBAC-001: what replaces `*` in a role's rules
//!     roles:
//!       ClusterRole/ci-deployer:         # or Role/<namespace>/<name>, Role/<name>
//!         verbs: [get, list, watch, patch]
//!         resources: [deployments, services]
//!         apiGroups: [apps, ""]
//!   images:                    # IMG-001, IMG-002, IMG-004: the image to run instead
//!     nginx: mirror.example.com/nginx:1.27.3@sha256:…   # by name (any tag) or exact reference
//! ```
//!
//! Unknown fields and unknown control IDs are errors: a typo must never silently disable
//! nothing or except nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palisade_controls::{KubeVersion, WorkloadKind, resolve_selector};
use palisade_core::Severity;
use serde::Deserialize;

/// The file name looked for upward from the scanned path.
pub const CONFIG_FILE_NAME: &str = ".palisade.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Config {
    #[serde(default)]
    pub controls: ControlsConfig,
    #[serde(default)]
    pub registries: RegistriesConfig,
    #[serde(default)]
    pub workload_kinds: Vec<WorkloadKindConfig>,
    #[serde(default)]
    pub exceptions: Vec<ExceptionConfig>,
    /// Whether resources may exempt themselves by annotation. Default true.
    pub inline_ignores: Option<bool>,
    pub kube_version: Option<String>,
    pub fail_on: Option<String>,
    /// Frameworks to score, as `--framework` does; the flag adds to this list.
    #[serde(default)]
    pub frameworks: Vec<String>,
    #[serde(default)]
    pub namespaces: NamespacesConfig,
    #[serde(default)]
    pub fix: FixConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamespacesConfig {
    /// Namespaces (names or `*` globs) whose findings weigh more in the risk score.
    #[serde(default)]
    pub critical: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlsConfig {
    pub enable: Option<Vec<String>>,
    #[serde(default)]
    pub disable: Vec<String>,
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
}

/// Values `palisade fix` writes where a fix needs the user's choice.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixConfig {
    #[serde(default)]
    pub resources: ResourcesConfig,
    #[serde(default)]
    pub rbac: RbacConfig,
    /// The image to run instead, by the image as manifests write it (exact reference, or its
    /// name without tag or digest).
    #[serde(default)]
    pub images: BTreeMap<String, String>,
}

/// The verbs, resources and API groups each role's subjects actually use, by
/// `ClusterRole/<name>`, `Role/<namespace>/<name>` or `Role/<name>`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RbacConfig {
    #[serde(default)]
    pub roles: BTreeMap<String, RoleRulesConfig>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RoleRulesConfig {
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub resources: Vec<String>,
    #[serde(default)]
    pub api_groups: Vec<String>,
}

impl RbacConfig {
    /// Every key names a role, and every list is explicit: a `*` would replace a wildcard
    /// with itself.
    fn validate(&self) -> Result<(), String> {
        for (key, lists) in &self.roles {
            let parts: Vec<&str> = key.split('/').collect();
            let well_formed = match parts.as_slice() {
                ["ClusterRole", name] | ["Role", name] => !name.is_empty(),
                ["Role", namespace, name] => !namespace.is_empty() && !name.is_empty(),
                _ => false,
            };
            if !well_formed {
                return Err(format!(
                    "fix.rbac.roles: `{key}` should be ClusterRole/<name>, Role/<namespace>/<name> or Role/<name>"
                ));
            }
            let named = [
                ("verbs", &lists.verbs),
                ("resources", &lists.resources),
                ("apiGroups", &lists.api_groups),
            ];
            if named.iter().all(|(_, list)| list.is_empty()) {
                return Err(format!(
                    "fix.rbac.roles.{key}: give at least one of verbs, resources, apiGroups"
                ));
            }
            for (field, list) in named {
                if let Some(bad) = list.iter().find(|item| {
                    item.contains('*') || (field != "apiGroups" && item.trim().is_empty())
                }) {
                    return Err(format!(
                        "fix.rbac.roles.{key}.{field}: `{bad}` is not an explicit item"
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn values(&self) -> palisade_controls::RbacValues {
        palisade_controls::RbacValues {
            roles: self
                .roles
                .iter()
                .map(|(key, lists)| {
                    let values = palisade_controls::RuleValues {
                        verbs: lists.verbs.clone(),
                        resources: lists.resources.clone(),
                        api_groups: lists.api_groups.clone(),
                    };
                    (key.clone(), values)
                })
                .collect(),
        }
    }
}

/// Container resource requests and limits, by resource name (`cpu`, `memory`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourcesConfig {
    #[serde(default)]
    pub requests: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistriesConfig {
    #[serde(default)]
    pub allowed: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WorkloadKindConfig {
    /// `group/version`, or just `group`; `*` matches any group.
    pub api_version: String,
    pub kind: String,
    pub pod_spec_path: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExceptionConfig {
    pub controls: Vec<String>,
    #[serde(default)]
    pub resources: Vec<ResourceSelector>,
    pub reason: String,
    /// `YYYY-MM-DD`; the exception applies through that day.
    pub expires: Option<String>,
}

/// Matches resources; every field given must match. `name` and `namespace` accept `*` globs.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ResourceSelector {
    pub kind: Option<String>,
    pub namespace: Option<String>,
    pub name: Option<String>,
}

impl Config {
    pub fn parse(text: &str, origin: &str) -> Result<Config, String> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let config: Config = serde_saphyr::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
        config.validate().map_err(|e| format!("{origin}: {e}"))?;
        Ok(config)
    }

    pub fn load(path: &Path) -> Result<Config, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read config: {e}", path.display()))?;
        Config::parse(&text, &path.display().to_string())
    }

    /// Finds `.palisade.yaml` in `start` (or its directory) and each parent directory.
    pub fn discover(start: &Path) -> Option<PathBuf> {
        let absolute = std::path::absolute(start).ok()?;
        let mut dir = if absolute.is_dir() {
            Some(absolute.as_path())
        } else {
            absolute.parent()
        };
        while let Some(d) = dir {
            let candidate = d.join(CONFIG_FILE_NAME);
            if candidate.is_file() {
                return Some(candidate);
            }
            dir = d.parent();
        }
        None
    }

    /// Checks every control reference and value, so mistakes surface before scanning.
    fn validate(&self) -> Result<(), String> {
        let selectors = self
            .controls
            .enable
            .iter()
            .flatten()
            .chain(&self.controls.disable)
            .chain(self.controls.severity.keys())
            .chain(self.exceptions.iter().flat_map(|e| &e.controls));
        for selector in selectors {
            resolve_selector(selector)?;
        }
        crate::score::frameworks_named(&self.frameworks)?;
        for pattern in &self.namespaces.critical {
            crate::suppress::glob(pattern)?;
        }
        for severity in self.controls.severity.values() {
            severity.parse::<Severity>()?;
        }
        if let Some(version) = &self.kube_version {
            version.parse::<KubeVersion>()?;
        }
        if let Some(level) = &self.fail_on {
            if !level.eq_ignore_ascii_case("none") {
                level.parse::<Severity>()?;
            }
        }
        let resources = &self.fix.resources;
        for (key, value) in resources.requests.iter().chain(&resources.limits) {
            if key != "cpu" && key != "memory" {
                return Err(format!(
                    "fix.resources: `{key}` is not a resource Palisade fixes (cpu, memory)"
                ));
            }
            if value.trim().is_empty() {
                return Err(format!(
                    "fix.resources: `{key}` needs a quantity, e.g. 100m or 128Mi"
                ));
            }
        }
        self.fix.rbac.validate()?;
        for (image, replacement) in &self.fix.images {
            let well_formed = |r: &str| !r.is_empty() && !r.contains(char::is_whitespace);
            if !well_formed(image.trim()) || !well_formed(replacement) {
                return Err(format!(
                    "fix.images: `{image}: {replacement}` should map an image to the image reference to run instead, each without spaces"
                ));
            }
        }
        for exception in &self.exceptions {
            if exception.reason.trim().is_empty() {
                return Err(format!(
                    "exception for {} needs a non-empty `reason`",
                    exception.controls.join(", ")
                ));
            }
            if exception.controls.is_empty() {
                return Err("an exception must name at least one control".into());
            }
            if let Some(expires) = &exception.expires {
                expires.parse::<jiff::civil::Date>().map_err(|e| {
                    format!("exception expiry `{expires}` is not a YYYY-MM-DD date: {e}")
                })?;
            }
        }
        for kind in &self.workload_kinds {
            if kind.pod_spec_path.trim().is_empty() {
                return Err(format!("workload kind {} needs a `podSpecPath`", kind.kind));
            }
        }
        Ok(())
    }

    pub fn workload_kinds(&self) -> Vec<WorkloadKind> {
        self.workload_kinds
            .iter()
            .map(|w| {
                let group = match w.api_version.split_once('/') {
                    Some((group, _)) => group.to_string(),
                    None if w.api_version.contains('.') || w.api_version == "*" => {
                        w.api_version.clone()
                    }
                    None => String::new(),
                };
                WorkloadKind {
                    group,
                    kind: w.kind.clone(),
                    pod_spec_path: w.pod_spec_path.split('.').map(str::to_string).collect(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let config = Config::parse(
            "controls:\n  disable: [IMG-002, C-0057]\n  severity: {POD-001: low}\nregistries:\n  allowed: [r.example.com]\nworkloadKinds:\n  - apiVersion: example.com/v1\n    kind: Widget\n    podSpecPath: spec.template.spec\nexceptions:\n  - controls: [POD-001]\n    resources: [{kind: Pod, name: \"web-*\"}]\n    reason: legacy\n    expires: 2030-01-01\n",
            "test",
        )
        .unwrap();
        assert_eq!(config.registries.allowed, ["r.example.com"]);
        assert_eq!(config.workload_kinds()[0].group, "example.com");
        assert_eq!(
            config.workload_kinds()[0].pod_spec_path,
            ["spec", "template", "spec"]
        );
    }

    #[test]
    fn fix_images_are_read_and_checked() {
        let config = Config::parse(
            "fix:\n  images:\n    nginx: mirror.example.com/nginx:1.27.3\n",
            "c",
        )
        .unwrap();
        assert_eq!(
            config.fix.images["nginx"],
            "mirror.example.com/nginx:1.27.3"
        );
        for bad in ["nginx: ''", "nginx: 'a b'", "'': nginx:1"] {
            let text = format!("fix:\n  images:\n    {bad}\n");
            let err = Config::parse(&text, "c").unwrap_err();
            assert!(err.contains("fix.images"), "{bad}: {err}");
        }
    }

    #[test]
    fn fix_rbac_lists_are_read_and_checked() {
        let config = Config::parse(
            "fix:\n  rbac:\n    roles:\n      ClusterRole/ci:\n        verbs: [get, list]\n        apiGroups: ['', apps]\n      Role/shop/app: { resources: [pods] }\n",
            "c",
        )
        .unwrap();
        let values = config.fix.rbac.values();
        assert_eq!(values.roles["ClusterRole/ci"].verbs, ["get", "list"]);
        assert_eq!(values.roles["ClusterRole/ci"].api_groups, ["", "apps"]);
        assert_eq!(
            values
                .for_role("Role", Some("shop"), "app")
                .unwrap()
                .resources,
            ["pods"]
        );
        assert!(values.for_role("Role", Some("other"), "app").is_none());
        for (bad, says) in [
            (
                "Deployment/x: { verbs: [get] }",
                "should be ClusterRole/<name>",
            ),
            (
                "Role/a/b/c: { verbs: [get] }",
                "should be ClusterRole/<name>",
            ),
            ("ClusterRole/x: {}", "give at least one"),
            ("ClusterRole/x: { verbs: ['*'] }", "is not an explicit item"),
            (
                "ClusterRole/x: { resources: ['*/scale'] }",
                "is not an explicit item",
            ),
            ("ClusterRole/x: { verbs: [''] }", "is not an explicit item"),
            ("ClusterRole/x: { verb: [get] }", "unknown field"),
        ] {
            let text = format!("fix:\n  rbac:\n    roles:\n      {bad}\n");
            let err = Config::parse(&text, "c").unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn fix_resource_values_are_read_and_checked() {
        let config = Config::parse(
            "fix:\n  resources:\n    requests: { cpu: 100m }\n    limits: { memory: 256Mi }\n",
            "c",
        )
        .unwrap();
        assert_eq!(config.fix.resources.requests["cpu"], "100m");
        assert_eq!(config.fix.resources.limits["memory"], "256Mi");
        let err = Config::parse("fix:\n  resources:\n    limits: { gpu: '1' }\n", "c").unwrap_err();
        assert!(err.contains("`gpu` is not a resource"), "{err}");
        let err =
            Config::parse("fix:\n  resources:\n    requests: { cpu: '' }\n", "c").unwrap_err();
        assert!(err.contains("needs a quantity"), "{err}");
    }

    #[test]
    fn unknown_controls_fields_and_values_are_errors() {
        let err = Config::parse("controls:\n  disable: [POD-999]\n", ".palisade.yaml").unwrap_err();
        assert!(err.contains("unknown control `POD-999`"), "{err}");
        let err = Config::parse("control:\n  disable: []\n", ".palisade.yaml").unwrap_err();
        assert!(err.contains("unknown field"), "{err}");
        let err = Config::parse(
            "exceptions:\n  - controls: [POD-001]\n    reason: ''\n",
            "c",
        )
        .unwrap_err();
        assert!(err.contains("reason"), "{err}");
        let err = Config::parse(
            "exceptions:\n  - controls: [POD-001]\n    reason: x\n    expires: soon\n",
            "c",
        )
        .unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
    }
}
