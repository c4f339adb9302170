use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::reference::{ImageRef, container_images, with_configured_image};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose image has no tag or the
    /// tag `latest` (`nginx`, `nginx:latest`, `registry.example.com:5000/app`; a colon that
    /// belongs to a registry's port is not a tag). Images pinned by digest (`…@sha256:…`)
    /// pass whatever their tag, since the digest decides what runs. Tags are case-sensitive:
    /// only `latest` is the moving default. Containers without an image are not judged.
    ///
    /// ## Why it matters
    /// `latest` is whatever was pushed last. Two nodes can run different code under the same
    /// manifest, a rollback does not roll anything back, and an attacker who can push to the
    /// repository changes what runs at the next pod start. Reviews and scans of the manifest
    /// say nothing about the code it will run.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.4.2
    /// ```
    ///
    /// ## How to fix
    /// Use a specific version tag, or better a digest (see IMG-002). Only you know which
    /// version should run: name it in `.palisade.yaml` under `fix.images` (`nginx:
    /// nginx:1.27.3`) and `palisade fix --unsafe-fixes` writes it; otherwise the finding is
    /// listed as needing your input.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: Building secure container images
    /// - MITRE ATT&CK T1525 (Implant Internal Image), T1204.003 (Malicious Image)
    pub struct MutableTag {
        id: "IMG-001",
        title: "Image uses the latest tag or no tag",
        severity: Severity::Medium,
        family: Family::Img,
        pss: None,
        aliases: &[kubescape("C-0075"), trivy("KSV-0013"), checkov("CKV_K8S_14"), polaris("tagNotSpecified"), kube_linter("latest-tag"), kube_score("container-image-tag")],
        remediation: "Reference the image by a specific version tag or, better, by digest.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for MutableTag {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for entry in container_images(&pod)? {
            let image = ImageRef::parse(entry.image);
            if image.digest.is_some() {
                continue;
            }
            let problem = match image.tag {
                None => "which has no tag, so `latest` is pulled",
                Some("latest") => "whose tag `latest` moves with every push",
                Some(_) => continue,
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
                r.digest.is_some() || r.tag.is_some_and(|t| t != "latest")
            }));
        }
        Ok(Verdict::Checked(violations))
    }
}
