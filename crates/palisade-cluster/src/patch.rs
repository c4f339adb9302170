//! JSON Patches sent to a live object, as a server-side dry run or for real.

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use palisade_core::ResourceId;
use serde_json::Value;

use crate::collect::{Cluster, describe};

/// Why a patch was not applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError {
    /// The HTTP status the server answered, when it answered.
    pub code: Option<u16>,
    pub message: String,
}

impl std::fmt::Display for PatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Sends `operations` (RFC 6902) to the object `id` names. With `dry_run` the server runs every
/// step of the change (admission included) and answers the object it would store, storing
/// nothing (`dryRun=All`). Answers the object as patched.
pub async fn patch(
    cluster: &Cluster,
    id: &ResourceId,
    operations: &[Value],
    dry_run: bool,
) -> Result<Value, PatchError> {
    let fail = |message: String| PatchError {
        code: None,
        message,
    };
    let kind = cluster
        .kinds
        .iter()
        .find(|k| k.resource.api_version == id.api_version && k.resource.kind == id.kind)
        .ok_or_else(|| {
            fail(format!(
                "the cluster does not serve {} {}",
                id.api_version, id.kind
            ))
        })?;
    let api: Api<DynamicObject> = match (&id.namespace, kind.namespaced) {
        (Some(ns), true) => Api::namespaced_with(cluster.client.clone(), ns, &kind.resource),
        _ => Api::all_with(cluster.client.clone(), &kind.resource),
    };
    let operations: json_patch::Patch = serde_json::from_value(Value::Array(operations.to_vec()))
        .map_err(|e| fail(format!("not a JSON Patch: {e}")))?;
    let params = if dry_run {
        PatchParams::default().dry_run()
    } else {
        PatchParams::default()
    };
    match api
        .patch(&id.name, &params, &Patch::Json::<()>(operations))
        .await
    {
        Ok(object) => serde_json::to_value(object).map_err(|e| fail(e.to_string())),
        Err(kube::Error::Api(status)) if status.code == 403 => Err(PatchError {
            code: Some(403),
            message: format!(
                "forbidden: the credentials may not patch {}: {}",
                kind.resource.plural, status.message
            ),
        }),
        Err(error) => Err(PatchError {
            code: match &error {
                kube::Error::Api(status) => Some(status.code),
                _ => None,
            },
            message: describe(&error),
        }),
    }
}
