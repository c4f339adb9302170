use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

/// The annotation the kubelet puts on the API copy of a static pod.
const MIRROR_POD_ANNOTATION: &str = "kubernetes.io/config.mirror";

declare_control! {
    /// ## What it checks
    /// Every `Pod` (core API group) whose `metadata.ownerReferences` is missing or empty, that
    /// is, a pod no controller manages. Mirror pods (the API copies of static pods, marked
    /// with the `kubernetes.io/config.mirror` annotation) pass, because the kubelet manages
    /// them.
    ///
    /// Static pod manifests scanned as files (for example `/etc/kubernetes/manifests`) have no
    /// owner either and are reported; suppress the finding there, as the kubelet keeps them
    /// running.
    ///
    /// ## Why it matters
    /// A pod created directly is never recreated. When its node fails, is drained for an
    /// upgrade or evicts it under memory pressure, the pod is gone until someone notices and
    /// applies it again. It also cannot be rolled out, scaled or rolled back.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata:
    ///   name: web
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// spec:
    ///   replicas: 2
    ///   selector:
    ///     matchLabels: {app: web}
    ///   template:
    ///     metadata:
    ///       labels: {app: web}
    ///     spec:
    ///       containers:
    ///         - name: app
    ///           image: example/app:1.0
    /// ```
    ///
    /// ## How to fix
    /// Wrap the pod spec in a controller: a Deployment for stateless services, a StatefulSet
    /// for stateful ones, a DaemonSet for one pod per node, a Job for work that finishes.
    ///
    /// ## References
    /// - Kubernetes documentation: Pods (working with pods), Configuration best practices ("naked" pods)
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service): an unmanaged pod does not come back after a disruption
    pub struct NakedPod {
        id: "RES-007",
        title: "Pod not managed by a controller",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0073")],
        remediation: "Run the pod through a controller (Deployment, StatefulSet, DaemonSet or Job) instead of creating it directly.",
        fix: FixAvailability::None,
    }
}

impl Check for NakedPod {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "Pod" || !resource.id.group().is_empty() {
            return Ok(Verdict::NotApplicable);
        }
        let metadata = resource.root.map_field("metadata")?;
        if let Some(metadata) = metadata {
            if !metadata.seq_field("ownerReferences")?.is_empty() {
                return Ok(Verdict::pass());
            }
            if let Some(annotations) = metadata.map_field("annotations")? {
                if annotations.get_present(MIRROR_POD_ANNOTATION).is_some() {
                    return Ok(Verdict::pass());
                }
            }
        }
        Ok(Verdict::Checked(vec![Violation::new(
            ObjectPath::root().keys(&["metadata", "ownerReferences"]),
            format!(
                "Pod `{}` has no ownerReferences: no controller recreates it if it is evicted or its node fails",
                resource.id.name
            ),
        )]))
    }
}
