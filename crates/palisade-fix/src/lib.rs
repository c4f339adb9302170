//! Findings → edits: fixes applied to manifest files without disturbing what they do not fix.
//!
//! The caller hands over, per file, the fixes it wants applied and where each object starts.
//! [`fix_text`] splits the text into documents, keeps the fixes of each document that agree
//! with each other ([`plan`]), edits the text ([`yaml`]) and accepts a document's new text only
//! if it parses back to exactly the object the fixes describe ([`tree`]). Documents without
//! fixes, and every byte outside the edited fields, are left as they were.

mod diff;
mod file;
pub mod helm;
mod json;
pub mod kustomize;
mod live;
mod patch;
mod plan;
mod render;
mod select;
mod summary;
mod template;
mod tree;
mod write;
mod yaml;

pub use diff::{new_file_diff, unified_diff};
pub use file::{Applied, FileFix, ObjectEdit, ValueEdit, fix_single_document, fix_text};
pub use live::{
    KubectlTarget, LiveFix, LivePlan, Management, ObjectPatch, Target, gitops,
    kubectl_patch_command, kubectl_resource, plan_live, target,
};
pub use patch::{FieldChange, escape_pointer_segment, field_changes, shell_quote};
pub use plan::Rejected;
pub use select::{NotFixed, decide, decide_fix};
pub use summary::Summary;
pub use template::Spot;
pub use write::write_atomically;
