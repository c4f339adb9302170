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
    /// what is actually exercised. No machine fix is offered: only you know the list.
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
        fix: FixAvailability::None,
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
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(rules) = judged_rules(resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for rule in &rules {
            let wild = rule.wildcard_lists();
            if let Some(first) = wild.first() {
                violations.push(Violation::new(
                    rule.path().key(first),
                    describe(rule, &wild),
                ));
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
