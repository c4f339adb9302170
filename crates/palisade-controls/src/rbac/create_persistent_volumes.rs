use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::rules::{Permission, check_rules};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a ClusterRole that grants `create` on PersistentVolumes
    /// (`persistentvolumes` in the core API group), directly or through `*` in verbs,
    /// resources or apiGroups. The message names what the rule grants and the wildcards that
    /// reached it.
    ///
    /// PersistentVolumes are not namespaced, so a Role's rules on them grant nothing and a
    /// Role is never reported. A rule limited by `resourceNames` is not reported either: such
    /// a rule can never authorize `create`, because the new object's name is not known when
    /// the request is authorized. Only `create` counts: the volume source of an existing
    /// PersistentVolume cannot be changed after creation, so `update` and `patch` cannot turn
    /// a volume into a host path. PersistentVolumeClaims, which only ask for storage, are not
    /// judged. Built-in roles and aggregated ClusterRoles without rules are not judged (see
    /// RBAC-001).
    ///
    /// ## Why it matters
    /// A PersistentVolume says where the storage behind a claim really lives, and that may be
    /// a `hostPath` on the node, `local` node storage, or a network share chosen by whoever
    /// writes the volume. A subject that can create PersistentVolumes and pods can therefore
    /// mount any directory of a node (`/`, `/etc`, the container runtime's socket) into a pod
    /// through an ordinary claim. Pod Security Admission inspects only the pod's own volumes,
    /// not the PersistentVolume behind a claim, so even a namespace enforcing `restricted`
    /// does not stop this path to the node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["persistentvolumes", "persistentvolumeclaims"]
    ///     verbs: ["get", "list", "watch", "create"]
    /// ```
    /// Fixed: let a StorageClass provision volumes, and keep read access for the tooling:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["persistentvolumes", "persistentvolumeclaims"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## How to fix
    /// Provision storage dynamically through StorageClasses and their CSI provisioners, so that
    /// people and workloads only create PersistentVolumeClaims. Keep `create` on
    /// PersistentVolumes with the cluster administrators and the provisioners that need it.
    /// The machine fix removes `create` (or the `persistentvolumes` resource) from the rule
    /// when that takes away nothing else; review it, since a tool that creates volumes itself
    /// will stop working.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.9 (minimize access to create persistent volumes)
    /// - Kubernetes documentation, RBAC good practices: persistent volume creation
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct CreatePersistentVolumes {
        id: "RBAC-011",
        title: "Role can create PersistentVolumes",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0278")],
        remediation: "Remove create on persistentvolumes; provision storage through StorageClasses so that subjects only create PersistentVolumeClaims.",
        fix: FixAvailability::Unsafe,
    }
}

const CREATE_PERSISTENT_VOLUMES: &[Permission] =
    &[Permission::cluster("", "persistentvolumes", &["create"])];

impl Check for CreatePersistentVolumes {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(
            resource,
            "verbs",
            "can create PersistentVolumes, including hostPath volumes on nodes",
            |rule| {
                if rule.has_resource_names() {
                    &[]
                } else {
                    CREATE_PERSISTENT_VOLUMES
                }
            },
        )
    }
}
