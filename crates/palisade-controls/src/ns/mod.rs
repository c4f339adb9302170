//! NS: namespaces and tenancy.
//!
//! `scope` knows which kinds are cluster-scoped and whether two objects share a namespace; other
//! families use it too.

use crate::control::Control;

mod default_namespace;
mod pod_security_advisor;
mod pod_security_enforcement;
pub(crate) mod scope;

/// Namespaces Kubernetes creates for itself. `kube-system` holds the control plane, network and
/// storage components, which need host access and policies of their vendors' own; `kube-public`
/// and `kube-node-lease` hold no pods. The namespace controls pass them.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &default_namespace::DefaultNamespace,
    &pod_security_enforcement::PodSecurityEnforcement,
    &pod_security_advisor::PodSecurityAdvisor,
];
