use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, ObjectPath, Resource, Severity, Violation,
};

use super::binding::{Binding, Subject};
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every RoleBinding and ClusterRoleBinding that grants a role to a `default`
    /// ServiceAccount, named either way:
    /// - `kind: ServiceAccount`, `name: default` (its namespace defaults to the binding's);
    /// - `kind: User`, `name: system:serviceaccount:<namespace>:default`.
    ///
    /// Bindings to the groups `system:serviceaccounts` (every ServiceAccount) and
    /// `system:serviceaccounts:<namespace>` (every ServiceAccount of a namespace) are reported
    /// as well, since they include the `default` ServiceAccounts, unless the bound role only
    /// lets clients discover the API (the built-in discovery ClusterRoles such as
    /// `system:service-account-issuer-discovery`, or a scanned role doing no more; see
    /// RBAC-008).
    ///
    /// ## Why it matters
    /// Every pod that does not name a ServiceAccount runs as its namespace's `default` one,
    /// and gets its token unless token automounting is turned off. Permissions granted to it
    /// go to every such pod, present and future, including ones deployed by people who never
    /// saw the binding. Dedicated ServiceAccounts keep a permission with the one workload that
    /// needs it.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: config-reader
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: config-reader
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: default
    ///     namespace: shop
    /// ```
    /// Fixed: create a ServiceAccount for the workload, bind it, and set
    /// `serviceAccountName: web` in the workload's pod template:
    /// ```yaml
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: web
    ///     namespace: shop
    /// ```
    ///
    /// ## How to fix
    /// Create a ServiceAccount per workload, bind the role to it, and reference it with
    /// `serviceAccountName`. Leave `default` without bindings and with
    /// `automountServiceAccountToken: false`. The machine fix (unsafe: pods that run as
    /// `default` and use the grant lose it) removes the subject from the binding; the
    /// dedicated ServiceAccount and its binding are yours to add.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.5 (default service accounts not actively used)
    /// - Kubernetes documentation, configure service accounts for pods
    /// - MITRE ATT&CK T1078.001 (Valid Accounts: Default Accounts)
    pub struct DefaultServiceAccountBinding {
        id: "RBAC-009",
        title: "Binding grants to a default ServiceAccount",
        severity: Severity::Medium,
        family: Family::Rbac,
        pss: None,
        aliases: &[checkov("CKV_K8S_42")],
        remediation: "Bind the role to a dedicated ServiceAccount and set serviceAccountName in the workload instead of using `default`.",
        fix: FixAvailability::Unsafe,
    }
}

/// Whether the subject is, or is a group holding, a `default` ServiceAccount: the clause a
/// message ends with, and whether the subject is a group.
fn default_account(subject: &Subject<'_>) -> Option<(String, bool)> {
    let in_namespace = |ns: Option<&str>| match ns {
        Some(ns) => format!("namespace `{ns}`"),
        None => "the binding's namespace".to_string(),
    };
    match subject.kind {
        "ServiceAccount" if subject.name == "default" => Some((
            format!(
                "which every pod of {} without a serviceAccountName runs as",
                in_namespace(subject.namespace)
            ),
            false,
        )),
        "User" => {
            let ns = subject
                .name
                .strip_prefix("system:serviceaccount:")?
                .strip_suffix(":default")?;
            Some((
                format!("which is the `default` ServiceAccount of namespace `{ns}`"),
                false,
            ))
        }
        "Group" if subject.name == "system:serviceaccounts" => Some((
            "which holds every ServiceAccount, each namespace's `default` included".to_string(),
            true,
        )),
        "Group" => {
            let ns = subject.name.strip_prefix("system:serviceaccounts:")?;
            Some((
                format!("which holds every ServiceAccount of namespace `{ns}`, `default` included"),
                true,
            ))
        }
        _ => None,
    }
}

impl Check for DefaultServiceAccountBinding {
    /// The bound role decides whether a group binding only grants discovery.
    const READS: &'static [Reads] = &[
        Reads::namespace(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(binding) = Binding::of(resource) else {
            return Ok(Verdict::NotApplicable);
        };
        let subjects = binding.subjects()?;
        let found: Vec<(&Subject<'_>, String, bool)> = subjects
            .iter()
            .filter_map(|s| default_account(s).map(|(why, group)| (s, why, group)))
            .collect();
        if found.is_empty() {
            return Ok(Verdict::pass());
        }
        let role_ref = binding.role_ref()?;
        let discovery =
            found.iter().any(|(_, _, group)| *group) && binding.grants_only_discovery(cx, role_ref);
        let violations = found
            .into_iter()
            .filter(|(_, _, group)| !(*group && discovery))
            .map(|(s, why, _)| {
                Violation::new(
                    s.name_path(),
                    format!("grants {role_ref} {} to {s}, {why}", binding.scope()),
                )
                .with_fix(Fix::remove(
                    "remove the subject from the binding",
                    FixSafety::Unsafe,
                    ObjectPath::root().key("subjects").index(s.index),
                ))
            })
            .collect();
        Ok(Verdict::Checked(violations))
    }
}
