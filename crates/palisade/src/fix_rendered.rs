//! `palisade fix` for rendered objects: Helm charts through their values file, Kustomize
//! directories through patch files (`--kustomize-patch`).
//!
//! The findings of each chart or kustomization are handed to `palisade_fix::helm` or
//! `palisade_fix::kustomize` with a function that renders a scratch copy of the directory with
//! the candidate files, so every edit kept has been seen to render exactly the fixed objects.
//! The user's directory is written only at the end, and never with `--diff`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::fix::availability;
use clap::Args;
use palisade_core::{Inventory, InventoryIndex, Resource, SourceId};
use palisade_engine::{Evaluator, Plan};
use palisade_fix::helm::{ChartFinding, ChartOutcome, TemplateDocument};
use palisade_fix::kustomize::{BuiltFinding, PatchFile};
use palisade_fix::{NotFixed, Spot, Summary};
use palisade_load::HelmOptions;
use palisade_load::render;

/// Flags of `palisade fix` for charts and kustomizations.
#[derive(Debug, Args)]
pub struct RenderedArgs {
    /// Helm: values file, as for `helm template`; repeatable. Value fixes are written into the
    /// last one given, or into the chart's values.yaml when none is.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Helm: set a value (key=value), as for `helm template`; repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Helm: release name (default: release).
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,
    /// Kustomize: write the fixes of built objects as JSON patch files (palisade-fixes/ in the
    /// kustomization's directory) and reference them from its kustomization.yaml.
    #[arg(long)]
    pub kustomize_patch: bool,
}

impl RenderedArgs {
    /// What `helm template` is run with; `namespace` is `fix`'s `-n`.
    pub fn helm_options(&self, namespace: Option<&String>) -> HelmOptions {
        HelmOptions {
            values: self.values.clone(),
            set: self.set.clone(),
            release_name: self.release_name.clone(),
            namespace: namespace.cloned(),
            kube_version: None,
        }
    }
}

/// A file to create or replace.
pub struct Change {
    pub path: PathBuf,
    /// Its text before, `None` for a new file.
    pub before: Option<String>,
    pub after: String,
}

impl Change {
    fn shown(&self) -> String {
        let text = self.path.to_string_lossy();
        text.strip_prefix("./").unwrap_or(&text).to_string()
    }

    pub fn diff(&self) -> String {
        match &self.before {
            Some(before) => palisade_fix::unified_diff(&self.shown(), before, &self.after),
            None => palisade_fix::new_file_diff(&self.shown(), &self.after),
        }
    }

    pub fn write(&self) -> std::io::Result<()> {
        if self.before.is_none()
            && let Some(dir) = self.path.parent()
        {
            std::fs::create_dir_all(dir)?;
        }
        palisade_fix::write_atomically(&self.path, &self.after)
    }
}

/// What fixing the rendered objects gives: files to write and, per chart or kustomization,
/// what became of each finding.
#[derive(Default)]
pub struct RenderedFixes {
    pub changes: Vec<Change>,
    pub report: String,
}

/// A finding to fix in a rendered object.
struct Fixable<'a> {
    resource: &'a Resource,
    control: &'static str,
    fix: palisade_core::Fix,
}

/// The findings of each rendered source, with those not to be fixed counted in `summary`.
fn fixable_by_source<'a>(
    inventory: &'a Inventory,
    plan: &Plan,
    unsafe_fixes: bool,
    summary: &mut Summary,
) -> Vec<(SourceId, Vec<Fixable<'a>>)> {
    let index = InventoryIndex::new(inventory);
    let evaluator = Evaluator::new(plan, inventory, &index);
    let mut out: Vec<(SourceId, Vec<Fixable<'a>>)> = Vec::new();
    for resource in &inventory.resources {
        let Some(id) = resource.origin.source else {
            continue;
        };
        if inventory.source(id).rendered_by.is_none() {
            continue;
        }
        for finding in evaluator.resource(resource).findings {
            if let Err(why) =
                palisade_fix::decide_fix(&finding, availability(finding.control), unsafe_fixes)
            {
                summary.not_fixed(finding.control, why);
                continue;
            }
            let Some(fix) = finding.fix else { continue };
            let fixable = Fixable {
                resource,
                control: finding.control,
                fix: *fix,
            };
            match out.iter_mut().find(|(s, _)| *s == id) {
                Some((_, list)) => list.push(fixable),
                None => out.push((id, vec![fixable])),
            }
        }
    }
    out
}

/// Fixes every rendered object's findings that `fix` may apply.
pub fn run(
    inventory: &Inventory,
    plan: &Plan,
    unsafe_fixes: bool,
    args: &RenderedArgs,
    helm: &HelmOptions,
    summary: &mut Summary,
) -> RenderedFixes {
    let mut out = RenderedFixes::default();
    for (id, fixables) in fixable_by_source(inventory, plan, unsafe_fixes, summary) {
        let source = inventory.source(id);
        let tool = source.rendered_by.unwrap_or("");
        let Some(dir) = render::output_dir(&source.path, tool).map(PathBuf::from) else {
            for f in &fixables {
                let why = format!("the directory {tool} rendered is not known");
                summary.not_fixed(f.control, NotFixed::Refused(why));
            }
            continue;
        };
        if render::is_helm_chart(&dir) {
            fix_chart(inventory, id, &dir, &fixables, helm, summary, &mut out);
        } else {
            fix_kustomization(inventory, id, &dir, &fixables, args, summary, &mut out);
        }
    }
    out
}

fn label(resource: &Resource) -> String {
    format!("{}/{}", resource.id.kind, resource.id.name)
}

fn where_in_template(file: &str, spot: &Spot) -> String {
    match spot.line {
        Some(line) if spot.exact => format!("{file}:{line}"),
        Some(line) if spot.key == "-" => format!(
            "{file}:{line}, in the list item that starts there (approximately: the field itself is not written there)"
        ),
        Some(line) => format!(
            "{file}:{line}, under `{}:` (approximately: the field itself is not written there)",
            spot.key
        ),
        None => format!("{file} (the field's place in it was not found)"),
    }
}

/// Copies `from` into `to` (both directories), leaving out version-control directories.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == ".git" {
            continue;
        }
        let target = to.join(&name);
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn fix_chart(
    inventory: &Inventory,
    id: SourceId,
    chart: &Path,
    fixables: &[Fixable<'_>],
    options: &HelmOptions,
    summary: &mut Summary,
    out: &mut RenderedFixes,
) {
    // Fixes go into the last values file given, else the chart's own values.yaml.
    let values_path = options
        .values
        .last()
        .map_or_else(|| chart.join("values.yaml"), PathBuf::from);
    let values_text = std::fs::read_to_string(&values_path).ok();
    let findings: Vec<ChartFinding> = fixables
        .iter()
        .map(|f| ChartFinding {
            control: f.control,
            fix: f.fix.clone(),
            document: f.resource.origin.document,
            template: f.resource.origin.authored_in.map(|t| {
                let template = inventory.source(t);
                let inside = Path::new(&*template.path)
                    .strip_prefix(chart.strip_prefix("./").unwrap_or(chart))
                    .unwrap_or(Path::new(&*template.path))
                    .to_path_buf();
                TemplateDocument {
                    path: template.path.to_string(),
                    text: template.text.clone(),
                    lines: template
                        .document_lines(f.resource.origin.authored_document)
                        .unwrap_or(0..usize::MAX),
                    values_prefix: palisade_fix::helm::subchart_values(&inside),
                }
            }),
        })
        .collect();

    let scratch = tempfile::Builder::new().prefix("palisade-chart-").tempdir();
    let mut prepared: Option<PathBuf> = None;
    let mut render_with = |values: &str| -> Result<String, String> {
        let scratch = scratch.as_ref().map_err(|e| e.to_string())?;
        let mut options = options.clone();
        let chart_dir = if options.values.is_empty() {
            let copy = scratch.path().join("chart");
            if prepared.is_none() {
                copy_dir(chart, &copy).map_err(|e| format!("cannot copy the chart: {e}"))?;
                prepared = Some(copy.clone());
            }
            std::fs::write(copy.join("values.yaml"), values).map_err(|e| e.to_string())?;
            copy
        } else {
            let file = scratch.path().join("values.yaml");
            std::fs::write(&file, values).map_err(|e| e.to_string())?;
            if let Some(last) = options.values.last_mut() {
                *last = file.to_string_lossy().into_owned();
            }
            chart.to_path_buf()
        };
        render::helm_template(&chart_dir, &options).map_err(|e| e.to_string())
    };
    let result = palisade_fix::helm::fix_chart(
        &inventory.source(id).text,
        values_text.as_deref(),
        &findings,
        &mut render_with,
    );

    let shown = |p: &Path| {
        let text = p.to_string_lossy();
        text.strip_prefix("./").unwrap_or(&text).to_string()
    };
    let _ = writeln!(
        out.report,
        "Helm chart {} (values: {}):",
        shown(chart),
        shown(&values_path)
    );
    for (fixable, outcome) in fixables.iter().zip(&result.outcomes) {
        let _ = writeln!(
            out.report,
            "  {:<9} {}: {}",
            fixable.control,
            label(fixable.resource),
            fixable.fix.description
        );
        let detail = match outcome {
            ChartOutcome::Values { set } => {
                summary.fixed(fixable.control);
                format!("values edited; at install time instead: {}", set.join(" "))
            }
            ChartOutcome::Covered => {
                summary.fixed(fixable.control);
                "fixed by a values edit above".to_string()
            }
            ChartOutcome::Template { file, spot, why } => {
                summary.not_fixed(fixable.control, NotFixed::Template);
                format!(
                    "fix in the template: {} ({why})",
                    where_in_template(file, spot)
                )
            }
            ChartOutcome::Refused(why) => {
                summary.not_fixed(fixable.control, NotFixed::Refused(why.clone()));
                format!("not fixed: {why}")
            }
        };
        let _ = writeln!(out.report, "            {detail}");
    }
    if let (Some(before), Some(after)) = (values_text, result.values) {
        if before != after {
            out.changes.push(Change {
                path: values_path,
                before: Some(before),
                after,
            });
        }
    }
}

fn fix_kustomization(
    inventory: &Inventory,
    id: SourceId,
    dir: &Path,
    fixables: &[Fixable<'_>],
    args: &RenderedArgs,
    summary: &mut Summary,
    out: &mut RenderedFixes,
) {
    let shown_dir = dir.to_string_lossy();
    let _ = writeln!(out.report, "Kustomize directory {shown_dir}:");
    let defined_in = |f: &Fixable<'_>| {
        f.resource
            .origin
            .authored_in
            .map(|a| format!(" (defined in {})", inventory.source(a).path))
            .unwrap_or_default()
    };
    let line = |f: &Fixable<'_>, detail: &str, report: &mut String| {
        let _ = writeln!(
            report,
            "  {:<9} {}{}: {}\n            {detail}",
            f.control,
            label(f.resource),
            defined_in(f),
            f.fix.description
        );
    };
    if !args.kustomize_patch {
        for f in fixables {
            summary.not_fixed(f.control, NotFixed::KustomizePatch);
            line(
                f,
                "rerun with --kustomize-patch to write a patch for it",
                &mut out.report,
            );
        }
        return;
    }
    let Some(name) = render::kustomization_file(dir) else {
        for f in fixables {
            let why = format!("{shown_dir} has no kustomization file any more");
            summary.not_fixed(f.control, NotFixed::Refused(why));
        }
        return;
    };
    let kustomization_path = dir.join(name);
    let kustomization_text = std::fs::read_to_string(&kustomization_path).unwrap_or_default();
    let findings: Vec<BuiltFinding> = fixables
        .iter()
        .map(|f| BuiltFinding {
            control: f.control,
            fix: f.fix.clone(),
            document: f.resource.origin.document,
        })
        .collect();
    let existing = |file: &str| std::fs::read_to_string(dir.join(file)).ok();
    let mut build = |files: &[PatchFile]| -> Result<String, String> {
        // A copy beside the directory, so relative references (`../base`) still resolve.
        let absolute = std::path::absolute(dir).map_err(|e| e.to_string())?;
        let parent = absolute.parent().unwrap_or(Path::new("/"));
        let scratch = tempfile::Builder::new()
            .prefix(".palisade-fix-")
            .tempdir_in(parent)
            .map_err(|e| format!("cannot make a scratch copy beside {shown_dir}: {e}"))?;
        copy_dir(&absolute, scratch.path()).map_err(|e| e.to_string())?;
        for file in files {
            let path = scratch.path().join(&file.path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| e.to_string())?;
            }
            std::fs::write(path, &file.text).map_err(|e| e.to_string())?;
        }
        render::kustomize_build(scratch.path())
            .map(|built| built.text)
            .map_err(|e| e.to_string())
    };
    let result = palisade_fix::kustomize::fix_kustomization(
        &inventory.source(id).text,
        name,
        &kustomization_text,
        &findings,
        &existing,
        &mut build,
    );
    for (f, outcome) in fixables.iter().zip(&result.outcomes) {
        match outcome {
            Ok(file) if !result.files.is_empty() => {
                summary.fixed(f.control);
                let file = dir.join(file);
                line(f, &format!("patched: {}", file.display()), &mut out.report);
            }
            Ok(_) => {}
            Err(why) => {
                summary.not_fixed(f.control, NotFixed::Refused(why.clone()));
                line(f, &format!("not patched: {why}"), &mut out.report);
            }
        }
    }
    for file in result.files {
        let path = dir.join(&file.path);
        let before = std::fs::read_to_string(&path).ok();
        if before.as_deref() != Some(&file.text) {
            out.changes.push(Change {
                path,
                before,
                after: file.text,
            });
        }
    }
}
