//! `palisade fix`: load → evaluate → edit files (or print the diff), until nothing changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use palisade_core::{Diagnostic, Inventory, InventoryIndex, SourceId};
use palisade_engine::{Config, Evaluator, Plan, PlanOptions};
use palisade_fix::{NotFixed, ObjectEdit, Summary};
use palisade_load::LoadOptions;
use palisade_load::yaml::Limits;

use crate::cli::FixArgs;

/// `--diff` found something to fix.
const EXIT_FIXABLE: u8 = 1;
/// A fixed file could not be written.
const EXIT_ERROR: u8 = 2;

/// Fixing runs again on the fixed text: a fix left out because it clashed with another (drop
/// NET_RAW beside drop ALL) is either no longer needed or applies on the next pass. Every pass
/// but the first only finds what the previous one could not apply together; the cap keeps a
/// control whose fix does not resolve its own finding from looping.
const MAX_PASSES: usize = 4;

pub(crate) fn title(id: &str) -> &'static str {
    palisade_controls::find(id).map_or("", |c| c.meta().title)
}

/// The fix a control declares: tells a finding without a fix that needs the user's input from
/// one that has none.
pub(crate) fn availability(id: &str) -> palisade_core::FixAvailability {
    palisade_controls::find(id).map_or(palisade_core::FixAvailability::None, |c| c.meta().fix)
}

/// The config file given, or the one found upward from the first path (from the current
/// directory for `--cluster`), or the defaults.
pub(crate) fn load_config(args: &FixArgs) -> Result<Config, String> {
    let start = args.paths.first().map_or(Path::new("."), PathBuf::as_path);
    match &args.config {
        Some(path) => Config::load(path),
        None => Config::discover(start).map_or_else(|| Ok(Config::default()), |p| Config::load(&p)),
    }
}

/// The controls to run: the config's selection narrowed by `--only`/`--skip`.
pub(crate) fn plan(args: &FixArgs, config: &Config) -> Result<Plan, String> {
    Plan::new(
        config,
        &PlanOptions {
            only: args.selection.only.clone(),
            skip: args.selection.skip.clone(),
            ..PlanOptions::default()
        },
    )
}

fn warn(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        // Files that do not parse are left alone; say which, as `scan` would.
        let place = match (&d.file, d.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: "),
            (Some(file), None) => format!("{file}: "),
            _ => String::new(),
        };
        eprintln!("warning: {place}{}", d.message);
    }
}

/// What one evaluation asks for: the fixes to try, per file, and the findings left with why.
struct Selection {
    per_file: BTreeMap<SourceId, Vec<ObjectEdit>>,
    left: Vec<(&'static str, NotFixed)>,
}

/// One evaluation of the inventory.
fn select(inventory: &Inventory, plan: &Plan, unsafe_fixes: bool) -> Selection {
    let index = InventoryIndex::new(inventory);
    let evaluator = Evaluator::new(plan, inventory, &index);
    let mut per_file: BTreeMap<SourceId, Vec<ObjectEdit>> = BTreeMap::new();
    let mut left = Vec::new();
    for resource in &inventory.resources {
        let source = resource.origin.source.map(|id| inventory.source(id));
        for finding in evaluator.resource(resource).findings {
            let decision = palisade_fix::decide(
                &finding,
                availability(finding.control),
                &resource.origin,
                source,
                unsafe_fixes,
            );
            match (decision, resource.origin.source, finding.fix) {
                (Ok(()), Some(id), Some(fix)) => {
                    per_file.entry(id).or_default().push(ObjectEdit {
                        control: finding.control,
                        fix: *fix,
                        object: resource.root.span,
                    });
                }
                // Rendered objects are fixed through their chart or kustomization.
                (Err(NotFixed::Rendered), ..) => {}
                (Err(why), ..) => left.push((finding.control, why)),
                (Ok(()), ..) => left.push((finding.control, NotFixed::NoFix)),
            }
        }
    }
    Selection { per_file, left }
}

/// Replaces a file's text in the inventory and loads its objects again.
fn reload(inventory: &mut Inventory, id: SourceId, text: String) {
    inventory.resources.retain(|r| r.origin.source != Some(id));
    inventory.sources[id].text = text.into();
    // The file's own problems were reported when it was first loaded; said again here they
    // would repeat once per pass, with lines of the edited text. An edit adds none: each edited
    // document was re-parsed before it was kept.
    let mut already_reported = Vec::new();
    palisade_load::load_source(
        inventory,
        id,
        Limits::default(),
        &|_| None,
        &mut already_reported,
    );
}

pub fn run(args: &FixArgs) -> Result<ExitCode, String> {
    if args.live.cluster {
        return crate::fix_cluster::run(args);
    }
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        return Err("fix edits files in place; it cannot read standard input".into());
    }
    let config = load_config(args)?;
    let plan = plan(args, &config)?;
    let helm = args.rendered.helm_options(args.namespaces.first());
    let options = LoadOptions {
        helm: helm.clone(),
        ..LoadOptions::default()
    };
    let loaded = palisade_load::load_paths(&args.paths, &options);
    warn(&loaded.diagnostics);
    if loaded.inputs_read == 0 && loaded.inputs_failed > 0 {
        return Err("no input could be read".into());
    }
    let mut inventory = loaded.inventory;

    let mut summary = Summary::default();
    let rendered = crate::fix_rendered::run(
        &inventory,
        &plan,
        args.unsafe_fixes,
        &args.rendered,
        &helm,
        &mut summary,
    );
    // The text each changed file had before the first fix.
    let mut originals: BTreeMap<SourceId, std::sync::Arc<str>> = BTreeMap::new();
    for pass in 0..=MAX_PASSES {
        let Selection { per_file, left } = select(&inventory, &plan, args.unsafe_fixes);
        let mut refused = Vec::new();
        let mut changed = Vec::new();
        if pass < MAX_PASSES {
            for (id, edits) in per_file {
                let source = inventory.source(id);
                let outcome = palisade_fix::fix_text(&source.text, edits);
                refused.extend(
                    outcome
                        .rejected
                        .into_iter()
                        .map(|r| (r.control, NotFixed::Refused(r.reason))),
                );
                if outcome.text != *source.text {
                    for applied in &outcome.applied {
                        summary.fixed(applied.control);
                    }
                    changed.push((id, outcome.text));
                }
            }
        }
        if changed.is_empty() {
            for (control, why) in left.into_iter().chain(refused) {
                summary.not_fixed(control, why);
            }
            break;
        }
        for (id, text) in changed {
            originals
                .entry(id)
                .or_insert_with(|| inventory.source(id).text.clone());
            reload(&mut inventory, id, text);
        }
    }

    let mut diffs = String::new();
    let mut failed_writes = 0;
    for (id, before) in &originals {
        let source = inventory.source(*id);
        if source.text == *before {
            continue;
        }
        summary.file_changed();
        if args.diff {
            diffs.push_str(&palisade_fix::unified_diff(
                &source.path,
                before,
                &source.text,
            ));
        } else if let Err(e) =
            palisade_fix::write_atomically(Path::new(&*source.path), &source.text)
        {
            eprintln!("error: cannot write {}: {e}", source.path);
            failed_writes += 1;
        }
    }

    // New files (Kustomize patches) first, and nothing more once a write fails: a
    // kustomization must never be left referencing a patch file that is not there.
    let mut changes: Vec<_> = rendered.changes.iter().collect();
    changes.sort_by_key(|change| change.before.is_some());
    let mut rendered_failed = false;
    for change in changes {
        summary.file_changed();
        if args.diff {
            diffs.push_str(&change.diff());
        } else if rendered_failed {
            eprintln!(
                "error: {} not written, as an earlier write failed",
                change.path.display()
            );
            failed_writes += 1;
        } else if let Err(e) = change.write() {
            eprintln!("error: cannot write {}: {e}", change.path.display());
            rendered_failed = true;
            failed_writes += 1;
        }
    }

    let report = rendered.report + &summary.render(args.diff, &title);
    if args.diff {
        crate::emit(&diffs)?;
        eprint!("{report}");
    } else {
        crate::emit(&report)?;
    }
    Ok(if failed_writes > 0 {
        ExitCode::from(EXIT_ERROR)
    } else if args.diff && !diffs.is_empty() {
        ExitCode::from(EXIT_FIXABLE)
    } else {
        ExitCode::SUCCESS
    })
}
