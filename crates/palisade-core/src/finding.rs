//! What a control reports, and what the engine makes of it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::control::{Alias, Severity};
use crate::path::ObjectPath;
use crate::resource::ResourceId;
use crate::risk::Risk;

/// How safe a machine fix is to apply without review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixSafety {
    Safe,
    Unsafe,
}

/// One structural edit of an object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum FixOp {
    /// Set the field at `path` (creating missing parents) to `value`.
    Set {
        path: ObjectPath,
        value: serde_json::Value,
    },
    /// Remove the field or list item at `path`.
    Remove { path: ObjectPath },
    /// Append `value` to the list at `path` (creating it when missing).
    Append {
        path: ObjectPath,
        value: serde_json::Value,
    },
}

/// A machine-applicable repair for one violation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    /// Usually a fixed phrase, so it borrows rather than allocates.
    pub description: Cow<'static, str>,
    pub safety: FixSafety,
    pub ops: Vec<FixOp>,
}

impl Fix {
    pub fn set(
        description: impl Into<Cow<'static, str>>,
        safety: FixSafety,
        path: ObjectPath,
        value: serde_json::Value,
    ) -> Self {
        Fix {
            description: description.into(),
            safety,
            ops: vec![FixOp::Set { path, value }],
        }
    }

    pub fn remove(
        description: impl Into<Cow<'static, str>>,
        safety: FixSafety,
        path: ObjectPath,
    ) -> Self {
        Fix {
            description: description.into(),
            safety,
            ops: vec![FixOp::Remove { path }],
        }
    }
}

/// What a control's check returns for each problem it sees in a resource.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The offending field, or the missing one.
    pub path: ObjectPath,
    /// Names the actual value, e.g. "container `app` sets privileged: true".
    pub message: String,
    pub fix: Option<Fix>,
}

impl Violation {
    pub fn new(path: ObjectPath, message: impl Into<String>) -> Self {
        Violation {
            path,
            message: message.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Self {
        self.fix = Some(fix);
        self
    }
}

/// A position in a source file. Lines and columns are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Shared by every finding in the file.
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
    pub end_line: u32,
    pub end_column: u32,
}

/// A violation placed in context: which control, how severe, which resource, where.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Finding {
    pub control: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    /// Shared by every finding on the resource.
    pub resource: Arc<ResourceId>,
    pub path: ObjectPath,
    pub location: Option<Location>,
    pub message: String,
    pub remediation: &'static str,
    pub aliases: &'static [Alias],
    /// Boxed: most findings have none, and a large scan holds hundreds of thousands.
    pub fix: Option<Box<Fix>>,
    /// Severity weighed by the resource's context; fits in the padding after `severity`.
    pub risk: Risk,
}

// A 100,000-object scan holds ~650,000 findings: a field added here costs megabytes.
const _: () = assert!(std::mem::size_of::<Finding>() == 160);

impl Finding {
    /// The order every report uses: riskiest first, then most severe, then by place, then by
    /// control.
    pub fn sort_key(&self) -> impl Ord + '_ {
        (
            std::cmp::Reverse(self.risk.score),
            std::cmp::Reverse(self.severity),
            self.location.as_ref().map(|l| (&l.file, l.line, l.column)),
            &self.resource,
            &self.control,
            &self.path,
            &self.message,
        )
    }
}
