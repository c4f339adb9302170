use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::isolation;
use super::policy::Direction;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every workload (a Pod, or anything with a pod template) whose pods no NetworkPolicy
    /// (`networking.k8s.io`) of the same namespace selects for **egress**. A policy selects the
    /// pods when its `spec.podSelector` matches the labels of the pod template (an empty
    /// selector matches every pod of the namespace). It governs egress when `spec.policyTypes`
    /// lists `Egress` or, when `policyTypes` is absent, when it has at least one egress rule:
    /// that is how the API server defaults it, so a policy without `policyTypes` and without
    /// egress rules leaves egress open. The finding names the policies that select the pods for
    /// ingress only, if any.
    ///
    /// The same scope as NET-005 applies: owned objects (a Deployment's ReplicaSets and Pods)
    /// are judged through their owner, host-network pods are not judged, network plugins' own
    /// policy kinds are not read, a workload without a namespace is related only to policies
    /// without one from the same directory (or rendered chart or Kustomization), and in a scan
    /// of manifests a namespace none of whose NetworkPolicies is in the scan is not evaluated.
    /// A policy that selects the pods counts however generous its rules are; a rule that lets
    /// everything out is NET-008's finding.
    ///
    /// ## Why it matters
    /// Outbound connections are how an intruder turns a foothold into a breach: they download
    /// tools, reach a command-and-control server, send data out, or move on to the cloud
    /// provider's metadata endpoint and to other workloads' ports. A pod whose egress is
    /// isolated can only reach what its policies list (its database, DNS), so a compromised
    /// process inside it is boxed in.
    ///
    /// ## Example
    /// Failing (the only policy governs ingress):
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: orders
    ///   ingress:
    ///     - from:
    ///         - podSelector:
    ///             matchLabels:
    ///               app: storefront
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: orders
    ///   policyTypes: [Ingress, Egress]
    ///   ingress:
    ///     - from:
    ///         - podSelector:
    ///             matchLabels:
    ///               app: storefront
    ///   egress:
    ///     - to:
    ///         - podSelector:
    ///             matchLabels:
    ///               app: postgres
    ///       ports:
    ///         - port: 5432
    /// ```
    ///
    /// ## How to fix
    /// Add a namespace default-deny policy for egress (NET-007) and list each workload's
    /// destinations, including DNS (port 53 to the cluster's DNS pods) when it resolves names.
    /// The destinations are yours to decide, so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.3.2 (all namespaces have NetworkPolicies defined)
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening, network policies
    /// - MITRE ATT&CK T1048 (Exfiltration Over Alternative Protocol), T1071 (Application Layer
    ///   Protocol, command and control)
    /// - Kubernetes documentation: Network Policies
    pub struct EgressIsolation {
        id: "NET-006",
        title: "Workload not isolated by a NetworkPolicy for egress",
        severity: Severity::Low,
        family: Family::Net,
        pss: None,
        aliases: &[kubescape("C-0030"), kube_score("pod-networkpolicy"), polaris("missingNetworkPolicy")],
        remediation: "Add a NetworkPolicy that selects the workload's pods for egress and allows only the destinations it needs (DNS included), on top of a namespace default-deny policy.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for EgressIsolation {
    const READS: &'static [Reads] = isolation::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        isolation::check(cx, resource, Direction::Egress)
    }
}
