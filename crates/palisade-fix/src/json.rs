//! Edits of a JSON manifest's text (a single object, or a `List` such as `kubectl get -o json`
//! writes).
//!
//! The edits go through the concrete syntax tree of `jsonc-parser` (dprint's parser, used by
//! Deno and dprint to rewrite configuration files in place): it keeps every byte of
//! whitespace, every newline (LF or CRLF) and the order of keys, and what it inserts into a
//! multi-line object or array follows the indentation it finds there. Writing our own edits
//! would mean a second JSON parser with spans and our own rules for commas and indentation;
//! this crate has both, builds on the workspace toolchain, and needs no other dependency.
//!
//! One thing is done by hand: the crate spreads a one-line object over several lines before
//! adding a property to it (and a one-line array before adding an object). Here a one-line
//! container stays on its line: the new member is written inline, spaced like the document
//! (`"a": 1, "b": 2`, or without spaces in minified JSON), at the byte offset the tree gives.
//! Like the YAML edits, every result is parsed again by the caller and must read back as the
//! fixed object.

use jsonc_parser::ParseOptions;
use jsonc_parser::cst::{CstContainerNode, CstInputValue, CstLeafNode, CstNode, CstRootNode};
use palisade_core::Segment;
use serde_json::Value;

use crate::tree::{self, DocumentOp};

/// Whether `text` is a JSON document rather than YAML: JSON manifests open with `{` or `[`,
/// which no YAML manifest of an object does.
pub fn is_json(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

/// Applies one operation to `text`, whose object is `current`.
pub fn apply(text: &str, current: &Value, op: &DocumentOp) -> Result<String, String> {
    let root = CstRootNode::parse(text, &ParseOptions::default())
        .map_err(|e| format!("cannot edit this document: {e}"))?;
    let top = root.value().ok_or("the document is empty")?;
    match op {
        DocumentOp::Set(path, value) => {
            if let Some(inline) = set(text, &top, current, path, value)? {
                return Ok(inline);
            }
        }
        DocumentOp::Append(path, value) => match tree::lookup(current, path) {
            Some(Value::Array(_)) => {
                let list = node_at(&top, path)?;
                if let Some(inline) = add_inline(text, &list, None, value) {
                    return Ok(inline);
                }
                list.as_array()
                    .ok_or_else(|| format!("`{}` is not a list", tree::display(path)))?
                    .append(input(value));
            }
            Some(Value::Null) | None => {
                let list = Value::Array(vec![value.clone()]);
                if let Some(inline) = set(text, &top, current, path, &list)? {
                    return Ok(inline);
                }
            }
            Some(_) => return Err(format!("`{}` is not a list", tree::display(path))),
        },
        // Pruned against the document as it is now, as `tree::apply` does.
        DocumentOp::Remove { path, floor } => {
            let path = tree::pruned_removal(current, path, *floor);
            if path.is_empty() {
                return Err("cannot remove the whole object".into());
            }
            remove(node_at(&top, path)?);
        }
    }
    Ok(root.to_string())
}

/// The node at `path` below `top`: a property's value for a key, an element for an index.
fn node_at(top: &CstNode, path: &[Segment<'_>]) -> Result<CstNode, String> {
    let mut node = top.clone();
    for (depth, segment) in path.iter().enumerate() {
        let missing = || format!("`{}` is missing", tree::display(&path[..=depth]));
        node = match segment {
            Segment::Key(k) => node
                .as_object()
                .and_then(|o| o.get(k))
                .and_then(|p| p.value())
                .ok_or_else(missing)?,
            Segment::Index(i) => node
                .as_array()
                .and_then(|a| a.elements().into_iter().nth(*i))
                .ok_or_else(missing)?,
        };
    }
    Ok(node)
}

/// Sets the value at `path`, in the tree, or returns the whole new text when the value went
/// into a one-line object.
fn set(
    text: &str,
    top: &CstNode,
    current: &Value,
    path: &[Segment<'_>],
    value: &Value,
) -> Result<Option<String>, String> {
    // The deepest part of the path that exists already.
    let existing = (0..=path.len())
        .rev()
        .find(|&n| tree::lookup(current, &path[..n]).is_some())
        .unwrap_or(0);
    if existing == path.len() {
        return replace(node_at(top, path)?, value, path).map(|()| None);
    }
    let (parent, missing) = path.split_at(existing);
    let Segment::Key(key) = &missing[0] else {
        return Err(format!("`{}` has no such item", tree::display(parent)));
    };
    // What goes under the first missing key: the rest of the path, nested.
    let nested = tree::nested(value, &missing[1..], path)?;
    match tree::lookup(current, parent) {
        Some(Value::Object(_)) => {
            let object = node_at(top, parent)?;
            if let Some(inline) = add_inline(text, &object, Some(key), &nested) {
                return Ok(Some(inline));
            }
            object
                .as_object()
                .ok_or_else(|| format!("`{}` is not a mapping", tree::display(parent)))?
                .append(key, input(&nested));
            Ok(None)
        }
        // `"securityContext": null` reads as absent; the new mapping takes its place.
        Some(Value::Null) => {
            let mut map = serde_json::Map::new();
            map.insert(key.to_string(), nested);
            replace(node_at(top, parent)?, &Value::Object(map), parent).map(|()| None)
        }
        _ => Err(format!("`{}` is not a mapping", tree::display(parent))),
    }
}

/// Puts `value` where `node` is, keeping what surrounds it.
fn replace(node: CstNode, value: &Value, path: &[Segment<'_>]) -> Result<(), String> {
    let value = input(value);
    let replaced = match node {
        CstNode::Container(CstContainerNode::Object(o)) => o.replace_with(value),
        CstNode::Container(CstContainerNode::Array(a)) => a.replace_with(value),
        CstNode::Leaf(CstLeafNode::StringLit(s)) => s.replace_with(value),
        CstNode::Leaf(CstLeafNode::NumberLit(n)) => n.replace_with(value),
        CstNode::Leaf(CstLeafNode::BooleanLit(b)) => b.replace_with(value),
        CstNode::Leaf(CstLeafNode::NullKeyword(n)) => n.replace_with(value),
        CstNode::Leaf(CstLeafNode::WordLit(w)) => w.replace_with(value),
        _ => None,
    };
    replaced
        .map(|_| ())
        .ok_or_else(|| format!("cannot replace the value at `{}`", tree::display(path)))
}

/// Removes a property's value together with its key, or an array element, with the comma
/// that separated it.
fn remove(node: CstNode) {
    match node.parent() {
        Some(CstContainerNode::ObjectProp(prop)) => prop.remove(),
        Some(CstContainerNode::Array(array)) => {
            // The parser drops an element with the comma after it but not the space that
            // followed the comma: `[80, 443]` would become `[ 443]`. An element written right
            // after `[` leaves its successor there too.
            let tight = node
                .previous_sibling()
                .is_some_and(|s| s.as_token().is_some());
            node.remove();
            if tight {
                if let Some(first) = array.elements().first() {
                    while let Some(space) = first
                        .previous_sibling()
                        .filter(|s| s.as_whitespace().is_some())
                    {
                        space.remove();
                    }
                }
            }
        }
        _ => node.remove(),
    }
}

/// Where `node` starts in the text: the length of everything written before it.
fn offset(node: &CstNode) -> usize {
    let mut at = 0;
    let mut current = node.clone();
    loop {
        at += current
            .previous_siblings()
            .map(|s| s.to_string().len())
            .sum::<usize>();
        match current.parent() {
            Some(parent) => current = parent.into(),
            None => return at,
        }
    }
}

/// `text` with `value` added at the end of the one-line object or array `container` (as
/// property `key` of an object). `None` when the container spans several lines.
fn add_inline(text: &str, container: &CstNode, key: Option<&str>, value: &Value) -> Option<String> {
    let own = container.to_string();
    if own.contains('\n') {
        return None;
    }
    let start = offset(container);
    let end = start + own.len();
    let minified = !text.contains(": ") && !text.contains(", ");
    let render = |v: &Value| {
        if minified { v.to_string() } else { spaced(v) }
    };
    let member = match key {
        Some(k) if minified => format!("{}:{}", Value::from(k), render(value)),
        Some(k) => format!("{}: {}", Value::from(k), render(value)),
        None => render(value),
    };
    // `{ "a": 1 }` → `{ "a": 1, "b": 2 }`: the new member goes before the closing padding.
    let body = &own[1..own.len() - 1];
    let content = body.trim_end();
    let separator = match (content.trim().is_empty(), minified) {
        (true, _) => "",
        (false, true) => ",",
        (false, false) => ", ",
    };
    Some(format!(
        "{}{}{content}{separator}{member}{}{}{}",
        &text[..start],
        &own[..1],
        &body[content.len()..],
        &own[own.len() - 1..],
        &text[end..],
    ))
}

/// A value on one line, spaced the way people write JSON by hand: `{"a": [1, 2]}`.
fn spaced(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(spaced).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", Value::from(k.as_str()), spaced(v)))
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        scalar => scalar.to_string(),
    }
}

fn input(value: &Value) -> CstInputValue {
    match value {
        Value::Null => CstInputValue::Null,
        Value::Bool(b) => CstInputValue::Bool(*b),
        Value::Number(n) => CstInputValue::Number(n.to_string()),
        Value::String(s) => CstInputValue::String(s.clone()),
        Value::Array(items) => CstInputValue::Array(items.iter().map(input).collect()),
        Value::Object(map) => {
            CstInputValue::Object(map.iter().map(|(k, v)| (k.clone(), input(v))).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::ObjectPath;
    use serde_json::json;

    fn path(text: &str) -> Vec<Segment<'static>> {
        ObjectPath::parse(text).owned_segments()
    }

    fn edit(text: &str, op: DocumentOp) -> String {
        let current: Value = serde_json::from_str(text).unwrap();
        apply(text, &current, &op).unwrap()
    }

    const POD: &str = "{\n    \"kind\": \"Pod\",\n    \"spec\": {\n        \"hostNetwork\": true,\n        \"containers\": [{\"name\": \"a\", \"ports\": [80, 443]}]\n    }\n}\n";

    #[test]
    fn replaces_a_scalar_and_nothing_else() {
        let out = edit(POD, DocumentOp::Set(path("spec.hostNetwork"), json!(false)));
        assert_eq!(out, POD.replace("true", "false"));
    }

    #[test]
    fn adds_keys_at_the_document_indentation() {
        let out = edit(
            POD,
            DocumentOp::Set(path("spec.securityContext.runAsNonRoot"), json!(true)),
        );
        assert_eq!(
            out,
            POD.replace(
                "}]\n    }",
                "}],\n        \"securityContext\": {\n            \"runAsNonRoot\": true\n        }\n    }"
            )
        );
    }

    #[test]
    fn one_line_collections_stay_on_one_line() {
        let out = edit(
            POD,
            DocumentOp::Append(path("spec.containers[0].ports"), json!(8080)),
        );
        assert!(out.contains("\"ports\": [80, 443, 8080]"), "{out}");
        let out = edit(
            POD,
            DocumentOp::Remove {
                path: path("spec.containers[0].ports[0]"),
                floor: 0,
            },
        );
        assert!(out.contains("\"ports\": [443]"), "{out}");
    }

    #[test]
    fn removes_list_items_line_by_line() {
        let text = "{\n  \"items\": [\n    1,\n    2,\n    3\n  ]\n}\n";
        for (index, expected) in [
            (0, "{\n  \"items\": [\n    2,\n    3\n  ]\n}\n"),
            (2, "{\n  \"items\": [\n    1,\n    2\n  ]\n}\n"),
        ] {
            let op = DocumentOp::Remove {
                path: path(&format!("items[{index}]")),
                floor: 0,
            };
            assert_eq!(edit(text, op), expected);
        }
    }

    #[test]
    fn removes_a_property_with_its_comma() {
        let out = edit(
            POD,
            DocumentOp::Remove {
                path: path("spec.hostNetwork"),
                floor: 0,
            },
        );
        assert_eq!(out, POD.replace("        \"hostNetwork\": true,\n", ""));
    }

    #[test]
    fn a_null_parent_becomes_the_new_mapping() {
        let text = "{\"spec\": {\"securityContext\": null}}";
        let out = edit(
            text,
            DocumentOp::Set(path("spec.securityContext.privileged"), json!(false)),
        );
        let read: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            read,
            json!({"spec": {"securityContext": {"privileged": false}}})
        );
    }

    #[test]
    fn one_line_objects_take_new_members_inline() {
        let out = edit(
            POD,
            DocumentOp::Set(
                path("spec.containers[0].securityContext.privileged"),
                json!(false),
            ),
        );
        assert!(
            out.contains(
                "[{\"name\": \"a\", \"ports\": [80, 443], \"securityContext\": {\"privileged\": false}}]"
            ),
            "{out}"
        );
        let minified = "{\"kind\":\"Pod\",\"spec\":{}}";
        let out = edit(
            minified,
            DocumentOp::Append(path("spec.volumes"), json!({"name": "tmp", "emptyDir": {}})),
        );
        assert_eq!(
            out,
            "{\"kind\":\"Pod\",\"spec\":{\"volumes\":[{\"emptyDir\":{},\"name\":\"tmp\"}]}}"
        );
        let padded = "{ \"a\": [ 1 ] }";
        let out = edit(padded, DocumentOp::Append(path("a"), json!({"b": 2})));
        assert_eq!(out, "{ \"a\": [ 1, {\"b\": 2} ] }");
    }

    #[test]
    fn only_json_is_taken_for_json() {
        assert!(is_json("  {\"kind\": \"Pod\"}"));
        assert!(is_json("[]"));
        assert!(!is_json("kind: Pod\n"));
        assert!(!is_json("# {\nkind: Pod\n"));
    }
}
