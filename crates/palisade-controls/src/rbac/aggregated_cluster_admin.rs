use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::binding::Binding;
use super::effective::Effective;
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding whose role grants `*` verbs on `*` resources
    /// in `*` API groups, everything `cluster-admin` can do, only through aggregation: the
    /// bound ClusterRole has an `aggregationRule`, and a ClusterRole it selects (directly or
    /// through other aggregated roles) holds the `*`/`*`/`*` rule. That includes the default
    /// roles: a scanned ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-view:
    /// "true"` (or `-edit`, `-admin`) with such a rule turns every binding of the built-in
    /// `view` (or `edit`, `admin`) into a cluster-admin binding.
    ///
    /// RBAC-002 reports bindings of `cluster-admin` itself and of roles whose own rules grant
    /// everything, which is how an aggregated role read from a cluster looks (the API server
    /// has copied the rules in). This control reports only what RBAC-002 cannot see: the rule
    /// arriving through aggregation in manifests. Bindings named `system:` and bindings
    /// without subjects are not reported, as in RBAC-002.
    ///
    /// ## Why it matters
    /// Aggregation is meant to extend roles with the permissions of new resources. A wildcard
    /// rule in one labelled ClusterRole silently makes every subject of the aggregating role
    /// an administrator: the binding names a harmless-looking role, and nobody reviewing it
    /// sees the grant.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRole
    /// metadata:
    ///   name: widgets-view
    ///   labels:
    ///     rbac.authorization.k8s.io/aggregate-to-view: "true"
    /// rules:
    ///   - apiGroups: ["*"]
    ///     resources: ["*"]
    ///     verbs: ["*"]
    /// ---
    /// kind: RoleBinding
    /// metadata:
    ///   name: viewers
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// subjects:
    ///   - kind: Group
    ///     name: support
    /// ```
    /// Fixed: the aggregated role grants only what viewing its resources needs:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["example.com"]
    ///     resources: ["widgets"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## How to fix
    /// Narrow the wildcard rule of the aggregated ClusterRole to the resources and verbs it is
    /// about, or remove its `aggregate-to-*` label (or the label the aggregating role
    /// selects).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.1 (cluster-admin only where required), 5.1.3 (minimize
    ///   wildcard use)
    /// - Kubernetes documentation, RBAC: aggregated ClusterRoles
    /// - MITRE ATT&CK T1098.006 (Additional Container Cluster Roles), T1078 (Valid Accounts)
    pub struct AggregatedClusterAdmin {
        id: "RBAC-014",
        title: "Binding grants cluster-admin power through an aggregated role",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0035")],
        remediation: "Narrow the `*`/`*`/`*` rule of the ClusterRole aggregated into the bound role, or remove the label that aggregates it.",
        fix: FixAvailability::None,
    }
}

impl Check for AggregatedClusterAdmin {
    /// The bound role, and every ClusterRole aggregated into it.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(binding) = Binding::of(resource) else {
            return Ok(Verdict::NotApplicable);
        };
        let subjects = binding.subjects()?;
        if binding.is_system() || subjects.is_empty() {
            return Ok(Verdict::pass());
        }
        let role_ref = binding.role_ref()?;
        // RBAC-002's case.
        if role_ref.kind == "ClusterRole" && role_ref.name == "cluster-admin" {
            return Ok(Verdict::pass());
        }
        let Some(effective) = Effective::of(cx, &binding, role_ref)? else {
            return Ok(Verdict::pass());
        };
        let Some(grant) = effective.everything() else {
            return Ok(Verdict::pass());
        };
        // None for the bound role's own rule: RBAC-002's case.
        let Some(how) = effective.explain_aggregated(
            grant,
            "every verb on every resource of every API group, as cluster-admin does",
        ) else {
            return Ok(Verdict::pass());
        };
        let message = format!(
            "grants {role_ref} {} to {}; {how}",
            binding.scope(),
            Binding::describe_subjects(&subjects),
        );
        Ok(Verdict::Checked(vec![Violation::new(
            Binding::role_ref_path(),
            message,
        )]))
    }
}
