//! The HTML report: one self-contained page (styles, script and charts inline, nothing
//! fetched) that opens from a `file://` URL and works offline — posture summary, charts,
//! every finding with its snippet and remediation, filters and search in plain JavaScript, what
//! could not be evaluated, what was suppressed and why, and how the report was made.
//!
//! The page is written in three parts so a scan with hundreds of thousands of findings never
//! holds the whole document: the start (summary, charts, filters), one card per finding, the end.
//! Templates escape every value; the only markup not written by a template is the charts'
//! SVG, which escapes its labels itself. A Content-Security-Policy allows exactly the page's own
//! style and script (by hash), so even markup that slipped through could run nothing.

use std::io;

use base64::Engine;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value};
use minijinja::{Environment, UndefinedBehavior, context};

use crate::ReportInput;

mod chart;
mod view;

const CSS: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

const TEMPLATES: [(&str, &str); 3] = [
    ("start.html", include_str!("html/start.html")),
    ("finding.html", include_str!("html/finding.html")),
    ("end.html", include_str!("html/end.html")),
];

/// `n` with thousands separated by commas, as the page shows counts.
pub(crate) fn digits(n: usize) -> String {
    let plain = n.to_string();
    let mut out = String::with_capacity(plain.len() + plain.len() / 3);
    for (i, c) in plain.chars().enumerate() {
        if i > 0 && (plain.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // A field the templates name but the view lacks is a bug, not an empty string.
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    // Each part ends its last line, so the page ends with a line break and cards sit one a line.
    env.set_syntax(
        SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("a valid syntax"),
    );
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .expect("the HTML templates are valid");
    }
    env
}

/// `'sha256-…'`, the CSP source that allows exactly this inline text.
fn csp_hash(text: &str) -> String {
    let digest = palisade_core::sha256(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn content_security_policy() -> String {
    format!(
        "default-src 'none'; style-src {}; script-src {}; img-src data:",
        csp_hash(CSS),
        csp_hash(SCRIPT)
    )
}

/// A template error is a bug in this module; a write error keeps its kind, so a closed pipe
/// is still recognised as one.
fn io_error(error: minijinja::Error) -> io::Error {
    let kind = std::error::Error::source(&error)
        .and_then(|source| source.downcast_ref::<io::Error>())
        .map_or(io::ErrorKind::Other, io::Error::kind);
    io::Error::new(kind, error.to_string())
}

fn render(
    env: &Environment<'_>,
    name: &str,
    context: Value,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    env.get_template(name)
        .and_then(|template| template.render_captured_to(context, &mut *out))
        .map(drop)
        .map_err(io_error)
}

/// Streams the page to `out`, finding by finding.
pub(crate) fn write(input: &ReportInput<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    let env = environment();
    let controls = view::Controls::new(input);
    let selection = view::Selection::new(&input.result.findings);
    let page = context! {
        page => Serde(view::page(input, &controls, &selection)),
        csp => content_security_policy(),
        css => Value::from_safe_string(CSS.to_string()),
        script => Value::from_safe_string(SCRIPT.to_string()),
    };
    render(&env, "start.html", page.clone(), out)?;
    for (finding, shown) in input.result.findings.iter().zip(&selection.shown) {
        if *shown {
            let card = context! { f => Serde(view::finding(input, &controls, finding)) };
            render(&env, "finding.html", card, out)?;
        }
    }
    render(&env, "end.html", page, out)
}

#[cfg(test)]
mod tests;
