//! The built-in control catalog.
//!
//! Each control lives in its own file under its family's folder (`pod/`, `img/`, `rbac/`, …).
//! The file's doc comment is the control's documentation (`palisade explain` prints it), the
//! [`declare_control!`] block is its metadata, and its `Check` impl is its check. Test
//! fixtures live in `fixtures/<ID>/`, named `pass*.yaml` and `fail*.yaml`; one harness runs
//! every control against its fixtures and snapshots the findings.

#[macro_use]
mod declare;
mod catalog;
mod control;
mod frameworks;
mod refs;
mod risk;
pub mod selector;
mod settings;
pub mod workload;

mod adm;
mod api;
mod img;
mod net;
mod ns;
mod pod;
mod rbac;
mod res;
mod sec;

pub use catalog::{all, find, pss_controls, resolve_selector};
pub use control::{Context, Control, ReadScope, Reads, Skip, Verdict};
pub use frameworks::{framework, frameworks, serving};
pub use risk::RISK_CONTROLS;
pub use settings::{
    ImageValues, KubeVersion, RbacValues, ResourceValues, RuleValues, Settings, WorkloadKind,
};

#[cfg(test)]
mod fixture_tests;
