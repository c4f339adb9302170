use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, ObjectPath, PssLevel, Resource, Severity,
    Violation,
};

use super::common::{confined_profile_type, describe_profile_type, sc_map};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `seccompProfile` at pod level (`spec.securityContext`) and in every container's
    /// `securityContext`. This is the Pod Security Standards baseline check "Seccomp": a profile
    /// that is present must have type `RuntimeDefault` or `Localhost`; `Unconfined` (or an empty
    /// type) fails. Leaving the profile out passes at baseline. The restricted level replaces
    /// this check with POD-017, which also requires a profile to be set.
    ///
    /// ## Why it matters
    /// A seccomp profile limits which kernel system calls a container may make. Most kernel
    /// privilege-escalation exploits go through system calls that ordinary applications never
    /// use, and the runtime's default profile blocks many of them. `Unconfined` removes that
    /// filter explicitly.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: Unconfined
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   seccompProfile:
    ///     type: RuntimeDefault
    /// ```
    ///
    /// ## How to fix
    /// Use `RuntimeDefault`, or a `Localhost` profile written for the application. The
    /// default profile denies some rarely used system calls, so the automatic fix is marked
    /// unsafe; test the workload with it.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Seccomp
    /// - CIS Kubernetes Benchmark 5.6.2
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct SeccompUnconfined {
        id: "POD-009",
        title: "Seccomp explicitly unconfined",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0104")],
        remediation: "Set seccompProfile.type to RuntimeDefault (or Localhost with a profile for the application) instead of Unconfined.",
        fix: FixAvailability::Unsafe,
    }
}

/// The violation for a `seccompProfile` whose type is neither `RuntimeDefault` nor `Localhost`,
/// if it is one. Shared with POD-017.
pub(super) fn check_profile(
    profile: &Node,
    path: ObjectPath,
    owner: &str,
) -> Result<Option<Violation>, Skip> {
    let kind = profile.str_field("type")?;
    if kind.is_some_and(confined_profile_type) {
        return Ok(None);
    }
    let path = path.key("type");
    Ok(Some(
        Violation::new(
            path.clone(),
            format!(
                "{owner} sets a seccomp profile with {}",
                describe_profile_type(kind)
            ),
        )
        .with_fix(Fix::set(
            "use the runtime's default seccomp profile",
            FixSafety::Unsafe,
            path,
            "RuntimeDefault".into(),
        )),
    ))
}

impl Check for SeccompUnconfined {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        if let Some(field) = sc_map(pod.security_context()?, "seccompProfile")? {
            let path = pod.security_context_path().key("seccompProfile");
            violations.extend(check_profile(field, path, "pod")?);
        }
        for container in pod.containers()? {
            if let Some(field) = sc_map(container.security_context()?, "seccompProfile")? {
                let path = container.security_context_path().key("seccompProfile");
                violations.extend(check_profile(field, path, &container.label())?);
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
