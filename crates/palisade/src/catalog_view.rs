//! `palisade controls` and `palisade explain`.

use std::fmt::Write as _;
use std::process::ExitCode;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use palisade_core::{ControlMeta, Family, FixAvailability};
use serde::Serialize;

use crate::cli::ControlsArgs;

fn fix_label(fix: FixAvailability) -> &'static str {
    match fix {
        FixAvailability::None => "-",
        FixAvailability::Safe => "safe",
        FixAvailability::Unsafe => "unsafe",
        FixAvailability::NeedsInput => "needs input",
    }
}

fn aliases_text(meta: &ControlMeta) -> String {
    meta.aliases
        .iter()
        .map(|a| a.id)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Serialize)]
struct ControlJson<'a> {
    #[serde(flatten)]
    meta: &'a ControlMeta,
    /// The framework requirements the control serves.
    frameworks: Vec<Served>,
}

#[derive(Serialize)]
struct Served {
    framework: &'static str,
    requirement: &'static str,
}

fn served(meta: &ControlMeta) -> Vec<Served> {
    palisade_controls::serving(meta.id)
        .map(|(f, r)| Served {
            framework: &f.id,
            requirement: &r.id,
        })
        .collect()
}

/// The IDs of the frameworks a control serves, each once, in framework order.
fn framework_ids(meta: &ControlMeta) -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = palisade_controls::serving(meta.id)
        .map(|(f, _)| f.id.as_str())
        .collect();
    ids.dedup();
    ids
}

pub fn list(args: &ControlsArgs) -> Result<ExitCode, String> {
    let family: Option<Family> = args.family.as_deref().map(str::parse).transpose()?;
    let framework = args
        .framework
        .as_deref()
        .map(crate::framework_view::find)
        .transpose()?;
    let selected: Vec<&'static ControlMeta> = palisade_controls::all()
        .iter()
        .map(|c| c.meta())
        .filter(|m| family.is_none_or(|f| m.family == f))
        .filter(|m| {
            framework.is_none_or(|wanted| {
                palisade_controls::serving(m.id).any(|(f, _)| f.id == wanted.id)
            })
        })
        .collect();
    match args.format.as_str() {
        "json" => {
            let items: Vec<ControlJson<'_>> = selected
                .iter()
                .map(|meta| ControlJson {
                    meta,
                    frameworks: served(meta),
                })
                .collect();
            let text = serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?;
            crate::emit(&format!("{text}\n"))?;
        }
        "text" => {
            let mut table = Table::new();
            table
                .load_preset(UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(vec!["ID", "severity", "title", "PSS", "fix", "aliases"]);
            for meta in &selected {
                table.add_row(vec![
                    meta.id.to_string(),
                    meta.severity.to_string(),
                    meta.title.to_string(),
                    meta.pss.map_or("-", |l| l.as_str()).to_string(),
                    fix_label(meta.fix).to_string(),
                    aliases_text(meta),
                ]);
            }
            crate::emit(&format!("{table}\n{} controls\n", selected.len()))?;
        }
        "markdown" => crate::emit(&markdown(&selected))?,
        other => {
            return Err(format!(
                "unknown format `{other}` for controls (expected text, json or markdown)"
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(name: &str) -> Result<ExitCode, String> {
    let control = palisade_controls::find(name)
        .ok_or_else(|| format!("no control answers to `{name}` (see `palisade controls`)"))?;
    let meta = control.meta();
    let mut out = String::new();
    let _ = writeln!(out, "{} — {}", meta.id, meta.title);
    out.push('\n');
    let _ = writeln!(out, "severity:   {}", meta.severity);
    let _ = writeln!(
        out,
        "family:     {} ({})",
        meta.family,
        meta.family.description()
    );
    if let Some(level) = meta.pss {
        let _ = writeln!(out, "PSS level:  {}", level.as_str());
    }
    let _ = writeln!(out, "fix:        {}", fix_label(meta.fix));
    if !meta.aliases.is_empty() {
        let aliases: Vec<String> = meta
            .aliases
            .iter()
            .map(|a| format!("{} ({})", a.id, a.tool.name()))
            .collect();
        let _ = writeln!(out, "aliases:    {}", aliases.join(", "));
    }
    let serving: Vec<_> = palisade_controls::serving(meta.id).collect();
    if !serving.is_empty() {
        let _ = writeln!(out, "frameworks:");
        let width = serving.iter().map(|(f, _)| f.id.len()).max().unwrap_or(0);
        for (framework, requirement) in serving {
            let _ = writeln!(
                out,
                "  {:<width$}  {}  {}",
                framework.id, requirement.id, requirement.title
            );
        }
    }
    out.push('\n');
    let _ = writeln!(out, "{}", meta.doc_text());
    out.push('\n');
    let _ = writeln!(out, "Remediation: {}", meta.remediation);
    crate::emit(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The catalog as Markdown; `docs/controls.md` is this output, checked for freshness by a test.
fn markdown(selected: &[&'static ControlMeta]) -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "# Control catalog\n\nGenerated by `palisade controls --format markdown`; do not edit by hand.\n",
    );
    for family in Family::ALL {
        let members: Vec<_> = selected.iter().filter(|m| m.family == family).collect();
        if members.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n## {} — {}\n\n| ID | title | severity | PSS | fix | frameworks | aliases |\n|---|---|---|---|---|---|---|\n",
            family,
            family.description()
        );
        for meta in &members {
            let _ = writeln!(
                out,
                "| [{id}](#{anchor}) | {} | {} | {} | {} | {} | {} |",
                cell(meta.title),
                meta.severity,
                meta.pss.map_or("-", |l| l.as_str()),
                fix_label(meta.fix),
                cell(&framework_ids(meta).join(", ")),
                cell(&aliases_text(meta)),
                id = meta.id,
                anchor = meta.id.to_ascii_lowercase(),
            );
        }
        for meta in &members {
            let doc = meta.doc_text().replace("\n## ", "\n#### ");
            let doc = doc
                .strip_prefix("## ")
                .map(|d| format!("#### {d}"))
                .unwrap_or(doc);
            let _ = write!(
                out,
                "\n### {}\n\n**{}** — severity {}\n\n{}\n",
                meta.id, meta.title, meta.severity, doc
            );
            let serving: Vec<_> = palisade_controls::serving(meta.id).collect();
            if !serving.is_empty() {
                out.push_str("\n#### Frameworks\n\n");
                for (framework, requirement) in serving {
                    let _ = writeln!(
                        out,
                        "- {} {}: {}",
                        framework.id,
                        cell(&requirement.id),
                        requirement.title
                    );
                }
            }
        }
    }
    out
}
