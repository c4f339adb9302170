//! Reading a Helm template around a field: the line that writes it (or the nearest enclosing
//! key that the template writes), and the `.Values` references that may produce it.
//!
//! Templates are text with Go template actions, not YAML, so nothing here parses them as YAML.
//! Lines are read for their indentation and keys; actions (`{{ … }}`) for the values they read,
//! with `with` blocks followed so that `toYaml .` means the value the block opened. What this
//! finds is a list of candidates, not an answer: the caller renders the chart with each
//! candidate edited and keeps one only when the output changes exactly as the fix intends.

use std::ops::Range;

use palisade_core::Segment;

/// Where the template writes a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spot {
    /// 1-based line in the template file; `None` when not even the object's first key was found.
    pub line: Option<usize>,
    /// The field's own line (`true`), or the line of the deepest enclosing key or list item that
    /// the template writes (`false`: the field would go under it).
    pub exact: bool,
    /// The key (or `-` item) written on that line.
    pub key: String,
}

/// A value that may produce the field: the content of `.Values.<value>` is written at the
/// first `mount` segments of the field's path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueSource {
    pub value: Vec<String>,
    pub mount: usize,
}

#[derive(Debug)]
struct Line<'t> {
    /// 1-based line in the file.
    number: usize,
    /// Column of the first character that is not a space.
    start: usize,
    /// Column of the key (after `- ` on a list item's line).
    key_col: usize,
    dash: bool,
    /// The key written on the line, when it writes one.
    key: Option<&'t str>,
    /// The line holds only template actions (`{{- toYaml . | nindent 8 }}`, `{{- end }}`).
    action_only: bool,
    /// Blank or a YAML comment: neither content nor actions.
    empty: bool,
}

impl Line<'_> {
    fn content(&self) -> bool {
        !self.empty && !self.action_only
    }
}

/// The text of a line with its template actions removed.
fn without_actions(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        match rest[open..].find("}}") {
            Some(close) => rest = &rest[open + close + 2..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

fn read_line(number: usize, text: &str) -> Line<'_> {
    let start = text.len() - text.trim_start_matches(' ').len();
    let body = &text[start..];
    let (dash, after_dash) = match body.strip_prefix("- ") {
        Some(rest) => (true, rest.trim_start_matches(' ')),
        None if body == "-" => (true, ""),
        None => (false, body),
    };
    let key_col = text.len() - after_dash.len();
    let plain = without_actions(body);
    let empty = body.trim().is_empty() || body.starts_with('#');
    let action_only = !empty && plain.trim().is_empty();
    let key = (!empty && !action_only && !after_dash.starts_with("{{"))
        .then(|| {
            let end = after_dash
                .find(": ")
                .or_else(|| after_dash.strip_suffix(':').map(str::len))
                .or_else(|| {
                    let trimmed = after_dash.trim_end();
                    trimmed.strip_suffix(':').map(str::len)
                })?;
            let key = after_dash[..end].trim();
            let key = key
                .strip_prefix('"')
                .and_then(|k| k.strip_suffix('"'))
                .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')))
                .unwrap_or(key);
            (!key.is_empty() && !key.contains("{{")).then_some(key)
        })
        .flatten();
    Line {
        number,
        start,
        key_col,
        dash,
        key,
        action_only,
        empty,
    }
}

/// What `.` means at a point of the template.
#[derive(Clone, Debug, PartialEq)]
enum Dot {
    /// The top-level context: `.Values.x` reads a value, `.` is not a value.
    Root,
    /// Inside `with .Values.x`: `.` is that value.
    Value(Vec<String>),
    /// Inside `range` or a `with` of something else.
    Unknown,
}

/// A value read by an action, and the line the action starts on.
#[derive(Debug, PartialEq)]
struct Reference {
    line: usize,
    value: Vec<String>,
}

fn value_path(token: &str, dot: &Dot) -> Option<Vec<String>> {
    let token = token.trim_matches(|c| c == '(' || c == ')');
    let split = |rest: &str| -> Vec<String> {
        rest.split('.')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    if let Some(rest) = token
        .strip_prefix(".Values.")
        .or_else(|| token.strip_prefix("$.Values."))
    {
        let path = split(rest);
        return (!path.is_empty()).then_some(path);
    }
    let Dot::Value(base) = dot else {
        return None;
    };
    if token == "." {
        return Some(base.clone());
    }
    let rest = token.strip_prefix('.')?;
    if rest.is_empty() || !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let mut path = base.clone();
    path.extend(split(rest));
    Some(path)
}

fn references_in(expression: &str, dot: &Dot) -> Vec<Vec<String>> {
    expression
        .split(|c: char| c.is_whitespace() || c == '|' || c == ',')
        .filter_map(|token| value_path(token, dot))
        .collect()
}

/// Every value the actions of `text` read, following `with` and `range` blocks.
fn references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    // One entry per open block: the dot inside it and the dot outside (for `else`).
    let mut blocks: Vec<(Dot, Dot)> = Vec::new();
    let mut dot = Dot::Root;
    let mut rest = text;
    let mut line = 1;
    while let Some(open) = rest.find("{{") {
        line += rest[..open].matches('\n').count();
        let Some(close) = rest[open..].find("}}") else {
            break;
        };
        let inner = &rest[open + 2..open + close];
        let action_line = line;
        line += inner.matches('\n').count();
        rest = &rest[open + close + 2..];
        let action = inner.trim_matches('-').trim();
        if action.starts_with("/*") {
            continue;
        }
        let word = action.split_whitespace().next().unwrap_or("");
        let argument = &action[word.len()..];
        match word {
            "with" => {
                // The value itself is not a reference here: what the block writes is read
                // through `.` inside it.
                let inside = references_in(argument, &dot)
                    .into_iter()
                    .next()
                    .map_or(Dot::Unknown, Dot::Value);
                blocks.push((inside.clone(), dot.clone()));
                dot = inside;
            }
            "range" | "define" | "block" => {
                blocks.push((Dot::Unknown, dot.clone()));
                dot = Dot::Unknown;
            }
            "if" => blocks.push((dot.clone(), dot.clone())),
            "else" => {
                if let Some((_, outside)) = blocks.last() {
                    dot = outside.clone();
                }
            }
            "end" => {
                if let Some((_, outside)) = blocks.pop() {
                    dot = outside;
                }
            }
            _ => out.extend(
                references_in(action, &dot)
                    .into_iter()
                    .map(|value| Reference {
                        line: action_line,
                        value,
                    }),
            ),
        }
    }
    out
}

/// The lines that belong under the key or item on line `at` (indices into `lines`): the
/// following lines up to the first content line that is not indented deeper. A list written
/// at its key's own indentation (`containers:` then `- name: a` at the same column) belongs
/// to the key.
fn block(lines: &[Line<'_>], at: usize, item: bool) -> Range<usize> {
    let head = &lines[at];
    let end = lines[at + 1..]
        .iter()
        .position(|l| {
            l.content()
                && if item {
                    l.start <= head.start
                } else {
                    l.start < head.key_col || (l.start == head.key_col && !l.dash)
                }
        })
        .map_or(lines.len(), |i| at + 1 + i);
    at + 1..end
}

/// A template document read around one field.
pub struct Reading {
    pub spot: Spot,
    pub sources: Vec<ValueSource>,
}

/// Reads the document of `template` on `document` (0-based line range) around the field at
/// `path` (from the object's root).
pub fn read(template: &str, document: Range<usize>, path: &[Segment<'_>]) -> Reading {
    let texts: Vec<&str> = template.lines().collect();
    let document = document.start.min(texts.len())..document.end.min(texts.len());
    let lines: Vec<Line<'_>> = texts[document.clone()]
        .iter()
        .enumerate()
        .map(|(i, text)| read_line(document.start + i + 1, text))
        .collect();
    let document_text = texts[document.clone()].join("\n");
    let refs: Vec<Reference> = references(&document_text)
        .into_iter()
        .map(|r| Reference {
            line: r.line + document.start,
            ..r
        })
        .collect();
    let has_range = |region: &Range<usize>| {
        region.clone().any(|i| {
            lines[i].action_only && {
                let text = texts[lines[i].number - 1];
                text.contains("{{- range") || text.contains("{{ range")
            }
        })
    };

    // The chain of lines that write the path's segments: for a key, the line with that key
    // among the direct children of the region; for an index, that item of the region's list.
    let mut chain: Vec<(usize, bool)> = Vec::new();
    let mut region = 0..lines.len();
    let mut ambiguous = false;
    // The item just entered: its dash line holds its first key.
    let mut item_head: Option<usize> = None;
    for segment in path {
        let candidates: Vec<usize> = item_head
            .into_iter()
            .chain(region.clone())
            .filter(|&i| lines[i].content())
            .collect();
        match segment {
            Segment::Key(key) => {
                let Some(col) = candidates.iter().map(|&i| lines[i].key_col).min() else {
                    break;
                };
                let found: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| lines[i].key_col == col && lines[i].key == Some(key.as_ref()))
                    .collect();
                let Some(&first) = found.first() else {
                    break;
                };
                ambiguous |= found.len() > 1;
                chain.push((first, false));
                region = block(&lines, first, false);
                item_head = None;
            }
            Segment::Index(index) => {
                if has_range(&region) {
                    break;
                }
                let Some(col) = candidates
                    .iter()
                    .filter(|&&i| lines[i].dash)
                    .map(|&i| lines[i].start)
                    .min()
                else {
                    break;
                };
                let items: Vec<usize> = candidates
                    .iter()
                    .copied()
                    .filter(|&i| lines[i].dash && lines[i].start == col)
                    .collect();
                let Some(&item) = items.get(*index) else {
                    break;
                };
                chain.push((item, true));
                region = block(&lines, item, true);
                item_head = Some(item);
            }
        }
    }

    let spot = match chain.last() {
        Some(&(i, item)) => Spot {
            line: Some(lines[i].number),
            exact: chain.len() == path.len() && !ambiguous,
            key: if item {
                "-".into()
            } else {
                lines[i].key.unwrap_or("").to_string()
            },
        },
        None => Spot {
            line: None,
            exact: false,
            key: String::new(),
        },
    };

    // Values read on the line of a chained key, or by an action line directly under it (not
    // inside one of its other children), are written at that key. Deepest first.
    let mut sources: Vec<ValueSource> = Vec::new();
    for (depth, &(at, item)) in chain.iter().enumerate().rev() {
        let mount = depth + 1;
        let under = block(&lines, at, item);
        let mut lines_here = vec![lines[at].number];
        let mut child_col: Option<usize> = None;
        for i in under {
            let line = &lines[i];
            if line.content() {
                child_col.get_or_insert(line.start);
                continue;
            }
            let inside_other_child = child_col.is_some_and(|col| line.start > col);
            if line.action_only && !inside_other_child {
                lines_here.push(line.number);
            }
        }
        for number in lines_here {
            for reference in refs.iter().filter(|r| r.line == number) {
                let source = ValueSource {
                    value: reference.value.clone(),
                    mount,
                };
                if !sources.contains(&source) {
                    sources.push(source);
                }
            }
        }
    }
    Reading { spot, sources }
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::ObjectPath;

    const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "demo.fullname" . }}
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          securityContext:
            {{- toYaml .Values.securityContext | nindent 12 }}
          ports:
            - containerPort: 80
              hostPort: 8080
        - name: sidecar
          image: busybox
          securityContext:
            privileged: {{ .Values.sidecar.privileged }}
"#;

    fn at(path: &str) -> Reading {
        let path = ObjectPath::parse(path);
        read(DEPLOYMENT, 0..usize::MAX, &path.segments())
    }

    fn source(value: &str, mount: usize) -> ValueSource {
        ValueSource {
            value: value.split('.').map(str::to_string).collect(),
            mount,
        }
    }

    #[test]
    fn a_field_inside_to_yaml_of_a_value_is_found_under_its_key() {
        let r = at("spec.template.spec.containers[0].securityContext.runAsNonRoot");
        assert_eq!(r.spot.line, Some(15));
        assert!(!r.spot.exact);
        assert_eq!(r.spot.key, "securityContext");
        assert_eq!(r.sources, vec![source("securityContext", 6)]);
    }

    #[test]
    fn with_blocks_name_the_value_that_dot_stands_for() {
        let r = at("spec.template.spec.securityContext.runAsNonRoot");
        assert_eq!(r.spot.line, Some(9));
        assert_eq!(r.sources, vec![source("podSecurityContext", 4)]);
    }

    #[test]
    fn a_hard_coded_field_has_its_exact_line_and_no_value() {
        let r = at("spec.template.spec.containers[0].ports[0].hostPort");
        assert_eq!(r.spot.line, Some(19));
        assert!(r.spot.exact);
        assert!(r.sources.is_empty(), "{:?}", r.sources);
    }

    #[test]
    fn a_scalar_value_is_found_on_the_fields_line() {
        let r = at("spec.template.spec.containers[1].securityContext.privileged");
        assert_eq!(r.spot.line, Some(23));
        assert!(r.spot.exact);
        assert_eq!(r.sources, vec![source("sidecar.privileged", 7)]);
    }

    #[test]
    fn items_beyond_the_written_ones_stop_at_the_list() {
        let r = at("spec.template.spec.containers[5].securityContext");
        assert_eq!(r.spot.line, Some(12));
        assert_eq!(r.spot.key, "containers");
        assert!(!r.spot.exact);
    }

    #[test]
    fn range_and_else_are_followed() {
        let text = "{{- with .Values.a }}\nx: {{ .b }}\n{{- else }}\ny: {{ .c }}\n{{- end }}\n{{- range .Values.list }}\nz: {{ .d }}\n{{- end }}\n";
        let refs: Vec<Vec<String>> = references(text).into_iter().map(|r| r.value).collect();
        assert_eq!(refs, vec![vec!["a".to_string(), "b".into()]]);
    }
}
