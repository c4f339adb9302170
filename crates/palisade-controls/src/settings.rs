//! Settings the checks read: target Kubernetes version, registry allow-list, custom workloads.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor version, e.g. 1.25.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    /// The newest Kubernetes release this catalog knows about; the default target.
    pub const LATEST: KubeVersion = KubeVersion::new(1, 37);

    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = String;
    /// Accepts `1.25`, `v1.25`, `1.25.3` and `v1.25.3-gke.100`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("invalid Kubernetes version `{s}` (expected e.g. 1.29)");
        let trimmed = s.trim().trim_start_matches('v');
        let mut parts = trimmed.split('.');
        let major = parts.next().and_then(|p| p.parse().ok()).ok_or_else(bad)?;
        let minor_text = parts.next().ok_or_else(bad)?;
        let digits: String = minor_text
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let minor = digits.parse().map_err(|_| bad())?;
        Ok(KubeVersion { major, minor })
    }
}

/// A kind that carries a pod template, declared in the config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkloadKind {
    /// API group (empty for core), or `*` for any group.
    pub group: String,
    pub kind: String,
    /// Dotted path of the pod spec, e.g. `spec.template.spec`.
    pub pod_spec_path: Vec<String>,
}

/// Container resource values the user chose for `palisade fix` (config `fix.resources`): with
/// one set, RES-001 to RES-004 attach a fix that writes it; without, the finding needs input.
/// Keys are resource names (`cpu`, `memory`), values Kubernetes quantities as written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceValues {
    pub requests: BTreeMap<String, String>,
    pub limits: BTreeMap<String, String>,
}

/// The lists that replace `*` in the rules of one Role or ClusterRole (config `fix.rbac`):
/// what its subjects actually use. A list left empty replaces nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleValues {
    pub verbs: Vec<String>,
    pub resources: Vec<String>,
    pub api_groups: Vec<String>,
}

/// [`RuleValues`] per role, keyed `ClusterRole/<name>`, `Role/<namespace>/<name>`, or
/// `Role/<name>` for a Role of that name in any namespace. With a role's lists set, RBAC-001
/// attaches a fix that writes them in place of its wildcards; without, the finding needs input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RbacValues {
    pub roles: BTreeMap<String, RuleValues>,
}

impl RbacValues {
    /// The lists configured for a role of `kind` (`Role` or `ClusterRole`): the namespaced key
    /// first, then the bare name for a Role.
    pub fn for_role(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<&RuleValues> {
        let exact = match (kind, namespace) {
            ("Role", Some(ns)) => format!("Role/{ns}/{name}"),
            _ => format!("{kind}/{name}"),
        };
        self.roles
            .get(&exact)
            .or_else(|| (kind == "Role").then(|| self.roles.get(&format!("Role/{name}")))?)
    }
}

/// The images the user chose to run instead of others (config `fix.images`), keyed by the
/// image as manifests write it: the exact reference (`nginx:latest`) or its name without tag or
/// digest (`nginx`, matching every tag). IMG-001, IMG-002 and IMG-004 attach a fix that writes
/// the replacement when it resolves their finding; without one, the finding needs input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageValues {
    pub images: BTreeMap<String, String>,
}

impl ImageValues {
    /// The replacement for `image`: by the exact reference first, then by its name.
    pub fn replacement(&self, image: &str) -> Option<&str> {
        let image = image.trim();
        self.images
            .get(image)
            .or_else(|| self.images.get(image_name(image)))
            .map(String::as_str)
    }
}

/// A reference without its tag and digest, as written (`registry:5000/app:1@sha256:…` →
/// `registry:5000/app`): a colon followed by a `/` belongs to a registry's port.
fn image_name(image: &str) -> &str {
    let name = image.split_once('@').map_or(image, |(name, _)| name);
    match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => &name[..i],
        _ => name,
    }
}

/// What the checks may be configured with.
#[derive(Clone, Debug)]
pub struct Settings {
    pub kube_version: KubeVersion,
    /// Registries images may come from (`IMG-004`); empty means the control is not evaluated.
    pub allowed_registries: Vec<String>,
    /// Workload kinds beyond the built-in ones.
    pub workload_kinds: Vec<WorkloadKind>,
    /// Whether the inventory holds every object of a cluster (a cluster scan) rather than the
    /// files a person pointed at. Checks that report something *missing* (a role that no
    /// binding uses, a binding whose role does not exist) judge only complete inventories: in
    /// a folder of manifests the other half may simply live elsewhere.
    pub inventory_complete: bool,
    /// The day of the scan, for checks that compare dates (a Kubernetes release's end of life).
    pub today: jiff::civil::Date,
    pub fix_resources: ResourceValues,
    pub fix_rbac: RbacValues,
    pub fix_images: ImageValues,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            kube_version: KubeVersion::LATEST,
            allowed_registries: Vec::new(),
            workload_kinds: Vec::new(),
            inventory_complete: false,
            today: jiff::Zoned::now().date(),
            fix_resources: ResourceValues::default(),
            fix_rbac: RbacValues::default(),
            fix_images: ImageValues::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_replacements_match_the_exact_reference_before_the_name() {
        let values = ImageValues {
            images: [
                ("nginx", "mirror.example.com/nginx:1.27.3"),
                ("nginx:1.25", "mirror.example.com/nginx:1.25.5"),
                ("registry:5000/app", "registry:5000/app:2.0"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        };
        assert_eq!(
            values.replacement("nginx"),
            Some("mirror.example.com/nginx:1.27.3")
        );
        assert_eq!(
            values.replacement(" nginx:latest "),
            Some("mirror.example.com/nginx:1.27.3")
        );
        assert_eq!(
            values.replacement("nginx:1.25"),
            Some("mirror.example.com/nginx:1.25.5")
        );
        assert_eq!(
            values.replacement("nginx@sha256:abc"),
            Some("mirror.example.com/nginx:1.27.3")
        );
        // The port's colon is not a tag.
        assert_eq!(
            values.replacement("registry:5000/app"),
            Some("registry:5000/app:2.0")
        );
        assert_eq!(
            values.replacement("registry:5000/app:1"),
            Some("registry:5000/app:2.0")
        );
        assert_eq!(values.replacement("registry:5000/other"), None);
        assert_eq!(values.replacement("library/nginx"), None);
    }

    #[test]
    fn parses_version_spellings() {
        assert_eq!("1.25".parse(), Ok(KubeVersion::new(1, 25)));
        assert_eq!("v1.29.3".parse(), Ok(KubeVersion::new(1, 29)));
        assert_eq!("v1.30+k3s1".parse(), Ok(KubeVersion::new(1, 30)));
        assert!("banana".parse::<KubeVersion>().is_err());
    }
}
