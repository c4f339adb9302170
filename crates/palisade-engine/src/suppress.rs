//! Why a finding may not count: inline ignore annotations (Palisade's and other tools') and
//! exceptions from the configuration file.

use globset::{Glob, GlobMatcher};
use palisade_controls::resolve_selector;
use palisade_core::{ControlMeta, Resource, Suppression, Tool};

use crate::config::{ExceptionConfig, ResourceSelector};

/// Palisade's own ignore annotation: `"POD-001,RBAC-003 reason…"`.
pub const IGNORE_ANNOTATION: &str = "palisade.dev/ignore";

/// One ignore request read from a resource's annotations.
#[derive(Debug)]
struct InlineIgnore {
    annotation: String,
    reason: String,
    scope: IgnoreScope,
}

#[derive(Debug)]
enum IgnoreScope {
    /// Palisade IDs, aliases or families.
    Selectors(Vec<String>),
    /// IDs in one tool's namespace; match through that tool's aliases only.
    ToolIds(Tool, Vec<String>),
    /// Every control that has an alias in this tool.
    AllOfTool(Tool),
}

/// The ignore requests on one resource, parsed once and asked per control.
#[derive(Debug, Default)]
pub struct InlineIgnores {
    entries: Vec<InlineIgnore>,
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `"POD-001, RBAC-003 legacy job"` → the IDs and the reason. Leading words are IDs while they
/// name controls (or end in a comma, so a mistyped ID is still reported as unknown).
fn split_ids_and_reason(value: &str) -> (Vec<String>, &str) {
    let mut ids = Vec::new();
    let mut rest = value.trim();
    while let Some(word) = rest.split_whitespace().next() {
        let listed = word.ends_with(',');
        let names: Vec<String> = split_list(word);
        let all_known = names.iter().all(|n| resolve_selector(n).is_ok());
        if names.is_empty() || !(listed || all_known) {
            break;
        }
        ids.extend(names);
        rest = rest[word.len()..].trim_start();
    }
    if ids.is_empty() {
        // Nothing recognisable: keep the first word as the (unknown) ID, so it is reported.
        let (first, reason) = value
            .trim()
            .split_once(char::is_whitespace)
            .unwrap_or((value.trim(), ""));
        return (split_list(first), reason);
    }
    (ids, rest)
}

fn is_true(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("true")
}

impl InlineIgnores {
    /// Reads the ignore annotations of `resource`. `today` (YYYY-MM-DD) decides whether a
    /// Kubescape skip with an expiry still applies.
    pub fn read(resource: &Resource, today: jiff::civil::Date) -> InlineIgnores {
        let mut entries = Vec::new();
        let mut kubescape_reason = None;
        let mut kubescape_expired = false;
        for (key, value) in resource.annotations() {
            if key == "kubescape.io/skip-reason" {
                kubescape_reason = Some(value.to_string());
            } else if key == "kubescape.io/skip-expiry" {
                // RFC 3339 as Kubescape writes it, or a plain date; an expiry that cannot be
                // read is treated as passed rather than as "never".
                let expiry = value
                    .parse::<jiff::Timestamp>()
                    .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
                    .or_else(|_| value.trim().parse::<jiff::civil::Date>());
                kubescape_expired = expiry.map_or(true, |date| date < today);
            }
        }
        for (key, value) in resource.annotations() {
            let entry = |reason: &str, scope| InlineIgnore {
                annotation: key.to_string(),
                reason: reason.trim().to_string(),
                scope,
            };
            if key == IGNORE_ANNOTATION {
                let (ids, reason) = split_ids_and_reason(value);
                entries.push(entry(reason, IgnoreScope::Selectors(ids)));
            } else if key == "kubescape.io/skip-controls" && !kubescape_expired {
                let reason = kubescape_reason.as_deref().unwrap_or("");
                entries.push(entry(
                    reason,
                    IgnoreScope::ToolIds(Tool::Kubescape, split_list(value)),
                ));
            } else if key.starts_with("checkov.io/skip") || key.starts_with("bridgecrew.io/skip") {
                let (id, reason) = value.split_once('=').unwrap_or((value, ""));
                entries.push(entry(
                    reason,
                    IgnoreScope::ToolIds(Tool::Checkov, vec![id.trim().to_string()]),
                ));
            } else if let Some(check) = key.strip_prefix("ignore-check.kube-linter.io/") {
                entries.push(entry(
                    value,
                    IgnoreScope::ToolIds(Tool::KubeLinter, vec![check.to_string()]),
                ));
            } else if key == "kube-linter.io/ignore-all" {
                entries.push(entry(value, IgnoreScope::AllOfTool(Tool::KubeLinter)));
            } else if key == "polaris.fairwinds.com/exempt" && is_true(value) {
                entries.push(entry("", IgnoreScope::AllOfTool(Tool::Polaris)));
            } else if let Some(check) = key
                .strip_prefix("polaris.fairwinds.com/")
                .and_then(|rest| rest.strip_suffix("-exempt"))
                .filter(|_| is_true(value))
            {
                entries.push(entry(
                    "",
                    IgnoreScope::ToolIds(Tool::Polaris, vec![check.to_string()]),
                ));
            } else if key == "kube-score/ignore" {
                entries.push(entry(
                    "",
                    IgnoreScope::ToolIds(Tool::KubeScore, split_list(value)),
                ));
            }
        }
        InlineIgnores { entries }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Selectors in Palisade's own annotation that name no control, for a warning.
    pub fn unknown_selectors(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter_map(|e| match &e.scope {
                IgnoreScope::Selectors(s) => Some(s),
                _ => None,
            })
            .flatten()
            .filter(|s| resolve_selector(s).is_err())
            .map(String::as_str)
            .collect()
    }

    /// The suppression that applies to `control`, if any.
    pub fn suppression_for(&self, control: &ControlMeta) -> Option<Suppression> {
        let has_alias = |tool: Tool, id: &str| {
            control
                .aliases
                .iter()
                .any(|a| a.tool == tool && a.id.eq_ignore_ascii_case(id))
        };
        self.entries
            .iter()
            .find(|e| match &e.scope {
                IgnoreScope::Selectors(selectors) => selectors.iter().any(|s| {
                    control.answers_to(s) || control.family.prefix().eq_ignore_ascii_case(s)
                }),
                IgnoreScope::ToolIds(tool, ids) => ids.iter().any(|id| has_alias(*tool, id)),
                IgnoreScope::AllOfTool(tool) => control.aliases.iter().any(|a| a.tool == *tool),
            })
            .map(|e| Suppression::InlineIgnore {
                annotation: e.annotation.clone(),
                reason: if e.reason.is_empty() {
                    "no reason given".into()
                } else {
                    e.reason.clone()
                },
            })
    }
}

/// A configured exception, resolved and ready to match.
#[derive(Debug)]
pub struct Exception {
    pub controls: Vec<&'static str>,
    selectors: Vec<CompiledSelector>,
    pub reason: String,
    pub expires: Option<jiff::civil::Date>,
    /// The selectors as written, for reports.
    pub described_controls: String,
}

#[derive(Debug)]
struct CompiledSelector {
    kind: Option<String>,
    namespace: Option<GlobMatcher>,
    name: Option<GlobMatcher>,
}

pub(crate) fn glob(pattern: &str) -> Result<GlobMatcher, String> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid pattern `{pattern}`: {e}"))
}

impl Exception {
    pub fn compile(config: &ExceptionConfig) -> Result<Exception, String> {
        let mut controls = Vec::new();
        for selector in &config.controls {
            controls.extend(resolve_selector(selector)?.into_iter().map(|c| c.meta().id));
        }
        controls.sort_unstable();
        controls.dedup();
        let selectors = config
            .resources
            .iter()
            .map(|s: &ResourceSelector| {
                Ok(CompiledSelector {
                    kind: s.kind.clone(),
                    namespace: s.namespace.as_deref().map(glob).transpose()?,
                    name: s.name.as_deref().map(glob).transpose()?,
                })
            })
            .collect::<Result<_, String>>()?;
        let expires = config
            .expires
            .as_deref()
            .map(|d| d.parse().map_err(|e| format!("invalid expiry `{d}`: {e}")))
            .transpose()?;
        Ok(Exception {
            controls,
            selectors,
            reason: config.reason.clone(),
            expires,
            described_controls: config.controls.join(","),
        })
    }

    pub fn is_expired(&self, today: jiff::civil::Date) -> bool {
        self.expires.is_some_and(|d| d < today)
    }

    /// Whether this exception covers `control` on `resource`. An exception with no resource
    /// selectors covers every resource.
    pub fn covers(&self, control: &str, resource: &Resource) -> bool {
        if !self.controls.contains(&control) {
            return false;
        }
        self.selectors.is_empty()
            || self.selectors.iter().any(|s| {
                s.kind
                    .as_deref()
                    .is_none_or(|k| k.eq_ignore_ascii_case(&resource.id.kind))
                    && s.namespace
                        .as_ref()
                        .is_none_or(|g| g.is_match(resource.id.namespace.as_deref().unwrap_or("")))
                    && s.name
                        .as_ref()
                        .is_none_or(|g| g.is_match(&resource.id.name))
            })
    }

    pub fn suppression(&self) -> Suppression {
        Suppression::Exception {
            reason: self.reason.clone(),
            expires: self.expires.map(|d| d.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_reason_are_told_apart() {
        let (ids, reason) = split_ids_and_reason("POD-001, POD-002 legacy job");
        assert_eq!(ids, ["POD-001", "POD-002"]);
        assert_eq!(reason, "legacy job");
        let (ids, reason) = split_ids_and_reason("POD-001,RBAC-003 reason with, commas");
        assert_eq!(ids, ["POD-001", "RBAC-003"]);
        assert_eq!(reason, "reason with, commas");
        let (ids, reason) = split_ids_and_reason("C-0057 POD-002 break glass");
        assert_eq!(ids, ["C-0057", "POD-002"]);
        assert_eq!(reason, "break glass");
        let (ids, reason) = split_ids_and_reason("POD-999, POD-001 typo");
        assert_eq!(
            ids,
            ["POD-999", "POD-001"],
            "a listed unknown ID is kept, to be reported"
        );
        assert_eq!(reason, "typo");
        let (ids, reason) = split_ids_and_reason("NOPE because");
        assert_eq!((ids, reason), (vec!["NOPE".to_string()], "because"));
    }
}
