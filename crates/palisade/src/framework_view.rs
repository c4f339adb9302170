//! `palisade frameworks` and `palisade frameworks show ID`.

use std::fmt::Write as _;
use std::process::ExitCode;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use palisade_core::{Assessment, Coverage, FrameworkSpec, Requirement};
use serde::Serialize;

use crate::cli::{CatalogFormat, FrameworksAction, FrameworksArgs};

pub fn run(args: &FrameworksArgs) -> Result<ExitCode, String> {
    let text = match &args.action {
        None => list(args.format)?,
        Some(FrameworksAction::Show { framework }) => show(find(framework)?, args.format)?,
    };
    crate::emit(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The framework a user named, or an error listing the ones that exist.
pub fn find(name: &str) -> Result<&'static FrameworkSpec, String> {
    palisade_controls::framework(name).ok_or_else(|| {
        let known: Vec<&str> = palisade_controls::frameworks()
            .iter()
            .map(|f| f.id.as_str())
            .collect();
        format!(
            "unknown framework `{name}` (known: {}; see `palisade frameworks`)",
            known.join(", ")
        )
    })
}

/// One line of `palisade frameworks --format json`.
#[derive(Serialize)]
struct Summary<'a> {
    id: &'a str,
    aliases: &'a [String],
    name: &'a str,
    version: &'a str,
    url: &'a str,
    requirements: usize,
    coverage: Coverage,
}

/// `palisade frameworks show ID --format json`: the framework as compiled in, with its coverage.
#[derive(Serialize)]
struct Detail<'a> {
    #[serde(flatten)]
    framework: &'a FrameworkSpec,
    coverage: Coverage,
}

fn list(format: CatalogFormat) -> Result<String, String> {
    let frameworks = palisade_controls::frameworks();
    Ok(match format {
        CatalogFormat::Json => {
            let summaries: Vec<Summary<'_>> = frameworks
                .iter()
                .map(|f| Summary {
                    id: &f.id,
                    aliases: &f.aliases,
                    name: &f.name,
                    version: &f.version,
                    url: &f.url,
                    requirements: f.requirements.len(),
                    coverage: f.coverage(),
                })
                .collect();
            json(&summaries)?
        }
        CatalogFormat::Text => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec![
                    "ID",
                    "name",
                    "version",
                    "requirements",
                    "automated",
                    "manual",
                    "node scan",
                ]);
            for f in frameworks {
                let coverage = f.coverage();
                table.add_row(vec![
                    f.id.clone(),
                    f.name.clone(),
                    f.version.clone(),
                    coverage.total().to_string(),
                    coverage.automated.to_string(),
                    coverage.manual.to_string(),
                    coverage.node_scan.to_string(),
                ]);
            }
            format!(
                "{table}\n{} frameworks; `palisade frameworks show ID` lists a framework's requirements\n",
                frameworks.len()
            )
        }
        CatalogFormat::Markdown => markdown(frameworks),
    })
}

fn show(framework: &FrameworkSpec, format: CatalogFormat) -> Result<String, String> {
    Ok(match format {
        CatalogFormat::Json => json(&Detail {
            framework,
            coverage: framework.coverage(),
        })?,
        CatalogFormat::Text => tree(framework),
        CatalogFormat::Markdown => {
            let mut out = String::new();
            framework_markdown(&mut out, framework);
            out
        }
    })
}

fn json(value: &impl Serialize) -> Result<String, String> {
    serde_json::to_string_pretty(value)
        .map(|text| format!("{text}\n"))
        .map_err(|e| e.to_string())
}

fn coverage_text(coverage: Coverage) -> String {
    format!(
        "{} automated, {} manual, {} need a node scan",
        coverage.automated, coverage.manual, coverage.node_scan
    )
}

/// What decides a requirement, in one line.
fn assessment_text(requirement: &Requirement) -> String {
    match &requirement.assessment {
        Assessment::Automated { controls } => format!("automated by {}", controls.join(", ")),
        Assessment::Manual { evidence } => format!("manual; evidence: {evidence}"),
        Assessment::NodeScan => "needs a node scan (not evaluated yet)".to_string(),
    }
}

/// The section → requirement tree, each requirement with what decides it and why.
fn tree(framework: &FrameworkSpec) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} {}",
        framework.id, framework.name, framework.version
    );
    if !framework.aliases.is_empty() {
        let _ = writeln!(out, "aliases: {}", framework.aliases.join(", "));
    }
    let _ = writeln!(out, "{}", framework.url);
    let _ = writeln!(out, "\n{}\n", framework.description.trim());
    let coverage = framework.coverage();
    let _ = writeln!(
        out,
        "{} requirements: {}",
        coverage.total(),
        coverage_text(coverage)
    );
    let width = framework
        .requirements
        .iter()
        .map(|r| r.id.chars().count())
        .max()
        .unwrap_or(0);
    for section in &framework.sections {
        let members: Vec<&Requirement> = framework.requirements_in(&section.id).collect();
        let _ = writeln!(
            out,
            "\n{} {} ({})",
            section.id,
            section.title,
            coverage_text(Coverage::of(members.iter().copied()))
        );
        for requirement in members {
            let _ = writeln!(out, "  {:<width$}  {}", requirement.id, requirement.title);
            let indent = " ".repeat(width + 4);
            let _ = writeln!(out, "{indent}{}", assessment_text(requirement));
            let _ = writeln!(out, "{indent}{}", requirement.rationale.trim());
        }
    }
    out
}

/// The anchor GitHub gives a Markdown heading: lower case, spaces to dashes, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn cell(text: &str) -> String {
    text.trim().replace('|', "\\|").replace('\n', " ")
}

/// Every framework as Markdown; `docs/frameworks.md` is this output, checked for freshness by a
/// test.
fn markdown(frameworks: &[FrameworkSpec]) -> String {
    let mut out = String::from(
        "# Compliance frameworks\n\nGenerated by `palisade frameworks --format markdown` from the \
         compiled-in catalogue (`crates/palisade-controls/frameworks/`); do not edit by hand.\n\n\
         Each requirement is *automated* (decided by the controls listed: it holds where none of \
         them finds anything), *manual* (a person supplies the evidence described) or *node scan* \
         (decided on the node itself; reported as not evaluated until Palisade scans nodes).\n\n\
         | framework | name | version | requirements | automated | manual | node scan |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for f in frameworks {
        let coverage = f.coverage();
        let _ = writeln!(
            out,
            "| [{id}](#{}) | {} | {} | {} | {} | {} | {} |",
            anchor(&f.id),
            cell(&f.name),
            cell(&f.version),
            coverage.total(),
            coverage.automated,
            coverage.manual,
            coverage.node_scan,
            id = f.id,
        );
    }
    for f in frameworks {
        out.push('\n');
        framework_markdown(&mut out, f);
    }
    out
}

fn framework_markdown(out: &mut String, framework: &FrameworkSpec) {
    let _ = writeln!(out, "## {}\n", framework.id);
    let _ = writeln!(
        out,
        "**{}**, version {}. <{}>\n",
        framework.name, framework.version, framework.url
    );
    if !framework.aliases.is_empty() {
        let _ = writeln!(out, "Also called: `{}`.\n", framework.aliases.join("`, `"));
    }
    let _ = writeln!(out, "{}\n", framework.description.trim());
    let coverage = framework.coverage();
    let _ = writeln!(
        out,
        "Coverage: {} requirements, {}.",
        coverage.total(),
        coverage_text(coverage)
    );
    for section in &framework.sections {
        let _ = write!(
            out,
            "\n### {} {}\n\n| requirement | title | assessment | controls or evidence | rationale |\n|---|---|---|---|---|\n",
            section.id, section.title
        );
        for requirement in framework.requirements_in(&section.id) {
            let decided_by = match &requirement.assessment {
                Assessment::Automated { controls } => controls
                    .iter()
                    .map(|c| format!("[{c}](controls.md#{})", anchor(c)))
                    .collect::<Vec<_>>()
                    .join(", "),
                Assessment::Manual { evidence } => cell(evidence),
                Assessment::NodeScan => "-".to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                cell(&requirement.id),
                cell(&requirement.title),
                requirement.assessment.kind(),
                decided_by,
                cell(&requirement.rationale),
            );
        }
    }
}
