use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::scope::{Scope, scope_of};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;

/// Objects Kubernetes itself keeps in the `default` namespace (or in every namespace), as
/// (API group, kind, name). They cannot be moved, so they pass.
const SYSTEM_OBJECTS: &[(&str, &str, &str)] = &[
    ("", "Service", "kubernetes"),
    ("", "Endpoints", "kubernetes"),
    ("discovery.k8s.io", "EndpointSlice", "kubernetes"),
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
];

declare_control! {
    /// ## What it checks
    /// Every namespaced object whose `metadata.namespace` is `default`, and every namespaced
    /// object that sets no namespace at all.
    ///
    /// An object without a namespace is created in whatever namespace the `kubectl` context (or
    /// `-n`, or the Helm release) targets, which is `default` unless someone remembers
    /// otherwise. Palisade reports it with a message that says the namespace is unset rather
    /// than `default`.
    ///
    /// Not judged:
    /// - Cluster-scoped kinds (Namespace, Node, ClusterRole, ClusterRoleBinding,
    ///   PersistentVolume, StorageClass, CustomResourceDefinition, PriorityClass, webhook
    ///   configurations, APIService, IngressClass, RuntimeClass, CSIDriver, PodSecurityPolicy
    ///   and the rest of the built-in list).
    /// - Events, which Kubernetes writes wherever the object they describe lives.
    /// - Custom resources whose definition is not part of the scan and whose namespace is
    ///   unset: Palisade cannot tell whether they are cluster-scoped. When their
    ///   `CustomResourceDefinition` is in the scan, its `spec.scope` decides. Custom
    ///   resources placed explicitly in `default` are always reported.
    ///
    /// The objects Kubernetes itself keeps in `default` (the `kubernetes` Service, its
    /// Endpoints and EndpointSlice, the `default` ServiceAccount and the `kube-root-ca.crt`
    /// ConfigMap) pass.
    ///
    /// ## Why it matters
    /// Namespaces are the unit Kubernetes attaches policy to: RBAC RoleBindings, NetworkPolicies,
    /// ResourceQuotas, LimitRanges and Pod Security Admission labels. The `default` namespace
    /// usually has none of them, and everything dropped into it shares one boundary, so one
    /// compromised or misbehaving application can reach or starve all the others. Workloads
    /// that land there by accident also escape the policies written for their real
    /// namespace.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    /// ```
    /// Fixed:
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// ```
    ///
    /// ## How to fix
    /// Create a namespace per application or team, with its own RBAC, NetworkPolicies, quotas
    /// and Pod Security labels, and set `metadata.namespace` on every object (Kustomize's
    /// `namespace:` field or Helm's `{{ .Release.Namespace }}` do this for a whole set). Which
    /// namespace is right only you know, so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.6.4 (the default namespace should not be used); see also 5.6.1
    /// - NSA-CISA Kubernetes Hardening Guide: namespaces
    pub struct DefaultNamespace {
        id: "NS-001",
        title: "Object in the default namespace",
        severity: Severity::Medium,
        family: Family::Ns,
        pss: None,
        aliases: &[kubescape("C-0212"), kubescape("C-0061"), trivy("KSV-0110"), checkov("CKV_K8S_21"), kube_linter("use-namespace")],
        remediation: "Set metadata.namespace to a dedicated namespace that carries its own RBAC, network policies, quotas and Pod Security labels.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for DefaultNamespace {
    /// A CustomResourceDefinition tells whether its kind is namespaced.
    const READS: &'static [Reads] = &[Reads::cluster(
        "apiextensions.k8s.io",
        "CustomResourceDefinition",
    )];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let group = resource.id.group();
        let kind = resource.kind();
        if kind == "Event" && matches!(group, "" | "events.k8s.io") {
            return Ok(Verdict::NotApplicable);
        }
        let scope = scope_of(cx, resource);
        if scope == Scope::Cluster {
            return Ok(Verdict::NotApplicable);
        }
        let namespace = match resource.root.map_field("metadata")? {
            Some(metadata) => metadata.str_field("namespace")?,
            None => None,
        };
        let path = ObjectPath::root().keys(&["metadata", "namespace"]);
        let message = match namespace {
            None | Some("") if scope == Scope::Unknown => return Ok(Verdict::NotApplicable),
            None | Some("") => format!(
                "{kind} `{}` sets {} namespace, so it lands in whichever namespace kubectl or Helm targets, often `default`",
                resource.id.name,
                if namespace.is_some() {
                    "an empty"
                } else {
                    "no"
                }
            ),
            Some("default")
                if SYSTEM_OBJECTS.contains(&(group, kind, resource.id.name.as_str())) =>
            {
                return Ok(Verdict::pass());
            }
            Some("default") => format!(
                "{kind} `{}` is in the `default` namespace",
                resource.id.name
            ),
            Some(_) => return Ok(Verdict::pass()),
        };
        Ok(Verdict::Checked(vec![Violation::new(path, message)]))
    }
}
