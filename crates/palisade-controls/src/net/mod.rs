//! NET: network exposure and segmentation.
//!
//! Services reachable from outside the cluster, Ingresses without TLS, SSH ports, workloads no
//! NetworkPolicy isolates, namespaces without a default-deny policy, policy rules that allow
//! everything, and the exposure paths of each workload. `service` holds what the Service
//! checks share, `policy` the NetworkPolicy semantics, `isolation` what NET-005 and NET-006
//! share.

use crate::control::Control;

mod allow_all;
mod default_deny;
mod egress_isolation;
mod exposure;
mod ingress_isolation;
mod ingress_tls;
mod isolation;
mod load_balancer;
mod lookup;
mod node_port;
pub(crate) mod policy;
mod service;
mod ssh_port;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &load_balancer::LoadBalancerService,
    &node_port::NodePortService,
    &ingress_tls::IngressWithoutTls,
    &ssh_port::SshPort,
    &ingress_isolation::IngressIsolation,
    &egress_isolation::EgressIsolation,
    &default_deny::NamespaceDefaultDeny,
    &allow_all::AllowAllRule,
    &exposure::ExposedWorkload,
];
