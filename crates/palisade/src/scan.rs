//! `palisade scan`: load → evaluate → report.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use palisade_core::{ControlMeta, Inventory, ScanResult, Severity};
use palisade_engine::{Config, Plan, PlanOptions};
use palisade_load::{HelmOptions, LoadOptions};
use palisade_report::{Format, ReportInput, TextOptions};

use crate::cli::{ColorChoice, ScanArgs};

const EXIT_FINDINGS: u8 = 1;
const EXIT_ERROR: u8 = 2;

/// `--fail-on`: a severity, or `none`.
fn fail_threshold(flag: Option<&str>, config: &Config) -> Result<Option<Severity>, String> {
    match flag.or(config.fail_on.as_deref()) {
        None => Ok(Some(Severity::Info)),
        Some(s) if s.eq_ignore_ascii_case("none") => Ok(None),
        Some(s) => s.parse().map(Some),
    }
}

fn load_config(args: &ScanArgs) -> Result<Config, String> {
    let path = match &args.config {
        Some(path) => Some(path.clone()),
        // A cluster scan looks for the config where it is run.
        None if args.cluster => Config::discover(Path::new(".")),
        None => args
            .paths
            .iter()
            .find(|p| p.as_os_str() != "-")
            .and_then(|p| Config::discover(p)),
    };
    path.map_or_else(|| Ok(Config::default()), |p| Config::load(&p))
}

pub(crate) fn progress() -> ProgressBar {
    // Drawn on stderr only when it is a terminal; hidden in CI and pipes.
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})").expect("valid template"),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn run(args: ScanArgs) -> Result<ExitCode, String> {
    let config = load_config(&args)?;
    let formats: Vec<Format> = args
        .formats
        .iter()
        .flat_map(|f| f.split(','))
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if formats.len() > 1 && args.output_dir.is_none() {
        return Err("several formats need --output-dir (each is written to its own file)".into());
    }
    let threshold = fail_threshold(args.fail_on.as_deref(), &config)?;
    let mut plan = Plan::new(
        &config,
        &PlanOptions {
            pss_level: args.pss_level.as_deref().map(str::parse).transpose()?,
            only: args.selection.only.clone(),
            skip: args.selection.skip.clone(),
            frameworks: args.frameworks.clone(),
            kube_version: args.kube_version.clone(),
            allowed_registries: args.allowed_registries.clone(),
            no_inline_ignores: args.no_inline_ignores,
            today: None,
        },
    )?;

    plan.settings.inventory_complete = args.complete_inventory;
    let bar = progress();
    let (result, inventory, all_inputs_failed) = if args.cluster {
        let scanned = crate::cluster::scan(&args, &mut plan, &bar)?;
        (scanned.result, Inventory::default(), scanned.all_failed)
    } else {
        scan_files(&args, &config, &plan, &formats, &bar)
    };
    bar.finish_and_clear();

    let metas: Vec<&'static ControlMeta> = plan.controls.iter().map(|c| c.meta()).collect();
    let input = ReportInput::new(
        &result,
        &inventory.sources,
        &metas,
        palisade_controls::frameworks(),
        env!("CARGO_PKG_VERSION"),
    );
    write_reports(&args, &formats, &input)?;

    if all_inputs_failed {
        eprintln!(
            "error: {}",
            if args.cluster {
                "no cluster could be read"
            } else {
                "no input could be read"
            }
        );
        return Ok(ExitCode::from(EXIT_ERROR));
    }
    let failing = threshold.is_some_and(|t| result.count_at_least(t) > 0);
    Ok(if failing {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads and evaluates files: returns the result, the inventory (its sources feed the
/// snippets of text reports) and whether every input failed.
fn scan_files(
    args: &ScanArgs,
    config: &Config,
    plan: &Plan,
    formats: &[Format],
    bar: &ProgressBar,
) -> (ScanResult, Inventory, bool) {
    bar.set_message(format!("loading {} path(s)", args.paths.len()));
    let load_options = LoadOptions {
        max_file_bytes: args
            .max_file_size
            .unwrap_or(LoadOptions::default().max_file_bytes),
        helm: HelmOptions {
            values: args.values.clone(),
            set: args.set.clone(),
            release_name: args.release_name.clone(),
            namespace: args.namespaces.first().cloned(),
            kube_version: args
                .kube_version
                .clone()
                .or_else(|| config.kube_version.clone()),
        },
        ..LoadOptions::default()
    };
    let mut loaded = palisade_load::load_paths(&args.paths, &load_options);
    if !formats.iter().any(|f| f.quotes_source()) {
        // A large scan's file texts are worth hundreds of megabytes; keep them only if shown.
        loaded.inventory.release_plain_texts();
    }
    let all_inputs_failed = loaded.inputs_read == 0 && loaded.inputs_failed > 0;
    bar.set_message(format!(
        "evaluating {} resources against {} controls",
        loaded.inventory.resources.len(),
        plan.controls.len()
    ));
    let judged = palisade_engine::judge(&loaded.inventory, plan);
    // Findings hold no reference into the objects: free them before the findings are laid
    // out, which briefly holds them twice.
    loaded.inventory.resources = Vec::new();
    crate::release_freed_memory();
    let result = judged.into_result(loaded.diagnostics);

    (result, loaded.inventory, all_inputs_failed)
}

fn write_reports(
    args: &ScanArgs,
    formats: &[Format],
    input: &ReportInput<'_>,
) -> Result<(), String> {
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            args.output.is_none()
                && args.output_dir.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        for format in formats {
            let path: PathBuf = dir.join(format.file_name());
            write_file(&path, *format, input, TextOptions { color: false })?;
        }
        return Ok(());
    }
    let format = formats.first().copied().unwrap_or(Format::Text);
    match &args.output {
        Some(path) => write_file(path, format, input, TextOptions { color }),
        None => {
            let mut stdout = BufWriter::new(std::io::stdout().lock());
            let written = palisade_report::write(format, input, TextOptions { color }, &mut stdout)
                .and_then(|()| stdout.flush());
            match written {
                // `palisade scan … | head` closing the pipe is not an error.
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(format!("cannot write output: {e}"))
                }
                _ => Ok(()),
            }
        }
    }
}

fn write_file(
    path: &Path,
    format: Format,
    input: &ReportInput<'_>,
    options: TextOptions,
) -> Result<(), String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut out = BufWriter::new(file);
    palisade_report::write(format, input, options, &mut out)
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
