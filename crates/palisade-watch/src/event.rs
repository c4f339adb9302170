//! What watch tells the outside world: a finding appeared, went away, or changed.
//!
//! Events leave the process as JSON (stdout lines, webhook bodies), so their shape is a contract
//! with other people's code: it is written out field by field here rather than borrowed from
//! [`Finding`]'s own serialisation, carries `schemaVersion`, and is described in
//! `docs/watch-events.md`. Any change to it is a new schema version.

use std::sync::Arc;

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
    /// [`Finding::fingerprint`] of the finding in this event's cluster.
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

    /// `cluster` defaults to the one the finding's resource was read from; when given, the
    /// resource is placed in it, so the fingerprint names the cluster the event does.
    fn new(change: Change, cluster: Option<&str>, mut finding: Finding) -> Self {
        if let Some(cluster) = cluster
            && finding.resource.cluster.as_deref() != Some(cluster)
        {
            Arc::make_mut(&mut finding.resource).cluster = Some(Arc::from(cluster));
        }
        FindingEvent {
            change,
            at: jiff::Timestamp::now(),
            cluster: finding.resource.cluster.as_deref().map(str::to_owned),
            fingerprint: finding.fingerprint(),
            finding,
            previous_severity: None,
            previous_message: None,
        }
    }
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
    fn the_fingerprint_names_the_events_cluster() {
        let f = finding("POD-001", Severity::High, "web");
        let prod = FindingEvent::opened(Some("prod"), f.clone());
        let staging = FindingEvent::opened(Some("staging"), f.clone());
        assert_ne!(prod.fingerprint, staging.fingerprint);
        assert_eq!(prod.finding.resource.cluster.as_deref(), Some("prod"));
        // Watch events have always carried this value; receivers store it.
        assert_eq!(prod.fingerprint, "0168d17ad0c50663");
        assert_eq!(FindingEvent::opened(None, f).cluster, None);
    }

    #[test]
    fn the_cluster_defaults_to_the_resources() {
        let mut f = finding("POD-001", Severity::High, "web");
        let explicit = FindingEvent::opened(Some("prod"), f.clone()).fingerprint;
        Arc::make_mut(&mut f.resource).cluster = Some(Arc::from("prod"));
        let event = FindingEvent::opened(None, f.clone());
        assert_eq!(event.cluster.as_deref(), Some("prod"));
        assert_eq!(event.fingerprint, explicit);
        assert_eq!(event.fingerprint, f.fingerprint());
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

        let opened = serde_json::to_value(FindingEvent::opened(
            None,
            finding("POD-001", Severity::High, "web"),
        ))
        .unwrap();
        assert_eq!(opened["cluster"], serde_json::Value::Null);
        assert!(opened.get("previousSeverity").is_none());
        assert!(opened.get("previousMessage").is_none());
    }
}
