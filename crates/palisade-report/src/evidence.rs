//! Evidence: what a report records about how it was made, so an auditor can trust and
//! reproduce it — the tool and catalogue versions, the frameworks asked for, when it was
//! generated, every input with its SHA-256 (or each cluster with its identity and the time it
//! was read), the exceptions that hid findings, and the controls that could not judge.

use std::collections::BTreeMap;

use palisade_core::{ControlMeta, ScanResult, Source, Suppression, to_hex};
use serde::Serialize;

use crate::ReportInput;

/// What the caller of a report knows about its making beyond the result.
#[derive(Clone, Debug)]
pub struct Provenance {
    /// When the report was generated; the CLI takes it from `PALISADE_REPORT_TIME` or
    /// `SOURCE_DATE_EPOCH` when set, so reports can be reproduced byte for byte.
    pub generated_at: jiff::Timestamp,
    /// [`palisade_core::catalog_version`] of the built-in catalogue.
    pub catalog_version: String,
    /// The frameworks the report was asked for, as `id version` (e.g. `cis-1.12 1.12.0`).
    pub frameworks: Vec<String>,
}

impl Provenance {
    /// Generated now, with the catalogue version of `controls`.
    pub fn new(controls: &[&'static ControlMeta]) -> Self {
        Provenance {
            generated_at: jiff::Timestamp::now(),
            catalog_version: palisade_core::catalog_version(controls.iter().copied()),
            frameworks: Vec::new(),
        }
    }

    /// RFC 3339 in UTC, to the second.
    pub fn generated_at_text(&self) -> String {
        self.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Evidence<'a> {
    pub tool: &'a str,
    pub tool_version: &'a str,
    pub catalog_version: &'a str,
    /// How many controls ran.
    pub controls: usize,
    pub frameworks: &'a [String],
    pub generated_at: String,
    pub inputs: Vec<InputFile<'a>>,
    pub clusters: Vec<ClusterIdentity<'a>>,
    pub exceptions: Vec<AppliedException<'a>>,
    pub not_evaluated: Vec<NotEvaluatedControl<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InputFile<'a> {
    pub path: &'a str,
    pub sha256: String,
    /// The tool whose output this is (`helm template`, `kustomize`), for rendered inputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rendered_by: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClusterIdentity<'a> {
    pub context: &'a str,
    pub server: &'a str,
    pub version: &'a str,
    pub read_at: &'a str,
    pub resources: usize,
}

/// One exception or ignore annotation and how many findings it hid.
#[derive(Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppliedException<'a> {
    pub control: &'a str,
    /// `exception` (configuration file) or `inline-ignore` (an annotation on the object).
    pub kind: &'static str,
    pub reason: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub annotation: Option<&'a str>,
    pub findings: usize,
}

/// A control that could not judge some resources, for one reason.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NotEvaluatedControl<'a> {
    pub control: &'a str,
    pub reason: &'a str,
    pub resources: usize,
}

fn input_file(source: &Source) -> InputFile<'_> {
    InputFile {
        path: &source.path,
        sha256: to_hex(&source.sha256),
        rendered_by: source.rendered_by,
    }
}

fn exceptions(result: &ScanResult) -> Vec<AppliedException<'_>> {
    let mut counts: BTreeMap<AppliedException<'_>, usize> = BTreeMap::new();
    for s in &result.suppressed {
        let key = match &s.suppression {
            Suppression::Exception { reason, expires } => AppliedException {
                control: s.finding.control,
                kind: "exception",
                reason,
                expires: expires.as_deref(),
                annotation: None,
                findings: 0,
            },
            Suppression::InlineIgnore { annotation, reason } => AppliedException {
                control: s.finding.control,
                kind: "inline-ignore",
                reason,
                expires: None,
                annotation: Some(annotation),
                findings: 0,
            },
        };
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|(e, findings)| AppliedException { findings, ..e })
        .collect()
}

fn not_evaluated(result: &ScanResult) -> Vec<NotEvaluatedControl<'_>> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for ne in &result.not_evaluated {
        *counts.entry((ne.control, &ne.reason)).or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(|((control, reason), resources)| NotEvaluatedControl {
            control,
            reason,
            resources,
        })
        .collect()
}

impl<'a> Evidence<'a> {
    pub(crate) fn of(input: &'a ReportInput<'a>) -> Self {
        let r = input.result;
        Evidence {
            tool: "palisade",
            tool_version: input.tool_version,
            catalog_version: &input.provenance.catalog_version,
            controls: input.controls.len(),
            frameworks: &input.provenance.frameworks,
            generated_at: input.provenance.generated_at_text(),
            inputs: input.sources.iter().map(input_file).collect(),
            clusters: r
                .clusters
                .iter()
                .map(|c| ClusterIdentity {
                    context: &c.name,
                    server: &c.server,
                    version: &c.version,
                    read_at: &c.read_at,
                    resources: c.resources,
                })
                .collect(),
            exceptions: exceptions(r),
            not_evaluated: not_evaluated(r),
        }
    }

    /// The evidence as plain lines, for the text and Markdown reports: at most `max_items`
    /// inputs, exceptions and not-evaluated entries each (the JSON report has them all).
    pub(crate) fn lines(&self, max_items: usize) -> Vec<String> {
        let mut lines = vec![
            format!("tool: {} {}", self.tool, self.tool_version),
            format!(
                "catalog: {} ({} control{} ran)",
                self.catalog_version,
                self.controls,
                if self.controls == 1 { "" } else { "s" }
            ),
            format!("generated at: {}", self.generated_at),
        ];
        if !self.frameworks.is_empty() {
            lines.push(format!("frameworks: {}", self.frameworks.join(", ")));
        }
        let mut capped = |title: String, items: Vec<String>| {
            if items.is_empty() {
                return;
            }
            lines.push(title);
            let total = items.len();
            lines.extend(items.into_iter().take(max_items).map(|i| format!("  {i}")));
            if total > max_items {
                lines.push(format!(
                    "  … and {} more (all of them are in the JSON report)",
                    total - max_items
                ));
            }
        };
        capped(
            format!("inputs ({}, SHA-256):", self.inputs.len()),
            self.inputs
                .iter()
                .map(|i| match i.rendered_by {
                    Some(tool) => format!("{} {} (rendered by {tool})", i.sha256, i.path),
                    None => format!("{} {}", i.sha256, i.path),
                })
                .collect(),
        );
        capped(
            format!("clusters ({}):", self.clusters.len()),
            self.clusters
                .iter()
                .map(|c| {
                    format!(
                        "{} at {}, Kubernetes {}, read {}, {} resources",
                        c.context, c.server, c.version, c.read_at, c.resources
                    )
                })
                .collect(),
        );
        capped(
            format!("exceptions applied ({}):", self.exceptions.len()),
            self.exceptions
                .iter()
                .map(|e| {
                    let how = match (e.annotation, e.expires) {
                        (Some(annotation), _) => format!("annotation {annotation}"),
                        (None, Some(expires)) => format!("exception until {expires}"),
                        (None, None) => "exception without expiry".to_string(),
                    };
                    format!(
                        "{} ({how}, {} finding{}): {}",
                        e.control,
                        e.findings,
                        if e.findings == 1 { "" } else { "s" },
                        e.reason
                    )
                })
                .collect(),
        );
        capped(
            format!("not evaluated ({}):", self.not_evaluated.len()),
            self.not_evaluated
                .iter()
                .map(|n| {
                    format!(
                        "{} on {} resource{}: {}",
                        n.control,
                        n.resources,
                        if n.resources == 1 { "" } else { "s" },
                        n.reason
                    )
                })
                .collect(),
        );
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn records_inputs_exceptions_and_not_evaluated_controls() {
        let (result, sources) = (testdata::result(), testdata::sources());
        let input = testdata::input(&result, &sources);
        let evidence = Evidence::of(&input);
        let json = serde_json::to_value(&evidence).unwrap();
        assert_eq!(json["toolVersion"], "0.1.0");
        assert_eq!(json["generatedAt"], "2025-03-01T12:00:00Z");
        assert_eq!(json["controls"], 5);
        assert_eq!(
            json["catalogVersion"],
            palisade_core::catalog_version(testdata::CONTROLS)
        );
        assert_eq!(json["inputs"][0]["path"], "deploy/web.yaml");
        assert_eq!(
            json["inputs"][0]["sha256"],
            to_hex(&palisade_core::sha256(testdata::WEB_YAML.as_bytes()))
        );
        assert_eq!(json["inputs"][1]["renderedBy"], "helm");
        assert!(json["inputs"][0].get("renderedBy").is_none());
        assert_eq!(
            json["exceptions"],
            serde_json::json!([
                {"control": "IMG-001", "kind": "inline-ignore", "reason": "pinned by the deploy pipeline",
                 "annotation": "palisade.io/ignore", "findings": 1},
                {"control": "RES-001", "kind": "exception", "reason": "batch helper, sized by LimitRange",
                 "expires": "2027-01-31", "findings": 1}
            ])
        );
        assert_eq!(
            json["notEvaluated"],
            serde_json::json!([{"control": "NET-001", "reason": "listing NetworkPolicies is forbidden", "resources": 1}])
        );
        assert_eq!(json["frameworks"], serde_json::json!([]));
        assert_eq!(json["clusters"], serde_json::json!([]));
    }

    #[test]
    fn lines_cap_long_lists() {
        let result = ScanResult::default();
        let sources: Vec<Source> = (0..5)
            .map(|i| {
                let mut inventory = palisade_core::Inventory::default();
                inventory.add_source(format!("f{i}.yaml"), "a: 1\n");
                inventory.sources.remove(0)
            })
            .collect();
        let input = testdata::input(&result, &sources);
        let lines = Evidence::of(&input).lines(2);
        assert!(lines.contains(&"inputs (5, SHA-256):".to_string()));
        assert_eq!(lines.iter().filter(|l| l.contains(".yaml")).count(), 2);
        assert!(lines.iter().any(|l| l.contains("… and 3 more")));
        assert!(!lines.iter().any(|l| l.starts_with("exceptions")));
    }
}
