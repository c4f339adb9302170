use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::reference::{ImageRef, container_images, with_configured_image};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose image is not pinned by
    /// a well-formed digest: `@sha256:` followed by 64 lower-case hex digits (`sha384` and
    /// `sha512` digests of the right length are accepted too). A tag next to the digest is
    /// allowed; the runtime ignores it. A malformed digest fails with its own message.
    /// Containers without an image are not judged.
    ///
    /// ## Why it matters
    /// Tags, even version tags, can be moved to other content by anyone who can push to the
    /// repository, including an attacker with stolen registry credentials. A digest names
    /// the exact content: the node verifies it when pulling, so the image that was reviewed,
    /// scanned and signed is the image that runs.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// image: registry.example.com/app:1.4.2
    /// ```
    /// Fixed:
    /// ```yaml
    /// image: registry.example.com/app:1.4.2@sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945
    /// ```
    ///
    /// ## How to fix
    /// Resolve the tag to its digest (for example with `crane digest` or
    /// `docker buildx imagetools inspect`) and append `@sha256:…` to the image. Let a
    /// dependency bot update digests. `palisade fix --unsafe-fixes` writes a pinned reference
    /// you give in `.palisade.yaml` under `fix.images`; it resolves no digest itself, since that
    /// needs the registry and Palisade works offline.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.5.1 (image provenance)
    /// - NSA-CISA Kubernetes Hardening Guide: Building secure container images
    /// - MITRE ATT&CK T1525 (Implant Internal Image), T1204.003 (Malicious Image)
    pub struct DigestPinning {
        id: "IMG-002",
        title: "Image not pinned by digest",
        severity: Severity::Low,
        family: Family::Img,
        pss: None,
        aliases: &[kubescape("C-0306"), checkov("CKV_K8S_43")],
        remediation: "Pin the image by digest (image: repo:tag@sha256:<digest>) and let automation update the digest.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for DigestPinning {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for entry in container_images(&pod)? {
            let image = ImageRef::parse(entry.image);
            let problem = match image.digest {
                Some(_) if image.has_valid_digest() => continue,
                Some(_) => "whose digest is malformed",
                None => "which is not pinned by digest",
            };
            let violation = Violation::new(
                entry.path.clone(),
                format!(
                    "{} uses image `{}`, {problem}",
                    entry.container.label(),
                    entry.image.trim()
                ),
            );
            violations.push(with_configured_image(cx, &entry, violation, |r| {
                r.has_valid_digest()
            }));
        }
        Ok(Verdict::Checked(violations))
    }
}
