//! The Palisade model: everything the stages of a scan hand to each other.
//!
//! Data flows one way through Palisade: sources are loaded into an [`Inventory`] of
//! [`Resource`]s, controls judge resources and emit [`Violation`]s, the engine turns those into
//! [`Finding`]s inside a [`ScanResult`], and reporters render the result. This crate holds the
//! types those stages share and nothing else: no I/O, no policy.

mod control;
mod digest;
mod finding;
mod framework;
mod index;
mod path;
mod resource;
mod result;
mod risk;
mod scope;
mod score;
mod value;

pub use control::{
    Alias, ControlMeta, Family, FixAvailability, PssLevel, Severity, Tool, catalog_version,
};
pub use digest::{sha256, to_hex};
pub use finding::{Finding, Fix, FixOp, FixSafety, Location, Violation, fingerprint};
pub use framework::{Assessment, Coverage, FrameworkSpec, Requirement, Section};
pub use index::{DerivedFrom, DerivedLookups, IndexTables, InventoryIndex};
pub use path::{ObjectPath, Segment};
pub use resource::{
    Inventory, Origin, Resource, ResourceId, Source, SourceId, Unavailable, is_document_marker,
};
pub use result::{
    ClusterSummary, ControlSummary, Diagnostic, DiagnosticLevel, ExpiredException, NotEvaluated,
    ScanResult, SuppressedFinding, Suppression,
};
pub use risk::{RISK_FACTORS, Risk, RiskFactor, RiskFactors};
pub use scope::{KindScope, built_in_scope};
pub use score::{FrameworkScore, RequirementScore, RequirementStatus};
pub use value::{Entry, Node, Span, Text, TypeError, Value};
