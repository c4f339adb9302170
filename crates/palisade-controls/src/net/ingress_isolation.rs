use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::isolation;
use super::policy::Direction;
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every workload (a Pod, or anything with a pod template: Deployment, StatefulSet,
    /// DaemonSet, Job, CronJob, ReplicaSet, Argo Rollout, kinds declared in the config file)
    /// whose pods no NetworkPolicy (`networking.k8s.io`) of the same namespace selects for
    /// **ingress**. A policy selects the pods when its `spec.podSelector` matches the labels of
    /// the pod template (an empty selector matches every pod of the namespace), and it governs
    /// ingress when `spec.policyTypes` lists `Ingress` or, when `policyTypes` is absent, always:
    /// that is how the API server defaults it. The finding names the policies that select the
    /// pods for egress only, if any.
    ///
    /// A policy that selects the pods counts however generous its rules are; a rule that lets
    /// everything in is NET-008's finding, on the policy. Not judged:
    /// - objects another workload controls (the ReplicaSets and Pods of a Deployment, the Jobs
    ///   of a CronJob): their owner is judged, once;
    /// - pods with `hostNetwork: true`, which NetworkPolicies do not govern (POD-002 reports
    ///   them);
    /// - network plugins' own policy kinds (CiliumNetworkPolicy, Calico's NetworkPolicy and
    ///   GlobalNetworkPolicy, Antrea's policies) are not read. Where isolation is written in
    ///   those, turn this control off.
    ///
    /// Objects that set no namespace land wherever they are applied, so a workload without a
    /// namespace is related only to policies without one from the same directory, or the same
    /// rendered Helm chart or Kustomization: what one `kubectl apply` puts in one namespace.
    ///
    /// In a scan of manifests, a namespace whose NetworkPolicies are not among the scanned
    /// files is **not evaluated**: its policies may be applied separately (by a platform team,
    /// a different repository). Once the scan holds any policy of the namespace, its workloads
    /// are judged against those policies. A cluster scan judges every namespace, and so does a
    /// scan of files with `--complete-inventory` (a GitOps repository that holds every object).
    ///
    /// ## Why it matters
    /// Kubernetes lets every pod connect to every other pod by default. A pod that no policy
    /// isolates accepts connections from anything that runs in the cluster, in any namespace:
    /// one compromised web frontend, CI job or third-party operator can reach its database
    /// port, admin endpoints and metrics directly. NetworkPolicies are the firewall between
    /// workloads, and a workload that none of them selects is outside it.
    ///
    /// ## Example
    /// Failing (no policy selects `app: orders`):
    /// ```yaml
    /// kind: Deployment
    /// metadata:
    ///   name: orders
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: orders
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: orders
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: orders
    ///   policyTypes: [Ingress]
    ///   ingress:
    ///     - from:
    ///         - podSelector:
    ///             matchLabels:
    ///               app: storefront
    ///       ports:
    ///         - port: 8080
    /// ```
    ///
    /// ## How to fix
    /// Give every namespace a default-deny policy (an empty `podSelector`, `policyTypes:
    /// [Ingress, Egress]` and no rules; see NET-007), then one policy per workload that allows
    /// exactly the clients and ports it serves. Which clients those are only you know, so
    /// Palisade offers no automatic fix. Make sure the cluster's network plugin enforces
    /// NetworkPolicies (CIS 5.3.1): some do not, and then every policy is ignored.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.3.2 (all namespaces have NetworkPolicies defined)
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening, network policies
    /// - MITRE ATT&CK T1210 (Exploitation of Remote Services, lateral movement)
    /// - Kubernetes documentation: Network Policies
    pub struct IngressIsolation {
        id: "NET-005",
        title: "Workload not isolated by a NetworkPolicy for ingress",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[kubescape("C-0260"), kubescape("C-0030"), kube_score("pod-networkpolicy"), polaris("missingNetworkPolicy")],
        remediation: "Add a NetworkPolicy that selects the workload's pods and allows ingress only from the clients and ports it serves, on top of a namespace default-deny policy.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for IngressIsolation {
    const READS: &'static [Reads] = isolation::READS;

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        isolation::check(cx, resource, Direction::Ingress)
    }
}
