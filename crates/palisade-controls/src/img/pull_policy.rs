use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use super::reference::{ImageRef, container_images};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose effective
    /// `imagePullPolicy` is not `Always`, unless its image is pinned by a well-formed digest.
    /// The effective policy is the one written in the manifest or, when none is, the one
    /// Kubernetes fills in: `Always` for an image with the tag `latest` or no tag and no
    /// digest, `IfNotPresent` otherwise. So `nginx` with no policy passes (IMG-001 reports
    /// the tag), `nginx:1.27` with no policy fails, and `nginx@sha256:…` passes with any
    /// policy, because a digest cannot change content. Containers without an image are not
    /// judged.
    ///
    /// ## Why it matters
    /// With `IfNotPresent` or `Never`, a node reuses whatever it cached under the tag: a tag
    /// that was moved keeps running old content on some nodes and new content on others,
    /// and a pod may start from an image that another workload pulled with credentials this
    /// pod's namespace does not have. `Always` makes the node ask the registry each time a
    /// container starts, so the registry's content and access rules apply.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.4.2
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: registry.example.com/app:1.4.2
    ///     imagePullPolicy: Always
    /// ```
    ///
    /// ## How to fix
    /// Set `imagePullPolicy: Always`, or pin the image by digest (IMG-002). Cluster-wide,
    /// the `AlwaysPullImages` admission plugin enforces the same. The machine fix sets the
    /// policy; it is marked unsafe because pods then need the registry to be reachable to
    /// start, which breaks air-gapped nodes that rely on preloaded images.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: Building secure container images
    /// - Kubernetes documentation: Images, image pull policy
    pub struct PullPolicy {
        id: "IMG-003",
        title: "Image pull policy is not Always",
        severity: Severity::Low,
        family: Family::Img,
        pss: None,
        aliases: &[kubescape("C-0075"), checkov("CKV_K8S_15"), polaris("pullPolicyNotAlways"), kube_score("container-image-pull-policy")],
        remediation: "Set imagePullPolicy: Always, or pin the image by digest.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for PullPolicy {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for entry in container_images(&pod)? {
            let policy = entry.container.node.str_field("imagePullPolicy")?;
            let image = ImageRef::parse(entry.image);
            if image.has_valid_digest() {
                continue;
            }
            let shown = entry.image.trim();
            let label = entry.container.label();
            let message = match policy {
                Some("Always") => continue,
                Some(policy) => {
                    format!("{label} sets imagePullPolicy: {policy} for image `{shown}`")
                }
                None => {
                    let defaults_to_always =
                        image.digest.is_none() && matches!(image.tag, None | Some("latest"));
                    if defaults_to_always {
                        continue;
                    }
                    format!(
                        "{label} does not set imagePullPolicy, so Kubernetes uses IfNotPresent for image `{shown}`"
                    )
                }
            };
            let path = entry.container.path.key("imagePullPolicy");
            violations.push(Violation::new(path.clone(), message).with_fix(Fix::set(
                "set imagePullPolicy to Always",
                FixSafety::Unsafe,
                path,
                "Always".into(),
            )));
        }
        Ok(Verdict::Checked(violations))
    }
}
