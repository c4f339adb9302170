//! Objects as the API server returns them → [`Resource`]s.

use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::version::Info;
use palisade_core::{Node, Origin, Resource, ResourceId};
use serde_json::{Map, Value};

/// The API version and kind of the object that stands for the cluster itself (from `/version`).
pub const CLUSTER_VERSION_API_VERSION: &str = "palisade.dev/v1";
pub const CLUSTER_VERSION_KIND: &str = "ClusterVersion";

/// `kubectl apply` copies the whole applied object into this annotation, Secret values included,
/// and the API server returns it even in metadata-only responses.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Turns one object of a list page or watch event into a resource of `cluster`.
///
/// List items carry no `apiVersion`/`kind`, and metadata-only items carry
/// `PartialObjectMetadata`, so both are set from what was asked for. Server bookkeeping that no
/// control reads (`managedFields`) and the last-applied annotation are dropped here, before
/// anything else holds them; a Secret keeps nothing but its metadata whatever the server sent.
pub fn resource(
    object: Value,
    api_version: &str,
    kind: &str,
    cluster: &Arc<str>,
) -> Option<Resource> {
    let Value::Object(mut fields) = object else {
        return None;
    };
    fields.insert("apiVersion".into(), api_version.into());
    fields.insert("kind".into(), kind.into());
    if let Some(Value::Object(metadata)) = fields.get_mut("metadata") {
        metadata.remove("managedFields");
        if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
            annotations.remove(LAST_APPLIED);
        }
    }
    if kind == "Secret" && !api_version.contains('/') {
        fields.retain(|key, _| matches!(key.as_str(), "apiVersion" | "kind" | "metadata"));
    }
    Some(to_resource(&Value::Object(fields), cluster))
}

fn to_resource(object: &Value, cluster: &Arc<str>) -> Resource {
    let root = Node::from_json(object);
    let mut id = ResourceId::of_object(&root).expect("apiVersion and kind were just set");
    id.cluster = Some(cluster.clone());
    Resource {
        id,
        root,
        origin: Origin::default(),
    }
}

/// The object describing the cluster itself, from its `/version` answer.
pub fn cluster_version(info: &Info, cluster: &Arc<str>) -> Resource {
    let mut fields = Map::new();
    fields.insert("apiVersion".into(), CLUSTER_VERSION_API_VERSION.into());
    fields.insert("kind".into(), CLUSTER_VERSION_KIND.into());
    fields.insert(
        "metadata".into(),
        serde_json::json!({ "name": cluster.as_ref() }),
    );
    for (key, value) in [
        ("gitVersion", &info.git_version),
        ("major", &info.major),
        ("minor", &info.minor),
        ("platform", &info.platform),
        ("buildDate", &info.build_date),
    ] {
        fields.insert(key.into(), value.as_str().into());
    }
    to_resource(&Value::Object(fields), cluster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_items_get_their_kind_and_lose_server_bookkeeping() {
        let item = json!({
            "metadata": {
                "name": "web", "namespace": "shop",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {LAST_APPLIED: "{\"spec\":{}}", "team": "a"}
            },
            "spec": {"replicas": 2}
        });
        let cluster: Arc<str> = "prod".into();
        let r = resource(item, "apps/v1", "Deployment", &cluster).unwrap();
        assert_eq!(r.id.kind, "Deployment");
        assert_eq!(r.id.cluster.as_deref(), Some("prod"));
        assert_eq!(r.id.namespace.as_deref(), Some("shop"));
        assert!(r.root.at(&["metadata", "managedFields"]).is_none());
        assert!(r.annotation(LAST_APPLIED).is_none());
        assert_eq!(r.annotation("team"), Some("a"));
        assert_eq!(r.root.at(&["spec", "replicas"]).unwrap().as_i64(), Some(2));
    }

    #[test]
    fn a_secret_keeps_only_metadata_whatever_the_server_sent() {
        let item = json!({
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": {"name": "db", "namespace": "shop",
                         "annotations": {LAST_APPLIED: "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "x"}
        });
        let r = resource(item, "v1", "Secret", &Arc::from("c")).unwrap();
        assert!(!r.root.to_json().to_string().contains("aHVudGVyMg"));
        assert!(r.root.get("stringData").is_none());
        assert_eq!(r.id.api_version, "v1");
    }

    #[test]
    fn the_cluster_is_described_by_its_version() {
        let info = Info {
            git_version: "v1.29.3".into(),
            major: "1".into(),
            minor: "29".into(),
            platform: "linux/amd64".into(),
            ..Info::default()
        };
        let r = cluster_version(&info, &Arc::from("prod"));
        assert_eq!(r.id.kind, CLUSTER_VERSION_KIND);
        assert_eq!(r.id.name, "prod");
        assert_eq!(r.root.get("gitVersion").unwrap().as_str(), Some("v1.29.3"));
    }
}
