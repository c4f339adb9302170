//! Lookups the network controls build once per scan, so that a workload is compared with the
//! few Services and NetworkPolicies whose selectors could match it rather than with every one
//! of its namespace (which would make a namespace of many workloads and Services quadratic).
//!
//! Objects are kept by namespace ("" for objects that set none, a name no namespace can have)
//! and by one label a matching pod must carry. Objects whose selector cannot be read are kept
//! apart, so the checks can report them.

use std::collections::HashMap;

use palisade_core::{DerivedFrom, Resource};

use super::policy::{GROUP, KIND};
use super::service::is_service;
use crate::control::Context;
use crate::selector::{LabelSelector, Labels};

/// Inventory positions by namespace, label key and label value.
type ByLabel = HashMap<String, HashMap<String, HashMap<String, Vec<u32>>>>;

/// Objects of one kind, by a label a pod must carry to be selected.
#[derive(Default)]
struct Selecting {
    by_label: ByLabel,
    /// By namespace: objects that may select pods whatever their labels (an empty or a purely
    /// negative selector), and objects whose selector cannot be read.
    others: HashMap<String, Vec<u32>>,
}

impl Selecting {
    fn add_label(&mut self, namespace: &str, key: &str, value: &str, position: u32) {
        self.by_label
            .entry(namespace.to_string())
            .or_default()
            .entry(key.to_string())
            .or_default()
            .entry(value.to_string())
            .or_default()
            .push(position);
    }

    fn add_other(&mut self, namespace: &str, position: u32) {
        self.others
            .entry(namespace.to_string())
            .or_default()
            .push(position);
    }

    /// The objects of `namespace` that could select a pod with `labels`, in inventory order.
    fn candidates<'a>(
        &self,
        cx: &Context<'a>,
        namespace: Option<&str>,
        labels: Labels<'_>,
    ) -> Vec<&'a Resource> {
        let namespace = namespace.unwrap_or_default();
        let mut positions: Vec<u32> = self.others.get(namespace).cloned().unwrap_or_default();
        if let Some(by_key) = self.by_label.get(namespace) {
            for (key, value) in labels.iter() {
                if let Some(found) = by_key.get(key).and_then(|by_value| by_value.get(value)) {
                    positions.extend_from_slice(found);
                }
            }
        }
        positions.sort_unstable();
        positions.dedup();
        positions
            .into_iter()
            .filter_map(|position| cx.index.at(position))
            .collect()
    }
}

fn namespace_of(resource: &Resource) -> &str {
    resource.id.namespace.as_deref().unwrap_or_default()
}

/// Services by the first label of their `spec.selector`: a pod the Service selects carries
/// every label of the selector, the first one included.
struct Services(Selecting);

/// NetworkPolicies by a label their `podSelector` requires.
struct Policies(Selecting);

/// The core Services beside `resource` that could select a pod with `labels`: the caller still
/// matches each one. Services without a selector are left out (they select no pods).
pub(super) fn services<'a>(
    cx: &Context<'a>,
    resource: &Resource,
    labels: Labels<'_>,
) -> Vec<&'a Resource> {
    let lookup = cx
        .index
        .derived(DerivedFrom::Kinds(&[("", "Service")]), || {
            let mut out = Selecting::default();
            for (position, service) in cx.index.of_kind_at("", "Service") {
                if !is_service(service) {
                    continue;
                }
                let namespace = namespace_of(service);
                let Some(spec) = service.root.get_present("spec") else {
                    continue;
                };
                if spec.as_map().is_none() {
                    // Malformed: the check reports it.
                    out.add_other(namespace, position);
                    continue;
                }
                let Some(selector) = spec.get_present("selector") else {
                    // No selector: no pods.
                    continue;
                };
                match selector.as_map() {
                    Some([]) => {}
                    Some([first, ..]) => match first.value.as_str() {
                        Some(value) => out.add_label(namespace, &first.key, value, position),
                        None => out.add_other(namespace, position),
                    },
                    None => out.add_other(namespace, position),
                }
            }
            Services(out)
        });
    lookup
        .0
        .candidates(cx, resource.id.namespace.as_deref(), labels)
}

/// The NetworkPolicies beside `resource` that could select a pod with `labels`: the caller
/// still matches each one.
pub(super) fn policies<'a>(
    cx: &Context<'a>,
    resource: &Resource,
    labels: Labels<'_>,
) -> Vec<&'a Resource> {
    let lookup = cx.index.derived(DerivedFrom::Kinds(&[(GROUP, KIND)]), || {
        let mut out = Selecting::default();
        for (position, policy) in cx.index.of_kind_at(GROUP, KIND) {
            let namespace = namespace_of(policy);
            let selector = policy
                .root
                .get("spec")
                .and_then(|spec| spec.get("podSelector"));
            let parsed = LabelSelector::parse(selector);
            match parsed.as_ref().map(LabelSelector::required_label) {
                Ok(Some((key, values))) => {
                    for value in values {
                        out.add_label(namespace, key, value, position);
                    }
                }
                // Selects every pod, or only by what a pod lacks; or cannot be read.
                Ok(None) | Err(_) => out.add_other(namespace, position),
            }
        }
        Policies(out)
    });
    lookup
        .0
        .candidates(cx, resource.id.namespace.as_deref(), labels)
}

/// Whether the scan holds any NetworkPolicy of `resource`'s namespace (related to it as
/// [`Context::applied_together`] says).
pub(super) fn any_policy_beside(cx: &Context<'_>, resource: &Resource) -> bool {
    cx.of_kind_beside(GROUP, KIND, resource)
        .any(|policy| cx.applied_together(resource, policy))
}
