//! Compliance scores: a framework's requirements judged from a scan's per-control counts.
//!
//! The arithmetic, with a worked example, is in `docs/scoring.md`; in short:
//!
//! - a requirement's checks are the verdicts of its controls on every resource, summed over
//!   its controls: passed, failed, excepted (an exception or ignore annotation took the
//!   failure out) and not evaluated;
//! - its score is `100 × passed / (passed + failed)`, none when that is `0 / 0`;
//! - its status: failed when a check failed; not evaluated when one of its controls did not
//!   run in this scan (never a pass on partial evidence); passed when a check passed; not
//!   evaluated when its checks were only not evaluated or excepted; not applicable when none of
//!   its controls judged anything; manual and node-scan requirements keep their assessment;
//! - the framework's score is the mean of the requirement scores that exist.
//!
//! Scores are rounded half up to one decimal as they are computed (in integers), so the mean
//! can be redone from the figures a report prints.

use palisade_core::{
    Assessment, ControlSummary, FrameworkScore, FrameworkSpec, Requirement, RequirementScore,
    RequirementStatus,
};

/// The frameworks named, in order, each once; an unknown name is an error listing the known IDs.
pub(crate) fn frameworks_named<'a>(
    names: impl IntoIterator<Item = &'a String>,
) -> Result<Vec<&'static FrameworkSpec>, String> {
    let mut frameworks: Vec<&'static FrameworkSpec> = Vec::new();
    for name in names {
        let framework = palisade_controls::framework(name).ok_or_else(|| {
            let known: Vec<&str> = palisade_controls::frameworks()
                .iter()
                .map(|f| f.id.as_str())
                .collect();
            format!(
                "unknown framework `{name}` (known: {}; `palisade frameworks` lists them with their aliases)",
                known.join(", ")
            )
        })?;
        if !frameworks.iter().any(|f| f.id == framework.id) {
            frameworks.push(framework);
        }
    }
    Ok(frameworks)
}

/// Scores every framework in `frameworks` from the per-control counts of one scan.
pub fn score_frameworks(
    frameworks: &[&FrameworkSpec],
    controls: &[ControlSummary],
) -> Vec<FrameworkScore> {
    frameworks
        .iter()
        .map(|framework| score_framework(framework, controls))
        .collect()
}

/// One framework's score; `controls` holds the counts of every control that ran.
pub fn score_framework(framework: &FrameworkSpec, controls: &[ControlSummary]) -> FrameworkScore {
    let requirements: Vec<RequirementScore> = framework
        .requirements
        .iter()
        .map(|requirement| score_requirement(requirement, controls))
        .collect();
    let tenths: Vec<u64> = requirements
        .iter()
        .filter_map(|r| r.score)
        .map(to_tenths)
        .collect();
    let score = (!tenths.is_empty())
        .then(|| ratio_in_tenths(tenths.iter().sum(), 10 * tenths.len() as u64));
    FrameworkScore {
        id: framework.id.clone(),
        name: framework.name.clone(),
        version: framework.version.clone(),
        score,
        requirements,
        coverage: framework.coverage(),
    }
}

fn score_requirement(requirement: &Requirement, ran: &[ControlSummary]) -> RequirementScore {
    let mut score = RequirementScore {
        id: requirement.id.clone(),
        section: requirement.section.clone(),
        title: requirement.title.clone(),
        status: RequirementStatus::NotApplicable,
        score: None,
        passed: 0,
        failed: 0,
        excepted: 0,
        not_evaluated: 0,
        controls: requirement.assessment.controls().to_vec(),
    };
    let controls = match &requirement.assessment {
        Assessment::Automated { controls } => controls,
        Assessment::Manual { .. } => {
            score.status = RequirementStatus::Manual;
            return score;
        }
        Assessment::NodeScan => {
            score.status = RequirementStatus::NeedsNodeScan;
            return score;
        }
    };
    let mut all_ran = true;
    for control in controls {
        match ran.iter().find(|c| c.control == control) {
            Some(counts) => {
                score.passed += counts.passed;
                score.failed += counts.failed;
                score.excepted += counts.suppressed;
                score.not_evaluated += counts.not_evaluated;
            }
            None => all_ran = false,
        }
    }
    score.status = if score.failed > 0 {
        RequirementStatus::Failed
    } else if !all_ran {
        RequirementStatus::NotEvaluated
    } else if score.passed > 0 {
        RequirementStatus::Passed
    } else if score.not_evaluated > 0 || score.excepted > 0 {
        RequirementStatus::NotEvaluated
    } else {
        RequirementStatus::NotApplicable
    };
    let judged = score.passed + score.failed;
    // A requirement missing some of its controls has no score unless it already failed: its
    // passes alone would claim more than the scan saw.
    if judged > 0 && score.status != RequirementStatus::NotEvaluated {
        score.score = Some(ratio_in_tenths(
            100 * u64::from(score.passed),
            u64::from(judged),
        ));
    }
    score
}

/// `numerator / denominator` rounded half up to one decimal, computed in integers so a
/// figure like 95.85 rounds the way a person rounds it (as a float it is 95.8499…).
fn ratio_in_tenths(numerator: u64, denominator: u64) -> f64 {
    let tenths = (20 * numerator + denominator) / (2 * denominator);
    tenths as f64 / 10.0
}

/// A score back in tenths; exact, as scores are only ever made by [`ratio_in_tenths`].
fn to_tenths(score: f64) -> u64 {
    (score * 10.0).round() as u64
}

#[cfg(test)]
mod tests {
    use palisade_core::Section;

    use super::*;

    fn automated(id: &str, controls: &[&str]) -> Requirement {
        Requirement {
            id: id.into(),
            section: "1".into(),
            title: format!("requirement {id}"),
            assessment: Assessment::Automated {
                controls: controls.iter().map(|c| c.to_string()).collect(),
            },
            rationale: "r".into(),
        }
    }

    fn framework(requirements: Vec<Requirement>) -> FrameworkSpec {
        FrameworkSpec {
            id: "demo-1".into(),
            aliases: Vec::new(),
            name: "Demo".into(),
            version: "1".into(),
            description: "d".into(),
            url: "u".into(),
            sections: vec![Section {
                id: "1".into(),
                title: "s".into(),
            }],
            requirements,
        }
    }

    fn counts(
        control: &'static str,
        [passed, failed, na, ne, suppressed]: [u32; 5],
    ) -> ControlSummary {
        ControlSummary {
            control,
            passed,
            failed,
            not_applicable: na,
            not_evaluated: ne,
            suppressed,
        }
    }

    fn requirement<'a>(score: &'a FrameworkScore, id: &str) -> &'a RequirementScore {
        score.requirements.iter().find(|r| r.id == id).unwrap()
    }

    /// The worked example of docs/scoring.md, figure for figure.
    #[test]
    fn worked_example_of_the_documentation() {
        let spec = framework(vec![
            automated("1.1", &["POD-001", "POD-002"]),
            automated("1.2", &["POD-003"]),
            automated("1.3", &["RBAC-001"]),
            automated("1.4", &["NET-001"]),
            Requirement {
                assessment: Assessment::Manual {
                    evidence: "e".into(),
                },
                ..automated("1.5", &[])
            },
            Requirement {
                assessment: Assessment::NodeScan,
                ..automated("1.6", &[])
            },
        ]);
        let ran = [
            counts("NET-001", [0, 0, 6, 0, 0]),
            counts("POD-001", [5, 1, 0, 0, 1]),
            counts("POD-002", [6, 0, 0, 1, 0]),
            counts("POD-003", [7, 0, 0, 0, 0]),
            counts("RBAC-001", [0, 0, 0, 2, 0]),
        ];
        let score = score_framework(&spec, &ran);

        let r = requirement(&score, "1.1");
        assert_eq!(
            (r.passed, r.failed, r.excepted, r.not_evaluated),
            (11, 1, 1, 1)
        );
        assert_eq!(r.status, RequirementStatus::Failed);
        assert_eq!(r.score, Some(91.7)); // 100 × 11 / 12 = 91.66…
        let r = requirement(&score, "1.2");
        assert_eq!(
            (r.status, r.score),
            (RequirementStatus::Passed, Some(100.0))
        );
        let r = requirement(&score, "1.3");
        assert_eq!((r.status, r.score), (RequirementStatus::NotEvaluated, None));
        let r = requirement(&score, "1.4");
        assert_eq!(
            (r.status, r.score),
            (RequirementStatus::NotApplicable, None)
        );
        assert_eq!(requirement(&score, "1.5").status, RequirementStatus::Manual);
        assert_eq!(
            requirement(&score, "1.6").status,
            RequirementStatus::NeedsNodeScan
        );
        assert_eq!(score.score, Some(95.9)); // (91.7 + 100) / 2 = 95.85 → 95.9
        assert_eq!(score.coverage.automated, 4);
        assert_eq!(score.coverage.manual + score.coverage.node_scan, 2);
    }

    #[test]
    fn exceptions_are_neither_passed_nor_failed() {
        let spec = framework(vec![automated("1", &["POD-001"])]);
        let only_excepted = score_framework(&spec, &[counts("POD-001", [0, 0, 0, 0, 3])]);
        let r = &only_excepted.requirements[0];
        assert_eq!(
            (r.status, r.score, r.excepted),
            (RequirementStatus::NotEvaluated, None, 3)
        );
        assert_eq!(only_excepted.score, None);

        let some_excepted = score_framework(&spec, &[counts("POD-001", [2, 2, 0, 0, 4])]);
        assert_eq!(some_excepted.requirements[0].score, Some(50.0));
        assert_eq!(some_excepted.score, Some(50.0));
    }

    #[test]
    fn a_control_left_out_of_the_scan_never_lets_a_requirement_pass() {
        let spec = framework(vec![automated("1", &["POD-001", "POD-002"])]);
        let passing_half = score_framework(&spec, &[counts("POD-001", [4, 0, 0, 0, 0])]);
        let r = &passing_half.requirements[0];
        assert_eq!((r.status, r.score), (RequirementStatus::NotEvaluated, None));
        assert_eq!(
            r.not_run(&[counts("POD-001", [4, 0, 0, 0, 0])])
                .collect::<Vec<_>>(),
            ["POD-002"]
        );
        assert_eq!(passing_half.score, None);

        // A failure seen by the controls that did run is a failure all the same.
        let failing_half = score_framework(&spec, &[counts("POD-001", [1, 3, 0, 0, 0])]);
        let r = &failing_half.requirements[0];
        assert_eq!((r.status, r.score), (RequirementStatus::Failed, Some(25.0)));
    }

    #[test]
    fn not_evaluated_checks_alone_do_not_score_and_with_a_pass_do_not_fail() {
        let spec = framework(vec![automated("1", &["POD-001"])]);
        let mixed = score_framework(&spec, &[counts("POD-001", [1, 0, 0, 5, 0])]);
        let r = &mixed.requirements[0];
        assert_eq!(
            (r.status, r.score, r.not_evaluated),
            (RequirementStatus::Passed, Some(100.0), 5)
        );
    }

    #[test]
    fn an_empty_scan_scores_nothing() {
        let spec = framework(vec![
            automated("1", &["POD-001"]),
            Requirement {
                assessment: Assessment::NodeScan,
                ..automated("2", &[])
            },
        ]);
        let empty = score_framework(&spec, &[counts("POD-001", [0; 5])]);
        assert_eq!(empty.score, None);
        assert_eq!(
            empty.requirements[0].status,
            RequirementStatus::NotApplicable
        );
        assert_eq!(empty.count(RequirementStatus::NeedsNodeScan), 1);
        let nothing = score_framework(&framework(Vec::new()), &[]);
        assert_eq!((nothing.score, nothing.requirements.len()), (None, 0));
    }

    #[test]
    fn the_framework_score_is_the_plain_mean_of_requirement_scores() {
        let spec = framework(vec![
            automated("1", &["POD-001"]),
            automated("2", &["POD-002"]),
            automated("3", &["POD-003"]),
        ]);
        let score = score_framework(
            &spec,
            &[
                counts("POD-001", [1, 2, 0, 0, 0]),   // 33.3
                counts("POD-002", [100, 0, 0, 0, 0]), // 100
                counts("POD-003", [0, 1, 0, 0, 0]),   // 0
            ],
        );
        let each: Vec<Option<f64>> = score.requirements.iter().map(|r| r.score).collect();
        assert_eq!(each, [Some(33.3), Some(100.0), Some(0.0)]);
        assert_eq!(score.score, Some(44.4)); // 133.3 / 3 = 44.43…
    }
}
