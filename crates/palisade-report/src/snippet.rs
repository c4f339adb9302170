//! Lines of source text around a finding.

use std::borrow::Cow;

use palisade_core::{Family, Finding, Location};

use crate::ReportInput;

/// Secrets stay secret: no report quotes source text for findings about Secrets or from the
/// secrets family, as the text around them may hold the values.
pub(crate) fn may_quote_source(input: &ReportInput<'_>, finding: &Finding) -> bool {
    let secret_family = input
        .control(finding.control)
        .is_some_and(|m| m.family == Family::Sec)
        || finding.control.starts_with("SEC-");
    !secret_family && !finding.resource.kind.eq_ignore_ascii_case("Secret")
}

/// `text` safe to print on a terminal: control characters (an escape sequence hidden in a
/// resource name or an annotation) are shown escaped instead of being sent to the terminal.
pub(crate) fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// The text of 1-based line `line`, without its line break.
pub(crate) fn line_text(text: &str, line: u32) -> Option<&str> {
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    text.lines().nth(index)
}

/// The byte range within `line_text` that a location covers: from its column to its end
/// column on the same line, or to the end of the line.
pub(crate) fn highlight(line_text: &str, location: &Location) -> std::ops::Range<usize> {
    let byte_at = |col: u32| {
        line_text
            .char_indices()
            .nth(col.saturating_sub(1) as usize)
            .map_or(line_text.len(), |(i, _)| i)
    };
    let start = byte_at(location.column);
    let end = if location.end_line == location.line && location.end_column > location.column {
        byte_at(location.end_column)
    } else {
        line_text.trim_end().len()
    };
    start.min(end)..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_terminals() {
        assert_eq!(printable("web"), "web");
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b"),
            "a\\u{1b}]0;pwned\\u{7}b"
        );
        assert_eq!(printable("two\nlines"), "two\\nlines");
    }

    #[test]
    fn highlights_the_span_on_its_line() {
        let text = "a: 1\n  privileged: true\n";
        let line = line_text(text, 2).unwrap();
        let loc = Location {
            file: "f".into(),
            line: 2,
            column: 3,
            end_line: 2,
            end_column: 19,
        };
        assert_eq!(&line[highlight(line, &loc)], "privileged: true");
        let open = Location { end_line: 3, ..loc };
        assert_eq!(&line[highlight(line, &open)], "privileged: true");
        assert_eq!(line_text(text, 0), None);
    }
}
