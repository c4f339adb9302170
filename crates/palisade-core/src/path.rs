//! Object paths such as `spec.template.spec.containers[0].securityContext.privileged`.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::{Node, Span};

/// A path from the root of an object to a field, in the dotted form `kubectl explain` uses.
/// Cloning is cheap: a finding and its fix share one copy.
///
/// Keys that are not plain identifiers (annotation keys, for instance) are written in brackets:
/// `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectPath(Arc<str>);

/// One step of an [`ObjectPath`]: a mapping key or a list index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment<'a> {
    Key(std::borrow::Cow<'a, str>),
    Index(usize),
}

fn is_plain_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl ObjectPath {
    pub fn root() -> Self {
        ObjectPath(Arc::from(""))
    }

    /// Wraps a path in the syntax [`fmt::Display`] produces. Nothing is checked here; a
    /// malformed path simply resolves to nothing.
    pub fn parse(text: &str) -> Self {
        ObjectPath(Arc::from(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This path extended by a mapping key.
    pub fn key(&self, key: &str) -> Self {
        let mut out = String::with_capacity(self.0.len() + key.len() + 5);
        out.push_str(&self.0);
        if is_plain_key(key) {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(key);
        } else {
            out.push('[');
            // A JSON string literal is unambiguous and easy to parse back.
            out.push_str(&serde_json::to_string(key).unwrap_or_default());
            out.push(']');
        }
        ObjectPath(Arc::from(out))
    }

    /// This path extended by several plain keys.
    pub fn keys(&self, keys: &[&str]) -> Self {
        keys.iter().fold(self.clone(), |p, k| p.key(k))
    }

    /// This path extended by a list index.
    pub fn index(&self, index: usize) -> Self {
        ObjectPath(Arc::from(format!("{}[{index}]", self.0)))
    }

    /// The path made of these steps, root first: the inverse of [`segments`](Self::segments).
    pub fn from_segments(segments: &[Segment<'_>]) -> Self {
        segments.iter().fold(ObjectPath::root(), |path, s| match s {
            Segment::Key(k) => path.key(k),
            Segment::Index(i) => path.index(*i),
        })
    }

    /// [`segments`](Self::segments) that own their keys, to outlive the path.
    pub fn owned_segments(&self) -> Vec<Segment<'static>> {
        self.segments()
            .into_iter()
            .map(|s| match s {
                Segment::Key(k) => Segment::Key(k.into_owned().into()),
                Segment::Index(i) => Segment::Index(i),
            })
            .collect()
    }

    /// The steps of this path, root first. A malformed step is left out.
    pub fn segments(&self) -> Vec<Segment<'_>> {
        let s: &str = &self.0;
        let bytes = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'.' => i += 1,
                b'[' if bytes.get(i + 1) == Some(&b'"') => {
                    // Find the closing quote of the JSON string, honouring escapes.
                    let mut j = i + 2;
                    while j < bytes.len() && bytes[j] != b'"' {
                        j += if bytes[j] == b'\\' { 2 } else { 1 };
                    }
                    let literal = &s[i + 1..(j + 1).min(s.len())];
                    let key: String = serde_json::from_str(literal).unwrap_or_default();
                    out.push(Segment::Key(key.into()));
                    // Past the closing quote, and the bracket when it follows.
                    i = (j + 1).min(s.len());
                    if bytes.get(i) == Some(&b']') {
                        i += 1;
                    }
                }
                b'[' => {
                    let end = s[i..].find(']').map(|e| i + e).unwrap_or(s.len());
                    if let Ok(n) = s[i + 1..end].parse() {
                        out.push(Segment::Index(n));
                    }
                    i = end + 1;
                }
                _ => {
                    let end = s[i..].find(['.', '[']).map(|e| i + e).unwrap_or(s.len());
                    out.push(Segment::Key(s[i..end].into()));
                    i = end;
                }
            }
        }
        out
    }

    /// The node this path names, if every step exists.
    pub fn resolve<'a>(&self, root: &'a Node) -> Option<&'a Node> {
        let (node, exact) = self.deepest(root);
        exact.then_some(node)
    }

    /// The span of the field this path names or, when it is missing, of its deepest existing
    /// ancestor. The flag says whether the whole path exists.
    pub fn locate(&self, root: &Node) -> (Span, bool) {
        let (node, exact) = self.deepest(root);
        (node.span, exact)
    }

    /// The span of the key of the last segment, when it names an existing mapping entry; a
    /// finding about a field reads best pointing at `privileged: true`, not at `true`.
    pub fn locate_entry(&self, root: &Node) -> Option<(Span, Span)> {
        let segments = self.segments();
        let (last, parents) = segments.split_last()?;
        let mut node = root;
        for seg in parents {
            node = step(node, seg)?;
        }
        match last {
            Segment::Key(k) => node.get_entry(k).map(|e| (e.key_span, e.value.span)),
            Segment::Index(i) => node.as_seq()?.get(*i).map(|n| (n.span, n.span)),
        }
    }

    fn deepest<'a>(&self, root: &'a Node) -> (&'a Node, bool) {
        let mut node = root;
        for seg in self.segments() {
            match step(node, &seg) {
                Some(next) => node = next,
                None => return (node, false),
            }
        }
        (node, true)
    }
}

fn step<'a>(node: &'a Node, seg: &Segment<'_>) -> Option<&'a Node> {
    match seg {
        Segment::Key(k) => node.get(k),
        Segment::Index(i) => node.as_seq()?.get(*i),
    }
}

impl fmt::Display for ObjectPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builds_dotted_and_bracketed_paths() {
        let p = ObjectPath::root()
            .keys(&["spec", "containers"])
            .index(0)
            .keys(&["securityContext", "privileged"]);
        assert_eq!(p.as_str(), "spec.containers[0].securityContext.privileged");
        let a = ObjectPath::root()
            .keys(&["metadata", "annotations"])
            .key("container.apparmor.security.beta.kubernetes.io/app");
        assert_eq!(
            a.as_str(),
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]"#
        );
    }

    #[test]
    fn malformed_paths_resolve_to_nothing_without_panicking() {
        let doc = Node::from_json(&json!({"a": {"b": 1}}));
        for text in [
            "[\"a\"é]",
            "[\"a",
            "a[",
            "a[x]",
            "[\"\\\"]",
            "..",
            "a.b[99999999999999999999]",
        ] {
            let _ = ObjectPath::parse(text).resolve(&doc);
            let _ = ObjectPath::parse(text).locate(&doc);
        }
    }

    #[test]
    fn resolves_paths_including_bracketed_keys() {
        let doc = Node::from_json(&json!({
            "metadata": {"annotations": {"a.b/c": "x"}},
            "spec": {"containers": [{"name": "one"}, {"name": "two"}]}
        }));
        let name = ObjectPath::parse("spec.containers[1].name").resolve(&doc);
        assert_eq!(name.and_then(Node::as_str), Some("two"));
        let ann = ObjectPath::root()
            .keys(&["metadata", "annotations"])
            .key("a.b/c");
        assert_eq!(ann.resolve(&doc).and_then(Node::as_str), Some("x"));
        assert!(
            ObjectPath::parse("spec.containers[5].name")
                .resolve(&doc)
                .is_none()
        );
        let (_, exact) = ObjectPath::parse("spec.containers[0].securityContext").locate(&doc);
        assert!(!exact);
    }
}
