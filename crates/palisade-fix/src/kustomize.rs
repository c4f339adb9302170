//! Kustomize: fixes of built objects written as JSON 6902 patches of the kustomization.
//!
//! Each fixed object gets one patch file (`palisade-fixes/<kind>-<name>.yaml`, a list of
//! `add`/`replace`/`remove` operations against the object as this kustomization sees it),
//! referenced from `kustomization.yaml` under `patches:` with a `target` naming the object.
//! JSON 6902 says exactly which field and which list item changes, where a strategic-merge
//! patch would need merge keys and `$patch` directives for removals. The kustomization is
//! edited with the same comment-preserving editor as manifests, only ever by adding an entry.
//! The caller builds the kustomization with the patches in place; they are kept only when every
//! built object is what it was, apart from the fixed ones, which must be exactly the objects
//! with their fixes applied.

use std::collections::BTreeMap;

use palisade_core::{Fix, FixSafety, ObjectPath};
use palisade_load::render::ORIGIN_ANNOTATION;
use serde_json::{Map, Value, json};

use crate::file::{ValueEdit, fix_single_document};
use crate::helm::{describe, first_difference, rendered_objects};
use crate::plan::{Edit, plan_document};

/// Where the patch files go, inside the kustomization's directory.
pub const PATCH_DIR: &str = "palisade-fixes";

/// A fix of an object of the build output.
#[derive(Clone, Debug)]
pub struct BuiltFinding {
    pub control: &'static str,
    pub fix: Fix,
    /// The object's document in the build output (0-based, as the loader counts them).
    pub document: u32,
}

/// A file to write, relative to the kustomization's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchFile {
    pub path: String,
    pub text: String,
}

/// What fixing one kustomization gives.
#[derive(Debug, Default)]
pub struct KustomizeFix {
    /// The files to write (patch files and the kustomization), empty when nothing verified.
    pub files: Vec<PatchFile>,
    /// Per finding: the patch file that fixes it, or why there is none.
    pub outcomes: Vec<Result<String, String>>,
}

/// The build output's objects without the origin annotation that Palisade's build adds (its
/// paths differ between a build of the directory and one of a copy).
fn built_objects(text: &str) -> BTreeMap<u32, Value> {
    let mut objects = rendered_objects(text);
    for object in objects.values_mut() {
        let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
            continue;
        };
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove(ORIGIN_ANNOTATION);
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    objects
}

/// The file name of an object's patch: `deployment-web.yaml`, with the namespace when given.
fn patch_name(object: &Value) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect()
    };
    let mut name = clean(object["kind"].as_str().unwrap_or("object"));
    if let Some(ns) = object["metadata"]["namespace"].as_str() {
        name.push('-');
        name.push_str(&clean(ns));
    }
    name.push('-');
    name.push_str(&clean(
        object["metadata"]["name"].as_str().unwrap_or("unnamed"),
    ));
    format!("{PATCH_DIR}/{name}.yaml")
}

/// The patch target of a built object, as this kustomization's patches see it: patches run
/// before its own `namePrefix`/`nameSuffix` and `namespace`, so those are taken off the name
/// and the namespace is named only when the kustomization does not set one.
fn target(object: &Value, kustomization: &Value) -> Value {
    let mut name = object["metadata"]["name"]
        .as_str()
        .unwrap_or("")
        .to_string();
    if let Some(prefix) = kustomization["namePrefix"].as_str() {
        name = name.strip_prefix(prefix).unwrap_or(&name).to_string();
    }
    if let Some(suffix) = kustomization["nameSuffix"].as_str() {
        name = name.strip_suffix(suffix).unwrap_or(&name).to_string();
    }
    let mut target = Map::new();
    target.insert("kind".into(), object["kind"].clone());
    target.insert("name".into(), Value::String(name));
    if kustomization.get("namespace").is_none() {
        if let Some(ns) = object["metadata"]["namespace"].as_str() {
            target.insert("namespace".into(), Value::String(ns.into()));
        }
    }
    Value::Object(target)
}

/// The patch of one object, planned but not yet verified.
struct ObjectPatch {
    file: String,
    operations: Vec<Value>,
    target: Value,
    findings: Vec<usize>,
    document: u32,
    expected: Value,
}

fn plan_patches(
    objects: &BTreeMap<u32, Value>,
    kustomization: &Value,
    findings: &[BuiltFinding],
    outcomes: &mut [Result<String, String>],
) -> Vec<ObjectPatch> {
    let mut by_document: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, finding) in findings.iter().enumerate() {
        by_document.entry(finding.document).or_default().push(i);
    }
    let mut out = Vec::new();
    for (document, indices) in by_document {
        let Some(object) = objects.get(&document) else {
            for i in indices {
                outcomes[i] = Err("the object is not in the build output".into());
            }
            continue;
        };
        let edits = indices
            .iter()
            .map(|&i| Edit {
                control: findings[i].control,
                fix: findings[i].fix.clone(),
                prefix: Vec::new(),
            })
            .collect();
        let plan = plan_document(object, edits);
        for rejected in &plan.rejected {
            for &i in &indices {
                if findings[i].control == rejected.control
                    && findings[i].fix.description == rejected.description
                {
                    outcomes[i] = Err(rejected.reason.clone());
                }
            }
        }
        let operations = match crate::patch::json_patch(object, &plan.ops) {
            Ok(operations) => operations,
            Err(reason) => {
                for &i in &indices {
                    outcomes[i] = Err(reason.clone());
                }
                continue;
            }
        };
        let fixed: Vec<usize> = indices
            .iter()
            .copied()
            .filter(|&i| outcomes[i].is_ok())
            .collect();
        if operations.is_empty() {
            continue;
        }
        let file = patch_name(object);
        for &i in &fixed {
            outcomes[i] = Ok(file.clone());
        }
        out.push(ObjectPatch {
            file,
            operations,
            target: target(object, kustomization),
            findings: fixed,
            document,
            expected: plan.expected,
        });
    }
    out
}

/// The files that write `patches`: each patch file (new, or an existing one with the new
/// operations appended), and the kustomization with an entry for each file it lacks.
fn files_for(
    patches: &[&ObjectPatch],
    kustomization_path: &str,
    kustomization_text: &str,
    kustomization: &Value,
    existing: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<PatchFile>, String> {
    let mut files = Vec::new();
    let mut entries = Vec::new();
    let referenced = |file: &str| {
        kustomization["patches"]
            .as_array()
            .is_some_and(|list| list.iter().any(|p| p["path"].as_str() == Some(file)))
    };
    for patch in patches {
        let operations = serde_yaml::to_string(&patch.operations).map_err(|e| e.to_string())?;
        let text = match existing(&patch.file) {
            Some(mut text) => {
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text + &operations
            }
            None => format!(
                "# Written by `palisade fix --kustomize-patch`: fixes of {}.\n{operations}",
                describe(&patch.expected)
            ),
        };
        files.push(PatchFile {
            path: patch.file.clone(),
            text,
        });
        if !referenced(&patch.file) {
            entries.push(ValueEdit {
                control: "patch",
                fix: Fix {
                    description: format!("reference {}", patch.file).into(),
                    safety: FixSafety::Safe,
                    ops: vec![palisade_core::FixOp::Append {
                        path: ObjectPath::parse("patches"),
                        value: json!({"path": patch.file, "target": patch.target}),
                    }],
                },
                at: Vec::new(),
            });
        }
    }
    if !entries.is_empty() {
        let edited = fix_single_document(kustomization_text, entries);
        if let Some(refused) = edited.rejected.first() {
            return Err(format!(
                "{kustomization_path} cannot take the patch: {}",
                refused.reason
            ));
        }
        files.push(PatchFile {
            path: kustomization_path.to_string(),
            text: edited.text,
        });
    }
    Ok(files)
}

/// Fixes the findings of one kustomization with patches.
///
/// `built` is the build output as scanned; `kustomization_path`/`kustomization_text` the
/// kustomization file (its name inside the directory, and text); `existing` reads a file of the
/// directory (an earlier run's patch); `build` builds the directory with the given files
/// written over it and returns the output.
pub fn fix_kustomization(
    built: &str,
    kustomization_path: &str,
    kustomization_text: &str,
    findings: &[BuiltFinding],
    existing: &dyn Fn(&str) -> Option<String>,
    build: &mut dyn FnMut(&[PatchFile]) -> Result<String, String>,
) -> KustomizeFix {
    // Planning turns each into an error or the name of its patch file; an empty name is left
    // for fixes that change nothing.
    let mut outcomes: Vec<Result<String, String>> = vec![Ok(String::new()); findings.len()];
    let kustomization = rendered_objects(kustomization_text)
        .remove(&0)
        .unwrap_or(Value::Null);
    if !kustomization.is_object() {
        return KustomizeFix {
            files: Vec::new(),
            outcomes: vec![Err(format!("{kustomization_path} is not a mapping")); findings.len()],
        };
    }
    let objects = built_objects(built);
    let patches = plan_patches(&objects, &kustomization, findings, &mut outcomes);

    // Everything at once; when that does not verify, each object's patch alone, then the ones
    // that verified alone together.
    let mut verify = |chosen: &[&ObjectPatch]| -> Result<Vec<PatchFile>, String> {
        let files = files_for(
            chosen,
            kustomization_path,
            kustomization_text,
            &kustomization,
            existing,
        )?;
        let output = build(&files)?;
        let after = built_objects(&output);
        let mut expected = objects.clone();
        for patch in chosen {
            expected.insert(patch.document, patch.expected.clone());
        }
        if after.keys().ne(expected.keys()) {
            return Err("the patched build has other objects".into());
        }
        for (document, object) in &after {
            if *object != expected[document] {
                return Err(format!(
                    "the patched build differs from the fixed object {} at `{}`",
                    describe(&expected[document]),
                    first_difference(&expected[document], object)
                ));
            }
        }
        Ok(files)
    };
    for outcome in &mut outcomes {
        if outcome.as_ref().is_ok_and(String::is_empty) {
            *outcome = Err("the object already reads as fixed".into());
        }
    }
    let all: Vec<&ObjectPatch> = patches.iter().collect();
    if all.is_empty() {
        return KustomizeFix {
            files: Vec::new(),
            outcomes,
        };
    }
    let files = match verify(&all) {
        Ok(files) => files,
        Err(first_reason) if all.len() == 1 => {
            for &i in &all[0].findings {
                outcomes[i] = Err(first_reason.clone());
            }
            Vec::new()
        }
        Err(_) => {
            let mut good = Vec::new();
            for patch in &all {
                match verify(&[patch]) {
                    Ok(_) => good.push(*patch),
                    Err(reason) => {
                        for &i in &patch.findings {
                            outcomes[i] = Err(reason.clone());
                        }
                    }
                }
            }
            match verify(&good) {
                Ok(files) if !good.is_empty() => files,
                Ok(_) => Vec::new(),
                Err(reason) => {
                    for &i in good.iter().flat_map(|p| &p.findings) {
                        outcomes[i] = Err(reason.clone());
                    }
                    Vec::new()
                }
            }
        }
    };
    KustomizeFix { files, outcomes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_the_object_as_the_kustomization_patches_see_it() {
        let object =
            json!({"kind": "Deployment", "metadata": {"name": "prod-web-v2", "namespace": "prod"}});
        assert_eq!(
            target(
                &object,
                &json!({"namePrefix": "prod-", "nameSuffix": "-v2", "namespace": "prod"})
            ),
            json!({"kind": "Deployment", "name": "web"})
        );
        assert_eq!(
            target(&object, &json!({})),
            json!({"kind": "Deployment", "name": "prod-web-v2", "namespace": "prod"})
        );
        assert_eq!(
            patch_name(&object),
            "palisade-fixes/deployment-prod-prod-web-v2.yaml"
        );
    }
}
