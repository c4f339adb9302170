//! Discovery documents: `/api`, `/apis`, `/apis/{group}`, resource lists, and aggregated
//! discovery (`apidiscovery.k8s.io` v2 and v2beta1).

use serde_json::{Value, json};

use crate::types::{Registry, ResourceType};

/// `GET /api`: the core group's versions.
pub(crate) fn core_versions(port: u16) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{port}")}
        ]
    })
}

fn group_entry(reg: &Registry, group: &str) -> Value {
    let versions: Vec<Value> = reg
        .group_versions(group)
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    let preferred = versions.first().cloned().unwrap_or(Value::Null);
    json!({"name": group, "versions": versions, "preferredVersion": preferred})
}

/// `GET /apis`: every non-core group with its versions and preferred version.
pub(crate) fn group_list(reg: &Registry) -> Value {
    let groups: Vec<Value> = reg.groups().iter().map(|g| group_entry(reg, g)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/{group}`.
pub(crate) fn api_group(reg: &Registry, group: &str) -> Option<Value> {
    if group.is_empty() || !reg.groups().iter().any(|g| g == group) {
        return None;
    }
    let mut entry = group_entry(reg, group);
    if let Value::Object(m) = &mut entry {
        m.insert("kind".into(), "APIGroup".into());
        m.insert("apiVersion".into(), "v1".into());
    }
    Some(entry)
}

/// `GET /api/v1` or `GET /apis/{group}/{version}`.
pub(crate) fn resource_list(reg: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = reg.types_in(group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for t in types {
        let mut r = json!({
            "name": t.plural,
            "singularName": t.singular,
            "namespaced": t.namespaced,
            "kind": t.kind,
            "verbs": t.verbs,
        });
        if !t.short_names.is_empty() {
            r["shortNames"] = json!(t.short_names);
        }
        if !t.categories.is_empty() {
            r["categories"] = json!(t.categories);
        }
        resources.push(r);
        for sub in &t.subresources {
            let mut s = json!({
                "name": format!("{}/{}", t.plural, sub.name),
                "singularName": "",
                "namespaced": t.namespaced,
                "kind": t.kind,
                "verbs": sub.verbs,
            });
            if let Some((g, v, k)) = &sub.response {
                if g != &t.group || v != &t.version {
                    s["group"] = json!(g);
                    s["version"] = json!(v);
                }
                s["kind"] = json!(k);
            }
            resources.push(s);
        }
    }
    let mut out = json!({"kind": "APIResourceList", "groupVersion": if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    }, "resources": resources});
    if !group.is_empty() {
        out["apiVersion"] = json!("v1");
    }
    Some(out)
}

fn aggregated_resource(t: &ResourceType) -> Value {
    let subresources: Vec<Value> = t
        .subresources
        .iter()
        .map(|s| {
            let (g, v, k) = s
                .response
                .clone()
                .unwrap_or_else(|| (t.group.clone(), t.version.clone(), t.kind.clone()));
            json!({
                "subresource": s.name,
                "responseKind": {"group": g, "version": v, "kind": k},
                "verbs": s.verbs,
            })
        })
        .collect();
    let mut r = json!({
        "resource": t.plural,
        "responseKind": {"group": t.group, "version": t.version, "kind": t.kind},
        "scope": if t.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": t.singular,
        "verbs": t.verbs,
    });
    if !t.short_names.is_empty() {
        r["shortNames"] = json!(t.short_names);
    }
    if !t.categories.is_empty() {
        r["categories"] = json!(t.categories);
    }
    if !subresources.is_empty() {
        r["subresources"] = json!(subresources);
    }
    r
}

fn aggregated_group(reg: &Registry, group: &str) -> Value {
    let versions: Vec<Value> = reg
        .group_versions(group)
        .iter()
        .map(|v| {
            let resources: Vec<Value> = reg
                .types_in(group, v)
                .into_iter()
                .map(aggregated_resource)
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    let mut metadata = json!({"creationTimestamp": null});
    if !group.is_empty() {
        metadata["name"] = json!(group);
    }
    json!({"metadata": metadata, "versions": versions})
}

/// Aggregated discovery of the core group (`/api`) or of every other group (`/apis`), in the
/// given `apidiscovery.k8s.io` version.
pub(crate) fn aggregated(reg: &Registry, core: bool, version: &str) -> Value {
    let items: Vec<Value> = if core {
        vec![aggregated_group(reg, "")]
    } else {
        reg.groups()
            .iter()
            .map(|g| aggregated_group(reg, g))
            .collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_lists_carry_subresources_with_their_own_kinds() {
        let reg = Registry::with_builtins();
        let apps = resource_list(&reg, "apps", "v1").unwrap();
        assert_eq!(apps["groupVersion"], "apps/v1");
        let res = apps["resources"].as_array().unwrap();
        let scale = res
            .iter()
            .find(|r| r["name"] == "deployments/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        assert_eq!(scale["kind"], "Scale");
        let deploy = res.iter().find(|r| r["name"] == "deployments").unwrap();
        assert_eq!(deploy["shortNames"][0], "deploy");
        let core = resource_list(&reg, "", "v1").unwrap();
        assert!(core.get("apiVersion").is_none());
        let names: Vec<&str> = core["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/exec") && names.contains(&"pods/log"));
        assert!(resource_list(&reg, "apps", "v9").is_none());
    }

    #[test]
    fn group_list_has_preferred_versions_in_priority_order() {
        let reg = Registry::with_builtins();
        let list = group_list(&reg);
        let auto = list["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["name"] == "autoscaling")
            .unwrap();
        assert_eq!(auto["preferredVersion"]["version"], "v2");
        assert_eq!(list["groups"][0]["name"], "apiregistration.k8s.io");
        let agg = aggregated(&reg, true, "v2");
        assert_eq!(agg["items"][0]["versions"][0]["version"], "v1");
        assert!(agg["items"][0]["metadata"].get("name").is_none());
    }
}
