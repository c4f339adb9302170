use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::policy::{Direction, Policy, Reach, describe_selector, is_policy};
use crate::control::{Check, Context, Skip, Verdict};

declare_control! {
    /// ## What it checks
    /// Every NetworkPolicy (`networking.k8s.io`) rule that lets every peer of a kind through on
    /// every port, in a direction the policy governs (`policyTypes`, or its default: ingress
    /// always, egress when the policy has egress rules). A rule does that when it names no
    /// `ports` and:
    /// - has no `from` (ingress) or `to` (egress), or an empty list: the API defines that as
    ///   every source or destination, in the cluster or outside it (`ingress: [{}]`,
    ///   `egress: [{}]`);
    /// - or has a peer with `namespaceSelector: {}` and no (or an empty) `podSelector`: every
    ///   pod of every namespace;
    /// - or has a peer whose `ipBlock` has a prefix length of 0 (`0.0.0.0/0`, `::/0`) and no
    ///   `except` list: every address. How pod-to-pod traffic matches an `ipBlock` depends on
    ///   the network plugin, but every address outside the cluster does.
    ///
    /// Each such rule or peer is one finding, and the message says which pods the policy
    /// selects. Not reported, because they are deliberate and bounded:
    /// - a rule that lists `ports`: publishing a web server's port to everyone is what an
    ///   ingress rule for a public service looks like, and `egress` to any address on port
    ///   443 is a common, limited allowance;
    /// - an `ipBlock` of `0.0.0.0/0` with `except` entries (the internet but not the private
    ///   ranges or the cloud metadata address);
    /// - a peer with only a `podSelector` (pods of the policy's own namespace), or with a
    ///   `podSelector` that names labels in every namespace.
    ///
    /// Rules in a direction the policy does not govern have no effect and are not judged. A
    /// peer with no selector and no `ipBlock` (`from: [{}]`) is rejected by the API server
    /// ("must specify a peer") and makes the policy not evaluated.
    ///
    /// ## Why it matters
    /// NetworkPolicies add up: a connection is allowed when any policy that selects the pod
    /// allows it. One allow-everything rule therefore cancels every other policy for the pods
    /// it selects, the namespace's default-deny included, while the policy list still looks
    /// like isolation to anyone reviewing it. Charts often ship `egress: [{}]` to be safe to
    /// install, which leaves those pods free to reach the internet and every other workload.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: grafana
    ///   policyTypes: [Ingress, Egress]
    ///   egress:
    ///     - {}
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: NetworkPolicy
    /// spec:
    ///   podSelector:
    ///     matchLabels:
    ///       app: grafana
    ///   policyTypes: [Ingress, Egress]
    ///   egress:
    ///     - to:
    ///         - podSelector:
    ///             matchLabels:
    ///               app: prometheus
    ///       ports:
    ///         - port: 9090
    /// ```
    ///
    /// ## How to fix
    /// Replace the rule with the peers and ports the pods actually need, for example the pods
    /// of one namespace (`namespaceSelector` with that namespace's `kubernetes.io/metadata.name`
    /// label), or external ranges with `except` entries for private ranges and the cloud
    /// metadata address. Which peers are needed only you know, so Palisade offers no automatic
    /// fix.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening, network policies
    /// - MITRE ATT&CK T1210 (Exploitation of Remote Services), T1048 (Exfiltration Over
    ///   Alternative Protocol)
    /// - Kubernetes documentation: Network Policies (behavior of to and from selectors; allow
    ///   all ingress and egress traffic)
    pub struct AllowAllRule {
        id: "NET-008",
        title: "NetworkPolicy rule allows all traffic",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[],
        remediation: "Limit the rule to the peers (pod and namespace selectors, address ranges with exceptions) and ports the selected pods need.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for AllowAllRule {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !is_policy(resource) {
            return Ok(Verdict::NotApplicable);
        }
        let policy = Policy::new(resource)?;
        let selector = policy.pod_selector()?;
        let selected = if selector.is_empty() {
            "every pod of the namespace".to_string()
        } else {
            let node = resource.root.at(&["spec", "podSelector"]);
            format!("the pods matching {}", describe_selector(node))
        };
        let mut violations = Vec::new();
        for direction in Direction::BOTH {
            for open in policy.open_reaches(direction)? {
                let what = match open.reach {
                    Reach::Anything => {
                        format!("has no `{}` and no `ports`", direction.peers_field())
                    }
                    _ => "names no `ports`".to_string(),
                };
                let peers = open.peers(direction);
                let lets = match direction {
                    Direction::Ingress => format!("{peers} connect to {selected}"),
                    Direction::Egress => format!("{selected} connect to {peers}"),
                };
                violations.push(Violation::new(
                    open.path.clone(),
                    format!(
                        "{} rule {} {what}: it lets {lets} on every port",
                        direction.field(),
                        open.rule,
                    ),
                ));
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
