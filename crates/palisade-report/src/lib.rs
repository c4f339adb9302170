//! Results → reports. Every format renders the same [`ScanResult`]; none adds or drops
//! findings, and all are deterministic (the same result gives byte-identical output).

use std::fmt;
use std::str::FromStr;

use palisade_core::{ControlMeta, ScanResult, Source};

mod json;
mod junit;
mod markdown;
mod sarif;
mod snippet;
#[cfg(test)]
mod testdata;
mod text;

pub use json::SCHEMA_VERSION;

/// What a report needs besides the result.
pub struct ReportInput<'a> {
    pub result: &'a ScanResult,
    /// The texts findings point into, for snippets.
    pub sources: &'a [Source],
    /// Metadata of every control that ran, sorted by ID.
    pub controls: &'a [&'static ControlMeta],
    /// The Palisade version, recorded in reports.
    pub tool_version: &'a str,
}

impl ReportInput<'_> {
    /// The text of a source file by the path findings use.
    pub fn source_text(&self, file: &str) -> Option<&str> {
        self.sources
            .iter()
            .find(|s| &*s.path == file)
            .map(|s| &*s.text)
    }

    pub fn control(&self, id: &str) -> Option<&'static ControlMeta> {
        self.controls.iter().find(|c| c.id == id).copied()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
    Markdown,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Text,
        Format::Json,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
        }
    }

    /// File name used with `--output-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Text => "palisade.txt",
            Format::Json => "palisade.json",
            Format::Sarif => "palisade.sarif",
            Format::Junit => "palisade.junit.xml",
            Format::Markdown => "palisade.md",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "md" => Ok(Format::Markdown),
            "xml" => Ok(Format::Junit),
            lower => Format::ALL
                .into_iter()
                .find(|f| f.name() == lower)
                .ok_or_else(|| {
                    format!("unknown format `{s}` (expected text, json, sarif, junit or markdown)")
                }),
        }
    }
}

/// Options for the terminal format.
#[derive(Clone, Copy, Debug, Default)]
pub struct TextOptions {
    pub color: bool,
}

/// Renders `input` in `format`.
pub fn render(format: Format, input: &ReportInput<'_>, text: TextOptions) -> String {
    match format {
        Format::Text => text::render(input, text),
        Format::Json => json::render(input),
        Format::Sarif => sarif::render(input),
        Format::Junit => junit::render(input),
        Format::Markdown => markdown::render(input),
    }
}
