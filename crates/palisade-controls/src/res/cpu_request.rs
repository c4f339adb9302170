use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::requirements::{self, Bound, CPU};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every container and init container that has no `resources.requests.cpu`. A container
    /// that sets `resources.limits.cpu` but no request passes, because Kubernetes copies
    /// the limit into the request. The control also passes when the pod sets a pod-level
    /// `spec.resources` CPU request (or limit), or when a `LimitRange` of type `Container` in
    /// the same namespace, included in the scan, supplies a default (`defaultRequest`, or else
    /// `default`, `max` or `min`).
    ///
    /// Ephemeral (debug) containers are not judged: Kubernetes does not allow them to set
    /// resources at all.
    ///
    /// ## Why it matters
    /// The scheduler places pods by their requests. A container without a CPU request counts as
    /// needing no CPU at all, so the node it lands on can be overcommitted, and under contention
    /// it gets the smallest share of CPU time. A pod whose containers set neither requests nor
    /// limits is in the BestEffort class, the first to be evicted when a node runs short.
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
    ///         cpu: 250m   # a value measured for this application
    /// ```
    ///
    /// ## How to fix
    /// Add `resources.requests.cpu` to each container. No safe value can be guessed, so
    /// Palisade offers no automatic fix: base the number on what the application actually
    /// uses. To cover a whole namespace at once, add a `LimitRange` with a default.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: resource policies
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service)
    /// - Kubernetes documentation: Resource Management for Pods and Containers
    pub struct CpuRequestMissing {
        id: "RES-001",
        title: "CPU request not set",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0268"), kubescape("C-0050"), trivy("KSV-0015"), checkov("CKV_K8S_10"), polaris("cpuRequestsMissing"), kube_linter("unset-cpu-requirements"), kube_score("container-resources")],
        remediation: "Set resources.requests.cpu on every container to what it needs under normal load; measure it first (for example with a VerticalPodAutoscaler in recommendation mode).",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for CpuRequestMissing {
    const READS: &'static [Reads] = requirements::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        requirements::check(cx, resource, Bound::Request, CPU)
    }
}
