use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::Danger;
use super::effective::check_binding;
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role lets its subjects into running
    /// pods: `create` on `pods/exec`, `pods/attach` or `pods/portforward`, `patch` or `update`
    /// on `pods/ephemeralcontainers`, and, when the target Kubernetes version is older than
    /// 1.35, `get` on the first three (a WebSocket upgrade was authorized as `get` alone
    /// before the `AuthorizePodWebsocketUpgradeCreatePermission` gate, as RBAC-004 explains).
    /// Wildcards count. The role is resolved with aggregation and the default roles (`edit` and
    /// `admin` grant it; see RBAC-013). One finding per subject, on `subjects[i].name`.
    ///
    /// Not reported: bindings named `system:`, bindings without subjects, bindings to a role
    /// that is neither scanned nor built in, and bindings whose role grants everything
    /// (RBAC-002 and RBAC-014 report those). RBAC-004 judges the role's text; this control
    /// says who holds it, port forwarding included.
    ///
    /// ## Why it matters
    /// A shell in a container hands over its ServiceAccount token, its mounted Secrets and its
    /// network position; a privileged container hands over its node. Port forwarding reaches
    /// ports no Service exposes and no NetworkPolicy guards from the client's side, such as a
    /// database's admin port or an unauthenticated debug endpoint.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: oncall-debug
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: pod-debugger
    /// subjects:
    ///   - apiGroup: rbac.authorization.k8s.io
    ///     kind: Group
    ///     name: oncall
    /// ```
    /// where `pod-debugger` grants `create` on `pods/exec`. Fixed: bind it only in the
    /// namespace being debugged, for the time it is needed:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: oncall-debug
    ///   namespace: shop
    /// ```
    ///
    /// ## How to fix
    /// Grant exec, attach and port forwarding per namespace, to the people who debug it,
    /// preferably for a limited time (a break-glass binding that is removed after use). Debug
    /// through logs and metrics where possible.
    ///
    /// ## References
    /// - Kubernetes documentation, RBAC good practices; KEP-4006 (transition from SPDY to
    ///   WebSockets) and its `create` authorization check
    /// - MITRE ATT&CK T1609 (Container Administration Command)
    pub struct SubjectExec {
        id: "RBAC-016",
        title: "Subject can exec, attach or port-forward into pods",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0002"), kubescape("C-0063")],
        remediation: "Bind roles granting pods/exec, pods/attach or pods/portforward only in the namespaces and for the time they are needed.",
        fix: FixAvailability::None,
    }
}

impl Check for SubjectExec {
    /// The bound role, and every ClusterRole aggregated into it.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_binding(cx, resource, Danger::ExecIntoPods, false, "")
    }
}
