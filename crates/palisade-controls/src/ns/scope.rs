//! Whether a kind lives in a namespace (used by NS-001).

use palisade_core::{Node, Resource};

use crate::control::Context;

pub(crate) use palisade_core::KindScope as Scope;

/// The scope of the resource's kind. A `CustomResourceDefinition` in the scan decides for its
/// own kind; built-in kinds and a few widely used custom kinds are known
/// ([`palisade_core::built_in_scope`]); anything else is [`Scope::Unknown`].
pub(crate) fn scope_of(cx: &Context<'_>, resource: &Resource) -> Scope {
    let (group, kind) = (resource.id.group(), resource.kind());
    scope_from_definitions(cx, group, kind)
        .unwrap_or_else(|| palisade_core::built_in_scope(group, kind))
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
