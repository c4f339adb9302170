//! The permissions that make a subject dangerous, in one table. The rule controls (RBAC-003 to
//! RBAC-006) judge a role's text against these permissions; the effective-permission controls
//! (RBAC-013 to RBAC-018) judge what a binding grants against the same ones, so a role and the
//! subjects bound to it are never judged by two definitions.

use super::rules::{Permission, PolicyRule, RBAC_GROUP};
use crate::settings::KubeVersion;

/// Reading Secret values.
pub(crate) const READ_SECRETS: &[Permission] =
    &[Permission::new("", "secrets", &["get", "list", "watch"])];

const WRITE: &[&str] = &["create", "update", "patch"];
const CHANGE: &[&str] = &["update", "patch"];

/// Choosing what pods run: creating pods, or creating or changing an object whose controller
/// creates pods from its template.
pub(crate) const CREATE_PODS: &[Permission] = &[
    Permission::new("", "pods", &["create"]),
    Permission::new("", "replicationcontrollers", WRITE),
    Permission::new("apps", "deployments", WRITE),
    Permission::new("apps", "replicasets", WRITE),
    Permission::new("apps", "statefulsets", WRITE),
    Permission::new("apps", "daemonsets", WRITE),
    Permission::new("extensions", "deployments", WRITE),
    Permission::new("extensions", "replicasets", WRITE),
    Permission::new("extensions", "daemonsets", WRITE),
    Permission::new("batch", "jobs", WRITE),
    Permission::new("batch", "cronjobs", WRITE),
];

/// [`CREATE_PODS`] for a rule limited to named objects, which cannot authorize `create`.
pub(crate) const CHANGE_NAMED_WORKLOADS: &[Permission] = &[
    Permission::new("", "replicationcontrollers", CHANGE),
    Permission::new("apps", "deployments", CHANGE),
    Permission::new("apps", "replicasets", CHANGE),
    Permission::new("apps", "statefulsets", CHANGE),
    Permission::new("apps", "daemonsets", CHANGE),
    Permission::new("extensions", "deployments", CHANGE),
    Permission::new("extensions", "replicasets", CHANGE),
    Permission::new("extensions", "daemonsets", CHANGE),
    Permission::new("batch", "jobs", CHANGE),
    Permission::new("batch", "cronjobs", CHANGE),
];

/// Running commands in a running container (RBAC-004).
const EXEC: &[Permission] = &[
    Permission::new("", "pods/exec", &["create"]),
    Permission::new("", "pods/attach", &["create"]),
    Permission::new("", "pods/ephemeralcontainers", &["patch", "update"]),
];

/// Before 1.35 a WebSocket upgrade (`GET`) on exec, attach or portforward needed only `get`.
const EXEC_BEFORE_1_35: &[Permission] = &[
    Permission::new("", "pods/exec", &["create", "get"]),
    Permission::new("", "pods/attach", &["create", "get"]),
    Permission::new("", "pods/ephemeralcontainers", &["patch", "update"]),
];

/// [`EXEC`] and forwarding ports of a pod to the client.
const EXEC_OR_FORWARD: &[Permission] = &[
    Permission::new("", "pods/exec", &["create"]),
    Permission::new("", "pods/attach", &["create"]),
    Permission::new("", "pods/portforward", &["create"]),
    Permission::new("", "pods/ephemeralcontainers", &["patch", "update"]),
];

const EXEC_OR_FORWARD_BEFORE_1_35: &[Permission] = &[
    Permission::new("", "pods/exec", &["create", "get"]),
    Permission::new("", "pods/attach", &["create", "get"]),
    Permission::new("", "pods/portforward", &["create", "get"]),
    Permission::new("", "pods/ephemeralcontainers", &["patch", "update"]),
];

/// The exec and attach permissions at a Kubernetes version: from 1.35 the API server
/// (`AuthorizePodWebsocketUpgradeCreatePermission`, on by default) requires `create` for the
/// WebSocket upgrade too, so `get` alone no longer opens a stream.
pub(crate) fn exec_permissions(version: KubeVersion) -> &'static [Permission] {
    if version < KubeVersion::new(1, 35) {
        EXEC_BEFORE_1_35
    } else {
        EXEC
    }
}

fn exec_or_forward_permissions(version: KubeVersion) -> &'static [Permission] {
    if version < KubeVersion::new(1, 35) {
        EXEC_OR_FORWARD_BEFORE_1_35
    } else {
        EXEC_OR_FORWARD
    }
}

/// Gaining permissions one does not hold. A Role can grant `bind` on ClusterRoles (checked in
/// the namespace of the RoleBinding being written) and impersonation of its namespace's
/// ServiceAccounts, but not `escalate` on ClusterRoles nor impersonation of users, groups, UIDs
/// or extras, which are checked outside namespaces.
pub(crate) const ESCALATION: &[Permission] = &[
    Permission::new(RBAC_GROUP, "roles", &["escalate", "bind"]),
    Permission::new(RBAC_GROUP, "clusterroles", &["bind"]),
    Permission::cluster(RBAC_GROUP, "clusterroles", &["escalate"]),
    Permission::cluster("", "users", &["impersonate"]),
    Permission::cluster("", "groups", &["impersonate"]),
    Permission::new("", "serviceaccounts", &["impersonate"]),
    Permission::cluster("authentication.k8s.io", "uids", &["impersonate"]),
    Permission::cluster("authentication.k8s.io", "userextras/*", &["impersonate"]),
];

/// What a subject holding a dangerous permission can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Danger {
    /// `*` verbs on `*` resources of `*` API groups: everything cluster-admin does.
    Everything,
    ReadSecrets,
    CreateWorkloads,
    ExecIntoPods,
    Escalate,
}

impl Danger {
    pub(crate) const ALL: [Danger; 5] = [
        Danger::Everything,
        Danger::ReadSecrets,
        Danger::CreateWorkloads,
        Danger::ExecIntoPods,
        Danger::Escalate,
    ];

    /// What the holder can do, to follow "can": `read Secrets`.
    pub(crate) fn ability(self) -> &'static str {
        match self {
            Danger::Everything => "do everything (as cluster-admin does)",
            Danger::ReadSecrets => "read Secrets",
            Danger::CreateWorkloads => "create pods or workloads",
            Danger::ExecIntoPods => "exec into, attach to or port-forward to pods",
            Danger::Escalate => "escalate, bind or impersonate",
        }
    }

    /// [`Danger::ability`] short enough to list several: `create pods/workloads`.
    pub(crate) fn short(self) -> &'static str {
        match self {
            Danger::Everything => "do everything (cluster-admin)",
            Danger::ReadSecrets => "read Secrets",
            Danger::CreateWorkloads => "create pods/workloads",
            Danger::ExecIntoPods => "exec/attach/port-forward into pods",
            Danger::Escalate => "escalate/bind/impersonate",
        }
    }

    /// The permissions of this danger a rule is judged against. Limiting a rule to named
    /// Secrets is the accepted way to read one's own (RBAC-003); a rule limited to named
    /// objects cannot create one.
    fn wanted(self, rule: &PolicyRule<'_>, version: KubeVersion) -> &'static [Permission] {
        match self {
            Danger::Everything => &[],
            Danger::ReadSecrets if rule.has_resource_names() => &[],
            Danger::ReadSecrets => READ_SECRETS,
            Danger::CreateWorkloads if rule.has_resource_names() => CHANGE_NAMED_WORKLOADS,
            Danger::CreateWorkloads => CREATE_PODS,
            Danger::ExecIntoPods => exec_or_forward_permissions(version),
            Danger::Escalate => ESCALATION,
        }
    }

    /// What the rule grants of this danger (`get, list on secrets`), or `None`.
    pub(crate) fn granted_by(self, rule: &PolicyRule<'_>, version: KubeVersion) -> Option<String> {
        match self {
            Danger::Everything => rule
                .grants_everything()
                .then(|| "every verb on every resource of every API group".to_string()),
            _ => rule
                .grants(self.wanted(rule, version))
                .map(|grants| grants.describe()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::Node;
    use serde_json::json;

    #[test]
    fn each_danger_is_recognised_in_a_rule() {
        let latest = KubeVersion::LATEST;
        let old = KubeVersion::new(1, 34);
        let cases = [
            (
                json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                Danger::Everything,
                latest,
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}),
                Danger::ReadSecrets,
                latest,
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"], "resourceNames": ["tls"]}),
                Danger::ReadSecrets,
                latest,
                false,
            ),
            (
                json!({"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}),
                Danger::CreateWorkloads,
                latest,
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["create"]}),
                Danger::ExecIntoPods,
                latest,
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["get"]}),
                Danger::ExecIntoPods,
                latest,
                false,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/portforward"], "verbs": ["get"]}),
                Danger::ExecIntoPods,
                old,
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["groups"], "verbs": ["impersonate"]}),
                Danger::Escalate,
                latest,
                true,
            ),
        ];
        for (value, danger, version, expected) in cases {
            let node = Node::from_json(&value);
            let rule = PolicyRule::parse(&node, 0, false).unwrap();
            assert_eq!(
                danger.granted_by(&rule, version).is_some(),
                expected,
                "{danger:?} {value}"
            );
        }
    }
}
