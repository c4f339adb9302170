use palisade_core::{
    Family, Fix, FixAvailability, FixOp, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::policy_at_least;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `securityContext.capabilities` of every container, init container and ephemeral
    /// container. This is the Pod Security Standards restricted check "Capabilities":
    /// - `drop` must contain `ALL`, spelled exactly so. Listing capabilities one by one does not
    ///   count, and neither does `all` in lowercase. A container without `capabilities` (or
    ///   without a `securityContext`) fails.
    /// - `add` may contain only `NET_BIND_SERVICE`.
    ///
    /// Pods that declare `spec.os.name: windows` are exempt (from Kubernetes 1.25), as Windows
    /// has no Linux capabilities. At the restricted level this check replaces POD-005.
    ///
    /// ## Why it matters
    /// Container runtimes grant about fourteen capabilities by default, among them NET_RAW
    /// (forge packets, spoof other pods on the network), CHOWN, DAC_OVERRIDE and SETUID. Most
    /// applications need none of them. Dropping all and adding back only what is needed
    /// (typically nothing, or binding a port below 1024) removes tools an attacker would
    /// otherwise get for free.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["NET_RAW"]
    ///     add: ["CHOWN"]
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    ///     add: ["NET_BIND_SERVICE"]
    /// ```
    ///
    /// ## How to fix
    /// Add `ALL` to `capabilities.drop` in every container and remove every added capability
    /// other than `NET_BIND_SERVICE`. An application that relied on a default capability (for
    /// example changing file ownership at start-up) may then fail, so the automatic fixes are
    /// marked unsafe; adjust the image rather than adding the capability back.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Capabilities
    /// - CIS Kubernetes Benchmark 5.2.8, 5.2.9
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct RestrictedCapabilities {
        id: "POD-018",
        title: "Capabilities not dropped, or added beyond NET_BIND_SERVICE",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[trivy("KSV-0003"), trivy("KSV-0106"), checkov("CKV_K8S_37"), polaris("insecureCapabilities")],
        remediation: "Drop ALL capabilities in every container and add back at most NET_BIND_SERVICE.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for RestrictedCapabilities {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if policy_at_least(cx, 25) && pod.is_windows() {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let capabilities = match container.security_context()? {
                Some(sc) => sc.map_field("capabilities")?,
                None => None,
            };
            let caps_path = container.security_context_path().key("capabilities");
            let (drop, add) = match capabilities {
                Some(caps) => (caps.seq_field("drop")?, caps.seq_field("add")?),
                None => (&[][..], &[][..]),
            };
            let mut drops_all = false;
            let mut near_miss = None;
            for entry in drop {
                let name = entry.expect_str("drop")?;
                if name == "ALL" {
                    drops_all = true;
                } else if name.eq_ignore_ascii_case("ALL") {
                    near_miss = Some(name);
                }
            }
            if !drops_all {
                let path = caps_path.key("drop");
                let message = match (near_miss, drop.len()) {
                    (Some(spelled), _) => format!(
                        "{} drops `{spelled}`; it must drop exactly ALL",
                        container.label()
                    ),
                    (None, 0) => format!("{} does not drop ALL capabilities", container.label()),
                    (None, n) => format!(
                        "{} drops {n} named capabilit{} but not ALL",
                        container.label(),
                        if n == 1 { "y" } else { "ies" }
                    ),
                };
                violations.push(Violation::new(path.clone(), message).with_fix(Fix {
                    description: "drop ALL capabilities".into(),
                    safety: FixSafety::Unsafe,
                    ops: vec![FixOp::Append {
                        path,
                        value: "ALL".into(),
                    }],
                }));
            }
            for (i, entry) in add.iter().enumerate() {
                let name = entry.expect_str("add")?;
                if name == "NET_BIND_SERVICE" {
                    continue;
                }
                let path = caps_path.key("add").index(i);
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!(
                            "{} adds capability {name}; only NET_BIND_SERVICE may be added",
                            container.label()
                        ),
                    )
                    .with_fix(Fix::remove(
                        format!("stop adding {name}"),
                        FixSafety::Unsafe,
                        path,
                    )),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
