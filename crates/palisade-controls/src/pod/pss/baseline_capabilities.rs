use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// The capabilities the baseline level lets a container add: the default set container runtimes
/// grant anyway, minus NET_RAW. Matched exactly and case-sensitively, as Pod Security Admission
/// does.
const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

declare_control! {
    /// ## What it checks
    /// Every entry of `securityContext.capabilities.add` in every container, init container and
    /// ephemeral container. This is the Pod Security Standards baseline check "Capabilities":
    /// only these 13 may be added: AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD,
    /// NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT. The comparison is
    /// exact: `chown` or `CAP_CHOWN` is not on the list and fails, as it does in Pod Security
    /// Admission. `drop` is not looked at. The restricted level replaces this check with the
    /// stricter POD-018.
    ///
    /// ## Why it matters
    /// The allowed set is what container runtimes grant by default anyway (without NET_RAW), so
    /// adding one of them changes little. Everything else widens what root in the container can
    /// do to the kernel: SYS_ADMIN alone is close to a privileged container, SYS_PTRACE reads
    /// other processes' memory, NET_ADMIN and NET_RAW let the container reconfigure and spoof
    /// network traffic, SYS_MODULE loads kernel code.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       capabilities:
    ///         add: ["NET_ADMIN"]
    /// ```
    /// Fixed:
    /// ```yaml
    ///     securityContext:
    ///       capabilities:
    ///         drop: ["ALL"]
    /// ```
    ///
    /// ## How to fix
    /// Remove the capability from `add`. If the application genuinely needs it, run it in a
    /// namespace exempted on purpose and record an exception. A name written in lowercase or
    /// with the `CAP_` prefix only needs to be spelled the canonical way (`CHOWN`); Palisade's
    /// fix does that safely. Removing any other capability is marked unsafe, as the application
    /// may depend on it.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Capabilities
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct BaselineCapabilities {
        id: "POD-005",
        title: "Container adds capabilities beyond the baseline set",
        severity: Severity::High,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0022")],
        remediation: "Remove capabilities outside the baseline set from securityContext.capabilities.add; write allowed ones exactly (e.g. CHOWN, not chown or CAP_CHOWN).",
        fix: FixAvailability::Unsafe,
    }
}

/// The canonical spelling of a capability written in lowercase or with the `CAP_` prefix, when
/// that spelling is in the baseline set.
fn canonical(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    BASELINE_CAPABILITIES
        .iter()
        .copied()
        .find(|allowed| *allowed == bare)
}

impl Check for BaselineCapabilities {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let Some(sc) = container.security_context()? else {
                continue;
            };
            let Some(capabilities) = sc.map_field("capabilities")? else {
                continue;
            };
            for (i, entry) in capabilities.seq_field("add")?.iter().enumerate() {
                let name = entry.expect_str("add")?;
                if BASELINE_CAPABILITIES.contains(&name) {
                    continue;
                }
                let path = container
                    .security_context_path()
                    .keys(&["capabilities", "add"])
                    .index(i);
                let violation = match canonical(name) {
                    Some(spelled) => Violation::new(
                        path.clone(),
                        format!(
                            "{} adds capability `{name}`; only the exact spelling {spelled} is in the baseline set",
                            container.label()
                        ),
                    )
                    .with_fix(Fix::set(format!("write the capability as {spelled}"), FixSafety::Safe, path, spelled.into())),
                    None => Violation::new(
                        path.clone(),
                        format!("{} adds capability {name}, which is outside the baseline set", container.label()),
                    )
                    .with_fix(Fix::remove(format!("stop adding {name}"), FixSafety::Unsafe, path)),
                };
                violations.push(violation);
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
