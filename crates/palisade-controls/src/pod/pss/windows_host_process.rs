use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, ObjectPath, PssLevel, Resource, Severity,
    Violation,
};

use super::common::sc_map;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// `windowsOptions.hostProcess` in the pod's `securityContext` and in every container's
    /// `securityContext`. This is the Pod Security Standards baseline check "HostProcess": an
    /// explicit `true` at either level fails, whatever `spec.os` says.
    ///
    /// ## Why it matters
    /// A Windows HostProcess container is not isolated at all: it runs directly on the Windows
    /// node as a process, with the node's network and filesystem, usually as SYSTEM or another
    /// privileged account. It is the Windows counterpart of a privileged container with every
    /// host namespace, and whoever controls it controls the node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// spec:
    ///   hostNetwork: true
    ///   securityContext:
    ///     windowsOptions:
    ///       hostProcess: true
    ///       runAsUserName: "NT AUTHORITY\\SYSTEM"
    /// ```
    /// Fixed:
    /// ```yaml
    /// spec:
    ///   securityContext:
    ///     windowsOptions:
    ///       runAsUserName: ContainerUser
    /// ```
    ///
    /// ## How to fix
    /// Run the workload as an ordinary Windows container. Node agents that must run as host
    /// processes belong in a dedicated namespace that is exempted on purpose. Turning
    /// HostProcess off changes how the workload runs (and a HostProcess pod also sets
    /// `hostNetwork`, see POD-002), so the automatic fix is marked unsafe.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: HostProcess
    /// - CIS Kubernetes Benchmark 5.2.10
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct WindowsHostProcess {
        id: "POD-011",
        title: "Windows HostProcess container",
        severity: Severity::Critical,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0103"), polaris("hostProcess")],
        remediation: "Remove windowsOptions.hostProcess (or set it to false) at pod and container level; keep host-process node agents in an exempted namespace.",
        fix: FixAvailability::Unsafe,
    }
}

/// The violation for a security context that sets `windowsOptions.hostProcess: true`.
fn check_context(
    sc: Option<&Node>,
    path: ObjectPath,
    owner: &str,
) -> Result<Option<Violation>, Skip> {
    let Some(options) = sc_map(sc, "windowsOptions")? else {
        return Ok(None);
    };
    if options.bool_field("hostProcess")? != Some(true) {
        return Ok(None);
    }
    let path = path.keys(&["windowsOptions", "hostProcess"]);
    Ok(Some(
        Violation::new(
            path.clone(),
            format!("{owner} runs as a Windows host process (hostProcess: true)"),
        )
        .with_fix(Fix::set(
            "set hostProcess to false",
            FixSafety::Unsafe,
            path,
            false.into(),
        )),
    ))
}

impl Check for WindowsHostProcess {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for (context, path, owner) in pod.security_contexts()? {
            violations.extend(check_context(context, path, &owner)?);
        }
        Ok(Verdict::Checked(violations))
    }
}
