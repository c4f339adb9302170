//! The default ClusterRoles every cluster has and a folder of manifests does not contain:
//! `cluster-admin`, `admin`, `edit`, `view`, and the `system:aggregate-to-*` roles whose rules
//! the last three aggregate. The API server creates them from its bootstrap policy at every
//! start. Their labels and aggregation rules are the bootstrap policy's; of their rules, only
//! those that grant a permission of [`super::dangers`] (or that `admin` adds on roles and
//! bindings) are kept. A scanned ClusterRole of the same name (every one, in a cluster scan)
//! takes their place.

use std::sync::LazyLock;

use palisade_core::{Node, Origin, Resource, ResourceId};
use serde_json::{Value, json};

const READ: [&str; 3] = ["get", "list", "watch"];
const WRITE: [&str; 5] = ["create", "delete", "deletecollection", "patch", "update"];
const READ_WRITE: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn cluster_role(name: &str, labels: Value, aggregate_to: Option<&str>, rules: Value) -> Resource {
    let mut labels = labels;
    if let Some(map) = labels.as_object_mut() {
        map.insert("kubernetes.io/bootstrapping".into(), "rbac-defaults".into());
    }
    let mut object = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": name, "labels": labels},
        "rules": rules,
    });
    if let (Some(label), Some(map)) = (aggregate_to, object.as_object_mut()) {
        map.insert(
            "aggregationRule".into(),
            json!({"clusterRoleSelectors": [{"matchLabels": {label: "true"}}]}),
        );
    }
    let root = Node::from_json(&object);
    Resource {
        id: ResourceId {
            cluster: None,
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRole".into(),
            namespace: None,
            name: name.into(),
        },
        root,
        origin: Origin::default(),
    }
}

const TO_ADMIN: &str = "rbac.authorization.k8s.io/aggregate-to-admin";
const TO_EDIT: &str = "rbac.authorization.k8s.io/aggregate-to-edit";
const TO_VIEW: &str = "rbac.authorization.k8s.io/aggregate-to-view";

static BUILT_IN: LazyLock<Vec<Resource>> = LazyLock::new(|| {
    vec![
        cluster_role(
            "cluster-admin",
            json!({}),
            None,
            json!([
                {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
                {"nonResourceURLs": ["*"], "verbs": ["*"]},
            ]),
        ),
        cluster_role("admin", json!({}), Some(TO_ADMIN), json!([])),
        cluster_role("edit", json!({TO_ADMIN: "true"}), Some(TO_EDIT), json!([])),
        cluster_role("view", json!({TO_EDIT: "true"}), Some(TO_VIEW), json!([])),
        cluster_role(
            "system:aggregate-to-admin",
            json!({TO_ADMIN: "true"}),
            None,
            json!([
                {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"], "verbs": READ_WRITE},
            ]),
        ),
        cluster_role(
            "system:aggregate-to-edit",
            json!({TO_EDIT: "true"}),
            None,
            json!([
                {"apiGroups": [""], "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], "verbs": READ},
                {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
                {"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], "verbs": WRITE},
                {"apiGroups": [""], "resources": ["replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"], "verbs": WRITE},
                {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
                {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"], "verbs": WRITE},
                {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": WRITE},
                {"apiGroups": ["extensions"], "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "replicationcontrollers/scale"], "verbs": WRITE},
            ]),
        ),
        // Read access to most namespaced objects, Secrets excepted: nothing dangerous.
        cluster_role(
            "system:aggregate-to-view",
            json!({TO_VIEW: "true"}),
            None,
            json!([]),
        ),
    ]
});

/// Every built-in ClusterRole this module knows.
pub(crate) fn all() -> &'static [Resource] {
    &BUILT_IN
}

/// The built-in ClusterRole of this name.
pub(crate) fn cluster_role_named(name: &str) -> Option<&'static Resource> {
    BUILT_IN.iter().find(|r| r.id.name == name)
}

/// Whether the resource is one of this module's built-in ClusterRoles rather than a scanned
/// object.
pub(crate) fn is_built_in(resource: &Resource) -> bool {
    BUILT_IN.iter().any(|r| std::ptr::eq(r, resource))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rbac::rules::rules_of;

    #[test]
    fn built_in_roles_parse_and_aggregate_like_the_bootstrap_policy() {
        for role in all() {
            assert!(rules_of(role).is_ok(), "{}", role.id.name);
            assert!(is_built_in(role));
        }
        let edit = cluster_role_named("edit").unwrap();
        assert_eq!(
            edit.root
                .at(&["metadata", "labels", TO_ADMIN])
                .and_then(Node::as_str),
            Some("true")
        );
        assert!(edit.root.get("aggregationRule").is_some());
        assert!(cluster_role_named("nope").is_none());
    }
}
