//! What NET-005 (ingress) and NET-006 (egress) share: whether any NetworkPolicy of a
//! workload's namespace selects its pods for a direction.

use palisade_core::{Resource, Violation};

use super::lookup;
use super::policy::{Direction, GROUP, KIND, Policy};
use crate::control::{Context, Reads, Skip, Verdict};
use crate::selector::Labels;
use crate::workload::{controlled_by_scanned_workload, pod_spec};

/// The NetworkPolicies of the workload's namespace.
pub(super) const READS: &[Reads] = &[Reads::namespace(GROUP, KIND)];

/// `namespace `shop``, or a description of where an object without a namespace lands.
pub(super) fn namespace_phrase(resource: &Resource) -> String {
    match &resource.id.namespace {
        Some(ns) => format!("namespace `{ns}`"),
        None => "the namespace kubectl targets (the object sets none)".to_string(),
    }
}

/// `this Pod`, or `the pods of this Deployment`.
pub(super) fn pods_of(resource: &Resource) -> String {
    match resource.kind() {
        "Pod" => "this Pod".to_string(),
        kind => format!("the pods of this {kind}"),
    }
}

/// Why a scan of manifests cannot judge isolation: the namespace's policies are not in it.
pub(super) fn policies_elsewhere(namespace: &str) -> Skip {
    Skip::new(format!(
        "no NetworkPolicy of {namespace} is part of this scan; in a scan of manifests the namespace's policies may be applied separately, so only a scan that includes them can tell (a cluster scan, or --complete-inventory for files that hold every object of the cluster)"
    ))
}

/// Judges whether some NetworkPolicy selects the workload's pods for `direction`.
///
/// Not applicable: objects without a pod template, objects another workload controls (their
/// owner is judged), and pods on the host network, which NetworkPolicies do not govern (POD-002
/// reports those). In a scan of manifests (`inventory_complete` false) a namespace none of
/// whose policies is in the scan is not evaluated. A malformed policy is reported as "not
/// evaluated" only when no well-formed policy settles the question.
pub(super) fn check(
    cx: &Context<'_>,
    resource: &Resource,
    direction: Direction,
) -> Result<Verdict, Skip> {
    let Some(pod) = pod_spec(cx, resource)? else {
        return Ok(Verdict::NotApplicable);
    };
    if controlled_by_scanned_workload(cx, resource)?
        || pod.spec.bool_field("hostNetwork")? == Some(true)
    {
        return Ok(Verdict::NotApplicable);
    }
    let labels = Labels::of_metadata(pod.metadata);
    let mut other_direction = Vec::new();
    let mut problem = None;
    for other in lookup::policies(cx, resource, labels) {
        if !cx.applied_together(resource, other) {
            continue;
        }
        let selects = Policy::new(other).and_then(|policy| {
            if !policy.pod_selector()?.matches(labels) {
                return Ok(None);
            }
            policy.governs(direction).map(Some)
        });
        match selects {
            Ok(Some(true)) => return Ok(Verdict::pass()),
            Ok(Some(false)) => {
                // The same policy can come twice (two install variants of one directory).
                if !other_direction.contains(&other.id.name.as_str()) {
                    other_direction.push(other.id.name.as_str());
                }
            }
            Ok(None) => {}
            Err(err) => {
                problem.get_or_insert_with(|| Skip::in_other(other, err));
            }
        }
    }
    if let Some(problem) = problem {
        return Err(problem);
    }
    let any_policy = lookup::any_policy_beside(cx, resource);
    let namespace = namespace_phrase(resource);
    if !any_policy && !cx.settings.inventory_complete {
        return Err(match resource.id.namespace {
            Some(_) => policies_elsewhere(&namespace),
            None => Skip::new(
                "the object sets no namespace, and no NetworkPolicy without one comes from the same directory (or chart, or Kustomization); the policies of the namespace it is applied to may be applied separately, so only a scan that includes them can tell (a cluster scan, or --complete-inventory for files that hold every object of the cluster)",
            ),
        });
    }
    let (them, they) = if resource.kind() == "Pod" {
        ("it", "it")
    } else {
        ("them", "they")
    };
    let consequence = match direction {
        Direction::Ingress => format!(
            "so any pod in the cluster, and anything else that can reach the pod network, can connect to {them}"
        ),
        Direction::Egress => format!(
            "so {they} can open connections to any address, inside the cluster or on the internet"
        ),
    };
    let mut message = format!(
        "no NetworkPolicy selects {} for {}, {consequence}",
        pods_of(resource),
        direction.field()
    );
    if !any_policy {
        message.push_str(&format!(" ({namespace} has no NetworkPolicy)"));
    } else if !other_direction.is_empty() {
        let other = match direction {
            Direction::Ingress => "egress",
            Direction::Egress => "ingress",
        };
        message.push_str(&format!(
            " (NetworkPolicy {} selects {them} for {other} only)",
            other_direction
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    Ok(Verdict::Checked(vec![Violation::new(
        pod.metadata_path.key("labels"),
        message,
    )]))
}
