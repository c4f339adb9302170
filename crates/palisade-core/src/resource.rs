//! Resources, where they came from, and the inventory that holds them.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::value::Node;

/// What identifies a Kubernetes object to a person reading a report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceId {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ResourceId {
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
}

/// One object to evaluate.
#[derive(Clone, Debug)]
pub struct Resource {
    pub id: ResourceId,
    pub root: Node,
    pub origin: Origin,
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

/// Everything loaded for one scan.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub sources: Vec<Source>,
    pub resources: Vec<Resource>,
}

impl Inventory {
    pub fn add_source(&mut self, path: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> SourceId {
        self.sources.push(Source {
            path: path.into(),
            text: text.into(),
            rendered_by: None,
        });
        self.sources.len() - 1
    }

    pub fn source(&self, id: SourceId) -> &Source {
        &self.sources[id]
    }

    /// Appends another inventory, renumbering its sources.
    pub fn extend(&mut self, other: Inventory) {
        let offset = self.sources.len();
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
/// its ServiceAccount, a binding to its role) stay linear in the size of the inventory.
#[derive(Debug, Default)]
pub struct InventoryIndex {
    by_kind: HashMap<(String, String), Vec<usize>>,
    by_identity: HashMap<(String, String, Option<String>, String), usize>,
}

impl InventoryIndex {
    pub fn new(inventory: &Inventory) -> Self {
        let mut index = InventoryIndex::default();
        for (i, r) in inventory.resources.iter().enumerate() {
            let group = r.id.group().to_string();
            index
                .by_kind
                .entry((group.clone(), r.id.kind.clone()))
                .or_default()
                .push(i);
            // The first object wins when a scan holds the same identity twice.
            index
                .by_identity
                .entry((
                    group,
                    r.id.kind.clone(),
                    r.id.namespace.clone(),
                    r.id.name.clone(),
                ))
                .or_insert(i);
        }
        index
    }

    /// Every resource of `kind` in API `group` (empty for core), in inventory order.
    pub fn of_kind<'a>(
        &'a self,
        inventory: &'a Inventory,
        group: &str,
        kind: &str,
    ) -> impl Iterator<Item = &'a Resource> + 'a {
        self.by_kind
            .get(&(group.to_string(), kind.to_string()))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(move |&i| &inventory.resources[i])
    }

    /// The resource with this identity, if the inventory holds it.
    pub fn find<'a>(
        &self,
        inventory: &'a Inventory,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&'a Resource> {
        let key = (
            group.to_string(),
            kind.to_string(),
            namespace.map(str::to_string),
            name.to_string(),
        );
        self.by_identity.get(&key).map(|&i| &inventory.resources[i])
    }
}
