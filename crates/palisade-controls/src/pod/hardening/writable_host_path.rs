use palisade_core::{Family, Fix, FixAvailability, FixSafety, Resource, Severity, Violation};

use super::common::host_path_volumes;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

declare_control! {
    /// ## What it checks
    /// Every `volumeMounts` entry of a container, init container or ephemeral container that
    /// mounts one of the pod's `hostPath` volumes without `readOnly: true`. A hostPath volume
    /// that no container mounts is not reported here (POD-023 and the Pod Security Standards
    /// check judge the volume itself).
    ///
    /// ## Why it matters
    /// A writable mount lets the container change files on the node. Depending on the path,
    /// that means planting a program the node will run, editing the kubelet's or another
    /// pod's files, or filling the node's disk. Even a path that looks harmless can contain a
    /// symbolic link a compromised container can exploit.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: shipper
    ///     image: example/shipper:1.0
    ///     volumeMounts:
    ///       - name: logs
    ///         mountPath: /host/logs
    /// volumes:
    ///   - name: logs
    ///     hostPath:
    ///       path: /var/log/pods
    /// ```
    /// Fixed:
    /// ```yaml
    ///     volumeMounts:
    ///       - name: logs
    ///         mountPath: /host/logs
    ///         readOnly: true
    /// ```
    ///
    /// ## How to fix
    /// Set `readOnly: true` on the mount. If the workload must write to the node, keep that to
    /// a dedicated directory and record an exception. The machine fix sets `readOnly: true`;
    /// it is marked unsafe because a workload that writes there stops working.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.11 (minimise hostPath volumes)
    /// - NSA-CISA Kubernetes Hardening Guide: Pod security enforcement
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct WritableHostPath {
        id: "POD-026",
        title: "hostPath volume mounted writable",
        severity: Severity::High,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0045"), kube_linter("writable-host-mount")],
        remediation: "Set readOnly: true on every volumeMount of a hostPath volume, or replace the hostPath volume.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for WritableHostPath {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let volumes = host_path_volumes(&pod)?;
        let mut violations = Vec::new();
        for container in pod.containers()? {
            if volumes.is_empty() {
                break;
            }
            for (i, mount) in container.node.seq_field("volumeMounts")?.iter().enumerate() {
                let mount = mount.expect_map("volumeMounts")?;
                let Some(name) = mount.str_field("name")? else {
                    continue;
                };
                let Some(volume) = volumes.iter().find(|v| v.name == name) else {
                    continue;
                };
                let read_only = mount.bool_field("readOnly")?;
                if read_only == Some(true) {
                    continue;
                }
                let at = match mount.str_field("mountPath")? {
                    Some(mount_path) => format!(" at {mount_path}"),
                    None => String::new(),
                };
                let how = if read_only == Some(false) {
                    "with readOnly: false"
                } else {
                    "without readOnly: true"
                };
                let path = container.path.key("volumeMounts").index(i).key("readOnly");
                violations.push(
                    Violation::new(
                        path.clone(),
                        format!(
                            "{} mounts host path {} (volume `{name}`){at} {how}",
                            container.label(),
                            volume.host_path
                        ),
                    )
                    .with_fix(Fix::set(
                        "set readOnly to true",
                        FixSafety::Unsafe,
                        path,
                        true.into(),
                    )),
                );
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
