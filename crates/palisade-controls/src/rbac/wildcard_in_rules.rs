use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::rules::{PolicyRule, join_and, judged_rules};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that uses a wildcard in `verbs`, `resources` or
    /// `apiGroups`: the item `*`, or a resource pattern such as `*/scale` that stands for a
    /// subresource of every resource. The finding points at the first list holding a
    /// wildcard and names what the rule then grants.
    ///
    /// Built-in roles the API server maintains itself (labelled
    /// `kubernetes.io/bootstrapping: rbac-defaults`, such as `cluster-admin`) and aggregated
    /// ClusterRoles whose rules are filled in by the aggregation controller are not judged
    /// here; who is bound to them is what matters (see RBAC-002).
    ///
    /// ## Why it matters
    /// A wildcard grants more than anyone reviewed: every verb includes `escalate`, `bind`,
    /// `impersonate` and `delete`; every resource includes Secrets and subresources such as
    /// `pods/exec`; every API group includes the custom resources that operators install
    /// later. The grant also grows silently as the cluster gains new APIs.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Role
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["*"]
    ///     verbs: ["*"]
    /// ```
    /// Fixed:
    /// ```yaml
    /// rules:
    ///   - apiGroups: ["apps"]
    ///     resources: ["deployments"]
    ///     verbs: ["get", "list", "watch", "patch"]
    /// ```
    ///
    /// ## How to fix
    /// Replace each wildcard with the explicit verbs, resources and API groups the subject
    /// uses. `kubectl auth can-i --list --as=<subject>` and the API server's audit log show
    /// what is actually exercised.
    ///
    /// Only you know the lists, so the machine fix needs them from the config (`fix.rbac` in
    /// `.palisade.yaml`, keyed `ClusterRole/<name>`, `Role/<namespace>/<name>` or
    /// `Role/<name>`):
    /// ```yaml
    /// fix:
    ///   rbac:
    ///     roles:
    ///       Role/shop/app-manager:
    ///         verbs: [get, list, watch, patch]
    ///         resources: [deployments, services]
    ///         apiGroups: [apps]
    /// ```
    /// With a role's lists given, `palisade fix --unsafe-fixes` removes the wildcard items
    /// (`*`, and `*/<subresource>` among resources) of each rule and adds the configured
    /// items the list lacks, in every rule of the role. A rule with a wildcard in a list the
    /// config does not give stays listed as needing input. The fix is unsafe: a subject that
    /// used something outside the lists loses it.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.3 (minimize wildcard use in Roles and ClusterRoles)
    /// - Kubernetes documentation, RBAC good practices: least privilege
    /// - MITRE ATT&CK T1078 (Valid Accounts)
    pub struct WildcardInRules {
        id: "RBAC-001",
        title: "Wildcard in role rules",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0187"), trivy("KSV-0044"), trivy("KSV-0045"), trivy("KSV-0046"), trivy("KSV-0112"), checkov("CKV_K8S_49"), kube_linter("wildcard-in-rules")],
        remediation: "Replace `*` in the rule's verbs, resources and apiGroups with the explicit items the subject needs.",
        fix: FixAvailability::NeedsInput,
    }
}

/// `every verb`, `get, list`, `every resource`, … for one list of a rule.
fn spell<'a>(items: impl Iterator<Item = (usize, &'a str)>, every: &str) -> String {
    let items: Vec<&str> = items.map(|(_, s)| s).collect();
    if items.contains(&"*") {
        every.to_string()
    } else {
        items.join(", ")
    }
}

fn describe(rule: &PolicyRule<'_>, wild: &[&str]) -> String {
    let verbs = spell(rule.verbs(), "every verb");
    let target = if rule.resources().next().is_none() {
        format!(
            "non-resource URLs {}",
            rule.non_resource_urls()
                .map(|(_, u)| u)
                .collect::<Vec<_>>()
                .join(", ")
        )
    } else {
        let resources = spell(rule.resources(), "every resource");
        let groups: Vec<&str> = rule
            .api_groups()
            .map(|(_, g)| if g.is_empty() { "core" } else { g })
            .collect();
        if groups.contains(&"*") {
            format!("{resources} of every API group")
        } else {
            format!("{resources} of API group {}", groups.join(", "))
        }
    };
    format!("uses `*` in {}: grants {verbs} on {target}", join_and(wild))
}

impl Check for WildcardInRules {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(rules) = judged_rules(resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let configured = cx.settings.fix_rbac.for_role(
            resource.kind(),
            resource.id.namespace.as_deref(),
            &resource.id.name,
        );
        let mut violations = Vec::new();
        for rule in &rules {
            let wild = rule.wildcard_lists();
            if let Some(first) = wild.first() {
                let violation = Violation::new(rule.path().key(first), describe(rule, &wild));
                violations.push(
                    match configured.and_then(|values| rule.wildcard_replacement(values)) {
                        Some(fix) => violation.with_fix(fix),
                        None => violation,
                    },
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::InventoryIndex;

    use crate::settings::{RuleValues, Settings};

    const ROLE: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: app-manager, namespace: shop }
rules:
  - apiGroups: [apps]
    resources: ['*', '*/scale', deployments]
    verbs: ['*']
  - apiGroups: ['*']
    resources: [pods]
    verbs: [get]
";

    /// The fixes RBAC-001 attaches to the role's findings with `values` configured under `key`.
    fn fixes(key: &str, values: RuleValues) -> Vec<Option<String>> {
        let inventory = crate::fixture_tests::load(ROLE);
        let index = InventoryIndex::new(&inventory);
        let mut settings = Settings::default();
        settings.fix_rbac.roles.insert(key.into(), values);
        let cx = Context {
            settings: &settings,
            inventory: &inventory,
            index: &index,
        };
        let Ok(Verdict::Checked(violations)) = WildcardInRules.check(&cx, &inventory.resources[0])
        else {
            panic!("the role is judged");
        };
        violations
            .into_iter()
            .map(|v| v.fix.map(|f| serde_json::to_string(&f.ops).unwrap()))
            .collect()
    }

    fn lists(verbs: &[&str], resources: &[&str], api_groups: &[&str]) -> RuleValues {
        let owned = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        RuleValues {
            verbs: owned(verbs),
            resources: owned(resources),
            api_groups: owned(api_groups),
        }
    }

    #[test]
    fn configured_lists_replace_the_wildcards_of_every_rule() {
        let found = fixes(
            "Role/shop/app-manager",
            lists(&["get", "patch"], &["deployments", "services"], &["apps"]),
        );
        assert_eq!(
            found[0].as_deref(),
            Some(concat!(
                r#"[{"op":"append","path":"rules[0].verbs","value":"get"},"#,
                r#"{"op":"append","path":"rules[0].verbs","value":"patch"},"#,
                r#"{"op":"append","path":"rules[0].resources","value":"services"},"#,
                r#"{"op":"remove","path":"rules[0].verbs[0]"},"#,
                r#"{"op":"remove","path":"rules[0].resources[1]"},"#,
                r#"{"op":"remove","path":"rules[0].resources[0]"}]"#
            ))
        );
        assert_eq!(
            found[1].as_deref(),
            Some(concat!(
                r#"[{"op":"append","path":"rules[1].apiGroups","value":"apps"},"#,
                r#"{"op":"remove","path":"rules[1].apiGroups[0]"}]"#
            ))
        );
    }

    #[test]
    fn a_wildcard_without_a_configured_list_keeps_the_finding_unfixed() {
        // No apiGroups configured: the second rule keeps its `*` and gets no fix; the first
        // has none in apiGroups and is fixed.
        let found = fixes("Role/app-manager", lists(&["get"], &["deployments"], &[]));
        assert!(found[0].is_some());
        assert_eq!(found[1], None);
        // Another role's lists do not apply.
        let found = fixes(
            "ClusterRole/app-manager",
            lists(&["get"], &["pods"], &["apps"]),
        );
        assert_eq!(found, [None, None]);
    }
}
