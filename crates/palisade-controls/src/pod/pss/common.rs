//! Small helpers the Pod Security Standards checks share.

use palisade_core::Node;

use crate::control::{Context, Skip};
use crate::settings::KubeVersion;
use crate::workload::{Container, PodSpec};

/// Whether the target Kubernetes version (the policy version Pod Security Admission would use)
/// is at least 1.`minor`. Checks and relaxations that appeared in a later release do not apply
/// when scanning for an older cluster.
pub(super) fn policy_at_least(cx: &Context<'_>, minor: u32) -> bool {
    cx.settings.kube_version >= KubeVersion::new(1, minor)
}

/// Whether the pod runs in its own user namespace: `spec.hostUsers` explicitly `false`.
/// Absent or `true` means the pod shares the node's user namespace.
pub(super) fn user_namespaced(pod: &PodSpec<'_>) -> Result<bool, Skip> {
    Ok(pod.spec.bool_field("hostUsers")? == Some(false))
}

/// The profile types both seccomp and AppArmor accept.
pub(super) fn confined_profile_type(kind: &str) -> bool {
    matches!(kind, "RuntimeDefault" | "Localhost")
}

/// The `type` of a seccomp or AppArmor profile object, for a message: `type Unconfined`,
/// `an empty type`, `no type`.
pub(super) fn describe_profile_type(kind: Option<&str>) -> String {
    match kind {
        None => "no type".to_string(),
        Some("") => "an empty type".to_string(),
        Some(kind) => format!("type {kind}"),
    }
}

/// A mapping (`seccompProfile`, `appArmorProfile`, `seLinuxOptions`, `windowsOptions`) inside a
/// security context that may itself be absent; `None` when either is absent or null.
pub(super) fn sc_map<'a>(
    security_context: Option<&'a Node>,
    field: &str,
) -> Result<Option<&'a Node>, Skip> {
    match security_context {
        Some(sc) => Ok(sc.map_field(field)?),
        None => Ok(None),
    }
}

/// `init container `setup`, container `app``: the labels of several containers, for a message.
pub(super) fn labels(containers: &[&Container<'_>]) -> String {
    containers
        .iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}
