//! NetworkPolicy semantics shared by the isolation controls (NET-005 to NET-008): which pods a
//! policy selects, which directions it governs, and which of its rules let everything through.
//!
//! Only `networking.k8s.io` NetworkPolicies are understood. The `extensions/v1beta1` version
//! was removed in Kubernetes 1.16 (API-001 reports it), and network plugins' own policy kinds
//! (Cilium, Calico, Antrea) have semantics of their own.

use palisade_core::{Node, ObjectPath, Resource, TypeError};

use crate::selector::LabelSelector;

pub(crate) const GROUP: &str = "networking.k8s.io";
pub(crate) const KIND: &str = "NetworkPolicy";

/// A direction of traffic, as seen from the selected pods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    /// The `policyTypes` entry.
    pub fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The list of rules in the spec, and the word used in messages.
    pub fn field(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }

    /// The list of peers in a rule.
    pub fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }
}

pub(crate) fn is_policy(resource: &Resource) -> bool {
    resource.kind() == KIND && resource.id.group() == GROUP
}

/// One NetworkPolicy. Fields are read on demand, so a malformed field only matters to the
/// questions that need it.
pub(crate) struct Policy<'a> {
    spec: Option<&'a Node>,
}

impl<'a> Policy<'a> {
    pub fn new(resource: &'a Resource) -> Result<Self, TypeError> {
        Ok(Policy {
            spec: resource.root.map_field("spec")?,
        })
    }

    /// `spec.podSelector`; absent or empty selects every pod of the namespace.
    pub fn pod_selector(&self) -> Result<LabelSelector<'a>, TypeError> {
        match self.spec {
            Some(spec) => LabelSelector::parse(spec.get("podSelector")),
            None => Ok(LabelSelector::default()),
        }
    }

    /// Whether the policy governs `direction` for the pods it selects. With `policyTypes`
    /// set, it governs the directions listed. Without, the API server defaults it: every
    /// policy governs ingress, and egress only when it has at least one egress rule.
    pub fn governs(&self, direction: Direction) -> Result<bool, TypeError> {
        let Some(spec) = self.spec else {
            return Ok(direction == Direction::Ingress);
        };
        let types = spec.seq_field("policyTypes")?;
        if types.is_empty() {
            return Ok(match direction {
                Direction::Ingress => true,
                Direction::Egress => !spec.seq_field("egress")?.is_empty(),
            });
        }
        let mut governs = false;
        for entry in types {
            match entry.expect_str("policyTypes")? {
                "Ingress" | "Egress" => {
                    governs |= entry.as_str() == Some(direction.policy_type());
                }
                _ => {
                    return Err(TypeError {
                        field: "policyTypes".into(),
                        expected: "Ingress or Egress (the API server rejects other values)",
                        found: entry.describe(),
                        span: entry.span,
                    });
                }
            }
        }
        Ok(governs)
    }

    /// The rules of `direction`, with the path of their list.
    pub fn rules(&self, direction: Direction) -> Result<(&'a [Node], ObjectPath), TypeError> {
        let path = ObjectPath::root().keys(&["spec", direction.field()]);
        match self.spec {
            Some(spec) => Ok((spec.seq_field(direction.field())?, path)),
            None => Ok((&[], path)),
        }
    }

    /// Every way the policy's `direction` rules let any peer through on any port (see
    /// [`open_reaches`]). Empty when the policy does not govern `direction`.
    pub fn open_reaches(&self, direction: Direction) -> Result<Vec<OpenReach>, TypeError> {
        if !self.governs(direction)? {
            return Ok(Vec::new());
        }
        let (rules, path) = self.rules(direction)?;
        let mut out = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            out.extend(open_reaches(rule, direction, &path.index(i), i)?);
        }
        Ok(out)
    }
}

/// Which peers a rule lets through when it lets through everything of a kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Reach {
    /// No peers listed: every source or destination, inside or outside the cluster.
    Anything,
    /// `namespaceSelector: {}` with no (or an empty) `podSelector`: every pod of the cluster.
    EveryPod,
    /// An `ipBlock` with a prefix length of 0 and no exceptions: every address.
    EveryAddress(String),
}

/// One way a rule opens the selected pods, with the path of the rule or peer responsible.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OpenReach {
    pub path: ObjectPath,
    /// Which rule, counted from 0.
    pub rule: usize,
    pub reach: Reach,
}

impl OpenReach {
    /// The peers the rule lets through: `any source, inside or outside the cluster`, `every
    /// pod in every namespace (namespaceSelector: {})`.
    pub fn peers(&self, direction: Direction) -> String {
        match (&self.reach, direction) {
            (Reach::Anything, Direction::Ingress) => {
                "any source, inside or outside the cluster,".to_string()
            }
            (Reach::Anything, Direction::Egress) => {
                "any destination, inside or outside the cluster,".to_string()
            }
            (Reach::EveryPod, _) => {
                "every pod in every namespace (namespaceSelector: {})".to_string()
            }
            (Reach::EveryAddress(cidr), _) => {
                format!("every IP address (ipBlock {cidr} with no except)")
            }
        }
    }
}

/// The ways rule number `rule_index` of `direction` (at `path`, e.g. `spec.ingress[0]`) lets
/// every peer of a kind through on every port:
/// - no `from`/`to`, or an empty list: the API defines that as every peer;
/// - a peer with `namespaceSelector: {}` and no or an empty `podSelector`: every pod of every
///   namespace;
/// - a peer with an `ipBlock` whose prefix length is 0 (`0.0.0.0/0`, `::/0`) and no `except`.
///
/// A rule that lists `ports` only opens those ports, and is not counted: publishing one port
/// to everyone is how a web server works. A peer with only a `podSelector` stays in the
/// policy's namespace. An empty peer (`{}`) is an error: the API server rejects it ("must
/// specify a peer"), so it allows nothing, and the policy it is in is never created.
pub(crate) fn open_reaches(
    rule: &Node,
    direction: Direction,
    path: &ObjectPath,
    rule_index: usize,
) -> Result<Vec<OpenReach>, TypeError> {
    let rule = rule.expect_map(direction.field())?;
    if !rule.seq_field("ports")?.is_empty() {
        return Ok(Vec::new());
    }
    let peers = rule.seq_field(direction.peers_field())?;
    if peers.is_empty() {
        return Ok(vec![OpenReach {
            path: path.clone(),
            rule: rule_index,
            reach: Reach::Anything,
        }]);
    }
    let mut out = Vec::new();
    for (j, peer) in peers.iter().enumerate() {
        let peer = peer.expect_map(direction.peers_field())?;
        let peer_path = path.key(direction.peers_field()).index(j);
        let pods = peer.get_present("podSelector");
        let namespaces = peer.get_present("namespaceSelector");
        let block = peer.map_field("ipBlock")?;
        if pods.is_none() && namespaces.is_none() && block.is_none() {
            return Err(TypeError {
                field: format!("{}[{j}]", direction.peers_field()),
                expected: "a podSelector, namespaceSelector or ipBlock (the API server rejects an empty peer)",
                found: "an empty peer".into(),
                span: peer.span,
            });
        }
        let reach = if let Some(block) = block {
            let cidr = block.str_field("cidr")?.unwrap_or_default();
            let any = cidr
                .trim()
                .split_once('/')
                .is_some_and(|(_, prefix)| prefix.trim() == "0");
            (any && block.seq_field("except")?.is_empty())
                .then(|| Reach::EveryAddress(cidr.trim().to_string()))
        } else if let Some(namespaces) = namespaces {
            let everywhere = LabelSelector::parse(Some(namespaces))?.is_empty()
                && LabelSelector::parse(pods)?.is_empty();
            everywhere.then_some(Reach::EveryPod)
        } else {
            LabelSelector::parse(pods)?;
            None
        };
        if let Some(reach) = reach {
            out.push(OpenReach {
                path: peer_path,
                rule: rule_index,
                reach,
            });
        }
    }
    Ok(out)
}

/// A selector as `kubectl` writes one (`app=web,tier in (a,b),!canary`), for messages; `{}`
/// (everything) when it is absent or empty. Malformed parts are left out: the checks read
/// selectors through [`LabelSelector::parse`], which reports them.
pub(crate) fn describe_selector(selector: Option<&Node>) -> String {
    let mut parts = Vec::new();
    let Some(selector) = selector else {
        return "{}".to_string();
    };
    if let Some(labels) = selector.get("matchLabels").and_then(Node::as_map) {
        for entry in labels {
            if let Some(value) = entry.value.as_str() {
                parts.push(format!("{}={value}", entry.key));
            }
        }
    }
    if let Some(expressions) = selector.get("matchExpressions").and_then(Node::as_seq) {
        for expression in expressions {
            let key = expression.get("key").and_then(Node::as_str).unwrap_or("?");
            let values: Vec<&str> = expression
                .get("values")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let values = values.join(",");
            match expression.get("operator").and_then(Node::as_str) {
                Some("In") => parts.push(format!("{key} in ({values})")),
                Some("NotIn") => parts.push(format!("{key} notin ({values})")),
                Some("Exists") => parts.push(key.to_string()),
                Some("DoesNotExist") => parts.push(format!("!{key}")),
                _ => {}
            }
        }
    }
    if parts.is_empty() {
        "{}".to_string()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: serde_json::Value) -> Node {
        Node::from_json(&json)
    }

    fn reaches(rule: serde_json::Value, direction: Direction) -> Vec<Reach> {
        open_reaches(&node(rule), direction, &ObjectPath::root().index(0), 0)
            .unwrap()
            .into_iter()
            .map(|r| r.reach)
            .collect()
    }

    #[test]
    fn open_rules_are_those_that_admit_every_peer_on_every_port() {
        use serde_json::json;
        assert_eq!(reaches(json!({}), Direction::Egress), [Reach::Anything]);
        assert_eq!(
            reaches(json!({"from": []}), Direction::Ingress),
            [Reach::Anything]
        );
        assert_eq!(
            reaches(
                json!({"from": [{"namespaceSelector": {}}]}),
                Direction::Ingress
            ),
            [Reach::EveryPod]
        );
        assert_eq!(
            reaches(
                json!({"to": [{"namespaceSelector": {"matchLabels": {}}, "podSelector": {}}]}),
                Direction::Egress
            ),
            [Reach::EveryPod]
        );
        assert_eq!(
            reaches(
                json!({"to": [{"ipBlock": {"cidr": "::/0"}}]}),
                Direction::Egress
            ),
            [Reach::EveryAddress("::/0".into())]
        );
        for closed in [
            json!({"ports": [{"port": 443}]}),
            json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8"]}}]}),
            json!({"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}),
            json!({"to": [{"podSelector": {}}]}),
            json!({"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "dns"}}}]}),
            json!({"to": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}]}),
        ] {
            assert!(
                reaches(closed.clone(), Direction::Egress).is_empty(),
                "{closed}"
            );
        }
    }

    #[test]
    fn an_empty_peer_is_an_error() {
        let rule = node(serde_json::json!({"from": [{}]}));
        assert!(open_reaches(&rule, Direction::Ingress, &ObjectPath::root(), 0).is_err());
    }

    #[test]
    fn selectors_read_like_kubectl() {
        let selector = node(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"},
            ]
        }));
        assert_eq!(
            describe_selector(Some(&selector)),
            "app=web,tier in (a,b),!canary"
        );
        assert_eq!(describe_selector(None), "{}");
    }
}
