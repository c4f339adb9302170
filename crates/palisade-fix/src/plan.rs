//! Which fixes of one document can be applied together, and in what order.

use palisade_core::{Fix, FixOp, Segment};
use serde_json::Value;

use crate::tree;

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
    /// The fixes kept, in the order they are applied.
    pub accepted: Vec<Edit>,
    pub rejected: Vec<Rejected>,
    /// The object the edited text must parse back to.
    pub expected: Value,
}

fn applied(start: &Value, edits: &[&Edit]) -> Result<Value, String> {
    let mut value = start.clone();
    for edit in edits {
        for op in &edit.fix.ops {
            tree::apply(&mut value, &edit.prefix, op)?;
        }
    }
    Ok(value)
}

/// Keeps each fix that changes the document and agrees with the fixes kept before it: two
/// fixes agree when applying them in either order gives the same object. Edits are taken in
/// control order so the choice is deterministic; identical edits (two findings asking for
/// the same change) are kept once.
pub fn plan_document(original: &Value, mut edits: Vec<Edit>) -> DocumentPlan {
    edits.sort_by(|a, b| {
        (a.control, &a.prefix_key(), &a.fix.description).cmp(&(
            b.control,
            &b.prefix_key(),
            &b.fix.description,
        ))
    });
    let mut accepted: Vec<Edit> = Vec::new();
    let mut rejected = Vec::new();
    let mut current = original.clone();
    for edit in edits {
        let reject = |reason: String| Rejected {
            control: edit.control,
            description: edit.fix.description.to_string(),
            reason,
        };
        let alone = match applied(original, &[&edit]) {
            Ok(value) => value,
            Err(reason) => {
                rejected.push(reject(reason));
                continue;
            }
        };
        if accepted
            .iter()
            .any(|kept| kept.prefix == edit.prefix && kept.fix.ops == edit.fix.ops)
        {
            continue;
        }
        let clash = accepted.iter().find(|kept| {
            let one = applied(original, &[kept, &edit]);
            let other = applied(original, &[&edit, kept]);
            !matches!((one, other), (Ok(a), Ok(b)) if a == b)
        });
        if let Some(kept) = clash {
            rejected.push(reject(format!(
                "conflicts with the fix of {} ({})",
                kept.control, kept.fix.description
            )));
            continue;
        }
        if alone == *original {
            // The object already reads as fixed (the field is implied elsewhere).
            continue;
        }
        match applied(&current, &[&edit]) {
            Ok(next) => {
                current = next;
                accepted.push(edit);
            }
            Err(reason) => rejected.push(reject(reason)),
        }
    }
    DocumentPlan {
        accepted,
        rejected,
        expected: current,
    }
}

impl Edit {
    fn prefix_key(&self) -> String {
        tree::display(&self.prefix)
    }

    /// The operations with the object's place in its document in front of their paths,
    /// removals widened as [`tree::pruned_removal`] says.
    pub(crate) fn document_ops(&self, document: &Value) -> Vec<DocumentOp> {
        self.fix
            .ops
            .iter()
            .map(|op| {
                let full = |path: &palisade_core::ObjectPath| -> Vec<Segment<'static>> {
                    let mut out = self.prefix.clone();
                    out.extend(path.segments().iter().map(|s| match s {
                        Segment::Key(k) => Segment::Key(k.to_string().into()),
                        Segment::Index(i) => Segment::Index(*i),
                    }));
                    out
                };
                match op {
                    FixOp::Set { path, value } => DocumentOp::Set(full(path), value.clone()),
                    FixOp::Append { path, value } => DocumentOp::Append(full(path), value.clone()),
                    FixOp::Remove { path } => DocumentOp::Remove(tree::pruned_removal(
                        document,
                        &full(path),
                        self.prefix.len(),
                    )),
                }
            })
            .collect()
    }
}

/// An operation on a whole document.
#[derive(Clone, Debug, PartialEq)]
pub enum DocumentOp {
    Set(Vec<Segment<'static>>, Value),
    Append(Vec<Segment<'static>>, Value),
    Remove(Vec<Segment<'static>>),
}

/// Orders a document's operations for text editing: sets and appends first (their paths
/// name items as they were), then removals from the last item backwards, so no removal
/// shifts the index of an item still to be edited.
pub fn text_order(mut ops: Vec<DocumentOp>) -> Vec<DocumentOp> {
    let key = |op: &DocumentOp| -> (u8, Vec<(u8, String, usize)>) {
        let (rank, path) = match op {
            DocumentOp::Set(p, _) | DocumentOp::Append(p, _) => (0, p),
            DocumentOp::Remove(p) => (1, p),
        };
        let steps = path
            .iter()
            .map(|s| match s {
                Segment::Key(k) => (0, k.to_string(), 0),
                Segment::Index(i) => (1, String::new(), *i),
            })
            .collect();
        (rank, steps)
    };
    ops.sort_by(|a, b| {
        let (ra, pa) = key(a);
        let (rb, pb) = key(b);
        ra.cmp(&rb)
            .then_with(|| if ra == 1 { pb.cmp(&pa) } else { pa.cmp(&pb) })
    });
    ops.dedup();
    ops
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
        let doc = json!({"spec": {"a": true}});
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
        assert_eq!(plan.expected, json!({"spec": {"a": false}}));
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
    fn removals_run_last_and_from_the_end() {
        let ops = vec![
            DocumentOp::Remove(vec![Segment::Key("v".into()), Segment::Index(0)]),
            DocumentOp::Remove(vec![Segment::Key("v".into()), Segment::Index(2)]),
            DocumentOp::Set(vec![Segment::Key("v".into()), Segment::Index(1)], json!(1)),
        ];
        let ordered = text_order(ops);
        assert!(matches!(ordered[0], DocumentOp::Set(..)));
        assert_eq!(
            ordered[1],
            DocumentOp::Remove(vec![Segment::Key("v".into()), Segment::Index(2)])
        );
    }
}
