use palisade_core::{Family, FixAvailability, Node, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container that reads a Secret into its
    /// environment: an `env` entry with `valueFrom.secretKeyRef`, or an `envFrom` entry with
    /// `secretRef` (which loads every key of the Secret). Secrets mounted as volumes pass.
    ///
    /// ## Why it matters
    /// Environment variables leak more easily than files: they are inherited by every child
    /// process, printed by crash reporters, debug endpoints and `env` in a shell, visible in
    /// `/proc/<pid>/environ` to processes of the same user, and cannot be updated without a
    /// restart. A file mounted from a Secret can be read only where the application opens it,
    /// and is refreshed when the Secret changes.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     valueFrom:
    ///       secretKeyRef:
    ///         name: db
    ///         key: password
    /// ```
    /// Fixed:
    /// ```yaml
    /// volumeMounts:
    ///   - name: db
    ///     mountPath: /run/secrets/db
    ///     readOnly: true
    /// volumes:
    ///   - name: db
    ///     secret:
    ///       secretName: db
    /// ```
    ///
    /// ## How to fix
    /// Mount the Secret as a volume and have the application read the file (many images
    /// accept a `*_FILE` variable naming it). There is no machine fix: the application has
    /// to change how it reads the value.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.4.1 (prefer using Secrets as files over Secrets as
    ///   environment variables)
    /// - NSA-CISA Kubernetes Hardening Guide: Secrets
    /// - MITRE ATT&CK T1552.007 (Container API)
    pub struct SecretInEnv {
        id: "SEC-003",
        title: "Secret passed as an environment variable",
        severity: Severity::Low,
        family: Family::Sec,
        pss: None,
        aliases: &[kubescape("C-0207"), checkov("CKV_K8S_35"), kube_linter("read-secret-from-env-var")],
        remediation: "Mount the Secret as a read-only volume and read the value from the file instead of the environment.",
        fix: FixAvailability::None,
    }
}

/// `name` of a secret reference, for the message.
fn secret_name(reference: &Node) -> Result<&str, Skip> {
    Ok(reference.str_field("name")?.unwrap_or("<unnamed>"))
}

impl Check for SecretInEnv {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for (i, entry) in container.node.seq_field("env")?.iter().enumerate() {
                let entry = entry.expect_map("env")?;
                let Some(from) = entry.map_field("valueFrom")? else {
                    continue;
                };
                let Some(reference) = from.map_field("secretKeyRef")? else {
                    continue;
                };
                let variable = entry.str_field("name")?.unwrap_or_default();
                let key = reference.str_field("key")?.unwrap_or("<no key>");
                violations.push(Violation::new(
                    container.path.key("env").index(i).keys(&["valueFrom", "secretKeyRef"]),
                    format!(
                        "{} reads key `{key}` of Secret `{}` into environment variable `{variable}`",
                        container.label(),
                        secret_name(reference)?
                    ),
                ));
            }
            for (i, entry) in container.node.seq_field("envFrom")?.iter().enumerate() {
                let entry = entry.expect_map("envFrom")?;
                let Some(reference) = entry.map_field("secretRef")? else {
                    continue;
                };
                let prefix = match entry.str_field("prefix")? {
                    Some(prefix) if !prefix.is_empty() => format!(" (prefixed `{prefix}`)"),
                    _ => String::new(),
                };
                violations.push(Violation::new(
                    container.path.key("envFrom").index(i).key("secretRef"),
                    format!(
                        "{} loads every key of Secret `{}` into its environment{prefix}",
                        container.label(),
                        secret_name(reference)?
                    ),
                ));
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
