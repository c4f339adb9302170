//! The resource types the fake serves: a built-in table of standard Kubernetes kinds, plus types
//! registered at run time from CustomResourceDefinitions and from objects of unknown kinds.

use std::collections::{BTreeMap, HashMap};

/// Verbs of an ordinary, fully served resource.
const ALL: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
/// Verbs of a resource that cannot be deleted as a collection (namespaces).
const NO_COLLECTION: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
/// Verbs of a create-only "review" resource.
const CREATE_ONLY: &[&str] = &["create"];
const GET_LIST: &[&str] = &["get", "list"];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

/// A subresource as discovery describes it.
#[derive(Debug, Clone)]
pub(crate) struct SubResource {
    pub name: String,
    /// Group, version and kind of what the subresource returns, when it differs from the parent.
    pub response: Option<(String, String, String)>,
    pub verbs: Vec<String>,
}

/// One served group/version/resource.
#[derive(Debug, Clone)]
pub(crate) struct ResourceType {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub namespaced: bool,
    pub verbs: Vec<String>,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub subresources: Vec<SubResource>,
    /// Index of the object storage (shared by every version of one group/resource).
    pub storage: usize,
}

impl ResourceType {
    /// `v1` for the core group, `group/version` otherwise.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

/// Built-in entry: group, version, kind, plural, namespaced, verbs, short names, categories,
/// subresources (name, response kind as "group/version/Kind" or "" for the parent kind, verbs).
type Builtin = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
    &'static [(&'static str, &'static str, &'static [&'static str])],
);

const STATUS: (&str, &str, &[&str]) = ("status", "", STATUS_VERBS);
const SCALE: (&str, &str, &[&str]) = ("scale", "autoscaling/v1/Scale", STATUS_VERBS);
const PROXY_VERBS: &[&str] = &["create", "delete", "get", "patch", "update"];

#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    ("", "v1", "Binding", "bindings", true, CREATE_ONLY, &[], &[], &[]),
    ("", "v1", "ComponentStatus", "componentstatuses", false, GET_LIST, &["cs"], &[], &[]),
    ("", "v1", "ConfigMap", "configmaps", true, ALL, &["cm"], &[], &[]),
    ("", "v1", "Endpoints", "endpoints", true, ALL, &["ep"], &[], &[]),
    ("", "v1", "Event", "events", true, ALL, &["ev"], &[], &[]),
    ("", "v1", "LimitRange", "limitranges", true, ALL, &["limits"], &[], &[]),
    ("", "v1", "Namespace", "namespaces", false, NO_COLLECTION, &["ns"], &[],
        &[("finalize", "", &["update"]), STATUS]),
    ("", "v1", "Node", "nodes", false, ALL, &["no"], &[],
        &[("proxy", "/v1/NodeProxyOptions", PROXY_VERBS), STATUS]),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, ALL, &["pvc"], &[], &[STATUS]),
    ("", "v1", "PersistentVolume", "persistentvolumes", false, ALL, &["pv"], &[], &[STATUS]),
    ("", "v1", "Pod", "pods", true, ALL, &["po"], &["all"], &[
        ("attach", "/v1/PodAttachOptions", &["create", "get"]),
        ("binding", "/v1/Binding", CREATE_ONLY),
        ("ephemeralcontainers", "", STATUS_VERBS),
        ("eviction", "policy/v1/Eviction", CREATE_ONLY),
        ("exec", "/v1/PodExecOptions", &["create", "get"]),
        ("log", "", &["get"]),
        ("portforward", "/v1/PodPortForwardOptions", &["create", "get"]),
        ("proxy", "/v1/PodProxyOptions", PROXY_VERBS),
        ("resize", "", STATUS_VERBS),
        STATUS,
    ]),
    ("", "v1", "PodTemplate", "podtemplates", true, ALL, &[], &[], &[]),
    ("", "v1", "ReplicationController", "replicationcontrollers", true, ALL, &["rc"], &["all"], &[SCALE, STATUS]),
    ("", "v1", "ResourceQuota", "resourcequotas", true, ALL, &["quota"], &[], &[STATUS]),
    ("", "v1", "Secret", "secrets", true, ALL, &[], &[], &[]),
    ("", "v1", "ServiceAccount", "serviceaccounts", true, ALL, &["sa"], &[],
        &[("token", "authentication.k8s.io/v1/TokenRequest", CREATE_ONLY)]),
    ("", "v1", "Service", "services", true, ALL, &["svc"], &["all"],
        &[("proxy", "/v1/ServiceProxyOptions", PROXY_VERBS), STATUS]),
    ("apiregistration.k8s.io", "v1", "APIService", "apiservices", false, ALL, &[], &["api-extensions"], &[STATUS]),
    ("apps", "v1", "ControllerRevision", "controllerrevisions", true, ALL, &[], &[], &[]),
    ("apps", "v1", "DaemonSet", "daemonsets", true, ALL, &["ds"], &["all"], &[STATUS]),
    ("apps", "v1", "Deployment", "deployments", true, ALL, &["deploy"], &["all"], &[SCALE, STATUS]),
    ("apps", "v1", "ReplicaSet", "replicasets", true, ALL, &["rs"], &["all"], &[SCALE, STATUS]),
    ("apps", "v1", "StatefulSet", "statefulsets", true, ALL, &["sts"], &["all"], &[SCALE, STATUS]),
    ("events.k8s.io", "v1", "Event", "events", true, ALL, &["ev"], &[], &[]),
    ("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false, CREATE_ONLY, &[], &[], &[]),
    ("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false, CREATE_ONLY, &[], &[], &[]),
    ("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", true, CREATE_ONLY, &[], &[], &[]),
    ("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, CREATE_ONLY, &[], &[], &[]),
    ("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, CREATE_ONLY, &[], &[], &[]),
    ("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", false, CREATE_ONLY, &[], &[], &[]),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ALL, &["hpa"], &["all"], &[STATUS]),
    ("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ALL, &["hpa"], &["all"], &[STATUS]),
    ("batch", "v1", "CronJob", "cronjobs", true, ALL, &["cj"], &["all"], &[STATUS]),
    ("batch", "v1", "Job", "jobs", true, ALL, &[], &["all"], &[STATUS]),
    ("certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", false, ALL, &["csr"], &[],
        &[("approval", "", STATUS_VERBS), STATUS]),
    ("networking.k8s.io", "v1", "IngressClass", "ingressclasses", false, ALL, &[], &[], &[]),
    ("networking.k8s.io", "v1", "Ingress", "ingresses", true, ALL, &["ing"], &[], &[STATUS]),
    ("networking.k8s.io", "v1", "IPAddress", "ipaddresses", false, ALL, &["ip"], &[], &[]),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, ALL, &["netpol"], &[], &[]),
    ("networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", false, ALL, &[], &[], &[STATUS]),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, ALL, &["pdb"], &[], &[STATUS]),
    ("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, ALL, &[], &[], &[]),
    ("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, ALL, &[], &[], &[]),
    ("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, ALL, &[], &[], &[]),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true, ALL, &[], &[], &[]),
    ("storage.k8s.io", "v1", "CSIDriver", "csidrivers", false, ALL, &[], &[], &[]),
    ("storage.k8s.io", "v1", "CSINode", "csinodes", false, ALL, &[], &[], &[]),
    ("storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", true, ALL, &[], &[], &[]),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, ALL, &["sc"], &[], &[]),
    ("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", false, ALL, &[], &[], &[STATUS]),
    ("storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses", false, ALL, &["vac"], &[], &[]),
    ("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", false, ALL, &[], &["api-extensions"], &[]),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", false, ALL, &[], &["api-extensions"], &[STATUS]),
    ("admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", false, ALL, &[], &["api-extensions"], &[]),
    ("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", false, ALL, &[], &["api-extensions"], &[]),
    ("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, ALL, &["crd", "crds"], &["api-extensions"], &[STATUS]),
    ("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, ALL, &["pc"], &[], &[]),
    ("coordination.k8s.io", "v1", "Lease", "leases", true, ALL, &[], &[], &[]),
    ("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", false, ALL, &[], &[], &[]),
    ("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, ALL, &[], &[], &[]),
    ("flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", false, ALL, &[], &[], &[STATUS]),
    ("flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", "prioritylevelconfigurations", false, ALL, &[], &[], &[STATUS]),
    ("resource.k8s.io", "v1", "DeviceClass", "deviceclasses", false, ALL, &[], &[], &[]),
    ("resource.k8s.io", "v1", "ResourceClaim", "resourceclaims", true, ALL, &[], &[], &[STATUS]),
    ("resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates", true, ALL, &[], &[], &[]),
    ("resource.k8s.io", "v1", "ResourceSlice", "resourceslices", false, ALL, &[], &[], &[]),
    ("gateway.networking.k8s.io", "v1", "GatewayClass", "gatewayclasses", false, ALL, &["gc"], &["gateway-api"], &[STATUS]),
    ("gateway.networking.k8s.io", "v1", "Gateway", "gateways", true, ALL, &["gtw"], &["gateway-api"], &[STATUS]),
    ("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes", true, ALL, &[], &["gateway-api"], &[STATUS]),
    ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", true, ALL, &[], &["gateway-api"], &[STATUS]),
];

/// The order in which a real API server lists its built-in groups under `/apis`.
const GROUP_ORDER: &[&str] = &[
    "apiregistration.k8s.io",
    "apps",
    "events.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "networking.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "node.k8s.io",
    "discovery.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
];

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_string()).collect()
}

/// English plural of a lowercase kind, by the same rules clients use to guess a plural.
pub(crate) fn pluralize(kind_lower: &str) -> String {
    if kind_lower.ends_with("endpoints") {
        return kind_lower.to_string();
    }
    if ["s", "x", "z", "ch", "sh"]
        .iter()
        .any(|end| kind_lower.ends_with(end))
    {
        return format!("{kind_lower}es");
    }
    if let Some(stem) = kind_lower.strip_suffix('y')
        && let Some(before) = stem.chars().last()
        && !matches!(before, 'a' | 'e' | 'i' | 'o' | 'u')
    {
        return format!("{stem}ies");
    }
    format!("{kind_lower}s")
}

/// Sort key putting versions in Kubernetes priority order: GA before beta before alpha, higher
/// major first, then other strings alphabetically.
fn version_priority(v: &str) -> (u8, i64, i64, String) {
    let parse = || -> Option<(u8, i64, i64)> {
        let rest = v.strip_prefix('v')?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let major: i64 = digits.parse().ok()?;
        let tail = &rest[digits.len()..];
        if tail.is_empty() {
            return Some((0, -major, 0));
        }
        let (level, num) = if let Some(n) = tail.strip_prefix("beta") {
            (1, n)
        } else if let Some(n) = tail.strip_prefix("alpha") {
            (2, n)
        } else {
            return None;
        };
        let minor: i64 = num.parse().ok()?;
        Some((level, -major, -minor))
    };
    match parse() {
        Some((level, major, minor)) => (level, major, minor, String::new()),
        None => (3, 0, 0, v.to_string()),
    }
}

/// All served types and the storages behind them.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    pub types: Vec<ResourceType>,
    by_gvr: HashMap<(String, String, String), usize>,
    by_gvk: HashMap<(String, String, String), usize>,
    by_gk: HashMap<(String, String), usize>,
    /// (group, plural) of each storage.
    pub storages: Vec<(String, String)>,
    storage_by_gr: HashMap<(String, String), usize>,
}

/// Whether a resource is one of the built-in kinds (not a custom or derived one).
pub(crate) fn is_builtin(group: &str, plural: &str) -> bool {
    BUILTINS.iter().any(|b| b.0 == group && b.3 == plural)
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut reg = Registry::default();
        for &(group, version, kind, plural, namespaced, verbs, short, cats, subs) in BUILTINS {
            let subresources = subs
                .iter()
                .map(|&(name, response, verbs)| SubResource {
                    name: name.to_string(),
                    response: if response.is_empty() {
                        None
                    } else {
                        let mut parts = response.rsplitn(3, '/');
                        let kind = parts.next().unwrap_or_default().to_string();
                        let version = parts.next().unwrap_or_default().to_string();
                        let group = parts.next().unwrap_or_default().to_string();
                        Some((group, version, kind))
                    },
                    verbs: strings(verbs),
                })
                .collect();
            reg.add(ResourceType {
                group: group.to_string(),
                version: version.to_string(),
                plural: plural.to_string(),
                singular: kind.to_ascii_lowercase(),
                kind: kind.to_string(),
                namespaced,
                verbs: strings(verbs),
                short_names: strings(short),
                categories: strings(cats),
                subresources,
                storage: 0,
            });
        }
        reg
    }

    /// Adds (or replaces) a served type; returns its index.
    pub fn add(&mut self, mut ty: ResourceType) -> usize {
        let gr = (ty.group.clone(), ty.plural.clone());
        ty.storage = match self.storage_by_gr.get(&gr) {
            Some(&s) => s,
            None => {
                self.storages.push(gr.clone());
                self.storage_by_gr.insert(gr, self.storages.len() - 1);
                self.storages.len() - 1
            }
        };
        let gvr = (ty.group.clone(), ty.version.clone(), ty.plural.clone());
        let gvk = (ty.group.clone(), ty.version.clone(), ty.kind.clone());
        let gk = (ty.group.clone(), ty.kind.clone());
        let idx = match self.by_gvr.get(&gvr) {
            Some(&i) => {
                self.types[i] = ty;
                i
            }
            None => {
                self.types.push(ty);
                self.types.len() - 1
            }
        };
        self.by_gvr.insert(gvr, idx);
        self.by_gvk.insert(gvk, idx);
        self.by_gk.entry(gk).or_insert(idx);
        idx
    }

    pub fn storage_count(&self) -> usize {
        self.storages.len()
    }

    pub fn by_path(&self, group: &str, version: &str, plural: &str) -> Option<usize> {
        self.by_gvr
            .get(&(group.to_string(), version.to_string(), plural.to_string()))
            .copied()
    }

    /// The type an object of this apiVersion/kind is stored as: the exact group/version/kind, or
    /// the same group and kind in another served version.
    pub fn for_object(&self, group: &str, version: &str, kind: &str) -> Option<usize> {
        self.by_gvk
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .or_else(|| self.by_gk.get(&(group.to_string(), kind.to_string())))
            .copied()
    }

    /// The storage of a group and plural.
    pub fn storage_of(&self, group: &str, plural: &str) -> Option<usize> {
        self.storage_by_gr
            .get(&(group.to_string(), plural.to_string()))
            .copied()
    }

    /// Registers the types a CustomResourceDefinition serves.
    pub fn add_crd(&mut self, crd: &serde_json::Value) -> Result<(), String> {
        let spec = crd
            .get("spec")
            .ok_or("CustomResourceDefinition has no spec")?;
        let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
        let group = text(spec.get("group")).ok_or("CustomResourceDefinition has no spec.group")?;
        let names = spec
            .get("names")
            .ok_or("CustomResourceDefinition has no spec.names")?;
        let kind =
            text(names.get("kind")).ok_or("CustomResourceDefinition has no spec.names.kind")?;
        let plural =
            text(names.get("plural")).unwrap_or_else(|| pluralize(&kind.to_ascii_lowercase()));
        let singular = text(names.get("singular")).unwrap_or_else(|| kind.to_ascii_lowercase());
        let list = |v: Option<&serde_json::Value>| -> Vec<String> {
            v.and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let short_names = list(names.get("shortNames"));
        let categories = list(names.get("categories"));
        let namespaced = text(spec.get("scope")).as_deref() != Some("Cluster");
        let versions = spec
            .get("versions")
            .and_then(|v| v.as_array())
            .ok_or("CustomResourceDefinition has no spec.versions")?;
        for v in versions {
            let Some(name) = text(v.get("name")) else {
                return Err("a CustomResourceDefinition version has no name".into());
            };
            if v.get("served").and_then(|s| s.as_bool()) == Some(false) {
                continue;
            }
            let mut subresources = Vec::new();
            if let Some(subs) = v.get("subresources") {
                if subs.get("scale").is_some() {
                    subresources.push(SubResource {
                        name: "scale".into(),
                        response: Some(("autoscaling".into(), "v1".into(), "Scale".into())),
                        verbs: strings(STATUS_VERBS),
                    });
                }
                if subs.get("status").is_some() {
                    subresources.push(SubResource {
                        name: "status".into(),
                        response: None,
                        verbs: strings(STATUS_VERBS),
                    });
                }
            }
            self.add(ResourceType {
                group: group.clone(),
                version: name,
                plural: plural.clone(),
                singular: singular.clone(),
                kind: kind.clone(),
                namespaced,
                verbs: strings(ALL),
                short_names: short_names.clone(),
                categories: categories.clone(),
                subresources,
                storage: 0,
            });
        }
        Ok(())
    }

    /// Registers a type for an object of an apiVersion/kind nobody declared: plural derived from
    /// the kind, namespaced if the object has a namespace.
    pub fn add_derived(
        &mut self,
        group: &str,
        version: &str,
        kind: &str,
        namespaced: bool,
    ) -> usize {
        let lower = kind.to_ascii_lowercase();
        self.add(ResourceType {
            group: group.to_string(),
            version: version.to_string(),
            plural: pluralize(&lower),
            singular: lower,
            kind: kind.to_string(),
            namespaced,
            verbs: strings(ALL),
            short_names: Vec::new(),
            categories: Vec::new(),
            subresources: Vec::new(),
            storage: 0,
        })
    }

    /// Served versions of a group, preferred first.
    pub fn group_versions(&self, group: &str) -> Vec<String> {
        let mut versions: Vec<String> = Vec::new();
        for t in self.types.iter().filter(|t| t.group == group) {
            if !versions.contains(&t.version) {
                versions.push(t.version.clone());
            }
        }
        versions.sort_by_key(|v| version_priority(v));
        versions
    }

    /// The non-core groups, in the order a real server lists them.
    pub fn groups(&self) -> Vec<String> {
        let mut seen: BTreeMap<String, ()> = BTreeMap::new();
        for t in &self.types {
            if !t.group.is_empty() {
                seen.insert(t.group.clone(), ());
            }
        }
        let mut out: Vec<String> = GROUP_ORDER
            .iter()
            .filter(|g| seen.contains_key(**g))
            .map(|g| (*g).to_string())
            .collect();
        out.extend(
            seen.into_keys()
                .filter(|g| !GROUP_ORDER.contains(&g.as_str())),
        );
        out
    }

    /// Types served under one group/version, in name order.
    pub fn types_in(&self, group: &str, version: &str) -> Vec<&ResourceType> {
        let mut v: Vec<&ResourceType> = self
            .types
            .iter()
            .filter(|t| t.group == group && t.version == version)
            .collect();
        v.sort_by(|a, b| a.plural.cmp(&b.plural));
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_english_rules() {
        assert_eq!(pluralize("widget"), "widgets");
        assert_eq!(pluralize("policy"), "policies");
        assert_eq!(pluralize("gateway"), "gateways");
        assert_eq!(pluralize("ingress"), "ingresses");
        assert_eq!(pluralize("box"), "boxes");
        assert_eq!(pluralize("endpoints"), "endpoints");
    }

    #[test]
    fn versions_sort_by_kubernetes_priority() {
        let mut v = vec!["v1alpha1", "v1beta1", "v2", "v1", "v2beta2", "foo"];
        v.sort_by_key(|s| version_priority(s));
        assert_eq!(v, ["v2", "v1", "v2beta2", "v1beta1", "v1alpha1", "foo"]);
    }

    #[test]
    fn multi_version_types_share_storage() {
        let reg = Registry::with_builtins();
        let v2 = reg
            .by_path("autoscaling", "v2", "horizontalpodautoscalers")
            .unwrap();
        let v1 = reg
            .by_path("autoscaling", "v1", "horizontalpodautoscalers")
            .unwrap();
        assert_ne!(v1, v2);
        assert_eq!(reg.types[v1].storage, reg.types[v2].storage);
        assert_eq!(reg.group_versions("autoscaling"), ["v2", "v1"]);
        let deploy = reg.by_path("apps", "v1", "deployments").unwrap();
        let scale = &reg.types[deploy].subresources[0];
        assert_eq!(scale.response.as_ref().unwrap().0, "autoscaling");
        let pods = reg.by_path("", "v1", "pods").unwrap();
        let exec = reg.types[pods]
            .subresources
            .iter()
            .find(|s| s.name == "exec")
            .unwrap();
        assert_eq!(
            exec.response.as_ref().unwrap(),
            &(String::new(), "v1".into(), "PodExecOptions".into())
        );
    }
}
