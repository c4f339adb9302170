//! A YAML/JSON document tree that remembers where each node came from.

use std::fmt;

/// Strings in documents: keys and values are mostly short, and a compact string keeps up to 24
/// bytes inline instead of allocating, which is most of a large scan's memory.
pub type Text = compact_str::CompactString;

/// Where a node starts in its source text, and where it ends when that is on the same line.
/// Lines and columns are 1-based; a zero line means the node has no source position (it came
/// from a cluster, or was built in memory).
///
/// Every node of every document carries one, so it is kept to eight bytes: columns past
/// 65,535 (only in minified one-line JSON) are clamped, and the end of a node that spans
/// several lines (a mapping, a block scalar) is not kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub line: u32,
    pub col: u16,
    /// The column just past the node, or 0 when the node ends on a later line.
    pub end_col: u16,
}

impl Span {
    /// A span from 1-based start and end positions.
    pub fn new(line: u32, col: u32, end_line: u32, end_col: u32) -> Self {
        let clamp = |c: u32| u16::try_from(c).unwrap_or(u16::MAX);
        Span {
            line,
            col: clamp(col),
            end_col: if end_line == line { clamp(end_col) } else { 0 },
        }
    }

    pub fn is_known(&self) -> bool {
        self.line > 0
    }

    /// Whether the node's end is known (it ends on its first line).
    pub fn ends_on_first_line(&self) -> bool {
        self.end_col > self.col
    }
}

/// One value of a document together with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

/// A mapping entry. Keys are kept as strings, as Kubernetes objects only use string keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub key: Text,
    pub key_span: Span,
    pub value: Node,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Text),
    /// Lists and mappings are boxed slices, not vectors: without a capacity word the whole
    /// value fits beside a string's inline bytes, a quarter off every node of an inventory.
    Seq(Box<[Node]>),
    /// Entries keep their source order; lookups are linear because Kubernetes maps are small.
    Map(Box<[Entry]>),
}

// An inventory holds millions of nodes: keep each at a string's size plus its span.
const _: () = assert!(std::mem::size_of::<Value>() == 24);
const _: () = assert!(std::mem::size_of::<Entry>() == 64);

/// A field held a value of the wrong type, e.g. `privileged: "yes"`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeError {
    pub field: String,
    pub expected: &'static str,
    pub found: String,
    pub span: Span,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "field `{}` must be {}, found {}",
            self.field, self.expected, self.found
        )
    }
}

impl std::error::Error for TypeError {}

impl Node {
    pub fn new(value: Value) -> Self {
        Node {
            value,
            span: Span::default(),
        }
    }

    /// Builds a tree without positions from JSON (objects read from a cluster, config values).
    pub fn from_json(json: &serde_json::Value) -> Self {
        let value = match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Str(s.as_str().into()),
            serde_json::Value::Array(items) => {
                Value::Seq(items.iter().map(Node::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| Entry {
                        key: k.as_str().into(),
                        key_span: Span::default(),
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        };
        Node::new(value)
    }

    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            Value::Str(s) => s.as_str().into(),
            Value::Seq(items) => items.iter().map(Node::to_json).collect(),
            Value::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|e| (e.key.to_string(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// A short, human name for the type and value, used in messages.
    pub fn describe(&self) -> String {
        match &self.value {
            Value::Null => "null".into(),
            Value::Bool(b) => format!("boolean {b}"),
            Value::Int(i) => format!("integer {i}"),
            Value::Float(x) => format!("number {x}"),
            Value::Str(s) => {
                let shown: String = s.chars().take(40).collect();
                let more = if s.chars().count() > 40 { "…" } else { "" };
                format!("string {shown:?}{more}")
            }
            Value::Seq(_) => "a list".into(),
            Value::Map(_) => "a mapping".into(),
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    pub fn as_map(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.value {
            Value::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    pub fn get_entry(&self, key: &str) -> Option<&Entry> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// Follows a chain of mapping keys.
    pub fn at(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// Like [`Node::get`], but treats an explicit `null` as absent.
    pub fn get_present(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|n| !n.is_null())
    }

    fn typed<'a, T>(
        &'a self,
        key: &str,
        expected: &'static str,
        extract: impl FnOnce(&'a Node) -> Option<T>,
    ) -> Result<Option<T>, TypeError> {
        match self.get_present(key) {
            None => Ok(None),
            Some(node) => match extract(node) {
                Some(v) => Ok(Some(v)),
                None => Err(TypeError {
                    field: key.to_string(),
                    expected,
                    found: node.describe(),
                    span: node.span,
                }),
            },
        }
    }

    /// A boolean field: `Ok(None)` when absent or null, an error when present with another type.
    pub fn bool_field(&self, key: &str) -> Result<Option<bool>, TypeError> {
        self.typed(key, "a boolean", Node::as_bool)
    }

    pub fn str_field(&self, key: &str) -> Result<Option<&str>, TypeError> {
        self.typed(key, "a string", Node::as_str)
    }

    pub fn int_field(&self, key: &str) -> Result<Option<i64>, TypeError> {
        self.typed(key, "an integer", Node::as_i64)
    }

    /// A list field; absent or null reads as empty.
    pub fn seq_field(&self, key: &str) -> Result<&[Node], TypeError> {
        Ok(self.typed(key, "a list", Node::as_seq)?.unwrap_or(&[]))
    }

    /// A mapping field; absent or null reads as `None`.
    pub fn map_field(&self, key: &str) -> Result<Option<&Node>, TypeError> {
        self.typed(key, "a mapping", |n| n.as_map().map(|_| n))
    }

    /// Checks that this node is a mapping, naming `field` if it is not.
    pub fn expect_map(&self, field: &str) -> Result<&Node, TypeError> {
        match self.value {
            Value::Map(_) => Ok(self),
            _ => Err(TypeError {
                field: field.to_string(),
                expected: "a mapping",
                found: self.describe(),
                span: self.span,
            }),
        }
    }

    /// Checks that this node is a string, naming `field` if it is not.
    pub fn expect_str(&self, field: &str) -> Result<&str, TypeError> {
        self.as_str().ok_or_else(|| TypeError {
            field: field.to_string(),
            expected: "a string",
            found: self.describe(),
            span: self.span,
        })
    }
}

impl From<Value> for Node {
    fn from(value: Value) -> Self {
        Node::new(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_fields_reject_wrong_types_and_accept_absence() {
        let node = Node::from_json(&json!({"a": true, "b": "yes", "c": null}));
        assert_eq!(node.bool_field("a"), Ok(Some(true)));
        assert_eq!(node.bool_field("c"), Ok(None));
        assert_eq!(node.bool_field("missing"), Ok(None));
        let err = node.bool_field("b").unwrap_err();
        assert_eq!(
            err.to_string(),
            "field `b` must be a boolean, found string \"yes\""
        );
    }

    #[test]
    fn json_round_trips() {
        let doc = json!({"spec": {"replicas": 3, "ratio": 0.5, "items": [1, "two", null]}});
        assert_eq!(Node::from_json(&doc).to_json(), doc);
    }

    #[test]
    fn at_follows_nested_keys() {
        let node = Node::from_json(&json!({"spec": {"template": {"spec": {"hostPID": true}}}}));
        let found = node.at(&["spec", "template", "spec", "hostPID"]).unwrap();
        assert_eq!(found.as_bool(), Some(true));
        assert!(node.at(&["spec", "nope"]).is_none());
    }
}
