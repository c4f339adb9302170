//! Resources, where they came from, and the inventory that holds them.

use std::fmt;
use std::sync::Arc;

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
