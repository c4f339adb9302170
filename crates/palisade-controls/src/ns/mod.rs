//! NS: namespaces and tenancy.
//!
//! `scope` knows which kinds are cluster-scoped and whether two objects share a namespace; other
//! families use it too.

use crate::control::Control;

mod default_namespace;
mod pod_security_advisor;
mod pod_security_enforcement;
pub(crate) mod scope;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &default_namespace::DefaultNamespace,
    &pod_security_enforcement::PodSecurityEnforcement,
    &pod_security_advisor::PodSecurityAdvisor,
];
