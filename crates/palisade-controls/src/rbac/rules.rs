//! What a Role or ClusterRole rule grants, decided the way the Kubernetes RBAC authorizer
//! decides it. Every RBAC control reads rules through this module, so wildcards, subresources
//! and API groups are matched the same way everywhere.
//!
//! Matching follows the authorizer (`rbac/v1` helpers): a verb or API group item matches when it
//! is `*` or equal; a resource item matches when it is `*`, equal to `resource/subresource`, or
//! `*/subresource` for a request on a subresource. Matching is case-sensitive, as in the API
//! server. A rule without `apiGroups` matches no resource (the API server rejects such a rule).

use std::fmt::Write;

use palisade_core::{Fix, FixOp, FixSafety, Node, ObjectPath, Resource, TypeError, Violation};

use crate::control::{Skip, Verdict};
use crate::settings::RuleValues;

/// The API group of Role, ClusterRole, RoleBinding and ClusterRoleBinding (v1 and v1beta1).
pub(crate) const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// A permission a control looks for: some verbs on a resource of an API group.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Permission {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// `secrets`, `pods/exec`, or `userextras/*` for every subresource of `userextras`.
    pub resource: &'static str,
    /// The verbs that count; empty means every verb.
    pub verbs: &'static [&'static str],
    /// Whether the permission is checked without a namespace (nodes, webhook configurations,
    /// impersonating users), so that a Role, whose rules apply only inside its namespace,
    /// cannot grant it.
    pub cluster_scoped: bool,
}

impl Permission {
    /// A permission checked in a namespace: a Role can grant it.
    pub(crate) const fn new(
        group: &'static str,
        resource: &'static str,
        verbs: &'static [&'static str],
    ) -> Self {
        Permission {
            group,
            resource,
            verbs,
            cluster_scoped: false,
        }
    }

    /// A permission checked without a namespace: only a ClusterRole can grant it.
    pub(crate) const fn cluster(
        group: &'static str,
        resource: &'static str,
        verbs: &'static [&'static str],
    ) -> Self {
        Permission {
            group,
            resource,
            verbs,
            cluster_scoped: true,
        }
    }

    /// Whether the verb item of a rule (`get`, `*`) reaches a verb of this permission.
    fn allows_verb_item(&self, item: &str) -> bool {
        self.verbs.is_empty() || item == "*" || self.verbs.contains(&item)
    }

    /// Whether a resource item of a rule names this permission's resource exactly, without a
    /// wildcard.
    fn named_by(&self, item: &str) -> bool {
        if item.contains('*') {
            return false;
        }
        match self.resource.strip_suffix("/*") {
            Some(base) => item
                .strip_prefix(base)
                .is_some_and(|rest| rest.starts_with('/')),
            None => item == self.resource,
        }
    }

    /// Whether a resource item of a rule reaches this permission's resource, wildcards included.
    fn reached_by(&self, item: &str) -> bool {
        if item == "*" || self.named_by(item) {
            return true;
        }
        match self.resource.split_once('/') {
            // `*/exec` reaches `pods/exec`; `*/anything` reaches some `userextras/anything`.
            Some((_, "*")) => item.starts_with("*/"),
            Some((_, sub)) => item.strip_prefix("*/") == Some(sub),
            None => false,
        }
    }
}

/// One rule of a Role or ClusterRole. Its lists are checked to hold strings only.
#[derive(Clone, Debug)]
pub(crate) struct PolicyRule<'a> {
    pub index: usize,
    /// Whether the rule belongs to a Role, and so applies only inside the Role's namespace.
    in_role: bool,
    api_groups: &'a [Node],
    resources: &'a [Node],
    verbs: &'a [Node],
    resource_names: &'a [Node],
    non_resource_urls: &'a [Node],
}

fn strings(list: &[Node]) -> impl Iterator<Item = (usize, &str)> {
    list.iter()
        .enumerate()
        .filter_map(|(i, n)| n.as_str().map(|s| (i, s)))
}

fn type_error(field: String, expected: &'static str, node: &Node) -> TypeError {
    TypeError {
        field,
        expected,
        found: node.describe(),
        span: node.span,
    }
}

/// A list of strings under `key` of a rule; absent or null reads as empty.
fn string_list<'a>(rule: &'a Node, index: usize, key: &str) -> Result<&'a [Node], TypeError> {
    let Some(node) = rule.get_present(key) else {
        return Ok(&[]);
    };
    let Some(items) = node.as_seq() else {
        return Err(type_error(format!("rules[{index}].{key}"), "a list", node));
    };
    if let Some((j, bad)) = items.iter().enumerate().find(|(_, n)| n.as_str().is_none()) {
        return Err(type_error(
            format!("rules[{index}].{key}[{j}]"),
            "a string",
            bad,
        ));
    }
    Ok(items)
}

impl<'a> PolicyRule<'a> {
    pub(crate) fn parse(node: &'a Node, index: usize, in_role: bool) -> Result<Self, TypeError> {
        if node.as_map().is_none() {
            return Err(type_error(format!("rules[{index}]"), "a mapping", node));
        }
        Ok(PolicyRule {
            index,
            in_role,
            api_groups: string_list(node, index, "apiGroups")?,
            resources: string_list(node, index, "resources")?,
            verbs: string_list(node, index, "verbs")?,
            resource_names: string_list(node, index, "resourceNames")?,
            non_resource_urls: string_list(node, index, "nonResourceURLs")?,
        })
    }

    /// The rule as a RoleBinding grants it: a RoleBinding may bind a ClusterRole, whose rules
    /// then apply only inside the binding's namespace, like a Role's.
    pub(crate) fn within_namespace(mut self) -> Self {
        self.in_role = true;
        self
    }

    /// `rules[i]`.
    pub(crate) fn path(&self) -> ObjectPath {
        ObjectPath::root().key("rules").index(self.index)
    }

    pub(crate) fn verbs(&self) -> impl Iterator<Item = (usize, &'a str)> {
        strings(self.verbs)
    }

    pub(crate) fn resources(&self) -> impl Iterator<Item = (usize, &'a str)> {
        strings(self.resources)
    }

    pub(crate) fn api_groups(&self) -> impl Iterator<Item = (usize, &'a str)> {
        strings(self.api_groups)
    }

    pub(crate) fn non_resource_urls(&self) -> impl Iterator<Item = (usize, &'a str)> {
        strings(self.non_resource_urls)
    }

    /// The object names the rule is limited to (`resourceNames`); none means every object.
    pub(crate) fn resource_names(&self) -> impl Iterator<Item = (usize, &'a str)> {
        strings(self.resource_names)
    }

    /// Whether the rule is limited to named objects (`resourceNames`). Such a rule never
    /// authorizes `create` of a new object, whose name is unknown when it is authorized.
    pub(crate) fn has_resource_names(&self) -> bool {
        !self.resource_names.is_empty()
    }

    /// The lists of the rule (`verbs`, `resources`, `apiGroups`) holding a wildcard the
    /// authorizer honours: `*`, or a resource pattern `*/<subresource>`. (`pods/*` is no
    /// pattern: it matches nothing.)
    pub(crate) fn wildcard_lists(&self) -> Vec<&'static str> {
        let star = |list: &[Node]| strings(list).any(|(_, s)| s == "*");
        let resources = strings(self.resources).any(|(_, s)| s == "*" || s.starts_with("*/"));
        [
            ("verbs", star(self.verbs)),
            ("resources", resources),
            ("apiGroups", star(self.api_groups)),
        ]
        .into_iter()
        .filter_map(|(field, wild)| wild.then_some(field))
        .collect()
    }

    fn reaches_group(&self, group: &str) -> bool {
        self.api_groups().any(|(_, g)| g == "*" || g == group)
    }

    /// Whether the rule grants `*` verbs on `*` resources of `*` API groups: everything
    /// cluster-admin can do with resources.
    pub(crate) fn grants_everything(&self) -> bool {
        self.api_groups().any(|(_, g)| g == "*")
            && self.resources().any(|(_, r)| r == "*")
            && self.verbs().any(|(_, v)| v == "*")
    }

    /// Whether the rule only lets a client discover the API and itself: reading non-resource
    /// URLs (`/api`, `/version`, `/healthz`, …) or asking what it may do (self reviews).
    pub(crate) fn is_discovery_only(&self) -> bool {
        if self.resources.is_empty() {
            return self.verbs().all(|(_, v)| matches!(v, "get" | "head"));
        }
        self.non_resource_urls.is_empty()
            && self
                .api_groups()
                .all(|(_, g)| matches!(g, "authorization.k8s.io" | "authentication.k8s.io"))
            && self.resources().all(|(_, r)| {
                matches!(
                    r,
                    "selfsubjectaccessreviews" | "selfsubjectrulesreviews" | "selfsubjectreviews"
                )
            })
            && self.verbs().all(|(_, v)| v == "create")
    }

    /// Whether the rule can grant the permission at all: its API group is listed, and a Role
    /// cannot grant what is checked outside namespaces.
    fn can_grant(&self, p: &Permission) -> bool {
        !(self.in_role && p.cluster_scoped) && self.reaches_group(p.group)
    }

    /// Whether one verb item and one resource item of the rule, with one of its API groups,
    /// reach one of `wanted`.
    fn reaches(&self, verb_item: &str, resource_item: &str, wanted: &[Permission]) -> bool {
        wanted.iter().any(|p| {
            p.allows_verb_item(verb_item) && p.reached_by(resource_item) && self.can_grant(p)
        })
    }

    /// What of `wanted` the rule grants; `None` when nothing.
    pub(crate) fn grants(&self, wanted: &[Permission]) -> Option<Grants<'a>> {
        let mut grants = Grants::default();
        for p in wanted {
            if self.in_role && p.cluster_scoped {
                continue;
            }
            let Some((_, group_item)) = self
                .api_groups()
                .find(|(_, g)| *g == p.group)
                .or_else(|| self.api_groups().find(|(_, g)| *g == "*"))
            else {
                continue;
            };
            let Some((_, resource_item)) = self
                .resources()
                .find(|(_, r)| p.named_by(r))
                .or_else(|| self.resources().find(|(_, r)| p.reached_by(r)))
            else {
                continue;
            };
            // An item naming one subresource of an any-subresource permission is reported as
            // written (`userextras/scopes`); otherwise the permission's own resource is.
            let resource = if p.resource.ends_with("/*") && p.named_by(resource_item) {
                resource_item
            } else {
                p.resource
            };
            let mut any = false;
            if p.verbs.is_empty() {
                for (_, verb) in self.verbs() {
                    grants.add(resource, verb);
                    grants.wildcard_verbs |= verb == "*";
                    any = true;
                }
            } else {
                for verb in p.verbs {
                    let Some((_, verb_item)) = self
                        .verbs()
                        .find(|(_, v)| v == verb)
                        .or_else(|| self.verbs().find(|(_, v)| *v == "*"))
                    else {
                        continue;
                    };
                    grants.add(resource, verb);
                    grants.wildcard_verbs |= verb_item == "*";
                    any = true;
                }
            }
            if any {
                grants.wildcard_resources |= resource_item.contains('*');
                grants.wildcard_groups |= group_item == "*";
            }
        }
        if grants.items.is_empty() {
            return None;
        }
        grants.resource_names = strings(self.resource_names).map(|(_, n)| n).collect();
        Some(grants)
    }

    /// A fix that removes exactly what the rule grants of `wanted` and nothing else, when the
    /// rule's lists allow it: the offending verbs when every resource of the rule is one they
    /// are dangerous on, or the offending resources when every verb of the rule is dangerous on
    /// them. A list left empty means the whole rule goes. Otherwise the rule is split (see
    /// [`Self::split_removal`]). Wildcards are never removed: that would take away more than
    /// the finding is about.
    pub(crate) fn removal_fix(&self, wanted: &[Permission]) -> Option<Fix> {
        self.verb_removal(wanted)
            .or_else(|| self.resource_removal(wanted))
            .or_else(|| self.split_removal(wanted))
    }

    /// For a rule that mixes resources and verbs (`secrets` and `configmaps` with `get` and
    /// `create`), where neither list can lose items without taking away something harmless: the
    /// offending resources leave the rule and come back in new rules, appended to `rules`, with
    /// the verbs that are harmless on them (one rule per set of verbs; none when no verb is).
    /// The rule's apiGroups and resourceNames go with them. Exactly the dangerous pairs of
    /// resource and verb are taken away. Not for rules with wildcards.
    fn split_removal(&self, wanted: &[Permission]) -> Option<Fix> {
        if self.verbs().any(|(_, v)| v == "*") || self.resources().any(|(_, r)| r.contains('*')) {
            return None;
        }
        let dangerous = |resource: &str, verb: &str| {
            wanted
                .iter()
                .any(|p| p.named_by(resource) && p.allows_verb_item(verb) && self.can_grant(p))
        };
        let offending: Vec<(usize, &str)> = self
            .resources()
            .filter(|(_, r)| self.verbs().any(|(_, v)| dangerous(r, v)))
            .collect();
        if offending.is_empty() {
            return None;
        }
        // (verbs kept, resources keeping them), in the order the resources are listed.
        let mut groups: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
        for (_, resource) in &offending {
            let kept: Vec<&str> = self
                .verbs()
                .map(|(_, v)| v)
                .filter(|v| !dangerous(resource, v))
                .collect();
            if kept.is_empty() {
                continue;
            }
            match groups.iter_mut().find(|(verbs, _)| *verbs == kept) {
                Some((_, resources)) => resources.push(resource),
                None => groups.push((kept, vec![resource])),
            }
        }
        let strings_of = |list: &[&str]| serde_json::Value::from(list.to_vec());
        let api_groups: Vec<&str> = self.api_groups().map(|(_, g)| g).collect();
        let names: Vec<&str> = self.resource_names().map(|(_, n)| n).collect();
        let mut ops: Vec<FixOp> = groups
            .iter()
            .map(|(verbs, resources)| {
                let mut rule = serde_json::Map::new();
                rule.insert("apiGroups".into(), strings_of(&api_groups));
                rule.insert("resources".into(), strings_of(resources));
                if !names.is_empty() {
                    rule.insert("resourceNames".into(), strings_of(&names));
                }
                rule.insert("verbs".into(), strings_of(verbs));
                FixOp::Append {
                    path: ObjectPath::root().key("rules"),
                    value: rule.into(),
                }
            })
            .collect();
        let rule = self.path();
        if offending.len() == self.resources.len() {
            ops.push(FixOp::Remove { path: rule });
        } else {
            // Highest index first, so each removal leaves the indices of the next ones valid.
            ops.extend(offending.iter().rev().map(|(j, _)| FixOp::Remove {
                path: rule.key("resources").index(*j),
            }));
        }
        let moved = offending
            .iter()
            .map(|(_, r)| *r)
            .collect::<Vec<_>>()
            .join(", ");
        Some(Fix {
            description: format!(
                "move {moved} out of rules[{}] into rules with only the verbs harmless on them",
                self.index
            )
            .into(),
            safety: FixSafety::Unsafe,
            ops,
        })
    }

    fn verb_removal(&self, wanted: &[Permission]) -> Option<Fix> {
        let offending = |verb: &str| self.resources().any(|(_, r)| self.reaches(verb, r, wanted));
        let remove: Vec<(usize, &str)> = self.verbs().filter(|(_, v)| offending(v)).collect();
        let removable = |verb: &str| {
            verb != "*"
                && self.resources().all(|(_, r)| {
                    wanted
                        .iter()
                        .any(|p| p.named_by(r) && p.allows_verb_item(verb) && self.can_grant(p))
                })
        };
        if remove.is_empty() || !remove.iter().all(|(_, v)| removable(v)) {
            return None;
        }
        self.removal("verbs", self.verbs.len(), &remove)
    }

    fn resource_removal(&self, wanted: &[Permission]) -> Option<Fix> {
        let offending =
            |resource: &str| self.verbs().any(|(_, v)| self.reaches(v, resource, wanted));
        let remove: Vec<(usize, &str)> = self.resources().filter(|(_, r)| offending(r)).collect();
        let removable = |resource: &str| {
            self.verbs().all(|(_, v)| {
                wanted.iter().any(|p| {
                    p.named_by(resource)
                        && p.allows_verb_item(v)
                        && (v != "*" || p.verbs.is_empty())
                        && self.can_grant(p)
                })
            })
        };
        if remove.is_empty() || !remove.iter().all(|(_, r)| removable(r)) {
            return None;
        }
        self.removal("resources", self.resources.len(), &remove)
    }

    fn removal(&self, field: &str, len: usize, remove: &[(usize, &str)]) -> Option<Fix> {
        let rule = self.path();
        if remove.len() == len {
            return Some(Fix::remove(
                format!("remove rules[{}], which grants nothing else", self.index),
                FixSafety::Unsafe,
                rule,
            ));
        }
        let list = rule.key(field);
        // Highest index first, so each removal leaves the indices of the next ones valid.
        let ops = remove
            .iter()
            .rev()
            .map(|(j, _)| FixOp::Remove {
                path: list.index(*j),
            })
            .collect();
        let names = remove
            .iter()
            .map(|(_, s)| *s)
            .collect::<Vec<_>>()
            .join(", ");
        Some(Fix {
            description: format!("remove {names} from rules[{}].{field}", self.index).into(),
            safety: FixSafety::Unsafe,
            ops,
        })
    }
}

/// Whether an item of a rule's list is a wildcard there.
type WildcardTest = fn(&str) -> bool;

impl PolicyRule<'_> {
    /// A fix that writes the configured lists in place of the rule's wildcards: in each list
    /// holding one (`*`, or `*/<subresource>` among resources), the wildcard items go and the
    /// configured items the list lacks are appended. `None` when some list with a wildcard has
    /// no configured replacement: the rule would keep granting through it, and guessing a list
    /// is the user's call.
    pub(crate) fn wildcard_replacement(&self, values: &RuleValues) -> Option<Fix> {
        let star = |s: &str| s == "*";
        let lists: [(&str, &[Node], &[String], WildcardTest); 3] = [
            ("verbs", self.verbs, &values.verbs, star),
            ("resources", self.resources, &values.resources, |s| {
                s == "*" || s.starts_with("*/")
            }),
            ("apiGroups", self.api_groups, &values.api_groups, star),
        ];
        let mut ops = Vec::new();
        let mut removals = Vec::new();
        let mut described = Vec::new();
        for (field, list, configured, is_wildcard) in lists {
            let wild: Vec<usize> = strings(list)
                .filter(|(_, s)| is_wildcard(s))
                .map(|(i, _)| i)
                .collect();
            if wild.is_empty() {
                continue;
            }
            if configured.is_empty() {
                return None;
            }
            let path = self.path().key(field);
            for item in configured {
                if !strings(list).any(|(_, s)| s == item) {
                    ops.push(FixOp::Append {
                        path: path.clone(),
                        value: item.as_str().into(),
                    });
                }
            }
            // Highest index first, so each removal leaves the indices of the next ones valid.
            removals.extend(wild.iter().rev().map(|i| FixOp::Remove {
                path: path.index(*i),
            }));
            let shown: Vec<&str> = configured
                .iter()
                .map(|g| if g.is_empty() { "\"\"" } else { g.as_str() })
                .collect();
            described.push(format!("{field} with {}", shown.join(", ")));
        }
        if described.is_empty() {
            return None;
        }
        ops.extend(removals);
        Some(Fix {
            description: format!(
                "replace `*` in rules[{}].{} (fix.rbac)",
                self.index,
                join_and(&described.iter().map(String::as_str).collect::<Vec<_>>())
            )
            .into(),
            safety: FixSafety::Unsafe,
            ops,
        })
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [head @ .., last] => format!("{} and {last}", head.join(", ")),
    }
}

/// What a rule grants of the permissions a control looks for.
#[derive(Debug, Default)]
pub(crate) struct Grants<'a> {
    /// (resource, verbs) in the order the control listed its permissions.
    items: Vec<(&'a str, Vec<&'a str>)>,
    wildcard_verbs: bool,
    wildcard_resources: bool,
    wildcard_groups: bool,
    resource_names: Vec<&'a str>,
}

impl<'a> Grants<'a> {
    fn add(&mut self, resource: &'a str, verb: &'a str) {
        let verb = if verb == "*" { "every verb" } else { verb };
        match self.items.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, verbs)) if verbs.contains(&verb) => {}
            Some((_, verbs)) => verbs.push(verb),
            None => self.items.push((resource, vec![verb])),
        }
    }

    /// `get, list, watch on secrets`, `create on pods/exec, pods/attach`, with the wildcards
    /// that reached them and the object names the rule is limited to.
    pub(crate) fn describe(&self) -> String {
        let mut out = String::new();
        let mut i = 0;
        while i < self.items.len() {
            let verbs = &self.items[i].1;
            let mut j = i + 1;
            while j < self.items.len() && self.items[j].1 == *verbs {
                j += 1;
            }
            if i > 0 {
                out.push_str("; ");
            }
            let resources: Vec<&str> = self.items[i..j].iter().map(|(r, _)| *r).collect();
            let _ = write!(out, "{} on {}", verbs.join(", "), resources.join(", "));
            i = j;
        }
        let wildcards: Vec<&str> = [
            (self.wildcard_verbs, "verbs"),
            (self.wildcard_resources, "resources"),
            (self.wildcard_groups, "apiGroups"),
        ]
        .into_iter()
        .filter_map(|(on, field)| on.then_some(field))
        .collect();
        if !wildcards.is_empty() {
            let _ = write!(out, " (through `*` in {})", join_and(&wildcards));
        }
        if !self.resource_names.is_empty() {
            let _ = write!(
                out,
                ", limited to resourceNames {}",
                self.resource_names.join(", ")
            );
        }
        out
    }
}

/// Whether the resource is a Role or a ClusterRole.
pub(crate) fn is_role(resource: &Resource) -> bool {
    resource.id.group() == RBAC_GROUP && matches!(resource.kind(), "Role" | "ClusterRole")
}

/// Whether the role is one the API server creates and reconciles itself at every start
/// (`cluster-admin`, `admin`, `edit`, `view`, `system:*`, labelled
/// `kubernetes.io/bootstrapping: rbac-defaults`). Its text cannot be fixed by the user; who
/// is bound to it is what matters.
fn is_bootstrap_role(resource: &Resource) -> bool {
    let labelled = resource
        .root
        .at(&["metadata", "labels", "kubernetes.io/bootstrapping"])
        .and_then(Node::as_str)
        == Some("rbac-defaults");
    let name = resource.id.name.as_str();
    labelled
        && (name.starts_with("system:")
            || matches!(name, "cluster-admin" | "admin" | "edit" | "view"))
}

/// The rules of any Role or ClusterRole, built-in ones included. `None` for other kinds.
pub(crate) fn rules_of(resource: &Resource) -> Result<Option<Vec<PolicyRule<'_>>>, TypeError> {
    if !is_role(resource) {
        return Ok(None);
    }
    let in_role = resource.kind() == "Role";
    let rules = resource.root.seq_field("rules")?;
    rules
        .iter()
        .enumerate()
        .map(|(i, node)| PolicyRule::parse(node, i, in_role))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The rules a rule-judging control should look at. `None` (not applicable) for kinds other
/// than Role and ClusterRole, for the API server's own bootstrap roles, and for an aggregated
/// ClusterRole whose rules the aggregation controller has not filled in (its permissions are
/// those of the roles it selects, which are judged themselves).
pub(crate) fn judged_rules(resource: &Resource) -> Result<Option<Vec<PolicyRule<'_>>>, Skip> {
    if !is_role(resource) || is_bootstrap_role(resource) {
        return Ok(None);
    }
    let rules = rules_of(resource)?.unwrap_or_default();
    if rules.is_empty() && resource.root.get_present("aggregationRule").is_some() {
        return Ok(None);
    }
    Ok(Some(rules))
}

/// Judges each rule of a Role or ClusterRole against the permissions `wanted` picks for it (an
/// empty list skips the rule). One violation per rule that grants any of them, at
/// `rules[i].<field>`, saying `<lead>: <what it grants>`, with an exact removal fix when one
/// exists.
pub(crate) fn check_rules(
    resource: &Resource,
    field: &str,
    lead: &str,
    wanted: impl Fn(&PolicyRule<'_>) -> &'static [Permission],
) -> Result<Verdict, Skip> {
    let Some(rules) = judged_rules(resource)? else {
        return Ok(Verdict::NotApplicable);
    };
    let mut violations = Vec::new();
    for rule in &rules {
        let wanted = wanted(rule);
        let Some(grants) = rule.grants(wanted) else {
            continue;
        };
        let violation = Violation::new(
            rule.path().key(field),
            format!("{lead}: grants {}", grants.describe()),
        );
        violations.push(match rule.removal_fix(wanted) {
            Some(fix) => violation.with_fix(fix),
            None => violation,
        });
    }
    Ok(Verdict::Checked(violations))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(value: serde_json::Value) -> Node {
        Node::from_json(&value)
    }

    const EXEC: &[Permission] = &[
        Permission::new("", "pods/exec", &["create"]),
        Permission::new("", "pods/attach", &["create"]),
    ];
    const EXTRAS: &[Permission] = &[Permission::new(
        "authentication.k8s.io",
        "userextras/*",
        &["impersonate"],
    )];

    #[test]
    fn wildcards_and_subresources_match_like_the_authorizer() {
        let cases = [
            (
                json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}),
                true,
            ),
            (
                json!({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}),
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}),
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}),
                false,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/*"], "verbs": ["create"]}),
                false,
            ),
            (
                json!({"apiGroups": ["apps"], "resources": ["pods/exec"], "verbs": ["create"]}),
                false,
            ),
            (
                json!({"resources": ["pods/exec"], "verbs": ["create"]}),
                false,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "Create"]}),
                false,
            ),
        ];
        for (value, expected) in cases {
            let node = rule(value.clone());
            let r = PolicyRule::parse(&node, 0, false).unwrap();
            assert_eq!(r.grants(EXEC).is_some(), expected, "{value}");
        }
    }

    #[test]
    fn any_subresource_permissions_match_named_and_wildcard_items() {
        for (value, expected) in [
            (
                json!({"apiGroups": ["authentication.k8s.io"], "resources": ["userextras/scopes"], "verbs": ["impersonate"]}),
                true,
            ),
            (
                json!({"apiGroups": ["authentication.k8s.io"], "resources": ["*/scopes"], "verbs": ["impersonate"]}),
                true,
            ),
            (
                json!({"apiGroups": ["authentication.k8s.io"], "resources": ["userextras"], "verbs": ["impersonate"]}),
                false,
            ),
        ] {
            let node = rule(value.clone());
            let r = PolicyRule::parse(&node, 0, false).unwrap();
            assert_eq!(r.grants(EXTRAS).is_some(), expected, "{value}");
        }
    }

    #[test]
    fn describes_verbs_resources_wildcards_and_names() {
        let node = rule(
            json!({"apiGroups": ["*"], "resources": ["pods/exec", "pods/attach"], "verbs": ["*"], "resourceNames": ["web-0"]}),
        );
        let r = PolicyRule::parse(&node, 0, false).unwrap();
        assert_eq!(
            r.grants(EXEC).unwrap().describe(),
            "create on pods/exec, pods/attach (through `*` in verbs and apiGroups), limited to resourceNames web-0"
        );
    }

    #[test]
    fn removal_fixes_take_away_only_what_was_found() {
        let fix = |value: serde_json::Value| {
            let node = rule(value);
            let r = PolicyRule::parse(&node, 3, false).unwrap();
            r.removal_fix(EXEC)
                .map(|f| serde_json::to_string(&f.ops).unwrap())
        };
        // The verb is dangerous on every resource of the rule: drop it.
        assert_eq!(
            fix(json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["get", "create"]}))
                .as_deref(),
            Some(r#"[{"op":"remove","path":"rules[3].verbs[1]"}]"#)
        );
        // The resources carry nothing but dangerous verbs: drop them, highest index first.
        assert_eq!(
            fix(json!({"apiGroups": [""], "resources": ["pods/exec", "pods/log", "pods/attach"], "verbs": ["create"]})).as_deref(),
            Some(r#"[{"op":"remove","path":"rules[3].resources[2]"},{"op":"remove","path":"rules[3].resources[0]"}]"#)
        );
        // Nothing else in the rule: the rule goes.
        assert_eq!(
            fix(json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}))
                .as_deref(),
            Some(r#"[{"op":"remove","path":"rules[3]"}]"#)
        );
        // Mixed resources and verbs: the offending resource moves to a rule of its own with
        // the verbs that are harmless on it.
        assert_eq!(
            fix(
                json!({"apiGroups": [""], "resources": ["pods/exec", "pods/log"], "verbs": ["get", "create"], "resourceNames": ["web-0"]})
            )
            .as_deref(),
            Some(concat!(
                r#"[{"op":"append","path":"rules","value":{"apiGroups":[""],"resourceNames":["web-0"],"resources":["pods/exec"],"verbs":["get"]}},"#,
                r#"{"op":"remove","path":"rules[3].resources[0]"}]"#
            ))
        );
        // Wildcards: no exact removal exists.
        assert_eq!(
            fix(json!({"apiGroups": [""], "resources": ["*"], "verbs": ["create"]})),
            None
        );
        assert_eq!(
            fix(json!({"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["*"]})),
            None
        );
    }

    #[test]
    fn discovery_rules_are_recognised() {
        for (value, expected) in [
            (
                json!({"nonResourceURLs": ["/api", "/version"], "verbs": ["get"]}),
                true,
            ),
            (json!({"nonResourceURLs": ["*"], "verbs": ["*"]}), false),
            (
                json!({"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectrulesreviews"], "verbs": ["create"]}),
                true,
            ),
            (
                json!({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}),
                false,
            ),
        ] {
            let node = rule(value.clone());
            assert_eq!(
                PolicyRule::parse(&node, 0, false)
                    .unwrap()
                    .is_discovery_only(),
                expected,
                "{value}"
            );
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        let node = rule(json!({"verbs": ["get", 3]}));
        let err = PolicyRule::parse(&node, 2, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `rules[2].verbs[1]` must be a string, found integer 3"
        );
    }
}
