//! NET: network exposure.
//!
//! Services reachable from outside the cluster, Ingresses without TLS, and SSH ports
//! (`service` holds what the Service checks share).

use crate::control::Control;

mod ingress_tls;
mod load_balancer;
mod node_port;
mod service;
mod ssh_port;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &load_balancer::LoadBalancerService,
    &node_port::NodePortService,
    &ingress_tls::IngressWithoutTls,
    &ssh_port::SshPort,
];
