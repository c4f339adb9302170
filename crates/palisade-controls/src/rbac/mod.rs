//! RBAC: what Roles and ClusterRoles grant, and to whom bindings grant it.
//!
//! Each control judges one object. Rule checks read rules through [`rules`], which matches verbs,
//! resources, subresources and API groups (wildcards included) the way the RBAC authorizer
//! does; binding checks read roleRef and subjects through [`binding`], and look up the bound
//! role among the scanned resources when they need its rules. [`dangers`] is the one table of
//! dangerous permissions both kinds of check use.
//!
//! Effective-permission checks (RBAC-013 to RBAC-019) go through [`effective`]: a binding's
//! role with the ClusterRoles aggregated into it and the default roles of [`builtin`], and a
//! per-scan index of who is bound where, so that judging a workload's ServiceAccount or a
//! binding stays linear in the size of the inventory.

use crate::control::Control;

mod binding;
mod builtin;
mod dangers;
mod effective;
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

mod aggregated_cluster_admin;
mod cluster_secrets_readers;
mod dangling;
mod subject_create_workloads;
mod subject_escalate;
mod subject_exec;
mod workload_service_account;

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
    &cluster_secrets_readers::ClusterSecretsReaders,
    &aggregated_cluster_admin::AggregatedClusterAdmin,
    &subject_create_workloads::SubjectCreateWorkloads,
    &subject_exec::SubjectExec,
    &subject_escalate::SubjectEscalate,
    &workload_service_account::WorkloadServiceAccount,
    &dangling::DanglingRbac,
];
