use palisade_core::{
    Family, Fix, FixAvailability, FixOp, FixSafety, Resource, Severity, Violation,
};

use super::common::{capabilities, is_capability};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container that may keep the `NET_RAW`
    /// capability. A container fails when
    /// - `securityContext.capabilities.add` lists `NET_RAW`; or
    /// - `add` lists `ALL` and `drop` does not list `NET_RAW`; or
    /// - `drop` lists neither `NET_RAW` nor `ALL`, so the runtime's default set, which
    ///   includes `NET_RAW` on containerd and Docker, applies.
    ///
    /// Names are compared ignoring case and an optional `CAP_` prefix, as runtimes accept
    /// them. A container that both adds and drops `NET_RAW` fails: runtimes disagree on which
    /// wins. Windows pods are not judged.
    ///
    /// ## Why it matters
    /// `NET_RAW` lets a process craft any packet it likes. A compromised container can use it
    /// to spoof addresses, poison ARP or DNS answers for its neighbours on the node's network,
    /// and intercept their traffic. Almost no application needs it; `ping` is the usual
    /// exception, and modern kernels let ping work without it.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       capabilities:
    ///         drop: ["ALL"]
    /// ```
    ///
    /// ## How to fix
    /// Drop `ALL` capabilities and add back only the ones the application needs (usually
    /// none). The machine fix removes `NET_RAW` and `ALL` from `add` and, unless `drop`
    /// already lists `ALL`, appends `NET_RAW` to `drop`; it is marked unsafe because a tool that sends raw packets stops working.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.8 (minimise containers with the NET_RAW capability)
    /// - NSA-CISA Kubernetes Hardening Guide: Hardening container environments
    /// - Kubernetes Pod Security Standards, restricted: Capabilities
    pub struct NetRawCapability {
        id: "POD-024",
        title: "NET_RAW capability not dropped",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0199"), trivy("KSV-0119"), checkov("CKV_K8S_28"), kube_linter("drop-net-raw-capability")],
        remediation: "Drop ALL capabilities (or at least NET_RAW) in securityContext.capabilities.drop and do not add NET_RAW back.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for NetRawCapability {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if pod.is_windows() {
            return Ok(Verdict::NotApplicable);
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let caps = capabilities(&container)?;
            let drops_net_raw = caps.drop.iter().any(|c| is_capability(c, "NET_RAW"));
            let drops_all = caps.drop.iter().any(|c| is_capability(c, "ALL"));
            // Entries of `add` that grant NET_RAW: NET_RAW itself always (runtimes disagree on
            // whether a drop overrides an add), ALL unless NET_RAW is dropped by name.
            let granting: Vec<usize> = caps
                .add
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    is_capability(c, "NET_RAW") || (is_capability(c, "ALL") && !drops_net_raw)
                })
                .map(|(i, _)| i)
                .collect();
            let caps_path = container.security_context_path().key("capabilities");
            let (path, message) = if let Some(&first) = granting.first() {
                let name = caps.add[first];
                let what = if is_capability(name, "ALL") {
                    format!("adds {name}, which includes NET_RAW")
                } else if drops_net_raw {
                    format!(
                        "adds capability {name} and also drops it; runtimes disagree on which wins"
                    )
                } else if name != "NET_RAW" {
                    format!("adds capability {name} (NET_RAW)")
                } else {
                    format!("adds capability {name}")
                };
                (
                    caps_path.key("add").index(first),
                    format!("{} {what}", container.label()),
                )
            } else if !drops_net_raw && !drops_all {
                let found = if caps.drop.is_empty() {
                    "drops no capabilities".to_string()
                } else {
                    format!("drops only {}", caps.drop.join(", "))
                };
                (
                    caps_path.key("drop"),
                    format!(
                        "{} does not drop NET_RAW or ALL ({found})",
                        container.label()
                    ),
                )
            } else {
                continue;
            };
            // Remove from the end so earlier indices stay valid, then drop NET_RAW by name
            // unless ALL is already dropped.
            let mut ops: Vec<FixOp> = granting
                .iter()
                .rev()
                .map(|&i| FixOp::Remove {
                    path: caps_path.key("add").index(i),
                })
                .collect();
            let append = !drops_net_raw && !drops_all;
            if append {
                ops.push(FixOp::Append {
                    path: caps_path.key("drop"),
                    value: "NET_RAW".into(),
                });
            }
            violations.push(
                Violation::new(path, message).with_fix(Fix {
                    description: match (granting.is_empty(), append) {
                        (true, _) => "drop NET_RAW",
                        (false, true) => "stop adding NET_RAW and drop it",
                        (false, false) => "stop adding NET_RAW",
                    }
                    .into(),
                    safety: FixSafety::Unsafe,
                    ops,
                }),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
