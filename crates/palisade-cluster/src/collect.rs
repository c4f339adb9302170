//! Discovery and listing: every listable kind a cluster serves, page by page.

use std::sync::Arc;

use futures::{StreamExt, stream};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use k8s_openapi::apimachinery::pkg::version::Info;
use kube::core::{ApiResource, Request};
use kube::discovery::{Discovery, Scope, verbs};
use kube::{Client, api::ListParams};
use palisade_core::{Inventory, Resource, Unavailable};
use serde::Deserialize;
use serde_json::Value;

use crate::convert;
use crate::target::Target;

/// Kinds that are listable but say nothing about security posture, while being the largest and
/// most volatile collections of a busy cluster (one Event per pod start, one Lease per node and
/// controller), or live metrics rather than objects.
const SKIPPED: &[(&str, &str)] = &[
    ("", "events"),
    ("events.k8s.io", "events"),
    ("", "endpoints"),
    ("discovery.k8s.io", "endpointslices"),
    ("coordination.k8s.io", "leases"),
    ("", "componentstatuses"),
    ("apps", "controllerrevisions"),
    ("metrics.k8s.io", "pods"),
    ("metrics.k8s.io", "nodes"),
];

/// How to read a cluster.
#[derive(Clone, Debug)]
pub struct CollectOptions {
    /// `-n`: judge only these namespaces (cluster-scoped objects are still read, as context).
    pub namespaces: Vec<String>,
    /// `--exclude-namespace`: neither read nor judge these.
    pub exclude_namespaces: Vec<String>,
    /// Objects per list request.
    pub page_size: u32,
    /// List requests in flight at once.
    pub concurrency: usize,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            namespaces: Vec::new(),
            exclude_namespaces: Vec::new(),
            page_size: 500,
            concurrency: 6,
        }
    }
}

impl CollectOptions {
    /// Whether objects of `namespace` are left out altogether (`--exclude-namespace`).
    pub fn excluded(&self, namespace: Option<&str>) -> bool {
        namespace.is_some_and(|ns| self.exclude_namespaces.iter().any(|x| x == ns))
    }

    /// Whether an object is judged, or only read as context for others.
    pub fn judged(&self, resource: &Resource, namespaced: bool) -> bool {
        if self.namespaces.is_empty() {
            return true;
        }
        let in_scope = |ns: &str| self.namespaces.iter().any(|x| x == ns);
        match (&resource.id.namespace, namespaced) {
            (Some(ns), true) => in_scope(ns),
            // A selected namespace is judged itself; other cluster-scoped objects are context.
            _ if resource.id.kind == "Namespace" => in_scope(&resource.id.name),
            _ => resource.id.kind == convert::CLUSTER_VERSION_KIND,
        }
    }
}

/// A listable kind the cluster serves.
#[derive(Clone, Debug)]
pub struct ListedKind {
    pub resource: ApiResource,
    pub namespaced: bool,
    /// Requested as `PartialObjectMetadata` only: Secrets, whose values Palisade never reads.
    pub metadata_only: bool,
}

impl ListedKind {
    /// The collection's URL path, cluster-wide or in one namespace.
    pub fn path(&self, namespace: Option<&str>) -> String {
        let ar = &self.resource;
        let base = if ar.group.is_empty() {
            format!("/api/{}", ar.version)
        } else {
            format!("/apis/{}/{}", ar.group, ar.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", ar.plural),
            None => format!("{base}/{}", ar.plural),
        }
    }

    /// A list request for one page.
    pub fn list_request(
        &self,
        namespace: Option<&str>,
        params: &ListParams,
    ) -> Result<http::Request<Vec<u8>>, String> {
        let request = Request::new(self.path(namespace));
        let built = if self.metadata_only {
            request.list_metadata(params)
        } else {
            request.list(params)
        };
        built.map_err(|e| e.to_string())
    }

    fn unavailable(&self, namespace: Option<&str>, reason: String) -> Unavailable {
        Unavailable {
            group: self.resource.group.clone(),
            version: self.resource.version.clone(),
            kind: self.resource.kind.clone(),
            resource: self.resource.plural.clone(),
            namespace: namespace.map(str::to_string),
            reason,
        }
    }
}

/// A connected cluster: its client, version and the kinds it serves.
#[derive(Clone)]
pub struct Cluster {
    /// The context name, shown in reports and stamped on every resource.
    pub name: Arc<str>,
    pub server: String,
    pub client: Client,
    pub version: Info,
    pub kinds: Vec<ListedKind>,
}

/// What reading a cluster produced.
pub struct Collected {
    pub inventory: Inventory,
    /// Per kind of [`Cluster::kinds`] (same order), the resourceVersion its list was read at,
    /// when it could be read cluster-wide; a watch resumes from there.
    pub resource_versions: Vec<Option<String>>,
}

/// Connects to a target: builds the client, reads `/version`, runs discovery.
pub async fn connect(target: &Target) -> Result<Cluster, String> {
    let name: Arc<str> = target.name.as_str().into();
    let server = target.config.cluster_url.to_string();
    let client = Client::try_from(target.config.clone())
        .map_err(|e| format!("cluster `{name}`: cannot build a client: {e}"))?;
    let version = client.apiserver_version().await.map_err(|e| {
        format!(
            "cluster `{name}` ({server}) is not reachable: {}",
            describe(&e)
        )
    })?;
    // One request on servers with aggregated discovery (1.30+), one per group before that.
    let discovery = match Discovery::new(client.clone()).run_aggregated().await {
        Ok(discovery) => discovery,
        Err(_) => Discovery::new(client.clone())
            .run()
            .await
            .map_err(|e| format!("cluster `{name}`: discovery failed: {}", describe(&e)))?,
    };
    let mut kinds: Vec<ListedKind> = discovery
        .groups()
        .flat_map(|group| group.resources_by_stability())
        .filter(|(ar, caps)| {
            caps.supports_operation(verbs::LIST)
                && !SKIPPED.contains(&(ar.group.as_str(), ar.plural.as_str()))
        })
        .map(|(ar, caps)| ListedKind {
            metadata_only: ar.group.is_empty() && ar.plural == "secrets",
            namespaced: caps.scope == Scope::Namespaced,
            resource: ar,
        })
        .collect();
    kinds.sort_by(|a, b| {
        (&a.resource.group, &a.resource.plural).cmp(&(&b.resource.group, &b.resource.plural))
    });
    Ok(Cluster {
        name,
        server,
        client,
        version,
        kinds,
    })
}

/// A kube error as a person reads it: the server's Status when there is one.
pub(crate) fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            format!("{} {}: {}", status.code, status.reason, status.message)
        }
        other => other.to_string(),
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default)]
    items: Vec<Value>,
}

/// Lists one collection through every page. A continue token that expires midway (410 Gone)
/// restarts the list, as `kubectl` does, a few times at most.
async fn list_all(
    cluster: &Cluster,
    kind: &ListedKind,
    namespace: Option<&str>,
    page_size: u32,
) -> Result<(Vec<Resource>, Option<String>), String> {
    const RESTARTS: usize = 3;
    let mut attempt = 0;
    'restart: loop {
        let mut resources = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(page_size);
            if let Some(token) = &token {
                params = params.continue_token(token);
            }
            let request = kind.list_request(namespace, &params)?;
            let page: Page = match cluster.client.request(request).await {
                Ok(page) => page,
                Err(kube::Error::Api(status)) if status.code == 410 && attempt < RESTARTS => {
                    attempt += 1;
                    tracing::debug!(kind = %kind.resource.plural, "continue token expired, restarting the list");
                    continue 'restart;
                }
                Err(e) => return Err(describe(&e)),
            };
            let api_version = &kind.resource.api_version;
            resources.extend(page.items.into_iter().filter_map(|item| {
                convert::resource(item, api_version, &kind.resource.kind, &cluster.name)
            }));
            match page.metadata.continue_.filter(|t| !t.is_empty()) {
                Some(next) => token = Some(next),
                None => return Ok((resources, page.metadata.resource_version)),
            }
        }
    }
}

/// Reads every listable kind of the cluster into an inventory. Kinds that cannot be read are
/// recorded in [`Inventory::unavailable`]; the rest of the scan goes on.
pub async fn collect(cluster: &Cluster, options: &CollectOptions) -> Collected {
    // One job per kind, or per kind and namespace when the scan is narrowed to namespaces (so
    // a service account allowed only there can still scan them).
    let mut jobs: Vec<(usize, Option<&str>)> = Vec::new();
    for (i, kind) in cluster.kinds.iter().enumerate() {
        if kind.namespaced && !options.namespaces.is_empty() {
            jobs.extend(options.namespaces.iter().map(|ns| (i, Some(ns.as_str()))));
        } else {
            jobs.push((i, None));
        }
    }
    let results: Vec<_> = stream::iter(jobs)
        .map(|(i, namespace)| async move {
            let kind = &cluster.kinds[i];
            let listed = list_all(cluster, kind, namespace, options.page_size).await;
            (i, namespace, listed)
        })
        .buffered(options.concurrency.max(1))
        .collect()
        .await;

    let mut inventory = Inventory::default();
    let mut resource_versions = vec![None; cluster.kinds.len()];
    for (i, namespace, listed) in results {
        let kind = &cluster.kinds[i];
        match listed {
            Ok((resources, version)) => {
                if namespace.is_none() {
                    resource_versions[i] = version;
                }
                for mut resource in resources {
                    if options.excluded(resource.id.namespace.as_deref()) {
                        continue;
                    }
                    resource.origin.context_only = !options.judged(&resource, kind.namespaced);
                    inventory.resources.push(resource);
                }
            }
            Err(reason) => inventory
                .unavailable
                .push(kind.unavailable(namespace, reason)),
        }
    }
    inventory
        .resources
        .push(convert::cluster_version(&cluster.version, &cluster.name));
    Collected {
        inventory,
        resource_versions,
    }
}
