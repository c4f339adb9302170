use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::isolation::policies_elsewhere;
use super::policy::{Direction, GROUP, KIND, Policy};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::ns::SYSTEM_NAMESPACES;

declare_control! {
    /// ## What it checks
    /// Every `Namespace` (core `v1`), for a **default-deny** NetworkPolicy in each direction.
    /// A namespace has one for ingress (egress) when some `networking.k8s.io` NetworkPolicy in
    /// it:
    /// - selects every pod of the namespace (`podSelector: {}`),
    /// - governs that direction (`policyTypes` lists it; without `policyTypes`, every policy
    ///   governs ingress and only a policy with egress rules governs egress), and
    /// - has no rule that lets every peer through on every port (see NET-008).
    ///
    /// The classic default-deny policy has no rules at all. A namespace-wide policy whose rules
    /// allow something specific (DNS egress, traffic from the same namespace, the ingress
    /// controller) counts too: every pod is isolated, and the rules are the namespace's
    /// baseline allowance. One finding per namespace names the directions that lack a default
    /// deny, and a namespace-wide policy that would have been one but for an allow-everything
    /// rule.
    ///
    /// Not judged: `kube-system`, whose network, DNS and storage components usually need
    /// policies of their own written by the platform's vendor, and `kube-public` and
    /// `kube-node-lease`, which hold no pods. In a scan of manifests, a namespace none of whose
    /// NetworkPolicies is in the scan is **not evaluated**: its policies may be applied
    /// separately. A cluster scan judges every namespace, and so does a scan of files with
    /// `--complete-inventory`.
    ///
    /// ## Why it matters
    /// NetworkPolicies only isolate the pods they select; every other pod keeps accepting and
    /// opening any connection. Per-workload policies are easy to forget for the next workload
    /// someone adds, and for the debug pod someone starts. A default-deny policy makes
    /// isolation the namespace's starting point: a new pod can talk to nothing until a policy
    /// allows it, so a forgotten policy fails closed, visibly, rather than open, silently.
    ///
    /// ## Example
    /// Failing (a namespace whose only policy selects one workload):
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: orders
    ///   namespace: shop
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: orders
    /// ```
    /// Fixed (added beside it):
    /// ```yaml
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: default-deny
    ///   namespace: shop
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Ingress, Egress]
    /// ```
    ///
    /// ## How to fix
    /// Add the policy above to every namespace, then allow what each workload needs with
    /// policies of its own (NET-005, NET-006); remember DNS egress. Apply it to a namespace
    /// whose workloads already have their allow policies, or traffic they rely on stops.
    /// Palisade offers no automatic fix: the fix is a new object.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.3.2 (all namespaces have NetworkPolicies defined)
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening, network
    ///   policies (a default policy that denies all ingress and egress)
    /// - MITRE ATT&CK T1210 (Exploitation of Remote Services), T1048 (Exfiltration Over
    ///   Alternative Protocol)
    /// - Kubernetes documentation: Network Policies, default policies
    pub struct NamespaceDefaultDeny {
        id: "NET-007",
        title: "Namespace without a default-deny NetworkPolicy",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[],
        remediation: "Add a NetworkPolicy with podSelector: {}, policyTypes [Ingress, Egress] and no rules to the namespace, then allow each workload's traffic explicitly.",
        fix: FixAvailability::None,
    }
}

impl Check for NamespaceDefaultDeny {
    /// The policies of the namespace the judged Namespace names (a Namespace counts as part of
    /// the namespace it names).
    const READS: &'static [Reads] = &[Reads::namespace(GROUP, KIND)];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "Namespace" || !resource.id.group().is_empty() {
            return Ok(Verdict::NotApplicable);
        }
        let name = resource.id.name.as_str();
        if SYSTEM_NAMESPACES.contains(&name) {
            return Ok(Verdict::pass());
        }
        let mut policies = 0;
        let mut denies = [false, false];
        // A namespace-wide policy that governs a direction but lets everything through.
        let mut open: [Option<&str>; 2] = [None, None];
        let mut problem = None;
        for other in cx.index.of_kind_in(GROUP, KIND, Some(name)) {
            policies += 1;
            let verdicts = Policy::new(other).and_then(|policy| {
                if !policy.pod_selector()?.is_empty() {
                    return Ok(None);
                }
                let mut out = [None, None];
                for (i, direction) in Direction::BOTH.into_iter().enumerate() {
                    if policy.governs(direction)? {
                        out[i] = Some(policy.open_reaches(direction)?.is_empty());
                    }
                }
                Ok(Some(out))
            });
            match verdicts {
                Ok(None) => {}
                Ok(Some(out)) => {
                    for i in 0..2 {
                        match out[i] {
                            Some(true) => denies[i] = true,
                            Some(false) => {
                                open[i].get_or_insert(other.id.name.as_str());
                            }
                            None => {}
                        }
                    }
                }
                Err(err) => {
                    problem.get_or_insert_with(|| Skip::in_other(other, err));
                }
            }
        }
        if denies == [true, true] {
            return Ok(Verdict::pass());
        }
        if let Some(problem) = problem {
            return Err(problem);
        }
        if policies == 0 && !cx.settings.inventory_complete {
            return Err(policies_elsewhere(&format!("namespace `{name}`")));
        }
        let missing: Vec<&str> = Direction::BOTH
            .into_iter()
            .zip(denies)
            .filter(|(_, deny)| !deny)
            .map(|(direction, _)| direction.field())
            .collect();
        let mut message = format!(
            "Namespace `{name}` has no default-deny NetworkPolicy for {} (podSelector: {{}}, governing {}, with no rule that lets everything through), so pods that no other policy selects {}",
            missing.join(" or "),
            missing.join(" and "),
            match missing.as_slice() {
                ["ingress"] => "accept connections from anywhere",
                ["egress"] => "can connect anywhere",
                _ => "accept and open connections freely",
            }
        );
        if policies == 0 {
            message.push_str("; the namespace has no NetworkPolicy at all");
        }
        for (i, direction) in Direction::BOTH.into_iter().enumerate() {
            if let (false, Some(policy)) = (denies[i], open[i]) {
                message.push_str(&format!(
                    "; NetworkPolicy `{policy}` selects every pod for {} but has a rule that lets everything through (NET-008)",
                    direction.field()
                ));
            }
        }
        Ok(Verdict::Checked(vec![Violation::new(
            ObjectPath::root().keys(&["metadata", "name"]),
            message,
        )]))
    }
}
