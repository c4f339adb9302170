use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose
    /// `securityContext.privileged` is `true`. This is the Pod Security Standards baseline
    /// check "Privileged Containers".
    ///
    /// ## Why it matters
    /// A privileged container runs with almost every capability of root on the node and sees
    /// the node's devices. Escaping to the host from one is routine, so a compromised
    /// privileged container is a compromised node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       privileged: true
    /// ```
    /// Fixed:
    /// ```yaml
    ///     securityContext:
    ///       privileged: false
    /// ```
    ///
    /// ## How to fix
    /// Set `privileged: false` (or remove the field). If the workload needs one specific
    /// kernel feature, grant only the capability it needs instead.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Privileged Containers
    /// - CIS Kubernetes Benchmark 5.2.2
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct Privileged {
        id: "POD-001",
        title: "Privileged container",
        severity: Severity::Critical,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[kubescape("C-0057"), trivy("KSV-0017"), checkov("CKV_K8S_16"), polaris("runAsPrivileged"), kube_linter("privileged-container"), kube_score("container-security-context-privileged")],
        remediation: "Set securityContext.privileged to false, or remove it; grant a single capability instead if one is truly needed.",
        fix: FixAvailability::Safe,
    }
}

impl Check for Privileged {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let Some(sc) = container.security_context()? else {
                continue;
            };
            if sc.bool_field("privileged")? == Some(true) {
                let path = container.security_context_path().key("privileged");
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!("{} sets privileged: true", container.label()),
                    )
                    .with_fix(Fix::set(
                        "set privileged to false",
                        FixSafety::Safe,
                        path,
                        false.into(),
                    )),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
