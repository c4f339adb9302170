//! What the webhook checks share: recognising a webhook configuration and walking its
//! webhooks.

use palisade_core::{Node, ObjectPath, Resource, TypeError};

const GROUP: &str = "admissionregistration.k8s.io";

/// Which kind of webhook configuration an object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WebhookKind {
    Validating,
    Mutating,
}

pub(super) fn webhook_kind(resource: &Resource) -> Option<WebhookKind> {
    if resource.id.group() != GROUP {
        return None;
    }
    match resource.kind() {
        "ValidatingWebhookConfiguration" => Some(WebhookKind::Validating),
        "MutatingWebhookConfiguration" => Some(WebhookKind::Mutating),
        _ => None,
    }
}

/// One entry of `webhooks`.
pub(super) struct Webhook<'a> {
    pub node: &'a Node,
    pub path: ObjectPath,
    /// `webhook `name``, for messages.
    pub label: String,
}

pub(super) fn webhooks(resource: &Resource) -> Result<Vec<Webhook<'_>>, TypeError> {
    let path = ObjectPath::root().key("webhooks");
    resource
        .root
        .seq_field("webhooks")?
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let node = node.expect_map("webhooks")?;
            let name = node.str_field("name")?.unwrap_or("<unnamed>");
            Ok(Webhook {
                node,
                path: path.index(i),
                label: format!("webhook `{name}`"),
            })
        })
        .collect()
}
