//! What the Service controls share: recognising a core Service and describing its ports.

use palisade_core::{Node, Resource};

use crate::control::Skip;

/// Whether the resource is a core `v1` Service. Knative's `Service` (another API group) is a
/// workload, not a network Service.
pub(super) fn is_service(resource: &Resource) -> bool {
    resource.kind() == "Service" && resource.id.group().is_empty()
}

/// The Service's `spec`, if set.
pub(super) fn service_spec(resource: &Resource) -> Result<Option<&Node>, Skip> {
    Ok(resource.root.map_field("spec")?)
}

/// One entry of `spec.ports`.
pub(super) struct ServicePort<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub port: Option<i64>,
    /// `TCP` when unset.
    pub protocol: &'a str,
    pub node_port: Option<i64>,
}

impl ServicePort<'_> {
    /// `443/TCP`, or `port ?` when the entry has no port number.
    pub fn label(&self) -> String {
        match self.port {
            Some(port) => format!("{port}/{}", self.protocol),
            None => format!("?/{}", self.protocol),
        }
    }
}

pub(super) fn ports(spec: &Node) -> Result<Vec<ServicePort<'_>>, Skip> {
    spec.seq_field("ports")?
        .iter()
        .enumerate()
        .map(|(index, node)| {
            let node = node.expect_map("ports")?;
            Ok(ServicePort {
                index,
                node,
                port: node.int_field("port")?,
                protocol: node.str_field("protocol")?.unwrap_or("TCP"),
                node_port: node.int_field("nodePort")?,
            })
        })
        .collect()
}

/// `port 80/TCP`, `ports 80/TCP, 443/TCP`, `no ports`.
pub(super) fn describe_ports(ports: &[ServicePort<'_>]) -> String {
    match ports {
        [] => "no ports".to_string(),
        [one] => format!("port {}", one.label()),
        many => format!(
            "ports {}",
            many.iter()
                .map(ServicePort::label)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
