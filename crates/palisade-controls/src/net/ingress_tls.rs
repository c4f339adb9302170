use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every Ingress (`networking.k8s.io/v1`, `networking.k8s.io/v1beta1` and
    /// `extensions/v1beta1`) that either has no TLS at all (`spec.tls` missing, null or empty),
    /// or routes a host that no `spec.tls[].hosts` entry covers. A wildcard TLS host such as
    /// `*.example.com` covers exactly one extra label (`shop.example.com`, not
    /// `a.shop.example.com`), as in certificate matching. A TLS entry that lists no hosts
    /// covers every host, because the controller then applies it (or its default certificate)
    /// to all of them. Rules without a host are not judged once the Ingress has a TLS
    /// section.
    ///
    /// Whether the Ingress controller also redirects HTTP to HTTPS is controller-specific
    /// (annotations differ per implementation) and is not judged.
    ///
    /// ## Why it matters
    /// Without TLS, everything sent to the host travels in clear text: passwords, session
    /// cookies, API tokens and personal data can be read and modified by anyone on the path,
    /// from a shared Wi-Fi network to a compromised router. A host missing from the TLS list
    /// is easy to overlook when a new rule is added to an existing Ingress.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Ingress
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    /// ```
    /// Fixed:
    /// ```yaml
    /// kind: Ingress
    /// spec:
    ///   tls:
    ///     - hosts: [shop.example.com]
    ///       secretName: shop-example-com-tls
    ///   rules:
    ///     - host: shop.example.com
    /// ```
    ///
    /// ## How to fix
    /// Add a `spec.tls` entry listing every host, with the Secret that holds its certificate.
    /// cert-manager can issue and renew that Secret when the Ingress carries its
    /// `cert-manager.io/cluster-issuer` annotation. The Secret's name and the issuer are yours
    /// to choose, so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening, encryption
    /// - Kubernetes documentation: Ingress (TLS)
    pub struct IngressWithoutTls {
        id: "NET-003",
        title: "Ingress host served without TLS",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[kubescape("C-0263"), polaris("tlsSettingsMissing")],
        remediation: "List every host of the Ingress under spec.tls with a certificate Secret (cert-manager can issue it).",
        fix: FixAvailability::NeedsInput,
    }
}

/// Whether a TLS host entry covers a rule host (both compared case-insensitively).
fn covers(tls_host: &str, host: &str) -> bool {
    if tls_host.eq_ignore_ascii_case(host) {
        return true;
    }
    match tls_host.strip_prefix("*.") {
        Some(suffix) => host.split_once('.').is_some_and(|(label, rest)| {
            !label.is_empty() && label != "*" && rest.eq_ignore_ascii_case(suffix)
        }),
        None => false,
    }
}

impl Check for IngressWithoutTls {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "Ingress"
            || !matches!(resource.id.group(), "networking.k8s.io" | "extensions")
        {
            return Ok(Verdict::NotApplicable);
        }
        let Some(spec) = resource.root.map_field("spec")? else {
            return Ok(Verdict::pass());
        };
        let rules = spec.seq_field("rules")?;
        let mut hosts = Vec::with_capacity(rules.len());
        for (i, rule) in rules.iter().enumerate() {
            if let Some(host) = rule.expect_map("rules")?.str_field("host")? {
                hosts.push((i, host));
            }
        }
        let spec_path = ObjectPath::root().key("spec");
        let tls = spec.seq_field("tls")?;
        if tls.is_empty() {
            let message = if hosts.is_empty() {
                "Ingress has no TLS section (spec.tls), so it serves plain HTTP only".to_string()
            } else {
                let names: Vec<&str> = hosts.iter().map(|(_, h)| *h).collect();
                format!(
                    "Ingress has no TLS section (spec.tls), so {} {} served over plain HTTP",
                    names.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                )
            };
            return Ok(Verdict::Checked(vec![Violation::new(
                spec_path.key("tls"),
                message,
            )]));
        }
        let mut tls_hosts = Vec::new();
        for entry in tls {
            let listed = entry.expect_map("tls")?.seq_field("hosts")?;
            if listed.is_empty() {
                // A TLS entry without hosts applies to every host of the Ingress.
                return Ok(Verdict::pass());
            }
            for host in listed {
                tls_hosts.push(host.expect_str("hosts")?);
            }
        }
        let violations = hosts
            .into_iter()
            .filter(|(_, host)| !tls_hosts.iter().any(|t| covers(t, host)))
            .map(|(i, host)| {
                Violation::new(
                    spec_path.key("rules").index(i).key("host"),
                    format!("host {host} is not covered by any spec.tls[].hosts entry, so it is served without TLS"),
                )
            })
            .collect();
        Ok(Verdict::Checked(violations))
    }
}

#[cfg(test)]
mod tests {
    use super::covers;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("shop.example.com", "SHOP.example.com"));
        assert!(covers("*.example.com", "shop.example.com"));
        assert!(covers("*.example.com", "*.example.com"));
        assert!(!covers("*.example.com", "a.shop.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        assert!(!covers("shop.example.com", "api.example.com"));
    }
}
