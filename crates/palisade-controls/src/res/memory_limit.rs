use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::requirements::{self, Bound, MEMORY};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every container and init container that has no `resources.limits.memory`. The control
    /// passes when the pod sets a pod-level `spec.resources.limits.memory`, or when a
    /// `LimitRange` of type `Container` in the same namespace, included in the scan, supplies a
    /// default limit (`default`, or else `max`).
    ///
    /// Ephemeral (debug) containers are not judged: Kubernetes does not allow them to set
    /// resources at all.
    ///
    /// ## Why it matters
    /// Memory cannot be taken back from a process the way CPU time can. A container without a
    /// memory limit can grow until the whole node is short of memory; the kernel then kills
    /// processes, possibly in other pods or in node services, and the kubelet evicts
    /// neighbours. A leak or a deliberate exhaustion attack in one container becomes an outage
    /// of the node.
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
    ///         memory: 512Mi   # a value measured for this application
    /// ```
    ///
    /// ## How to fix
    /// Add `resources.limits.memory` to each container. No safe value can be guessed, so
    /// Palisade offers no automatic fix: base the number on what the application actually
    /// uses. To cover a whole namespace at once, add a `LimitRange` with a default.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: resource policies
    /// - MITRE ATT&CK T1496 (Resource Hijacking), T1499 (Endpoint Denial of Service)
    /// - Kubernetes documentation: Resource Management for Pods and Containers; Limit Ranges
    pub struct MemoryLimitMissing {
        id: "RES-004",
        title: "Memory limit not set",
        severity: Severity::Medium,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0271"), kubescape("C-0004"), kubescape("C-0009"), trivy("KSV-0018"), checkov("CKV_K8S_13"), polaris("memoryLimitsMissing"), kube_linter("unset-memory-requirements"), kube_score("container-resources")],
        remediation: "Set resources.limits.memory on every container, or have a LimitRange in the namespace supply a default; choose it from the container's measured peak with some headroom.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for MemoryLimitMissing {
    const READS: &'static [Reads] = requirements::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        requirements::check(cx, resource, Bound::Limit, MEMORY)
    }
}
