use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use super::common::{capabilities, is_capability};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// Capabilities that reach past the container into the kernel or the node, with what they
/// allow. `NET_RAW` is left to POD-024.
const DANGEROUS: &[(&str, &str)] = &[
    ("ALL", "every capability"),
    (
        "SYS_ADMIN",
        "mounts, namespaces and most kernel administration",
    ),
    ("SYS_MODULE", "loading kernel modules"),
    ("SYS_RAWIO", "raw access to I/O ports and memory"),
    (
        "SYS_PTRACE",
        "tracing and injecting code into other processes",
    ),
    ("SYS_BOOT", "rebooting the node and loading a new kernel"),
    ("SYS_TIME", "setting the node's clock"),
    (
        "DAC_READ_SEARCH",
        "opening host files by handle, bypassing read permissions",
    ),
    (
        "NET_ADMIN",
        "reconfiguring interfaces, routes and firewall rules",
    ),
    ("BPF", "loading eBPF programs into the kernel"),
    ("PERFMON", "kernel performance monitoring and tracing"),
    ("MAC_ADMIN", "changing the mandatory access control policy"),
    ("MAC_OVERRIDE", "bypassing mandatory access control"),
    ("SYSLOG", "reading and clearing the kernel log"),
    ("AUDIT_CONTROL", "changing or disabling kernel auditing"),
];

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose
    /// `securityContext.capabilities.add` lists a capability that reaches past the container
    /// into the kernel or the node. Names are compared ignoring case and an optional `CAP_`
    /// prefix, so `sys_admin` and `CAP_SYS_ADMIN` count as `SYS_ADMIN`.
    ///
    /// | capability | what it allows |
    /// |---|---|
    /// | `ALL` | every capability |
    /// | `SYS_ADMIN` | mounts, namespaces and most kernel administration |
    /// | `SYS_MODULE` | loading kernel modules |
    /// | `SYS_RAWIO` | raw access to I/O ports and memory |
    /// | `SYS_PTRACE` | tracing and injecting code into other processes |
    /// | `SYS_BOOT` | rebooting the node and loading a new kernel |
    /// | `SYS_TIME` | setting the node's clock |
    /// | `DAC_READ_SEARCH` | opening host files by handle, bypassing read permissions |
    /// | `NET_ADMIN` | reconfiguring interfaces, routes and firewall rules |
    /// | `BPF`, `PERFMON` | loading eBPF programs; kernel tracing |
    /// | `MAC_ADMIN`, `MAC_OVERRIDE` | changing or bypassing AppArmor/SELinux policy |
    /// | `SYSLOG` | reading and clearing the kernel log |
    /// | `AUDIT_CONTROL` | changing or disabling kernel auditing |
    ///
    /// `NET_RAW` is judged by POD-024. POD-005 (the Pod Security Standards check) reports
    /// every capability outside the baseline set; this control singles out the ones that are
    /// dangerous wherever they are allowed. Windows pods are not judged.
    ///
    /// ## Why it matters
    /// Each of these capabilities is a known way out of the container or a lever on the whole
    /// node: `SYS_ADMIN` and `DAC_READ_SEARCH` have well-known escapes, `SYS_MODULE` loads code
    /// into the kernel, `SYS_PTRACE` hijacks processes, `NET_ADMIN` rewrites the node's network.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     add: ["SYS_ADMIN"]
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   capabilities:
    ///     drop: ["ALL"]
    /// ```
    ///
    /// ## How to fix
    /// Remove the capability. If the workload cannot run without it (a CNI plugin, a node
    /// agent), isolate it in its own namespace and record an exception. The machine fix
    /// removes the entry from `add`; it is marked unsafe because the workload may depend on it.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.9 (minimise containers with capabilities assigned)
    /// - NSA-CISA Kubernetes Hardening Guide: Hardening container environments
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    /// - Linux manual page capabilities(7)
    pub struct DangerousCapabilities {
        id: "POD-025",
        title: "Dangerous capability added",
        severity: Severity::High,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0046"), trivy("KSV-0005"), trivy("KSV-0120"), checkov("CKV_K8S_39"), polaris("dangerousCapabilities")],
        remediation: "Remove the dangerous capability from securityContext.capabilities.add; isolate and document the rare workload that truly needs it.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for DangerousCapabilities {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if pod.is_windows() {
            return Ok(Verdict::NotApplicable);
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for (i, name) in capabilities(&container)?.add.into_iter().enumerate() {
                let Some((cap, allows)) =
                    DANGEROUS.iter().find(|(cap, _)| is_capability(name, cap))
                else {
                    continue;
                };
                let path = container
                    .security_context_path()
                    .keys(&["capabilities", "add"])
                    .index(i);
                let spelled = if name == *cap {
                    name.to_string()
                } else {
                    format!("{name} ({cap})")
                };
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!(
                            "{} adds capability {spelled}, which grants {allows}",
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
