//! Planned operations on a live object → an RFC 6902 JSON Patch the API server applies as is.
//!
//! A JSON Patch `add` fails when its parent is missing and silently replaces a member that
//! exists, so each operation is written against the object as it will be at that point of the
//! patch: a missing branch is added whole, with the value nested inside; a `null` branch is
//! replaced; an existing leaf is replaced. Every list item the patch steps into or removes is
//! guarded by a `test` of its `name` (or of the whole item when it has none), so a patch made
//! stale by a reordered list fails instead of editing the wrong container.

use palisade_core::Segment;
use serde_json::{Value, json};

use crate::plan::text_order;
use crate::tree::{self, DocumentOp};

/// One segment of a JSON Pointer (RFC 6901): `~` is written `~0` and `/` is written `~1`.
pub fn escape_pointer_segment(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// The JSON Pointer of a path; the empty string names the whole object.
pub fn pointer(path: &[Segment<'_>]) -> String {
    path.iter()
        .map(|segment| match segment {
            Segment::Key(k) => format!("/{}", escape_pointer_segment(k)),
            Segment::Index(i) => format!("/{i}"),
        })
        .collect()
}

/// The test that pins the list item at `path`: its name when it has one, else its value.
fn item_test(path: &[Segment<'_>], item: &Value) -> Value {
    match item.get("name").and_then(Value::as_str) {
        Some(name) => {
            json!({"op": "test", "path": format!("{}/name", pointer(path)), "value": name})
        }
        None => json!({"op": "test", "path": pointer(path), "value": item}),
    }
}

/// How far a path exists in an object.
enum Reach {
    /// Everything up to step `n` exists; step `n` does not.
    Missing(usize),
    /// The value after `n` steps is `null` (`n` is the path's length when the field itself is).
    Null(usize),
    /// The field exists and is a list.
    List,
    /// The field exists and already holds the value.
    Same,
    /// The field exists with another value.
    Other,
}

fn reach(root: &Value, path: &[Segment<'_>], leaf: &Value) -> Result<Reach, String> {
    let mut node = root;
    for (depth, segment) in path.iter().enumerate() {
        node = match (node, segment) {
            (Value::Object(map), Segment::Key(k)) => match map.get(k.as_ref()) {
                Some(next) => next,
                None => return Ok(Reach::Missing(depth)),
            },
            (Value::Array(items), Segment::Index(i)) => items
                .get(*i)
                .ok_or_else(|| format!("`{}` has no item {i}", tree::display(&path[..depth])))?,
            (Value::Null, Segment::Key(_)) if depth > 0 => return Ok(Reach::Null(depth)),
            _ => {
                return Err(format!(
                    "`{}` is neither a mapping nor a list",
                    tree::display(&path[..depth])
                ));
            }
        };
    }
    Ok(match node {
        Value::Null => Reach::Null(path.len()),
        Value::Array(_) => Reach::List,
        value if value == leaf => Reach::Same,
        _ => Reach::Other,
    })
}

struct Writer {
    /// The object as the operations written so far leave it.
    current: Value,
    out: Vec<Value>,
    /// Tests written since the last removal; a removal shifts list indices, so they are not
    /// repeated only while nothing has moved.
    tested: Vec<Value>,
}

impl Writer {
    fn test(&mut self, test: Value) {
        if !self.tested.contains(&test) {
            self.tested.push(test.clone());
            self.out.push(test);
        }
    }

    /// Tests every list item on the way to `path` (the last step too when `last` is set).
    fn guard(&mut self, path: &[Segment<'_>], last: bool) {
        let steps = if last {
            path.len()
        } else {
            path.len().saturating_sub(1)
        };
        for depth in 0..steps {
            if let Segment::Index(_) = path[depth]
                && let Some(item) = tree::lookup(&self.current, &path[..=depth])
            {
                let test = item_test(&path[..=depth], item);
                self.test(test);
            }
        }
    }

    /// Writes the operation that makes `path` hold `leaf` — for a set the value, for an append
    /// the list with the item — creating what is missing on the way. `append` adds to an
    /// existing list rather than replacing it.
    fn put(&mut self, path: &[Segment<'static>], leaf: Value, append: bool) -> Result<(), String> {
        let whole = |rest: &[Segment<'_>], leaf: Value| {
            tree::nested(&if append { json!([leaf]) } else { leaf }, rest, path)
        };
        match reach(&self.current, path, &leaf)? {
            Reach::Missing(depth) => {
                let value = whole(&path[depth + 1..], leaf)?;
                self.guard(&path[..=depth], false);
                self.out
                    .push(json!({"op": "add", "path": pointer(&path[..=depth]), "value": value}));
            }
            Reach::Null(depth) if depth < path.len() => {
                let value = whole(&path[depth..], leaf)?;
                self.guard(&path[..depth], true);
                self.out.push(
                    json!({"op": "replace", "path": pointer(&path[..depth]), "value": value}),
                );
            }
            Reach::Null(_) if append => {
                self.guard(path, false);
                self.out
                    .push(json!({"op": "replace", "path": pointer(path), "value": [leaf]}));
            }
            Reach::List if append => {
                self.guard(path, false);
                self.out.push(
                    json!({"op": "add", "path": format!("{}/-", pointer(path)), "value": leaf}),
                );
            }
            _ if append => return Err(format!("`{}` is not a list", tree::display(path))),
            Reach::Same => {}
            _ => {
                self.guard(path, false);
                self.out
                    .push(json!({"op": "replace", "path": pointer(path), "value": leaf}));
            }
        }
        Ok(())
    }

    fn write(&mut self, op: &DocumentOp) -> Result<(), String> {
        match op {
            DocumentOp::Set(path, value) => self.put(path, value.clone(), false)?,
            DocumentOp::Append(path, value) => self.put(path, value.clone(), true)?,
            DocumentOp::Remove { path, floor } => {
                let removed = tree::pruned_removal(&self.current, path, *floor);
                if tree::lookup(&self.current, removed).is_some() {
                    self.guard(removed, true);
                    self.out
                        .push(json!({"op": "remove", "path": pointer(removed)}));
                    self.tested.clear();
                }
            }
        }
        tree::apply(&mut self.current, op)
    }
}

/// The JSON Patch that turns `original` into what `ops` make of it, applied in the order the
/// planner uses (sets and appends first, removals from the last list item backwards). Empty
/// when the object already reads as fixed.
pub fn json_patch(original: &Value, ops: &[DocumentOp]) -> Result<Vec<Value>, String> {
    let mut writer = Writer {
        current: original.clone(),
        out: Vec::new(),
        tested: Vec::new(),
    };
    for op in text_order(ops.to_vec()) {
        writer.write(&op)?;
    }
    // Tests alone change nothing.
    if writer.out.iter().all(|op| op["op"] == "test") {
        writer.out.clear();
    }
    Ok(writer.out)
}

/// A word the shell reads back unchanged: bare when it holds only characters no shell treats
/// specially, otherwise in single quotes, each `'` written as `'\''`.
pub fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_@%+=:,./-".contains(&b));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// One field a patch changes: its JSON Pointer and its value before and after (`None`: absent).
#[derive(Clone, Debug, PartialEq)]
pub struct FieldChange {
    pub pointer: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Server bookkeeping that changes with every write and says nothing about the fix.
fn bookkeeping(pointer: &str) -> bool {
    matches!(
        pointer,
        "/status"
            | "/metadata/resourceVersion"
            | "/metadata/generation"
            | "/metadata/managedFields"
            | "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"
    )
}

/// The fields that differ between two versions of an object, deepest first-differing field
/// per branch, in document order; a list whose length changed is one change.
pub fn field_changes(before: &Value, after: &Value) -> Vec<FieldChange> {
    fn walk(
        pointer: String,
        before: Option<&Value>,
        after: Option<&Value>,
        out: &mut Vec<FieldChange>,
    ) {
        if before == after || bookkeeping(&pointer) {
            return;
        }
        match (before, after) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                for key in keys {
                    let next = format!("{pointer}/{}", escape_pointer_segment(key));
                    walk(next, a.get(key), b.get(key), out);
                }
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(format!("{pointer}/{i}"), Some(x), Some(y), out);
                }
            }
            _ => out.push(FieldChange {
                pointer,
                before: before.cloned(),
                after: after.cloned(),
            }),
        }
    }
    let mut out = Vec::new();
    walk(String::new(), Some(before), Some(after), &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::ObjectPath;

    fn path(text: &str) -> Vec<Segment<'static>> {
        ObjectPath::parse(text).owned_segments()
    }

    fn set(p: &str, value: Value) -> DocumentOp {
        DocumentOp::Set(path(p), value)
    }

    /// Applies a patch the way the API server does (RFC 6902, all or nothing).
    fn applied(doc: &Value, patch: &[Value]) -> Result<Value, String> {
        let patch: json_patch::Patch =
            serde_json::from_value(Value::Array(patch.to_vec())).map_err(|e| e.to_string())?;
        let mut doc = doc.clone();
        json_patch::patch(&mut doc, &patch).map_err(|e| e.to_string())?;
        Ok(doc)
    }

    fn deployment() -> Value {
        json!({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {"template": {"spec": {
            "containers": [{"name": "app", "image": "a"}, {"name": "side", "securityContext": null}]
        }}}})
    }

    #[test]
    fn a_missing_branch_is_added_whole_and_the_container_is_pinned_by_name() {
        let doc = deployment();
        let ops = [set(
            "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
            json!(false),
        )];
        let patch = json_patch(&doc, &ops).unwrap();
        assert_eq!(
            patch,
            vec![
                json!({"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "app"}),
                json!({"op": "add", "path": "/spec/template/spec/containers/0/securityContext",
                       "value": {"allowPrivilegeEscalation": false}}),
            ]
        );
        let fixed = applied(&doc, &patch).unwrap();
        assert_eq!(
            fixed["spec"]["template"]["spec"]["containers"][0]["securityContext"],
            json!({"allowPrivilegeEscalation": false})
        );
    }

    #[test]
    fn two_fixes_under_one_missing_branch_add_it_once_then_extend_it() {
        let doc = deployment();
        let ops = [
            set(
                "spec.template.spec.containers[0].securityContext.privileged",
                json!(false),
            ),
            set(
                "spec.template.spec.containers[0].securityContext.runAsNonRoot",
                json!(true),
            ),
            set(
                "spec.template.spec.containers[1].securityContext.privileged",
                json!(false),
            ),
        ];
        let patch = json_patch(&doc, &ops).unwrap();
        let fixed = applied(&doc, &patch).unwrap();
        let containers = &fixed["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            containers[0]["securityContext"],
            json!({"privileged": false, "runAsNonRoot": true})
        );
        // A null branch is replaced, not added under.
        assert_eq!(
            containers[1]["securityContext"],
            json!({"privileged": false})
        );
        assert!(patch.iter().any(|op| op["op"] == "replace"
            && op["path"] == "/spec/template/spec/containers/1/securityContext"));
        let tests = patch.iter().filter(|op| op["op"] == "test").count();
        assert_eq!(tests, 2, "each container tested once: {patch:?}");
    }

    #[test]
    fn a_stale_patch_fails_instead_of_editing_another_container() {
        let doc = deployment();
        let patch = json_patch(
            &doc,
            &[set(
                "spec.template.spec.containers[0].securityContext.privileged",
                json!(false),
            )],
        )
        .unwrap();
        let mut reordered = doc.clone();
        reordered["spec"]["template"]["spec"]["containers"]
            .as_array_mut()
            .unwrap()
            .reverse();
        assert!(applied(&reordered, &patch).is_err());
    }

    #[test]
    fn keys_with_slashes_and_tildes_are_escaped() {
        assert_eq!(escape_pointer_segment("a/b~c"), "a~1b~0c");
        let doc = json!({"metadata": {"annotations": {"x": "1"}}});
        let key = "container.apparmor.security.beta.kubernetes.io/app~1";
        let p = ObjectPath::root()
            .keys(&["metadata", "annotations"])
            .key(key);
        let op = DocumentOp::Set(path(p.as_str()), json!("runtime/default"));
        let patch = json_patch(&doc, &[op]).unwrap();
        assert_eq!(
            patch,
            vec![json!({"op": "add",
                "path": "/metadata/annotations/container.apparmor.security.beta.kubernetes.io~1app~01",
                "value": "runtime/default"})]
        );
        assert_eq!(
            applied(&doc, &patch).unwrap()["metadata"]["annotations"][key],
            "runtime/default"
        );
    }

    #[test]
    fn removals_are_pinned_and_run_from_the_last_item_back() {
        let doc = json!({"spec": {"containers": [{"name": "app", "securityContext": {
            "capabilities": {"add": ["NET_ADMIN", "CHOWN", "SYS_ADMIN"]}}}]}});
        let remove = |p: &str| DocumentOp::Remove {
            path: path(p),
            floor: 0,
        };
        let base = "spec.containers[0].securityContext.capabilities.add";
        let patch = json_patch(
            &doc,
            &[remove(&format!("{base}[0]")), remove(&format!("{base}[2]"))],
        )
        .unwrap();
        let ops: Vec<&str> = patch.iter().map(|op| op["op"].as_str().unwrap()).collect();
        assert_eq!(ops, ["test", "test", "remove", "test", "test", "remove"]);
        assert_eq!(
            patch[1],
            json!({"op": "test", "path": "/spec/containers/0/securityContext/capabilities/add/2", "value": "SYS_ADMIN"})
        );
        let fixed = applied(&doc, &patch).unwrap();
        assert_eq!(
            fixed["spec"]["containers"][0]["securityContext"]["capabilities"]["add"],
            json!(["CHOWN"])
        );
    }

    #[test]
    fn appends_extend_or_create_the_list_and_a_fixed_object_needs_no_patch() {
        let doc = json!({"spec": {"a": {"drop": ["NET_RAW"]}}});
        let append = |p: &str| DocumentOp::Append(path(p), json!("ALL"));
        let patch = json_patch(&doc, &[append("spec.a.drop"), append("spec.b.drop")]).unwrap();
        assert_eq!(
            patch,
            vec![
                json!({"op": "add", "path": "/spec/a/drop/-", "value": "ALL"}),
                json!({"op": "add", "path": "/spec/b", "value": {"drop": ["ALL"]}}),
            ]
        );
        let already = json!({"spec": {"x": false}});
        assert!(
            json_patch(&already, &[set("spec.x", json!(false))])
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            json_patch(&already, &[set("spec.x", json!(true))]).unwrap(),
            vec![json!({"op": "replace", "path": "/spec/x", "value": true})]
        );
    }

    #[test]
    fn a_missing_list_item_is_refused() {
        let doc = deployment();
        let err = json_patch(
            &doc,
            &[set("spec.template.spec.containers[5].name", json!("x"))],
        );
        assert!(err.is_err());
    }

    #[test]
    fn field_changes_name_each_changed_leaf_and_skip_bookkeeping() {
        let before = json!({"metadata": {"resourceVersion": "1", "labels": {"a/b": "1"}},
                            "spec": {"c": [{"name": "app"}], "d": [1]}, "status": {"x": 1}});
        let after = json!({"metadata": {"resourceVersion": "2", "labels": {"a/b": "2"}},
                           "spec": {"c": [{"name": "app", "s": {"p": false}}], "d": [1, 2]}, "status": {"x": 2}});
        let changes = field_changes(&before, &after);
        let pointers: Vec<&str> = changes.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            ["/metadata/labels/a~1b", "/spec/c/0/s", "/spec/d"]
        );
        assert_eq!(changes[1].before, None);
        assert_eq!(changes[1].after, Some(json!({"p": false})));
    }

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("web-1"), "web-1");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote(r#"[{"v":"it's"}]"#), r#"'[{"v":"it'\''s"}]'"#);
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
