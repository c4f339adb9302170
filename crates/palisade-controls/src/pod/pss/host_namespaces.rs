use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// The pod fields that put a pod into one of the node's namespaces, with what each one shares.
const HOST_NAMESPACES: &[(&str, &str)] = &[
    ("hostNetwork", "network"),
    ("hostPID", "process ID"),
    ("hostIPC", "IPC"),
];

declare_control! {
    /// ## What it checks
    /// Pods that set `spec.hostNetwork`, `spec.hostPID` or `spec.hostIPC` to `true`. This is the
    /// Pod Security Standards baseline check "Host Namespaces". Only an explicit `true` counts;
    /// an absent field or `false` passes.
    ///
    /// ## Why it matters
    /// Namespaces are what keep a container from seeing the rest of the node. With
    /// `hostNetwork` the pod listens and sniffs on the node's interfaces and reaches services
    /// bound to the node's loopback address. With `hostPID` it sees, signals and can trace
    /// every process on the node, and reads their environment. With `hostIPC` it can read and
    /// write the shared memory of other processes on the node. Each one turns a container
    /// compromise into a node compromise far more easily.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// spec:
    ///   hostPID: true
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    ///
    /// ## How to fix
    /// Remove the three fields or set them to `false`. A workload that really needs the node's
    /// namespaces (a CNI plugin, a node monitoring agent) belongs in a dedicated namespace that
    /// is exempted on purpose, with an exception recorded for this control.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Namespaces
    /// - CIS Kubernetes Benchmark 5.2.3 (hostPID), 5.2.4 (hostIPC), 5.2.5 (hostNetwork)
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct HostNamespaces {
        id: "POD-002",
        title: "Pod shares the node's namespaces",
        severity: Severity::High,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[
            kubescape("C-0038"), kubescape("C-0041"),
            trivy("KSV-0008"), trivy("KSV-0009"), trivy("KSV-0010"),
            checkov("CKV_K8S_17"), checkov("CKV_K8S_18"), checkov("CKV_K8S_19"),
            polaris("hostNetworkSet"), polaris("hostPIDSet"), polaris("hostIPCSet"),
            kube_linter("host-network"), kube_linter("host-pid"), kube_linter("host-ipc"),
        ],
        remediation: "Remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false); run node agents that need them in an exempted namespace.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for HostNamespaces {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for (field, shared) in HOST_NAMESPACES {
            if pod.spec.bool_field(field)? == Some(true) {
                let path = pod.path.key(field);
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!("pod sets {field}: true and shares the node's {shared} namespace"),
                    )
                    .with_fix(Fix::set(
                        format!("set {field} to false"),
                        FixSafety::Unsafe,
                        path,
                        false.into(),
                    )),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
