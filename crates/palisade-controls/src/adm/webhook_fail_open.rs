use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use super::webhook::{WebhookKind, webhook_kind, webhooks};
use crate::control::{Check, Context, Skip, Verdict};

declare_control! {
    /// ## What it checks
    /// Every webhook of every `ValidatingWebhookConfiguration` and
    /// `MutatingWebhookConfiguration` (`admissionregistration.k8s.io`) whose `failurePolicy`
    /// is `Ignore`: when the API server cannot call the webhook (the service is down, a
    /// NetworkPolicy blocks it, its certificate expired, the call exceeds `timeoutSeconds`),
    /// it admits the request as if the webhook had agreed. A webhook that sets no
    /// `failurePolicy` fails closed in `admissionregistration.k8s.io/v1` (the default is
    /// `Fail`) and open in the removed `v1beta1` (the default was `Ignore`), and is judged
    /// accordingly.
    ///
    /// Validating webhooks that fail open admit objects they exist to reject; mutating
    /// webhooks that fail open admit objects without the changes they exist to make (a
    /// security context, a sidecar that encrypts traffic, an image pinned to a digest). Both
    /// are reported. Whether a given webhook enforces security is not something the
    /// configuration tells; for one that does not (a defaulting webhook for a convenience
    /// label, say), suppress the finding.
    ///
    /// ## Why it matters
    /// An admission webhook is a security boundary only if it cannot be switched off from
    /// outside. With `failurePolicy: Ignore`, anyone who can make the webhook unreachable
    /// (delete or scale down its pods, exhaust its resources, slow it beyond its timeout, or
    /// just wait for an upgrade or a node failure) can create the pods and objects it would
    /// have refused, and nothing records that the check was skipped except the API server's
    /// metrics.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    ///   - name: validate.policy.example.com
    ///     failurePolicy: Ignore
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    ///   - name: validate.policy.example.com
    ///     failurePolicy: Fail
    /// ```
    ///
    /// ## How to fix
    /// Set `failurePolicy: Fail`, and make the webhook available enough to carry it: at least
    /// two replicas spread over nodes, a PodDisruptionBudget, a priority class, and a
    /// `namespaceSelector` that leaves out the webhook's own namespace and `kube-system` so the
    /// cluster can always recover it. The automatic fix sets `Fail` and is marked unsafe: while
    /// the webhook is unavailable, every request it matches is rejected.
    ///
    /// ## References
    /// - Kubernetes documentation: Dynamic Admission Control (failure policy); Admission
    ///   Webhook Good Practices (availability, fail closed)
    /// - CIS Kubernetes Benchmark 5.2.1 (at least one active policy control mechanism)
    /// - NSA-CISA Kubernetes Hardening Guide: pod security enforcement
    /// - MITRE ATT&CK T1562 (Impair Defenses)
    pub struct WebhookFailOpen {
        id: "ADM-002",
        title: "Admission webhook fails open",
        severity: Severity::Medium,
        family: Family::Adm,
        pss: None,
        aliases: &[],
        remediation: "Set failurePolicy: Fail on webhooks that enforce security, and run them with replicas, a PodDisruptionBudget and a namespaceSelector that excludes their own namespace.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for WebhookFailOpen {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(kind) = webhook_kind(resource) else {
            return Ok(Verdict::NotApplicable);
        };
        let beta = resource.id.api_version.ends_with("/v1beta1");
        let consequence = match kind {
            WebhookKind::Validating => "admits the requests the webhook would have refused",
            WebhookKind::Mutating => "admits objects without the webhook's changes",
        };
        let mut violations = Vec::new();
        for webhook in webhooks(resource)? {
            let policy = webhook.node.str_field("failurePolicy")?;
            let why = match policy {
                Some("Ignore") => "sets failurePolicy: Ignore".to_string(),
                None if beta => format!(
                    "sets no failurePolicy, which {} defaults to Ignore",
                    resource.id.api_version
                ),
                _ => continue,
            };
            let path = webhook.path.key("failurePolicy");
            violations.push(
                Violation::new(
                    path.clone(),
                    format!(
                        "{} {why}: whenever it cannot be reached in time, the API server {consequence}",
                        webhook.label
                    ),
                )
                .with_fix(Fix::set(
                    "set failurePolicy to Fail",
                    FixSafety::Unsafe,
                    path,
                    "Fail".into(),
                )),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
