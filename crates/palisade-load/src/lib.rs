//! Sources → resources: files, directories, stdin, Helm charts and Kustomize directories.
//!
//! Loading never stops at bad input. Every problem becomes a [`palisade_core::Diagnostic`]
//! naming the file and line, and the rest of the input is still loaded.

mod files;
mod objects;
pub mod render;
pub mod yaml;

pub use files::{LoadOptions, Loaded, load_paths};
pub use objects::{add_object, load_source};
pub use render::HelmOptions;
