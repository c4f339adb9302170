use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::rules::{Grants, Permission, PolicyRule, judged_rules};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// ClusterRoles that let their subjects approve CertificateSigningRequests (CSRs) for the
    /// signers built into Kubernetes. Approval takes two permissions, both in the
    /// `certificates.k8s.io` API group, and the API server checks both:
    /// - `update` or `patch` on `certificatesigningrequests/approval`, the subresource through
    ///   which the `Approved` condition is written (`kubectl certificate approve` uses it);
    /// - `approve` on `signers`, checked by the API server with the request's
    ///   `spec.signerName` as the object name. A rule grants it for every signer when it has no
    ///   `resourceNames`, for one signer when it names it (`kubernetes.io/kube-apiserver-client`),
    ///   and for every signer of a domain when it names `<domain>/*` (`kubernetes.io/*`).
    ///
    /// A ClusterRole is reported when its rules grant both, and the `approve` half reaches a
    /// signer of the `kubernetes.io` domain: no `resourceNames`, or a name starting with
    /// `kubernetes.io/`. There is one violation for each rule granting the `approval`
    /// subresource; the message names the rule granting `approve` on signers. Wildcards count.
    ///
    /// Not reported:
    /// - Roles: CSRs and signers are not namespaced, so a Role cannot grant either half.
    /// - A ClusterRole granting only one half: it cannot approve anything on its own.
    /// - A ClusterRole whose `approve` is limited to signers of other domains
    ///   (`example.com/my-signer`): certificates of such signers are trusted only where their
    ///   owner installs the CA, not by the API server.
    /// - The signing path (`update` on `certificatesigningrequests/status` with `sign` on
    ///   signers), which serves custom signer controllers.
    /// - Built-in roles and aggregated ClusterRoles without rules (see RBAC-001).
    ///
    /// ## Why it matters
    /// The controller manager signs every approved request for the `kubernetes.io` signers
    /// with the cluster's CA. For `kubernetes.io/kube-apiserver-client` the certificate carries
    /// whatever user name and groups the request asked for, `system:masters` included, and
    /// members of `system:masters` pass every authorization check. Approving a
    /// `kube-apiserver-client-kubelet` request yields a node's identity, and a `kubelet-serving`
    /// certificate lets its holder pose as a kubelet. A client certificate cannot be revoked:
    /// it works until it expires, whatever happens to the role afterwards.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["certificates.k8s.io"]
    ///     resources: ["certificatesigningrequests/approval"]
    ///     verbs: ["update"]
    ///   - apiGroups: ["certificates.k8s.io"]
    ///     resources: ["signers"]
    ///     verbs: ["approve"]
    /// ```
    /// Fixed: the approver handles only requests for the organisation's own signer:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["certificates.k8s.io"]
    ///     resources: ["certificatesigningrequests/approval"]
    ///     verbs: ["update"]
    ///   - apiGroups: ["certificates.k8s.io"]
    ///     resources: ["signers"]
    ///     resourceNames: ["example.com/internal-mtls"]
    ///     verbs: ["approve"]
    /// ```
    ///
    /// ## How to fix
    /// Leave approval for the `kubernetes.io` signers to the cluster administrators and to the
    /// controller manager's built-in approver for kubelet client certificates. When an
    /// automated approver is needed, limit `approve` with `resourceNames` to the one signer it
    /// serves, and make sure it checks each request before approving. The machine fix removes
    /// `certificatesigningrequests/approval` (or its verbs) from the rule when that takes away
    /// nothing else.
    /// When the rule mixes resources and verbs so that neither list can lose an item alone,
    /// the fix moves the offending resources into new rules that keep only the verbs harmless
    /// on them. Rules with `*` are left to RBAC-001.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.11 (minimize access to the approval subresource of
    ///   certificatesigningrequests objects)
    /// - Kubernetes documentation, Certificates and Certificate Signing Requests:
    ///   authorization; RBAC good practices: CSRs and certificate issuing
    /// - MITRE ATT&CK T1078 (Valid Accounts)
    pub struct ApproveCertificateRequests {
        id: "RBAC-012",
        title: "Role can approve certificate signing requests",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0280"), checkov("CKV_K8S_156")],
        remediation: "Remove update/patch on certificatesigningrequests/approval, or limit approve on signers with resourceNames to signers outside the kubernetes.io domain.",
        fix: FixAvailability::Unsafe,
    }
}

const GROUP: &str = "certificates.k8s.io";

const APPROVAL: Permission = Permission::cluster(
    GROUP,
    "certificatesigningrequests/approval",
    &["update", "patch"],
);
const SIGNERS: Permission = Permission::cluster(GROUP, "signers", &["approve"]);

/// Whether a rule granting `approve` on signers reaches a signer of the `kubernetes.io`
/// domain: every signer (no `resourceNames`), one of them, or `kubernetes.io/*`.
fn reaches_kubernetes_signers(rule: &PolicyRule<'_>) -> bool {
    !rule.has_resource_names()
        || rule
            .resource_names()
            .any(|(_, name)| name.starts_with("kubernetes.io/"))
}

/// `approve on signers`, saying so when the rule reaches every signer.
fn describe_signers(rule: &PolicyRule<'_>, grants: &Grants<'_>) -> String {
    if rule.has_resource_names() {
        grants.describe()
    } else {
        format!("{}, for every signer", grants.describe())
    }
}

impl Check for ApproveCertificateRequests {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(rules) = judged_rules(resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let signer_rules: Vec<(&PolicyRule<'_>, Grants<'_>)> = rules
            .iter()
            .filter(|rule| reaches_kubernetes_signers(rule))
            .filter_map(|rule| rule.grants(&[SIGNERS]).map(|grants| (rule, grants)))
            .collect();
        if signer_rules.is_empty() {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        for rule in &rules {
            let Some(approval) = rule.grants(&[APPROVAL]) else {
                continue;
            };
            let own = signer_rules.iter().find(|(r, _)| r.index == rule.index);
            let what = match own {
                // One rule grants both halves.
                Some((r, _)) => match rule.grants(&[APPROVAL, SIGNERS]) {
                    Some(both) if !r.has_resource_names() => {
                        format!("{}, for every signer", both.describe())
                    }
                    Some(both) => both.describe(),
                    None => approval.describe(),
                },
                None => {
                    let others = signer_rules
                        .iter()
                        .map(|(r, g)| {
                            format!("rules[{}] grants {}", r.index, describe_signers(r, g))
                        })
                        .collect::<Vec<_>>()
                        .join(", and ");
                    format!("{}, and {others}", approval.describe())
                }
            };
            let violation = Violation::new(
                rule.path().key("resources"),
                format!(
                    "can approve certificate requests for the cluster's own signers: grants {what}"
                ),
            );
            violations.push(match rule.removal_fix(&[APPROVAL]) {
                Some(fix) => violation.with_fix(fix),
                None => violation,
            });
        }
        Ok(Verdict::Checked(violations))
    }
}
