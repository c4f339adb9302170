//! Evaluation: runs the selected controls over an inventory in parallel, applies severity
//! overrides, exceptions and inline ignores, and produces a sorted [`palisade_core::ScanResult`].

pub mod config;
mod scan;
mod suppress;

pub use config::Config;
pub use scan::{Evaluator, Judged, Plan, PlanOptions, ResourceOutcome, evaluate, judge};
pub use suppress::IGNORE_ANNOTATION;
