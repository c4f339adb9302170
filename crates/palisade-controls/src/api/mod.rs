//! API: deprecated and removed API versions.
//!
//! `removals` holds the table of deprecated APIs; `deprecated_api` judges objects against it
//! for the target Kubernetes version.

use crate::control::Control;

mod deprecated_api;
mod removals;

pub(crate) const CONTROLS: &[&dyn Control] = &[&deprecated_api::DeprecatedApi];
