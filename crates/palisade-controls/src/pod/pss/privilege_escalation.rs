use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::policy_at_least;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `securityContext.allowPrivilegeEscalation` of every container, init container and
    /// ephemeral container. This is the Pod Security Standards restricted check "Privilege
    /// Escalation": each one must set it explicitly to `false`. A missing `securityContext`, a
    /// missing field and `true` all fail, because the runtime's default is to allow
    /// escalation. Pods that declare `spec.os.name: windows` are exempt (from Kubernetes 1.25),
    /// as the setting has no meaning on Windows.
    ///
    /// ## Why it matters
    /// With escalation allowed, a process in the container can gain privileges it was not
    /// started with, through setuid and setgid programs or file capabilities. Setting it to
    /// `false` turns on the kernel's `no_new_privs` flag, which closes that route for the
    /// container's whole life, so a compromised process cannot become root even where the
    /// image contains a setuid binary.
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
    ///       allowPrivilegeEscalation: false
    /// ```
    ///
    /// ## How to fix
    /// Add `allowPrivilegeEscalation: false` to every container's `securityContext`. Kubernetes
    /// rejects that setting on a privileged container, so make the container unprivileged
    /// first (POD-001); Palisade offers no automatic fix for privileged containers.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Privilege Escalation
    /// - CIS Kubernetes Benchmark 5.2.6
    /// - MITRE ATT&CK T1068 (Exploitation for Privilege Escalation)
    pub struct PrivilegeEscalation {
        id: "POD-014",
        title: "Privilege escalation not disabled",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[kubescape("C-0016"), trivy("KSV-0001"), checkov("CKV_K8S_20"), polaris("privilegeEscalationAllowed")],
        remediation: "Set securityContext.allowPrivilegeEscalation to false in every container.",
        fix: FixAvailability::Safe,
    }
}

impl Check for PrivilegeEscalation {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if policy_at_least(cx, 25) && pod.is_windows() {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let sc = container.security_context()?;
            let (allowed, privileged) = match sc {
                Some(sc) => (
                    sc.bool_field("allowPrivilegeEscalation")?,
                    sc.bool_field("privileged")? == Some(true),
                ),
                None => (None, false),
            };
            if allowed == Some(false) {
                continue;
            }
            let path = container
                .security_context_path()
                .key("allowPrivilegeEscalation");
            let message = match allowed {
                Some(_) => format!("{} sets allowPrivilegeEscalation: true", container.label()),
                None => format!(
                    "{} does not set allowPrivilegeEscalation: false",
                    container.label()
                ),
            };
            // Kubernetes refuses allowPrivilegeEscalation: false on a privileged container.
            violations.push(if privileged {
                Violation::new(
                    path,
                    format!(
                        "{message} (Kubernetes only accepts false once the container is no longer privileged)"
                    ),
                )
            } else {
                Violation::new(path.clone(), message).with_fix(Fix::set(
                    "set allowPrivilegeEscalation to false",
                    FixSafety::Safe,
                    path,
                    false.into(),
                ))
            });
        }
        Ok(Verdict::Checked(violations))
    }
}
