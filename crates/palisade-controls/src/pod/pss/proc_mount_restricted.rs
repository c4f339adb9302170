use palisade_core::{Family, FixAvailability, Node, PssLevel, Resource, Severity};

use super::common::policy_at_least;
use super::proc_mount::check_container;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `securityContext.procMount` of every container, init container and ephemeral container,
    /// at the Pod Security Standards restricted level: any value other than `Default` fails,
    /// even in a pod that runs in its own user namespace (`spec.hostUsers: false`). Kubernetes
    /// 1.35 split the "/proc Mount Type" check in two: baseline (POD-008) accepts an unmasked
    /// `/proc` in a user namespace, restricted (this control) never does, and replaces POD-008
    /// at the restricted level. When scanning for a Kubernetes version before 1.35 this control
    /// does not apply, and POD-008, which then has no user-namespace exception, covers both
    /// levels.
    ///
    /// ## Why it matters
    /// A user namespace makes root in the pod powerless on the node, which is why baseline
    /// tolerates an unmasked `/proc` there. It still exposes kernel interfaces and information
    /// about the node that the runtime normally hides, and user namespaces have had their own
    /// kernel bugs. The restricted level keeps the default masking without exception.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// spec:
    ///   hostUsers: false
    ///   containers:
    ///     - name: builder
    ///       image: example/builder:1.0
    ///       securityContext:
    ///         procMount: Unmasked
    /// ```
    /// Fixed:
    /// ```yaml
    ///       securityContext:
    ///         procMount: Default
    /// ```
    ///
    /// ## How to fix
    /// Remove `procMount` or set it to `Default`. Workloads that genuinely need an unmasked
    /// `/proc` (nested container builds) cannot meet the restricted level; run them in a
    /// namespace enforcing baseline with `hostUsers: false`. The automatic fix sets `Default`
    /// and is marked unsafe, as such tools may stop working.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: /proc Mount Type
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct ProcMountRestricted {
        id: "POD-019",
        title: "Unmasked /proc mount (restricted, also in user namespaces)",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[trivy("KSV-0027"), polaris("procMount"), kube_linter("unsafe-proc-mount")],
        remediation: "Remove securityContext.procMount or set it to Default in every container; the restricted level allows no exception, even with hostUsers: false.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for ProcMountRestricted {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !policy_at_least(cx, 35) {
            return Ok(Verdict::NotApplicable);
        }
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        // hostUsers does not change the verdict here, only the message.
        let note = if pod.spec.get("hostUsers").and_then(Node::as_bool) == Some(false) {
            " (not allowed at the restricted level, even with hostUsers: false)"
        } else {
            ""
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            violations.extend(check_container(&container, note)?);
        }
        Ok(Verdict::Checked(violations))
    }
}
