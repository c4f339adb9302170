//! What the watch loop knows about one cluster: its objects, and the open findings on each.
//!
//! A change is judged incrementally: the changed objects with every control, and, for each
//! control that reads the changed kind (`Check::READS`), the objects that control could judge
//! differently now — those of the same namespace, or all of them for checks that look
//! cluster-wide. The findings before and after are compared per object, which gives the
//! events: opened, resolved, changed.

use std::collections::HashMap;
use std::sync::Arc;

use palisade_controls::ReadScope;
use palisade_core::{
    DerivedLookups, Finding, IndexTables, Inventory, InventoryIndex, Resource, ResourceId,
    Unavailable,
};
use palisade_engine::{Evaluator, Plan};
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::event::FindingEvent;

pub struct State {
    cluster: Arc<str>,
    inventory: Inventory,
    /// Where each object sits in `inventory.resources`.
    positions: HashMap<Arc<ResourceId>, usize>,
    /// The inventory's lookups, kept up to date object by object: rebuilding them for every
    /// batch of changes cost more than judging the change at 100,000 objects.
    tables: IndexTables,
    derived: DerivedLookups,
    /// Open findings per object; objects without findings have no entry.
    findings: HashMap<Arc<ResourceId>, Vec<Finding>>,
}

fn resource_version(resource: &Resource) -> Option<&str> {
    resource
        .root
        .at(&["metadata", "resourceVersion"])
        .and_then(|v| v.as_str())
}

impl State {
    pub fn new(cluster: Arc<str>) -> Self {
        State {
            cluster,
            inventory: Inventory::default(),
            positions: HashMap::new(),
            tables: IndexTables::default(),
            derived: DerivedLookups::default(),
            findings: HashMap::new(),
        }
    }

    pub fn resources(&self) -> &[Resource] {
        &self.inventory.resources
    }

    pub fn open_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.values().flatten()
    }

    pub fn set_unavailable(&mut self, unavailable: Vec<Unavailable>) {
        self.inventory.unavailable = unavailable;
    }

    /// Adds or replaces an object. Returns whether anything changed: a re-list delivers every
    /// object again, and the unchanged ones (same resourceVersion) need no evaluation.
    pub fn apply(&mut self, resource: Resource) -> bool {
        match self.positions.get(&resource.id) {
            Some(&at) => {
                let current = &mut self.inventory.resources[at];
                let unchanged = resource_version(current).is_some()
                    && resource_version(current) == resource_version(&resource);
                if !unchanged {
                    self.derived
                        .forget_reading(resource.id.group(), &resource.id.kind);
                    *current = resource;
                }
                !unchanged
            }
            None => {
                self.derived
                    .forget_reading(resource.id.group(), &resource.id.kind);
                self.positions.insert(
                    Arc::new(resource.id.clone()),
                    self.inventory.resources.len(),
                );
                self.inventory.resources.push(resource);
                self.tables.pushed(&self.inventory);
                true
            }
        }
    }

    /// Removes an object. Returns whether it was there.
    pub fn delete(&mut self, id: &ResourceId) -> bool {
        let Some(at) = self.positions.remove(id) else {
            return false;
        };
        self.derived.forget_reading(id.group(), &id.kind);
        self.tables.removing(&self.inventory, at);
        self.inventory.resources.swap_remove(at);
        self.tables.swap_removed(&self.inventory, at);
        if let Some(moved) = self.inventory.resources.get(at) {
            // Lookups built from the moved object's kind hold its old position.
            self.derived
                .forget_reading(moved.id.group(), &moved.id.kind);
            if let Some(position) = self.positions.get_mut(&moved.id) {
                *position = at;
            }
        }
        true
    }

    /// The objects of one collection (kind, and namespace when watched per namespace) that a
    /// re-list no longer contains.
    pub fn missing_after_relist(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        listed: &std::collections::HashSet<ResourceId>,
    ) -> Vec<ResourceId> {
        self.inventory
            .resources
            .iter()
            .filter(|r| r.id.api_version == api_version && r.id.kind == kind)
            .filter(|r| namespace.is_none() || r.id.namespace.as_deref() == namespace)
            .filter(|r| !listed.contains(&r.id))
            .map(|r| r.id.clone())
            .collect()
    }

    /// Judges everything; the result is the baseline later changes are compared with, so it
    /// produces no events.
    pub fn baseline(&mut self, plan: &Plan) -> usize {
        let index = InventoryIndex::kept(&self.inventory, &self.tables, &self.derived);
        let evaluator = Evaluator::new(plan, &self.inventory, &index);
        let judged: Vec<(Arc<ResourceId>, Vec<Finding>)> = self
            .inventory
            .resources
            .par_iter()
            .filter_map(|r| {
                let findings = evaluator.resource(r).findings;
                (!findings.is_empty()).then(|| (Arc::new(r.id.clone()), findings))
            })
            .collect();
        self.findings = judged.into_iter().collect();
        self.findings.values().map(Vec::len).sum()
    }

    /// Re-judges what `changed` objects (applied or deleted) can affect and returns the
    /// difference as events.
    pub fn reevaluate(&mut self, plan: &Plan, changed: &[ResourceId]) -> Vec<FindingEvent> {
        let started = std::time::Instant::now();
        let index = InventoryIndex::kept(&self.inventory, &self.tables, &self.derived);
        let evaluator = Evaluator::new(plan, &self.inventory, &index);
        let indexed = started.elapsed();
        let controls = evaluator.controls();

        // Which controls read a changed kind, cluster-wide or in which namespaces.
        let mut cluster_wide = vec![false; controls.len()];
        let mut per_namespace: FxHashMap<Option<&str>, Vec<bool>> = FxHashMap::default();
        for id in changed {
            for (i, control) in controls.iter().enumerate() {
                for read in control.reads() {
                    if read.group == id.group() && read.kind == id.kind {
                        match read.scope {
                            ReadScope::Cluster => cluster_wide[i] = true,
                            ReadScope::Namespace => {
                                per_namespace
                                    .entry(id.scope_namespace())
                                    .or_insert_with(|| vec![false; controls.len()])[i] = true
                            }
                        }
                    }
                }
            }
        }
        let any_cluster_wide = cluster_wide.iter().any(|&b| b);
        let changed_here: FxHashSet<&ResourceId> = changed.iter().collect();

        // The objects to look at: every one when a re-run control looks cluster-wide or a
        // cluster-scoped kind changed, otherwise the changed objects and those of the
        // namespaces touched (the Namespace object included) — found through the index, as
        // visiting 100,000 objects to pick a hundred cost more than judging them.
        let candidates: Vec<&Resource> = if any_cluster_wide || per_namespace.contains_key(&None) {
            self.inventory.resources.iter().collect()
        } else {
            let mut picked: Vec<&Resource> = changed
                .iter()
                .filter_map(|id| self.positions.get(id))
                .map(|&at| &self.inventory.resources[at])
                .collect();
            for namespace in per_namespace.keys().flatten() {
                picked.extend(index.in_namespace(namespace));
                picked.extend(index.find("", "Namespace", None, namespace));
            }
            picked.sort_unstable_by_key(|r| std::ptr::from_ref(*r));
            picked.dedup_by_key(|r| std::ptr::from_ref(*r));
            picked
        };

        // (object, its findings from the re-run controls, which controls were re-run; `None`:
        // all of them).
        type Judged = (Arc<ResourceId>, Vec<Finding>, Option<Vec<bool>>);
        let judged: Vec<Judged> = candidates
            .par_iter()
            .filter_map(|r| {
                if changed_here.contains(&r.id) {
                    let findings = evaluator.resource(r).findings;
                    return Some((Arc::new(r.id.clone()), findings, None));
                }
                let in_namespace = per_namespace.get(&r.id.scope_namespace());
                if !any_cluster_wide && in_namespace.is_none() {
                    return None;
                }
                let mask: Vec<bool> = (0..controls.len())
                    .map(|i| cluster_wide[i] || in_namespace.is_some_and(|m| m[i]))
                    .collect();
                let findings = evaluator.some_controls(r, &|i| mask[i]).findings;
                Some((Arc::new(r.id.clone()), findings, Some(mask)))
            })
            .collect();

        tracing::debug!(
            ?indexed,
            judged = judged.len(),
            evaluated = ?started.elapsed(),
            "re-evaluated"
        );
        let mut events = Vec::new();
        let cluster = Some(&*self.cluster);
        // Deleted objects: everything on them is resolved.
        for id in changed {
            if !self.positions.contains_key(id) {
                for gone in self.findings.remove(id).unwrap_or_default() {
                    events.push(FindingEvent::resolved(cluster, gone));
                }
            }
        }
        for (id, fresh, mask) in judged {
            let before = self.findings.remove(&id).unwrap_or_default();
            let rerun = |f: &Finding| match &mask {
                None => true,
                Some(mask) => controls
                    .iter()
                    .position(|c| c.meta().id == f.control)
                    .is_some_and(|i| mask[i]),
            };
            let (old, kept): (Vec<Finding>, Vec<Finding>) = before.into_iter().partition(rerun);
            diff(cluster, &old, &fresh, &mut events);
            let mut now = kept;
            now.extend(fresh);
            if !now.is_empty() {
                self.findings.insert(id, now);
            }
        }
        events
    }
}

/// Appends the events that turn `old` into `new` (findings of one object).
fn diff(cluster: Option<&str>, old: &[Finding], new: &[Finding], events: &mut Vec<FindingEvent>) {
    let same = |a: &Finding, b: &Finding| a.control == b.control && a.path == b.path;
    let mut matched = vec![false; old.len()];
    for finding in new {
        let previous = old
            .iter()
            .enumerate()
            .find(|(i, o)| !matched[*i] && same(o, finding));
        match previous {
            Some((i, previous)) => {
                matched[i] = true;
                if let Some(event) = FindingEvent::changed(cluster, previous, finding.clone()) {
                    events.push(event);
                }
            }
            None => events.push(FindingEvent::opened(cluster, finding.clone())),
        }
    }
    for (finding, _) in old.iter().zip(&matched).filter(|(_, m)| !**m) {
        events.push(FindingEvent::resolved(cluster, finding.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Change;
    use palisade_engine::{Config, PlanOptions};
    use serde_json::json;

    fn object(kind: &str, mut json: serde_json::Value, version: &str) -> Resource {
        json["metadata"]["resourceVersion"] = version.into();
        palisade_cluster::convert::resource(json, "v1", kind, &Arc::from("c")).unwrap()
    }

    fn pod(name: &str, privileged: bool, version: &str) -> Resource {
        object(
            "Pod",
            json!({"metadata": {"name": name, "namespace": "shop"},
                   "spec": {"containers": [{"name": "c", "image": "nginx@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                   "securityContext": {"privileged": privileged}}]}}),
            version,
        )
    }

    fn plan(only: &[&str]) -> Plan {
        Plan::new(
            &Config::default(),
            &PlanOptions {
                only: only.iter().map(|s| s.to_string()).collect(),
                ..PlanOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn changes_open_resolve_and_leave_the_rest_alone() {
        let plan = plan(&["POD-001"]);
        let mut state = State::new("c".into());
        state.apply(pod("a", true, "1"));
        state.apply(pod("b", false, "1"));
        assert_eq!(state.baseline(&plan), 1);

        // b turns privileged: one event, for b.
        let b = pod("b", true, "2");
        let id = b.id.clone();
        assert!(state.apply(b));
        let events = state.reevaluate(&plan, std::slice::from_ref(&id));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].change, Change::Opened);
        assert_eq!(events[0].finding.resource.name, "b");

        // The same version again is no change at all.
        assert!(!state.apply(pod("b", true, "2")));

        // a is deleted: its finding is resolved.
        let a = pod("a", true, "1").id;
        assert!(state.delete(&a));
        let events = state.reevaluate(&plan, std::slice::from_ref(&a));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].change, Change::Resolved);
        assert_eq!(events[0].finding.resource.name, "a");
        assert_eq!(state.open_findings().count(), 1);
        assert_eq!(state.resources().len(), 1);
    }

    #[test]
    fn a_change_to_a_read_kind_re_judges_the_objects_that_depend_on_it() {
        // POD-021 reads the pod's ServiceAccount: turning automount off there resolves it.
        let plan = plan(&["POD-021"]);
        let mut state = State::new("c".into());
        state.apply(pod("a", false, "1"));
        let account = |automount: bool, version: &str| {
            object(
                "ServiceAccount",
                json!({"metadata": {"name": "default", "namespace": "shop"},
                       "automountServiceAccountToken": automount}),
                version,
            )
        };
        state.apply(account(true, "1"));
        assert_eq!(state.baseline(&plan), 1);
        let sa = account(false, "2");
        let id = sa.id.clone();
        state.apply(sa);
        let events = state.reevaluate(&plan, &[id]);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(events[0].change, Change::Resolved);
        assert_eq!(events[0].finding.resource.kind, "Pod");
    }
}
