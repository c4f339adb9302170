//! Parsed documents → Kubernetes resources.

use std::collections::HashMap;

use palisade_core::{Diagnostic, Inventory, Node, Origin, Resource, ResourceId, SourceId, Value};

use crate::yaml::{self, Limits};

/// Parses `text` (already registered as `source` in `inventory`) and adds every Kubernetes
/// object it holds. Problems go to `diagnostics`; nothing stops at the first one.
/// `template_source` maps Helm's `# Source:` comments to registered template sources.
pub fn load_source(
    inventory: &mut Inventory,
    source: SourceId,
    limits: Limits,
    template_source: &dyn Fn(&str) -> Option<SourceId>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let path = inventory.source(source).path.clone();
    let text = inventory.source(source).text.clone();
    let mut documents_per_authored: HashMap<SourceId, u32> = HashMap::new();
    for parsed in yaml::parse_stream(&text, limits) {
        let doc = match parsed {
            Ok(doc) => doc,
            Err(problem) => {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "document {} skipped: {}",
                        problem.index + 1,
                        problem.message
                    ))
                    .in_file(&*path)
                    .at(problem.line, problem.column),
                );
                continue;
            }
        };
        for warning in &doc.warnings {
            diagnostics.push(
                Diagnostic::warning(warning.message.clone())
                    .in_file(&*path)
                    .at(warning.line, warning.column),
            );
        }
        let authored_in = doc.helm_source.as_deref().and_then(template_source);
        let authored_document = authored_in.map_or(0, |id| {
            let seen = documents_per_authored.entry(id).or_insert(0);
            *seen += 1;
            *seen - 1
        });
        let origin = Origin {
            source: Some(source),
            document: doc.index,
            authored_in,
            authored_document,
            context_only: false,
        };
        add_object(inventory, doc.root, &origin, &path, diagnostics);
    }
}

/// Adds one decoded object, unpacking `List` kinds, to the inventory.
pub fn add_object(
    inventory: &mut Inventory,
    root: Node,
    origin: &Origin,
    path: &str,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let located = |node: &Node, diag: Diagnostic| {
        let diag = diag.in_file(path);
        if node.span.is_known() {
            diag.at(node.span.line, u32::from(node.span.col))
        } else {
            diag
        }
    };
    if !matches!(root.value, Value::Map(_)) {
        diagnostics.push(located(
            &root,
            Diagnostic::error(format!(
                "document {} is not a Kubernetes object: expected a mapping, found {}",
                origin.document + 1,
                root.describe()
            )),
        ));
        return;
    }
    let api_version = root.get("apiVersion").and_then(Node::as_str);
    let kind = root.get("kind").and_then(Node::as_str);
    let (Some(_), Some(kind)) = (api_version, kind) else {
        let missing = match (api_version, kind) {
            (None, None) => "`apiVersion` and `kind`",
            (None, Some(_)) => "`apiVersion`",
            _ => "`kind`",
        };
        diagnostics.push(located(
            &root,
            Diagnostic::warning(format!(
                "document {} skipped: not a Kubernetes object (no string {missing})",
                origin.document + 1
            )),
        ));
        return;
    };
    if is_list_kind(kind) && root.get("items").and_then(Node::as_seq).is_some() {
        let Value::Map(entries) = root.value else {
            unreachable!("checked to be a mapping above")
        };
        for entry in entries.into_iter().filter(|e| e.key == "items") {
            if let Value::Seq(items) = entry.value.value {
                for item in items {
                    add_object(inventory, item, origin, path, diagnostics);
                }
            }
        }
        return;
    }
    let Some(id) = ResourceId::of_object(&root) else {
        unreachable!("apiVersion and kind checked above")
    };
    inventory.resources.push(Resource {
        id,
        root,
        origin: origin.clone(),
    });
}

/// `List`, `PodList`, `DeploymentList`…: collections that `kubectl get -o yaml` writes.
fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}
