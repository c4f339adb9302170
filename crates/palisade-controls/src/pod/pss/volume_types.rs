use palisade_core::{Family, FixAvailability, Node, PssLevel, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// Volume sources the restricted level allows: ones that cannot reach outside what the pod is
/// given through the Kubernetes API.
const ALLOWED_SOURCES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

declare_control! {
    /// ## What it checks
    /// The source of every volume in `spec.volumes`. This is the Pod Security Standards
    /// restricted check "Volume Types": only `configMap`, `csi`, `downwardAPI`, `emptyDir`,
    /// `ephemeral`, `image`, `persistentVolumeClaim`, `projected` and `secret` are allowed.
    /// Every other source fails: `hostPath`, and the in-tree network and cloud volume types
    /// (`nfs`, `iscsi`, `rbd`, `cephfs`, `glusterfs`, `gcePersistentDisk`,
    /// `awsElasticBlockStore`, `azureDisk`, `flexVolume`, `gitRepo` and so on), as does any key
    /// Palisade does not recognise. A volume with only a `name` passes: the API server turns it
    /// into an `emptyDir`. At the restricted level this check replaces POD-003 (hostPath).
    ///
    /// ## Why it matters
    /// The allowed types only expose data the pod is given through the Kubernetes API, with its
    /// access control and auditing. Direct volume types let the pod author attach arbitrary
    /// storage by address and credentials, bypassing PersistentVolume administration, and some
    /// of them run code or commands on the node as root when the volume is mounted (`gitRepo`,
    /// `flexVolume`). `hostPath` exposes the node itself.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     nfs:
    ///       server: nfs.example.internal
    ///       path: /exports/shared
    /// ```
    /// Fixed:
    /// ```yaml
    /// volumes:
    ///   - name: shared
    ///     persistentVolumeClaim:
    ///       claimName: shared
    /// ```
    ///
    /// ## How to fix
    /// Let a cluster administrator define the storage as a PersistentVolume (or a CSI storage
    /// class) and claim it with a `persistentVolumeClaim`. Use `emptyDir` for scratch space and
    /// an init container instead of `gitRepo`. A `hostPath` volume has an unsafe machine fix
    /// (it becomes an `emptyDir` of the same name); the other types have none, because their
    /// replacement depends on the storage.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, restricted: Volume Types
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct VolumeTypes {
        id: "POD-013",
        title: "Volume type not allowed at the restricted level",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Restricted),
        aliases: &[trivy("KSV-0028")],
        remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret volumes; claim other storage through a PersistentVolumeClaim.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for VolumeTypes {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for (volume, path) in pod.volumes()? {
            let entries = volume.as_map().unwrap_or(&[]);
            // Sources are the keys besides `name`; a null one is the same as an absent one.
            let mut sources = entries
                .iter()
                .filter(|e| e.key != "name" && !e.value.is_null());
            let Some(first) = sources.clone().next() else {
                // No source at all: the API server defaults the volume to emptyDir.
                continue;
            };
            if sources.any(|e| ALLOWED_SOURCES.contains(&e.key.as_str())) {
                continue;
            }
            let name = volume
                .get("name")
                .and_then(Node::as_str)
                .unwrap_or("<unnamed>");
            let violation = Violation::new(
                path.key(&first.key),
                format!(
                    "volume `{name}` is of type {}, which the restricted level does not allow",
                    first.key
                ),
            );
            // Only a hostPath has a replacement that needs no storage decision.
            violations.push(if first.key == "hostPath" {
                violation.with_fix(crate::pod::host_path_to_empty_dir(&path))
            } else {
                violation
            });
        }
        Ok(Verdict::Checked(violations))
    }
}
