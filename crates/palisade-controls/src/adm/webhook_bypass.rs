use palisade_core::{
    Family, Fix, FixAvailability, FixOp, FixSafety, Node, Resource, Severity, TypeError, Violation,
};
use serde_json::json;

use super::webhook::{WebhookKind, webhook_kind, webhooks};
use crate::control::{Check, Context, Skip, Verdict};
use crate::net::policy::describe_selector;
use crate::selector::LabelSelector;

/// The label the API server sets on every namespace to its name; nobody can give a namespace
/// another value, so selecting on it is safe.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

declare_control! {
    /// ## What it checks
    /// Every webhook of every `ValidatingWebhookConfiguration` (`admissionregistration.k8s.io`)
    /// for three ways the people it is meant to check can step around it:
    /// - **an `objectSelector`**. It is matched against the labels of the object under review,
    ///   which whoever creates or edits the object writes. An opt-out selector
    ///   (`policy.example.com/skip DoesNotExist`) is bypassed by adding the label, an opt-in
    ///   one (`policy: enforced`) by leaving it out. Any non-empty `objectSelector` is
    ///   reported.
    /// - **a `namespaceSelector` that leaves namespaces out by a label** (a `NotIn` or
    ///   `DoesNotExist` expression on any key but `kubernetes.io/metadata.name`). Whoever may
    ///   update namespaces can add such a label and take a namespace out of the webhook's
    ///   reach. Leaving namespaces out by name (`kubernetes.io/metadata.name NotIn
    ///   [kube-system]`) is safe, because the API server sets that label to the namespace's
    ///   name, and is not reported. An opt-in `namespaceSelector` (only namespaces that carry a
    ///   label are checked) is a deliberate rollout choice and is not reported either.
    /// - **pod rules without ephemeral containers**. A webhook whose rules match pod creation
    ///   (`CREATE` on `pods` in the core group) but no rule matches `UPDATE` on the
    ///   `pods/ephemeralcontainers` subresource (`pods/*`, `*/*` and `*/ephemeralcontainers`
    ///   count) never sees the containers `kubectl debug` adds to a running pod, which can be
    ///   privileged or run any image.
    ///
    /// Mutating webhooks are not judged: whether an object gets a mutation is often meant to
    /// be the object owner's choice (sidecar injection opt-ins). Not judged either:
    /// `matchConditions` (CEL expressions, which can be written either way) and
    /// `timeoutSeconds`. The API server caps the timeout at 30 seconds and treats a timeout as
    /// a failure, so what a slow webhook costs is decided by its `failurePolicy`: availability
    /// with `Fail`, and a bypass with `Ignore`, which ADM-002 reports.
    ///
    /// ## Why it matters
    /// A validating webhook is usually a policy engine (Gatekeeper, Kyverno, Kubewarden, an
    /// image-signature verifier) that the cluster relies on to reject what Pod Security
    /// Admission and RBAC do not cover. An exemption the requester controls turns every
    /// policy behind the webhook into a suggestion: an attacker with a stolen deployment
    /// token adds one label and their privileged pod is never checked. Ephemeral containers are
    /// the classic gap: policy engines had to add the subresource to their defaults after it
    /// was used to run unchecked containers in already admitted pods.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    ///   - name: validate.policy.example.com
    ///     objectSelector:
    ///       matchExpressions:
    ///         - key: policy.example.com/skip
    ///           operator: DoesNotExist
    ///     rules:
    ///       - apiGroups: [""]
    ///         apiVersions: ["v1"]
    ///         operations: ["CREATE", "UPDATE"]
    ///         resources: ["pods"]
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: ValidatingWebhookConfiguration
    /// webhooks:
    ///   - name: validate.policy.example.com
    ///     namespaceSelector:
    ///       matchExpressions:
    ///         - key: kubernetes.io/metadata.name
    ///           operator: NotIn
    ///           values: ["kube-system", "policy-system"]
    ///     rules:
    ///       - apiGroups: [""]
    ///         apiVersions: ["v1"]
    ///         operations: ["CREATE", "UPDATE"]
    ///         resources: ["pods", "pods/ephemeralcontainers"]
    /// ```
    ///
    /// ## How to fix
    /// Remove the `objectSelector`; express exemptions inside the policy engine, where they
    /// can be reviewed and restricted. Leave namespaces out by `kubernetes.io/metadata.name`
    /// rather than by a label anyone with namespace update rights can set, or make sure only
    /// administrators can set that label (some policy engines validate it themselves; then
    /// suppress the finding). Add `pods/ephemeralcontainers` with `UPDATE` to the rules of
    /// webhooks that judge pods.
    ///
    /// The machine fix does each of these literally: it removes the `objectSelector`, removes
    /// the expressions that leave namespaces out by a settable label, and appends a rule for
    /// `UPDATE` on `pods/ephemeralcontainers` (core group, `v1`). It is unsafe: the webhook
    /// then reviews objects and namespaces it was kept away from, which can reject them, and a
    /// webhook that now reviews its own pods with `failurePolicy: Fail` can block its own
    /// restart. Exclude such namespaces by `kubernetes.io/metadata.name` afterwards.
    ///
    /// ## References
    /// - Kubernetes documentation: Dynamic Admission Control (matching requests: rules,
    ///   namespaceSelector, objectSelector); Admission Webhook Good Practices; Ephemeral
    ///   Containers
    /// - CIS Kubernetes Benchmark 5.2.1 (at least one active policy control mechanism)
    /// - NSA-CISA Kubernetes Hardening Guide: pod security enforcement
    /// - MITRE ATT&CK T1562 (Impair Defenses)
    pub struct WebhookBypass {
        id: "ADM-003",
        title: "Admission webhook the requester can bypass",
        severity: Severity::Medium,
        family: Family::Adm,
        pss: None,
        aliases: &[],
        remediation: "Drop objectSelector exemptions, exclude namespaces by kubernetes.io/metadata.name rather than by settable labels, and add pods/ephemeralcontainers (UPDATE) to webhooks that judge pods.",
        fix: FixAvailability::Unsafe,
    }
}

/// Whether a list field (`apiGroups`, `operations`, `resources`) of a rule holds one of
/// `accepted`.
fn lists_any(rule: &Node, field: &str, accepted: &[&str]) -> Result<bool, TypeError> {
    for item in rule.seq_field(field)? {
        if accepted.contains(&item.expect_str(field)?) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether some rule matches `operation` on one of `resources` of the core group, for
/// namespaced objects.
fn matches(rules: &[Node], operation: &str, resources: &[&str]) -> Result<bool, TypeError> {
    for rule in rules {
        let rule = rule.expect_map("rules")?;
        if rule.str_field("scope")? == Some("Cluster") {
            continue;
        }
        if lists_any(rule, "apiGroups", &["", "*"])?
            && lists_any(rule, "operations", &[operation, "*"])?
            && lists_any(rule, "resources", resources)?
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The expressions of a `namespaceSelector` that leave namespaces out by a label (`NotIn`,
/// `DoesNotExist`) other than the name label: their indices and keys.
fn opt_out_keys(selector: &Node) -> Vec<(usize, &str)> {
    selector
        .get("matchExpressions")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(
                e.get("operator").and_then(Node::as_str),
                Some("NotIn" | "DoesNotExist")
            )
        })
        .filter_map(|(i, e)| Some((i, e.get("key").and_then(Node::as_str)?)))
        .filter(|(_, key)| *key != NAME_LABEL)
        .collect()
}

impl Check for WebhookBypass {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if webhook_kind(resource) != Some(WebhookKind::Validating) {
            return Ok(Verdict::NotApplicable);
        }
        let mut violations = Vec::new();
        for webhook in webhooks(resource)? {
            let label = &webhook.label;
            if let Some(selector) = webhook.node.get_present("objectSelector") {
                if !LabelSelector::parse(Some(selector))?.is_empty() {
                    let path = webhook.path.key("objectSelector");
                    violations.push(
                        Violation::new(
                            path.clone(),
                            format!(
                                "{label} only reviews objects whose own labels match `{}`; whoever creates or edits an object writes its labels, so they choose whether this webhook checks it",
                                describe_selector(Some(selector))
                            ),
                        )
                        .with_fix(Fix::remove(
                            "remove the objectSelector, so the webhook reviews every object",
                            FixSafety::Unsafe,
                            path,
                        )),
                    );
                }
            }
            if let Some(selector) = webhook.node.get_present("namespaceSelector") {
                LabelSelector::parse(Some(selector))?;
                let keys = opt_out_keys(selector);
                if !keys.is_empty() {
                    let path = webhook.path.key("namespaceSelector");
                    // Highest index first, so each removal leaves the next one's index valid.
                    let ops = keys
                        .iter()
                        .rev()
                        .map(|(i, _)| FixOp::Remove {
                            path: path.key("matchExpressions").index(*i),
                        })
                        .collect();
                    let keys = keys
                        .iter()
                        .map(|(_, k)| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let fix = Fix {
                        description: format!("remove the namespaceSelector expressions on {keys}")
                            .into(),
                        safety: FixSafety::Unsafe,
                        ops,
                    };
                    violations.push(
                        Violation::new(
                            path,
                            format!(
                                "{label} leaves out namespaces by label {keys} (`{}`); whoever may update a namespace can set the label and take it out of the webhook's reach",
                                describe_selector(Some(selector))
                            ),
                        )
                        .with_fix(fix),
                    );
                }
            }
            let rules = webhook.node.seq_field("rules")?;
            if matches(rules, "CREATE", &["pods", "*", "*/*"])?
                && !matches(
                    rules,
                    "UPDATE",
                    &[
                        "pods/ephemeralcontainers",
                        "pods/*",
                        "*/*",
                        "*/ephemeralcontainers",
                    ],
                )?
            {
                let path = webhook.path.key("rules");
                let rule = json!({
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["UPDATE"],
                    "resources": ["pods/ephemeralcontainers"],
                });
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!(
                            "{label} reviews pods when they are created, but not UPDATE on pods/ephemeralcontainers, so containers added later with kubectl debug are never checked"
                        ),
                    )
                    .with_fix(Fix {
                        description: "add a rule for UPDATE on pods/ephemeralcontainers".into(),
                        safety: FixSafety::Unsafe,
                        ops: vec![FixOp::Append { path, value: rule }],
                    }),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
