//! What the Service controls share: recognising a core Service and describing its ports.

use palisade_core::{Fix, FixOp, FixSafety, Node, ObjectPath, Resource};

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

/// Fields only a NodePort or LoadBalancer Service may carry; the API server rejects a
/// ClusterIP Service that keeps them.
const EXTERNAL_ONLY_FIELDS: &[&str] = &[
    "allocateLoadBalancerNodePorts",
    "externalTrafficPolicy",
    "healthCheckNodePort",
    "loadBalancerClass",
    "loadBalancerIP",
    "loadBalancerSourceRanges",
];

/// The fix of the exposure controls: the Service becomes `type: ClusterIP`, and the fields
/// the API server only accepts on externally reachable Services (node ports included) go.
/// Unsafe: clients outside the cluster lose the service.
pub(super) fn to_cluster_ip(spec: &Node, ports: &[ServicePort<'_>]) -> Fix {
    let spec_path = ObjectPath::root().key("spec");
    let mut ops = vec![FixOp::Set {
        path: spec_path.key("type"),
        value: "ClusterIP".into(),
    }];
    ops.extend(
        EXTERNAL_ONLY_FIELDS
            .iter()
            .filter(|field| spec.get(field).is_some())
            .map(|field| FixOp::Remove {
                path: spec_path.key(field),
            }),
    );
    ops.extend(
        ports
            .iter()
            .filter(|p| p.node.get("nodePort").is_some())
            .map(|p| FixOp::Remove {
                path: spec_path.key("ports").index(p.index).key("nodePort"),
            }),
    );
    Fix {
        description: "make the Service type ClusterIP".into(),
        safety: FixSafety::Unsafe,
        ops,
    }
}
