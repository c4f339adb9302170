//! YAML (and JSON) text → position-carrying document trees.
//!
//! `saphyr-parser` does the parsing; this module turns its event stream into [`Node`]s. Building
//! the tree ourselves is what lets us bound hostile input: nesting depth and the number of
//! nodes (aliases included, so "billion laughs" documents stop early) are capped, and every
//! error carries a line and column.
//!
//! Scalars are resolved the way Kubernetes reads YAML (YAML 1.1 style, as `sigs.k8s.io/yaml`
//! does): `yes`/`no`/`on`/`off` are booleans, `0755` is octal. Quoted scalars are always strings.

use std::collections::HashMap;

use palisade_core::{Entry, Node, Span, Text, Value, is_document_marker};
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

/// Bounds on what one document may cost to build.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of mappings and sequences.
    pub max_depth: usize,
    /// Most nodes in one document, counting each alias expansion in full.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 128,
            max_nodes: 2_000_000,
        }
    }
}

/// One document of a YAML stream.
#[derive(Debug)]
pub struct Document {
    /// Zero-based index of the document in its stream.
    pub index: u32,
    pub root: Node,
    /// Helm's `# Source: chart/templates/x.yaml` comment preceding the document, if any.
    pub helm_source: Option<String>,
    /// Non-fatal problems (duplicate keys).
    pub warnings: Vec<DocumentProblem>,
}

/// A problem located in the stream. Lines and columns are 1-based.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentProblem {
    pub index: u32,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

/// Parses every document of a stream. A broken document yields an error and parsing goes on
/// with the next one: documents are split at `---` lines first so one syntax error cannot take
/// the rest of the file with it.
pub fn parse_stream(text: &str, limits: Limits) -> Vec<Result<Document, DocumentProblem>> {
    let mut out = Vec::new();
    let mut index = 0u32;
    for chunk in split_documents(text) {
        let helm_source = helm_source_comment(chunk.text);
        let mut builder = Builder::new(limits, chunk.first_line);
        let mut parser = Parser::new_from_str(chunk.text);
        let mut failure = None;
        while let Some(next) = parser.next_event() {
            match next {
                Ok((event, span)) => {
                    if let Err(problem) = builder.event(event, span) {
                        failure = Some(problem);
                        break;
                    }
                }
                Err(err) => {
                    let m = err.marker();
                    failure = Some((
                        chunk.first_line + m.line() as u32,
                        m.col() as u32 + 1,
                        format!("YAML syntax error: {}", err.info()),
                    ));
                    break;
                }
            }
        }
        match failure {
            Some((line, column, message)) => {
                out.push(Err(DocumentProblem {
                    index,
                    line,
                    column,
                    message,
                }));
                index += 1;
            }
            None => {
                let warnings = std::mem::take(&mut builder.warnings);
                for root in builder.documents {
                    // An empty document (only comments, or a trailing `---`) is no document.
                    if root.is_null() && !root.span.is_known() {
                        continue;
                    }
                    out.push(Ok(Document {
                        index,
                        root,
                        helm_source: helm_source.clone(),
                        warnings: warnings
                            .iter()
                            .map(|(line, column, message)| DocumentProblem {
                                index,
                                line: *line,
                                column: *column,
                                message: message.clone(),
                            })
                            .collect(),
                    }));
                    index += 1;
                }
            }
        }
    }
    out
}

/// The text of one document of a stream, as split at `---` lines.
pub struct Chunk<'a> {
    pub text: &'a str,
    /// Number of lines before the chunk in the whole text.
    pub first_line: u32,
}

/// Splits a stream at its `---` lines; each chunk keeps its marker line, so the chunks put
/// back together are the text. `palisade-fix` edits one chunk at a time this way.
pub fn split_documents(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (line_no, line) in (0u32..).zip(text.split_inclusive('\n')) {
        if is_document_marker(line.trim_end_matches('\n')) && offset > start {
            chunks.push(Chunk {
                text: &text[start..offset],
                first_line: start_line,
            });
            start = offset;
            start_line = line_no;
        }
        offset += line.len();
    }
    if start < text.len() {
        chunks.push(Chunk {
            text: &text[start..],
            first_line: start_line,
        });
    }
    chunks
}

fn helm_source_comment(chunk: &str) -> Option<String> {
    chunk
        .lines()
        .take_while(|l| {
            let t = l.trim();
            t.is_empty() || t.starts_with('#') || is_document_marker(l)
        })
        .find_map(|l| {
            l.trim()
                .strip_prefix("# Source:")
                .map(|s| s.trim().to_string())
        })
}

type Problem = (u32, u32, String);

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
        nodes_before: usize,
    },
    Map {
        entries: Vec<Entry>,
        pending_key: Option<(Text, Span)>,
        merges: Vec<Node>,
        span: Span,
        anchor: usize,
        nodes_before: usize,
    },
}

struct Builder {
    limits: Limits,
    line_offset: u32,
    stack: Vec<Frame>,
    /// Anchored nodes and the number of nodes each contains.
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    documents: Vec<Node>,
    warnings: Vec<Problem>,
}

impl Builder {
    fn new(limits: Limits, line_offset: u32) -> Self {
        Builder {
            limits,
            line_offset,
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            documents: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn span(&self, span: YamlSpan) -> Span {
        Span::new(
            self.line_offset + span.start.line() as u32,
            span.start.col() as u32 + 1,
            self.line_offset + span.end.line() as u32,
            span.end.col() as u32 + 1,
        )
    }

    fn problem(&self, span: Span, message: impl Into<String>) -> Problem {
        (span.line, u32::from(span.col), message.into())
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), Problem> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.problem(
                span,
                format!(
                    "document expands to more than {} nodes (aliases included); refusing to load it",
                    self.limits.max_nodes
                ),
            ));
        }
        Ok(())
    }

    fn event(&mut self, event: Event<'_>, raw: YamlSpan) -> Result<(), Problem> {
        let span = self.span(raw);
        match event {
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.nodes = 0;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if self.expecting_key() {
                    let key = Text::from(&*text);
                    self.remember(anchor, &Node::new(Value::Str(key.clone())), 1);
                    self.set_key(key, span);
                    return Ok(());
                }
                self.count(1, span)?;
                let plain = style == ScalarStyle::Plain;
                let forced_string = tag
                    .as_ref()
                    .is_some_and(|t| t.is_yaml_core_schema() && t.suffix == "str");
                let value = if plain && !forced_string {
                    resolve_plain(&text)
                } else {
                    Value::Str(Text::from(&*text))
                };
                let node = Node { value, span };
                self.remember(anchor, &node, 1);
                self.push(node)?;
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if self.expecting_key() {
                    return Err(self.problem(span, "mapping keys must be plain strings"));
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(self.problem(
                        span,
                        format!("nesting deeper than {} levels", self.limits.max_depth),
                    ));
                }
                self.count(1, span)?;
                let nodes_before = self.nodes;
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            items: Vec::new(),
                            span,
                            anchor,
                            nodes_before,
                        }
                    } else {
                        Frame::Map {
                            entries: Vec::new(),
                            pending_key: None,
                            merges: Vec::new(),
                            span,
                            anchor,
                            nodes_before,
                        }
                    });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = self
                    .stack
                    .pop()
                    .expect("parser balances start and end events");
                let (node, anchor, nodes_before) = match frame {
                    Frame::Seq {
                        items,
                        span: start,
                        anchor,
                        nodes_before,
                    } => (
                        Node {
                            // Boxing gives back the slack growth left; a large scan keeps
                            // every tree.
                            value: Value::Seq(items.into_boxed_slice()),
                            span: close(start, span),
                        },
                        anchor,
                        nodes_before,
                    ),
                    Frame::Map {
                        mut entries,
                        merges,
                        span: start,
                        anchor,
                        nodes_before,
                        ..
                    } => {
                        apply_merges(&mut entries, merges);
                        (
                            Node {
                                value: Value::Map(entries.into_boxed_slice()),
                                span: close(start, span),
                            },
                            anchor,
                            nodes_before,
                        )
                    }
                };
                let size = self.nodes - nodes_before + 1;
                self.remember(anchor, &node, size);
                self.push(node)?;
            }
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                    return Err(self.problem(span, "alias to an unknown anchor"));
                };
                // Count before cloning, so an exploding alias is refused before it costs memory.
                if !self.expecting_key() {
                    self.count(size, span)?;
                }
                let node = self.anchors[&id].0.clone();
                if self.expecting_key() {
                    return match node.value {
                        Value::Str(s) => {
                            self.set_key(s, span);
                            Ok(())
                        }
                        _ => Err(self.problem(span, "mapping keys must be plain strings")),
                    };
                }
                self.push(node)?;
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn expecting_key(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame::Map {
                pending_key: None,
                ..
            })
        )
    }

    fn set_key(&mut self, key: Text, span: Span) {
        if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
            *pending_key = Some((key, span));
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    fn push(&mut self, node: Node) -> Result<(), Problem> {
        let mut duplicate = None;
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                merges,
                ..
            }) => {
                let (key, key_span) = pending_key.take().expect("a value follows its key");
                if key == "<<" {
                    merges.push(node);
                } else if let Some(existing) = entries.iter_mut().find(|e| e.key == key) {
                    duplicate = Some((key_span, key.clone()));
                    existing.value = node;
                    existing.key_span = key_span;
                } else {
                    entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    });
                }
            }
        }
        if let Some((span, key)) = duplicate {
            self.warnings.push(self.problem(
                span,
                format!("duplicate key `{key}`; the last value is used (the Kubernetes API would reject this)"),
            ));
        }
        Ok(())
    }
}

fn close(start: Span, end: Span) -> Span {
    Span {
        end_col: if end.line == start.line {
            end.end_col
        } else {
            0
        },
        ..start
    }
}

/// YAML merge keys (`<<: *defaults`): merged entries never override explicit ones.
fn apply_merges(entries: &mut Vec<Entry>, merges: Vec<Node>) {
    for merge in merges {
        let sources: Vec<Node> = match merge.value {
            Value::Seq(items) => items.into_vec(),
            _ => vec![merge],
        };
        for source in sources {
            if let Value::Map(merged) = source.value {
                for entry in merged {
                    if !entries.iter().any(|e| e.key == entry.key) {
                        entries.push(entry);
                    }
                }
            }
        }
    }
}

/// Resolves an unquoted scalar as Kubernetes' YAML reader does.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Value::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Value::Bool(false);
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    let first = text.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Value::Str(Text::from(text));
    }
    if let Some(i) = parse_int(text) {
        return Value::Int(i);
    }
    let looks_numeric = text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'_'));
    if looks_numeric && text.bytes().any(|b| b.is_ascii_digit()) {
        if let Ok(f) = text.replace('_', "").parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(Text::from(text))
}

fn parse_int(text: &str) -> Option<i64> {
    let (negative, body) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || body.starts_with('_') {
        return None;
    }
    let cleaned;
    let body = if body.contains('_') {
        cleaned = body.replace('_', "");
        cleaned.as_str()
    } else {
        body
    };
    let (digits, radix) = if let Some(hex) = body.strip_prefix("0x") {
        (hex, 16)
    } else if let Some(bin) = body.strip_prefix("0b") {
        (bin, 2)
    } else if let Some(oct) = body.strip_prefix("0o") {
        (oct, 8)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body, 10)
    };
    if digits.is_empty() {
        return None;
    }
    let magnitude = i64::from_str_radix(digits, radix).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_one(text: &str) -> Node {
        let mut docs = parse_stream(text, Limits::default());
        assert_eq!(docs.len(), 1, "{docs:?}");
        docs.remove(0).expect("parses").root
    }

    #[test]
    fn records_positions_of_keys_and_values() {
        let root = parse_one("apiVersion: v1\nkind: Pod\nspec:\n  hostPID: true\n");
        let entry = root.get("spec").unwrap().get_entry("hostPID").unwrap();
        assert_eq!((entry.key_span.line, entry.key_span.col), (4, 3));
        assert_eq!((entry.value.span.line, entry.value.span.col), (4, 12));
        assert_eq!(entry.value.as_bool(), Some(true));
    }

    #[test]
    fn resolves_scalars_like_kubernetes() {
        let root =
            parse_one("a: yes\nb: \"yes\"\nc: 0755\nd: 1.5\ne: ~\nf: 0x1F\ng: 12_000\nh: 1.2.3\n");
        assert_eq!(root.get("a").unwrap().value, Value::Bool(true));
        assert_eq!(root.get("b").unwrap().value, Value::Str("yes".into()));
        assert_eq!(root.get("c").unwrap().value, Value::Int(0o755));
        assert_eq!(root.get("d").unwrap().value, Value::Float(1.5));
        assert_eq!(root.get("e").unwrap().value, Value::Null);
        assert_eq!(root.get("f").unwrap().value, Value::Int(31));
        assert_eq!(root.get("g").unwrap().value, Value::Int(12000));
        assert_eq!(root.get("h").unwrap().value, Value::Str("1.2.3".into()));
    }

    #[test]
    fn a_broken_document_does_not_hide_its_neighbours() {
        let text = "kind: A\n---\nkind: [unclosed\n---\nkind: C\n";
        let docs = parse_stream(text, Limits::default());
        assert_eq!(docs.len(), 3);
        assert!(docs[0].is_ok());
        let err = docs[1].as_ref().unwrap_err();
        assert!(err.line >= 3, "{err:?}");
        assert!(err.message.starts_with("YAML syntax error"));
        let third = docs[2].as_ref().unwrap();
        assert_eq!(third.root.get("kind").unwrap().span.line, 5);
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut text = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..12 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            text.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        let docs = parse_stream(&text, Limits::default());
        let err = docs[0].as_ref().unwrap_err();
        assert!(err.message.contains("more than"), "{err:?}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let docs = parse_stream(&text, Limits::default());
        let err = docs[0].as_ref().unwrap_err();
        assert!(
            err.message.contains("nesting") || err.message.contains("recursion"),
            "{err:?}"
        );
    }

    #[test]
    fn merge_keys_and_aliases_expand() {
        let root = parse_one("base: &b {x: 1, y: 2}\nderived:\n  <<: *b\n  y: 3\n");
        let derived = root.get("derived").unwrap();
        assert_eq!(derived.get("x").unwrap().as_i64(), Some(1));
        assert_eq!(derived.get("y").unwrap().as_i64(), Some(3));
    }

    #[test]
    fn anchored_keys_can_be_aliased() {
        let root = parse_one("&k name: x\nother:\n  *k : z\n");
        assert_eq!(
            root.at(&["other", "name"]).and_then(Node::as_str),
            Some("z")
        );
    }

    #[test]
    fn duplicate_keys_warn_and_keep_the_last_value() {
        let docs = parse_stream("a: 1\na: 2\n", Limits::default());
        let doc = docs[0].as_ref().unwrap();
        assert_eq!(doc.root.get("a").unwrap().as_i64(), Some(2));
        assert_eq!(doc.warnings.len(), 1);
        assert_eq!(doc.warnings[0].line, 2);
    }

    #[test]
    fn reads_json_including_tabs() {
        let root = parse_one("{\n\t\"kind\": \"Pod\",\n\t\"spec\": {\"hostPID\": true}\n}\n");
        assert_eq!(root.at(&["spec", "hostPID"]).unwrap().as_bool(), Some(true));
        assert_eq!(root.get("kind").unwrap().span.line, 2);
    }

    #[test]
    fn finds_helm_source_comments() {
        let text = "---\n# Source: chart/templates/deploy.yaml\napiVersion: v1\nkind: Pod\n";
        let docs = parse_stream(text, Limits::default());
        let doc = docs[0].as_ref().unwrap();
        assert_eq!(
            doc.helm_source.as_deref(),
            Some("chart/templates/deploy.yaml")
        );
        assert_eq!(doc.root.get("kind").unwrap().span.line, 4);
    }
}
