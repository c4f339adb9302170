//! Effective permissions: what a binding really grants, and to whom.
//!
//! A binding grants the rules of its role. A ClusterRole with an `aggregationRule` also grants
//! the rules of every ClusterRole its `clusterRoleSelectors` select, and of the ones those
//! select in turn (the API server's aggregation controller copies them in; objects read from
//! a cluster already list them, manifests usually do not). The default ClusterRoles a folder of
//! manifests lacks come from [`super::builtin`]. A RoleBinding grants its role's rules only
//! inside its namespace, so it never grants what is checked outside namespaces.
//!
//! Resolution is linear in what it touches. Everything that would otherwise need a scan of the
//! inventory per checked object (which bindings name a subject, which roles some binding
//! refers to, which ClusterRoles an aggregation rule selects) is one [`RbacIndex`], built once
//! per scan on first use and kept in the inventory index. Finding what a binding grants then
//! costs the rules of its role and of the roles aggregated into it; finding what a
//! ServiceAccount holds costs the bindings that name it or a group it belongs to.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::{Arc, OnceLock};

use palisade_core::{DerivedFrom, Node, Resource, Violation};

use super::binding::{Binding, RoleRef, Subject};
use super::builtin;
use super::dangers::Danger;
use super::rules::{PolicyRule, RBAC_GROUP, rules_of};
use crate::control::{Context, Skip, Verdict};
use crate::selector::{LabelSelector, Labels};
use crate::settings::KubeVersion;

/// Who a subject is, as bindings name it. A ServiceAccount named as the user
/// `system:serviceaccount:<namespace>:<name>` is the same key as one named by kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum SubjectKey {
    ServiceAccount {
        namespace: Option<String>,
        name: String,
    },
    User(String),
    Group(String),
}

impl SubjectKey {
    fn of(subject: &Subject<'_>) -> Option<Self> {
        match subject.kind {
            "ServiceAccount" => Some(SubjectKey::ServiceAccount {
                namespace: subject.namespace.map(str::to_string),
                name: subject.name.to_string(),
            }),
            "User" => match service_account_user(subject.name) {
                Some((namespace, name)) => Some(SubjectKey::ServiceAccount {
                    namespace: Some(namespace.to_string()),
                    name: name.to_string(),
                }),
                None => Some(SubjectKey::User(subject.name.to_string())),
            },
            "Group" => Some(SubjectKey::Group(subject.name.to_string())),
            _ => None,
        }
    }
}

/// The namespace and name of a ServiceAccount's user name
/// (`system:serviceaccount:<namespace>:<name>`).
pub(crate) fn service_account_user(user: &str) -> Option<(&str, &str)> {
    let rest = user.strip_prefix("system:serviceaccount:")?;
    rest.split_once(':')
        .filter(|(ns, name)| !ns.is_empty() && !name.is_empty() && !name.contains(':'))
}

/// A ClusterRole, scanned or built in, as an index entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum RoleAt {
    /// Position in the inventory.
    Scanned(u32),
    /// Position in [`builtin::all`].
    BuiltIn(usize),
}

/// A role as bindings refer to it: (`Role` or `ClusterRole`, namespace for a Role, name).
type RoleKey = (bool, Option<String>, String);

/// The lookups effective-permission checks share, built once per scan.
#[derive(Debug)]
pub(crate) struct RbacIndex {
    /// Subject → (binding position, subject index) of every binding naming it.
    by_subject: HashMap<SubjectKey, Vec<(u32, usize)>>,
    /// Every role some binding refers to.
    referenced: HashSet<RoleKey>,
    /// ClusterRole name → the ClusterRoles its aggregation rule selects, or why the rule
    /// cannot be read.
    members: HashMap<String, Result<Vec<RoleAt>, String>>,
    /// Names of the scanned ClusterRoles some aggregation rule selects.
    aggregated: HashSet<String>,
    /// What each binding that names a subject grants of the dangerous permissions, worked out
    /// the first time a check asks (bindings to groups such as `system:serviceaccounts` are
    /// asked about for every workload), for the Kubernetes version the index was built for.
    dangers: HashMap<u32, OnceLock<Result<Vec<HeldDanger>, Skip>>>,
    version: KubeVersion,
}

/// A dangerous permission a binding grants: which, and where the rule comes from
/// ([`Effective::source`]).
#[derive(Clone, Debug)]
pub(crate) struct HeldDanger {
    pub danger: Danger,
    pub source: String,
}

impl RbacIndex {
    /// The index of this scan, built on first use.
    pub(crate) fn of(cx: &Context<'_>) -> Arc<RbacIndex> {
        cx.index.derived(
            DerivedFrom::Kinds(&[
                (RBAC_GROUP, "Role"),
                (RBAC_GROUP, "ClusterRole"),
                (RBAC_GROUP, "RoleBinding"),
                (RBAC_GROUP, "ClusterRoleBinding"),
            ]),
            || RbacIndex::build(cx),
        )
    }

    fn build(cx: &Context<'_>) -> RbacIndex {
        let mut index = RbacIndex {
            by_subject: HashMap::new(),
            referenced: HashSet::new(),
            members: HashMap::new(),
            aggregated: HashSet::new(),
            dangers: HashMap::new(),
            version: cx.settings.kube_version,
        };
        for kind in ["RoleBinding", "ClusterRoleBinding"] {
            for (position, resource) in cx.index.of_kind_at(RBAC_GROUP, kind) {
                let Some(binding) = Binding::of(resource) else {
                    continue;
                };
                // A binding of the wrong shape is "not evaluated" wherever it is judged; here
                // it names no one.
                if let Ok(role_ref) = binding.role_ref() {
                    index.referenced.insert(role_key(&binding, role_ref));
                }
                index.dangers.insert(position, OnceLock::new());
                for subject in binding.subjects().unwrap_or_default() {
                    if let Some(key) = SubjectKey::of(&subject) {
                        index
                            .by_subject
                            .entry(key)
                            .or_default()
                            .push((position, subject.index));
                    }
                }
            }
        }
        index.build_aggregation(cx);
        index
    }

    fn build_aggregation(&mut self, cx: &Context<'_>) {
        let mut roles: Vec<(RoleAt, &Resource)> = cx
            .index
            .of_kind_at(RBAC_GROUP, "ClusterRole")
            .map(|(position, r)| (RoleAt::Scanned(position), r))
            .collect();
        roles.extend(
            builtin::all()
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    cx.find(RBAC_GROUP, "ClusterRole", None, &r.id.name)
                        .is_none()
                })
                .map(|(i, r)| (RoleAt::BuiltIn(i), r)),
        );
        // Label → roles carrying it, so a selector is tested only against candidates.
        let mut by_label: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, (_, role)) in roles.iter().enumerate() {
            for pair in labels(role).iter() {
                by_label.entry(pair).or_default().push(i);
            }
        }
        for (_, role) in &roles {
            let name = role.id.name.as_str();
            let Some(rule) = role.root.get_present("aggregationRule") else {
                continue;
            };
            let selected = aggregation_selectors(rule).map(|selectors| {
                let mut selected: Vec<usize> = Vec::new();
                for selector in &selectors {
                    let candidates: Vec<usize> = match selector.required_label() {
                        Some((key, values)) => values
                            .iter()
                            .flat_map(|v| by_label.get(&(key, *v)).into_iter().flatten())
                            .copied()
                            .collect(),
                        None => (0..roles.len()).collect(),
                    };
                    selected.extend(candidates.into_iter().filter(|&c| {
                        roles[c].1.id.name != name && selector.matches(labels(roles[c].1))
                    }));
                }
                selected.sort_unstable();
                selected.dedup();
                selected
            });
            let entry = match selected {
                Ok(selected) => {
                    for &i in &selected {
                        if let (RoleAt::Scanned(_), role) = roles[i] {
                            self.aggregated.insert(role.id.name.to_string());
                        }
                    }
                    Ok(selected.into_iter().map(|i| roles[i].0).collect())
                }
                Err(reason) => Err(reason),
            };
            self.members.entry(name.to_string()).or_insert(entry);
        }
    }

    /// The bindings naming this subject: (position, binding, subject index).
    pub(crate) fn bindings_of<'a>(
        &self,
        cx: &Context<'a>,
        key: &SubjectKey,
    ) -> Vec<(u32, &'a Resource, usize)> {
        self.by_subject
            .get(key)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|&(position, subject)| Some((position, cx.index.at(position)?, subject)))
            .collect()
    }

    /// What the binding at `position` (from [`RbacIndex::bindings_of`]) grants of the
    /// dangerous permissions, worked out once per scan. Empty when its role is unknown.
    pub(crate) fn dangers_of<'s>(
        &'s self,
        cx: &Context<'_>,
        position: u32,
        binding: &Binding<'_>,
    ) -> Result<Cow<'s, [HeldDanger]>, Skip> {
        let work = || -> Result<Vec<HeldDanger>, Skip> {
            let role_ref = binding
                .role_ref()
                .map_err(|skip| Skip::in_other(binding.resource, skip.reason))?;
            let Some(effective) = Effective::of(cx, binding, role_ref)? else {
                return Ok(Vec::new());
            };
            Ok(Danger::ALL
                .into_iter()
                .filter_map(|danger| {
                    let (grant, _) = effective.find(danger, cx.settings.kube_version)?;
                    Some(HeldDanger {
                        danger,
                        source: effective.source(grant),
                    })
                })
                .collect())
        };
        match self.dangers.get(&position) {
            Some(slot) if self.version == cx.settings.kube_version => slot
                .get_or_init(work)
                .as_deref()
                .map(Cow::Borrowed)
                .map_err(Clone::clone),
            _ => work().map(Cow::Owned),
        }
    }

    /// Whether some binding refers to this Role or ClusterRole.
    pub(crate) fn is_referenced(&self, role: &Resource) -> bool {
        let cluster = role.kind() == "ClusterRole";
        let namespace = if cluster {
            None
        } else {
            role.id.namespace.clone()
        };
        self.referenced
            .contains(&(cluster, namespace, role.id.name.to_string()))
    }

    /// Whether some ClusterRole's aggregation rule selects this scanned ClusterRole.
    pub(crate) fn is_aggregated(&self, role: &Resource) -> bool {
        role.kind() == "ClusterRole" && self.aggregated.contains(role.id.name.as_str())
    }
}

fn role_key(binding: &Binding<'_>, role_ref: RoleRef<'_>) -> RoleKey {
    let cluster = role_ref.kind == "ClusterRole";
    let namespace = if cluster {
        None
    } else {
        binding.namespace().map(str::to_string)
    };
    (cluster, namespace, role_ref.name.to_string())
}

fn labels(role: &Resource) -> Labels<'_> {
    Labels::of_metadata(role.root.get("metadata"))
}

/// The selectors of an `aggregationRule`, or why they cannot be read.
fn aggregation_selectors(rule: &Node) -> Result<Vec<LabelSelector<'_>>, String> {
    let rule = rule
        .expect_map("aggregationRule")
        .map_err(|e| e.to_string())?;
    let selectors = rule
        .seq_field("clusterRoleSelectors")
        .map_err(|e| format!("aggregationRule: {e}"))?;
    selectors
        .iter()
        .enumerate()
        .map(|(i, s)| {
            LabelSelector::parse(Some(s))
                .map_err(|e| format!("aggregationRule.clusterRoleSelectors[{i}]: {e}"))
        })
        .collect()
}

/// A rule a binding grants, and the role whose text holds it.
#[derive(Debug)]
pub(crate) struct Grant<'a> {
    pub rule: PolicyRule<'a>,
    /// The bound role, or a ClusterRole aggregated into it.
    pub role: &'a Resource,
    /// The aggregated ClusterRoles between the bound role and `role`, in order.
    pub via: Vec<&'a str>,
}

/// Everything a binding grants.
#[derive(Debug)]
pub(crate) struct Effective<'a> {
    /// The bound role: scanned, or built in.
    pub bound: &'a Resource,
    pub grants: Vec<Grant<'a>>,
}

/// `Role `x``, `ClusterRole `x``, `the built-in ClusterRole `x``.
fn name_role(role: &Resource) -> String {
    if builtin::is_built_in(role) {
        format!("the built-in ClusterRole `{}`", role.id.name)
    } else {
        format!("{} `{}`", role.kind(), role.id.name)
    }
}

impl<'a> Effective<'a> {
    /// What the binding grants: the rules of its role and of the ClusterRoles aggregated into
    /// it. `None` when the role is neither scanned nor built in (it may exist in the cluster;
    /// the binding grants nothing Palisade can see). Roles whose rules or aggregation rule
    /// have the wrong shape make the answer unknown: `Err(Skip)`.
    pub(crate) fn of(
        cx: &Context<'a>,
        binding: &Binding<'a>,
        role_ref: RoleRef<'a>,
    ) -> Result<Option<Self>, Skip> {
        let bound = match binding.bound_role(cx, role_ref) {
            Some(role) => role,
            None if role_ref.kind == "ClusterRole" => {
                match builtin::cluster_role_named(role_ref.name) {
                    Some(role) => role,
                    None => return Ok(None),
                }
            }
            None => return Ok(None),
        };
        let namespaced = !binding.is_cluster_wide();
        let index = RbacIndex::of(cx);
        let mut grants = Vec::new();
        let mut seen: HashSet<&str> = HashSet::from([bound.id.name.as_str()]);
        let mut queue: Vec<(&'a Resource, Vec<&'a str>)> = vec![(bound, Vec::new())];
        let mut next = 0;
        while let Some((role, via)) = queue.get(next).cloned() {
            next += 1;
            let rules = rules_of(role)
                .map_err(|e| Skip::in_other(role, e))?
                .unwrap_or_default();
            grants.extend(rules.into_iter().map(|rule| Grant {
                rule: if namespaced {
                    rule.within_namespace()
                } else {
                    rule
                },
                role,
                via: via.clone(),
            }));
            if role.kind() != "ClusterRole" {
                continue;
            }
            let Some(members) = index.members.get(role.id.name.as_str()) else {
                continue;
            };
            let members = members
                .as_ref()
                .map_err(|reason| Skip::in_other(role, reason))?;
            let mut via = via;
            if !std::ptr::eq(role, bound) {
                via.push(role.id.name.as_str());
            }
            for member in members {
                let member = match *member {
                    RoleAt::Scanned(position) => cx.index.at(position),
                    RoleAt::BuiltIn(i) => builtin::all().get(i),
                };
                if let Some(member) = member
                    && seen.insert(member.id.name.as_str())
                {
                    queue.push((member, via.clone()));
                }
            }
        }
        Ok(Some(Effective { bound, grants }))
    }

    /// The first rule granting `danger`, with what it grants of it.
    pub(crate) fn find(
        &self,
        danger: Danger,
        version: KubeVersion,
    ) -> Option<(&Grant<'a>, String)> {
        self.grants
            .iter()
            .find_map(|g| danger.granted_by(&g.rule, version).map(|what| (g, what)))
    }

    /// `ClusterRole `x` rules[0] grants …`, or through aggregation `ClusterRole `x`
    /// aggregates ClusterRole `y` (through `z`), whose rules[0] grants …`.
    pub(crate) fn explain(&self, grant: &Grant<'_>, what: &str) -> String {
        let mut out = String::new();
        if std::ptr::eq(grant.role, self.bound)
            || (builtin::is_built_in(self.bound) && builtin::is_built_in(grant.role))
        {
            // The default roles aggregate among themselves; that is no news to anyone.
            if builtin::is_built_in(self.bound) {
                let _ = write!(out, "{} grants {what}", name_role(self.bound));
            } else {
                let _ = write!(
                    out,
                    "{} rules[{}] grants {what}",
                    name_role(self.bound),
                    grant.rule.index
                );
            }
            return out;
        }
        let _ = write!(
            out,
            "{} aggregates {}",
            name_role(self.bound),
            name_role(grant.role)
        );
        if !grant.via.is_empty() {
            let via: Vec<String> = grant.via.iter().map(|v| format!("`{v}`")).collect();
            let _ = write!(out, " (through {})", via.join(", "));
        }
        if builtin::is_built_in(grant.role) {
            let _ = write!(out, ", which grants {what}");
        } else {
            let _ = write!(out, ", whose rules[{}] grants {what}", grant.rule.index);
        }
        out
    }

    /// For a rule that arrives through aggregation: `through aggregation (via `z`) it grants
    /// what ClusterRole `y` rules[0] grants: …`. `None` for the bound role's own rules.
    pub(crate) fn explain_aggregated(&self, grant: &Grant<'_>, what: &str) -> Option<String> {
        if std::ptr::eq(grant.role, self.bound) {
            return None;
        }
        let mut out = "through aggregation".to_string();
        if !grant.via.is_empty() {
            let via: Vec<String> = grant.via.iter().map(|v| format!("`{v}`")).collect();
            let _ = write!(out, " (via {})", via.join(", "));
        }
        if builtin::is_built_in(grant.role) {
            let _ = write!(
                out,
                " it grants what {} grants: {what}",
                name_role(grant.role)
            );
        } else {
            let _ = write!(
                out,
                " it grants what {} rules[{}] grants: {what}",
                name_role(grant.role),
                grant.rule.index
            );
        }
        Some(out)
    }

    /// `ClusterRole `x` rules[0]`, `ClusterRole `x` → ClusterRole `y` rules[2]`, `the
    /// built-in ClusterRole `edit``: where a rule comes from, short.
    pub(crate) fn source(&self, grant: &Grant<'_>) -> String {
        if builtin::is_built_in(self.bound) && builtin::is_built_in(grant.role) {
            return name_role(self.bound);
        }
        let mut out = name_role(self.bound);
        if !std::ptr::eq(grant.role, self.bound) {
            for via in &grant.via {
                let _ = write!(out, " → ClusterRole `{via}`");
            }
            let _ = write!(out, " → {}", name_role(grant.role));
        }
        if !builtin::is_built_in(grant.role) {
            let _ = write!(out, " rules[{}]", grant.rule.index);
        }
        out
    }

    /// The dangerous permissions the binding grants; only [`Danger::Everything`] when it
    /// grants everything, which includes the rest.
    pub(crate) fn dangers(&self, version: KubeVersion) -> Vec<Danger> {
        if self.everything().is_some() {
            return vec![Danger::Everything];
        }
        Danger::ALL
            .into_iter()
            .filter(|&d| self.find(d, version).is_some())
            .collect()
    }

    /// The first rule granting everything (`*` verbs, resources and API groups).
    pub(crate) fn everything(&self) -> Option<&Grant<'a>> {
        self.grants.iter().find(|g| g.rule.grants_everything())
    }
}

/// Judges a binding for one dangerous permission: one violation per subject, at
/// `subjects[i].name`, naming the subject, where it holds the permission and the rule that
/// grants it. `cluster_wide_only` limits the check to ClusterRoleBindings.
///
/// Passes bindings the API server manages (`system:` names), bindings without subjects, and
/// bindings whose role is not known (not scanned, not built in). A binding that grants
/// everything is left to RBAC-002 and RBAC-014, whose single finding says it all.
pub(crate) fn check_binding(
    cx: &Context<'_>,
    resource: &Resource,
    danger: Danger,
    cluster_wide_only: bool,
    consequence: &str,
) -> Result<Verdict, Skip> {
    let Some(binding) = Binding::of(resource) else {
        return Ok(Verdict::NotApplicable);
    };
    if cluster_wide_only && !binding.is_cluster_wide() {
        return Ok(Verdict::NotApplicable);
    }
    let subjects = binding.subjects()?;
    if binding.is_system() || subjects.is_empty() {
        return Ok(Verdict::pass());
    }
    let role_ref = binding.role_ref()?;
    let Some(effective) = Effective::of(cx, &binding, role_ref)? else {
        return Ok(Verdict::pass());
    };
    if effective.everything().is_some() {
        return Ok(Verdict::pass());
    }
    let Some((grant, what)) = effective.find(danger, cx.settings.kube_version) else {
        return Ok(Verdict::pass());
    };
    let how = effective.explain(grant, &what);
    let scope = binding.scope();
    let violations = subjects
        .iter()
        .map(|s| {
            Violation::new(
                s.name_path(),
                format!("{s} can {} {scope}{consequence}: {how}", danger.ability()),
            )
        })
        .collect();
    Ok(Verdict::Checked(violations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::InventoryIndex;

    use crate::settings::Settings;

    /// The dangers of the binding named `name`, as `Danger` debug names.
    fn dangers_of(text: &str, name: &str) -> Vec<Danger> {
        let inventory = crate::fixture_tests::load(text);
        let index = InventoryIndex::new(&inventory);
        let settings = Settings::default();
        let cx = Context {
            settings: &settings,
            inventory: &inventory,
            index: &index,
        };
        let resource = inventory
            .resources
            .iter()
            .find(|r| r.id.name == name && Binding::of(r).is_some())
            .expect("binding");
        let binding = Binding::of(resource).unwrap();
        let effective = Effective::of(&cx, &binding, binding.role_ref().unwrap())
            .unwrap()
            .expect("known role");
        effective.dangers(settings.kube_version)
    }

    const BINDINGS: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cluster}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team}
subjects: [{kind: Group, name: team}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: namespaced, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: team}
subjects: [{kind: Group, name: team}]
";

    #[test]
    fn selectors_without_a_required_label_test_every_cluster_role() {
        let text = format!(
            "{BINDINGS}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: team}}
aggregationRule:
  clusterRoleSelectors:
    - matchExpressions: [{{key: example.com/team, operator: Exists}}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: team-secrets, labels: {{example.com/team: any}}}}
rules: [{{apiGroups: [''], resources: [secrets], verbs: [get]}}]
"
        );
        assert_eq!(dangers_of(&text, "cluster"), vec![Danger::ReadSecrets]);
    }

    #[test]
    fn a_scanned_role_takes_the_place_of_the_built_in_one() {
        let text = format!(
            "{BINDINGS}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: team}}
aggregationRule:
  clusterRoleSelectors:
    - matchLabels: {{rbac.authorization.k8s.io/aggregate-to-edit: 'true'}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: system:aggregate-to-edit, labels: {{rbac.authorization.k8s.io/aggregate-to-edit: 'true'}}}}
rules: [{{apiGroups: [''], resources: [configmaps], verbs: [get]}}]
"
        );
        // The built-in `view` is still selected (it carries the label); the scanned
        // `system:aggregate-to-edit` replaces the built-in one, which would read Secrets.
        assert_eq!(dangers_of(&text, "cluster"), Vec::<Danger>::new());
    }

    #[test]
    fn a_role_binding_grants_only_what_is_checked_in_its_namespace() {
        let text = format!(
            "{BINDINGS}---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: team}}
rules:
  - {{apiGroups: [''], resources: [users], verbs: [impersonate]}}
  - {{apiGroups: [''], resources: [pods/exec], verbs: [create]}}
"
        );
        assert_eq!(
            dangers_of(&text, "cluster"),
            vec![Danger::ExecIntoPods, Danger::Escalate]
        );
        assert_eq!(dangers_of(&text, "namespaced"), vec![Danger::ExecIntoPods]);
    }

    #[test]
    fn the_index_finds_subjects_however_they_are_named() {
        let inventory = crate::fixture_tests::load(
            "
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: by-kind, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects: [{kind: ServiceAccount, name: web}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: by-user}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: User, name: 'system:serviceaccount:shop:web'}, {kind: Group, name: ops}]
",
        );
        let index = InventoryIndex::new(&inventory);
        let settings = Settings::default();
        let cx = Context {
            settings: &settings,
            inventory: &inventory,
            index: &index,
        };
        let rbac = RbacIndex::of(&cx);
        assert!(Arc::ptr_eq(&rbac, &RbacIndex::of(&cx)), "built once");
        let web = SubjectKey::ServiceAccount {
            namespace: Some("shop".into()),
            name: "web".into(),
        };
        let names: Vec<&str> = rbac
            .bindings_of(&cx, &web)
            .into_iter()
            .map(|(_, b, _)| b.id.name.as_str())
            .collect();
        assert_eq!(names, ["by-kind", "by-user"]);
        assert_eq!(
            rbac.bindings_of(&cx, &SubjectKey::Group("ops".into()))
                .len(),
            1
        );
        assert!(rbac.is_referenced(builtin::cluster_role_named("edit").unwrap()));
    }

    #[test]
    fn service_account_user_names_are_parsed_strictly() {
        assert_eq!(
            service_account_user("system:serviceaccount:shop:web"),
            Some(("shop", "web"))
        );
        for bad in [
            "system:serviceaccount:shop",
            "system:serviceaccount::web",
            "system:serviceaccount:shop:",
            "system:serviceaccounts:shop",
            "alice",
        ] {
            assert_eq!(service_account_user(bad), None, "{bad}");
        }
    }
}
