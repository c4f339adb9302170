use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, ObjectPath, Resource, Severity, Violation,
};

use super::binding::{Binding, RoleRef, Subject};
use super::effective::Effective;
use super::rules::{RBAC_GROUP, join_and};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding with a subject that stands for everyone:
    /// - the user `system:anonymous` or the group `system:unauthenticated`: every request
    ///   that carries no credentials;
    /// - the group `system:authenticated`: every identity the API server accepts, which
    ///   includes every ServiceAccount of every namespace and, on some managed clusters, any
    ///   account of the cloud provider.
    ///
    /// Such a subject is reported unless the bound role only lets clients discover the API:
    /// the built-in ClusterRoles `system:public-info-viewer`, `system:discovery`,
    /// `system:basic-user` and `system:service-account-issuer-discovery`, or a scanned role
    /// whose every rule only reads non-resource URLs (`get`/`head`) or creates self reviews
    /// (`selfsubjectaccessreviews`, `selfsubjectrulesreviews`, `selfsubjectreviews`). The
    /// RoleBinding kubeadm creates in `kube-public` so that joining nodes can read the public
    /// `cluster-info` ConfigMap (`kubeadm:bootstrap-signer-clusterinfo`) is not reported
    /// either. A bound role that is neither built in nor scanned is reported: it cannot be
    /// shown harmless. An aggregated ClusterRole is judged by its own rules and those of every
    /// ClusterRole it aggregates (see RBAC-013); one that aggregates nothing yet is reported,
    /// since whatever is labelled for it later joins it.
    ///
    /// The message lists the dangerous permissions everyone gets through the role (reading
    /// Secrets, creating workloads, exec, escalation, everything), the default roles and
    /// aggregated ClusterRoles included.
    ///
    /// ## Why it matters
    /// Anything granted to these subjects is granted to anyone who can reach the API server,
    /// or to anyone with any valid credential, including the token of every pod. One such
    /// binding to a role that reads Secrets or creates pods turns a network path to the API
    /// server into control of the cluster.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: view
    /// subjects:
    ///   - apiGroup: rbac.authorization.k8s.io
    ///     kind: Group
    ///     name: system:unauthenticated
    /// ```
    /// Fixed: bind the role to the group of people who need it:
    /// ```yaml
    /// subjects:
    ///   - apiGroup: rbac.authorization.k8s.io
    ///     kind: Group
    ///     name: platform-readers
    /// ```
    ///
    /// ## How to fix
    /// Replace the subject with the users, groups or ServiceAccounts that need the role. To
    /// publish something to every client on purpose, bind a role that grants only that (for
    /// example `get` on one named ConfigMap) and record why in an exception. The machine fix
    /// (unsafe: whoever relied on the grant loses it) removes the subject from the binding.
    ///
    /// ## References
    /// - Kubernetes documentation, RBAC: default roles and role bindings; anonymous requests
    /// - CIS Kubernetes Benchmark 1.2.1 (anonymous requests) for the API server flag itself
    /// - MITRE ATT&CK T1133 (External Remote Services), T1078 (Valid Accounts)
    pub struct AnonymousBinding {
        id: "RBAC-008",
        title: "Binding grants to anonymous or all users",
        severity: Severity::Critical,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0262"), kubescape("C-0265"), trivy("KSV-0122"), trivy("KSV-01011")],
        remediation: "Bind the role to the identities that need it instead of system:anonymous, system:unauthenticated or system:authenticated.",
        fix: FixAvailability::Unsafe,
    }
}

/// Who a catch-all subject stands for, or `None` for an ordinary subject.
fn everyone(subject: &Subject<'_>) -> Option<&'static str> {
    match (subject.kind, subject.name) {
        ("User", "system:anonymous") => Some("every request without credentials"),
        ("Group", "system:unauthenticated") => Some("every request without credentials"),
        ("Group", "system:authenticated") => {
            Some("every authenticated identity, every ServiceAccount included")
        }
        _ => None,
    }
}

/// kubeadm's binding that lets joining nodes read `kube-public/cluster-info` anonymously.
fn is_kubeadm_cluster_info(binding: &Binding<'_>, role_ref: RoleRef<'_>) -> bool {
    !binding.is_cluster_wide()
        && binding.namespace() == Some("kube-public")
        && role_ref.kind == "Role"
        && role_ref.name == "kubeadm:bootstrap-signer-clusterinfo"
}

impl Check for AnonymousBinding {
    /// The bound role, and the ClusterRoles aggregated into it, decide what everyone gets.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(binding) = Binding::of(resource) else {
            return Ok(Verdict::NotApplicable);
        };
        let subjects = binding.subjects()?;
        if !subjects.iter().any(|s| everyone(s).is_some()) {
            return Ok(Verdict::pass());
        }
        let role_ref = binding.role_ref()?;
        if binding.grants_only_discovery(cx, role_ref)
            || is_kubeadm_cluster_info(&binding, role_ref)
        {
            return Ok(Verdict::pass());
        }
        // What everyone gets, through aggregation and the default roles too. A role that
        // cannot be read is reported all the same, without the list.
        let dangers: Vec<&str> = match Effective::of(cx, &binding, role_ref) {
            Ok(Some(effective)) => effective
                .dangers(cx.settings.kube_version)
                .into_iter()
                .map(|d| d.short())
                .collect(),
            _ => Vec::new(),
        };
        let consequence = if dangers.is_empty() {
            String::new()
        } else {
            format!("; with it they can {}", join_and(&dangers))
        };
        let violations = subjects
            .iter()
            .filter_map(|s| {
                let who = everyone(s)?;
                Some(
                    Violation::new(
                        s.name_path(),
                        format!(
                            "grants {role_ref} {} to {s}, which is {who}{consequence}",
                            binding.scope()
                        ),
                    )
                    .with_fix(Fix::remove(
                        "remove the subject from the binding",
                        FixSafety::Unsafe,
                        ObjectPath::root().key("subjects").index(s.index),
                    )),
                )
            })
            .collect();
        Ok(Verdict::Checked(violations))
    }
}
