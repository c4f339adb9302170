use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::policy_at_least;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// Sysctls that are namespaced to the pod and cannot affect the node or other pods, with the
/// Kubernetes minor version from which the baseline level allows each one.
const SAFE_SYSCTLS: &[(&str, u32)] = &[
    ("kernel.shm_rmid_forced", 0),
    ("net.ipv4.ip_local_port_range", 0),
    ("net.ipv4.tcp_syncookies", 0),
    ("net.ipv4.ping_group_range", 0),
    ("net.ipv4.ip_unprivileged_port_start", 0),
    ("net.ipv4.ip_local_reserved_ports", 27),
    ("net.ipv4.tcp_keepalive_time", 29),
    ("net.ipv4.tcp_fin_timeout", 29),
    ("net.ipv4.tcp_keepalive_intvl", 29),
    ("net.ipv4.tcp_keepalive_probes", 29),
    ("net.ipv4.tcp_rmem", 32),
    ("net.ipv4.tcp_wmem", 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37),
    ("net.ipv4.tcp_notsent_lowat", 37),
];

declare_control! {
    /// ## What it checks
    /// The sysctls in `spec.securityContext.sysctls`. This is the Pod Security Standards
    /// baseline check "Sysctls": every name must be on the list of safe sysctls, matched
    /// exactly. In Kubernetes 1.37 that list is `kernel.shm_rmid_forced`,
    /// `net.ipv4.ip_local_port_range`, `net.ipv4.ip_local_reserved_ports` (1.27+),
    /// `net.ipv4.tcp_syncookies`, `net.ipv4.ping_group_range`,
    /// `net.ipv4.ip_unprivileged_port_start`, `net.ipv4.tcp_keepalive_time`,
    /// `net.ipv4.tcp_fin_timeout`, `net.ipv4.tcp_keepalive_intvl`,
    /// `net.ipv4.tcp_keepalive_probes` (those four 1.29+), `net.ipv4.tcp_rmem`,
    /// `net.ipv4.tcp_wmem` (1.32+), `net.ipv4.tcp_slow_start_after_idle` and
    /// `net.ipv4.tcp_notsent_lowat` (1.37+). When scanning for an older Kubernetes version,
    /// only the names allowed in that version pass. Values are not checked.
    ///
    /// ## Why it matters
    /// The safe sysctls only change settings that belong to the pod's own namespaces. Any
    /// other sysctl may change the kernel for the whole node, or for every pod on it, and a
    /// wrong value can starve or crash neighbours. The kubelet refuses most of them unless it
    /// was configured to allow them, which is exactly the kind of exception that needs review.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///     - name: kernel.msgmax
    ///       value: "65536"
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   sysctls:
    ///     - name: net.ipv4.ip_local_port_range
    ///       value: "1024 65535"
    /// ```
    ///
    /// ## How to fix
    /// Remove sysctls outside the safe list. Tune the node itself if the setting is really
    /// needed, or run the workload in a namespace exempted on purpose. The automatic fix
    /// removes the entry; it is marked unsafe because the application may depend on it.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Sysctls
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct UnsafeSysctls {
        id: "POD-010",
        title: "Unsafe sysctl",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0026"), kube_linter("unsafe-sysctls")],
        remediation: "Remove sysctls outside the safe set from spec.securityContext.sysctls; tune the node instead if the setting is needed.",
        fix: FixAvailability::Unsafe,
    }
}

fn safe(cx: &Context<'_>, name: &str) -> bool {
    SAFE_SYSCTLS
        .iter()
        .any(|(safe, since)| *safe == name && policy_at_least(cx, *since))
}

impl Check for UnsafeSysctls {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        let Some(sc) = pod.security_context()? else {
            return Ok(Verdict::pass());
        };
        let path = pod.security_context_path().key("sysctls");
        for (i, sysctl) in sc.seq_field("sysctls")?.iter().enumerate() {
            let name = sysctl
                .expect_map("sysctls")?
                .str_field("name")?
                .unwrap_or("");
            if safe(cx, name) {
                continue;
            }
            let newer = SAFE_SYSCTLS
                .iter()
                .find(|(safe, _)| *safe == name)
                .map(|(_, since)| *since);
            let message = match newer {
                _ if name.is_empty() => "pod sets a sysctl without a name".to_string(),
                Some(since) => format!(
                    "pod sets sysctl {name}, which is only in the safe set from Kubernetes 1.{since} (target {})",
                    cx.settings.kube_version
                ),
                None => format!("pod sets sysctl {name}, which is not in the safe set"),
            };
            violations.push(Violation::new(path.index(i).key("name"), message).with_fix(
                Fix::remove("remove the sysctl", FixSafety::Unsafe, path.index(i)),
            ));
        }
        Ok(Verdict::Checked(violations))
    }
}
