use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::{CHANGE_NAMED_WORKLOADS, CREATE_PODS};
use super::rules::check_rules;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that lets its subjects decide what pods run:
    /// - `create` on `pods`;
    /// - `create`, `update` or `patch` on the workload controllers that create pods from a
    ///   template: Deployments, ReplicaSets, StatefulSets and DaemonSets (`apps`, and the old
    ///   `extensions` group), Jobs and CronJobs (`batch`), and ReplicationControllers (core).
    ///   Changing a controller's template starts new pods from it, so `update` and `patch`
    ///   are as strong as `create`.
    ///
    /// Wildcards count. A rule limited by `resourceNames` is judged without `create`, which
    /// such a rule can never authorize (a new object's name is not known when the request is
    /// authorized); `update` and `patch` on the named controllers still count. Subresources
    /// such as `deployments/scale` are not reported: they cannot change the pod template.
    /// Built-in roles and aggregated ClusterRoles without rules are not judged (see RBAC-001).
    ///
    /// ## Why it matters
    /// Whoever chooses a pod's spec chooses its ServiceAccount (and so every permission of
    /// any ServiceAccount in the namespace), the Secrets it mounts, and, unless admission
    /// policy forbids it, privileged mode, host namespaces and host paths: the node itself.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["deployments"]
    ///     verbs: ["get", "list", "create", "patch"]
    /// ```
    /// Fixed, for a dashboard that only shows Deployments:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["deployments"]
    ///     verbs: ["get", "list"]
    /// ```
    ///
    /// ## How to fix
    /// Grant pod and workload writes only to the deployment pipeline, in the namespaces it
    /// deploys to, and enforce Pod Security Admission (`restricted`) there so that what it
    /// may create is bounded. The machine fix removes the offending verbs or resources when
    /// that takes away nothing else.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.4 (minimize access to create pods)
    /// - Kubernetes documentation, RBAC good practices: workload creation
    /// - MITRE ATT&CK T1610 (Deploy Container), T1053.007 (Container Orchestration Job)
    pub struct CreatePods {
        id: "RBAC-005",
        title: "Role can create pods or workloads",
        severity: Severity::Medium,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0188"), trivy("KSV-0048"), kube_linter("access-to-create-pods")],
        remediation: "Remove create on pods and create/update/patch on workload controllers from roles that do not deploy.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for CreatePods {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(resource, "verbs", "can choose what pods run", |rule| {
            if rule.has_resource_names() {
                CHANGE_NAMED_WORKLOADS
            } else {
                CREATE_PODS
            }
        })
    }
}
