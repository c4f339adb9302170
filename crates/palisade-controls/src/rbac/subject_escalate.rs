use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::Danger;
use super::effective::check_binding;
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role lets its subjects gain permissions
    /// they do not hold, as RBAC-006 defines it: `escalate` or `bind` on `roles` or
    /// `clusterroles`, or `impersonate` on `users`, `groups`, `serviceaccounts`, `uids` or
    /// `userextras`, wildcards included. Through a RoleBinding only what is checked inside a
    /// namespace counts (`bind`, `escalate` on Roles, impersonating the namespace's
    /// ServiceAccounts). The role is resolved with aggregation and the default roles (`edit`
    /// and `admin` let their subjects impersonate the namespace's ServiceAccounts; see
    /// RBAC-013). One finding per subject, on `subjects[i].name`.
    ///
    /// Not reported: bindings named `system:`, bindings without subjects, bindings to a role
    /// that is neither scanned nor built in, and bindings whose role grants everything
    /// (RBAC-002 and RBAC-014 report those). RBAC-006 judges the role's text; this control
    /// says who holds it.
    ///
    /// ## Why it matters
    /// RBAC stops a subject from granting permissions it does not hold, unless it holds
    /// `escalate` (write any rule into a role) or `bind` (bind any role). Impersonation acts
    /// as another identity outright: impersonating the group `system:masters` is
    /// cluster-admin. Each of these is one request away from every permission.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: support-impersonation
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: impersonator
    /// subjects:
    ///   - apiGroup: rbac.authorization.k8s.io
    ///     kind: Group
    ///     name: support
    /// ```
    /// where `impersonator` grants `impersonate` on `users` and `groups`. Fixed: remove the
    /// binding; let support ask for access through a reviewed, time-limited grant.
    ///
    /// ## How to fix
    /// Keep `escalate`, `bind` and `impersonate` with the few identities that administer RBAC
    /// (a GitOps controller, a break-glass group). Where impersonation is needed, limit it
    /// with `resourceNames` to the identities to impersonate.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 (limit use of the bind, impersonate and escalate
    ///   permissions)
    /// - Kubernetes documentation, RBAC: privilege escalation prevention and bootstrapping
    /// - MITRE ATT&CK T1098.006 (Additional Container Cluster Roles), T1078 (Valid Accounts)
    pub struct SubjectEscalate {
        id: "RBAC-017",
        title: "Subject can escalate, bind or impersonate",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0191"), kubescape("C-0065")],
        remediation: "Bind roles granting escalate, bind or impersonate only to the identities that administer RBAC, limited with resourceNames where possible.",
        fix: FixAvailability::None,
    }
}

impl Check for SubjectEscalate {
    /// The bound role, and every ClusterRole aggregated into it.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_binding(
            cx,
            resource,
            Danger::Escalate,
            false,
            ", so it can gain permissions it does not hold",
        )
    }
}
