use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, ObjectPath, PssLevel, Resource, Severity,
    Violation,
};

use super::common::{policy_at_least, sc_map};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// SELinux types a pod may ask for. `container_engine_t` (for running a container engine inside
/// a container) is allowed from policy version 1.31.
const ALLOWED_TYPES: &[&str] = &["", "container_t", "container_init_t", "container_kvm_t"];
const ALLOWED_TYPE_SINCE_1_31: &str = "container_engine_t";

declare_control! {
    /// ## What it checks
    /// `seLinuxOptions` at pod level (`spec.securityContext`) and in every container's
    /// `securityContext`. This is the Pod Security Standards baseline check "SELinux". When the
    /// options are present:
    /// - `type` must be empty or one of `container_t`, `container_init_t`, `container_kvm_t`
    ///   and (from Kubernetes 1.31) `container_engine_t`;
    /// - `user` and `role` must be empty.
    ///
    /// `level` is not restricted, and leaving `seLinuxOptions` out (or `{}`) passes.
    ///
    /// ## Why it matters
    /// On SELinux nodes the label decides what a container process may touch. A custom type
    /// such as `spc_t` (super-privileged container) or `unconfined_t`, or a custom user or role,
    /// lifts the confinement that keeps container processes away from the node's files and
    /// from other containers.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     type: spc_t
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   seLinuxOptions:
    ///     level: "s0:c123,c456"
    /// ```
    ///
    /// ## How to fix
    /// Remove the custom `type`, `user` and `role` and let the runtime apply its container
    /// label; set only `level` when pods need distinct categories. The automatic fix removes the
    /// offending field; it is marked unsafe because the workload may have been given the custom
    /// label to reach host resources.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: SELinux
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct SeLinuxOptions {
        id: "POD-007",
        title: "Custom SELinux type, user or role",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0025")],
        remediation: "Remove custom SELinux type, user and role from seLinuxOptions; only container_t, container_init_t, container_kvm_t and container_engine_t types are allowed.",
        fix: FixAvailability::Unsafe,
    }
}

/// Judges one `seLinuxOptions` object; `owner` names the pod or container in the message.
fn check_options(
    cx: &Context<'_>,
    options: &Node,
    path: ObjectPath,
    owner: &str,
    violations: &mut Vec<Violation>,
) -> Result<(), Skip> {
    let kind = options.str_field("type")?.unwrap_or("");
    let type_allowed = ALLOWED_TYPES.contains(&kind)
        || (kind == ALLOWED_TYPE_SINCE_1_31 && policy_at_least(cx, 31));
    if !type_allowed {
        let path = path.key("type");
        violations.push(
            Violation::new(path.clone(), format!("{owner} sets SELinux type {kind}")).with_fix(
                Fix::remove("remove the custom SELinux type", FixSafety::Unsafe, path),
            ),
        );
    }
    for field in ["user", "role"] {
        let Some(value) = options.str_field(field)? else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let path = path.key(field);
        violations.push(
            Violation::new(
                path.clone(),
                format!("{owner} sets SELinux {field} {value}"),
            )
            .with_fix(Fix::remove(
                format!("remove the custom SELinux {field}"),
                FixSafety::Unsafe,
                path,
            )),
        );
    }
    Ok(())
}

impl Check for SeLinuxOptions {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        if let Some(options) = sc_map(pod.security_context()?, "seLinuxOptions")? {
            let path = pod.security_context_path().key("seLinuxOptions");
            check_options(cx, options, path, "pod", &mut violations)?;
        }
        for container in pod.containers()? {
            if let Some(options) = sc_map(container.security_context()?, "seLinuxOptions")? {
                let path = container.security_context_path().key("seLinuxOptions");
                check_options(cx, options, path, &container.label(), &mut violations)?;
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
