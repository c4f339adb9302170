//! Reading objects from `kubectl get -o json` style files.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use crate::Error;

/// An object read from input, kept compactly serialized until the server starts, with where it
/// came from for error messages.
pub(crate) struct Input {
    pub bytes: Vec<u8>,
    pub origin: String,
    /// A CustomResourceDefinition (registered before other objects).
    pub crd: bool,
}

fn push(object: Value, origin: &str, out: &mut Vec<Input>) -> Result<(), String> {
    check(&object).map_err(|e| format!("{origin}: {e}"))?;
    let crd = object.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        && object
            .get("apiVersion")
            .and_then(Value::as_str)
            .is_some_and(|a| a.starts_with("apiextensions.k8s.io/"));
    let bytes = serde_json::to_vec(&object).map_err(|e| format!("{origin}: {e}"))?;
    out.push(Input {
        bytes,
        origin: origin.to_string(),
        crd,
    });
    Ok(())
}

fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

/// Fills the kind and apiVersion a typed list (`PodList`) leaves out of its items.
fn fill_item(item: &mut Value, list_kind: &str, list_api_version: Option<&Value>) {
    if let Value::Object(m) = item
        && list_kind != "List"
    {
        let kind = list_kind.strip_suffix("List").unwrap_or_default();
        m.entry("kind").or_insert_with(|| kind.into());
        if let Some(av) = list_api_version {
            m.entry("apiVersion").or_insert_with(|| av.clone());
        }
    }
}

/// Flattens a `List` (or a typed `FooList`, whose items may lack kind/apiVersion) or a JSON
/// array into its objects; a single object stays one object.
fn expand(value: Value, origin: &str, out: &mut Vec<Input>) -> Result<(), String> {
    let Value::Object(mut map) = value else {
        if let Value::Array(items) = value {
            for (i, item) in items.into_iter().enumerate() {
                expand(item, &format!("{origin}: item {i}"), out)?;
            }
            return Ok(());
        }
        return Err(format!("{origin}: expected a JSON object"));
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if !is_list_kind(&kind) || !matches!(map.get("items"), Some(Value::Array(_))) {
        return push(Value::Object(map), origin, out);
    }
    let list_api_version = map.get("apiVersion").cloned();
    let Some(Value::Array(items)) = map.remove("items") else {
        return Ok(());
    };
    for (i, mut item) in items.into_iter().enumerate() {
        fill_item(&mut item, &kind, list_api_version.as_ref());
        expand(item, &format!("{origin}: item {i}"), out)?;
    }
    Ok(())
}

/// Like [`expand`] for a document still in text: a list's items are parsed one at a time, so a
/// large file never becomes one large tree.
fn expand_raw(raw: &RawValue, origin: &str, out: &mut Vec<Input>) -> Result<(), String> {
    let invalid = |e: serde_json::Error| format!("{origin}: invalid JSON: {e}");
    let text = raw.get().trim_start();
    if text.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(raw.get()).map_err(invalid)?;
        for (i, item) in items.into_iter().enumerate() {
            expand_raw(item, &format!("{origin}: item {i}"), out)?;
        }
        return Ok(());
    }
    if !text.starts_with('{') {
        return Err(format!("{origin}: expected a JSON object"));
    }
    let fields: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).map_err(invalid)?;
    let kind = fields
        .get("kind")
        .and_then(|k| serde_json::from_str::<String>(k.get()).ok())
        .unwrap_or_default();
    let items = fields
        .get("items")
        .filter(|i| is_list_kind(&kind) && i.get().trim_start().starts_with('['));
    let Some(items) = items else {
        let value: Value = serde_json::from_str(raw.get()).map_err(invalid)?;
        return expand(value, origin, out);
    };
    let list_api_version: Option<Value> = fields
        .get("apiVersion")
        .and_then(|a| serde_json::from_str(a.get()).ok());
    let items: Vec<&RawValue> = serde_json::from_str(items.get()).map_err(invalid)?;
    for (i, item) in items.into_iter().enumerate() {
        let item_origin = format!("{origin}: item {i}");
        let mut value: Value = serde_json::from_str(item.get())
            .map_err(|e| format!("{item_origin}: invalid JSON: {e}"))?;
        fill_item(&mut value, &kind, list_api_version.as_ref());
        expand(value, &item_origin, out)?;
    }
    Ok(())
}

/// The fields every object needs to be stored.
fn check(object: &Value) -> Result<(), String> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).is_some_and(|s| !s.is_empty());
    if !text(object.get("apiVersion")) {
        return Err("object has no apiVersion".into());
    }
    if !text(object.get("kind")) {
        return Err("object has no kind".into());
    }
    match object.get("metadata") {
        Some(Value::Object(m)) if text(m.get("name")) => Ok(()),
        Some(Value::Object(_)) => Err("object has no metadata.name".into()),
        _ => Err("object has no metadata".into()),
    }
}

/// Objects of one value given in code (a single object or a List).
pub(crate) fn from_value(value: Value, origin: &str) -> Result<Vec<Input>, Error> {
    let mut out = Vec::new();
    expand(value, origin, &mut out).map_err(Error::new)?;
    Ok(out)
}

/// Every object in one file, which may hold several concatenated JSON documents.
pub(crate) fn load_file(path: &Path) -> Result<Vec<Input>, Error> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::new(format!("{name}: cannot read: {e}")))?;
    let mut out = Vec::new();
    let stream = serde_json::Deserializer::from_slice(&bytes).into_iter::<&RawValue>();
    for (i, doc) in stream.enumerate() {
        let doc = doc.map_err(|e| Error::new(format!("{name}: invalid JSON: {e}")))?;
        let origin = if i == 0 {
            name.clone()
        } else {
            format!("{name}: document {i}")
        };
        expand_raw(doc, &origin, &mut out).map_err(Error::new)?;
    }
    Ok(out)
}

fn json_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::new(format!("{}: cannot read directory: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            json_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}

/// Every object of every `*.json` file under `dir` (recursively, in path order).
pub(crate) fn load_dir(dir: &Path) -> Result<Vec<Input>, Error> {
    let mut files = Vec::new();
    json_files(dir, &mut files)?;
    let mut out = Vec::new();
    for file in files {
        out.extend(load_file(&file)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_are_flattened_and_typed_lists_fill_item_kinds() {
        let v = json!({"kind": "List", "apiVersion": "v1", "items": [
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}},
            {"kind": "PodList", "apiVersion": "v1", "items": [{"metadata": {"name": "b"}}]},
        ]});
        let got = from_value(v, "x").unwrap();
        assert_eq!(got.len(), 2);
        let second: Value = serde_json::from_slice(&got[1].bytes).unwrap();
        assert_eq!(second["kind"], "Pod");
        assert_eq!(second["apiVersion"], "v1");
        assert_eq!(got[1].origin, "x: item 1: item 0");
    }

    #[test]
    fn bad_files_give_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("broken.json");
        std::fs::write(&bad, "{\"kind\": ").unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("broken.json") && e.contains("invalid JSON"),
            "{e}"
        );
        std::fs::write(
            &bad,
            r#"{"kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{}}]}"#,
        )
        .unwrap();
        let e = load_dir(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("broken.json: item 0: object has no metadata.name"),
            "{e}"
        );
        std::fs::write(&bad, "[1]").unwrap();
        assert!(
            load_dir(dir.path())
                .unwrap_err()
                .to_string()
                .contains("broken.json")
        );
        assert!(
            load_dir(&dir.path().join("missing"))
                .unwrap_err()
                .to_string()
                .contains("missing")
        );
    }

    #[test]
    fn concatenated_documents_and_subdirectories_are_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(
            dir.path().join("sub/two.json"),
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a"}}
               {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"b"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("skip.yaml"), "not json").unwrap();
        std::fs::write(
            dir.path().join("typed.json"),
            r#"{"apiVersion":"v1","items":[{"metadata":{"name":"c"}},{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"x"}}],"kind":"ConfigMapList"}
               [{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"d"}}]"#,
        )
        .unwrap();
        let got = load_dir(dir.path()).unwrap();
        assert_eq!(got.len(), 5);
        let typed: Value = serde_json::from_slice(&got[2].bytes).unwrap();
        assert_eq!(
            (typed["kind"].as_str(), typed["apiVersion"].as_str()),
            (Some("ConfigMap"), Some("v1"))
        );
        assert!(got[3].crd && !got[2].crd);
        assert!(
            got[4].origin.ends_with("typed.json: document 1: item 0"),
            "{}",
            got[4].origin
        );
    }
}
