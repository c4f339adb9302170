use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::dangers::READ_SECRETS;
use super::rules::check_rules;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that grants `get`, `list` or `watch` on Secrets
    /// (`secrets` in the core API group), directly or through `*` in verbs, resources or
    /// apiGroups. The message names the verbs granted and the wildcards that reached them.
    ///
    /// A rule limited by `resourceNames` is not reported: it reaches only the Secrets it
    /// names, which is the shape this control recommends. Built-in roles and aggregated
    /// ClusterRoles without rules are not judged (see RBAC-001).
    ///
    /// ## Why it matters
    /// Reading a Secret returns its value: database passwords, API keys,
    /// TLS keys, and the tokens of other ServiceAccounts. `list` and `watch` return the data
    /// of every Secret in scope in one call, not only names, so they are as strong as `get`
    /// on all of them. A subject that can read Secrets cluster-wide can usually become any
    /// identity whose token is stored in one.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["secrets", "configmaps"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    /// Fixed: read only the Secret the application uses:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["configmaps"]
    ///     verbs: ["get", "list", "watch"]
    ///   - apiGroups: [""]
    ///     resources: ["secrets"]
    ///     resourceNames: ["shop-db"]
    ///     verbs: ["get"]
    /// ```
    ///
    /// ## How to fix
    /// Mount the Secrets a workload needs as volumes instead of reading them through the API,
    /// or limit the rule to the named Secrets with `resourceNames` and the `get` verb. The
    /// machine fix removes `secrets` (or the verbs) from the rule when that takes away
    /// nothing else; it may break an application that reads Secrets, so review it.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.2 (minimize access to secrets)
    /// - Kubernetes documentation, RBAC good practices: listing Secrets
    /// - MITRE ATT&CK T1552.007 (Unsecured Credentials: Container API), T1528 (Steal
    ///   Application Access Token)
    pub struct SecretsAccess {
        id: "RBAC-003",
        title: "Role reads Secrets",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0186"), kubescape("C-0015"), trivy("KSV-0041"), trivy("KSV-0113"), checkov("CKV2_K8S_5"), kube_linter("access-to-secrets")],
        remediation: "Remove get/list/watch on secrets, or limit the rule to named Secrets with resourceNames and get.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for SecretsAccess {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(resource, "resources", "can read Secret values", |rule| {
            if rule.has_resource_names() {
                &[]
            } else {
                READ_SECRETS
            }
        })
    }
}
