use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::patterns::classify;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every entry of a ConfigMap's `data` that holds a credential. An entry fails when its
    /// value, anywhere in it, has the shape of a known credential (a PEM private key header,
    /// an AWS access key ID, a GitHub, GitLab, Slack, Google API or Stripe live token, a JSON
    /// Web Token, a URL with a password in it, or a password assignment such as
    /// `spring.datasource.password=…`, `Password=…;` or `password: …` inside an embedded
    /// configuration file), or when its key names a credential and the value could be one.
    ///
    /// The key rules are those of SEC-001: the key is split into words at `_`, `-`, `.` and
    /// case changes, and only its end counts (`db-password`, `apiKey` and `client.secret`
    /// do; `password-file`, `token-audience` and `secret-name` do not). A value cannot be a
    /// credential when it is empty, refers to something else (`$(VAR)`, `${VAR}`, `{{ … }}`,
    /// `<placeholder>`, `INSERT_…`, `YOUR_…`), is a file path, or is a switch or mechanism name (`true`, `none`,
    /// `basic`, …). `binaryData` is not inspected.
    ///
    /// Findings name the key and the rule that matched, never the value.
    ///
    /// ## Why it matters
    /// ConfigMaps are meant for configuration anyone on the team may read: they are not
    /// encrypted at rest, are readable by far more roles than Secrets, show up in
    /// `kubectl describe`, logs and dashboards, and live in Git. A credential in one is
    /// exposed to all of those readers.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: ConfigMap
    /// data:
    ///   db-password: hunter2
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: Secret
    /// type: Opaque
    /// stringData:
    ///   db-password: hunter2   # better: created from a secret store, not committed
    /// ```
    ///
    /// ## How to fix
    /// Move the credential into a Secret (created from a secret store or a sealed or
    /// encrypted source, not committed in plain text), mount it where the application reads
    /// it, and rotate the credential. There is no machine fix: the ConfigMap's consumers must
    /// change too.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.4.2 (consider external secret storage)
    /// - NSA-CISA Kubernetes Hardening Guide: Secrets
    /// - MITRE ATT&CK T1552.001 (Credentials In Files)
    pub struct ConfigMapCredentials {
        id: "SEC-002",
        title: "Credential in a ConfigMap",
        severity: Severity::High,
        family: Family::Sec,
        pss: None,
        aliases: &[kubescape("C-0012"), trivy("KSV-01010"), trivy("KSV-0109"), polaris("sensitiveConfigmapContent")],
        remediation: "Move the credential into a Secret sourced from a secret store, update the consumers, and rotate the credential.",
        fix: FixAvailability::None,
    }
}

impl Check for ConfigMapCredentials {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "ConfigMap" || !resource.id.group().is_empty() {
            return Ok(Verdict::NotApplicable);
        }
        let Some(data) = resource.root.map_field("data")? else {
            return Ok(Verdict::pass());
        };
        let mut violations = Vec::new();
        let data_path = palisade_core::ObjectPath::root().key("data");
        for entry in data.as_map().unwrap_or_default() {
            if entry.value.is_null() {
                continue;
            }
            let value = entry.value.expect_str(&entry.key)?;
            let Some(found) = classify(&entry.key, value) else {
                continue;
            };
            violations.push(Violation::new(
                data_path.key(&entry.key),
                format!(
                    "ConfigMap key `{}` holds a credential: {}",
                    entry.key,
                    found.reason()
                ),
            ));
        }
        Ok(Verdict::Checked(violations))
    }
}
