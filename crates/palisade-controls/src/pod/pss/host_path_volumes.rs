use palisade_core::{Family, FixAvailability, Node, PssLevel, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Pod volumes with a `hostPath` source, whatever directory or file they point at. This
    /// is the Pod Security Standards baseline check "HostPath Volumes". At the restricted level
    /// the broader POD-013 (volume types) covers the same case.
    ///
    /// ## Why it matters
    /// A `hostPath` volume hands the container a piece of the node's filesystem. Depending on
    /// the path that is the container runtime's socket (and with it control of every container
    /// on the node), the kubelet's credentials, other pods' data, or a place to plant files the
    /// node will execute. Even a read-only mount can leak secrets stored on the node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// volumes:
    ///   - name: logs
    ///     hostPath:
    ///       path: /var/log
    /// ```
    /// Fixed:
    /// ```yaml
    /// volumes:
    ///   - name: logs
    ///     emptyDir: {}
    /// ```
    ///
    /// ## How to fix
    /// Use a volume type that does not expose the node: `emptyDir` for scratch space, a
    /// `persistentVolumeClaim` for data that must survive the pod, `configMap` or `secret` for
    /// configuration. Node agents that truly need host files belong in an exempted namespace.
    /// Palisade's machine fix (unsafe, applied with `palisade fix --unsafe-fixes`) turns the
    /// volume into an `emptyDir` of the same name, so the mounts stay valid; whether the
    /// application still works without the node's files, or needs a claim instead, is for you
    /// to judge.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: HostPath Volumes
    /// - CIS Kubernetes Benchmark 5.2.11
    /// - MITRE ATT&CK T1611 (Escape to Host), T1552.001 (Credentials In Files)
    pub struct HostPathVolumes {
        id: "POD-003",
        title: "hostPath volume",
        severity: Severity::High,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[kubescape("C-0048"), trivy("KSV-0023"), polaris("hostPathSet")],
        remediation: "Replace the hostPath volume with emptyDir, a PersistentVolumeClaim, a ConfigMap or a Secret; keep node agents that need host files in an exempted namespace.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for HostPathVolumes {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for (volume, path) in pod.volumes()? {
            let Some(host_path) = volume.map_field("hostPath")? else {
                continue;
            };
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>");
            let message = match host_path.get("path").and_then(Node::as_str) {
                Some(dir) => format!("volume `{name}` mounts the node's {dir} through hostPath"),
                None => format!("volume `{name}` is a hostPath volume"),
            };
            violations.push(
                Violation::new(path.key("hostPath"), message)
                    .with_fix(crate::pod::host_path_to_empty_dir(&path)),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
