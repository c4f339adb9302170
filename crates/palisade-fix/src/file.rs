//! One file's fixes: documents found, fixes planned, text edited and checked.

use palisade_core::{Fix, Node, Segment, Span};
use palisade_load::yaml::{Limits, parse_stream, split_documents};
use serde_json::Value;

use crate::plan::{DocumentPlan, Edit, Rejected, plan_document};
use crate::{json, tree, yaml};

/// The syntax a file is written in, and so edited in.
#[derive(Clone, Copy)]
enum Syntax {
    Yaml,
    Json,
}

/// A fix of the object that starts at `object` (the span of the object's root node, as the
/// loader recorded it: 1-based line and column in the whole file).
#[derive(Clone, Debug)]
pub struct ObjectEdit {
    pub control: &'static str,
    pub fix: Fix,
    pub object: Span,
}

/// A fix written into the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub control: &'static str,
    pub description: String,
}

/// What fixing a file gives: its new text (the old one when nothing was applied), the fixes
/// applied and those left out with the reason.
#[derive(Debug)]
pub struct FileFix {
    pub text: String,
    pub applied: Vec<Applied>,
    pub rejected: Vec<Rejected>,
}

fn rejected(edit: &ObjectEdit, reason: &str) -> Rejected {
    Rejected {
        control: edit.control,
        description: edit.fix.description.to_string(),
        reason: reason.to_string(),
    }
}

/// The one object of a document's text, or why there is none.
fn parse_one(text: &str) -> Result<Node, String> {
    let mut documents = parse_stream(text, Limits::default()).into_iter();
    match (documents.next(), documents.next()) {
        (Some(Ok(doc)), None) => Ok(doc.root),
        (Some(Err(problem)), _) => Err(problem.message),
        _ => Err("the document does not hold exactly one object".into()),
    }
}

/// Where the mapping that starts at `span` sits in `node`: the root, or an item of a `List`.
fn find_object(node: &Node, span: Span, path: &mut Vec<Segment<'static>>) -> bool {
    if node.as_map().is_some() && node.span.line == span.line && node.span.col == span.col {
        return true;
    }
    if let Some(entries) = node.as_map() {
        for entry in entries {
            path.push(Segment::Key(entry.key.to_string().into()));
            if find_object(&entry.value, span, path) {
                return true;
            }
            path.pop();
        }
    } else if let Some(items) = node.as_seq() {
        for (i, item) in items.iter().enumerate() {
            path.push(Segment::Index(i));
            if find_object(item, span, path) {
                return true;
            }
            path.pop();
        }
    }
    false
}

/// A fix written into a YAML file that is not itself an object (a chart's values, a
/// kustomization): the fix's paths start at `at` in the file's one document.
#[derive(Clone, Debug)]
pub struct ValueEdit {
    pub control: &'static str,
    pub fix: Fix,
    pub at: Vec<Segment<'static>>,
}

/// Fixes a file of one YAML mapping, with the same planning, editing and checks as
/// [`fix_text`]: the text changes only where the fixes write, and must read back as the
/// mapping with the fixes applied. A removal never takes the key at `at` itself.
pub fn fix_single_document(text: &str, edits: Vec<ValueEdit>) -> FileFix {
    let mut out = FileFix {
        text: text.to_string(),
        applied: Vec::new(),
        rejected: Vec::new(),
    };
    let reject_all = |out: &mut FileFix, edits: &[ValueEdit], reason: &str| {
        out.rejected.extend(edits.iter().map(|e| Rejected {
            control: e.control,
            description: e.fix.description.to_string(),
            reason: reason.to_string(),
        }));
    };
    let root = match parse_one(text) {
        Ok(root) if root.as_map().is_some() => root,
        Ok(_) => {
            reject_all(&mut out, &edits, "the file does not hold a mapping");
            return out;
        }
        Err(reason) => {
            reject_all(&mut out, &edits, &reason);
            return out;
        }
    };
    let located = edits
        .into_iter()
        .map(|e| Edit {
            control: e.control,
            fix: e.fix,
            prefix: e.at,
        })
        .collect();
    let (edited, applied, refused) = fix_document(Syntax::Yaml, text, &root.to_json(), located);
    out.rejected = refused;
    if !applied.is_empty() {
        out.text = edited;
        out.applied = applied;
    }
    out
}

/// Fixes `text`, a YAML stream or a JSON document (edited in its own syntax by [`json`]).
pub fn fix_text(text: &str, edits: Vec<ObjectEdit>) -> FileFix {
    let mut out = FileFix {
        text: text.to_string(),
        applied: Vec::new(),
        rejected: Vec::new(),
    };
    let syntax = if json::is_json(text) {
        Syntax::Json
    } else {
        Syntax::Yaml
    };
    let mut new_text = String::with_capacity(text.len() + 256);
    let mut pending = edits;
    for chunk in split_documents(text) {
        let lines = chunk.text.lines().count() as u32;
        let (mine, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|e| {
            e.object.line > chunk.first_line && e.object.line <= chunk.first_line + lines
        });
        pending = rest;
        if mine.is_empty() {
            new_text.push_str(chunk.text);
            continue;
        }
        let relative = |e: &ObjectEdit| Span {
            line: e.object.line - chunk.first_line,
            ..e.object
        };
        let root = match parse_one(chunk.text) {
            Ok(root) => root,
            Err(reason) => {
                out.rejected
                    .extend(mine.iter().map(|e| rejected(e, &reason)));
                new_text.push_str(chunk.text);
                continue;
            }
        };
        let mut located = Vec::new();
        for edit in mine {
            let mut prefix = Vec::new();
            if find_object(&root, relative(&edit), &mut prefix) {
                located.push(Edit {
                    control: edit.control,
                    fix: edit.fix,
                    prefix,
                });
            } else {
                out.rejected.push(rejected(
                    &edit,
                    "the object was not found where it was loaded from",
                ));
            }
        }
        let (edited, applied, refused) = fix_document(syntax, chunk.text, &root.to_json(), located);
        new_text.push_str(&edited);
        out.applied.extend(applied);
        out.rejected.extend(refused);
    }
    out.rejected.extend(
        pending
            .iter()
            .map(|e| rejected(e, "the object was not found in the file")),
    );
    if !out.applied.is_empty() {
        out.text = new_text;
    }
    out
}

/// Applies a document's fixes. An edit that cannot be written, or whose text would not
/// read back as the object the fixes describe, is left out with the reason, and the others
/// are tried again without it.
fn fix_document(
    syntax: Syntax,
    text: &str,
    original: &Value,
    edits: Vec<Edit>,
) -> (String, Vec<Applied>, Vec<Rejected>) {
    let mut plan = plan_document(original, edits);
    let mut refused = std::mem::take(&mut plan.rejected);
    let refuse = |edit: &Edit, reason: String| Rejected {
        control: edit.control,
        description: edit.fix.description.to_string(),
        reason,
    };
    loop {
        let reason = match edit_text(syntax, text, original, &plan) {
            Ok(edited) => {
                let applied = plan
                    .accepted
                    .iter()
                    .map(|e| Applied {
                        control: e.control,
                        description: e.fix.description.to_string(),
                    })
                    .collect();
                return (edited, applied, refused);
            }
            Err(reason) => reason,
        };
        // The edits that fail on their own go, and the rest are tried again; when none fails
        // alone, they fail together and the document is left as it was.
        let mut kept = Vec::new();
        let mut failed_alone = false;
        for edit in std::mem::take(&mut plan.accepted) {
            match edit_text(
                syntax,
                text,
                original,
                &plan_document(original, vec![edit.clone()]),
            ) {
                Ok(_) => kept.push(edit),
                Err(own) => {
                    failed_alone = true;
                    refused.push(refuse(&edit, own));
                }
            }
        }
        if !failed_alone {
            refused.extend(kept.iter().map(|e| refuse(e, reason.clone())));
            return (text.to_string(), Vec::new(), refused);
        }
        if kept.is_empty() {
            return (text.to_string(), Vec::new(), refused);
        }
        plan = plan_document(original, kept);
    }
}

/// `text` with every line ending written `\r\n`: the lines an edit adds follow a Windows
/// file's line endings.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.push_str(body.strip_suffix('\r').unwrap_or(body));
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    out
}

fn edit_text(
    syntax: Syntax,
    text: &str,
    original: &Value,
    plan: &DocumentPlan,
) -> Result<String, String> {
    let mut current_text = text.to_string();
    // Each edit locates its place from the object as the edits before it leave it, taken as
    // data: parsing the text again after every edit cost more than the edits. The text is read
    // back once at the end, and must then be exactly that object.
    let mut current = original.clone();
    for op in &plan.ops {
        current_text = match syntax {
            Syntax::Yaml => yaml::apply(&current_text, &current, op)?,
            Syntax::Json => json::apply(&current_text, &current, op)?,
        };
        tree::apply(&mut current, op)?;
    }
    // A file written with `\r\n` throughout gets its new lines the same way; one that mixes
    // both is left as the edit wrote it, so no untouched line changes.
    if text.contains('\n')
        && text
            .split_inclusive('\n')
            .all(|l| !l.ends_with('\n') || l.ends_with("\r\n"))
    {
        current_text = crlf(&current_text);
    }
    // yamlpatch ends what it writes with a newline; a file that had none keeps it that way.
    if !text.ends_with('\n') && current_text.ends_with('\n') {
        current_text.pop();
        if current_text.ends_with('\r') {
            current_text.pop();
        }
    }
    if current != plan.expected || parse_one(&current_text)?.to_json() != plan.expected {
        return Err("the edited text would not read back as the fixed object".into());
    }
    Ok(current_text)
}
