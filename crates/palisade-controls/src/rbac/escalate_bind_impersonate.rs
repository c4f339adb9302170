use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::ESCALATION;
use super::rules::check_rules;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that grants one of the verbs RBAC provides to get
    /// around its own limits:
    /// - `escalate` on `roles` or `clusterroles`: write roles granting more than the writer
    ///   holds;
    /// - `bind` on `roles` or `clusterroles`: bind roles granting more than the binder holds;
    /// - `impersonate` on `users`, `groups` or `serviceaccounts` (core group), or on `uids`
    ///   and `userextras/<key>` (`authentication.k8s.io`): act as another identity.
    ///
    /// The rules of a Role apply only inside its namespace, so a Role is reported for
    /// `escalate` or `bind` on `roles`, `bind` on `clusterroles` (checked in the namespace of
    /// the RoleBinding being written) and impersonating `serviceaccounts`, but not for
    /// `escalate` on `clusterroles` or impersonating users, groups, UIDs or extras, which the
    /// API server checks outside any namespace and a Role therefore cannot grant.
    ///
    /// Wildcards count, so `*` verbs on the RBAC group or the core group are reported. A rule
    /// limited by `resourceNames` is still reported, with the names in the message: binding
    /// or impersonating a named powerful identity is still escalation. Built-in roles and
    /// aggregated ClusterRoles without rules are not judged (see RBAC-001).
    ///
    /// ## Why it matters
    /// RBAC normally stops a subject from granting more than it holds. These three verbs are
    /// the documented exceptions: with any of them a subject can reach `cluster-admin`
    /// (impersonate `system:masters`, bind `cluster-admin`, or edit its own role).
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["rbac.authorization.k8s.io"]
    ///     resources: ["clusterroles"]
    ///     verbs: ["bind", "escalate", "get"]
    /// ```
    /// Fixed: a namespace administrator may hand out only the built-in `edit` and `view`
    /// roles:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["rbac.authorization.k8s.io"]
    ///     resources: ["clusterroles"]
    ///     verbs: ["get"]
    /// ```
    /// and, if binding is truly needed, a separate rule with `verbs: ["bind"]` and
    /// `resourceNames: ["edit", "view"]`, which is still reported so that it is reviewed.
    ///
    /// ## How to fix
    /// Remove `escalate`, `bind` and `impersonate` from roles of people and workloads. Grant
    /// `bind` only with `resourceNames` listing the roles that may be handed out, and
    /// `impersonate` only to a reviewed proxy or break-glass identity. The machine fix removes
    /// the offending verbs when that takes away nothing else.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 (limit bind, impersonate and escalate)
    /// - Kubernetes documentation, RBAC: privilege escalation prevention; user impersonation
    /// - MITRE ATT&CK T1098.006 (Additional Container Cluster Roles), T1078 (Valid Accounts)
    pub struct EscalateBindImpersonate {
        id: "RBAC-006",
        title: "Role can escalate, bind or impersonate",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[
            kubescape("C-0191"),
            kubescape("C-0065"),
            trivy("KSV-0050"),
            trivy("KSV-0043"),
            checkov("CKV_K8S_157"),
            checkov("CKV_K8S_158"),
            checkov("CKV2_K8S_3"),
        ],
        remediation: "Remove escalate and bind on roles/clusterroles and impersonate on users, groups, serviceaccounts, uids and userextras.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for EscalateBindImpersonate {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(
            resource,
            "verbs",
            "can gain permissions it does not hold",
            |_| ESCALATION,
        )
    }
}
