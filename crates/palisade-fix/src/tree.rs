//! Operations on a document as data: what the edited text must parse back to.

use palisade_core::{ObjectPath, Segment};
use serde_json::{Map, Value};

/// An operation on a whole document: the path starts at the document's root.
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentOp {
    /// Set the value at the path, creating missing mappings.
    Set(Vec<Segment<'static>>, Value),
    /// Append to the list at the path, creating it when missing.
    Append(Vec<Segment<'static>>, Value),
    /// Remove the field or item at the path. `floor` is the depth of the object in its
    /// document: see [`pruned_removal`].
    Remove {
        path: Vec<Segment<'static>>,
        floor: usize,
    },
}

impl DocumentOp {
    pub fn path(&self) -> &[Segment<'static>] {
        match self {
            DocumentOp::Set(p, _)
            | DocumentOp::Append(p, _)
            | DocumentOp::Remove { path: p, .. } => p,
        }
    }
}

/// The path a removal really takes out. Removing the last field of a mapping, or the only
/// item of a list, takes the emptied parent with it: a text edit cannot leave `key:` behind
/// without turning an empty mapping into `null`, and Kubernetes reads both as absent. The
/// widening stops at the object's own fields (`floor` is where the object sits in its
/// document): a fix never removes the object.
pub fn pruned_removal<'p>(
    root: &Value,
    path: &'p [Segment<'static>],
    floor: usize,
) -> &'p [Segment<'static>] {
    let mut len = path.len();
    while len > floor + 1 {
        let sole = match lookup(root, &path[..len - 1]) {
            Some(Value::Object(map)) => map.len() == 1,
            Some(Value::Array(items)) => items.len() == 1,
            _ => false,
        };
        if !sole {
            break;
        }
        len -= 1;
    }
    &path[..len]
}

pub fn lookup<'a>(root: &'a Value, path: &[Segment<'_>]) -> Option<&'a Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(k) => node.as_object()?.get(k.as_ref()),
        Segment::Index(i) => node.as_array()?.get(*i),
    })
}

fn lookup_mut<'a>(root: &'a mut Value, path: &[Segment<'_>]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(k) => node.as_object_mut()?.get_mut(k.as_ref()),
        Segment::Index(i) => node.as_array_mut()?.get_mut(*i),
    })
}

/// Applies one operation. A missing list item on the way is a refusal.
pub fn apply(root: &mut Value, op: &DocumentOp) -> Result<(), String> {
    match op {
        DocumentOp::Set(path, value) => *slot(root, path)? = value.clone(),
        DocumentOp::Append(path, value) => {
            let list = slot(root, path)?;
            if list.is_null() {
                *list = Value::Array(Vec::new());
            }
            list.as_array_mut()
                .ok_or_else(|| format!("`{}` is not a list", display(path)))?
                .push(value.clone());
        }
        DocumentOp::Remove { path, floor } => {
            let path = pruned_removal(root, path, *floor).to_vec();
            let Some((last, parents)) = path.split_last() else {
                return Err("cannot remove the whole document".into());
            };
            match (lookup_mut(root, parents), last) {
                (Some(Value::Object(map)), Segment::Key(k)) => {
                    map.remove(k.as_ref());
                }
                (Some(Value::Array(items)), Segment::Index(i)) if *i < items.len() => {
                    items.remove(*i);
                }
                // Already absent: nothing to do.
                _ => {}
            }
        }
    }
    Ok(())
}

/// The value at `path`, creating missing (or null) mappings on the way.
fn slot<'a>(root: &'a mut Value, path: &[Segment<'_>]) -> Result<&'a mut Value, String> {
    let mut node = root;
    for (depth, segment) in path.iter().enumerate() {
        node = match segment {
            Segment::Key(k) => {
                if node.is_null() {
                    *node = Value::Object(Map::new());
                }
                node.as_object_mut()
                    .ok_or_else(|| format!("`{}` is not a mapping", display(&path[..depth])))?
                    .entry(k.to_string())
                    .or_insert(Value::Null)
            }
            Segment::Index(i) => node
                .as_array_mut()
                .and_then(|items| items.get_mut(*i))
                .ok_or_else(|| format!("`{}` has no item {i}", display(&path[..depth])))?,
        };
    }
    Ok(node)
}

/// `value` wrapped in one mapping per key of `keys` (innermost last): what goes under the first
/// missing key of `path` when a set creates its parents. A list index among them cannot be
/// created: the item is missing.
pub fn nested(value: &Value, keys: &[Segment<'_>], path: &[Segment<'_>]) -> Result<Value, String> {
    keys.iter()
        .rev()
        .try_fold(value.clone(), |inner, seg| match seg {
            Segment::Key(k) => {
                let mut map = Map::new();
                map.insert(k.to_string(), inner);
                Ok(Value::Object(map))
            }
            Segment::Index(_) => Err(format!("`{}` has no such item", display(path))),
        })
}

pub fn display(path: &[Segment<'_>]) -> String {
    ObjectPath::from_segments(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(text: &str) -> Vec<Segment<'static>> {
        ObjectPath::parse(text).owned_segments()
    }

    #[test]
    fn set_creates_parents_and_refuses_missing_items() {
        let mut doc = json!({"spec": {"containers": [{"name": "a"}]}});
        let op = DocumentOp::Set(
            path("spec.containers[0].securityContext.privileged"),
            json!(false),
        );
        apply(&mut doc, &op).unwrap();
        assert_eq!(
            doc["spec"]["containers"][0]["securityContext"]["privileged"],
            json!(false)
        );
        let refused = apply(
            &mut doc,
            &DocumentOp::Set(path("spec.containers[3].name"), json!("x")),
        );
        assert!(refused.unwrap_err().contains("has no item 3"));
    }

    #[test]
    fn removal_takes_emptied_parents_but_not_the_object() {
        let mut doc =
            json!({"spec": {"hostNetwork": true, "volumes": [{"hostPath": {"path": "/"}}]}});
        let op = DocumentOp::Remove {
            path: path("spec.volumes[0].hostPath.path"),
            floor: 0,
        };
        apply(&mut doc, &op).unwrap();
        assert_eq!(doc, json!({"spec": {"hostNetwork": true}}));
        let mut lone = json!({"items": [{"spec": {"hostNetwork": true}}]});
        let op = DocumentOp::Remove {
            path: path("items[0].spec.hostNetwork"),
            floor: 2,
        };
        apply(&mut lone, &op).unwrap();
        assert_eq!(lone, json!({"items": [{}]}));
    }
}
