use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::patterns::classify;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every `env` entry of a container, init container or ephemeral container that sets a
    /// credential as a literal `value`. An entry fails when either
    /// - its value has the shape of a known credential: a PEM private key header, an AWS
    ///   access key ID (`AKIA…`/`ASIA…` plus 16 characters), a GitHub (`ghp_…`,
    ///   `github_pat_…`), GitLab (`glpat-…`), Slack (`xoxb-…`), Google API (`AIza…`) or
    ///   Stripe live (`sk_live_…`) token, a JSON Web Token, a URL with a password in it
    ///   (`postgres://user:pw@db`), or a password assignment (`Password=…;`,
    ///   `--password=…`, `password: …`); or
    /// - its name ends in a word that names a credential (`PASSWORD`, `PASSWD`,
    ///   `PASSPHRASE`, `SECRET`, `TOKEN`, `APIKEY`, `CREDENTIAL(S)`, `CREDS`, `AUTH`, or
    ///   `PASS`/`PWD` after another word), or in `KEY` qualified by `API`, `ACCESS`,
    ///   `PRIVATE`, `SECRET`, `ENCRYPTION`, `SIGNING`, `MASTER`, `LICENSE`, `SSH`,
    ///   `ACCOUNT`, `STORAGE` or `BATCH`, or in `KEY_CONTENT`/`KEY_DATA`/`KEY_PEM` (the key
    ///   material itself), and the value could be a credential.
    ///
    /// Names are split into words at `_`, `-`, `.` and case changes, so `DB_PASSWORD`,
    /// `dbPassword` and `db.password` all end in `PASSWORD`. Only the end of the name counts:
    /// `PASSWORD_FILE`, `TOKEN_AUDIENCE`, `SECRET_NAME` and `AWS_ACCESS_KEY_ID` hold a path,
    /// a setting, an object's name or an identifier, not the credential. A value cannot be a
    /// credential when it is empty, refers to something else (`$(OTHER_VAR)`, `${VAR}`,
    /// `{{ … }}`, `<placeholder>`), is an example fill-in (`INSERT_…`, `REPLACE_…`,
    /// `YOUR_…`), is a file path (`/run/secrets/db`, `./key.pem`,
    /// `file:…`), or is a switch or mechanism name (`true`, `false`, `none`, `basic`, …).
    /// There is no guessing from randomness: a value has to match a precise shape.
    ///
    /// Findings name the variable and the rule that matched, never the value. Entries using
    /// `valueFrom` are judged by SEC-003 instead.
    ///
    /// ## Why it matters
    /// A literal value is stored in the manifest, in Git history, in every rendered chart, and
    /// in the workload object in etcd, where encryption at rest is usually set up for Secrets
    /// only. It is shown to anyone who can read the workload, a far wider audience than those
    /// who can read Secrets. Credentials committed to a repository are a common cause of breaches.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD
    ///     value: hunter2
    /// ```
    /// Fixed:
    /// ```yaml
    /// env:
    ///   - name: DB_PASSWORD_FILE
    ///     value: /run/secrets/db/password
    /// volumeMounts:
    ///   - name: db
    ///     mountPath: /run/secrets/db
    ///     readOnly: true
    /// ```
    ///
    /// ## How to fix
    /// Put the credential in a Secret (or an external secret store) and mount it as a file;
    /// reading it through `valueFrom.secretKeyRef` is better than a literal too. Then rotate
    /// the credential: it has been exposed. There is no machine fix: only you know which
    /// Secret should hold it.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.4.2 (consider external secret storage)
    /// - NSA-CISA Kubernetes Hardening Guide: Secrets
    /// - MITRE ATT&CK T1552.001 (Credentials In Files), T1552.007 (Container API)
    pub struct LiteralEnvCredentials {
        id: "SEC-001",
        title: "Credential in a literal environment variable",
        severity: Severity::High,
        family: Family::Sec,
        pss: None,
        aliases: &[kubescape("C-0012"), polaris("sensitiveContainerEnvVar"), kube_linter("env-var-secret")],
        remediation: "Move the credential into a Secret mounted as a file (or at least referenced with valueFrom.secretKeyRef), then rotate it.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for LiteralEnvCredentials {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for (i, entry) in container.node.seq_field("env")?.iter().enumerate() {
                let entry = entry.expect_map("env")?;
                let Some(value) = entry.str_field("value")? else {
                    continue;
                };
                let name = entry.str_field("name")?.unwrap_or_default();
                let Some(found) = classify(name, value) else {
                    continue;
                };
                violations.push(Violation::new(
                    container.path.key("env").index(i).key("value"),
                    format!(
                        "{} sets environment variable `{name}` to a literal credential: {}",
                        container.label(),
                        found.reason()
                    ),
                ));
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
