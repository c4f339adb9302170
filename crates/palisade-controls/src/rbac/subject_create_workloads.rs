use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::Danger;
use super::effective::check_binding;
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role lets its subjects choose what pods
    /// run: `create` on `pods`, or `create`, `update` or `patch` on the objects whose
    /// controllers create pods from a template (Deployments, ReplicaSets, StatefulSets,
    /// DaemonSets, Jobs, CronJobs, ReplicationControllers), wildcards included, as RBAC-005
    /// defines it. The role is resolved with aggregation and the default roles (`edit` and
    /// `admin` grant it; see RBAC-013 for how roles are resolved). One finding per subject, on
    /// `subjects[i].name`, naming where the subject holds the permission (a namespace, or every
    /// namespace) and the rule that grants it.
    ///
    /// Not reported: bindings named `system:`, bindings without subjects, bindings to a role
    /// that is neither scanned nor built in, and bindings whose role grants everything
    /// (RBAC-002 and RBAC-014 report those). RBAC-005 judges the role's text; this control
    /// says who holds it.
    ///
    /// ## Why it matters
    /// Whoever creates a pod chooses its ServiceAccount, its volumes and its security context:
    /// it can mount any Secret of the namespace, run as any ServiceAccount there (and use its
    /// permissions), and, where admission allows, start a privileged pod that owns its node.
    /// Creating workloads is a step to everything the namespace holds.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: support-edit
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: edit
    /// subjects:
    ///   - apiGroup: rbac.authorization.k8s.io
    ///     kind: Group
    ///     name: support
    /// ```
    /// Fixed: bind a role that reads what support looks at:
    /// ```yaml
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// ```
    ///
    /// ## How to fix
    /// Keep workload creation with the deployment pipeline's ServiceAccount and the few people
    /// who need it, per namespace. Bind read-only roles to everyone else. Where creation is
    /// needed, enforce Pod Security Admission (`restricted`) in the namespace so a created pod
    /// cannot take the node.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.4 (minimize access to create pods)
    /// - Kubernetes documentation, RBAC good practices: workload creation
    /// - MITRE ATT&CK T1610 (Deploy Container), T1053.007 (Container Orchestration Job)
    pub struct SubjectCreateWorkloads {
        id: "RBAC-015",
        title: "Subject can create pods or workloads",
        severity: Severity::Medium,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0188"), kube_linter("access-to-create-pods")],
        remediation: "Bind roles that create pods or workloads only to the pipelines and people that deploy, in the namespaces they deploy to.",
        fix: FixAvailability::None,
    }
}

impl Check for SubjectCreateWorkloads {
    /// The bound role, and every ClusterRole aggregated into it.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_binding(cx, resource, Danger::CreateWorkloads, false, "")
    }
}
