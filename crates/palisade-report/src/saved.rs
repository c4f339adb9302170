//! Palisade JSON reports read back: the baseline of a scan and both sides of `palisade diff`.
//! Only what those need is read; fields added by later schema versions are ignored.

use std::collections::HashMap;

use palisade_core::{Location, ResourceId, Severity};
use serde::{Deserialize, Serialize};

/// The parts of a saved JSON report that baselines and diffs use.
#[derive(Clone, Debug, Deserialize)]
pub struct SavedReport {
    #[serde(rename = "schemaVersion")]
    pub schema_version: String,
    pub findings: Vec<SavedFinding>,
    #[serde(default)]
    pub evidence: Option<SavedEvidence>,
    /// Per-framework scores, when the report has them (see [`SavedScore`]).
    #[serde(default, deserialize_with = "framework_scores")]
    pub frameworks: Vec<SavedScore>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedEvidence {
    #[serde(default)]
    pub generated_at: Option<String>,
}

/// One framework's score as a report records it: the extension point through which
/// `palisade diff` shows the change of each framework's score. Reports carry a top-level
/// `frameworks` array of these once framework scoring exists; older reports have none.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedScore {
    pub id: String,
    pub score: f64,
}

/// The `{id, score}` entries of a report's `frameworks` array. Entries without a numeric score
/// (a framework nothing could be evaluated for) are left out rather than failing the report;
/// other fields of an entry are ignored.
fn framework_scores<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<SavedScore>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer)?;
    let entries = value.as_array().map(Vec::as_slice).unwrap_or_default();
    Ok(entries
        .iter()
        .filter_map(|e| {
            Some(SavedScore {
                id: e.get("id")?.as_str()?.to_string(),
                score: e.get("score")?.as_f64()?,
            })
        })
        .collect())
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct SavedFinding {
    pub control: String,
    #[serde(default)]
    pub title: String,
    pub severity: Severity,
    pub resource: ResourceId,
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub message: String,
}

impl SavedFinding {
    /// Computed from the finding's identity rather than read from the file, so reports written
    /// before findings carried a fingerprint compare as well as new ones.
    pub fn fingerprint(&self) -> String {
        palisade_core::fingerprint(&self.control, &self.resource, &self.path)
    }
}

/// The JSON report schema versions this build can read: version 2 only added fields (scores,
/// risk), so both read the same way.
const READABLE_SCHEMAS: [&str; 2] = ["1", crate::json::SCHEMA_VERSION];

impl SavedReport {
    /// Parses a JSON report; the error says what is wrong, for a message that names the file.
    pub fn parse(text: &str) -> Result<SavedReport, String> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
        let Some(version) = value.get("schemaVersion").and_then(|v| v.as_str()) else {
            return Err(
                "not a Palisade JSON report (no schemaVersion; write one with --format json)"
                    .into(),
            );
        };
        if !READABLE_SCHEMAS.contains(&version) {
            return Err(format!(
                "JSON report schema version {version} is not one this Palisade reads ({})",
                READABLE_SCHEMAS.join(", ")
            ));
        }
        serde_json::from_value(value).map_err(|e| format!("not a Palisade JSON report: {e}"))
    }

    /// How many findings of each fingerprint the report holds.
    pub fn fingerprint_counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for f in &self.findings {
            *counts.entry(f.fingerprint()).or_insert(0) += 1;
        }
        counts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_findings_and_recomputes_fingerprints() {
        let report = SavedReport::parse(
            r#"{"schemaVersion": "1", "findings": [{
                "control": "POD-001", "severity": "high", "title": "t", "message": "m",
                "resource": {"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"},
                "path": "spec.x", "location": null, "fingerprint": "ignored"
            }], "somethingNew": 1}"#,
        )
        .unwrap();
        let f = &report.findings[0];
        let id = ResourceId {
            cluster: None,
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
        };
        assert_eq!(
            f.fingerprint(),
            palisade_core::fingerprint("POD-001", &id, "spec.x")
        );
        assert_eq!(report.fingerprint_counts()[&f.fingerprint()], 1);
        assert!(report.frameworks.is_empty());
    }

    #[test]
    fn framework_scores_are_read_where_they_are_numbers() {
        let report = SavedReport::parse(
            r#"{"schemaVersion": "1", "findings": [], "frameworks": [
                {"id": "cis-1.12", "version": "1.12", "score": 72.5, "requirements": []},
                {"id": "nsa-cisa-1.2", "score": null},
                {"score": 3}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            report.frameworks,
            [SavedScore {
                id: "cis-1.12".into(),
                score: 72.5
            }]
        );
    }

    #[test]
    fn other_documents_are_refused_with_a_reason() {
        let err = |text: &str| SavedReport::parse(text).unwrap_err();
        assert!(err("not json").starts_with("not JSON"));
        assert!(err(r#"{"version": "2.1.0", "runs": []}"#).contains("no schemaVersion"));
        assert!(err(r#"{"schemaVersion": "9", "findings": []}"#).contains("version 9"));
        assert!(
            err(r#"{"schemaVersion": "1", "findings": [{"control": 1}]}"#)
                .starts_with("not a Palisade JSON report")
        );
        assert!(err("[]").contains("no schemaVersion"));
    }
}
