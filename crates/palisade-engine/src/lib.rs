//! Evaluation: runs the selected controls over an inventory in parallel, applies severity
//! overrides, exceptions and inline ignores, and produces a sorted [`palisade_core::ScanResult`]
//! with the compliance scores of the frameworks asked for.

pub mod config;
mod risk;
mod scan;
mod score;
mod suppress;

pub use config::Config;
pub use scan::{Evaluator, Judged, Plan, PlanOptions, ResourceOutcome, evaluate, judge};
pub use score::{score_framework, score_frameworks};
pub use suppress::IGNORE_ANNOTATION;
