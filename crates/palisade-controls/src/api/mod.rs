//! API: deprecated and removed API versions, and Kubernetes releases past their end of life.
//!
//! `removals` holds the table of deprecated APIs, which `deprecated_api` judges objects against
//! for the target Kubernetes version; `releases` holds the end-of-life dates that
//! `end_of_life` judges the cluster's version against.

use crate::control::Control;

mod deprecated_api;
mod end_of_life;
mod releases;
mod removals;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &deprecated_api::DeprecatedApi,
    &end_of_life::EndOfLifeVersion,
];
