//! Fixes applied to the object as data: what the edited text must parse back to, and whether
//! two fixes of one object can both be applied.

use palisade_core::{FixOp, ObjectPath, Segment};
use serde_json::{Map, Value};

/// The path a removal really takes out. Removing the last field of a mapping, or the only
/// item of a list, takes the emptied parent with it: a text edit cannot leave `key:` behind
/// without turning an empty mapping into `null`, and Kubernetes reads both as absent. The
/// widening stops at the object's own fields (`object_depth` is where the object sits in its
/// document): a fix never removes the object.
pub fn pruned_removal(
    root: &Value,
    path: &[Segment<'_>],
    object_depth: usize,
) -> Vec<Segment<'static>> {
    let mut path: Vec<Segment<'static>> = path.iter().map(owned).collect();
    while path.len() > object_depth + 1 {
        let parent = lookup(root, &path[..path.len() - 1]);
        let sole = match parent {
            Some(Value::Object(map)) => map.len() == 1,
            Some(Value::Array(items)) => items.len() == 1,
            _ => false,
        };
        if !sole {
            break;
        }
        path.pop();
    }
    path
}

fn owned(segment: &Segment<'_>) -> Segment<'static> {
    match segment {
        Segment::Key(k) => Segment::Key(k.to_string().into()),
        Segment::Index(i) => Segment::Index(*i),
    }
}

pub fn lookup<'a>(root: &'a Value, path: &[Segment<'_>]) -> Option<&'a Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(k) => node.as_object()?.get(k.as_ref()),
        Segment::Index(i) => node.as_array()?.get(*i),
    })
}

/// Why an operation cannot be applied to an object.
pub type Refusal = String;

/// Applies one operation, with `prefix` (where the object sits in its document) in front of
/// its path. Missing parent mappings are created; a missing list item is a refusal.
pub fn apply(root: &mut Value, prefix: &[Segment<'_>], op: &FixOp) -> Result<(), Refusal> {
    let full = |path: &ObjectPath| -> Vec<Segment<'static>> {
        prefix
            .iter()
            .chain(path.segments().iter())
            .map(owned)
            .collect()
    };
    match op {
        FixOp::Set { path, value } => {
            let path = full(path);
            *slot(root, &path)? = value.clone();
        }
        FixOp::Append { path, value } => {
            let path = full(path);
            let list = slot(root, &path)?;
            if list.is_null() {
                *list = Value::Array(Vec::new());
            }
            list.as_array_mut()
                .ok_or_else(|| format!("`{}` is not a list", display(&path)))?
                .push(value.clone());
        }
        FixOp::Remove { path } => {
            let path = pruned_removal(root, &full(path), prefix.len());
            let Some((last, parents)) = path.split_last() else {
                return Err("cannot remove the whole object".into());
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

fn lookup_mut<'a>(root: &'a mut Value, path: &[Segment<'_>]) -> Option<&'a mut Value> {
    path.iter().try_fold(root, |node, segment| match segment {
        Segment::Key(k) => node.as_object_mut()?.get_mut(k.as_ref()),
        Segment::Index(i) => node.as_array_mut()?.get_mut(*i),
    })
}

/// The value at `path`, creating missing (or null) mappings on the way.
fn slot<'a>(root: &'a mut Value, path: &[Segment<'_>]) -> Result<&'a mut Value, Refusal> {
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

pub fn display(path: &[Segment<'_>]) -> String {
    let mut out = ObjectPath::root();
    for segment in path {
        out = match segment {
            Segment::Key(k) => out.key(k),
            Segment::Index(i) => out.index(*i),
        };
    }
    out.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(path: &str, value: Value) -> FixOp {
        FixOp::Set {
            path: ObjectPath::parse(path),
            value,
        }
    }

    #[test]
    fn set_creates_parents_and_refuses_missing_items() {
        let mut doc = json!({"spec": {"containers": [{"name": "a"}]}});
        apply(
            &mut doc,
            &[],
            &set(
                "spec.containers[0].securityContext.privileged",
                json!(false),
            ),
        )
        .unwrap();
        assert_eq!(
            doc["spec"]["containers"][0]["securityContext"]["privileged"],
            json!(false)
        );
        let refused = apply(&mut doc, &[], &set("spec.containers[3].name", json!("x")));
        assert!(refused.unwrap_err().contains("has no item 3"));
    }

    #[test]
    fn removal_takes_emptied_parents_but_not_the_object() {
        let mut doc =
            json!({"spec": {"hostNetwork": true, "volumes": [{"hostPath": {"path": "/"}}]}});
        let op = FixOp::Remove {
            path: ObjectPath::parse("spec.volumes[0].hostPath.path"),
        };
        apply(&mut doc, &[], &op).unwrap();
        assert_eq!(doc, json!({"spec": {"hostNetwork": true}}));
        let mut lone = json!({"spec": {"hostNetwork": true}});
        let op = FixOp::Remove {
            path: ObjectPath::parse("spec.hostNetwork"),
        };
        apply(&mut lone, &[], &op).unwrap();
        assert_eq!(lone, json!({}));
    }

    #[test]
    fn prefix_places_the_object_inside_its_document() {
        let mut doc = json!({"items": [{"spec": {}}]});
        let prefix = [Segment::Key("items".into()), Segment::Index(0)];
        apply(&mut doc, &prefix, &set("spec.a", json!(1))).unwrap();
        assert_eq!(doc, json!({"items": [{"spec": {"a": 1}}]}));
    }
}
