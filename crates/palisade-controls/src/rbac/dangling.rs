use palisade_core::{Family, FixAvailability, Node, ObjectPath, Resource, Severity, Violation};

use super::binding::Binding;
use super::builtin;
use super::effective::{RbacIndex, service_account_user};
use super::rules::{RBAC_GROUP, is_role};
use crate::control::{Check, Context, Reads, Skip, Verdict};

declare_control! {
    /// ## What it checks
    /// RBAC objects that point at nothing or that nothing uses, in a scan that holds every
    /// object of the cluster (`palisade scan --cluster`):
    /// - a RoleBinding or ClusterRoleBinding whose `roleRef` names a role that does not exist
    ///   (a Role in the binding's namespace, or a ClusterRole; the default ClusterRoles
    ///   always exist);
    /// - a binding subject that is a ServiceAccount (by kind, or as the user
    ///   `system:serviceaccount:<namespace>:<name>`) that does not exist;
    /// - a Role or ClusterRole that no binding refers to and that no aggregated ClusterRole
    ///   selects. The API server's own roles (`system:` names, or labelled
    ///   `kubernetes.io/bootstrapping: rbac-defaults`) are not reported.
    ///
    /// A scan of manifest files is not judged (not applicable): a folder may hold the binding
    /// and not the role, which lives in another repository or comes with the cluster.
    ///
    /// ## Why it matters
    /// A binding to a role or ServiceAccount that does not exist grants nothing today and
    /// everything tomorrow: whoever creates a role of that name, or a ServiceAccount of that
    /// name in that namespace (anyone allowed to create ServiceAccounts there), receives the
    /// grant that someone once reviewed for another purpose. Unused roles are permissions
    /// waiting for a binding, and clutter that hides the roles that matter.
    ///
    /// ## Example
    /// Failing (the ServiceAccount `old-ci` was deleted with its pipeline):
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: old-ci-deployer
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: deployer
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: old-ci
    ///     namespace: build
    /// ```
    /// Fixed: delete the binding together with the ServiceAccount.
    ///
    /// ## How to fix
    /// Delete bindings whose role or ServiceAccount is gone, or remove the missing subject
    /// from the list; delete roles nothing binds. Remove RBAC objects in the same change that
    /// removes what they were for (Helm and Kustomize do, when the objects belong to the
    /// release).
    ///
    /// ## References
    /// - Kubernetes documentation, RBAC good practices: periodic review
    /// - NSA-CISA Kubernetes Hardening Guide: role-based access control
    /// - MITRE ATT&CK T1098.006 (Additional Container Cluster Roles)
    pub struct DanglingRbac {
        id: "RBAC-019",
        title: "Binding refers to a missing role or ServiceAccount, or role is unused",
        severity: Severity::Low,
        family: Family::Rbac,
        pss: None,
        aliases: &[],
        remediation: "Delete bindings whose role or ServiceAccount no longer exists (or the missing subject), and roles no binding uses.",
        fix: FixAvailability::None,
    }
}

impl Check for DanglingRbac {
    /// Roles and bindings anywhere refer to each other, and subjects to ServiceAccounts of
    /// any namespace.
    const READS: &'static [Reads] = &[
        Reads::cluster(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
        Reads::cluster(RBAC_GROUP, "RoleBinding"),
        Reads::cluster(RBAC_GROUP, "ClusterRoleBinding"),
        Reads::cluster("", "ServiceAccount"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !cx.settings.inventory_complete {
            return Ok(Verdict::NotApplicable);
        }
        if let Some(binding) = Binding::of(resource) {
            return check_binding(cx, &binding);
        }
        if is_role(resource) {
            return check_role(cx, resource);
        }
        Ok(Verdict::NotApplicable)
    }
}

fn check_binding(cx: &Context<'_>, binding: &Binding<'_>) -> Result<Verdict, Skip> {
    let role_ref = binding.role_ref()?;
    let subjects = binding.subjects()?;
    let mut violations = Vec::new();
    let exists = binding.bound_role(cx, role_ref).is_some()
        || (role_ref.kind == "ClusterRole" && builtin::cluster_role_named(role_ref.name).is_some());
    if !exists {
        let place = match (role_ref.kind, binding.namespace()) {
            ("Role", Some(ns)) => format!(" in namespace `{ns}`"),
            _ => String::new(),
        };
        violations.push(Violation::new(
            Binding::role_ref_path(),
            format!(
                "refers to {role_ref}, which does not exist{place}: whoever creates it grants its permissions to {}",
                Binding::describe_subjects(&subjects)
            ),
        ));
    }
    for subject in &subjects {
        let account = match subject.kind {
            "ServiceAccount" => subject.namespace.map(|ns| (ns, subject.name)),
            "User" => service_account_user(subject.name),
            _ => None,
        };
        let Some((namespace, name)) = account else {
            continue;
        };
        if cx
            .find("", "ServiceAccount", Some(namespace), name)
            .is_none()
        {
            violations.push(Violation::new(
                subject.name_path(),
                format!(
                    "names ServiceAccount `{namespace}/{name}`, which does not exist: whoever creates it in namespace `{namespace}` gets what the binding grants"
                ),
            ));
        }
    }
    Ok(Verdict::Checked(violations))
}

fn check_role(cx: &Context<'_>, role: &Resource) -> Result<Verdict, Skip> {
    let managed = role
        .root
        .at(&["metadata", "labels", "kubernetes.io/bootstrapping"])
        .and_then(Node::as_str)
        == Some("rbac-defaults");
    if role.id.name.starts_with("system:") || managed {
        return Ok(Verdict::pass());
    }
    let index = RbacIndex::of(cx);
    if index.is_referenced(role) || index.is_aggregated(role) {
        return Ok(Verdict::pass());
    }
    let message = if role.kind() == "ClusterRole" {
        "no RoleBinding or ClusterRoleBinding refers to this ClusterRole, and no aggregated ClusterRole selects it"
    } else {
        "no RoleBinding in its namespace refers to this Role"
    };
    Ok(Verdict::Checked(vec![Violation::new(
        ObjectPath::root().keys(&["metadata", "name"]),
        message,
    )]))
}
