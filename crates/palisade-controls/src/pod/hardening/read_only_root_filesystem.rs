use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every container, init container and ephemeral container whose
    /// `securityContext.readOnlyRootFilesystem` is not `true`: the field is missing, `null`,
    /// or `false`. Windows pods (`spec.os.name: windows`) are not judged, because Kubernetes
    /// does not support the field for them.
    ///
    /// ## Why it matters
    /// With a writable root filesystem, anyone who gets code running in the container can
    /// change its binaries and libraries, drop tools into it, or plant a backdoor that lives as
    /// long as the container does. A read-only root forces every write into volumes you
    /// declared, which makes tampering harder and the container's behaviour predictable.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       readOnlyRootFilesystem: true
    ///     volumeMounts:
    ///       - name: tmp
    ///         mountPath: /tmp
    /// volumes:
    ///   - name: tmp
    ///     emptyDir: {}
    /// ```
    ///
    /// ## How to fix
    /// Set `securityContext.readOnlyRootFilesystem: true`. If the application writes to
    /// scratch or cache directories, mount an `emptyDir` volume at each of them. The machine
    /// fix sets the field but cannot know which directories the application writes to, so it
    /// is marked unsafe: test the workload after applying it.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: Immutable container file systems
    /// - CIS Kubernetes Benchmark 5.6.3 (apply security contexts to pods and containers)
    /// - Kubernetes documentation: Configure a Security Context for a Pod or Container
    pub struct ReadOnlyRootFilesystem {
        id: "POD-020",
        title: "Root filesystem is writable",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0017"), trivy("KSV-0014"), checkov("CKV_K8S_22"), polaris("notReadOnlyRootFilesystem"), kube_linter("no-read-only-root-fs"), kube_score("container-security-context-readonlyrootfilesystem")],
        remediation: "Set securityContext.readOnlyRootFilesystem to true and mount an emptyDir volume wherever the application needs to write.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for ReadOnlyRootFilesystem {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if pod.is_windows() {
            return Ok(Verdict::NotApplicable);
        }
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let value = match container.security_context()? {
                Some(sc) => sc.bool_field("readOnlyRootFilesystem")?,
                None => None,
            };
            if value == Some(true) {
                continue;
            }
            let path = container
                .security_context_path()
                .key("readOnlyRootFilesystem");
            let message = match value {
                Some(_) => format!("{} sets readOnlyRootFilesystem: false", container.label()),
                None => format!("{} does not set readOnlyRootFilesystem", container.label()),
            };
            violations.push(Violation::new(path.clone(), message).with_fix(Fix::set(
                "set readOnlyRootFilesystem to true",
                FixSafety::Unsafe,
                path,
                true.into(),
            )));
        }
        Ok(Verdict::Checked(violations))
    }
}
