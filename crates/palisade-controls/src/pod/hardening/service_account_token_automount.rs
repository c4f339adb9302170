use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Whether Kubernetes would mount a service account token into the pod. The pod passes
    /// when its spec sets `automountServiceAccountToken: false`, or when it leaves the field
    /// unset and its ServiceAccount, found among the scanned resources in the same namespace,
    /// sets `automountServiceAccountToken: false`. It fails when the pod sets the field to
    /// `true` (the pod's setting wins over the ServiceAccount's), or when neither says `false`.
    /// The ServiceAccount is `spec.serviceAccountName`, or the older `spec.serviceAccount`, or
    /// `default`.
    ///
    /// ## Why it matters
    /// The mounted token lets any process in the container call the Kubernetes API as the
    /// pod's service account. Most applications never talk to the API, yet an attacker who
    /// gets code running in the container can read the token from the filesystem and use
    /// every permission bound to that account, or try to find more.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// spec:
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// spec:
    ///   automountServiceAccountToken: false
    ///   containers:
    ///     - name: app
    ///       image: example/app:1.0
    /// ```
    ///
    /// ## How to fix
    /// Set `automountServiceAccountToken: false` in the pod spec, or on a dedicated
    /// ServiceAccount used by pods that do not need the API. Pods that do need the API should
    /// use a dedicated ServiceAccount with minimal permissions and keep the token; record an
    /// exception for them. The machine fix sets the pod field; it is marked unsafe because a
    /// workload that calls the API stops working without its token.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.6 (service account tokens only where necessary)
    /// - NSA-CISA Kubernetes Hardening Guide: Protecting Pod service account tokens
    /// - MITRE ATT&CK T1528 (Steal Application Access Token), T1550.001 (Application Access Token)
    pub struct ServiceAccountTokenAutomount {
        id: "POD-021",
        title: "Service account token is mounted automatically",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0034"), kubescape("C-0190"), kubescape("C-0261"), trivy("KSV-0036"), checkov("CKV_K8S_38"), polaris("automountServiceAccountToken")],
        remediation: "Set automountServiceAccountToken: false in the pod spec (or on its ServiceAccount) unless the workload calls the Kubernetes API.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for ServiceAccountTokenAutomount {
    /// The pod's ServiceAccount may turn automounting off for every pod that uses it.
    const READS: &'static [Reads] = &[Reads::namespace("", "ServiceAccount")];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let path = pod.path.key("automountServiceAccountToken");
        let message = match pod.spec.bool_field("automountServiceAccountToken")? {
            Some(false) => return Ok(Verdict::pass()),
            Some(true) => "the pod sets automountServiceAccountToken: true".to_string(),
            None => {
                let account = match pod.spec.str_field("serviceAccountName")? {
                    Some(name) if !name.is_empty() => name,
                    _ => match pod.spec.str_field("serviceAccount")? {
                        Some(name) if !name.is_empty() => name,
                        _ => "default",
                    },
                };
                match account_automount(cx, resource, account)? {
                    Some(false) => return Ok(Verdict::pass()),
                    Some(true) => format!(
                        "the pod does not set automountServiceAccountToken, and its service account `{account}` sets it to true"
                    ),
                    None => format!(
                        "neither the pod nor its service account `{account}` sets automountServiceAccountToken: false"
                    ),
                }
            }
        };
        Ok(Verdict::Checked(vec![
            Violation::new(path.clone(), message).with_fix(Fix::set(
                "set automountServiceAccountToken to false",
                FixSafety::Unsafe,
                path,
                false.into(),
            )),
        ]))
    }
}

/// The `automountServiceAccountToken` of the named ServiceAccount in the pod's namespace, when
/// the scan holds that ServiceAccount and it sets the field.
fn account_automount(cx: &Context<'_>, pod: &Resource, name: &str) -> Result<Option<bool>, Skip> {
    let Some(account) = cx.find("", "ServiceAccount", pod.id.namespace.as_deref(), name) else {
        return Ok(None);
    };
    account
        .root
        .bool_field("automountServiceAccountToken")
        .map_err(|err| {
            Skip::new(format!(
                "the pod's service account {} cannot be read: {err}",
                account.id
            ))
        })
}
