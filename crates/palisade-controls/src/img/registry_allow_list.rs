use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::reference::{
    DOCKER_HUB, ImageRef, container_images, is_registry_host, with_configured_image,
};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// An allow-list entry: a registry host and an optional repository prefix within it.
#[derive(Debug, PartialEq, Eq)]
struct Allowed {
    registry: String,
    prefix: String,
}

impl Allowed {
    /// Reads an entry the way an image reference is read: `registry.example.com`,
    /// `registry.example.com:5000/team`, `ghcr.io/example`, `docker.io`, or a Docker Hub
    /// namespace such as `bitnami` or `library`. A scheme and trailing slashes are ignored.
    fn parse(entry: &str) -> Self {
        let entry = entry.trim();
        let entry = entry
            .strip_prefix("https://")
            .or_else(|| entry.strip_prefix("http://"))
            .unwrap_or(entry)
            .trim_matches('/');
        let (first, rest) = entry.split_once('/').unwrap_or((entry, ""));
        let (registry, prefix) = if is_registry_host(first) {
            (first.to_ascii_lowercase(), rest)
        } else {
            (DOCKER_HUB.to_string(), entry)
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        Allowed {
            registry,
            prefix: prefix.trim_matches('/').to_string(),
        }
    }

    /// Whether the image comes from this registry and, if a prefix is given, from a
    /// repository at or below it (`ghcr.io/example` allows `ghcr.io/example/app` but not
    /// `ghcr.io/examples/app`).
    fn allows(&self, image: &ImageRef<'_>) -> bool {
        if self.registry != image.registry {
            return false;
        }
        if self.prefix.is_empty() {
            return true;
        }
        match image.repository.strip_prefix(self.prefix.as_str()) {
            Some(rest) => rest.is_empty() || rest.starts_with('/'),
            None => false,
        }
    }
}

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose image comes from a
    /// registry outside the allow-list set in `.palisade.yaml`:
    /// ```yaml
    /// registries:
    ///   allowed:
    ///     - registry.example.com        # any repository on this registry
    ///     - ghcr.io/example             # only repositories under ghcr.io/example/
    ///     - docker.io/library           # Docker Hub's official images only
    /// ```
    /// Image references are read as container runtimes read them: a reference without a
    /// registry (`nginx`, `bitnami/redis`) comes from Docker Hub (`docker.io`), Docker Hub's
    /// official images live under `library/`, and the first component is a registry only if
    /// it has a dot or a port or is `localhost`. Registry names are compared without regard to
    /// case and including the port, so `registry.example.com:5000` is a different registry
    /// from `registry.example.com`. A repository prefix matches whole path components:
    /// `ghcr.io/example` allows `ghcr.io/example/app` but not `ghcr.io/examples/app`.
    /// Allow-list entries are read the same way, so `bitnami` means `docker.io/bitnami`.
    ///
    /// Without an allow-list the control is reported as not evaluated, never as passed.
    /// Containers without an image are not judged.
    ///
    /// ## Why it matters
    /// Anyone can publish to a public registry, including look-alike and compromised images.
    /// Restricting workloads to registries you control, where images are built, scanned and
    /// signed by your own pipeline, closes off a whole class of supply-chain attacks and keeps
    /// the cluster working when a public registry limits or drops your pulls.
    ///
    /// ## Example
    /// With `registries.allowed: [registry.example.com]`, failing:
    /// ```yaml
    /// image: nginx:1.27
    /// ```
    /// Fixed (the image mirrored into the allowed registry):
    /// ```yaml
    /// image: registry.example.com/mirror/nginx:1.27
    /// ```
    ///
    /// ## How to fix
    /// Mirror or rebuild the image into an allowed registry and reference it there, or add
    /// the registry to `registries.allowed` if it is trusted. Enforce the same list at
    /// admission. Only you know where the image is mirrored: name the mirrored reference in
    /// `.palisade.yaml` under `fix.images` and `palisade fix --unsafe-fixes` writes it (when it
    /// is in the allow-list); otherwise the finding is listed as needing your input.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.5.1 (image provenance)
    /// - NSA-CISA Kubernetes Hardening Guide: Building secure container images
    /// - MITRE ATT&CK T1204.003 (Malicious Image), T1525 (Implant Internal Image), T1610 (Deploy Container)
    pub struct RegistryAllowList {
        id: "IMG-004",
        title: "Image from a registry outside the allow-list",
        severity: Severity::Medium,
        family: Family::Img,
        pss: None,
        aliases: &[kubescape("C-0078"), trivy("KSV-0125")],
        remediation: "Pull the image from an allowed registry (mirror it there), or add its registry to registries.allowed in .palisade.yaml if it is trusted.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for RegistryAllowList {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if cx.settings.allowed_registries.is_empty() {
            return Err(Skip::new(
                "no registry allow-list configured (set `registries.allowed` in .palisade.yaml)",
            ));
        }
        let allowed: Vec<Allowed> = cx
            .settings
            .allowed_registries
            .iter()
            .map(|e| Allowed::parse(e))
            .collect();
        let mut violations = Vec::new();
        for entry in container_images(&pod)? {
            let image = ImageRef::parse(entry.image);
            if allowed.iter().any(|a| a.allows(&image)) {
                continue;
            }
            let violation = Violation::new(
                entry.path.clone(),
                format!(
                    "{} uses image `{}` from {}/{}, outside the registry allow-list ({})",
                    entry.container.label(),
                    entry.image.trim(),
                    image.registry,
                    image.repository,
                    cx.settings.allowed_registries.join(", ")
                ),
            );
            violations.push(with_configured_image(cx, &entry, violation, |r| {
                allowed.iter().any(|a| a.allows(r))
            }));
        }
        Ok(Verdict::Checked(violations))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(entry: &str, image: &str) -> bool {
        Allowed::parse(entry).allows(&ImageRef::parse(image))
    }

    #[test]
    fn matches_registries_and_prefixes_on_boundaries() {
        assert!(allowed(
            "registry.example.com",
            "registry.example.com/app:1"
        ));
        assert!(allowed(
            "registry.example.com",
            "Registry.Example.com/team/app"
        ));
        assert!(allowed("registry.example.com/", "registry.example.com/app"));
        assert!(allowed(
            "https://registry.example.com",
            "registry.example.com/app"
        ));
        assert!(!allowed(
            "registry.example.com",
            "registry.example.com:5000/app"
        ));
        assert!(!allowed(
            "registry.example.com",
            "registry.example.com.evil.io/app"
        ));
        assert!(allowed("ghcr.io/example", "ghcr.io/example/app:1"));
        assert!(allowed("ghcr.io/example", "ghcr.io/example/team/app"));
        assert!(!allowed("ghcr.io/example", "ghcr.io/examples/app"));
        assert!(!allowed("ghcr.io/example", "ghcr.io/other/app"));
        assert!(allowed("docker.io", "nginx"));
        assert!(allowed("docker.io/library", "nginx:1.27"));
        assert!(allowed("index.docker.io", "bitnami/redis"));
        assert!(!allowed("docker.io/library", "bitnami/redis"));
        assert!(allowed("bitnami", "docker.io/bitnami/redis"));
        assert!(allowed("library", "index.docker.io/library/nginx"));
        assert!(allowed("localhost:5000", "localhost:5000/app"));
        assert!(!allowed("docker.io", "registry.example.com/app"));
    }
}
