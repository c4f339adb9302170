//! Whether a kind lives in a namespace (used by NS-001).

use palisade_core::{Node, Resource};

use crate::control::Context;

/// Built-in cluster-scoped kinds, as (API group, kind). The same kind in a group not listed
/// here is namespaced. Every API version of a group shares its scope.
pub(crate) const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    // Alpha in 1.7–1.13, then removed; still found in old manifests.
    ("admissionregistration.k8s.io", "InitializerConfiguration"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("policy", "PodSecurityPolicy"),
    ("extensions", "PodSecurityPolicy"),
    ("authentication.k8s.io", "TokenReview"),
    ("authentication.k8s.io", "SelfSubjectReview"),
    ("authorization.k8s.io", "SubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectAccessReview"),
    ("authorization.k8s.io", "SelfSubjectRulesReview"),
    ("resource.k8s.io", "DeviceClass"),
    ("resource.k8s.io", "ResourceSlice"),
    ("internal.apiserver.k8s.io", "StorageVersion"),
    ("storagemigration.k8s.io", "StorageVersionMigration"),
    ("metrics.k8s.io", "NodeMetrics"),
    // Widely installed custom resources whose definitions are usually not part of a scan.
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotContent"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("templates.gatekeeper.sh", "ConstraintTemplate"),
    ("cert-manager.io", "ClusterIssuer"),
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "ClusterCleanupPolicy"),
    ("wgpolicyk8s.io", "ClusterPolicyReport"),
    ("crd.projectcalico.org", "GlobalNetworkPolicy"),
    ("crd.projectcalico.org", "GlobalNetworkSet"),
    ("crd.projectcalico.org", "IPPool"),
    ("projectcalico.org", "GlobalNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkSet"),
    ("projectcalico.org", "IPPool"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
    ("cilium.io", "CiliumNode"),
    ("cilium.io", "CiliumIdentity"),
    ("cilium.io", "CiliumLoadBalancerIPPool"),
    ("karpenter.sh", "NodePool"),
    ("karpenter.sh", "NodeClaim"),
    ("karpenter.k8s.aws", "EC2NodeClass"),
];

/// The namespaced kinds of the core group. The core group has a closed set of kinds, so any
/// other kind claiming `apiVersion: v1` (a kube-scheduler `Policy` file, say) is not a
/// Kubernetes object at all and gets [`Scope::Unknown`].
const CORE_NAMESPACED: &[&str] = &[
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "ServiceAccount",
    "Endpoints",
    "Event",
    "LimitRange",
    "PersistentVolumeClaim",
    "PodTemplate",
    "ReplicationController",
    "ResourceQuota",
    "Binding",
];

/// Groups whose every kind is cluster-scoped.
const CLUSTER_SCOPED_GROUPS: &[&str] = &["constraints.gatekeeper.sh"];

/// API groups served by Kubernetes itself: a kind of these groups not in [`CLUSTER_SCOPED`]
/// is namespaced.
const BUILT_IN_GROUPS: &[&str] = &[
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "extensions",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "node.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "apiregistration.k8s.io",
    "certificates.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "resource.k8s.io",
    "internal.apiserver.k8s.io",
    "storagemigration.k8s.io",
    "metrics.k8s.io",
    "snapshot.storage.k8s.io",
    "gateway.networking.k8s.io",
];

/// Where objects of a kind live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Scope {
    Cluster,
    Namespaced,
    /// A custom kind whose definition is not part of the scan.
    Unknown,
}

/// The scope of the resource's kind. A `CustomResourceDefinition` in the scan decides for its
/// own kind; built-in kinds and a few widely used custom kinds are known; anything else is
/// [`Scope::Unknown`].
pub(crate) fn scope_of(cx: &Context<'_>, resource: &Resource) -> Scope {
    let group = resource.id.group();
    let kind = resource.kind();
    if let Some(scope) = scope_from_definitions(cx, group, kind) {
        return scope;
    }
    if CLUSTER_SCOPED.contains(&(group, kind)) || CLUSTER_SCOPED_GROUPS.contains(&group) {
        Scope::Cluster
    } else if group.is_empty() {
        if CORE_NAMESPACED.contains(&kind) {
            Scope::Namespaced
        } else {
            Scope::Unknown
        }
    } else if BUILT_IN_GROUPS.contains(&group) {
        Scope::Namespaced
    } else {
        Scope::Unknown
    }
}

/// The `spec.scope` of a `CustomResourceDefinition` in the scan that defines `group`/`kind`.
fn scope_from_definitions(cx: &Context<'_>, group: &str, kind: &str) -> Option<Scope> {
    cx.of_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        .find_map(|crd| {
            let spec = crd.root.get("spec")?;
            if spec.get("group").and_then(Node::as_str) != Some(group)
                || spec.at(&["names", "kind"]).and_then(Node::as_str) != Some(kind)
            {
                return None;
            }
            // apiextensions.k8s.io/v1beta1 defaulted a missing scope to Namespaced.
            match spec.get("scope").and_then(Node::as_str) {
                Some("Cluster") => Some(Scope::Cluster),
                _ => Some(Scope::Namespaced),
            }
        })
}
