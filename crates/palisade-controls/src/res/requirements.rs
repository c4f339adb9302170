//! What RES-001 to RES-004 share: finding a container's CPU or memory request or limit, and
//! the defaults Kubernetes would fill in for a missing one.
//!
//! Two defaults matter. When a container sets a limit but no request, the API server copies
//! the limit into the request. And a `LimitRange` in the same namespace fills in missing
//! requests and limits at admission: its `default` (or else its `max`) becomes the limit, its
//! `defaultRequest` (or else `default`, `max`, `min`) becomes the request. A check only sees a
//! `LimitRange` that is part of the same scan. Pod-level resources (`spec.resources`), when
//! set, cover every container.

use palisade_core::{Fix, FixSafety, Node, Resource, TypeError, Value, Violation};

use crate::control::{Context, Reads, Skip, Verdict};
use crate::workload::{ContainerKind, pod_spec};

/// A request or a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bound {
    Request,
    Limit,
}

impl Bound {
    fn field(self) -> &'static str {
        match self {
            Bound::Request => "requests",
            Bound::Limit => "limits",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Bound::Request => "request",
            Bound::Limit => "limit",
        }
    }
}

/// Which compute resource: its key in a resource list and how a message names it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Compute {
    pub key: &'static str,
    pub noun: &'static str,
}

pub(super) const CPU: Compute = Compute {
    key: "cpu",
    noun: "CPU",
};
pub(super) const MEMORY: Compute = Compute {
    key: "memory",
    noun: "memory",
};

/// What a resource list says about one resource.
enum Quantity {
    Set,
    Missing,
    Empty,
}

/// Reads `list[key]`: a string or a number is a quantity; an empty string counts as missing.
fn quantity(list: Option<&Node>, key: &str) -> Result<Quantity, TypeError> {
    let Some(node) = list.and_then(|l| l.get_present(key)) else {
        return Ok(Quantity::Missing);
    };
    match &node.value {
        Value::Str(s) if s.trim().is_empty() => Ok(Quantity::Empty),
        Value::Str(_) | Value::Int(_) | Value::Float(_) => Ok(Quantity::Set),
        _ => Err(TypeError {
            field: key.to_string(),
            expected: "a quantity (a string such as \"500m\" or a number)",
            found: node.describe(),
            span: node.span,
        }),
    }
}

/// Whether any item of a `LimitRange` object of type Container has one of `fields` for `key`.
/// Malformed `LimitRange` objects are read leniently: they are not the object being judged.
fn limit_range_provides(limit_range: &Resource, fields: &[&str], key: &str) -> bool {
    let Some(items) = limit_range
        .root
        .at(&["spec", "limits"])
        .and_then(Node::as_seq)
    else {
        return false;
    };
    items.iter().any(|item| {
        item.get("type").and_then(Node::as_str) == Some("Container")
            && fields
                .iter()
                .any(|f| item.get(f).and_then(|list| list.get_present(key)).is_some())
    })
}

/// A LimitRange of the namespace may supply the missing values.
pub(super) const READS: &[Reads] = &[Reads::namespace("", "LimitRange")];

/// The name of a `LimitRange` in the resource's namespace that would fill in `bound` of
/// `compute` for a container that lacks it.
fn defaulting_limit_range<'a>(
    cx: &Context<'a>,
    resource: &Resource,
    bound: Bound,
    compute: Compute,
) -> Option<&'a str> {
    let fields: &[&str] = match bound {
        Bound::Limit => &["default", "max"],
        Bound::Request => &["defaultRequest", "default", "max", "min"],
    };
    cx.of_kind_beside("", "LimitRange", resource)
        .find(|lr| limit_range_provides(lr, fields, compute.key))
        .map(|lr| lr.id.name.as_str())
}

/// The value the config gives `palisade fix` for `bound` of `compute`, and how safe writing
/// it is: a request only reserves capacity, but a limit throttles CPU or kills a container
/// that goes over it, so writing one is unsafe.
fn configured(cx: &Context<'_>, bound: Bound, compute: Compute) -> Option<(String, FixSafety)> {
    let values = &cx.settings.fix_resources;
    let (list, safety) = match bound {
        Bound::Request => (&values.requests, FixSafety::Safe),
        Bound::Limit => (&values.limits, FixSafety::Unsafe),
    };
    list.get(compute.key).map(|v| (v.clone(), safety))
}

/// The shared check: every init and regular container must set `bound` of `compute`, or get
/// it from a default. Ephemeral containers are not judged: the API does not let them set
/// resources.
pub(super) fn check(
    cx: &Context<'_>,
    resource: &Resource,
    bound: Bound,
    compute: Compute,
) -> Result<Verdict, Skip> {
    let Some(pod) = pod_spec(cx, resource)? else {
        return Ok(Verdict::NotApplicable);
    };
    // Pod-level resources (`spec.resources`) bound the pod as a whole and stand in for the
    // containers' own values.
    if let Some(pod_resources) = pod.spec.map_field("resources")? {
        let pod_limits = pod_resources.map_field("limits")?;
        let pod_own = match bound {
            Bound::Request => pod_resources.map_field("requests")?,
            Bound::Limit => pod_limits,
        };
        if matches!(quantity(pod_own, compute.key)?, Quantity::Set)
            || (bound == Bound::Request
                && matches!(quantity(pod_limits, compute.key)?, Quantity::Set))
        {
            return Ok(Verdict::pass());
        }
    }
    let mut violations = Vec::new();
    let mut limit_range_checked = false;
    for container in pod.containers()? {
        if container.kind == ContainerKind::Ephemeral {
            continue;
        }
        let resources = container.node.map_field("resources")?;
        let requests = match resources {
            Some(r) => r.map_field("requests")?,
            None => None,
        };
        let limits = match resources {
            Some(r) => r.map_field("limits")?,
            None => None,
        };
        let own = quantity(
            if bound == Bound::Request {
                requests
            } else {
                limits
            },
            compute.key,
        )?;
        let limit = quantity(limits, compute.key)?;
        let described = match own {
            Quantity::Set => continue,
            // A limit without a request becomes the request.
            _ if bound == Bound::Request && matches!(limit, Quantity::Set) => continue,
            Quantity::Empty => "an empty",
            Quantity::Missing => "no",
        };
        if !limit_range_checked {
            limit_range_checked = true;
            if defaulting_limit_range(cx, resource, bound, compute).is_some() {
                return Ok(Verdict::pass());
            }
        }
        let path = container
            .path
            .keys(&["resources", bound.field(), compute.key]);
        let violation = Violation::new(
            path.clone(),
            format!(
                "{} sets {described} {} {} (resources.{}.{})",
                container.label(),
                compute.noun,
                bound.noun(),
                bound.field(),
                compute.key
            ),
        );
        violations.push(match configured(cx, bound, compute) {
            Some((value, safety)) => violation.with_fix(Fix::set(
                format!(
                    "set the {} {} chosen in the config",
                    compute.noun,
                    bound.noun()
                ),
                safety,
                path,
                value.into(),
            )),
            None => violation,
        });
    }
    Ok(Verdict::Checked(violations))
}
