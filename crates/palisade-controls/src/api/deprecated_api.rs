use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, ObjectPath, Resource, Severity, Violation,
};

use super::removals::{ApiChange, lookup, served};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::settings::KubeVersion;

declare_control! {
    /// ## What it checks
    /// Every object whose `apiVersion` and `kind` appear in Palisade's table of deprecated
    /// Kubernetes APIs, judged against the target Kubernetes version (setting `kube_version`,
    /// default the latest release Palisade knows, 1.37):
    /// - removed at the target: the object cannot be applied at all; the message says when it
    ///   was removed and what to use instead;
    /// - deprecated but still served at the target: the message says since when, and when it
    ///   will be removed (or that no removal is scheduled);
    /// - not yet deprecated at the target: passes.
    ///
    /// The table covers every removal in the Kubernetes deprecated API migration guide, from
    /// 1.16 to 1.32: the `extensions/v1beta1`, `apps/v1beta1` and `apps/v1beta2` workloads,
    /// `networking.k8s.io/v1beta1` and `extensions/v1beta1` Ingress, PodSecurityPolicy,
    /// PodDisruptionBudget, CronJob, HorizontalPodAutoscaler `v2beta1` and `v2beta2`,
    /// EndpointSlice, Event, RuntimeClass, CSIStorageCapacity, the flow-control `v1beta1` to
    /// `v1beta3` versions, and the `v1beta1` versions of CRDs, webhooks, RBAC, storage,
    /// scheduling, coordination, certificates and API registration. It also lists core
    /// `v1 Endpoints`, deprecated since 1.33 in favour of EndpointSlice.
    ///
    /// Both cases are one control with one severity (high); the message tells a removed API
    /// from a merely deprecated one. Custom resources' own version deprecations are not
    /// known to Palisade.
    ///
    /// ## Why it matters
    /// The API server rejects objects of a removed API version: a manifest or chart that uses
    /// one fails to apply after the upgrade, often in the middle of a release. PodSecurityPolicy
    /// is the costly case: it was removed in 1.25 with no successor API, and a cluster that
    /// relied on it silently loses its pod security enforcement unless Pod Security Admission
    /// or another admission policy takes over.
    ///
    /// ## Example
    /// Failing (target 1.25 or later):
    /// ```yaml
    /// apiVersion: batch/v1beta1
    /// kind: CronJob
    /// ```
    /// Fixed:
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// ```
    ///
    /// ## How to fix
    /// Change `apiVersion` to the replacement the message names. Where the two versions have
    /// the same schema (CronJob, RBAC, PriorityClass, storage kinds, HorizontalPodAutoscaler
    /// `v2beta2`, …), Palisade's automatic fix does exactly that and is safe. Where fields
    /// changed (workloads, Ingress, CRDs, webhooks, PodDisruptionBudget selectors, …), the
    /// message names the change; `kubectl convert` can rewrite such objects. For
    /// PodSecurityPolicy, label namespaces with `pod-security.kubernetes.io/enforce` so Pod
    /// Security Admission enforces the baseline or restricted standard, then delete the
    /// policies.
    ///
    /// ## References
    /// - Kubernetes documentation: Deprecated API Migration Guide; Kubernetes Deprecation Policy
    /// - Kubernetes documentation: Migrate from PodSecurityPolicy to the Built-In PodSecurity Admission Controller
    /// - NSA-CISA Kubernetes Hardening Guide: upgrading and application security practices
    pub struct DeprecatedApi {
        id: "API-001",
        title: "Deprecated or removed API version",
        severity: Severity::High,
        family: Family::Api,
        pss: None,
        aliases: &[trivy("KSV-0107"), kube_score("stable-version"), kube_linter("no-extensions-v1beta")],
        remediation: "Move the object to the replacement API version named in the message (for PodSecurityPolicy, to Pod Security Admission namespace labels) before upgrading.",
        fix: FixAvailability::Safe,
    }
}

/// The first replacement the target serves, with whether it is the preferred one.
fn replacement_at(change: &ApiChange, target: KubeVersion) -> Option<(&'static str, bool)> {
    change
        .replacements
        .iter()
        .enumerate()
        .find(|(_, (api_version, since))| served(api_version, change.kind, *since, target))
        .map(|(i, (api_version, _))| (*api_version, i == 0))
}

impl Check for DeprecatedApi {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let api_version = resource.id.api_version.as_str();
        let kind = resource.kind();
        let Some(change) = lookup(api_version, kind) else {
            return Ok(Verdict::pass());
        };
        let target = cx.settings.kube_version;
        if target < change.deprecated_in {
            return Ok(Verdict::pass());
        }
        let status = match change.removed_in {
            Some(removed) if removed <= target => format!("was removed in Kubernetes {removed}"),
            Some(removed) => format!(
                "is deprecated since Kubernetes {} and will be removed in {removed} (target {target})",
                change.deprecated_in
            ),
            None => format!(
                "is deprecated since Kubernetes {} (no removal scheduled)",
                change.deprecated_in
            ),
        };
        let replacement = replacement_at(change, target);
        let mut advice = match (replacement, change.otherwise) {
            (Some((api, true)), _) => match change.changes {
                Some(changes) => format!("use {api} (note: {changes})"),
                None => format!("use {api}"),
            },
            (Some((api, false)), _) => {
                format!("use {api}, the replacement Kubernetes {target} serves")
            }
            (None, Some(otherwise)) => format!("use {otherwise}"),
            (None, None) => "no replacement is served at the target version".to_string(),
        };
        // A replacement that is itself on its way out (extensions/v1beta1 PodSecurityPolicy to
        // policy/v1beta1 on 1.21 to 1.24): say so, and name the lasting alternative.
        if let Some((api, _)) = replacement {
            if let Some(next) = lookup(api, kind).filter(|next| next.deprecated_in <= target) {
                advice.push_str(&format!(
                    ", itself deprecated since Kubernetes {}",
                    next.deprecated_in
                ));
                if let Some(otherwise) = change.otherwise {
                    advice.push_str(&format!("; plan to move to {otherwise}"));
                }
            }
        }
        let path = ObjectPath::root().key("apiVersion");
        let mut violation = Violation::new(
            path.clone(),
            format!("{api_version} {kind} {status}; {advice}"),
        );
        if let (Some((api, true)), None) = (replacement, change.changes) {
            violation = violation.with_fix(Fix::set(
                format!("set apiVersion to {api}"),
                FixSafety::Safe,
                path,
                api.into(),
            ));
        }
        Ok(Verdict::Checked(vec![violation]))
    }
}
