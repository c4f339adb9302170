//! Where objects of a kind live: in a namespace, or cluster-wide. Known for the kinds Kubernetes
//! serves itself and a few widely used custom kinds; a scan that holds a kind's
//! `CustomResourceDefinition` can know more (the controls ask it first).

/// Built-in cluster-scoped kinds, as (API group, kind). The same kind in a group not listed
/// here is namespaced. Every API version of a group shares its scope.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
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
pub enum KindScope {
    Cluster,
    Namespaced,
    /// A custom kind whose definition is not part of the scan.
    Unknown,
}

/// The scope of a built-in or well-known kind of API `group` (empty for core).
pub fn built_in_scope(group: &str, kind: &str) -> KindScope {
    if CLUSTER_SCOPED.contains(&(group, kind)) || CLUSTER_SCOPED_GROUPS.contains(&group) {
        KindScope::Cluster
    } else if group.is_empty() {
        if CORE_NAMESPACED.contains(&kind) {
            KindScope::Namespaced
        } else {
            KindScope::Unknown
        }
    } else if BUILT_IN_GROUPS.contains(&group) {
        KindScope::Namespaced
    } else {
        KindScope::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_kinds_have_their_scope() {
        assert_eq!(
            built_in_scope("rbac.authorization.k8s.io", "ClusterRole"),
            KindScope::Cluster
        );
        assert_eq!(built_in_scope("", "Namespace"), KindScope::Cluster);
        assert_eq!(built_in_scope("apps", "Deployment"), KindScope::Namespaced);
        assert_eq!(built_in_scope("", "Pod"), KindScope::Namespaced);
        assert_eq!(built_in_scope("", "Mystery"), KindScope::Unknown);
        assert_eq!(built_in_scope("example.com", "Widget"), KindScope::Unknown);
    }
}
