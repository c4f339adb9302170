use palisade_core::{Family, FixAvailability, Node, ObjectPath, Resource, Severity, Violation};

use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::{Container, PodSpec, pod_spec};

/// IDs at or below this may collide with accounts on the node.
const THRESHOLD: i64 = 10000;

declare_control! {
    /// ## What it checks
    /// The user and group every container, init container and ephemeral container runs as.
    /// For each of `runAsUser` and `runAsGroup`, the container's `securityContext` value wins
    /// and the pod's `securityContext` value applies otherwise, as in Kubernetes. A container
    /// fails when the effective ID is 10000 or lower, or when neither level sets it: then the
    /// image decides, and images commonly run as root or as a low system ID. IDs above 10000
    /// pass. Windows pods are not judged, as these fields do not apply to them.
    ///
    /// The threshold follows the convention of other scanners (IDs up to 10000 fail). It is
    /// a hardening recommendation, not part of the Pod Security Standards, hence the low
    /// severity.
    ///
    /// ## Why it matters
    /// Containers share the node's kernel, and without user namespaces a UID in a container is
    /// the same UID on the node. Low IDs belong to the node's own system accounts and users:
    /// if a container escapes or writes through a host mount, it acts with their file
    /// permissions. A high, unused ID owns nothing on the node. Pinning the IDs in the
    /// manifest also stops a changed image from silently running as someone else.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 1000
    /// ```
    /// Fixed:
    /// ```yaml
    /// securityContext:
    ///   runAsUser: 10001
    ///   runAsGroup: 10001
    /// ```
    ///
    /// ## How to fix
    /// Set `runAsUser` and `runAsGroup` above 10000, at the pod level or per container, and
    /// make sure the image's files are readable (or owned, where it writes) by that ID, for
    /// example with `fsGroup` for volumes. There is no machine fix: the right ID depends on
    /// the image.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.6.3 (apply security contexts to pods and containers)
    /// - NSA-CISA Kubernetes Hardening Guide: Non-root containers and rootless container engines
    pub struct LowUserGroupId {
        id: "POD-027",
        title: "Container runs with a low or unpinned UID/GID",
        severity: Severity::Low,
        family: Family::Pod,
        pss: None,
        aliases: &[trivy("KSV-0020"), trivy("KSV-0021"), checkov("CKV_K8S_40"), kube_score("container-security-context-user-group-id")],
        remediation: "Set securityContext.runAsUser and runAsGroup to IDs above 10000, at the pod or container level.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for LowUserGroupId {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if pod.is_windows() {
            return Ok(Verdict::NotApplicable);
        }
        let pod_sc = pod.security_context()?;
        let mut violations = Vec::new();
        for container in pod.containers()? {
            let container_sc = container.security_context()?;
            for (field, noun) in [("runAsUser", "UID"), ("runAsGroup", "GID")] {
                if let Some(v) = judge(&pod, pod_sc, &container, container_sc, field, noun)? {
                    violations.push(v);
                }
            }
        }
        Ok(Verdict::Checked(violations))
    }
}

/// The violation for one field of one container, if its effective value is low or unset.
fn judge(
    pod: &PodSpec<'_>,
    pod_sc: Option<&Node>,
    container: &Container<'_>,
    container_sc: Option<&Node>,
    field: &str,
    noun: &str,
) -> Result<Option<Violation>, Skip> {
    let own = match container_sc {
        Some(sc) => sc.int_field(field)?,
        None => None,
    };
    let inherited = match pod_sc {
        Some(sc) => sc.int_field(field)?,
        None => None,
    };
    let container_path = || container.security_context_path().key(field);
    let (path, message): (ObjectPath, String) = match (own, inherited) {
        (Some(id), _) if id > THRESHOLD => return Ok(None),
        (Some(id), _) => (
            container_path(),
            format!(
                "{} runs as {noun} {id} ({field}), at or below {THRESHOLD}",
                container.label()
            ),
        ),
        (None, Some(id)) if id > THRESHOLD => return Ok(None),
        (None, Some(id)) => (
            pod.security_context_path().key(field),
            format!(
                "{} runs as {noun} {id} ({field} inherited from the pod), at or below {THRESHOLD}",
                container.label()
            ),
        ),
        (None, None) => (
            container_path(),
            format!(
                "{} does not pin its {noun}: {field} is set neither on the container nor on the pod, so the image decides",
                container.label()
            ),
        ),
    };
    Ok(Some(Violation::new(path, message)))
}
