//! What RES-005 and RES-006 share: which workloads are long-running, and whether a container
//! declares a usable probe.

use palisade_core::{Node, Resource, Violation};

use crate::control::{Context, Skip, Verdict};
use crate::workload::{ContainerKind, PodSpec, pod_spec};

/// Kinds whose pods run to completion, as (API group, kind).
const RUN_TO_COMPLETION: &[(&str, &str)] = &[
    ("batch", "Job"),
    ("batch", "CronJob"),
    ("apps.kruise.io", "BroadcastJob"),
    ("apps.kruise.io", "AdvancedCronJob"),
];

/// The handlers a probe can use; a probe without one is rejected by the API server.
const HANDLERS: &[&str] = &["exec", "httpGet", "tcpSocket", "grpc"];

/// Whether the workload's pods are meant to keep running. Jobs and CronJobs run to completion,
/// and so do pods a Job owns and any pod whose `restartPolicy` is `Never` or `OnFailure`.
fn long_running(resource: &Resource, pod: &PodSpec<'_>) -> Result<bool, Skip> {
    let group = resource.id.group();
    if RUN_TO_COMPLETION.contains(&(group, resource.kind())) {
        return Ok(false);
    }
    let owned_by_job = resource
        .root
        .at(&["metadata", "ownerReferences"])
        .and_then(Node::as_seq)
        .unwrap_or(&[])
        .iter()
        .any(|owner| owner.get("kind").and_then(Node::as_str) == Some("Job"));
    if owned_by_job {
        return Ok(false);
    }
    Ok(!matches!(
        pod.spec.str_field("restartPolicy")?,
        Some("Never" | "OnFailure")
    ))
}

/// The shared check: every regular container of a long-running workload must declare `field`
/// (`livenessProbe`, `readinessProbe`) with a handler.
///
/// Init containers are not judged: classic init containers run to completion and cannot have
/// probes, and native sidecars (init containers with `restartPolicy: Always`) are left to a
/// future refinement. Ephemeral containers cannot have probes either.
pub(super) fn check(cx: &Context<'_>, resource: &Resource, field: &str) -> Result<Verdict, Skip> {
    let Some(pod) = pod_spec(cx, resource)? else {
        return Ok(Verdict::NotApplicable);
    };
    if !long_running(resource, &pod)? {
        return Ok(Verdict::NotApplicable);
    }
    let mut violations = Vec::new();
    for container in pod.containers()? {
        if container.kind != ContainerKind::Regular {
            continue;
        }
        let path = container.path.key(field);
        match container.node.map_field(field)? {
            None => violations.push(Violation::new(path, format!("{} has no {field}", container.label()))),
            Some(probe) if !HANDLERS.iter().any(|h| probe.get_present(h).is_some()) => {
                violations.push(Violation::new(
                    path,
                    format!(
                        "{} has a {field} without a handler (exec, httpGet, tcpSocket or grpc), which Kubernetes rejects",
                        container.label()
                    ),
                ))
            }
            Some(_) => {}
        }
    }
    Ok(Verdict::Checked(violations))
}
