//! Reading RoleBindings and ClusterRoleBindings: the role they grant, their subjects, and the
//! bound role when it is among the scanned resources.

use std::fmt;

use palisade_core::{ObjectPath, Resource, TypeError};

use super::effective::Effective;
use super::rules::RBAC_GROUP;
use crate::control::{Context, Skip};

/// A RoleBinding or ClusterRoleBinding.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Binding<'a> {
    pub resource: &'a Resource,
}

/// The role a binding grants (`roleRef`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RoleRef<'a> {
    /// `Role` or `ClusterRole`.
    pub kind: &'a str,
    pub name: &'a str,
}

impl fmt::Display for RoleRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`", self.kind, self.name)
    }
}

/// One entry of a binding's `subjects`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Subject<'a> {
    pub index: usize,
    /// `User`, `Group` or `ServiceAccount`.
    pub kind: &'a str,
    pub name: &'a str,
    /// For a ServiceAccount: its namespace, defaulting to the binding's own.
    pub namespace: Option<&'a str>,
}

impl Subject<'_> {
    /// `subjects[i].name`.
    pub(crate) fn name_path(&self) -> ObjectPath {
        ObjectPath::root()
            .key("subjects")
            .index(self.index)
            .key("name")
    }

    pub(crate) fn is(&self, kind: &str, name: &str) -> bool {
        self.kind == kind && self.name == name
    }
}

impl fmt::Display for Subject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, self.namespace) {
            ("ServiceAccount", Some(ns)) => write!(f, "ServiceAccount `{ns}/{}`", self.name),
            (kind, _) => write!(f, "{kind} `{}`", self.name),
        }
    }
}

impl<'a> Binding<'a> {
    /// The binding, if the resource is one.
    pub(crate) fn of(resource: &'a Resource) -> Option<Self> {
        (resource.id.group() == RBAC_GROUP
            && matches!(resource.kind(), "RoleBinding" | "ClusterRoleBinding"))
        .then_some(Binding { resource })
    }

    pub(crate) fn name(&self) -> &'a str {
        &self.resource.id.name
    }

    pub(crate) fn namespace(&self) -> Option<&'a str> {
        self.resource.id.namespace.as_deref()
    }

    pub(crate) fn is_cluster_wide(&self) -> bool {
        self.resource.kind() == "ClusterRoleBinding"
    }

    /// `cluster-wide` or `in namespace `shop``, for a message.
    pub(crate) fn scope(&self) -> String {
        match (self.is_cluster_wide(), self.namespace()) {
            (true, _) => "cluster-wide".to_string(),
            (false, Some(ns)) => format!("in namespace `{ns}`"),
            (false, None) => "in its namespace".to_string(),
        }
    }

    /// Whether the binding is one of the API server's own (`system:` names), which it creates
    /// and reconciles itself.
    pub(crate) fn is_system(&self) -> bool {
        self.name().starts_with("system:")
    }

    pub(crate) fn role_ref_path() -> ObjectPath {
        ObjectPath::root().keys(&["roleRef", "name"])
    }

    /// The bound role. A binding without one is not judged.
    pub(crate) fn role_ref(&self) -> Result<RoleRef<'a>, Skip> {
        let Some(role_ref) = self.resource.root.map_field("roleRef")? else {
            return Err(Skip::new(format!(
                "{} has no roleRef",
                self.resource.kind()
            )));
        };
        let field = |key: &str| -> Result<&'a str, Skip> {
            role_ref
                .str_field(key)?
                .ok_or_else(|| Skip::new(format!("roleRef.{key} is missing")))
        };
        Ok(RoleRef {
            kind: field("kind")?,
            name: field("name")?,
        })
    }

    pub(crate) fn subjects(&self) -> Result<Vec<Subject<'a>>, Skip> {
        let default_namespace = self.namespace();
        self.resource
            .root
            .seq_field("subjects")?
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let node = node.as_map().map(|_| node).ok_or_else(|| TypeError {
                    field: format!("subjects[{index}]"),
                    expected: "a mapping",
                    found: node.describe(),
                    span: node.span,
                })?;
                let kind = node.str_field("kind")?.unwrap_or_default();
                let namespace = match node.str_field("namespace")? {
                    Some(ns) if !ns.is_empty() => Some(ns),
                    _ if kind == "ServiceAccount" => default_namespace,
                    _ => None,
                };
                Ok(Subject {
                    index,
                    kind,
                    name: node.str_field("name")?.unwrap_or_default(),
                    namespace,
                })
            })
            .collect()
    }

    /// `ServiceAccount `shop/web`, Group `ops``: every subject, for a message.
    pub(crate) fn describe_subjects(subjects: &[Subject<'_>]) -> String {
        subjects
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The bound Role or ClusterRole, when it is among the scanned resources. A RoleBinding's
    /// Role lives in the binding's namespace.
    pub(crate) fn bound_role(
        &self,
        cx: &Context<'a>,
        role_ref: RoleRef<'_>,
    ) -> Option<&'a Resource> {
        let in_binding_namespace =
            || cx.find(RBAC_GROUP, role_ref.kind, self.namespace(), role_ref.name);
        match role_ref.kind {
            // A ClusterRole has no namespace, though a manifest may carry a stray one that
            // the API server ignores.
            "ClusterRole" => cx
                .find(RBAC_GROUP, role_ref.kind, None, role_ref.name)
                .or_else(in_binding_namespace),
            _ => in_binding_namespace(),
        }
    }

    /// Whether the bound role only lets its subjects discover the API and themselves: one of
    /// the built-in discovery ClusterRoles, or a scanned role whose every rule does no more,
    /// the rules of the ClusterRoles aggregated into it included. A role that is not among the
    /// scanned resources and not built in, or that cannot be read, is not known to be
    /// harmless; nor is an aggregated role that nothing is aggregated into yet (whatever is
    /// labelled for it later joins it).
    pub(crate) fn grants_only_discovery(&self, cx: &Context<'a>, role_ref: RoleRef<'a>) -> bool {
        if role_ref.kind == "ClusterRole" && DISCOVERY_ROLES.contains(&role_ref.name) {
            return true;
        }
        let Ok(Some(effective)) = Effective::of(cx, self, role_ref) else {
            return false;
        };
        let aggregated = effective
            .bound
            .root
            .get_present("aggregationRule")
            .is_some();
        !(aggregated && effective.grants.is_empty())
            && effective.grants.iter().all(|g| g.rule.is_discovery_only())
    }
}

/// Built-in ClusterRoles that grant only API discovery, health and version endpoints, self
/// reviews, or the service-account issuer's public keys.
const DISCOVERY_ROLES: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
    "system:service-account-issuer-discovery",
];
