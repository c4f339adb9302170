//! Deprecated and removed Kubernetes APIs, from the Kubernetes "Deprecated API Migration
//! Guide" (removals in 1.16, 1.22, 1.25, 1.26, 1.27, 1.29 and 1.32).
//!
//! "Removed in" and the replacements are the guide's. The guide does not state when each API
//! was deprecated; "deprecated in" is the release from which the API server marks the version
//! deprecated (its `prerelease-lifecycle` data, which is what `kubectl` warnings report), or
//! for APIs older than that mechanism, the release that announced the deprecation.

use crate::settings::KubeVersion;

const fn v(minor: u32) -> KubeVersion {
    KubeVersion::new(1, minor)
}

/// One deprecated `apiVersion` of one kind.
#[derive(Debug)]
pub(super) struct ApiChange {
    /// `group/version`, or `version` for the core group.
    pub api_version: &'static str,
    pub kind: &'static str,
    pub deprecated_in: KubeVersion,
    /// `None` when the API is deprecated with no removal scheduled.
    pub removed_in: Option<KubeVersion>,
    /// Replacement API versions of the same kind, preferred first, each with the release that
    /// started serving it. The first one the target serves is recommended.
    pub replacements: &'static [(&'static str, KubeVersion)],
    /// What to use when no replacement API version is served at the target.
    pub otherwise: Option<&'static str>,
    /// What changes besides `apiVersion` when moving to the first replacement; `None` when the
    /// object migrates by changing `apiVersion` alone.
    pub changes: Option<&'static str>,
}

const APPS_V1: &[(&str, KubeVersion)] = &[("apps/v1", v(9))];
const WORKLOAD_CHANGES: &str =
    "spec.selector is required and immutable there, and some defaults differ";
const FLOWCONTROL: &[(&str, KubeVersion)] = &[
    ("flowcontrol.apiserver.k8s.io/v1", v(29)),
    ("flowcontrol.apiserver.k8s.io/v1beta3", v(26)),
    ("flowcontrol.apiserver.k8s.io/v1beta2", v(23)),
];
const PLC_CHANGES: &str = "spec.limited.assuredConcurrencyShares is renamed nominalConcurrencyShares, and an explicit 0 is no longer raised to 30";
const PSA: &str = "Pod Security Admission: label each namespace with pod-security.kubernetes.io/enforce (baseline or restricted), or use a third-party admission policy";

const fn change(
    api_version: &'static str,
    kind: &'static str,
    deprecated_in: KubeVersion,
    removed_in: KubeVersion,
    replacements: &'static [(&'static str, KubeVersion)],
    changes: Option<&'static str>,
) -> ApiChange {
    ApiChange {
        api_version,
        kind,
        deprecated_in,
        removed_in: Some(removed_in),
        replacements,
        otherwise: None,
        changes,
    }
}

pub(super) const API_CHANGES: &[ApiChange] = &[
    // Removed in 1.14: the alpha initializers feature was dropped with no replacement.
    ApiChange {
        api_version: "admissionregistration.k8s.io/v1alpha1",
        kind: "InitializerConfiguration",
        deprecated_in: v(13),
        removed_in: Some(v(14)),
        replacements: &[],
        otherwise: Some(
            "a mutating admission webhook (MutatingWebhookConfiguration, admissionregistration.k8s.io/v1)",
        ),
        changes: None,
    },
    // Removed in 1.16.
    change(
        "extensions/v1beta1",
        "NetworkPolicy",
        v(9),
        v(16),
        &[("networking.k8s.io/v1", v(8))],
        None,
    ),
    change(
        "extensions/v1beta1",
        "DaemonSet",
        v(9),
        v(16),
        APPS_V1,
        Some(
            "spec.selector is required and immutable there, and updateStrategy defaults to RollingUpdate instead of OnDelete",
        ),
    ),
    change(
        "apps/v1beta2",
        "DaemonSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "extensions/v1beta1",
        "Deployment",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta1",
        "Deployment",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta2",
        "Deployment",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta1",
        "StatefulSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta2",
        "StatefulSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "extensions/v1beta1",
        "ReplicaSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta1",
        "ReplicaSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta2",
        "ReplicaSet",
        v(9),
        v(16),
        APPS_V1,
        Some(WORKLOAD_CHANGES),
    ),
    change(
        "apps/v1beta1",
        "ControllerRevision",
        v(9),
        v(16),
        APPS_V1,
        None,
    ),
    change(
        "apps/v1beta2",
        "ControllerRevision",
        v(9),
        v(16),
        APPS_V1,
        None,
    ),
    ApiChange {
        api_version: "extensions/v1beta1",
        kind: "PodSecurityPolicy",
        deprecated_in: v(10),
        removed_in: Some(v(16)),
        replacements: &[("policy/v1beta1", v(10))],
        otherwise: Some(PSA),
        changes: None,
    },
    // Removed in 1.22.
    change(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        v(16),
        v(22),
        &[("admissionregistration.k8s.io/v1", v(16))],
        Some(
            "sideEffects and admissionReviewVersions are required there, and failurePolicy, matchPolicy and timeoutSeconds defaults differ",
        ),
    ),
    change(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        v(16),
        v(22),
        &[("admissionregistration.k8s.io/v1", v(16))],
        Some(
            "sideEffects and admissionReviewVersions are required there, and failurePolicy, matchPolicy and timeoutSeconds defaults differ",
        ),
    ),
    change(
        "apiextensions.k8s.io/v1beta1",
        "CustomResourceDefinition",
        v(16),
        v(22),
        &[("apiextensions.k8s.io/v1", v(16))],
        Some(
            "spec.scope must be explicit, and every version needs a structural schema under spec.versions[*].schema",
        ),
    ),
    change(
        "apiregistration.k8s.io/v1beta1",
        "APIService",
        v(19),
        v(22),
        &[("apiregistration.k8s.io/v1", v(10))],
        None,
    ),
    change(
        "authentication.k8s.io/v1beta1",
        "TokenReview",
        v(19),
        v(22),
        &[("authentication.k8s.io/v1", v(6))],
        None,
    ),
    change(
        "authorization.k8s.io/v1beta1",
        "LocalSubjectAccessReview",
        v(19),
        v(22),
        &[("authorization.k8s.io/v1", v(6))],
        Some("spec.group is renamed spec.groups"),
    ),
    change(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectAccessReview",
        v(19),
        v(22),
        &[("authorization.k8s.io/v1", v(6))],
        Some("spec.group is renamed spec.groups"),
    ),
    change(
        "authorization.k8s.io/v1beta1",
        "SubjectAccessReview",
        v(19),
        v(22),
        &[("authorization.k8s.io/v1", v(6))],
        Some("spec.group is renamed spec.groups"),
    ),
    change(
        "authorization.k8s.io/v1beta1",
        "SelfSubjectRulesReview",
        v(19),
        v(22),
        &[("authorization.k8s.io/v1", v(6))],
        None,
    ),
    change(
        "certificates.k8s.io/v1beta1",
        "CertificateSigningRequest",
        v(19),
        v(22),
        &[("certificates.k8s.io/v1", v(19))],
        Some("spec.signerName and spec.usages are required there"),
    ),
    change(
        "coordination.k8s.io/v1beta1",
        "Lease",
        v(19),
        v(22),
        &[("coordination.k8s.io/v1", v(14))],
        None,
    ),
    change(
        "extensions/v1beta1",
        "Ingress",
        v(14),
        v(22),
        &[
            ("networking.k8s.io/v1", v(19)),
            ("networking.k8s.io/v1beta1", v(14)),
        ],
        Some(
            "backends are written service.name and service.port, spec.backend becomes spec.defaultBackend, and every path needs a pathType",
        ),
    ),
    change(
        "networking.k8s.io/v1beta1",
        "Ingress",
        v(19),
        v(22),
        &[("networking.k8s.io/v1", v(19))],
        Some(
            "backends are written service.name and service.port, spec.backend becomes spec.defaultBackend, and every path needs a pathType",
        ),
    ),
    change(
        "networking.k8s.io/v1beta1",
        "IngressClass",
        v(19),
        v(22),
        &[("networking.k8s.io/v1", v(19))],
        None,
    ),
    change(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRole",
        v(17),
        v(22),
        &[("rbac.authorization.k8s.io/v1", v(8))],
        None,
    ),
    change(
        "rbac.authorization.k8s.io/v1beta1",
        "ClusterRoleBinding",
        v(17),
        v(22),
        &[("rbac.authorization.k8s.io/v1", v(8))],
        None,
    ),
    change(
        "rbac.authorization.k8s.io/v1beta1",
        "Role",
        v(17),
        v(22),
        &[("rbac.authorization.k8s.io/v1", v(8))],
        None,
    ),
    change(
        "rbac.authorization.k8s.io/v1beta1",
        "RoleBinding",
        v(17),
        v(22),
        &[("rbac.authorization.k8s.io/v1", v(8))],
        None,
    ),
    change(
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        v(14),
        v(22),
        &[("scheduling.k8s.io/v1", v(14))],
        None,
    ),
    change(
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        v(19),
        v(22),
        &[("storage.k8s.io/v1", v(19))],
        None,
    ),
    change(
        "storage.k8s.io/v1beta1",
        "CSINode",
        v(17),
        v(22),
        &[("storage.k8s.io/v1", v(17))],
        None,
    ),
    change(
        "storage.k8s.io/v1beta1",
        "StorageClass",
        v(19),
        v(22),
        &[("storage.k8s.io/v1", v(6))],
        None,
    ),
    change(
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        v(19),
        v(22),
        &[("storage.k8s.io/v1", v(13))],
        None,
    ),
    // Removed in 1.25.
    change(
        "batch/v1beta1",
        "CronJob",
        v(21),
        v(25),
        &[("batch/v1", v(21))],
        None,
    ),
    change(
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        v(21),
        v(25),
        &[("discovery.k8s.io/v1", v(21))],
        Some("endpoints use nodeName and zone instead of topology"),
    ),
    change(
        "events.k8s.io/v1beta1",
        "Event",
        v(19),
        v(25),
        &[("events.k8s.io/v1", v(19))],
        Some(
            "several fields are renamed (involvedObject becomes regarding) and reporting fields are required",
        ),
    ),
    change(
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        v(22),
        v(25),
        &[("autoscaling/v2", v(23)), ("autoscaling/v2beta2", v(12))],
        Some(
            "metric targets are written target.type with averageUtilization, averageValue or value",
        ),
    ),
    change(
        "policy/v1beta1",
        "PodDisruptionBudget",
        v(21),
        v(25),
        &[("policy/v1", v(21))],
        Some("an empty spec.selector selects every pod of the namespace instead of none"),
    ),
    ApiChange {
        api_version: "policy/v1beta1",
        kind: "PodSecurityPolicy",
        deprecated_in: v(21),
        removed_in: Some(v(25)),
        replacements: &[],
        otherwise: Some(PSA),
        changes: None,
    },
    change(
        "node.k8s.io/v1beta1",
        "RuntimeClass",
        v(22),
        v(25),
        &[("node.k8s.io/v1", v(20))],
        None,
    ),
    // Removed in 1.26.
    change(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "FlowSchema",
        v(23),
        v(26),
        FLOWCONTROL,
        None,
    ),
    change(
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "PriorityLevelConfiguration",
        v(23),
        v(26),
        FLOWCONTROL,
        Some(PLC_CHANGES),
    ),
    change(
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        v(23),
        v(26),
        &[("autoscaling/v2", v(23))],
        None,
    ),
    // Removed in 1.27.
    change(
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        v(24),
        v(27),
        &[("storage.k8s.io/v1", v(24))],
        None,
    ),
    // Removed in 1.29.
    change(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "FlowSchema",
        v(26),
        v(29),
        FLOWCONTROL,
        None,
    ),
    change(
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "PriorityLevelConfiguration",
        v(26),
        v(29),
        FLOWCONTROL,
        Some(PLC_CHANGES),
    ),
    // Removed in 1.32.
    change(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "FlowSchema",
        v(29),
        v(32),
        FLOWCONTROL,
        None,
    ),
    change(
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "PriorityLevelConfiguration",
        v(29),
        v(32),
        FLOWCONTROL,
        Some("an explicit spec.limited.nominalConcurrencyShares of 0 is no longer raised to 30"),
    ),
    // Deprecated with no removal scheduled.
    ApiChange {
        api_version: "v1",
        kind: "Endpoints",
        deprecated_in: v(33),
        removed_in: None,
        replacements: &[],
        otherwise: Some(
            "discovery.k8s.io/v1 EndpointSlice objects, labelled kubernetes.io/service-name with the Service's name",
        ),
        changes: None,
    },
];

/// The entry for this `apiVersion` and kind, if it is deprecated at all.
pub(super) fn lookup(api_version: &str, kind: &str) -> Option<&'static ApiChange> {
    API_CHANGES
        .iter()
        .find(|c| c.api_version == api_version && c.kind == kind)
}

/// Whether the target serves `api_version` of `kind`: it had appeared by `since` and, if this
/// table lists it, has not been removed yet.
pub(super) fn served(
    api_version: &str,
    kind: &str,
    since: KubeVersion,
    target: KubeVersion,
) -> bool {
    since <= target
        && lookup(api_version, kind)
            .and_then(|c| c.removed_in)
            .is_none_or(|removed| target < removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for (i, c) in API_CHANGES.iter().enumerate() {
            assert!(
                c.removed_in.is_none_or(|r| c.deprecated_in < r),
                "{} {} is removed before it is deprecated",
                c.api_version,
                c.kind
            );
            assert!(
                !c.replacements.is_empty() || c.otherwise.is_some(),
                "{} {} has no way forward",
                c.api_version,
                c.kind
            );
            assert!(
                API_CHANGES[..i]
                    .iter()
                    .all(|o| (o.api_version, o.kind) != (c.api_version, c.kind)),
                "{} {} is listed twice",
                c.api_version,
                c.kind
            );
        }
    }
}
