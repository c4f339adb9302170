//! The risk of each finding: its severity weighed by the context of its resource (the formula
//! is `palisade_core::Risk`, explained in `docs/scoring.md`).
//!
//! The context is worked out once per resource with findings. Most factors are decided by the
//! controls `palisade_controls::RISK_CONTROLS` names: those the plan ran on the resource are
//! read from their verdicts as the resource is judged; the others (left out by `--only` or
//! `--skip`, or not re-run by `palisade watch`) are run here, so a factor never depends on
//! the control selection.

use globset::GlobMatcher;
use palisade_controls::{Context, Control, RISK_CONTROLS, Verdict, workload};
use palisade_core::{Inventory, Resource, RiskFactors};

use crate::scan::{Gaps, Plan, blocking, gaps_of};

/// The controls that decide risk factors, and the configured critical namespaces.
pub(crate) struct RiskSources<'a> {
    /// Per planned control: the factor its violations show (none for most controls).
    planned: Vec<RiskFactors>,
    sources: Vec<Source<'a>>,
    critical_namespaces: &'a [GlobMatcher],
}

struct Source<'a> {
    factor: RiskFactors,
    control: &'static dyn Control,
    /// Its position in the plan, when the plan runs it.
    planned: Option<usize>,
    gaps: Gaps<'a>,
}

impl<'a> RiskSources<'a> {
    pub(crate) fn new(plan: &'a Plan, inventory: &'a Inventory) -> Self {
        let mut planned = vec![RiskFactors::NONE; plan.controls.len()];
        let mut sources = Vec::new();
        for &(factor, ids) in RISK_CONTROLS {
            // The catalogue's tests hold every ID to an existing control.
            for control in ids.iter().filter_map(|id| palisade_controls::find(id)) {
                let id = control.meta().id;
                let position = plan.controls.iter().position(|c| c.meta().id == id);
                if let Some(index) = position {
                    planned[index] = factor;
                }
                sources.push(Source {
                    factor,
                    control,
                    planned: position,
                    gaps: gaps_of(control, inventory),
                });
            }
        }
        RiskSources {
            planned,
            sources,
            critical_namespaces: &plan.critical_namespaces,
        }
    }

    /// The factor that violations of planned control `index` show.
    pub(crate) fn shown_by(&self, index: usize) -> RiskFactors {
        self.planned[index]
    }

    /// Every factor of `resource`, given those the planned controls that `ran` on it showed.
    /// A control that cannot judge the resource (a kind it reads could not be listed, a field
    /// of the wrong type) adds nothing: a factor is context the inventory shows, never a guess.
    pub(crate) fn factors(
        &self,
        cx: &Context<'_>,
        resource: &Resource,
        shown: RiskFactors,
        ran: &dyn Fn(usize) -> bool,
    ) -> RiskFactors {
        let mut factors = shown;
        for source in &self.sources {
            let known = factors.contains(source.factor) || source.planned.is_some_and(ran);
            if known || blocking(&source.gaps, resource).is_some() {
                continue;
            }
            if let Ok(Verdict::Checked(violations)) = source.control.check(cx, resource) {
                factors.set(source.factor, !violations.is_empty());
            }
        }
        factors.set(
            RiskFactors::REPLICATED,
            workload::runs_several_pods(resource),
        );
        factors.set(
            RiskFactors::CRITICAL_NAMESPACE,
            resource
                .id
                .namespace
                .as_deref()
                .is_some_and(|ns| self.critical_namespaces.iter().any(|g| g.is_match(ns))),
        );
        factors
    }
}
