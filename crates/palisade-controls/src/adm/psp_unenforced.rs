use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::settings::KubeVersion;

/// The release that removed the PodSecurityPolicy API and its admission plugin.
const REMOVED_IN: KubeVersion = KubeVersion::new(1, 25);

declare_control! {
    /// ## What it checks
    /// Every `PodSecurityPolicy` (`policy/v1beta1` or `extensions/v1beta1`) when the target
    /// Kubernetes version (setting `kube_version`, default the latest release Palisade knows)
    /// is 1.25 or later. Kubernetes 1.25 removed the API together with the `PodSecurityPolicy`
    /// admission plugin that enforced it, so from then on such an object is at best a file in
    /// a repository that nothing reads. Targets before 1.25 pass: whether the plugin is
    /// enabled there is part of the API server's configuration, not of the manifests.
    ///
    /// API-001 reports the same object as a removed API (the manifest no longer applies). This
    /// control reports the security consequence: the pod restrictions the policy spells out
    /// are not enforced by anything.
    ///
    /// ## Why it matters
    /// A PodSecurityPolicy reads like protection: `privileged: false`, `hostNetwork: false`,
    /// `runAsUser: MustRunAsNonRoot`. Reviewers and auditors who see it in a repository or a
    /// Helm chart assume pods are held to it. On 1.25 and later nothing holds them to it, and
    /// unless the namespaces enforce a Pod Security Standard (or another admission policy does
    /// the job) any pod that can be created may run privileged, on the host's network, or as
    /// root.
    ///
    /// ## Example
    /// Failing (target 1.25 or later):
    /// ```yaml
    /// apiVersion: policy/v1beta1
    /// kind: PodSecurityPolicy
    /// metadata:
    ///   name: restricted
    /// spec:
    ///   privileged: false
    /// ```
    /// Fixed (the policy deleted, the namespace labelled instead):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    ///
    /// ## How to fix
    /// Map each policy to the Pod Security Standard it comes closest to (a policy like the
    /// example is `restricted`; one that allows host access is `privileged`), label the
    /// namespaces that used it with `pod-security.kubernetes.io/enforce` (NS-003 tells which
    /// level each namespace's workloads already meet), then delete the policy and the RBAC
    /// rules that grant `use` on it. Where a policy mutated pods (default capabilities,
    /// `runAsUser` ranges), set those fields in the workloads or use a mutating admission
    /// policy. Palisade offers no automatic fix: the fix spans other objects.
    ///
    /// ## References
    /// - Kubernetes documentation: Migrate from PodSecurityPolicy to the Built-In PodSecurity
    ///   Admission Controller; Deprecated API Migration Guide (v1.25)
    /// - CIS Kubernetes Benchmark 5.2.1 (at least one active policy control mechanism)
    /// - NSA-CISA Kubernetes Hardening Guide: pod security enforcement
    /// - MITRE ATT&CK T1610 (Deploy Container), T1611 (Escape to Host)
    pub struct PspUnenforced {
        id: "ADM-001",
        title: "PodSecurityPolicy that is no longer enforced",
        severity: Severity::Medium,
        family: Family::Adm,
        pss: None,
        aliases: &[],
        remediation: "Enforce the matching Pod Security Standard with pod-security.kubernetes.io/enforce namespace labels (or another admission policy), then delete the PodSecurityPolicy.",
        fix: FixAvailability::None,
    }
}

impl Check for PspUnenforced {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "PodSecurityPolicy"
            || !matches!(resource.id.group(), "policy" | "extensions")
        {
            return Ok(Verdict::NotApplicable);
        }
        let target = cx.settings.kube_version;
        if target < REMOVED_IN {
            return Ok(Verdict::pass());
        }
        Ok(Verdict::Checked(vec![Violation::new(
            ObjectPath::root().key("kind"),
            format!(
                "PodSecurityPolicy `{}` is not enforced on Kubernetes {REMOVED_IN} or later (target {target}): the admission plugin that applied it was removed with the API, so the pod restrictions it lists protect nothing; enforce a Pod Security Standard with namespace labels instead",
                resource.id.name
            ),
        )]))
    }
}
