//! What a control reports, and what the engine makes of it.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::control::{Alias, Severity};
use crate::digest::FieldDigest;
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

/// The version of the fingerprint recipe; it is the first field hashed, so a new recipe can
/// never produce an old recipe's fingerprint for another problem.
const FINGERPRINT_RECIPE: &str = "palisade-finding-v1";

/// A stable identity for "the same problem in the same place", across scans, line moves,
/// reordered documents and releases: the cluster, the control, the object's API group (not its
/// version: an object moved from `v1beta1` to `v1` keeps its findings), kind, namespace and
/// name, and the object path of the offending field. The file, line, column, order, message and
/// severity are left out: they change while the problem stays.
///
/// The first 8 bytes of a SHA-256, as 16 lowercase hex digits: collisions stay negligible at
/// millions of findings. Baselines, `palisade diff`, SARIF, watch events and every report use
/// it; `docs/reports.md` gives the recipe so other tools can compute it.
pub fn fingerprint(control: &str, resource: &ResourceId, path: &str) -> String {
    let mut digest = FieldDigest::new(FINGERPRINT_RECIPE);
    digest.field(resource.cluster.as_deref());
    digest.field(Some(control));
    digest.field(Some(resource.group()));
    digest.field(Some(&resource.kind));
    digest.field(resource.namespace.as_deref());
    digest.field(Some(&resource.name));
    digest.field(Some(path));
    digest.hex(8)
}

// A 100,000-object scan holds ~650,000 findings: a field added here costs megabytes.
const _: () = assert!(std::mem::size_of::<Finding>() == 160);

impl Finding {
    /// See [`fingerprint`].
    pub fn fingerprint(&self) -> String {
        fingerprint(self.control, &self.resource, self.path.as_str())
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(control: &'static str, name: &str) -> Finding {
        Finding {
            control,
            title: "Privileged container",
            severity: Severity::High,
            resource: Arc::new(ResourceId {
                cluster: Some(Arc::from("prod")),
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("shop".into()),
                name: name.into(),
            }),
            path: ObjectPath::parse("spec.template.spec.containers[0].securityContext.privileged"),
            location: Some(Location {
                file: Arc::from("deploy/web.yaml"),
                line: 12,
                column: 9,
                end_line: 12,
                end_column: 25,
            }),
            message: "container `app` sets privileged: true".into(),
            remediation: "Remove privileged: true.",
            aliases: &[],
            fix: None,
            risk: Risk::default(),
        }
    }

    #[test]
    fn fingerprint_ignores_place_message_severity_and_version() {
        let base = finding("POD-001", "web");
        let fp = base.fingerprint();
        assert_eq!(fp.len(), 16);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));

        let mut same = base.clone();
        same.message = "container `app` sets privileged: yes".into();
        same.severity = Severity::Critical;
        same.location = Some(Location {
            file: Arc::from("elsewhere/moved.yaml"),
            line: 80,
            column: 3,
            end_line: 81,
            end_column: 0,
        });
        Arc::make_mut(&mut same.resource).api_version = "apps/v1beta2".into();
        assert_eq!(same.fingerprint(), fp);
    }

    #[test]
    fn fingerprint_tells_identities_apart() {
        let base = finding("POD-001", "web");
        let fp = base.fingerprint();
        let changed = |edit: &dyn Fn(&mut Finding)| {
            let mut f = base.clone();
            edit(&mut f);
            f.fingerprint()
        };
        let others = [
            changed(&|f| Arc::make_mut(&mut f.resource).cluster = None),
            changed(&|f| Arc::make_mut(&mut f.resource).cluster = Some(Arc::from("staging"))),
            changed(&|f| f.control = "POD-002"),
            changed(&|f| Arc::make_mut(&mut f.resource).name = "api".into()),
            changed(&|f| Arc::make_mut(&mut f.resource).namespace = None),
            changed(&|f| Arc::make_mut(&mut f.resource).kind = "StatefulSet".into()),
            changed(&|f| {
                Arc::make_mut(&mut f.resource).api_version = "extensions/v1beta1".into();
            }),
            changed(&|f| {
                f.path = ObjectPath::parse(
                    "spec.template.spec.containers[1].securityContext.privileged",
                );
            }),
        ];
        for other in &others {
            assert_ne!(other, &fp);
        }
    }

    #[test]
    fn fingerprint_is_stable_across_builds() {
        // Baselines, SARIF consumers and watch receivers store fingerprints; a change here
        // breaks all of them (the value is the one watch events have always carried).
        let mut f = finding("POD-001", "web");
        Arc::make_mut(&mut f.resource).namespace = Some("prod".into());
        assert_eq!(f.fingerprint(), "0168d17ad0c50663");
    }
}
