use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::rules::{Permission, check_rules};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that grants one of three permissions that undo the
    /// cluster's other defences:
    /// - `create` on `serviceaccounts/token` (core group): mint a token for any
    ///   ServiceAccount in scope (CIS 5.1.13);
    /// - `create`, `update`, `patch`, `delete` or `deletecollection` on
    ///   `validatingwebhookconfigurations` or `mutatingwebhookconfigurations`
    ///   (`admissionregistration.k8s.io`): add, change or remove admission webhooks
    ///   (CIS 5.1.12);
    /// - `delete` or `deletecollection` on `events` (core group or `events.k8s.io`): erase the
    ///   cluster's record of what happened.
    ///
    /// Wildcards count. Webhook configurations are not namespaced, so a Role's rules on them
    /// grant nothing and are not reported. A rule limited by `resourceNames` is still
    /// reported, with the names in the message. Built-in roles and aggregated ClusterRoles without rules are not judged
    /// (see RBAC-001). Related permissions judged by other controls: `create` on
    /// PersistentVolumes (CIS 5.1.9, RBAC-011) and approving certificate signing requests
    /// (CIS 5.1.11, RBAC-012).
    ///
    /// ## Why it matters
    /// A token minted for a ServiceAccount carries all of that account's permissions, so
    /// token creation is as strong as the strongest account in scope. A mutating webhook sees
    /// and may rewrite every object it registers for, Secrets and pod specs included, and
    /// deleting a validating webhook switches off the policy engine behind it. Deleting
    /// events hides an intrusion from the people and tools watching them.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["serviceaccounts/token"]
    ///     verbs: ["create"]
    ///   - apiGroups: ["admissionregistration.k8s.io"]
    ///     resources: ["mutatingwebhookconfigurations"]
    ///     verbs: ["get", "list", "watch", "patch"]
    /// ```
    /// Fixed: a webhook server that only rotates its own CA bundle gets `patch` on its own
    /// configuration (still reported, for review), and nothing on tokens:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["admissionregistration.k8s.io"]
    ///     resources: ["mutatingwebhookconfigurations"]
    ///     resourceNames: ["shop-injector"]
    ///     verbs: ["get", "patch"]
    /// ```
    ///
    /// ## How to fix
    /// Let pods receive tokens through projected volumes instead of requesting them, keep
    /// webhook configuration writes with the cluster administrators and the one controller
    /// that owns each configuration (limited with `resourceNames`), and leave event deletion
    /// to the API server's own expiry. The machine fix removes the offending verbs or
    /// resources when that takes away nothing else.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.12 (webhook configuration objects), 5.1.13 (service
    ///   account token creation)
    /// - Kubernetes documentation, RBAC good practices: escalation paths
    /// - MITRE ATT&CK T1528 (Steal Application Access Token), T1070 (Indicator Removal)
    pub struct TokensWebhooksEvents {
        id: "RBAC-010",
        title: "Role can mint tokens, change webhooks or delete events",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0282"), kubescape("C-0281"), kubescape("C-0031"), trivy("KSV-0114"), checkov("CKV_K8S_155")],
        remediation: "Remove create on serviceaccounts/token, writes on admission webhook configurations, and delete on events.",
        fix: FixAvailability::Unsafe,
    }
}

const WEBHOOK_WRITES: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];
const DELETE: &[&str] = &["delete", "deletecollection"];

const TAMPERING: &[Permission] = &[
    Permission::new("", "serviceaccounts/token", &["create"]),
    Permission::cluster(
        "admissionregistration.k8s.io",
        "validatingwebhookconfigurations",
        WEBHOOK_WRITES,
    ),
    Permission::cluster(
        "admissionregistration.k8s.io",
        "mutatingwebhookconfigurations",
        WEBHOOK_WRITES,
    ),
    Permission::new("", "events", DELETE),
    Permission::new("events.k8s.io", "events", DELETE),
];

impl Check for TokensWebhooksEvents {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(
            resource,
            "resources",
            "can mint tokens, change admission webhooks or erase events",
            |_| TAMPERING,
        )
    }
}
