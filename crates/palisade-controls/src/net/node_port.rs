use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::service::{ServicePort, is_service, ports, service_spec, to_cluster_ip};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every Service of `type: NodePort`. The finding lists each port with the node port it
    /// opens (or notes that the cluster picks one).
    ///
    /// LoadBalancer Services also open node ports behind their load balancer; they are
    /// reported by NET-001 instead, so one Service never produces two exposure findings.
    ///
    /// ## Why it matters
    /// A NodePort Service opens the same port on every node of the cluster, on every network
    /// interface the node has. Whoever can reach any node, including networks the nodes share
    /// with other systems and, on clusters with public node IPs, the internet, can reach the
    /// service directly, bypassing the Ingress or gateway where TLS and authentication are
    /// usually enforced. The exposure also follows the cluster as it grows: every new node
    /// opens the port too.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   type: NodePort
    ///   ports:
    ///     - port: 80
    ///       nodePort: 30080
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   type: ClusterIP
    ///   ports:
    ///     - port: 80
    /// ```
    ///
    /// ## How to fix
    /// Use `type: ClusterIP` and publish the service through an Ingress or Gateway, or through
    /// a LoadBalancer with restricted source ranges when it is not HTTP. If a NodePort is
    /// truly needed (for an external load balancer you manage), firewall the node ports so
    /// only that load balancer can reach them. Changing the type changes who can reach the
    /// service, so the machine fix (`type: ClusterIP` without node ports) is unsafe:
    /// `palisade fix --unsafe-fixes` applies it.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening
    /// - MITRE ATT&CK T1133 (External Remote Services), T1190 (Exploit Public-Facing Application)
    /// - Kubernetes documentation: Service type NodePort
    pub struct NodePortService {
        id: "NET-002",
        title: "Service exposed on node ports",
        severity: Severity::Low,
        family: Family::Net,
        pss: None,
        aliases: &[kube_score("service-type"), kube_linter("exposed-services"), kubescape("C-0256")],
        remediation: "Use type ClusterIP behind an Ingress or Gateway; if a NodePort is unavoidable, firewall the node ports to the clients that need them.",
        fix: FixAvailability::Unsafe,
    }
}

/// `80/TCP (node port 30080)`, `80/TCP (node port assigned by the cluster)`.
fn describe(port: &ServicePort<'_>) -> String {
    match port.node_port {
        Some(node_port) => format!("{} (node port {node_port})", port.label()),
        None => format!("{} (node port assigned by the cluster)", port.label()),
    }
}

impl Check for NodePortService {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !is_service(resource) {
            return Ok(Verdict::NotApplicable);
        }
        let Some(spec) = service_spec(resource)? else {
            return Ok(Verdict::pass());
        };
        if spec.str_field("type")? != Some("NodePort") {
            return Ok(Verdict::pass());
        }
        let ports = ports(spec)?;
        let message = if ports.is_empty() {
            "Service of type NodePort opens its ports on every node".to_string()
        } else {
            let opened = ports.iter().map(describe).collect::<Vec<_>>().join(", ");
            format!("Service of type NodePort opens a port on every node for {opened}")
        };
        let path = ObjectPath::root().keys(&["spec", "type"]);
        let fix = to_cluster_ip(spec, &ports);
        Ok(Verdict::Checked(vec![
            Violation::new(path, message).with_fix(fix),
        ]))
    }
}
