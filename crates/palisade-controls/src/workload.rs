//! Finding the pod spec inside any workload, and walking its containers.
//!
//! Every pod-level control goes through [`pod_spec`], so Deployments, CronJobs, Argo Rollouts
//! and kinds declared in the config file are all judged the same way a bare Pod is.

use std::collections::HashMap;

use palisade_core::{Node, ObjectPath, Resource, TypeError};

use crate::control::{Context, ReadScope, Reads};

/// Built-in kinds with a pod template: (API group, kind, path to the pod spec). The pod
/// template's metadata sits beside the spec (`…template.metadata`), except for a Pod itself.
const BUILT_IN: &[(&str, &str, &[&str])] = &[
    ("", "Pod", &["spec"]),
    ("", "PodTemplate", &["template", "spec"]),
    ("", "ReplicationController", &["spec", "template", "spec"]),
    ("apps", "Deployment", &["spec", "template", "spec"]),
    ("apps", "ReplicaSet", &["spec", "template", "spec"]),
    ("apps", "StatefulSet", &["spec", "template", "spec"]),
    ("apps", "DaemonSet", &["spec", "template", "spec"]),
    ("extensions", "Deployment", &["spec", "template", "spec"]),
    ("extensions", "ReplicaSet", &["spec", "template", "spec"]),
    ("extensions", "DaemonSet", &["spec", "template", "spec"]),
    ("batch", "Job", &["spec", "template", "spec"]),
    (
        "batch",
        "CronJob",
        &["spec", "jobTemplate", "spec", "template", "spec"],
    ),
    // Common custom workloads.
    ("argoproj.io", "Rollout", &["spec", "template", "spec"]),
    (
        "serving.knative.dev",
        "Service",
        &["spec", "template", "spec"],
    ),
    (
        "serving.knative.dev",
        "Configuration",
        &["spec", "template", "spec"],
    ),
    ("apps.kruise.io", "CloneSet", &["spec", "template", "spec"]),
    (
        "apps.kruise.io",
        "StatefulSet",
        &["spec", "template", "spec"],
    ),
    ("apps.kruise.io", "DaemonSet", &["spec", "template", "spec"]),
    (
        "apps.kruise.io",
        "BroadcastJob",
        &["spec", "template", "spec"],
    ),
    (
        "apps.kruise.io",
        "AdvancedCronJob",
        &[
            "spec",
            "template",
            "broadcastJobTemplate",
            "spec",
            "template",
            "spec",
        ],
    ),
];

/// The built-in workload kinds, as kinds a check reads, at `scope`. Kinds declared in the
/// config file cannot be listed: [`Reads`] are known when the program is built.
pub(crate) const fn built_in_reads(scope: ReadScope) -> [Reads; 20] {
    [
        Reads {
            group: "",
            kind: "Pod",
            scope,
        },
        Reads {
            group: "",
            kind: "PodTemplate",
            scope,
        },
        Reads {
            group: "",
            kind: "ReplicationController",
            scope,
        },
        Reads {
            group: "apps",
            kind: "Deployment",
            scope,
        },
        Reads {
            group: "apps",
            kind: "ReplicaSet",
            scope,
        },
        Reads {
            group: "apps",
            kind: "StatefulSet",
            scope,
        },
        Reads {
            group: "apps",
            kind: "DaemonSet",
            scope,
        },
        Reads {
            group: "extensions",
            kind: "Deployment",
            scope,
        },
        Reads {
            group: "extensions",
            kind: "ReplicaSet",
            scope,
        },
        Reads {
            group: "extensions",
            kind: "DaemonSet",
            scope,
        },
        Reads {
            group: "batch",
            kind: "Job",
            scope,
        },
        Reads {
            group: "batch",
            kind: "CronJob",
            scope,
        },
        Reads {
            group: "argoproj.io",
            kind: "Rollout",
            scope,
        },
        Reads {
            group: "serving.knative.dev",
            kind: "Service",
            scope,
        },
        Reads {
            group: "serving.knative.dev",
            kind: "Configuration",
            scope,
        },
        Reads {
            group: "apps.kruise.io",
            kind: "CloneSet",
            scope,
        },
        Reads {
            group: "apps.kruise.io",
            kind: "StatefulSet",
            scope,
        },
        Reads {
            group: "apps.kruise.io",
            kind: "DaemonSet",
            scope,
        },
        Reads {
            group: "apps.kruise.io",
            kind: "BroadcastJob",
            scope,
        },
        Reads {
            group: "apps.kruise.io",
            kind: "AdvancedCronJob",
            scope,
        },
    ]
}

/// Where the pod spec of a resource is, if it has one.
fn pod_spec_path(cx: &Context<'_>, resource: &Resource) -> Option<Vec<String>> {
    pod_spec_path_of(cx, resource.id.group(), resource.kind())
}

/// Where the pod spec of objects of `group`/`kind` is, if they have one.
fn pod_spec_path_of(cx: &Context<'_>, group: &str, kind: &str) -> Option<Vec<String>> {
    if let Some((_, _, path)) = BUILT_IN.iter().find(|(g, k, _)| *g == group && *k == kind) {
        return Some(path.iter().map(|s| s.to_string()).collect());
    }
    cx.settings
        .workload_kinds
        .iter()
        .find(|w| w.kind == kind && (w.group == "*" || w.group == group))
        .map(|w| w.pod_spec_path.clone())
}

/// The kinds whose `spec.replicas` says how many pods run, as (API group, kind); every API
/// version counts.
const REPLICATED_KINDS: &[(&str, &str)] = &[
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "ReplicaSet"),
    ("extensions", "Deployment"),
    ("extensions", "ReplicaSet"),
];

/// Whether the resource's kind runs `spec.replicas` copies of its pod.
pub fn has_replicas(resource: &Resource) -> bool {
    REPLICATED_KINDS.contains(&(resource.id.group(), resource.kind()))
}

/// `spec.replicas` as written (unset means one pod to Kubernetes).
pub fn replicas(resource: &Resource) -> Result<Option<i64>, TypeError> {
    match resource.root.map_field("spec")? {
        Some(spec) => spec.int_field("replicas"),
        None => Ok(None),
    }
}

/// Whether the resource runs its pod more than once: a replicated kind asking for two or more
/// replicas, or a DaemonSet (one pod per node). An unreadable count is not taken as several.
pub fn runs_several_pods(resource: &Resource) -> bool {
    if resource.id.group() == "apps" && resource.kind() == "DaemonSet" {
        return true;
    }
    has_replicas(resource) && replicas(resource).ok().flatten().is_some_and(|n| n > 1)
}

/// Whether the resource is a workload (carries a pod spec).
pub fn is_workload(cx: &Context<'_>, resource: &Resource) -> bool {
    pod_spec_path(cx, resource).is_some()
}

/// Whether another workload controls this one: a ReplicaSet of a Deployment, a Job of a
/// CronJob, the Pods of any of them (an `ownerReferences` entry naming a workload kind). Such
/// an object repeats its owner's pod template. An owner of another kind (a Node for a static
/// pod's mirror, an operator's custom resource) does not count. See also
/// [`controlled_by_scanned_workload`], which also asks that the owner be in the scan.
pub fn owned_by_workload(cx: &Context<'_>, resource: &Resource) -> Result<bool, TypeError> {
    workload_owner(cx, resource, false)
}

/// Whether a workload of the scan controls this one (an `ownerReferences` entry with
/// `controller: true` naming a workload that is in the inventory), as the engine decides which
/// objects it judges through their owner. Checks that judge what a workload *is* (exposed,
/// isolated, admissible) judge the owner alone, so one finding stands for the whole chain; an
/// object whose owner is not in the scan is judged itself, since nothing else would be.
pub fn controlled_by_scanned_workload(
    cx: &Context<'_>,
    resource: &Resource,
) -> Result<bool, TypeError> {
    workload_owner(cx, resource, true)
}

fn workload_owner(
    cx: &Context<'_>,
    resource: &Resource,
    controller_in_scan: bool,
) -> Result<bool, TypeError> {
    let Some(metadata) = resource.root.map_field("metadata")? else {
        return Ok(false);
    };
    for owner in metadata.seq_field("ownerReferences")? {
        let owner = owner.expect_map("ownerReferences")?;
        let (Some(api_version), Some(kind)) =
            (owner.str_field("apiVersion")?, owner.str_field("kind")?)
        else {
            continue;
        };
        let group = api_version.split_once('/').map_or("", |(group, _)| group);
        if pod_spec_path_of(cx, group, kind).is_none() {
            continue;
        }
        if !controller_in_scan {
            return Ok(true);
        }
        let scanned = match owner.str_field("name")? {
            Some(name) => cx
                .find(group, kind, resource.id.namespace.as_deref(), name)
                .is_some(),
            None => false,
        };
        if owner.bool_field("controller")? == Some(true) && scanned {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The workloads that no other workload controls, by namespace, as inventory positions.
struct TopLevelByNamespace(HashMap<String, Vec<u32>>);

/// The workloads of `namespace` that no other workload controls, in inventory order. The
/// lookup is built once per scan, so asking for every namespace stays linear. An object whose
/// `ownerReferences` cannot be read counts as not controlled.
pub(crate) fn top_level_workloads_in<'a>(cx: &Context<'a>, namespace: &str) -> Vec<&'a Resource> {
    let lookup = cx.index.derived(|| {
        let mut by_namespace: HashMap<String, Vec<u32>> = HashMap::new();
        for (position, resource) in cx.inventory.resources.iter().enumerate() {
            let (Some(ns), Ok(position)) = (&resource.id.namespace, u32::try_from(position)) else {
                continue;
            };
            if is_workload(cx, resource)
                && !controlled_by_scanned_workload(cx, resource).unwrap_or(false)
            {
                by_namespace.entry(ns.clone()).or_default().push(position);
            }
        }
        TopLevelByNamespace(by_namespace)
    });
    lookup
        .0
        .get(namespace)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|&position| cx.index.at(position))
        .collect()
}

/// A pod spec inside a resource, with the paths needed to report on it.
#[derive(Clone, Debug)]
pub struct PodSpec<'a> {
    pub spec: &'a Node,
    pub path: ObjectPath,
    /// The pod's metadata: the object's own for a Pod, the template's for a workload.
    pub metadata: Option<&'a Node>,
    pub metadata_path: ObjectPath,
}

/// The resource's pod spec. `Ok(None)` when the kind has none or the template is absent;
/// an error when a step of the path has the wrong type.
pub fn pod_spec<'a>(
    cx: &Context<'_>,
    resource: &'a Resource,
) -> Result<Option<PodSpec<'a>>, TypeError> {
    let Some(steps) = pod_spec_path(cx, resource) else {
        return Ok(None);
    };
    let mut node = &resource.root;
    let mut path = ObjectPath::root();
    let mut parent = None;
    let mut parent_path = ObjectPath::root();
    for step in &steps {
        let Some(next) = node.map_field(step)? else {
            return Ok(None);
        };
        parent = Some(node);
        parent_path = path.clone();
        node = next;
        path = path.key(step);
    }
    let metadata_holder = parent.unwrap_or(&resource.root);
    let metadata = metadata_holder.map_field("metadata")?;
    Ok(Some(PodSpec {
        spec: node,
        path,
        metadata,
        metadata_path: parent_path.key("metadata"),
    }))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Init,
    Regular,
    Ephemeral,
}

impl ContainerKind {
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Init => "initContainers",
            ContainerKind::Regular => "containers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }

    /// How a message names a container of this kind.
    pub fn noun(self) -> &'static str {
        match self {
            ContainerKind::Init => "init container",
            ContainerKind::Regular => "container",
            ContainerKind::Ephemeral => "ephemeral container",
        }
    }
}

/// A `securityContext` (if set), its path, and whom it belongs to.
pub type OwnedSecurityContext<'a> = (Option<&'a Node>, ObjectPath, String);

/// One container of a pod spec.
#[derive(Clone, Debug)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub name: &'a str,
    pub kind: ContainerKind,
    pub path: ObjectPath,
}

impl<'a> Container<'a> {
    /// `container "app"`, `init container "setup"`.
    pub fn label(&self) -> String {
        format!("{} `{}`", self.kind.noun(), self.name)
    }

    /// The container's `securityContext`, if set.
    pub fn security_context(&self) -> Result<Option<&'a Node>, TypeError> {
        self.node.map_field("securityContext")
    }

    pub fn security_context_path(&self) -> ObjectPath {
        self.path.key("securityContext")
    }
}

impl<'a> PodSpec<'a> {
    /// Init, regular and ephemeral containers, in the order Pod Security Admission visits them.
    pub fn containers(&self) -> Result<Vec<Container<'a>>, TypeError> {
        let mut out = Vec::new();
        for kind in [
            ContainerKind::Init,
            ContainerKind::Regular,
            ContainerKind::Ephemeral,
        ] {
            for (i, node) in self.spec.seq_field(kind.field())?.iter().enumerate() {
                let node = node.expect_map(kind.field())?;
                let name = node.str_field("name")?.unwrap_or("<unnamed>");
                out.push(Container {
                    node,
                    name,
                    kind,
                    path: self.path.key(kind.field()).index(i),
                });
            }
        }
        Ok(out)
    }

    /// The pod's `securityContext` and each container's, with their paths and who they belong
    /// to (`pod`, `container `app``), for checks that judge every level the same way.
    pub fn security_contexts(&self) -> Result<Vec<OwnedSecurityContext<'a>>, TypeError> {
        let mut out = vec![(
            self.security_context()?,
            self.security_context_path(),
            "pod".to_string(),
        )];
        for container in self.containers()? {
            out.push((
                container.security_context()?,
                container.security_context_path(),
                container.label(),
            ));
        }
        Ok(out)
    }

    /// The pod-level `securityContext`, if set.
    pub fn security_context(&self) -> Result<Option<&'a Node>, TypeError> {
        self.spec.map_field("securityContext")
    }

    pub fn security_context_path(&self) -> ObjectPath {
        self.path.key("securityContext")
    }

    /// A pod-template annotation, when it is a string.
    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.get("annotations")?.get(key)?.as_str()
    }

    pub fn annotation_path(&self, key: &str) -> ObjectPath {
        self.metadata_path.key("annotations").key(key)
    }

    /// Whether the pod declares itself a Windows pod (`spec.os.name: windows`).
    pub fn is_windows(&self) -> bool {
        self.spec
            .at(&["os", "name"])
            .and_then(Node::as_str)
            .is_some_and(|os| os == "windows")
    }

    /// The pod's volumes with their paths.
    pub fn volumes(&self) -> Result<Vec<(&'a Node, ObjectPath)>, TypeError> {
        let path = self.path.key("volumes");
        self.spec
            .seq_field("volumes")?
            .iter()
            .enumerate()
            .map(|(i, v)| Ok((v.expect_map("volumes")?, path.index(i))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_reads_list_every_built_in_kind() {
        let reads = built_in_reads(ReadScope::Cluster);
        assert_eq!(BUILT_IN.len(), reads.len());
        for (group, kind, _) in BUILT_IN {
            assert!(
                reads.iter().any(|r| r.group == *group && r.kind == *kind),
                "{group}/{kind} missing from built_in_reads"
            );
        }
    }
}
