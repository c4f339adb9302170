//! Findings judged against an earlier report (`--baseline`): new since then, or already there.

use std::collections::HashMap;

use palisade_core::{Finding, Severity};
use serde::Serialize;

use crate::saved::SavedReport;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BaselineStatus {
    New,
    Existing,
}

/// The standing of each finding of a result against a baseline report, in the result's order.
#[derive(Clone, Debug)]
pub struct Baseline {
    statuses: Vec<BaselineStatus>,
}

impl Baseline {
    /// Marks each of `findings` existing when the baseline holds a finding with the same
    /// fingerprint, new otherwise. Fingerprints are counted, not just looked up: when a
    /// manifest gains a second object with the identity of one the baseline had (a copied file,
    /// say), one of the two is new. Findings the baseline had suppressed do not count, so a
    /// finding whose exception expired shows up as new.
    pub fn compare(baseline: &SavedReport, findings: &[Finding]) -> Baseline {
        let mut remaining: HashMap<String, usize> = baseline.fingerprint_counts();
        let statuses = findings
            .iter()
            .map(|f| match remaining.get_mut(&f.fingerprint()) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    BaselineStatus::Existing
                }
                _ => BaselineStatus::New,
            })
            .collect();
        Baseline { statuses }
    }

    /// The status of the finding at `index` of the result.
    pub fn status(&self, index: usize) -> Option<BaselineStatus> {
        self.statuses.get(index).copied()
    }

    pub fn new_count(&self) -> usize {
        self.statuses
            .iter()
            .filter(|s| **s == BaselineStatus::New)
            .count()
    }

    /// New findings at or above `threshold`, among `findings` (the ones compared).
    pub fn new_at_least(&self, findings: &[Finding], threshold: Severity) -> usize {
        findings
            .iter()
            .zip(&self.statuses)
            .filter(|(f, s)| **s == BaselineStatus::New && f.severity >= threshold)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    fn saved(findings: &[Finding]) -> SavedReport {
        let list: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| serde_json::to_value(f).unwrap())
            .collect();
        SavedReport::parse(
            &serde_json::json!({ "schemaVersion": "1", "findings": list }).to_string(),
        )
        .unwrap()
    }

    #[test]
    fn moved_findings_exist_and_other_ones_are_new() {
        let result = testdata::result();
        let mut moved = result.findings.clone();
        for f in &mut moved {
            if let Some(l) = &mut f.location {
                l.line += 12;
            }
        }
        moved.reverse();
        let baseline = Baseline::compare(&saved(&moved), &result.findings);
        assert_eq!(baseline.new_count(), 0);

        let older = saved(&result.findings[1..]);
        let baseline = Baseline::compare(&older, &result.findings);
        assert_eq!(baseline.status(0), Some(BaselineStatus::New));
        assert_eq!(baseline.new_count(), 1);
        let first = result.findings[0].severity;
        assert_eq!(baseline.new_at_least(&result.findings, first), 1);
        assert_eq!(baseline.status(result.findings.len()), None);
    }

    #[test]
    fn a_second_copy_of_a_finding_is_new() {
        let f = testdata::privileged_finding();
        let baseline = Baseline::compare(&saved(std::slice::from_ref(&f)), &[f.clone(), f]);
        assert_eq!(baseline.status(0), Some(BaselineStatus::Existing));
        assert_eq!(baseline.status(1), Some(BaselineStatus::New));
        assert_eq!(baseline.new_at_least(&[], Severity::Info), 0);
    }
}
