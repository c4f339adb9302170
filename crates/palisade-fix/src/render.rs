//! New values written the way the document around them is written: block style at the
//! document's indentation step, scalars plain unless YAML would read them as something else.

use serde_json::Value;

/// How a document indents: the step of nested mappings, and how far a list's `-` sits in
/// from its key (0 for `containers:\n- name: a`, the step for `containers:\n  - name: a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub step: usize,
    pub list_offset: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#') && !t.starts_with("---")
}

impl Layout {
    /// Reads the layout off the first key that opens a nested block; two spaces when the
    /// document has none.
    pub fn detect(text: &str) -> Layout {
        let lines: Vec<&str> = text.lines().filter(|l| is_content(l)).collect();
        let mut step = None;
        let mut list_offset = None;
        for pair in lines.windows(2) {
            let (key, next) = (pair[0], pair[1]);
            let opens_block = key.trim_end().ends_with(':') && !key.trim_start().starts_with('-');
            if !opens_block {
                continue;
            }
            let (outer, inner) = (indent_of(key), indent_of(next));
            if next.trim_start().starts_with('-') {
                if inner >= outer {
                    list_offset.get_or_insert(inner - outer);
                }
            } else if inner > outer {
                step.get_or_insert(inner - outer);
            }
            if step.is_some() && list_offset.is_some() {
                break;
            }
        }
        let step = step.unwrap_or(2);
        Layout {
            step,
            list_offset: list_offset.unwrap_or(step),
        }
    }
}

/// Words YAML 1.1 (which Kubernetes speaks) reads as booleans or null.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

/// Whether `s` is a quantity such as `100m` or `128Mi`: digits, an optional fraction, then a
/// unit of letters that cannot make YAML read a number (`1e3`, `0x1F` stay quoted).
fn is_plain_quantity(s: &str) -> bool {
    let unit_at = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (number, unit) = s.split_at(unit_at);
    !number.is_empty()
        && number.starts_with(|c: char| c.is_ascii_digit())
        && number.matches('.').count() <= 1
        && !number.ends_with('.')
        && !unit.is_empty()
        && unit.chars().all(|c| c.is_ascii_alphabetic())
        && !unit.starts_with(['e', 'E', 'x', 'X', 'o', 'O', 'b', 'B'])
}

/// A scalar as YAML text: plain when that reads back as the same string, JSON-quoted (which
/// YAML reads as a double-quoted scalar) otherwise.
pub fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) if is_plain_quantity(s) => s.clone(),
        Value::String(s) => {
            let plain = s
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '/')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
                && !RESERVED.contains(&s.to_ascii_lowercase().as_str());
            if plain {
                s.clone()
            } else {
                serde_json::to_string(s).unwrap_or_default()
            }
        }
        Value::Array(_) | Value::Object(_) => flow(value),
        other => other.to_string(),
    }
}

/// A value on one line, in flow style.
pub fn flow(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) if map.is_empty() => "{}".into(),
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", scalar(&Value::String(k.clone())), flow(v)))
                .collect();
            format!("{{ {} }}", inner.join(", "))
        }
        other => scalar(other),
    }
}

fn is_block(value: &Value) -> bool {
    match value {
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
        _ => false,
    }
}

/// `key: value` at `indent`, nested values in block style below it. Each line ends with `\n`.
pub fn entry(key: &str, value: &Value, indent: usize, layout: Layout, out: &mut String) {
    let pad = " ".repeat(indent);
    let key = scalar(&Value::String(key.to_string()));
    if !is_block(value) {
        out.push_str(&format!("{pad}{key}: {}\n", scalar(value)));
        return;
    }
    out.push_str(&format!("{pad}{key}:\n"));
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                entry(k, v, indent + layout.step, layout, out);
            }
        }
        Value::Array(items) => {
            for v in items {
                item(v, indent + layout.list_offset, layout, out);
            }
        }
        _ => {}
    }
}

/// `- value` with its dash at `indent`. Each line ends with `\n`.
pub fn item(value: &Value, indent: usize, layout: Layout, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            // The first entry shares the dash's line; the rest line up under it.
            let mut body = String::new();
            for (k, v) in map {
                entry(k, v, indent + 2, layout, &mut body);
            }
            out.push_str(&pad);
            out.push_str("- ");
            out.push_str(&body[indent + 2..]);
        }
        other => out.push_str(&format!("{pad}- {}\n", flow(other))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_stay_plain_only_when_they_read_back_the_same() {
        assert_eq!(scalar(&json!("RuntimeDefault")), "RuntimeDefault");
        assert_eq!(scalar(&json!("no")), "\"no\"");
        assert_eq!(scalar(&json!("1.0")), "\"1.0\"");
        assert_eq!(scalar(&json!("100m")), "100m");
        assert_eq!(scalar(&json!("1.5Gi")), "1.5Gi");
        assert_eq!(scalar(&json!("1")), "\"1\"");
        assert_eq!(scalar(&json!("1e3")), "\"1e3\"");
        assert_eq!(scalar(&json!("0x1F")), "\"0x1F\"");
        assert_eq!(scalar(&json!("a: b")), "\"a: b\"");
        assert_eq!(scalar(&json!(false)), "false");
        assert_eq!(scalar(&json!(1000)), "1000");
    }

    #[test]
    fn block_values_follow_the_detected_layout() {
        let layout = Layout::detect("spec:\n    containers:\n    - name: a\n");
        assert_eq!(
            layout,
            Layout {
                step: 4,
                list_offset: 0
            }
        );
        let mut out = String::new();
        entry(
            "securityContext",
            &json!({"capabilities": {"drop": ["ALL"]}}),
            8,
            layout,
            &mut out,
        );
        assert_eq!(
            out,
            "        securityContext:\n            capabilities:\n                drop:\n                - ALL\n"
        );
        let mut out = String::new();
        item(
            &json!({"name": "x", "readOnly": true}),
            2,
            Layout {
                step: 2,
                list_offset: 2,
            },
            &mut out,
        );
        assert_eq!(out, "  - name: x\n    readOnly: true\n");
    }
}
