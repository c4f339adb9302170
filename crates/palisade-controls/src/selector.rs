//! Label selectors as the API server evaluates them: the `matchLabels`/`matchExpressions`
//! objects of NetworkPolicies, aggregated ClusterRoles and webhooks, and the plain label maps
//! of Services. Shared by every check that relates objects through labels.

use palisade_core::{Node, TypeError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Requirement<'a> {
    key: &'a str,
    operator: Operator,
    values: Vec<&'a str>,
}

/// A parsed selector; every requirement must hold (they are ANDed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelSelector<'a> {
    requirements: Vec<Requirement<'a>>,
}

/// The labels of an object (`metadata.labels`, or a pod template's), looked up by key.
#[derive(Clone, Copy, Debug, Default)]
pub struct Labels<'a>(Option<&'a Node>);

impl<'a> Labels<'a> {
    /// The labels under `metadata` (an object's or a pod template's metadata node).
    pub fn of_metadata(metadata: Option<&'a Node>) -> Self {
        Labels(metadata.and_then(|m| m.get("labels")))
    }

    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.0?.get(key)?.as_str()
    }

    /// Every label as a key/value pair; labels whose value is not a string are skipped.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| Some((e.key.as_str(), e.value.as_str()?)))
    }
}

impl<'a> LabelSelector<'a> {
    /// Reads a `LabelSelector` object. An absent or empty selector selects everything, as the
    /// API defines it for NetworkPolicy `podSelector` and webhook selectors.
    pub fn parse(selector: Option<&'a Node>) -> Result<Self, TypeError> {
        let Some(selector) = selector.filter(|s| !s.is_null()) else {
            return Ok(LabelSelector::default());
        };
        let selector = selector.expect_map("selector")?;
        let mut parsed = match selector.map_field("matchLabels")? {
            Some(labels) => LabelSelector::from_map(labels)?,
            None => LabelSelector::default(),
        };
        for expression in selector.seq_field("matchExpressions")? {
            let expression = expression.expect_map("matchExpressions[]")?;
            let key = expression
                .str_field("key")?
                .ok_or_else(|| missing(expression, "key"))?;
            let operator = match expression.str_field("operator")? {
                Some("In") => Operator::In,
                Some("NotIn") => Operator::NotIn,
                Some("Exists") => Operator::Exists,
                Some("DoesNotExist") => Operator::DoesNotExist,
                _ => {
                    return Err(TypeError {
                        field: "operator".into(),
                        expected: "In, NotIn, Exists or DoesNotExist",
                        found: expression
                            .get("operator")
                            .map_or_else(|| "nothing".into(), Node::describe),
                        span: expression.span,
                    });
                }
            };
            let values = expression
                .seq_field("values")?
                .iter()
                .map(|v| v.expect_str("values[]"))
                .collect::<Result<Vec<_>, _>>()?;
            parsed.requirements.push(Requirement {
                key,
                operator,
                values,
            });
        }
        Ok(parsed)
    }

    /// Reads a plain label map (a Service's `spec.selector`, `matchLabels`): every label must
    /// be present with that value.
    pub fn from_map(labels: &'a Node) -> Result<Self, TypeError> {
        let entries = labels.expect_map("selector")?.as_map().unwrap_or_default();
        let requirements = entries
            .iter()
            .map(|e| {
                Ok(Requirement {
                    key: e.key.as_str(),
                    operator: Operator::In,
                    values: vec![e.value.expect_str(e.key.as_str())?],
                })
            })
            .collect::<Result<_, TypeError>>()?;
        Ok(LabelSelector { requirements })
    }

    /// Whether the selector has no requirement, so selects every object.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// A label key and the values of which a matching object must carry one, when the
    /// selector requires such a label (every `matchLabels` entry does): a caller that keeps
    /// objects by label can test just those objects rather than all of them.
    pub fn required_label(&self) -> Option<(&'a str, &[&'a str])> {
        self.requirements
            .iter()
            .find(|r| r.operator == Operator::In)
            .map(|r| (r.key, r.values.as_slice()))
    }

    pub fn matches(&self, labels: Labels<'_>) -> bool {
        self.requirements.iter().all(|r| {
            let value = labels.get(r.key);
            match r.operator {
                Operator::In => value.is_some_and(|v| r.values.contains(&v)),
                // As in the API server: an object without the key satisfies NotIn.
                Operator::NotIn => value.is_none_or(|v| !r.values.contains(&v)),
                Operator::Exists => value.is_some(),
                Operator::DoesNotExist => value.is_none(),
            }
        })
    }
}

fn missing(node: &Node, field: &str) -> TypeError {
    TypeError {
        field: field.into(),
        expected: "a string",
        found: "nothing".into(),
        span: node.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(json: serde_json::Value) -> Node {
        Node::from_json(&json)
    }

    fn labels(json: serde_json::Value) -> Node {
        node(serde_json::json!({ "labels": json }))
    }

    #[test]
    fn empty_or_absent_selector_selects_everything() {
        let metadata = labels(serde_json::json!({"app": "web"}));
        assert!(LabelSelector::parse(None).unwrap().is_empty());
        let empty = node(serde_json::json!({}));
        let selector = LabelSelector::parse(Some(&empty)).unwrap();
        assert!(selector.matches(Labels::of_metadata(Some(&metadata))));
        assert!(selector.matches(Labels::default()));
    }

    #[test]
    fn match_labels_and_expressions_are_anded() {
        let selector = node(serde_json::json!({
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "env", "operator": "NotIn", "values": ["dev"]},
            ]
        }));
        let selector = LabelSelector::parse(Some(&selector)).unwrap();
        let matching = labels(serde_json::json!({"app": "web", "tier": "edge"}));
        assert!(selector.matches(Labels::of_metadata(Some(&matching))));
        assert_eq!(selector.required_label(), Some(("app", &["web"][..])));
        for bad in [
            serde_json::json!({"app": "api", "tier": "edge"}),
            serde_json::json!({"app": "web", "tier": "back"}),
            serde_json::json!({"app": "web", "tier": "edge", "canary": "1"}),
            serde_json::json!({"app": "web", "tier": "edge", "env": "dev"}),
        ] {
            let metadata = labels(bad.clone());
            assert!(
                !selector.matches(Labels::of_metadata(Some(&metadata))),
                "{bad}"
            );
        }
    }

    #[test]
    fn malformed_selectors_are_type_errors_not_matches() {
        for bad in [
            serde_json::json!({"matchExpressions": [{"key": "a", "operator": "Near"}]}),
            serde_json::json!({"matchExpressions": [{"operator": "Exists"}]}),
            serde_json::json!({"matchLabels": ["a"]}),
            serde_json::json!("app=web"),
        ] {
            assert!(
                LabelSelector::parse(Some(&node(bad.clone()))).is_err(),
                "{bad}"
            );
        }
    }
}
