//! What watch tells the outside world: a finding appeared, went away, or changed.
//!
//! Events leave the process as JSON (stdout lines, webhook bodies), so their shape is a contract
//! with other people's code: it is written out field by field here rather than borrowed from
//! [`Finding`]'s own serialisation, carries `schemaVersion`, and is described in
//! `docs/watch-events.md`. Any change to it is a new schema version.

use palisade_core::{Finding, ObjectPath, Risk, Severity};
use serde::{Serialize, Serializer};

/// The version of the JSON shape written by [`FindingEvent`]'s `Serialize`.
pub const SCHEMA_VERSION: &str = "1";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    Opened,
    Resolved,
    Changed,
}

impl Change {
    pub const ALL: [Change; 3] = [Change::Opened, Change::Resolved, Change::Changed];

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Opened => "opened",
            Change::Resolved => "resolved",
            Change::Changed => "changed",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FindingEvent {
    pub change: Change,
    pub at: jiff::Timestamp,
    /// The kube context name, so one receiver can tell several clusters apart.
    pub cluster: Option<String>,
    /// See [`fingerprint`].
    pub fingerprint: String,
    /// For [`Change::Resolved`], the finding as it was last seen.
    pub finding: Finding,
    /// Set on [`Change::Changed`] when the severity is what changed.
    pub previous_severity: Option<Severity>,
    /// Set on [`Change::Changed`] when the message is what changed.
    pub previous_message: Option<String>,
}

impl FindingEvent {
    pub fn opened(cluster: Option<&str>, finding: Finding) -> Self {
        Self::new(Change::Opened, cluster, finding)
    }

    pub fn resolved(cluster: Option<&str>, last_seen: Finding) -> Self {
        Self::new(Change::Resolved, cluster, last_seen)
    }

    /// The event for a finding that was re-evaluated and is still there, or `None` when nothing
    /// a reader would see (severity, message) differs: re-evaluating an unchanged object must
    /// not produce noise.
    pub fn changed(cluster: Option<&str>, previous: &Finding, current: Finding) -> Option<Self> {
        let previous_severity =
            (previous.severity != current.severity).then_some(previous.severity);
        let previous_message =
            (previous.message != current.message).then(|| previous.message.clone());
        if previous_severity.is_none() && previous_message.is_none() {
            return None;
        }
        Some(FindingEvent {
            previous_severity,
            previous_message,
            ..Self::new(Change::Changed, cluster, current)
        })
    }

    /// `cluster` defaults to the one the finding's resource was read from.
    fn new(change: Change, cluster: Option<&str>, finding: Finding) -> Self {
        let cluster = cluster.or(finding.resource.cluster.as_deref());
        FindingEvent {
            change,
            at: jiff::Timestamp::now(),
            cluster: cluster.map(str::to_owned),
            fingerprint: fingerprint(cluster, &finding),
            finding,
            previous_severity: None,
            previous_message: None,
        }
    }
}

/// A stable identity for "the same problem" across re-evaluations, restarts and releases:
/// cluster, control, the object's identity and the offending field. The API version is reduced
/// to its group so that moving an object from `v1beta1` to `v1` does not reopen its findings,
/// and the message is left out because it may quote values that change while the problem stays.
///
/// SHA-256 rather than the standard library's hasher, whose output may change between Rust
/// releases; receivers store these. Fields are length-prefixed so no two identities can run
/// together into the same input. 64 bits keep collisions negligible at millions of findings.
///
/// `cluster` defaults to the one the finding's resource was read from.
pub fn fingerprint(cluster: Option<&str>, finding: &Finding) -> String {
    let id = &finding.resource;
    let cluster = cluster.or(id.cluster.as_deref());
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let mut field = |value: Option<&str>| match value {
        None => ctx.update(&[0]),
        Some(text) => {
            ctx.update(&[1]);
            ctx.update(&(text.len() as u64).to_le_bytes());
            ctx.update(text.as_bytes());
        }
    };
    field(Some("palisade-finding-v1"));
    field(cluster);
    field(Some(finding.control));
    field(Some(id.group()));
    field(Some(&id.kind));
    field(id.namespace.as_deref());
    field(Some(&id.name));
    field(Some(finding.path.as_str()));
    let digest = ctx.finish();
    digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EventJson<'a> {
    schema_version: &'static str,
    change: Change,
    at: jiff::Timestamp,
    cluster: Option<&'a str>,
    fingerprint: &'a str,
    control: &'a str,
    title: &'a str,
    severity: Severity,
    resource: ResourceJson<'a>,
    path: &'a ObjectPath,
    message: &'a str,
    remediation: &'a str,
    risk: Risk,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_severity: Option<Severity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_message: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResourceJson<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl Serialize for FindingEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = &self.finding;
        EventJson {
            schema_version: SCHEMA_VERSION,
            change: self.change,
            at: self.at,
            cluster: self.cluster.as_deref(),
            fingerprint: &self.fingerprint,
            control: f.control,
            title: f.title,
            severity: f.severity,
            resource: ResourceJson {
                api_version: &f.resource.api_version,
                kind: &f.resource.kind,
                namespace: f.resource.namespace.as_deref(),
                name: &f.resource.name,
            },
            path: &f.path,
            message: &f.message,
            remediation: f.remediation,
            risk: f.risk,
            previous_severity: self.previous_severity,
            previous_message: self.previous_message.as_deref(),
        }
        .serialize(serializer)
    }
}

/// Findings for tests in this crate, built the way the engine builds them.
#[cfg(test)]
pub(crate) mod sample {
    use std::sync::Arc;

    use palisade_core::{Finding, ObjectPath, ResourceId, Risk, RiskFactors, Severity};

    pub fn finding(control: &'static str, severity: Severity, name: &str) -> Finding {
        Finding {
            control,
            title: "Privileged container",
            severity,
            resource: Arc::new(ResourceId {
                cluster: None,
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: Some("prod".into()),
                name: name.into(),
            }),
            path: ObjectPath::parse("spec.template.spec.containers[0].securityContext.privileged"),
            location: None,
            message: "container `app` sets privileged: true".into(),
            remediation: "Remove privileged: true.",
            aliases: &[],
            fix: None,
            risk: Risk::new(severity, RiskFactors::NONE),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::sample::finding;
    use super::*;

    #[test]
    fn fingerprint_ignores_message_version_and_location_but_not_identity() {
        let base = finding("POD-001", Severity::High, "web");
        let fp = fingerprint(Some("prod"), &base);
        assert_eq!(fp.len(), 16);
        assert!(fp.bytes().all(|b| b.is_ascii_hexdigit()));

        let mut same = base.clone();
        same.message = "container `app` sets privileged: yes".into();
        same.severity = Severity::Critical;
        Arc::make_mut(&mut same.resource).api_version = "apps/v1beta2".into();
        assert_eq!(fingerprint(Some("prod"), &same), fp);

        let mut other_group = base.clone();
        Arc::make_mut(&mut other_group.resource).api_version = "extensions/v1beta1".into();
        let mut other_ns = base.clone();
        Arc::make_mut(&mut other_ns.resource).namespace = None;
        let mut other_path = base.clone();
        other_path.path =
            ObjectPath::parse("spec.template.spec.containers[1].securityContext.privileged");
        let others = [
            fingerprint(Some("staging"), &base),
            fingerprint(None, &base),
            fingerprint(Some("prod"), &finding("POD-002", Severity::High, "web")),
            fingerprint(Some("prod"), &finding("POD-001", Severity::High, "api")),
            fingerprint(Some("prod"), &other_group),
            fingerprint(Some("prod"), &other_ns),
            fingerprint(Some("prod"), &other_path),
        ];
        for other in &others {
            assert_ne!(other, &fp);
        }
    }

    #[test]
    fn the_cluster_defaults_to_the_resources() {
        let mut f = finding("POD-001", Severity::High, "web");
        let explicit = fingerprint(Some("prod"), &f);
        Arc::make_mut(&mut f.resource).cluster = Some(Arc::from("prod"));
        assert_eq!(fingerprint(None, &f), explicit);
        let event = FindingEvent::opened(None, f);
        assert_eq!(event.cluster.as_deref(), Some("prod"));
        assert_eq!(event.fingerprint, explicit);
    }

    #[test]
    fn fingerprint_is_stable_across_builds() {
        // Receivers store fingerprints; a change here breaks every deployed integration.
        assert_eq!(
            fingerprint(Some("prod"), &finding("POD-001", Severity::High, "web")),
            "0168d17ad0c50663"
        );
    }

    #[test]
    fn changed_reports_only_what_differs() {
        let before = finding("POD-001", Severity::High, "web");
        assert!(FindingEvent::changed(None, &before, before.clone()).is_none());

        let mut after = before.clone();
        after.severity = Severity::Critical;
        let event = FindingEvent::changed(None, &before, after.clone()).unwrap();
        assert_eq!(event.change, Change::Changed);
        assert_eq!(event.previous_severity, Some(Severity::High));
        assert_eq!(event.previous_message, None);

        after.message = "container `app` sets privileged: yes".into();
        let event = FindingEvent::changed(None, &before, after).unwrap();
        assert_eq!(
            event.previous_message.as_deref(),
            Some(before.message.as_str())
        );
    }

    #[test]
    fn json_shape_is_the_documented_one() {
        let mut event = FindingEvent::changed(
            Some("prod-eu"),
            &finding("POD-001", Severity::Medium, "web"),
            finding("POD-001", Severity::High, "web"),
        )
        .unwrap();
        event.at = "2025-03-01T12:00:00Z".parse().unwrap();
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "schemaVersion": "1",
                "change": "changed",
                "at": "2025-03-01T12:00:00Z",
                "cluster": "prod-eu",
                "fingerprint": event.fingerprint,
                "control": "POD-001",
                "title": "Privileged container",
                "severity": "high",
                "resource": {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "namespace": "prod",
                    "name": "web"
                },
                "path": "spec.template.spec.containers[0].securityContext.privileged",
                "message": "container `app` sets privileged: true",
                "remediation": "Remove privileged: true.",
                "risk": {"score": 30, "factors": []},
                "previousSeverity": "medium"
            })
        );

        let opened = serde_json::to_value(FindingEvent::opened(None, event.finding)).unwrap();
        assert_eq!(opened["cluster"], serde_json::Value::Null);
        assert!(opened.get("previousSeverity").is_none());
        assert!(opened.get("previousMessage").is_none());
    }
}
