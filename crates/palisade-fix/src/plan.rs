//! Which fixes of one document can be applied together, and in what order.

use palisade_core::{Fix, FixOp, Segment};
use serde_json::Value;

use crate::tree::{self, DocumentOp};

/// A fix of one object, as the caller hands it over.
#[derive(Clone, Debug)]
pub struct Edit {
    pub control: &'static str,
    pub fix: Fix,
    /// Where the object sits in its document: empty for a whole document, `items[i]` for an
    /// item of a `List`.
    pub prefix: Vec<Segment<'static>>,
}

/// An edit left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub control: &'static str,
    pub description: String,
    pub reason: String,
}

/// What one document will become.
#[derive(Debug)]
pub struct DocumentPlan {
    /// The fixes kept.
    pub accepted: Vec<Edit>,
    pub rejected: Vec<Rejected>,
    /// The operations of the kept fixes, in the order they are applied.
    pub ops: Vec<DocumentOp>,
    /// The object the edited text must parse back to.
    pub expected: Value,
}

impl Edit {
    /// The operations with the object's place in its document in front of their paths.
    pub fn document_ops(&self) -> Vec<DocumentOp> {
        let full = |path: &palisade_core::ObjectPath| -> Vec<Segment<'static>> {
            let mut out = self.prefix.clone();
            out.extend(path.owned_segments());
            out
        };
        self.fix
            .ops
            .iter()
            .map(|op| match op {
                FixOp::Set { path, value } => DocumentOp::Set(full(path), value.clone()),
                FixOp::Append { path, value } => DocumentOp::Append(full(path), value.clone()),
                FixOp::Remove { path } => DocumentOp::Remove {
                    path: full(path),
                    floor: self.prefix.len(),
                },
            })
            .collect()
    }
}

/// Orders operations for editing: sets and appends first (their paths name list items as
/// they were), then removals from the last item backwards, so no removal shifts the index of
/// an item still to be edited. Identical operations are kept once.
pub fn text_order(mut ops: Vec<DocumentOp>) -> Vec<DocumentOp> {
    fn steps(path: &[Segment<'_>]) -> Vec<(u8, String, usize)> {
        path.iter()
            .map(|s| match s {
                Segment::Key(k) => (0, k.to_string(), 0),
                Segment::Index(i) => (1, String::new(), *i),
            })
            .collect()
    }
    let removal = |op: &DocumentOp| matches!(op, DocumentOp::Remove { .. });
    ops.sort_by(|a, b| {
        removal(a).cmp(&removal(b)).then_with(|| {
            let (pa, pb) = (steps(a.path()), steps(b.path()));
            if removal(a) { pb.cmp(&pa) } else { pa.cmp(&pb) }
        })
    });
    ops.dedup();
    ops
}

fn applied(original: &Value, ops: &[DocumentOp]) -> Result<Value, String> {
    let mut value = original.clone();
    for op in text_order(ops.to_vec()) {
        tree::apply(&mut value, &op)?;
    }
    Ok(value)
}

fn starts_with(path: &[Segment<'_>], prefix: &[Segment<'_>]) -> bool {
    path.len() >= prefix.len() && path.iter().zip(prefix).all(|(a, b)| a == b)
}

/// Whether both sets of operations keep their effect when applied together: each set value
/// and appended item is there afterwards, and nothing is removed from under another edit.
fn agree(original: &Value, a: &[DocumentOp], b: &[DocumentOp]) -> bool {
    let both: Vec<DocumentOp> = a.iter().chain(b).cloned().collect();
    let Ok(result) = applied(original, &both) else {
        return false;
    };
    let removes_under = |ops: &[DocumentOp], others: &[DocumentOp]| {
        ops.iter().any(|op| match op {
            DocumentOp::Remove { path, .. } => others
                .iter()
                .any(|o| o != op && starts_with(o.path(), path)),
            _ => false,
        })
    };
    let kept = |op: &DocumentOp| match op {
        DocumentOp::Set(path, value) => tree::lookup(&result, path) == Some(value),
        DocumentOp::Append(path, value) => tree::lookup(&result, path)
            .and_then(Value::as_array)
            .is_some_and(|items| items.contains(value)),
        DocumentOp::Remove { .. } => true,
    };
    !removes_under(a, b) && !removes_under(b, a) && both.iter().all(kept)
}

/// Keeps each fix that changes the document and agrees with the fixes kept before it (see
/// [`agree`]). Edits are taken in control order so the choice is deterministic; identical
/// edits (two findings asking for the same change) are kept once.
pub fn plan_document(original: &Value, mut edits: Vec<Edit>) -> DocumentPlan {
    edits.sort_by(|a, b| {
        (a.control, tree::display(&a.prefix), &a.fix.description).cmp(&(
            b.control,
            tree::display(&b.prefix),
            &b.fix.description,
        ))
    });
    let mut accepted: Vec<(Edit, Vec<DocumentOp>)> = Vec::new();
    let mut rejected = Vec::new();
    for edit in edits {
        let ops = edit.document_ops();
        let reject = |reason: String| Rejected {
            control: edit.control,
            description: edit.fix.description.to_string(),
            reason,
        };
        match applied(original, &ops) {
            Err(reason) => {
                rejected.push(reject(reason));
                continue;
            }
            // The object already reads as fixed.
            Ok(alone) if alone == *original => continue,
            Ok(_) => {}
        }
        if accepted.iter().any(|(_, kept)| *kept == ops) {
            continue;
        }
        if let Some((kept, _)) = accepted
            .iter()
            .find(|(_, kept)| !agree(original, kept, &ops))
        {
            rejected.push(reject(format!(
                "conflicts with the fix of {} ({})",
                kept.control, kept.fix.description
            )));
            continue;
        }
        accepted.push((edit, ops));
    }
    let ops = text_order(accepted.iter().flat_map(|(_, ops)| ops.clone()).collect());
    let expected = applied(original, &ops).unwrap_or_else(|_| original.clone());
    DocumentPlan {
        accepted: accepted.into_iter().map(|(edit, _)| edit).collect(),
        rejected,
        ops,
        expected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{FixSafety, ObjectPath};
    use serde_json::json;

    fn edit(control: &'static str, fix: Fix) -> Edit {
        Edit {
            control,
            fix,
            prefix: Vec::new(),
        }
    }

    #[test]
    fn conflicting_fixes_are_reported_and_the_first_kept() {
        let doc = json!({"kind": "Pod", "spec": {"a": true}});
        let set = Fix::set(
            "a off",
            FixSafety::Safe,
            ObjectPath::parse("spec.a"),
            json!(false),
        );
        let remove = Fix::remove("drop a", FixSafety::Safe, ObjectPath::parse("spec.a"));
        let plan = plan_document(&doc, vec![edit("POD-002", remove), edit("POD-001", set)]);
        assert_eq!(plan.accepted.len(), 1);
        assert_eq!(plan.accepted[0].control, "POD-001");
        assert_eq!(plan.rejected.len(), 1);
        assert!(
            plan.rejected[0]
                .reason
                .contains("conflicts with the fix of POD-001")
        );
        assert_eq!(plan.expected, json!({"kind": "Pod", "spec": {"a": false}}));
    }

    #[test]
    fn identical_and_independent_fixes_are_all_kept_once() {
        let doc = json!({"spec": {}});
        let a = Fix::set("a", FixSafety::Safe, ObjectPath::parse("spec.a"), json!(1));
        let b = Fix::set("b", FixSafety::Safe, ObjectPath::parse("spec.b"), json!(2));
        let plan = plan_document(
            &doc,
            vec![edit("X-1", a.clone()), edit("X-2", b), edit("X-3", a)],
        );
        assert_eq!(plan.accepted.len(), 2);
        assert!(plan.rejected.is_empty());
        assert_eq!(plan.expected, json!({"spec": {"a": 1, "b": 2}}));
    }

    #[test]
    fn removals_of_several_items_of_one_list_all_apply() {
        let doc = json!({"kind": "Pod", "add": ["A", "B", "C", "D"]});
        let remove = |i: usize| {
            edit(
                "X-1",
                Fix::remove(
                    format!("remove {i}"),
                    FixSafety::Safe,
                    ObjectPath::parse(&format!("add[{i}]")),
                ),
            )
        };
        let plan = plan_document(&doc, vec![remove(0), remove(2), remove(3)]);
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        assert_eq!(plan.expected, json!({"kind": "Pod", "add": ["B"]}));
        let all = plan_document(&doc, (0..4).map(remove).collect());
        assert_eq!(all.expected, json!({"kind": "Pod"}));
    }

    #[test]
    fn an_edit_inside_a_removed_item_conflicts() {
        let doc = json!({"kind": "Pod", "v": [{"a": 1}, {"a": 2}]});
        let plan = plan_document(
            &doc,
            vec![
                edit(
                    "X-1",
                    Fix::remove("remove", FixSafety::Safe, ObjectPath::parse("v[0]")),
                ),
                edit(
                    "X-2",
                    Fix::set(
                        "set",
                        FixSafety::Safe,
                        ObjectPath::parse("v[0].a"),
                        json!(3),
                    ),
                ),
            ],
        );
        assert_eq!(plan.rejected.len(), 1);
        assert_eq!(plan.expected, json!({"kind": "Pod", "v": [{"a": 2}]}));
    }
}
