//! Edits of one YAML document's text.
//!
//! `yamlpatch` replaces scalars (keeping their quoting) and removes mapping entries. What it
//! cannot express safely is done here on byte ranges that `yamlpath` locates:
//! - adding a nested value to a block mapping: its own rendering re-indents every nested line
//!   to two spaces under the key and flattens deeper levels, so new entries are rendered by
//!   [`crate::render`] in the document's own layout and inserted after the mapping's last line;
//! - appending to a sequence: it refuses flow sequences and renders block items its own way;
//! - removing a list item: its line-based removal leaves a dangling `-` for items that start
//!   on a dash line, and takes the whole line with an item of a flow sequence;
//! - removing the field that shares a list item's dash line, for the same reason.
//!
//! Flow collections are only edited where the edit stays on their line. Anything else is
//! refused with a reason rather than risked; the caller also checks that every edited
//! document reads back as the object it expects.

use palisade_core::Segment;
use serde_json::Value;
use yamlpatch::{Op, Patch, Style};
use yamlpath::{Component, Document, Feature, Route};

use crate::render::{self, Layout};
use crate::tree::{self, DocumentOp};

fn route(path: &[Segment<'_>]) -> Route<'static> {
    Route::from(
        path.iter()
            .map(|s| match s {
                Segment::Key(k) => Component::Key(k.to_string().into()),
                Segment::Index(i) => Component::Index(*i),
            })
            .collect::<Vec<_>>(),
    )
}

fn yaml_value(value: &Value) -> Result<serde_yaml::Value, String> {
    serde_yaml::to_value(value).map_err(|e| e.to_string())
}

fn feature<'d>(doc: &'d Document, path: &[Segment<'_>]) -> Result<Feature<'d>, String> {
    if path.is_empty() {
        return doc.top_feature().map_err(|e| e.to_string());
    }
    doc.query_exact(&route(path))
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("`{}` is empty", tree::display(path)))
}

fn comment_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| l.starts_with('#'))
}

/// Applies one operation to `text`, whose object is `current`. An edit that would take a
/// comment line with it (a comment inside a removed mapping) is refused: the comment may be
/// the reason the field is there, and a person should decide.
pub fn apply(text: &str, current: &Value, op: &DocumentOp) -> Result<String, String> {
    let edited = edit(text, current, op)?;
    if !comment_lines(text).eq(comment_lines(&edited)) {
        return Err(format!(
            "a comment sits inside `{}`; edit it by hand",
            tree::display(op.path())
        ));
    }
    Ok(edited)
}

fn edit(text: &str, current: &Value, op: &DocumentOp) -> Result<String, String> {
    let doc = Document::new(text).map_err(|e| format!("cannot edit this document: {e}"))?;
    match op {
        DocumentOp::Set(path, value) => set(&doc, current, path, value),
        DocumentOp::Append(path, value) => match tree::lookup(current, path) {
            Some(Value::Array(_)) => append(&doc, path, value),
            Some(Value::Null) | None => {
                set(&doc, current, path, &Value::Array(vec![value.clone()]))
            }
            Some(_) => Err(format!("`{}` is not a list", tree::display(path))),
        },
        // Pruned against the document as it is now, as `tree::apply` does.
        DocumentOp::Remove { path, floor } => {
            remove(&doc, tree::pruned_removal(current, path, *floor))
        }
    }
}

fn patched(doc: &Document, path: &[Segment<'_>], operation: Op<'static>) -> Result<String, String> {
    let patch = Patch {
        route: route(path),
        operation,
    };
    yamlpatch::apply_yaml_patches(doc, &[patch])
        .map(|d| d.source().to_string())
        .map_err(|e| format!("cannot edit `{}`: {e}", tree::display(path)))
}

fn set(
    doc: &Document,
    current: &Value,
    path: &[Segment<'_>],
    value: &Value,
) -> Result<String, String> {
    // The deepest part of the path that exists already.
    let existing = (0..=path.len())
        .rev()
        .find(|&n| tree::lookup(current, &path[..n]).is_some())
        .unwrap_or(0);
    if existing == path.len() {
        return match tree::lookup(current, path) {
            Some(Value::Object(_) | Value::Array(_)) if value.is_object() || value.is_array() => {
                Err(format!(
                    "replacing the collection at `{}` is not supported",
                    tree::display(path)
                ))
            }
            _ => patched(doc, path, Op::Replace(yaml_value(value)?)),
        };
    }
    let (parent, missing) = path.split_at(existing);
    let Segment::Key(key) = &missing[0] else {
        return Err(format!("`{}` has no such item", tree::display(parent)));
    };
    // What goes under the first missing key: the rest of the path, nested.
    let nested = tree::nested(value, &missing[1..], path)?;
    match tree::lookup(current, parent) {
        Some(Value::Object(_)) => {}
        Some(Value::Null) => {
            return Err(format!(
                "`{}` is empty; write it out as a mapping first",
                tree::display(parent)
            ));
        }
        _ => return Err(format!("`{}` is not a mapping", tree::display(parent))),
    }
    let mapping = feature(doc, parent)?;
    match Style::from_feature(&mapping, doc) {
        Style::BlockMapping => {
            let indent = yamlpatch::extract_leading_indentation_for_block_item(doc, &mapping);
            let mut lines = String::new();
            render::entry(
                key,
                &nested,
                indent,
                Layout::detect(doc.source()),
                &mut lines,
            );
            Ok(insert_after(doc, &mapping, &lines))
        }
        // One-line flow mappings, `{}` included, take the key inline.
        Style::FlowMapping => patched(
            doc,
            parent,
            Op::Add {
                key: key.to_string(),
                value: yaml_value(&nested)?,
            },
        ),
        _ => Err(format!(
            "cannot add to the multi-line flow mapping at `{}`",
            tree::display(parent)
        )),
    }
}

/// Inserts whole lines after the last content line of `feature` (trailing comments and blank
/// lines stay where they are, after the new lines).
fn insert_after(doc: &Document, feature: &Feature<'_>, lines: &str) -> String {
    let source = doc.source();
    let at = yamlpatch::find_content_end(feature, doc);
    let mut out = String::with_capacity(source.len() + lines.len() + 1);
    out.push_str(&source[..at]);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(lines);
    let rest = &source[at..];
    out.push_str(rest.strip_prefix('\n').unwrap_or(rest));
    out
}

fn append(doc: &Document, path: &[Segment<'_>], value: &Value) -> Result<String, String> {
    let list = feature(doc, path)?;
    match Style::from_feature(&list, doc) {
        Style::BlockSequence => {
            let column = list.location.point_span.0.1;
            let mut lines = String::new();
            render::item(value, column, Layout::detect(doc.source()), &mut lines);
            Ok(insert_after(doc, &list, &lines))
        }
        Style::FlowSequence => {
            // `[a, b]` → `[a, b, new]`; `[]` → `[new]`.
            let (start, end) = list.location.byte_span;
            let source = doc.source();
            let body = &source[start..end];
            let close = body.rfind(']').ok_or("malformed flow sequence")?;
            let empty = body[1..close].trim().is_empty();
            let separator = if empty { "" } else { ", " };
            let mut out = String::with_capacity(source.len() + 32);
            out.push_str(&source[..start]);
            out.push_str(body[..close].trim_end());
            out.push_str(separator);
            out.push_str(&render::flow(value));
            out.push_str(&body[close..]);
            out.push_str(&source[end..]);
            Ok(out)
        }
        _ => Err(format!(
            "cannot append to the multi-line flow sequence at `{}`",
            tree::display(path)
        )),
    }
}

/// Removes an entry that shares its line with a list item's dash (`- hostPort: 80`): the
/// next entry of the item moves up onto the dash line. `None` when the entry has a line of
/// its own, which `yamlpatch` removes whole.
fn remove_first_entry_of_item(
    doc: &Document,
    path: &[Segment<'_>],
) -> Result<Option<String>, String> {
    let key = doc
        .query_key_only(&route(path))
        .map_err(|e| e.to_string())?;
    let source = doc.source();
    let key_start = key.location.byte_span.0;
    let line_start = source[..key_start].rfind('\n').map_or(0, |i| i + 1);
    let before = &source[line_start..key_start];
    if !before.trim_start().starts_with('-') || !before.trim_start()[1..].trim().is_empty() {
        return Ok(None);
    }
    let column = key_start - line_start;
    let value = doc.query_pretty(&route(path)).map_err(|e| e.to_string())?;
    // The next line that starts at the key's column holds the item's next entry.
    let mut offset = source[value.location.byte_span.1..]
        .find('\n')
        .map_or(source.len(), |i| value.location.byte_span.1 + i + 1);
    while offset < source.len() {
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i + 1);
        let line = &source[offset..line_end];
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if content.starts_with('#') {
            return Err("a comment sits between the removed field and the next one".into());
        }
        if !content.is_empty() {
            if indent != column {
                return Err("the list item has no field to move up onto its dash line".into());
            }
            return Ok(Some(format!(
                "{}{}",
                &source[..key_start],
                &source[offset + indent..]
            )));
        }
        offset = line_end;
    }
    Err("the list item has no field to move up onto its dash line".into())
}

fn remove(doc: &Document, path: &[Segment<'_>]) -> Result<String, String> {
    let Some((last, parent)) = path.split_last() else {
        return Err("cannot remove the whole object".into());
    };
    let container = feature(doc, parent)?;
    let style = Style::from_feature(&container, doc);
    match (last, style) {
        (Segment::Key(_), Style::BlockMapping) => match remove_first_entry_of_item(doc, path)? {
            Some(text) => Ok(text),
            None => patched(doc, path, Op::Remove),
        },
        (Segment::Index(_), Style::BlockSequence) => {
            let item = feature(doc, path)?;
            let source = doc.source();
            // From the start of the dash's line to the end of the item's last content line.
            let dash_line_start = source[..item.location.byte_span.0]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let end = yamlpatch::find_content_end(&item, doc);
            let end = if source[..end].ends_with('\n') {
                end
            } else {
                source[end..]
                    .find('\n')
                    .map_or(source.len(), |i| end + i + 1)
            };
            Ok(format!("{}{}", &source[..dash_line_start], &source[end..]))
        }
        (Segment::Index(i), Style::FlowSequence) => {
            // `[a, b, c]`: an item goes with the separator before it (the one after it, for
            // the first item), so the others keep their spelling and quotes.
            let span = |index: usize| -> Result<(usize, usize), String> {
                let mut item = parent.to_vec();
                item.push(Segment::Index(index));
                Ok(feature(doc, &item)?.location.byte_span)
            };
            let (start, end) = span(*i)?;
            let (from, to) = if *i > 0 {
                (span(i - 1)?.1, end)
            } else {
                (start, span(1)?.0)
            };
            let source = doc.source();
            Ok(format!("{}{}", &source[..from], &source[to..]))
        }
        _ => Err(format!(
            "cannot remove from the flow collection at `{}`",
            tree::display(parent)
        )),
    }
}
