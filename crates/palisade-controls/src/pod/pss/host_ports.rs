use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, PssLevel, Resource, Severity, Violation,
};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Container ports with a non-zero `hostPort`, in every container, init container and
    /// ephemeral container. This is the Pod Security Standards baseline check "Host Ports".
    /// Any host port fails; there is no list of acceptable ones. A `containerPort` alone, or
    /// `hostPort: 0`, passes.
    ///
    /// ## Why it matters
    /// A host port opens a port on the node's own addresses and forwards it into the pod. That
    /// bypasses the Service and NetworkPolicy model, exposes the pod on every network the node
    /// is attached to, and pins the pod to nodes where the port is free. It is also a way for a
    /// compromised workload to take over a well-known port on the node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: web
    ///     image: example/web:1.0
    ///     ports:
    ///       - containerPort: 8080
    ///         hostPort: 80
    /// ```
    /// Fixed:
    /// ```yaml
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## How to fix
    /// Remove `hostPort` and reach the pod through a Service (ClusterIP, NodePort or
    /// LoadBalancer) or an Ingress. Removing it changes how clients reach the pod, so the
    /// automatic fix is marked unsafe.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Ports
    /// - CIS Kubernetes Benchmark 5.2.12
    pub struct HostPorts {
        id: "POD-004",
        title: "Container binds a host port",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[kubescape("C-0044"), trivy("KSV-0024"), checkov("CKV_K8S_26"), polaris("hostPortSet")],
        remediation: "Remove hostPort from the container's ports and expose the pod through a Service or an Ingress instead.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for HostPorts {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for (i, port) in container.node.seq_field("ports")?.iter().enumerate() {
                let port = port.expect_map("ports")?;
                let host_port = port.int_field("hostPort")?.unwrap_or(0);
                if host_port == 0 {
                    continue;
                }
                let path = container.path.key("ports").index(i).key("hostPort");
                let target = match port.get("containerPort").and_then(Node::as_i64) {
                    Some(container_port) => format!(" (to containerPort {container_port})"),
                    None => String::new(),
                };
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!("{} binds host port {host_port}{target}", container.label()),
                    )
                    .with_fix(Fix::remove(
                        "remove hostPort",
                        FixSafety::Unsafe,
                        path,
                    )),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
