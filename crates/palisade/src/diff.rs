//! `palisade diff BEFORE AFTER`: the posture change between two JSON reports.

use std::path::Path;
use std::process::ExitCode;

use palisade_report::{DiffFormat, SavedReport, Side};

use crate::cli::DiffArgs;

/// Reads a saved JSON report; every error names the file and the role it plays (`baseline`,
/// `before`, `after`).
pub(crate) fn read_report(role: &str, path: &Path) -> Result<SavedReport, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {role} report {}: {e}", path.display()))?;
    SavedReport::parse(&text).map_err(|e| format!("{role} report {}: {e}", path.display()))
}

pub fn run(args: &DiffArgs) -> Result<ExitCode, String> {
    let format: DiffFormat = args.format.parse()?;
    let before = read_report("before", &args.before)?;
    let after = read_report("after", &args.after)?;
    let (before_label, after_label) = (
        args.before.display().to_string(),
        args.after.display().to_string(),
    );
    let delta = palisade_report::compare(
        Side {
            label: &before_label,
            report: &before,
        },
        Side {
            label: &after_label,
            report: &after,
        },
    );
    let text = palisade_report::render_diff(&delta, format);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
        None => crate::emit(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}
