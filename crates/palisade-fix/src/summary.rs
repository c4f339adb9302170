//! What `palisade fix` did and left, counted per control.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::select::NotFixed;

/// Fixed and remaining findings, per control, in a stable order.
#[derive(Debug, Default)]
pub struct Summary {
    files_changed: usize,
    fixed: BTreeMap<&'static str, usize>,
    not_fixed: BTreeMap<(NotFixed, &'static str), usize>,
}

impl Summary {
    pub fn file_changed(&mut self) {
        self.files_changed += 1;
    }

    pub fn fixed(&mut self, control: &'static str) {
        *self.fixed.entry(control).or_default() += 1;
    }

    pub fn not_fixed(&mut self, control: &'static str, why: NotFixed) {
        *self.not_fixed.entry((why, control)).or_default() += 1;
    }

    pub fn fixed_count(&self) -> usize {
        self.fixed.values().sum()
    }

    pub fn not_fixed_count(&self) -> usize {
        self.not_fixed.values().sum()
    }

    /// The summary as text; `title` names a control. `dry_run` says the fixes were only
    /// shown (`--diff`), not written.
    pub fn render(&self, dry_run: bool, title: &dyn Fn(&str) -> &'static str) -> String {
        let mut out = String::new();
        let verb = if dry_run { "Would fix" } else { "Fixed" };
        let _ = writeln!(
            out,
            "{verb} {} finding(s) in {} file(s).",
            self.fixed_count(),
            self.files_changed
        );
        self.render_counts(&mut out, title);
        out
    }

    /// The fixed findings per control, then those not fixed grouped by reason: the summary
    /// without its first line, for callers that change something other than files.
    pub fn render_counts(&self, out: &mut String, title: &dyn Fn(&str) -> &'static str) {
        for (control, count) in &self.fixed {
            let _ = writeln!(out, "  {control:<9} {count:>5}  {}", title(control));
        }
        if self.not_fixed.is_empty() {
            return;
        }
        let _ = writeln!(out, "Not fixed: {} finding(s).", self.not_fixed_count());
        let mut reason: Option<&NotFixed> = None;
        for ((why, control), count) in &self.not_fixed {
            if reason != Some(why) {
                let _ = writeln!(out, "  {why}:");
                reason = Some(why);
            }
            let _ = writeln!(out, "    {control:<9} {count:>5}  {}", title(control));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_remaining_findings_by_reason_then_control() {
        let mut summary = Summary::default();
        summary.file_changed();
        summary.fixed("POD-014");
        summary.fixed("POD-014");
        summary.not_fixed("RES-001", NotFixed::NeedsInput);
        summary.not_fixed("POD-020", NotFixed::Unsafe);
        summary.not_fixed("POD-015", NotFixed::Unsafe);
        let text = summary.render(false, &|_| "t");
        assert_eq!(
            text,
            "Fixed 2 finding(s) in 1 file(s).\n  POD-014       2  t\nNot fixed: 3 finding(s).\n  needs a value only you know:\n    RES-001       1  t\n  unsafe: rerun with --unsafe-fixes:\n    POD-015       1  t\n    POD-020       1  t\n"
        );
    }
}
