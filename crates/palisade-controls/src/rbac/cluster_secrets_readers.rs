use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::Danger;
use super::effective::check_binding;
use super::rules::RBAC_GROUP;
use crate::control::{Check, Context, Reads, Skip, Verdict};

declare_control! {
    /// ## What it checks
    /// Every ClusterRoleBinding whose role lets its subjects read Secrets (`get`, `list` or
    /// `watch` on `secrets`, wildcards included) in every namespace. The role is resolved the
    /// way the API server resolves it:
    /// - a scanned ClusterRole's own rules;
    /// - for an aggregated ClusterRole (`aggregationRule`), the rules of every ClusterRole its
    ///   `clusterRoleSelectors` select, and of the ones those select in turn;
    /// - the default ClusterRoles a folder of manifests does not hold, from Kubernetes'
    ///   bootstrap policy: `edit` and `admin` read Secrets, `view` does not (unless a scanned
    ///   ClusterRole labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"` adds it).
    ///
    /// One finding per subject, on `subjects[i].name`, naming the subject and the rule that
    /// grants the access: the role, and the role aggregated into it when that is where the rule
    /// lives, with the rule's index.
    ///
    /// Not reported: bindings named `system:` (the API server's own), bindings without
    /// subjects, bindings to a role that is neither scanned nor built in (nothing to judge),
    /// rules limited to named Secrets with `resourceNames` (the accepted way to read one's
    /// own), and bindings whose role grants everything (`*` on `*` in `*`), which RBAC-002 or
    /// RBAC-014 report as cluster-admin. RBAC-003 judges the role's text itself; this control
    /// says who holds it, everywhere.
    ///
    /// ## Why it matters
    /// Secrets hold the cluster's credentials: ServiceAccount tokens, registry passwords,
    /// TLS keys, database passwords. A subject that can list them in every namespace can
    /// impersonate every workload and often reach outside the cluster. Through an aggregated
    /// role the grant hides in a ClusterRole nobody binds directly: a role labelled to
    /// aggregate into `view` gives Secret access to everyone who can view.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: ci-readers
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: edit
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: ci
    ///     namespace: build
    /// ```
    /// Fixed: bind `edit` only in the namespaces the subject works in, or bind a role that
    /// reads the named Secrets it needs:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: ci-readers
    ///   namespace: build
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: edit
    /// ```
    ///
    /// ## How to fix
    /// Replace the ClusterRoleBinding with RoleBindings in the namespaces where the subject
    /// needs Secrets, and limit the rule to the Secrets it reads (`resourceNames`, `get`
    /// only). Remove `aggregate-to-*` labels from ClusterRoles that should not extend the
    /// default roles.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.2 (minimize access to secrets)
    /// - Kubernetes documentation, RBAC: aggregated ClusterRoles; RBAC good practices
    /// - MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API), T1528 (Steal
    ///   Application Access Token)
    pub struct ClusterSecretsReaders {
        id: "RBAC-013",
        title: "Subject can read Secrets in every namespace",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[],
        remediation: "Grant Secret access through RoleBindings in the namespaces that need it, limited to named Secrets, instead of a ClusterRoleBinding.",
        fix: FixAvailability::None,
    }
}

impl Check for ClusterSecretsReaders {
    /// The bound ClusterRole, and every ClusterRole aggregated into it.
    const READS: &'static [Reads] = &[Reads::cluster(RBAC_GROUP, "ClusterRole")];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_binding(cx, resource, Danger::ReadSecrets, true, "")
    }
}
