use std::fmt::Write;

use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, ObjectPath, Resource, Severity, Violation,
};

use super::SYSTEM_NAMESPACES;
use super::pod_security_advisor::{Level, attainable};
use crate::control::{Check, Context, ReadScope, Reads, Skip, Verdict};
use crate::refs::*;
use crate::workload::built_in_reads;

/// The namespace label that selects the level Pod Security Admission enforces.
const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
/// The labels that only report violations.
const WARN: &str = "pod-security.kubernetes.io/warn";
const AUDIT: &str = "pod-security.kubernetes.io/audit";

declare_control! {
    /// ## What it checks
    /// Every `Namespace` (core `v1`) and its `pod-security.kubernetes.io/enforce` label, which
    /// tells the built-in Pod Security Admission controller which Pod Security Standard to
    /// enforce on the pods created in it. The namespace is reported when:
    /// - the label is missing (the message says whether `warn` or `audit` labels are set:
    ///   those only report violations and reject nothing);
    /// - the label is `privileged`, the level that allows everything;
    /// - the label is not one of the three levels `privileged`, `baseline` and `restricted`
    ///   (they are case-sensitive). The API server refuses to create a namespace with such a
    ///   label, and applies `restricted` to a namespace that got one before Pod Security
    ///   Admission was turned on, so the manifest does not do what it says.
    ///
    /// `baseline` and `restricted` pass. The `enforce-version` label is not judged.
    ///
    /// The three namespaces Kubernetes creates for itself pass: `kube-system` holds the
    /// control plane, network and storage components, which need host access and are usually
    /// exempted in the admission configuration rather than labelled; `kube-public` and
    /// `kube-node-lease` hold only the cluster-info ConfigMap and the nodes' heartbeat Leases,
    /// no pods. Keep your own workloads out of `kube-system`.
    ///
    /// ## Why it matters
    /// Without an enforced level, nothing built into Kubernetes stops a pod in the namespace
    /// from running privileged, sharing the node's network or process namespace, or mounting
    /// the node's filesystem. Anyone who can create a pod or a Deployment there can then take
    /// over the node. The API server's admission configuration may set a cluster-wide default
    /// level, but it is invisible in the manifests and defaults to `privileged`; the label
    /// makes the namespace's level explicit and travels with it.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    /// Fixed:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    ///     pod-security.kubernetes.io/warn: restricted
    /// ```
    ///
    /// ## How to fix
    /// Label every namespace with `pod-security.kubernetes.io/enforce: restricted`, or
    /// `baseline` for workloads that cannot meet `restricted` yet. To find out which pods would
    /// be rejected first, set the `warn` and `audit` labels to the target level, or run
    /// `kubectl label --dry-run=server --overwrite ns <name>
    /// pod-security.kubernetes.io/enforce=restricted`. Which level fits depends on the
    /// workloads, so Palisade offers no automatic fix here; NS-003 reports the strictest level
    /// the namespace's current workloads already meet, with a fix that sets it. If another
    /// admission controller (Kyverno, Gatekeeper) enforces pod security in your cluster, turn
    /// this control off.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.1 (at least one active policy control mechanism)
    /// - Kubernetes documentation, Pod Security Admission; Enforce Pod Security Standards with
    ///   namespace labels
    /// - NSA-CISA Kubernetes Hardening Guide: pod security enforcement
    /// - MITRE ATT&CK T1610 (Deploy Container), T1611 (Escape to Host)
    pub struct PodSecurityEnforcement {
        id: "NS-002",
        title: "Namespace without Pod Security Admission enforcement",
        severity: Severity::Medium,
        family: Family::Ns,
        pss: None,
        aliases: &[kubescape("C-0192")],
        remediation: "Label the namespace with pod-security.kubernetes.io/enforce set to restricted, or baseline where workloads need it.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for PodSecurityEnforcement {
    /// The fix depends on the namespace's workloads (the level they all meet), so a change
    /// to one of them must judge the Namespace again, as for NS-003.
    const READS: &'static [Reads] = &built_in_reads(ReadScope::Namespace);

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "Namespace" || !resource.id.group().is_empty() {
            return Ok(Verdict::NotApplicable);
        }
        let name = resource.id.name.as_str();
        if SYSTEM_NAMESPACES.contains(&name) {
            return Ok(Verdict::pass());
        }
        let labels = match resource.root.map_field("metadata")? {
            Some(metadata) => metadata.map_field("labels")?,
            None => None,
        };
        let level = match labels {
            Some(labels) => labels.str_field(ENFORCE)?,
            None => None,
        };
        let message = match level {
            Some("baseline" | "restricted") => return Ok(Verdict::pass()),
            Some("privileged") => format!(
                "Namespace `{name}` enforces the `privileged` Pod Security level, which admits any pod"
            ),
            Some("") => format!(
                "Namespace `{name}` sets {ENFORCE} to an empty value, which is not a Pod Security level (`privileged`, `baseline` or `restricted`); the API server rejects the label"
            ),
            Some(other) => format!(
                "Namespace `{name}` sets {ENFORCE} to `{other}`, which is not a Pod Security level (`privileged`, `baseline` or `restricted`, in lower case); the API server rejects the label"
            ),
            None => {
                let reporting: Vec<&str> = [(WARN, "warn"), (AUDIT, "audit")]
                    .into_iter()
                    .filter(|(key, _)| labels.is_some_and(|l| l.get_present(key).is_some()))
                    .map(|(_, mode)| mode)
                    .collect();
                let mut message = format!(
                    "Namespace `{name}` has no {ENFORCE} label, so only the cluster's default level (`privileged` unless configured) applies to its pods"
                );
                if !reporting.is_empty() {
                    let plural = reporting.len() > 1;
                    let _ = write!(
                        message,
                        "; its {} label{} only report{} violations",
                        reporting.join(" and "),
                        if plural { "s" } else { "" },
                        if plural { "" } else { "s" },
                    );
                }
                message
            }
        };
        let path = ObjectPath::root()
            .keys(&["metadata", "labels"])
            .key(ENFORCE);
        let violation = Violation::new(path.clone(), message);
        // The finding stands whatever the workloads do; only its fix depends on them. A
        // workload that cannot be judged leaves the level unknown, and so no fix.
        let level = attainable(cx, name, Level::Privileged).map(|a| a.level);
        Ok(Verdict::Checked(vec![match level {
            Ok(level @ (Level::Baseline | Level::Restricted)) => violation.with_fix(Fix::set(
                format!("set {ENFORCE} to {}", level.as_str()),
                FixSafety::Unsafe,
                path,
                level.as_str().into(),
            )),
            _ => violation,
        }]))
    }
}
