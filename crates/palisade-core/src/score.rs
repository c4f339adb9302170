//! Compliance scores: how a scan fared against a framework, requirement by requirement.
//!
//! The engine computes them (`palisade_engine::score`); the arithmetic is in `docs/scoring.md`.
//! Scores are rounded to one decimal when computed, so the figures a report prints are the
//! figures the framework score was averaged from.

use serde::{Deserialize, Serialize};

use crate::framework::Coverage;
use crate::result::ControlSummary;

/// A framework's score in one scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FrameworkScore {
    pub id: String,
    pub name: String,
    pub version: String,
    /// 0–100; None when no automated requirement could be scored.
    pub score: Option<f64>,
    /// Every requirement of the framework, in the framework's order.
    pub requirements: Vec<RequirementScore>,
    pub coverage: Coverage,
}

/// One requirement's result in one scan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RequirementScore {
    pub id: String,
    pub section: String,
    pub title: String,
    pub status: RequirementStatus,
    /// 0–100 over this requirement's checks (control × resource verdicts); None when none
    /// could be scored.
    pub score: Option<f64>,
    pub passed: u32,
    pub failed: u32,
    /// Checks an exception or an ignore annotation took out: neither passed nor failed.
    pub excepted: u32,
    pub not_evaluated: u32,
    /// The controls that decide it (empty for manual and node-scan requirements).
    pub controls: Vec<String>,
}

/// Where a requirement stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RequirementStatus {
    Passed,
    Failed,
    /// Nothing could be judged: its checks were not evaluated, all excepted, or some of its
    /// controls did not run in this scan.
    NotEvaluated,
    /// None of the scanned resources is of a kind its controls judge.
    NotApplicable,
    /// A person has to supply the evidence.
    Manual,
    /// Decided on the nodes themselves, which this scan did not look at.
    NeedsNodeScan,
}

impl RequirementStatus {
    pub const ALL: [RequirementStatus; 6] = [
        RequirementStatus::Passed,
        RequirementStatus::Failed,
        RequirementStatus::NotEvaluated,
        RequirementStatus::NotApplicable,
        RequirementStatus::Manual,
        RequirementStatus::NeedsNodeScan,
    ];

    /// For people: `passed`, `not evaluated`, `needs node scan` …
    pub fn label(self) -> &'static str {
        match self {
            RequirementStatus::Passed => "passed",
            RequirementStatus::Failed => "failed",
            RequirementStatus::NotEvaluated => "not evaluated",
            RequirementStatus::NotApplicable => "not applicable",
            RequirementStatus::Manual => "manual",
            RequirementStatus::NeedsNodeScan => "needs node scan",
        }
    }

    /// As reports write it: `passed`, `not-evaluated`, `needs-node-scan` …
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::Passed => "passed",
            RequirementStatus::Failed => "failed",
            RequirementStatus::NotEvaluated => "not-evaluated",
            RequirementStatus::NotApplicable => "not-applicable",
            RequirementStatus::Manual => "manual",
            RequirementStatus::NeedsNodeScan => "needs-node-scan",
        }
    }
}

impl RequirementScore {
    /// Its controls that did not run in the scan whose per-control counts are `ran` (left out
    /// by `--only`/`--skip`): the reason a requirement without failures is not evaluated.
    pub fn not_run<'a>(&'a self, ran: &'a [ControlSummary]) -> impl Iterator<Item = &'a str> {
        self.controls
            .iter()
            .map(String::as_str)
            .filter(|id| !ran.iter().any(|c| c.control == *id))
    }
}

impl FrameworkScore {
    /// How many requirements have each status, in [`RequirementStatus`] order.
    pub fn count(&self, status: RequirementStatus) -> usize {
        self.requirements
            .iter()
            .filter(|r| r.status == status)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requirement(controls: &[&str]) -> RequirementScore {
        RequirementScore {
            id: "5.2.2".into(),
            section: "5.2".into(),
            title: "t".into(),
            status: RequirementStatus::NotEvaluated,
            score: None,
            passed: 0,
            failed: 0,
            excepted: 0,
            not_evaluated: 0,
            controls: controls.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn names_the_controls_that_did_not_run() {
        let ran = [ControlSummary {
            control: "POD-001",
            ..ControlSummary::default()
        }];
        let r = requirement(&["POD-001", "POD-002"]);
        assert_eq!(r.not_run(&ran).collect::<Vec<_>>(), ["POD-002"]);
        assert_eq!(requirement(&["POD-001"]).not_run(&ran).count(), 0);
    }

    #[test]
    fn status_is_kebab_case_everywhere() {
        for status in [
            RequirementStatus::NeedsNodeScan,
            RequirementStatus::NotEvaluated,
            RequirementStatus::Passed,
        ] {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                serde_json::Value::from(status.as_str())
            );
        }
    }
}
