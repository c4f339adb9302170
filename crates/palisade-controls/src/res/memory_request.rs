use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::requirements::{self, Bound, MEMORY};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every container and init container that has no `resources.requests.memory`. A container
    /// that sets `resources.limits.memory` but no request passes, because Kubernetes copies
    /// the limit into the request. The control also passes when the pod sets a pod-level
    /// `spec.resources` memory request (or limit), or when a `LimitRange` of type `Container` in
    /// the same namespace, included in the scan, supplies a default (`defaultRequest`, or else
    /// `default`, `max` or `min`).
    ///
    /// Ephemeral (debug) containers are not judged: Kubernetes does not allow them to set
    /// resources at all.
    ///
    /// ## Why it matters
    /// The scheduler only reserves the memory a container requests. Without a request the
    /// container is placed as if it needed none, nodes fill beyond what they can hold, and when
    /// memory runs out the kubelet evicts pods that exceed their requests first.
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
    ///       requests:
    ///         memory: 256Mi   # a value measured for this application
    /// ```
    ///
    /// ## How to fix
    /// Add `resources.requests.memory` to each container. No safe value can be guessed, so
    /// Palisade offers no automatic fix: base the number on what the application actually
    /// uses. To cover a whole namespace at once, add a `LimitRange` with a default.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: resource policies
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service)
    /// - Kubernetes documentation: Resource Management for Pods and Containers; Node-pressure Eviction
    pub struct MemoryRequestMissing {
        id: "RES-003",
        title: "Memory request not set",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0269"), kubescape("C-0004"), trivy("KSV-0016"), checkov("CKV_K8S_12"), polaris("memoryRequestsMissing"), kube_linter("unset-memory-requirements"), kube_score("container-resources")],
        remediation: "Set resources.requests.memory on every container to its usual working set; measure it first.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for MemoryRequestMissing {
    const READS: &'static [Reads] = requirements::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        requirements::check(cx, resource, Bound::Request, MEMORY)
    }
}
