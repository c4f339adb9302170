use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::{policy_at_least, user_namespaced};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::{Container, pod_spec};

declare_control! {
    /// ## What it checks
    /// `securityContext.procMount` of every container, init container and ephemeral container.
    /// This is the Pod Security Standards baseline check "/proc Mount Type": any value other than
    /// `Default` (in practice `Unmasked`) fails. From Kubernetes 1.35 the baseline level
    /// allows any value when the pod runs in its own user namespace (`spec.hostUsers: false`),
    /// because root in such a pod is not root on the node. The restricted level does not have
    /// that exception; POD-019 checks it there.
    ///
    /// ## Why it matters
    /// The runtime hides and write-protects sensitive parts of `/proc` in every container
    /// (kernel keys, timers, `sysrq-trigger` and so on). An unmasked `/proc` exposes them, which
    /// leaks information about the node and gives an attacker kernel interfaces that help in
    /// escaping the container.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: builder
    ///     image: example/builder:1.0
    ///     securityContext:
    ///       procMount: Unmasked
    /// ```
    /// Fixed:
    /// ```yaml
    ///     securityContext:
    ///       procMount: Default
    /// ```
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`. Tools that build or run containers inside a
    /// container sometimes need an unmasked `/proc`; give those pods their own user namespace
    /// with `hostUsers: false`. The automatic fix sets `Default`, which may break such tools,
    /// so it is marked unsafe.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: /proc Mount Type
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct ProcMount {
        id: "POD-008",
        title: "Unmasked /proc mount",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0027"), polaris("procMount"), kube_linter("unsafe-proc-mount")],
        remediation: "Remove securityContext.procMount or set it to Default; pods that need an unmasked /proc should set hostUsers: false.",
        fix: FixAvailability::Unsafe,
    }
}

/// The violation for a container whose `procMount` is not `Default`, if it has one. Shared
/// with POD-019, which applies the same rule without the user-namespace exception.
pub(super) fn check_container(
    container: &Container<'_>,
    note: &str,
) -> Result<Option<Violation>, Skip> {
    let Some(sc) = container.security_context()? else {
        return Ok(None);
    };
    let Some(mount) = sc.str_field("procMount")? else {
        return Ok(None);
    };
    if mount == "Default" {
        return Ok(None);
    }
    let path = container.security_context_path().key("procMount");
    Ok(Some(
        Violation::new(
            path.clone(),
            format!("{} sets procMount: {mount}{note}", container.label()),
        )
        .with_fix(Fix::set(
            "mask /proc (procMount: Default)",
            FixSafety::Unsafe,
            path,
            "Default".into(),
        )),
    ))
}

impl Check for ProcMount {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        // From 1.35, a pod in its own user namespace may use any /proc mount at baseline.
        if policy_at_least(cx, 35) && user_namespaced(&pod)? {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            violations.extend(check_container(&container, "")?);
        }
        Ok(Verdict::Checked(violations))
    }
}
