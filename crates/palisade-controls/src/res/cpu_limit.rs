use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::requirements::{self, Bound, CPU};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every container and init container that has no `resources.limits.cpu`. The control
    /// passes when the pod sets a pod-level `spec.resources.limits.cpu`, or when a
    /// `LimitRange` of type `Container` in the same namespace, included in the scan, supplies a
    /// default limit (`default`, or else `max`).
    ///
    /// Ephemeral (debug) containers are not judged: Kubernetes does not allow them to set
    /// resources at all.
    ///
    /// ## Why it matters
    /// Without a CPU limit a container may use every idle core of its node. A runaway process or
    /// a hijacked container mining cryptocurrency then slows every neighbour on the node. CPU is
    /// compressible, so a missing limit degrades performance rather than crashing the node,
    /// which is why this control is rated lower than the memory limit.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     resources:
    ///       limits:
    ///         cpu: 500m   # a value measured for this application
    /// ```
    ///
    /// ## How to fix
    /// Add `resources.limits.cpu` to each container. No safe value can be guessed, so
    /// Palisade offers no automatic fix: base the number on what the application actually
    /// uses. To cover a whole namespace at once, add a `LimitRange` with a default.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: resource policies
    /// - MITRE ATT&CK T1496 (Resource Hijacking), T1499 (Endpoint Denial of Service)
    /// - Kubernetes documentation: Resource Management for Pods and Containers; Limit Ranges
    pub struct CpuLimitMissing {
        id: "RES-002",
        title: "CPU limit not set",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0270"), kubescape("C-0050"), kubescape("C-0009"), trivy("KSV-0011"), checkov("CKV_K8S_11"), polaris("cpuLimitsMissing"), kube_linter("unset-cpu-requirements"), kube_score("container-resources")],
        remediation: "Set resources.limits.cpu on every container, or have a LimitRange in the namespace supply a default; pick the value from the container's measured peak use.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for CpuLimitMissing {
    const READS: &'static [Reads] = requirements::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        requirements::check(cx, resource, Bound::Limit, CPU)
    }
}
