use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, ObjectPath, Resource, Severity, Violation,
};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::{has_replicas, replicas};

declare_control! {
    /// ## What it checks
    /// Deployments, StatefulSets and ReplicaSets whose `spec.replicas` is unset (Kubernetes
    /// then runs one pod) or `1`.
    ///
    /// Passes or is not judged:
    /// - `replicas: 0`, a workload deliberately scaled down: there is nothing to fail over.
    /// - A workload that a `HorizontalPodAutoscaler` (any `autoscaling` version) or a KEDA
    ///   `ScaledObject` in the same scan and the same namespace targets by kind and name: the
    ///   autoscaler owns the replica count.
    /// - An object with `metadata.ownerReferences` (for example a ReplicaSet created by a
    ///   Deployment, or a StatefulSet created by an operator): its owner sets the count and is
    ///   the object to judge.
    ///
    /// Palisade uses a minimum of two, like kube-score and Polaris; kube-linter's optional
    /// check asks for three.
    ///
    /// ## Why it matters
    /// With a single pod, every routine event becomes downtime: a node drain for an upgrade, an
    /// eviction, a crash, or a rollout of a StatefulSet. A second replica on another node keeps
    /// the service answering, and a PodDisruptionBudget can then keep at least one running
    /// during voluntary disruptions.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   replicas: 1
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: Deployment
    /// spec:
    ///   replicas: 2
    /// ```
    ///
    /// ## How to fix
    /// Set `spec.replicas` to at least 2, or put the workload under a HorizontalPodAutoscaler
    /// with `minReplicas: 2` and leave `replicas` unset. Spread the replicas with
    /// `topologySpreadConstraints` or pod anti-affinity so they do not share a node. The
    /// automatic fix sets `replicas: 2`; it is marked unsafe because some applications cannot
    /// run two copies at once (leader-less singletons, a ReadWriteOnce volume shared by a
    /// Deployment's pods) and because it doubles the resources reserved.
    ///
    /// ## References
    /// - Kubernetes documentation: Deployments; Running Multiple Instances of your App; Disruptions
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service): a single replica makes any disruption an outage
    pub struct SingleReplica {
        id: "RES-008",
        title: "Workload runs a single replica",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[polaris("deploymentMissingReplicas"), kube_score("deployment-replicas"), kube_linter("minimum-three-replicas")],
        remediation: "Set spec.replicas to 2 or more (spread across nodes), or let a HorizontalPodAutoscaler with minReplicas of 2 or more manage it.",
        fix: FixAvailability::Unsafe,
    }
}

/// Whether an autoscaler in the scan scales this workload.
fn autoscaled(cx: &Context<'_>, resource: &Resource) -> bool {
    let hpas = cx
        .of_kind_beside("autoscaling", "HorizontalPodAutoscaler", resource)
        .map(|s| (s, None));
    // KEDA's scaleTargetRef.kind defaults to Deployment.
    let keda = cx
        .of_kind_beside("keda.sh", "ScaledObject", resource)
        .map(|s| (s, Some("Deployment")));
    hpas.chain(keda).any(|(scaler, default_kind)| {
        let Some(target) = scaler.root.at(&["spec", "scaleTargetRef"]) else {
            return false;
        };
        let kind = target.get("kind").and_then(Node::as_str).or(default_kind);
        let name = target.get("name").and_then(Node::as_str);
        kind == Some(resource.kind()) && name == Some(resource.id.name.as_str())
    })
}

impl Check for SingleReplica {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !has_replicas(resource) {
            return Ok(Verdict::NotApplicable);
        }
        if let Some(metadata) = resource.root.map_field("metadata")? {
            if !metadata.seq_field("ownerReferences")?.is_empty() {
                return Ok(Verdict::NotApplicable);
            }
        }
        let message = match replicas(resource)? {
            Some(n) if n == 0 || n >= 2 => return Ok(Verdict::pass()),
            _ if autoscaled(cx, resource) => return Ok(Verdict::pass()),
            None => format!(
                "{} does not set replicas, so it runs a single pod",
                resource.kind()
            ),
            Some(n) if n < 0 => format!(
                "{} sets replicas: {n}, which Kubernetes rejects",
                resource.kind()
            ),
            Some(n) => format!(
                "{} sets replicas: {n}, so it runs a single pod",
                resource.kind()
            ),
        };
        let path = ObjectPath::root().keys(&["spec", "replicas"]);
        Ok(Verdict::Checked(vec![
            Violation::new(path.clone(), message).with_fix(Fix::set(
                "set replicas to 2",
                FixSafety::Unsafe,
                path,
                2.into(),
            )),
        ]))
    }
}
