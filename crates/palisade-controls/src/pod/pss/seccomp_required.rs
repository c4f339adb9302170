use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::{labels, policy_at_least, sc_map};
use super::seccomp_unconfined::check_profile;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// The seccomp profile of the pod and of every container. This is the Pod Security
    /// Standards restricted check "Seccomp": a profile must be in force for every container,
    /// and it must have type `RuntimeDefault` or `Localhost`. It passes when the pod sets a
    /// valid `spec.securityContext.seccompProfile` (containers without their own profile inherit
    /// it), or when every container, init container and ephemeral container sets a valid one.
    /// An explicit `Unconfined` (or empty type) fails at either level. Pods that declare
    /// `spec.os.name: windows` are exempt (from Kubernetes 1.25), as Windows has no seccomp. At
    /// the restricted level this check replaces POD-009.
    ///
    /// ## Why it matters
    /// Without a profile, container runtimes on Kubernetes run containers unconfined: every
    /// system call is allowed, including the rarely used ones most kernel exploits go through.
    /// The runtime's default profile blocks those at almost no cost to ordinary applications.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     seccompProfile:
    ///       type: RuntimeDefault
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    ///
    /// ## How to fix
    /// Set `seccompProfile: {type: RuntimeDefault}` in the pod's `securityContext`, or a
    /// `Localhost` profile written for the application, and remove any `Unconfined`. The
    /// default profile denies a few system calls some applications use, so the automatic fix
    /// is marked unsafe; test the workload with it.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Seccomp
    /// - CIS Kubernetes Benchmark 5.6.2
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct SeccompRequired {
        id: "POD-017",
        title: "Seccomp profile not set",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[kubescape("C-0210"), trivy("KSV-0030"), checkov("CKV_K8S_31"), kube_score("container-seccomp-profile")],
        remediation: "Set securityContext.seccompProfile.type to RuntimeDefault (or Localhost) for the pod, or for every container.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for SeccompRequired {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if policy_at_least(cx, 25) && pod.is_windows() {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        let pod_profile_path = pod.security_context_path().key("seccompProfile");
        let pod_profile = sc_map(pod.security_context()?, "seccompProfile")?;
        if let Some(profile) = pod_profile {
            violations.extend(check_profile(profile, pod_profile_path.clone(), "pod")?);
        }
        let containers = pod.containers()?;
        let mut unset = Vec::new();
        for container in &containers {
            match sc_map(container.security_context()?, "seccompProfile")? {
                Some(profile) => {
                    let path = container.security_context_path().key("seccompProfile");
                    violations.extend(check_profile(profile, path, &container.label())?);
                }
                None => unset.push(container),
            }
        }
        // Containers without a profile inherit the pod's. An invalid pod-level profile is
        // already reported above, and fixing it covers them too.
        if pod_profile.is_none() && !unset.is_empty() {
            violations.push(
                Violation::new(
                    pod_profile_path.clone(),
                    format!(
                        "neither the pod nor {} sets a seccomp profile",
                        labels(&unset)
                    ),
                )
                .with_fix(Fix::set(
                    "use the runtime's default seccomp profile for the pod",
                    FixSafety::Unsafe,
                    pod_profile_path,
                    serde_json::json!({"type": "RuntimeDefault"}),
                )),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
