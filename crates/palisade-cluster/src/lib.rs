//! A live cluster → [`palisade_core::Inventory`], the cluster counterpart of `palisade-load`.
//!
//! - [`targets`] turns kubeconfig files and context names (or the in-cluster service account)
//!   into clients, one per cluster;
//! - [`collect`] asks the cluster which resources it serves (discovery), lists every listable
//!   one page by page with bounded concurrency, and converts the objects: `managedFields` and
//!   the last-applied annotation are dropped at once, **Secrets are only ever requested as
//!   metadata** (`PartialObjectMetadataList`), and a kind the cluster refuses (403) or fails to
//!   serve becomes an [`palisade_core::Unavailable`] entry instead of stopping the scan;
//! - `/version` becomes one `ClusterVersion` object, so version-dependent controls (end of
//!   life) judge the cluster like any other object.
//!
//! - [`patch`] sends a fix's JSON Patch to an object, as a server-side dry run or for real.
//!
//! The watch loop (`palisade-watch`) reuses [`Cluster`] and [`convert`] to keep the inventory
//! current.

mod collect;
pub mod convert;
mod patch;
mod target;

pub use collect::{Cluster, CollectOptions, Collected, ListedKind, collect, connect};
pub use patch::{PatchError, patch};
pub use target::{Target, TargetOptions, targets};
