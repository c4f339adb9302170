use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::binding::{Binding, Subject};
use super::rules::{RBAC_GROUP, rules_of};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding that grants the `cluster-admin` ClusterRole,
    /// or a Role or ClusterRole found among the scanned resources that is equivalent to it:
    /// one of its rules grants `*` verbs on `*` resources in `*` API groups. A RoleBinding
    /// is reported too: it makes its subjects administrators of the whole namespace, able to
    /// read every Secret and change every Role there.
    ///
    /// Not reported:
    /// - bindings whose name starts with `system:`, which the API server and its controllers
    ///   create and reconcile themselves;
    /// - the API server's own `cluster-admin` ClusterRoleBinding, as long as it binds only
    ///   the `system:masters` group (CIS 5.1.7 covers who holds that group);
    /// - bindings without subjects, which grant nothing.
    ///
    /// ## Why it matters
    /// `cluster-admin` can do anything to any object, including reading every Secret and
    /// granting itself or others any permission. Whoever holds a credential of a bound
    /// subject, a user, a group member or the pods of a ServiceAccount, controls the
    /// cluster. Attackers who get there often add such a binding to stay.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: ci-deployer
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: cluster-admin
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: deployer
    ///     namespace: ci
    /// ```
    /// Fixed: bind a role that grants only what the deployer does, in the namespaces it
    /// deploys to:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-deployer
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: deployer
    /// ```
    ///
    /// ## How to fix
    /// Write a Role (or ClusterRole) with the verbs and resources the subject uses, bind it
    /// where it is needed, and delete the `cluster-admin` binding. Keep the few human
    /// administrators in an identity-provider group bound through a single, reviewed binding.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.1 (cluster-admin only where required); related: 5.1.7
    /// - Kubernetes documentation, RBAC good practices: least privilege
    /// - MITRE ATT&CK T1098.006 (Additional Container Cluster Roles), T1078 (Valid Accounts)
    pub struct ClusterAdminBinding {
        id: "RBAC-002",
        title: "Binding grants cluster-admin",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[
            kubescape("C-0185"),
            kubescape("C-0035"),
            trivy("KSV-0111"),
            polaris("clusterrolebindingClusterAdmin"),
            polaris("rolebindingClusterAdminClusterRole"),
            polaris("rolebindingClusterAdminRole"),
            kube_linter("cluster-admin-role-binding"),
        ],
        remediation: "Bind a role limited to the verbs and resources the subjects need instead of cluster-admin or a `*`/`*`/`*` role.",
        fix: FixAvailability::None,
    }
}

/// The API server's own binding of `system:masters` to `cluster-admin`.
fn is_bootstrap_binding(binding: &Binding<'_>, subjects: &[Subject<'_>]) -> bool {
    binding.is_cluster_wide()
        && binding.name() == "cluster-admin"
        && subjects.iter().all(|s| s.is("Group", "system:masters"))
}

impl Check for ClusterAdminBinding {
    /// The bound role decides whether it grants everything.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(binding) = Binding::of(resource) else {
            return Ok(Verdict::NotApplicable);
        };
        if binding.is_system() {
            return Ok(Verdict::pass());
        }
        let role_ref = binding.role_ref()?;
        let subjects = binding.subjects()?;
        if subjects.is_empty() || is_bootstrap_binding(&binding, &subjects) {
            return Ok(Verdict::pass());
        }
        let equivalent = if role_ref.kind == "ClusterRole" && role_ref.name == "cluster-admin" {
            String::new()
        } else {
            let Some(role) = binding.bound_role(cx, role_ref) else {
                return Ok(Verdict::pass());
            };
            // A bound role of the wrong shape is judged by the rule controls, not here.
            let rules = rules_of(role).ok().flatten().unwrap_or_default();
            let Some(rule) = rules.iter().find(|r| r.grants_everything()) else {
                return Ok(Verdict::pass());
            };
            format!(
                "; its rules[{}] grants every verb on every resource of every API group, as cluster-admin does",
                rule.index
            )
        };
        let message = format!(
            "grants {role_ref} {} to {}{equivalent}",
            binding.scope(),
            Binding::describe_subjects(&subjects)
        );
        Ok(Verdict::Checked(vec![Violation::new(
            Binding::role_ref_path(),
            message,
        )]))
    }
}
