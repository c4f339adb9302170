use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::{labels, policy_at_least, user_namespaced};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `runAsNonRoot` in the pod's `securityContext` and in every container's. This is the Pod
    /// Security Standards restricted check "Running as Non-root". It passes when the pod sets
    /// `runAsNonRoot: true` and no container sets it to `false`, or when the pod leaves it unset
    /// and every container (init and ephemeral ones included) sets it to `true`. A `false`
    /// anywhere fails, even when the other level says `true`. A numeric `runAsUser` does not
    /// count: the field itself must be set. From Kubernetes 1.35 a pod in its own user namespace
    /// (`spec.hostUsers: false`) passes whatever it sets, because its root user has no power on
    /// the node.
    ///
    /// ## Why it matters
    /// Root in a container is root on the node's kernel, held back only by the other isolation
    /// layers; one kernel or runtime bug away from owning the node, and owner of every file the
    /// container can reach. `runAsNonRoot: true` makes the kubelet refuse to start a container
    /// whose user is root, so an image that silently runs as root is caught instead of run.
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
    ///     runAsNonRoot: true
    ///     runAsUser: 10001
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    ///
    /// ## How to fix
    /// Set `runAsNonRoot: true` in the pod's `securityContext` and remove any `false` from the
    /// containers. The image must then run as a non-zero user: either its `USER` is numeric and
    /// not 0, or the pod sets `runAsUser`. A container whose image runs as root will no longer
    /// start, so the automatic fix is marked unsafe.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Running as Non-root
    /// - CIS Kubernetes Benchmark 5.2.7
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct RunAsNonRoot {
        id: "POD-015",
        title: "Containers not required to run as non-root",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[kubescape("C-0013"), trivy("KSV-0012"), checkov("CKV_K8S_23"), polaris("runAsRootAllowed"), kube_linter("run-as-non-root")],
        remediation: "Set securityContext.runAsNonRoot: true at pod level (and never false in a container), and run the image as a non-zero user.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for RunAsNonRoot {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if policy_at_least(cx, 35) && user_namespaced(&pod)? {
            return Ok(Verdict::pass());
        }
        let pod_value = match pod.security_context()? {
            Some(sc) => sc.bool_field("runAsNonRoot")?,
            None => None,
        };
        let pod_path = pod.security_context_path().key("runAsNonRoot");
        let set_pod = || {
            Fix::set(
                "set runAsNonRoot to true for the pod",
                FixSafety::Unsafe,
                pod_path.clone(),
                true.into(),
            )
        };
        let mut violations = Vec::new();
        if pod_value == Some(false) {
            violations.push(
                Violation::new(pod_path.clone(), "pod sets runAsNonRoot: false")
                    .with_fix(set_pod()),
            );
        }
        let containers = pod.containers()?;
        let mut unset = Vec::new();
        for container in &containers {
            let value = match container.security_context()? {
                Some(sc) => sc.bool_field("runAsNonRoot")?,
                None => None,
            };
            match value {
                Some(true) => {}
                Some(false) => {
                    let path = container.security_context_path().key("runAsNonRoot");
                    violations.push(
                        Violation::new(
                            path.clone(),
                            format!("{} sets runAsNonRoot: false", container.label()),
                        )
                        .with_fix(Fix::set(
                            "set runAsNonRoot to true",
                            FixSafety::Unsafe,
                            path,
                            true.into(),
                        )),
                    );
                }
                None => unset.push(container),
            }
        }
        // Containers that leave it unset inherit the pod's value; a pod-level `false` is
        // already reported above, and fixing it covers them too.
        if pod_value.is_none() && !unset.is_empty() {
            violations.push(
                Violation::new(
                    pod_path.clone(),
                    format!(
                        "neither the pod nor {} sets runAsNonRoot: true",
                        labels(&unset)
                    ),
                )
                .with_fix(set_pod()),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
