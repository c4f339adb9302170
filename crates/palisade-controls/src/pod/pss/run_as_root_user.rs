use palisade_core::{
    Family, Fix, FixAvailability, FixOp, FixSafety, Node, ObjectPath, PssLevel, Resource, Severity,
    Violation,
};

use super::common::{policy_at_least, user_namespaced};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `runAsUser` in the pod's `securityContext` and in every container's. This is the Pod
    /// Security Standards restricted check "Running as Non-root user": the value `0` fails at
    /// either level; a pod-level `0` fails even when every container overrides it. An absent
    /// field or any other number passes. The check exists from Kubernetes 1.23, and from 1.35 a
    /// pod in its own user namespace (`spec.hostUsers: false`) is exempt, because its root user
    /// has no power on the node.
    ///
    /// ## Why it matters
    /// `runAsUser: 0` asks for root explicitly, overriding whatever non-root user the image was
    /// built with. Root in a container shares the node's kernel with every other workload; it
    /// owns every file the container can reach and needs only one isolation bug to reach the
    /// node. It also defeats `runAsNonRoot`, which then stops the container from starting.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 0
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsNonRoot: true
    /// ```
    ///
    /// ## How to fix
    /// Choose a non-zero user ID the application can run as (the image's own user, or a
    /// dedicated high UID) and set it in `runAsUser`, or remove the field and let the image
    /// decide. Palisade cannot pick the user for you; its machine fix (unsafe) takes the
    /// second way: it removes `runAsUser: 0` and sets `runAsNonRoot: true`, so a container whose
    /// image runs as root is refused at start instead of running as root.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Running as Non-root user
    /// - CIS Kubernetes Benchmark 5.2.7
    /// - MITRE ATT&CK T1611 (Escape to Host), T1068 (Exploitation for Privilege Escalation)
    pub struct RunAsRootUser {
        id: "POD-016",
        title: "Runs as user 0 (root)",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[trivy("KSV-0105")],
        remediation: "Set runAsUser to a non-zero user ID the application can run as, or remove runAsUser: 0 and let the image's non-root user apply.",
        fix: FixAvailability::Unsafe,
    }
}

/// The violation for a security context that sets `runAsUser: 0`.
fn check_context(
    sc: Option<&Node>,
    path: ObjectPath,
    owner: &str,
) -> Result<Option<Violation>, Skip> {
    let Some(sc) = sc else {
        return Ok(None);
    };
    if sc.int_field("runAsUser")? != Some(0) {
        return Ok(None);
    }
    // Without the field the image's user applies; runAsNonRoot makes the kubelet refuse to
    // start the container if that user is root, rather than let it run as root quietly.
    let fix = Fix {
        description: "remove runAsUser: 0 and require a non-root user".into(),
        safety: FixSafety::Unsafe,
        ops: vec![
            FixOp::Set {
                path: path.key("runAsNonRoot"),
                value: true.into(),
            },
            FixOp::Remove {
                path: path.key("runAsUser"),
            },
        ],
    };
    Ok(Some(
        Violation::new(
            path.key("runAsUser"),
            format!("{owner} sets runAsUser: 0 (root)"),
        )
        .with_fix(fix),
    ))
}

impl Check for RunAsRootUser {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !policy_at_least(cx, 23) {
            return Ok(Verdict::NotApplicable);
        }
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if policy_at_least(cx, 35) && user_namespaced(&pod)? {
            return Ok(Verdict::pass());
        }
        let mut violations = Vec::new();
        for (context, path, owner) in pod.security_contexts()? {
            violations.extend(check_context(context, path, &owner)?);
        }
        Ok(Verdict::Checked(violations))
    }
}
