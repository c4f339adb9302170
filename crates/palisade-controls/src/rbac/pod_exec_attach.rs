use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::exec_permissions;
use super::rules::check_rules;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that lets its subjects run commands in running
    /// containers:
    /// - `create` on `pods/exec` or `pods/attach` (what `kubectl exec` and `kubectl attach`
    ///   use over SPDY, and what every exec needs from Kubernetes 1.35);
    /// - `get` on `pods/exec` or `pods/attach` when the target Kubernetes version is older
    ///   than 1.35: a WebSocket exec or attach is an HTTP `GET`, and before 1.35 the API
    ///   server authorized it as `get` alone. From 1.35 the feature gate
    ///   `AuthorizePodWebsocketUpgradeCreatePermission` (on by default) also requires
    ///   `create`, so `get` alone no longer opens a shell;
    /// - `patch` or `update` on `pods/ephemeralcontainers`, which adds a container of the
    ///   subject's choosing to a running pod (`kubectl debug`).
    ///
    /// Wildcards count (`*` verbs, `*` resources, `*/exec`). Limiting the rule to named pods
    /// with `resourceNames` does not exempt it: exec into those pods is still exec. Built-in
    /// roles and aggregated ClusterRoles without rules are not judged (see RBAC-001).
    ///
    /// ## Why it matters
    /// A shell in a container hands over everything the container holds: its ServiceAccount
    /// token, mounted Secrets, its network position and, for a privileged pod, the node.
    /// Exec is the usual first step from "can talk to the API" to "runs code in the cluster".
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["pods", "pods/log"]
    ///     verbs: ["get", "list"]
    ///   - apiGroups: [""]
    ///     resources: ["pods/exec"]
    ///     verbs: ["create"]
    /// ```
    /// Fixed: drop the second rule, and debug through logs, metrics or a dedicated,
    /// time-limited break-glass role.
    ///
    /// ## How to fix
    /// Remove exec and attach from roles bound to people and automation that do not need a
    /// shell. Where a team needs it, grant it in a separate role, in one namespace, bound for
    /// the time it is needed. The machine fix removes the offending verbs or resources when
    /// that takes away nothing else.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - Kubernetes documentation, RBAC good practices; KEP-4006 (transition from SPDY to
    ///   WebSockets) and its `create` authorization check
    /// - MITRE ATT&CK T1609 (Container Administration Command)
    pub struct PodExecAttach {
        id: "RBAC-004",
        title: "Role can exec or attach into pods",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[
            kubescape("C-0002"),
            trivy("KSV-0053"),
            trivy("KSV-0054"),
            checkov("CKV2_K8S_2"),
            polaris("clusterrolePodExecAttach"),
            polaris("rolePodExecAttach"),
            polaris("clusterrolebindingPodExecAttach"),
            polaris("rolebindingClusterRolePodExecAttach"),
            polaris("rolebindingRolePodExecAttach"),
        ],
        remediation: "Remove create (and, before Kubernetes 1.35, get) on pods/exec and pods/attach, and patch/update on pods/ephemeralcontainers.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for PodExecAttach {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let wanted = exec_permissions(cx.settings.kube_version);
        check_rules(
            resource,
            "resources",
            "can run commands in running containers",
            |_| wanted,
        )
    }
}
