//! Resources, where they came from, and the inventory that holds them.

use std::any::{Any, TypeId};
use std::collections::HashMap;

/// The index's tables: keys are short strings borrowed from the inventory, so a fast
/// non-cryptographic hash matters (the watch loop rebuilds the index for every batch of changes).
type Table<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use crate::value::Node;

/// What identifies a Kubernetes object to a person reading a report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceId {
    /// The cluster (kubeconfig context) the object was read from; `None` for files. Scans of
    /// several clusters keep same-named objects apart by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<Arc<str>>,
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ResourceId {
    /// The identity an object states about itself: `apiVersion`, `kind`, `metadata.namespace`
    /// (an empty one counts as none) and `metadata.name` (else `generateName`). `None` when
    /// `apiVersion` or `kind` is not a string.
    pub fn of_object(root: &Node) -> Option<ResourceId> {
        let api_version = root.get("apiVersion").and_then(Node::as_str)?;
        let kind = root.get("kind").and_then(Node::as_str)?;
        let metadata = root.get("metadata");
        let name = metadata
            .and_then(|m| m.get("name").or_else(|| m.get("generateName")))
            .and_then(Node::as_str)
            .unwrap_or("<unnamed>");
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Node::as_str)
            .filter(|ns| !ns.is_empty());
        Some(ResourceId {
            cluster: None,
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
        })
    }

    /// The namespace an object belongs to for checks that look within a namespace: its own,
    /// or, for a Namespace object, the namespace it names.
    pub fn scope_namespace(&self) -> Option<&str> {
        if self.kind == "Namespace" && self.api_version == "v1" {
            Some(&self.name)
        } else {
            self.namespace.as_deref()
        }
    }

    /// The API group, empty for the core group.
    pub fn group(&self) -> &str {
        match self.api_version.split_once('/') {
            Some((group, _)) => group,
            None => "",
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(cluster) = &self.cluster {
            write!(f, "{cluster}: ")?;
        }
        match &self.namespace {
            Some(ns) => write!(f, "{}/{} ({ns})", self.kind, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// Index of a [`Source`] in [`Inventory::sources`].
pub type SourceId = usize;

/// A text that resources were read from: a file, stdin, or rendered Helm/Kustomize output.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path shown to users (relative to where they pointed Palisade, when possible).
    pub path: Arc<str>,
    pub text: Arc<str>,
    /// Set when the text is tool output (`helm template`, `kustomize build`) rather than a file a
    /// person edits; names the tool.
    pub rendered_by: Option<&'static str>,
    /// The SHA-256 of the text as read, taken when the source is added: reports record it as
    /// evidence of what was scanned, and the text itself may be dropped after loading.
    pub sha256: [u8; 32],
}

/// Where a resource came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// The source text holding the resource, if it came from text.
    pub source: Option<SourceId>,
    /// Zero-based position of the document within its source.
    pub document: u32,
    /// For rendered output: the file a person edits that produced the document (the Helm
    /// template named by Helm's `# Source:` comment, or the file Kustomize's origin annotation
    /// names), so findings point there rather than at the tool's output.
    pub authored_in: Option<SourceId>,
    /// Which document of `authored_in` produced it (0-based, in output order), so a finding in
    /// the second Pod of a template maps into the second document of that file.
    pub authored_document: u32,
    /// Read only as context for cross-resource checks, not judged itself: a cluster-scoped
    /// object (a ClusterRoleBinding, say) during a scan narrowed to some namespaces.
    pub context_only: bool,
}

/// One object to evaluate.
#[derive(Clone, Debug)]
pub struct Resource {
    pub id: ResourceId,
    pub root: Node,
    pub origin: Origin,
}

/// Whether a line starts a new YAML document (`---`, optionally followed by a comment or
/// content). Shared by the loader, which splits streams at these lines, and by location mapping.
pub fn is_document_marker(line: &str) -> bool {
    line.strip_prefix("---")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '#']))
}

impl Source {
    /// The 0-based line range of document `n` of the text, when it has that many.
    pub fn document_lines(&self, n: u32) -> Option<std::ops::Range<usize>> {
        let mut starts = vec![0usize];
        for (i, line) in self.text.lines().enumerate() {
            if is_document_marker(line) && i > 0 {
                starts.push(i);
            }
        }
        let total = self.text.lines().count();
        // A leading `---` (or none) opens the first document; content before the first marker
        // that holds only comments is part of it.
        let start = *starts.get(n as usize)?;
        let end = starts.get(n as usize + 1).copied().unwrap_or(total);
        Some(start..end)
    }
}

impl Resource {
    pub fn kind(&self) -> &str {
        &self.id.kind
    }

    /// `metadata.annotations[key]`, when it is a string.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root
            .at(&["metadata", "annotations", key])
            .and_then(Node::as_str)
    }

    pub fn annotations(&self) -> impl Iterator<Item = (&str, &str)> {
        self.root
            .at(&["metadata", "annotations"])
            .and_then(Node::as_map)
            .unwrap_or(&[])
            .iter()
            .filter_map(|e| e.value.as_str().map(|v| (e.key.as_str(), v)))
    }
}

/// A kind the inventory lacks because it could not be read (a cluster answered 403, or failed),
/// so checks that read it cannot be trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unavailable {
    /// API group, empty for core.
    pub group: String,
    pub version: String,
    pub kind: String,
    /// The resource name in URLs (`pods`, `clusterrolebindings`).
    pub resource: String,
    /// The namespace whose objects are missing; `None` when they are missing everywhere.
    pub namespace: Option<String>,
    /// Why, as the server said it (e.g. `403 Forbidden: pods is forbidden: …`).
    pub reason: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let group = if self.group.is_empty() {
            "core"
        } else {
            &self.group
        };
        write!(f, "{} ({group}/{})", self.resource, self.version)?;
        if let Some(ns) = &self.namespace {
            write!(f, " in namespace {ns}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Everything loaded for one scan.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub sources: Vec<Source>,
    pub resources: Vec<Resource>,
    /// Kinds that could not be read; empty for files.
    pub unavailable: Vec<Unavailable>,
}

impl Inventory {
    pub fn add_source(&mut self, path: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> SourceId {
        let text: Arc<str> = text.into();
        self.sources.push(Source {
            path: path.into(),
            sha256: crate::digest::sha256(text.as_bytes()),
            text,
            rendered_by: None,
        });
        self.sources.len() - 1
    }

    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id]
    }

    /// Drops the text of sources that are plain files. Findings locate themselves through node
    /// spans, so only reports that quote source lines need the text; rendered output and the
    /// authored files behind it are kept, as locations are mapped through them.
    pub fn release_plain_texts(&mut self) {
        let mut authored: Vec<SourceId> = self
            .resources
            .iter()
            .filter_map(|r| r.origin.authored_in)
            .collect();
        authored.sort_unstable();
        authored.dedup();
        for (id, source) in self.sources.iter_mut().enumerate() {
            if source.rendered_by.is_none() && authored.binary_search(&id).is_err() {
                source.text = Arc::from("");
            }
        }
    }

    /// Appends another inventory, renumbering its sources.
    pub fn extend(&mut self, other: Inventory) {
        let offset = self.sources.len();
        self.unavailable.extend(other.unavailable);
        self.sources.extend(other.sources);
        self.resources
            .extend(other.resources.into_iter().map(|mut r| {
                r.origin.source = r.origin.source.map(|s| s + offset);
                r.origin.authored_in = r.origin.authored_in.map(|s| s + offset);
                r
            }));
    }
}

/// Lookups by kind and by identity, built once per scan so checks that relate objects (a pod to
/// its ServiceAccount, a binding to its role) stay linear in the size of the inventory. Keys
/// borrow from the inventory, so the index costs little more than its hash tables.
#[derive(Debug)]
pub struct InventoryIndex<'a> {
    inventory: &'a Inventory,
    by_kind: Table<(&'a str, &'a str), Vec<u32>>,
    by_kind_and_namespace: Table<(&'a str, &'a str, Option<&'a str>), Vec<u32>>,
    by_identity: Table<(&'a str, &'a str, Option<&'a str>, &'a str), u32>,
    /// Lookups a family of checks derives from the inventory (RBAC's subject → bindings, say),
    /// one per type, built on first use; see [`InventoryIndex::derived`].
    derived: Mutex<Vec<(TypeId, DerivedSlot)>>,
}

type DerivedSlot = Arc<OnceLock<Arc<dyn Any + Send + Sync>>>;

impl<'a> InventoryIndex<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        let mut index = InventoryIndex {
            inventory,
            by_kind: Table::default(),
            by_kind_and_namespace: Table::default(),
            by_identity: Table::with_capacity_and_hasher(
                inventory.resources.len(),
                rustc_hash::FxBuildHasher,
            ),
            derived: Mutex::new(Vec::new()),
        };
        for (i, r) in inventory.resources.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 4 billion resources");
            let (group, kind) = (r.id.group(), r.id.kind.as_str());
            let namespace = r.id.namespace.as_deref();
            index.by_kind.entry((group, kind)).or_default().push(i);
            index
                .by_kind_and_namespace
                .entry((group, kind, namespace))
                .or_default()
                .push(i);
            // The first object wins when a scan holds the same identity twice.
            index
                .by_identity
                .entry((group, kind, namespace, r.id.name.as_str()))
                .or_insert(i);
        }
        index
    }

    fn resources<'s>(
        &self,
        indices: Option<&'s Vec<u32>>,
    ) -> impl Iterator<Item = &'a Resource> + 's
    where
        'a: 's,
    {
        let inventory = self.inventory;
        indices
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| &inventory.resources[i as usize])
    }

    /// Every resource of `kind` in API `group` (empty for core), in inventory order.
    pub fn of_kind<'s>(
        &'s self,
        group: &'s str,
        kind: &'s str,
    ) -> impl Iterator<Item = &'a Resource> + 's {
        // The maps are covariant in their keys, so they can be asked with shorter-lived keys.
        let map: &'s Table<(&str, &str), Vec<u32>> = &self.by_kind;
        self.resources(map.get(&(group, kind)))
    }

    /// Every resource of `kind` in API `group` and in `namespace` (`None`: objects that set no
    /// namespace), in inventory order.
    pub fn of_kind_in<'s>(
        &'s self,
        group: &'s str,
        kind: &'s str,
        namespace: Option<&'s str>,
    ) -> impl Iterator<Item = &'a Resource> + 's {
        let map: &'s Table<(&str, &str, Option<&str>), Vec<u32>> = &self.by_kind_and_namespace;
        self.resources(map.get(&(group, kind, namespace)))
    }

    /// Like [`InventoryIndex::of_kind`], with each resource's position in the inventory, for
    /// lookups kept in a [`InventoryIndex::derived`] value (which cannot borrow).
    pub fn of_kind_at<'s>(
        &'s self,
        group: &'s str,
        kind: &'s str,
    ) -> impl Iterator<Item = (u32, &'a Resource)> + 's {
        let map: &'s Table<(&str, &str), Vec<u32>> = &self.by_kind;
        let inventory = self.inventory;
        map.get(&(group, kind))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| (i, &inventory.resources[i as usize]))
    }

    /// The resource at a position [`InventoryIndex::of_kind_at`] gave.
    pub fn at(&self, position: u32) -> Option<&'a Resource> {
        self.inventory.resources.get(position as usize)
    }

    /// A lookup derived from the inventory, of type `T`, built by `build` the first time any
    /// check asks for it and shared by every check after, for as long as this index lives.
    /// Checks run per resource; a reverse index (who is bound where) that they all need would
    /// cost a scan of the inventory per resource, a quadratic scan, without this. Concurrent
    /// first callers wait for one build. `T` cannot borrow from the inventory: it keeps
    /// positions ([`InventoryIndex::of_kind_at`]) or owned keys. `build` must not ask for the
    /// same type again.
    pub fn derived<T: Any + Send + Sync>(&self, build: impl FnOnce() -> T) -> Arc<T> {
        let slot = {
            let mut slots = self.derived.lock().unwrap_or_else(PoisonError::into_inner);
            match slots.iter().find(|(id, _)| *id == TypeId::of::<T>()) {
                Some((_, slot)) => Arc::clone(slot),
                None => {
                    let slot = DerivedSlot::default();
                    slots.push((TypeId::of::<T>(), Arc::clone(&slot)));
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
        let map: &Table<(&str, &str, Option<&str>, &str), u32> = &self.by_identity;
        let i = *map.get(&(group, kind, namespace, name))?;
        Some(&self.inventory.resources[i as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

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
                scope.spawn(|| assert_eq!(*index.derived(pods), vec![0, 2]));
            }
        });
        assert_eq!(builds.load(Ordering::Relaxed), 1);
        // Another type gets its own slot.
        assert_eq!(*index.derived(|| "other"), "other");
        assert_eq!(index.at(2).map(|r| r.id.name.as_str()), Some("b"));
        assert!(index.at(3).is_none());
    }
}
