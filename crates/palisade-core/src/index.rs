//! Lookups into an inventory: by kind, by kind and namespace, by namespace and by identity,
//! plus the derived lookups families of checks build from them.
//!
//! The tables hold positions in `Inventory::resources`, never borrows, so a scan builds them
//! once and `palisade watch` keeps them across changes, updating them as objects come and go
//! instead of rebuilding them for every batch.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use crate::resource::{Inventory, Resource};

/// Keys are short strings, so a fast non-cryptographic hash matters.
type Table<K, V> = HashMap<K, V, FxBuildHasher>;

/// Positions of the objects of one kind, in inventory order, overall and per namespace
/// (`""`: objects that set none).
#[derive(Debug, Default)]
struct KindPositions {
    all: Vec<u32>,
    by_namespace: Table<String, Vec<u32>>,
}

/// An inventory's resources by kind, by namespace and by identity, as positions.
#[derive(Debug, Default)]
pub struct IndexTables {
    /// API group → kind → positions.
    by_kind: Table<String, Table<String, KindPositions>>,
    /// Namespace → positions of every object in it.
    by_namespace: Table<String, Vec<u32>>,
    /// Positions hashed by identity (group, kind, namespace, name); equality is checked
    /// against the inventory, so the table stores no keys.
    by_identity: HashTable<u32>,
}

fn identity_hash(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> u64 {
    FxBuildHasher.hash_one((group, kind, namespace, name))
}

/// Rehashes a stored position when the identity table grows.
fn rehash(inventory: &Inventory) -> impl Fn(&u32) -> u64 + '_ {
    |&p| {
        let id = &inventory.resources[p as usize].id;
        identity_hash(id.group(), &id.kind, id.namespace.as_deref(), &id.name)
    }
}

fn position(i: usize) -> u32 {
    u32::try_from(i).expect("fewer than 4 billion resources")
}

/// Inserts `at` keeping `list` sorted, so lookups keep returning inventory order.
fn insert_sorted(list: &mut Vec<u32>, at: u32) {
    if let Err(slot) = list.binary_search(&at) {
        list.insert(slot, at);
    }
}

fn remove_sorted(list: &mut Vec<u32>, at: u32) {
    if let Ok(slot) = list.binary_search(&at) {
        list.remove(slot);
    }
}

impl IndexTables {
    pub fn new(inventory: &Inventory) -> Self {
        let mut tables = IndexTables {
            by_identity: HashTable::with_capacity(inventory.resources.len()),
            ..IndexTables::default()
        };
        for (i, resource) in inventory.resources.iter().enumerate() {
            tables.insert(inventory, resource, position(i));
        }
        tables
    }

    /// Records the resource now at `at`. The first object wins when an inventory holds the
    /// same identity twice.
    fn insert(&mut self, inventory: &Inventory, resource: &Resource, at: u32) {
        let id = &resource.id;
        let (group, kind, namespace) = (id.group(), id.kind.as_str(), id.namespace.as_deref());
        let of_kind = self
            .by_kind
            .entry(group.to_string())
            .or_default()
            .entry(kind.to_string())
            .or_default();
        insert_sorted(&mut of_kind.all, at);
        insert_sorted(
            of_kind
                .by_namespace
                .entry(namespace.unwrap_or_default().to_string())
                .or_default(),
            at,
        );
        if let Some(namespace) = namespace {
            insert_sorted(
                self.by_namespace.entry(namespace.to_string()).or_default(),
                at,
            );
        }
        let hash = identity_hash(group, kind, namespace, &id.name);
        let same = |&p: &u32| inventory.resources[p as usize].id == *id;
        match self.by_identity.find_mut(hash, same) {
            Some(first) if *first <= at => {}
            Some(later) => *later = at,
            None => {
                self.by_identity.insert_unique(hash, at, rehash(inventory));
            }
        }
    }

    /// Forgets `resource`, which is (still) at `at`.
    fn remove(&mut self, inventory: &Inventory, resource: &Resource, at: u32) {
        let id = &resource.id;
        let (group, kind, namespace) = (id.group(), id.kind.as_str(), id.namespace.as_deref());
        if let Some(of_kind) = self.by_kind.get_mut(group).and_then(|k| k.get_mut(kind)) {
            remove_sorted(&mut of_kind.all, at);
            if let Some(list) = of_kind.by_namespace.get_mut(namespace.unwrap_or_default()) {
                remove_sorted(list, at);
            }
        }
        if let Some(list) = namespace.and_then(|ns| self.by_namespace.get_mut(ns)) {
            remove_sorted(list, at);
        }
        let hash = identity_hash(group, kind, namespace, &id.name);
        if let Ok(entry) = self.by_identity.find_entry(hash, |&p| p == at) {
            entry.remove();
            // A later object with the same identity answers for it now.
            let twin = self
                .of_kind(group, kind)
                .and_then(|k| k.by_namespace.get(namespace.unwrap_or_default()))
                .and_then(|list| {
                    list.iter()
                        .copied()
                        .find(|&p| inventory.resources[p as usize].id == *id)
                });
            if let Some(twin) = twin {
                self.by_identity
                    .insert_unique(hash, twin, rehash(inventory));
            }
        }
    }

    /// Records an object just pushed onto the end of `inventory.resources`.
    pub fn pushed(&mut self, inventory: &Inventory) {
        let at = inventory.resources.len() - 1;
        self.insert(inventory, &inventory.resources[at], position(at));
    }

    /// Forgets the object at `at` before `inventory.resources.swap_remove(at)` moves the last
    /// object there; call [`IndexTables::swap_removed`] right after.
    pub fn removing(&mut self, inventory: &Inventory, at: usize) {
        let last = inventory.resources.len() - 1;
        self.remove(inventory, &inventory.resources[at], position(at));
        if last != at {
            self.remove(inventory, &inventory.resources[last], position(last));
        }
    }

    /// Records where `swap_remove(at)` moved the last object.
    pub fn swap_removed(&mut self, inventory: &Inventory, at: usize) {
        if let Some(moved) = inventory.resources.get(at) {
            self.insert(inventory, moved, position(at));
        }
    }

    fn of_kind(&self, group: &str, kind: &str) -> Option<&KindPositions> {
        self.by_kind.get(group)?.get(kind)
    }
}

/// What a derived lookup is built from, so a kept index knows which ones a change spoils.
#[derive(Clone, Copy, Debug)]
pub enum DerivedFrom {
    /// Objects of these kinds (API group, kind).
    Kinds(&'static [(&'static str, &'static str)]),
}

impl DerivedFrom {
    fn includes(self, group: &str, kind: &str) -> bool {
        match self {
            DerivedFrom::Kinds(kinds) => kinds.iter().any(|&(g, k)| g == group && k == kind),
        }
    }
}

type DerivedSlot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

/// Lookups families of checks derive from the inventory (RBAC's subject → bindings, say), one
/// per type, built on first use; see [`InventoryIndex::derived`].
#[derive(Default)]
pub struct DerivedLookups {
    slots: Mutex<Vec<(TypeId, DerivedFrom, DerivedSlot)>>,
}

impl std::fmt::Debug for DerivedLookups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let slots = self.slots.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("DerivedLookups")
            .field("built", &slots.len())
            .finish()
    }
}

impl DerivedLookups {
    /// Drops the lookups built from objects of this kind: one was added, changed, removed or
    /// moved. They are rebuilt on next use.
    pub fn forget_reading(&mut self, group: &str, kind: &str) {
        self.slots
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|(_, reads, _)| !reads.includes(group, kind));
    }
}

/// Either built for one scan or kept by the caller across changes.
#[derive(Debug)]
enum Held<'a, T> {
    Owned(T),
    Kept(&'a T),
}

impl<T> Deref for Held<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        match self {
            Held::Owned(value) => value,
            Held::Kept(value) => value,
        }
    }
}

/// Lookups by kind, namespace and identity over one inventory, so checks that relate objects
/// (a pod to its ServiceAccount, a binding to its role) stay linear in the size of the
/// inventory.
#[derive(Debug)]
pub struct InventoryIndex<'a> {
    inventory: &'a Inventory,
    tables: Held<'a, IndexTables>,
    derived: Held<'a, DerivedLookups>,
}

impl<'a> InventoryIndex<'a> {
    /// An index built for one pass over `inventory`.
    pub fn new(inventory: &'a Inventory) -> Self {
        InventoryIndex {
            inventory,
            tables: Held::Owned(IndexTables::new(inventory)),
            derived: Held::Owned(DerivedLookups::default()),
        }
    }

    /// An index over tables and derived lookups the caller keeps up to date with `inventory`.
    pub fn kept(
        inventory: &'a Inventory,
        tables: &'a IndexTables,
        derived: &'a DerivedLookups,
    ) -> Self {
        InventoryIndex {
            inventory,
            tables: Held::Kept(tables),
            derived: Held::Kept(derived),
        }
    }

    fn resources<'s>(
        &'s self,
        positions: Option<&'s Vec<u32>>,
    ) -> impl Iterator<Item = &'a Resource> + 's
    where
        'a: 's,
    {
        let inventory = self.inventory;
        positions
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| &inventory.resources[i as usize])
    }

    /// Every resource of `kind` in API `group` (empty for core), in inventory order.
    pub fn of_kind<'s>(&'s self, group: &str, kind: &str) -> impl Iterator<Item = &'a Resource> + 's
    where
        'a: 's,
    {
        self.resources(self.tables.of_kind(group, kind).map(|k| &k.all))
    }

    /// Every resource of `kind` in API `group` and in `namespace` (`None`: objects that set no
    /// namespace), in inventory order.
    pub fn of_kind_in<'s>(
        &'s self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> impl Iterator<Item = &'a Resource> + 's
    where
        'a: 's,
    {
        let positions = self
            .tables
            .of_kind(group, kind)
            .and_then(|k| k.by_namespace.get(namespace.unwrap_or_default()));
        self.resources(positions)
    }

    /// Every resource in `namespace`, whatever its kind, in inventory order.
    pub fn in_namespace<'s>(&'s self, namespace: &str) -> impl Iterator<Item = &'a Resource> + 's
    where
        'a: 's,
    {
        self.resources(self.tables.by_namespace.get(namespace))
    }

    /// Like [`InventoryIndex::of_kind`], with each resource's position in the inventory, for
    /// lookups kept in a [`InventoryIndex::derived`] value (which cannot borrow).
    pub fn of_kind_at<'s>(
        &'s self,
        group: &str,
        kind: &str,
    ) -> impl Iterator<Item = (u32, &'a Resource)> + 's
    where
        'a: 's,
    {
        let inventory = self.inventory;
        self.tables
            .of_kind(group, kind)
            .map_or(&[][..], |k| k.all.as_slice())
            .iter()
            .map(move |&i| (i, &inventory.resources[i as usize]))
    }

    /// The resource at a position [`InventoryIndex::of_kind_at`] gave.
    pub fn at(&self, position: u32) -> Option<&'a Resource> {
        self.inventory.resources.get(position as usize)
    }

    /// A lookup derived from the inventory, of type `T`, built by `build` from the objects of
    /// the kinds `reads` names the first time any check asks for it, and shared by every check
    /// after, for as long as this index (or, for a kept index, until a change to one of those
    /// kinds). Checks run per resource; a reverse index (who is bound where) that they all
    /// need would cost a scan of the inventory per resource, a quadratic scan, without this.
    /// Concurrent first callers wait for one build. `T` cannot borrow from the inventory: it
    /// keeps positions ([`InventoryIndex::of_kind_at`]) or owned keys. `build` must read only
    /// the kinds `reads` names, and must not ask for the same type again.
    pub fn derived<T: Any + Send + Sync>(
        &self,
        reads: DerivedFrom,
        build: impl FnOnce() -> T,
    ) -> Arc<T> {
        let slot = {
            let mut slots = self
                .derived
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match slots.iter().find(|(id, _, _)| *id == TypeId::of::<T>()) {
                Some((_, _, slot)) => Arc::clone(slot),
                None => {
                    let slot = DerivedSlot::default();
                    slots.push((TypeId::of::<T>(), reads, Arc::clone(&slot)));
                    slot
                }
            }
        };
        let value = Arc::clone(slot.get_or_init(|| Arc::new(build())));
        // The slot was found by `T`'s type id, so it holds a `T`.
        value
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("derived slot of another type"))
    }

    /// The resource with this identity, if the inventory holds it.
    pub fn find(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&'a Resource> {
        let hash = identity_hash(group, kind, namespace, name);
        let resources = &self.inventory.resources;
        let at = self.tables.by_identity.find(hash, |&p| {
            let id = &resources[p as usize].id;
            id.name == name
                && id.kind == kind
                && id.namespace.as_deref() == namespace
                && id.group() == group
        })?;
        Some(&resources[*at as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use crate::resource::{Origin, ResourceId};
    use crate::value::Node;

    const PODS: DerivedFrom = DerivedFrom::Kinds(&[("", "Pod")]);

    fn resource(kind: &str, name: &str) -> Resource {
        Resource {
            id: ResourceId {
                cluster: None,
                api_version: "v1".into(),
                kind: kind.into(),
                namespace: None,
                name: name.into(),
            },
            root: Node::new(crate::value::Value::Null),
            origin: Origin::default(),
        }
    }

    #[test]
    fn derived_lookups_are_built_once_per_type_and_index() {
        let inventory = Inventory {
            resources: vec![
                resource("Pod", "a"),
                resource("Secret", "s"),
                resource("Pod", "b"),
            ],
            ..Inventory::default()
        };
        let index = InventoryIndex::new(&inventory);
        let builds = AtomicUsize::new(0);
        let pods = || {
            builds.fetch_add(1, Ordering::Relaxed);
            index
                .of_kind_at("", "Pod")
                .map(|(i, _)| i)
                .collect::<Vec<u32>>()
        };
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| assert_eq!(*index.derived(PODS, pods), vec![0, 2]));
            }
        });
        assert_eq!(builds.load(Ordering::Relaxed), 1);
        // Another type gets its own slot.
        assert_eq!(*index.derived(PODS, || "other"), "other");
        assert_eq!(index.at(2).map(|r| r.id.name.as_str()), Some("b"));
        assert!(index.at(3).is_none());
    }

    fn namespaced(kind: &str, namespace: &str, name: &str) -> Resource {
        let mut r = resource(kind, name);
        r.id.namespace = Some(namespace.into());
        r
    }

    /// Everything a kept index answers, as names, to compare with a fresh one.
    fn answers(index: &InventoryIndex<'_>) -> Vec<String> {
        let names = |it: &mut dyn Iterator<Item = &Resource>| {
            it.map(|r| r.id.name.to_string())
                .collect::<Vec<_>>()
                .join(",")
        };
        let mut out = Vec::new();
        for kind in ["Pod", "Service", "Namespace"] {
            out.push(names(&mut index.of_kind("", kind)));
            for ns in [None, Some("a"), Some("b")] {
                out.push(names(&mut index.of_kind_in("", kind, ns)));
                for name in ["p0", "p1", "p2", "p3", "s0", "a", "b"] {
                    out.push(format!(
                        "{:?}",
                        index.find("", kind, ns, name).map(|r| &r.id)
                    ));
                }
            }
        }
        for ns in ["a", "b", "c"] {
            out.push(names(&mut index.in_namespace(ns)));
        }
        out
    }

    #[test]
    fn kept_tables_answer_as_a_fresh_index_after_every_change() {
        let mut inventory = Inventory::default();
        let mut tables = IndexTables::default();
        let derived = DerivedLookups::default();
        // Additions, including a duplicate identity, then removals from the middle, the end
        // and the start, each of which moves the last object.
        let added = [
            namespaced("Pod", "a", "p0"),
            namespaced("Service", "a", "s0"),
            resource("Namespace", "a"),
            namespaced("Pod", "b", "p1"),
            namespaced("Pod", "a", "p0"),
            namespaced("Pod", "a", "p2"),
            resource("Namespace", "b"),
            namespaced("Pod", "b", "p3"),
        ];
        for r in added {
            inventory.resources.push(r);
            tables.pushed(&inventory);
            let fresh = InventoryIndex::new(&inventory);
            let kept = InventoryIndex::kept(&inventory, &tables, &derived);
            assert_eq!(answers(&kept), answers(&fresh));
        }
        for at in [3, 6, 0, 2, 0] {
            tables.removing(&inventory, at);
            inventory.resources.swap_remove(at);
            tables.swap_removed(&inventory, at);
            let fresh = InventoryIndex::new(&inventory);
            let kept = InventoryIndex::kept(&inventory, &tables, &derived);
            assert_eq!(
                answers(&kept),
                answers(&fresh),
                "after removing position {at}"
            );
        }
        assert_eq!(inventory.resources.len(), 3);
    }

    #[test]
    fn a_change_forgets_only_the_lookups_built_from_its_kind() {
        let inventory = Inventory {
            resources: vec![resource("Pod", "a"), resource("Service", "s")],
            ..Inventory::default()
        };
        let tables = IndexTables::new(&inventory);
        let mut derived = DerivedLookups::default();
        let builds = AtomicUsize::new(0);
        let count = |index: &InventoryIndex<'_>| {
            index.derived(PODS, || {
                builds.fetch_add(1, Ordering::Relaxed);
                index.of_kind("", "Pod").count()
            });
        };
        count(&InventoryIndex::kept(&inventory, &tables, &derived));
        count(&InventoryIndex::kept(&inventory, &tables, &derived));
        assert_eq!(builds.load(Ordering::Relaxed), 1, "kept across passes");
        derived.forget_reading("", "Service");
        count(&InventoryIndex::kept(&inventory, &tables, &derived));
        assert_eq!(
            builds.load(Ordering::Relaxed),
            1,
            "a Service change spoils nothing here"
        );
        derived.forget_reading("", "Pod");
        count(&InventoryIndex::kept(&inventory, &tables, &derived));
        assert_eq!(
            builds.load(Ordering::Relaxed),
            2,
            "a Pod change rebuilds it"
        );
    }
}
