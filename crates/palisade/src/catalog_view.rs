//! `palisade controls` and `palisade explain`.

use std::process::ExitCode;

use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use palisade_core::{ControlMeta, Family, FixAvailability, Framework};
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
    meta.aliases.iter().map(|a| a.id).collect::<Vec<_>>().join(", ")
}

#[derive(Serialize)]
struct ControlJson<'a> {
    #[serde(flatten)]
    meta: &'a ControlMeta,
}

pub fn list(args: &ControlsArgs) -> Result<ExitCode, String> {
    let family: Option<Family> = args.family.as_deref().map(str::parse).transpose()?;
    let framework: Option<Framework> = args.framework.as_deref().map(str::parse).transpose()?;
    let selected: Vec<&'static ControlMeta> = palisade_controls::all()
        .iter()
        .map(|c| c.meta())
        .filter(|m| family.is_none_or(|f| m.family == f))
        .filter(|m| framework.is_none_or(|f| m.references(f).next().is_some()))
        .collect();
    match args.format.as_str() {
        "json" => {
            let items: Vec<ControlJson<'_>> = selected.iter().map(|meta| ControlJson { meta }).collect();
            let text = serde_json::to_string_pretty(&items).map_err(|e| e.to_string())?;
            println!("{text}");
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
            println!("{table}\n{} controls", selected.len());
        }
        other => return Err(format!("unknown format `{other}` for controls (expected text or json)")),
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(name: &str) -> Result<ExitCode, String> {
    let control = palisade_controls::find(name).ok_or_else(|| {
        format!("no control answers to `{name}` (see `palisade controls`)")
    })?;
    let meta = control.meta();
    println!("{} — {}", meta.id, meta.title);
    println!();
    println!("severity:   {}", meta.severity);
    println!("family:     {} ({})", meta.family, meta.family.description());
    if let Some(level) = meta.pss {
        println!("PSS level:  {}", level.as_str());
    }
    println!("fix:        {}", fix_label(meta.fix));
    if !meta.aliases.is_empty() {
        let aliases: Vec<String> = meta.aliases.iter().map(|a| format!("{} ({})", a.id, a.tool.name())).collect();
        println!("aliases:    {}", aliases.join(", "));
    }
    for framework in Framework::ALL {
        let ids: Vec<&str> = meta.references(framework).collect();
        if !ids.is_empty() {
            println!("{:<11} {}", format!("{}:", framework.key()), ids.join(", "));
        }
    }
    println!();
    println!("{}", meta.doc_text());
    println!();
    println!("Remediation: {}", meta.remediation);
    Ok(ExitCode::SUCCESS)
}
