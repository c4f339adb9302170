//! PATCH bodies applied to a stored object: JSON Patch (RFC 6902), JSON Merge Patch (RFC 7396)
//! and a bounded strategic merge patch.
//!
//! The strategic merge knows the merge keys of the lists a security fix touches and merges
//! their items by key: `containers`, `initContainers`, `ephemeralContainers`, `volumes`, `env`
//! and `imagePullSecrets` by `name`, `volumeMounts` by `mountPath`, `ports` by `containerPort`
//! (a container's) or `port` (a Service's).
//! An item with `$patch: delete` is removed; every other list is replaced whole, and `null`
//! removes a field, as in a merge patch. `$setElementOrder/…` keys (ordering hints kubectl
//! sends) are ignored; other `$` directives are refused. Custom resources have no strategic
//! merge, as on a real server.

use serde_json::{Map, Value};

/// A refused patch: the HTTP status and the message of the `Status` answered.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: u16,
    pub message: String,
}

fn refuse(code: u16, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

pub(crate) const JSON_PATCH: &str = "application/json-patch+json";
pub(crate) const MERGE_PATCH: &str = "application/merge-patch+json";
pub(crate) const STRATEGIC_MERGE_PATCH: &str = "application/strategic-merge-patch+json";

/// `object` with the patch applied. `builtin` says whether the kind is a built-in one (only
/// those take strategic merge patches).
pub(crate) fn apply(
    content_type: Option<&str>,
    object: &Value,
    body: &[u8],
    builtin: bool,
) -> Result<Value, Refusal> {
    let media = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let supported = match media.as_str() {
        JSON_PATCH | MERGE_PATCH => true,
        STRATEGIC_MERGE_PATCH => builtin,
        _ => false,
    };
    if !supported {
        let accepted = if builtin {
            format!("{JSON_PATCH}, {MERGE_PATCH}, {STRATEGIC_MERGE_PATCH}")
        } else {
            format!("{JSON_PATCH}, {MERGE_PATCH}")
        };
        return Err(refuse(
            415,
            format!(
                "the body of the request was in an unknown format - accepted media types include: {accepted}"
            ),
        ));
    }
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| refuse(400, format!("error decoding patch: {e}")))?;
    let mut out = object.clone();
    match media.as_str() {
        JSON_PATCH => {
            let ops: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| refuse(400, format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut out, &ops).map_err(|e| refuse(422, e.to_string()))?;
        }
        MERGE_PATCH => json_patch::merge(&mut out, &patch),
        _ => strategic_merge(&mut out, &patch, None)?,
    }
    Ok(out)
}

/// The keys that may identify the items of a list field, when strategic merge knows the field:
/// the first an item carries is its key. A list named `ports` is a container's (merged by
/// `containerPort`) or a Service's (by `port`).
fn merge_keys(field: &str) -> Option<&'static [&'static str]> {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets" => Some(&["name"]),
        "volumeMounts" => Some(&["mountPath"]),
        "ports" => Some(&["containerPort", "port"]),
        _ => None,
    }
}

fn strategic_merge(target: &mut Value, patch: &Value, field: Option<&str>) -> Result<(), Refusal> {
    let Value::Object(changes) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        unreachable!("made an object above")
    };
    for (key, value) in changes {
        if key.starts_with("$setElementOrder/") {
            continue;
        }
        if key.starts_with('$') {
            return Err(refuse(
                422,
                format!("the fake API server does not support the directive {key} (in {field:?})"),
            ));
        }
        match (value, merge_keys(key)) {
            (Value::Null, _) => {
                map.remove(key);
            }
            (Value::Array(items), Some(merge_keys)) => {
                let list = map.entry(key.clone()).or_insert(Value::Array(Vec::new()));
                merge_list(list, items, merge_keys, key)?;
            }
            (Value::Object(_), _) => {
                strategic_merge(
                    map.entry(key.clone()).or_insert(Value::Null),
                    value,
                    Some(key),
                )?;
            }
            _ => {
                map.insert(key.clone(), value.clone());
            }
        }
    }
    Ok(())
}

fn merge_list(
    list: &mut Value,
    items: &[Value],
    merge_keys: &[&str],
    field: &str,
) -> Result<(), Refusal> {
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    let Value::Array(existing) = list else {
        unreachable!("made a list above")
    };
    for item in items {
        let Some((merge_key, key)) = merge_keys
            .iter()
            .find_map(|k| item.get(*k).filter(|v| !v.is_null()).map(|v| (*k, v)))
        else {
            return Err(refuse(
                422,
                format!("{field}: an item has none of the merge keys {merge_keys:?}"),
            ));
        };
        let at = existing.iter().position(|e| e.get(merge_key) == Some(key));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (at, delete) {
            (Some(i), true) => {
                existing.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => strategic_merge(&mut existing[i], item, Some(field))?,
            (None, false) => {
                let mut added = Value::Null;
                strategic_merge(&mut added, item, Some(field))?;
                existing.push(added);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({"kind": "Deployment", "metadata": {"name": "web", "labels": {"a": "1"}},
               "spec": {"template": {"spec": {"containers": [
                   {"name": "app", "image": "app:1", "env": [{"name": "X", "value": "1"}]},
                   {"name": "side", "image": "side:1"}]}}}})
    }

    #[test]
    fn json_patches_apply_atomically_and_failed_tests_are_unprocessable() {
        let body = br#"[{"op":"test","path":"/spec/template/spec/containers/0/name","value":"app"},
                        {"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":{"privileged":false}}]"#;
        let out = apply(Some(JSON_PATCH), &deployment(), body, true).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["securityContext"],
            json!({"privileged": false})
        );
        let stale =
            br#"[{"op":"test","path":"/spec/template/spec/containers/0/name","value":"side"},
                         {"op":"remove","path":"/metadata/labels"}]"#;
        let err = apply(Some(JSON_PATCH), &deployment(), stale, true).unwrap_err();
        assert_eq!(err.code, 422);
        let missing = br#"[{"op":"add","path":"/spec/nothing/here","value":1}]"#;
        assert_eq!(
            apply(Some(JSON_PATCH), &deployment(), missing, true)
                .unwrap_err()
                .code,
            422
        );
        assert_eq!(
            apply(Some(JSON_PATCH), &deployment(), b"{not json", true)
                .unwrap_err()
                .code,
            400
        );
    }

    #[test]
    fn merge_patches_replace_lists_and_null_removes() {
        let body = br#"{"metadata":{"labels":{"a":null,"b":"2"}},"spec":{"template":{"spec":{"containers":[{"name":"only"}]}}}}"#;
        let out = apply(Some(MERGE_PATCH), &deployment(), body, true).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"b": "2"}));
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only"}])
        );
    }

    #[test]
    fn strategic_merges_join_containers_and_env_by_name() {
        let body = br#"{"spec":{"template":{"spec":{"containers":[
            {"name":"side","securityContext":{"runAsNonRoot":true}},
            {"name":"app","env":[{"name":"Y","value":"2"}]},
            {"name":"new","image":"n:1"}]}}}}"#;
        let out = apply(Some(STRATEGIC_MERGE_PATCH), &deployment(), body, true).unwrap();
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(
            containers[0]["env"],
            json!([{"name": "X", "value": "1"}, {"name": "Y", "value": "2"}])
        );
        assert_eq!(containers[0]["image"], "app:1");
        assert_eq!(
            containers[1]["securityContext"],
            json!({"runAsNonRoot": true})
        );
        assert_eq!(containers[2], json!({"name": "new", "image": "n:1"}));
        let delete =
            br#"{"spec":{"template":{"spec":{"containers":[{"name":"side","$patch":"delete"}]}}}}"#;
        let out = apply(Some(STRATEGIC_MERGE_PATCH), &deployment(), delete, true).unwrap();
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
        let service = json!({"kind": "Service", "spec": {"ports": [{"port": 80, "name": "http"}]}});
        let body =
            br#"{"spec":{"ports":[{"port":80,"nodePort":null,"targetPort":8080},{"port":443}]}}"#;
        let out = apply(Some(STRATEGIC_MERGE_PATCH), &service, body, true).unwrap();
        assert_eq!(
            out["spec"]["ports"],
            json!([{"port": 80, "name": "http", "targetPort": 8080}, {"port": 443}])
        );
        let retain = br#"{"spec":{"$retainKeys":["template"]}}"#;
        assert_eq!(
            apply(Some(STRATEGIC_MERGE_PATCH), &deployment(), retain, true)
                .unwrap_err()
                .code,
            422
        );
    }

    #[test]
    fn unknown_types_and_strategic_merges_of_custom_resources_are_unsupported() {
        let body = b"{}";
        assert_eq!(
            apply(Some("application/json"), &deployment(), body, true)
                .unwrap_err()
                .code,
            415
        );
        assert_eq!(
            apply(None, &deployment(), body, true).unwrap_err().code,
            415
        );
        assert_eq!(
            apply(Some(STRATEGIC_MERGE_PATCH), &deployment(), body, false)
                .unwrap_err()
                .code,
            415
        );
        assert!(
            apply(
                Some("application/merge-patch+json; charset=utf-8"),
                &deployment(),
                body,
                false
            )
            .is_ok()
        );
    }
}
