//! RBAC: what Roles and ClusterRoles grant, and to whom bindings grant it.
//!
//! Each control judges one object. Rule checks read rules through [`rules`], which matches verbs,
//! resources, subresources and API groups (wildcards included) the way the RBAC authorizer
//! does; binding checks read roleRef and subjects through [`binding`], and look up the bound
//! role among the scanned resources when they need its rules.

use crate::control::Control;

mod binding;
mod rules;

mod anonymous_binding;
mod approve_certificate_requests;
mod cluster_admin_binding;
mod create_persistent_volumes;
mod create_pods;
mod default_service_account_binding;
mod escalate_bind_impersonate;
mod nodes_proxy;
mod pod_exec_attach;
mod secrets_access;
mod tokens_webhooks_events;
mod wildcard_in_rules;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &wildcard_in_rules::WildcardInRules,
    &cluster_admin_binding::ClusterAdminBinding,
    &secrets_access::SecretsAccess,
    &pod_exec_attach::PodExecAttach,
    &create_pods::CreatePods,
    &escalate_bind_impersonate::EscalateBindImpersonate,
    &nodes_proxy::NodesProxy,
    &anonymous_binding::AnonymousBinding,
    &default_service_account_binding::DefaultServiceAccountBinding,
    &tokens_webhooks_events::TokensWebhooksEvents,
    &create_persistent_volumes::CreatePersistentVolumes,
    &approve_certificate_requests::ApproveCertificateRequests,
];
