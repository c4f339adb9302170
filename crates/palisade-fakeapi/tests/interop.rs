//! The fake against the real `kube` client and `kube-runtime` watchers.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, WatchEvent, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::discovery::{Discovery, Scope};
use kube::runtime::{WatchStreamExt, watcher};
use palisade_fakeapi::FakeApiServer;
use serde_json::{Value, json};

fn pod(ns: &str, name: &str, app: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
        "spec": {"containers": [{"name": "c", "image": "nginx:1.27"}]}})
}

fn secret(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": ns},
        "data": {"password": "aHVudGVyMg=="}})
}

fn cluster() -> Vec<Value> {
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}),
        pod("team-a", "web-1", "web"),
        pod("team-a", "web-0", "web"),
        pod("default", "db-0", "db"),
        pod("team-b", "api-0", "api"),
        pod("team-b", "api-1", "api"),
        secret("team-a", "creds"),
        secret("team-b", "token"),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "team-a",
                "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
            "spec": {"selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}),
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Namespaced",
                "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "subresources": {"status": {}}},
                    {"name": "v1beta1", "served": true, "storage": false}]}}),
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "team-a"}, "spec": {"size": 3}}),
        json!({"apiVersion": "mystery.io/v1alpha1", "kind": "Gadget", "metadata": {"name": "g1"}}),
    ]
}

async fn client_for(kubeconfig: &str, context: Option<&str>) -> kube::Client {
    client_with(kubeconfig, context, true).await
}

/// A client without kube's default retry of 429/503/504 (which waits for many seconds).
async fn client_without_retry(server: &FakeApiServer) -> kube::Client {
    client_with(
        &FakeApiServer::kubeconfig_yaml(&[("fake", server)]),
        None,
        false,
    )
    .await
}

async fn client_with(kubeconfig: &str, context: Option<&str>, retry: bool) -> kube::Client {
    let kc = Kubeconfig::from_yaml(kubeconfig).expect("kubeconfig parses");
    let opts = KubeConfigOptions {
        context: context.map(str::to_string),
        ..KubeConfigOptions::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(kc, &opts)
        .await
        .expect("kubeconfig loads");
    config.default_retry = retry;
    kube::Client::try_from(config).expect("client builds")
}

async fn client(server: &FakeApiServer) -> kube::Client {
    client_for(&FakeApiServer::kubeconfig_yaml(&[("fake", server)]), None).await
}

async fn start(builder: palisade_fakeapi::FakeApiServerBuilder) -> (FakeApiServer, kube::Client) {
    let server = builder
        .objects(cluster())
        .start_async()
        .await
        .expect("server starts");
    let client = client(&server).await;
    (server, client)
}

fn api_code(err: &kube::Error) -> Option<(u16, String)> {
    match err {
        kube::Error::Api(status) => Some((status.code, status.reason.clone())),
        _ => None,
    }
}

#[tokio::test]
async fn version_and_discovery_find_standard_crd_and_unknown_kinds() {
    let (server, client) = start(FakeApiServer::builder().version("v1.33.4")).await;
    let info = client.apiserver_version().await.unwrap();
    assert_eq!(
        (
            info.git_version.as_str(),
            info.major.as_str(),
            info.minor.as_str()
        ),
        ("v1.33.4", "1", "33")
    );

    for aggregated in [false, true] {
        let discovery = if aggregated {
            Discovery::new(client.clone())
                .run_aggregated()
                .await
                .unwrap()
        } else {
            Discovery::new(client.clone()).run().await.unwrap()
        };
        let find = |group: &str, kind: &str| {
            discovery
                .get(group)
                .and_then(|g| g.recommended_kind(kind))
                .unwrap_or_else(|| {
                    panic!("{group}/{kind} not discovered (aggregated: {aggregated})")
                })
        };
        let (pods, caps) = find("", "Pod");
        assert_eq!(pods.plural, "pods");
        assert_eq!(caps.scope, Scope::Namespaced);
        assert!(
            caps.subresources
                .iter()
                .any(|(sub, _)| sub.plural == "exec")
        );
        let (deploy, _) = find("apps", "Deployment");
        assert_eq!(deploy.api_version, "apps/v1");
        let (crb, caps) = find("rbac.authorization.k8s.io", "ClusterRoleBinding");
        assert_eq!(
            (crb.plural.as_str(), caps.scope.clone()),
            ("clusterrolebindings", Scope::Cluster)
        );
        let (hpa, _) = find("autoscaling", "HorizontalPodAutoscaler");
        assert_eq!(hpa.version, "v2", "preferred version first");
        let (widget, caps) = find("example.com", "Widget");
        assert_eq!(
            (widget.plural.as_str(), widget.version.as_str()),
            ("widgets", "v1")
        );
        assert_eq!(caps.scope, Scope::Namespaced);
        let versions: Vec<&str> = discovery.get("example.com").unwrap().versions().collect();
        assert_eq!(versions, ["v1", "v1beta1"]);
        let (gadget, caps) = find("mystery.io", "Gadget");
        assert_eq!(
            (gadget.plural.as_str(), caps.scope.clone()),
            ("gadgets", Scope::Cluster)
        );
        find("gateway.networking.k8s.io", "HTTPRoute");
        find(
            "admissionregistration.k8s.io",
            "ValidatingAdmissionPolicyBinding",
        );
    }
    let aggregated_requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| {
            r.accept
                .as_deref()
                .is_some_and(|a| a.contains("apidiscovery.k8s.io"))
        })
        .collect();
    assert_eq!(
        aggregated_requests.len(),
        2,
        "aggregated discovery needs only /api and /apis"
    );

    // The custom resource is served under both versions, with the version asked for.
    let ar = ApiResource::from_gvk_with_plural(
        &kube::api::GroupVersionKind::gvk("example.com", "v1beta1", "Widget"),
        "widgets",
    );
    let widgets: Api<DynamicObject> = Api::namespaced_with(client.clone(), "team-a", &ar);
    let w = widgets.get("w1").await.unwrap();
    assert_eq!(w.types.unwrap().api_version, "example.com/v1beta1");
    assert_eq!(w.data["spec"]["size"], 3);
}

#[tokio::test]
async fn pods_page_through_with_continue_tokens_in_stable_order() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let pods: Api<Pod> = Api::all(client.clone());
    let mut names = Vec::new();
    let mut params = ListParams::default().limit(2);
    let mut pages = 0;
    let mut first_rv = None;
    loop {
        let page = pods.list(&params).await.unwrap();
        pages += 1;
        assert!(page.items.len() <= 2);
        let rv = page.metadata.resource_version.clone().unwrap();
        assert_eq!(
            *first_rv.get_or_insert(rv.clone()),
            rv,
            "every page is read at the first page's version"
        );
        names.extend(page.items.iter().map(|p| {
            format!(
                "{}/{}",
                p.metadata.namespace.as_deref().unwrap(),
                p.metadata.name.as_deref().unwrap()
            )
        }));
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => {
                assert!(page.metadata.remaining_item_count.unwrap() > 0);
                params = params.continue_token(&token);
            }
            None => break,
        }
        // A change mid-pagination does not show in later pages.
        if pages == 1 {
            server.apply(pod("zzz", "late", "x")).unwrap();
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        names,
        [
            "default/db-0",
            "team-a/web-0",
            "team-a/web-1",
            "team-b/api-0",
            "team-b/api-1"
        ]
    );
    // A namespaced list with a label selector.
    let team_b: Api<Pod> = Api::namespaced(client.clone(), "team-b");
    let list = team_b
        .list(&ListParams::default().labels("app in (api,web),app!=db"))
        .await
        .unwrap();
    assert_eq!(list.items.len(), 2);
    let by_name = pods
        .list(&ListParams::default().fields("metadata.name=web-0"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);
    assert_eq!(
        pods.list(&ListParams::default().labels("!app"))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    let bad = pods
        .list(&ListParams::default().fields("spec.bogus=1"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&bad).unwrap().0, 400);
    // Items come without kind/apiVersion, as from a real server: check the raw body.
    let raw = client
        .request_text(http_get("/api/v1/namespaces/team-a/pods?limit=1"))
        .await
        .unwrap();
    let raw: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        (raw["kind"].as_str(), raw["apiVersion"].as_str()),
        (Some("PodList"), Some("v1"))
    );
    assert!(raw["items"][0].get("kind").is_none() && raw["items"][0].get("apiVersion").is_none());
    assert_eq!(raw["metadata"]["remainingItemCount"], 1);
    assert!(raw["items"][0]["metadata"]["uid"].as_str().unwrap().len() == 36);
    // managedFields are served as given.
    let deploy: Api<Deployment> = Api::namespaced(client.clone(), "team-a");
    let raw = client
        .request_text(http_get("/apis/apps/v1/namespaces/team-a/deployments/web"))
        .await
        .unwrap();
    assert!(raw.contains("managedFields"));
    assert!(deploy.get("web").await.is_ok());
    // A cluster-scoped object by name.
    let ns: Api<Namespace> = Api::all(client.clone());
    assert_eq!(
        ns.get("team-a").await.unwrap().metadata.name.as_deref(),
        Some("team-a")
    );
    let missing = deploy.get("nope").await.unwrap_err();
    assert_eq!(api_code(&missing).unwrap(), (404, "NotFound".to_string()));
}

fn http_get(path: &str) -> http::Request<Vec<u8>> {
    http::Request::get(path).body(Vec::new()).unwrap()
}

#[tokio::test]
async fn secrets_metadata_lists_carry_no_data_and_the_log_says_so() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let secrets: Api<Secret> = Api::all(client.clone());
    let meta = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(meta.items.len(), 2);
    assert_eq!(meta.items[0].metadata.name.as_deref(), Some("creds"));
    let log = server.requests();
    let last = log.last().unwrap();
    assert_eq!(last.path, "/api/v1/secrets");
    assert!(
        last.accept
            .as_deref()
            .unwrap()
            .contains("as=PartialObjectMetadataList")
    );
    assert_eq!(last.status, 200);
    assert!(!last.served_secret_data);
    // A namespaced kind read by name without a namespace is not found.
    assert!(secrets.get_metadata_opt("creds").await.unwrap().is_none());
    let ns_secrets: Api<Secret> = Api::namespaced(client.clone(), "team-a");
    let one = ns_secrets.get_metadata("creds").await.unwrap();
    assert_eq!(one.metadata.namespace.as_deref(), Some("team-a"));
    assert!(!server.requests().last().unwrap().served_secret_data);
    assert!(server.requests().iter().all(|r| !r.served_secret_data));

    let full = secrets.list(&ListParams::default()).await.unwrap();
    assert!(
        full.items[0]
            .data
            .as_ref()
            .unwrap()
            .contains_key("password")
    );
    assert!(server.requests().last().unwrap().served_secret_data);
    server.clear_requests();
    ns_secrets.get("creds").await.unwrap();
    assert!(server.requests()[0].served_secret_data);
    // Config maps never count.
    let cms: Api<ConfigMap> = Api::all(client.clone());
    cms.list(&ListParams::default()).await.unwrap();
    assert!(!server.requests().last().unwrap().served_secret_data);
}

#[tokio::test]
async fn forbidden_and_failing_resources_answer_real_status_objects() {
    let (server, client) = start(
        FakeApiServer::builder()
            .user("system:serviceaccount:palisade:scanner")
            .forbid("", "secrets", None)
            .forbid("apps", "deployments", Some("team-a"))
            .forbid_verbs("", "configmaps", None, &["watch"])
            .fail("", "namespaces", 500)
            .fail("example.com", "widgets", 503)
            .fail_times("", "configmaps", 503, 2),
    )
    .await;
    // kube's default client retries a 503 and gets through once the failures are used up.
    let cms: Api<ConfigMap> = Api::all(client.clone());
    assert!(cms.list(&ListParams::default()).await.is_ok());
    let codes: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert_eq!(codes, [503, 503, 200]);
    let client = client_without_retry(&server).await;
    let secrets: Api<Secret> = Api::all(client.clone());
    let err = secrets
        .list_metadata(&ListParams::default())
        .await
        .unwrap_err();
    let kube::Error::Api(status) = &err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!((status.code, status.reason.as_str()), (403, "Forbidden"));
    assert_eq!(
        status.message,
        "secrets is forbidden: User \"system:serviceaccount:palisade:scanner\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
    );
    let in_ns: Api<Secret> = Api::namespaced(client.clone(), "team-a");
    let err = in_ns.get("creds").await.unwrap_err();
    let kube::Error::Api(status) = &err else {
        panic!("{err:?}")
    };
    assert!(
        status
            .message
            .starts_with("secrets \"creds\" is forbidden:"),
        "{}",
        status.message
    );
    assert!(status.message.ends_with(
        "cannot get resource \"secrets\" in API group \"\" in the namespace \"team-a\""
    ));

    // A namespace-limited denial: that namespace and cluster-wide are denied, others served.
    let deploys_a: Api<Deployment> = Api::namespaced(client.clone(), "team-a");
    let err = deploys_a.list(&ListParams::default()).await.unwrap_err();
    let kube::Error::Api(status) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 403);
    assert!(
        status.message.starts_with("deployments.apps is forbidden"),
        "{}",
        status.message
    );
    assert!(
        status
            .message
            .contains("in API group \"apps\" in the namespace \"team-a\"")
    );
    let all: Api<Deployment> = Api::all(client.clone());
    assert_eq!(
        api_code(&all.list(&ListParams::default()).await.unwrap_err())
            .unwrap()
            .0,
        403
    );
    let deploys_b: Api<Deployment> = Api::namespaced(client.clone(), "team-b");
    assert!(
        deploys_b
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // Verb-limited: listing config maps works, watching them does not.
    let cms: Api<ConfigMap> = Api::all(client.clone());
    assert!(cms.list(&ListParams::default()).await.is_ok());
    let err = cms
        .watch(&WatchParams::default(), "0")
        .await
        .err()
        .expect("watch denied");
    assert_eq!(api_code(&err).unwrap(), (403, "Forbidden".to_string()));

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let err = namespaces.list(&ListParams::default()).await.unwrap_err();
    assert_eq!(api_code(&err).unwrap(), (500, "InternalError".to_string()));
    let raw = client
        .request_text(http_get("/apis/example.com/v1/widgets"))
        .await
        .unwrap_err();
    assert_eq!(
        api_code(&raw).unwrap(),
        (503, "ServiceUnavailable".to_string())
    );
    let codes: Vec<u16> = server.requests().iter().map(|r| r.status).collect();
    assert!(codes.contains(&403) && codes.contains(&500) && codes.contains(&503));
}

#[tokio::test]
async fn wrong_token_gets_401() {
    let server = FakeApiServer::builder()
        .token("right")
        .start_async()
        .await
        .unwrap();
    let yaml =
        FakeApiServer::kubeconfig_yaml(&[("fake", &server)]).replace("\"right\"", "\"wrong\"");
    let client = client_for(&yaml, None).await;
    let err = client.apiserver_version().await.unwrap_err();
    assert_eq!(api_code(&err).unwrap(), (401, "Unauthorized".to_string()));
    let pods: Api<Pod> = Api::all(client);
    let err = pods.list(&ListParams::default()).await.unwrap_err();
    assert_eq!(api_code(&err).unwrap().0, 401);
    assert!(server.requests().iter().all(|r| r.status == 401));
    assert_eq!(server.token(), "right");
}

/// Drives a watcher in a task of its own (so its requests happen while the test waits) and
/// reports each event as a short label.
fn drive<K, S>(mut stream: S) -> tokio::sync::mpsc::UnboundedReceiver<String>
where
    S: futures::Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + Unpin + 'static,
    K: kube::Resource + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(ev) = stream.next().await {
            let name = |o: &K| o.meta().name.clone().unwrap_or_default();
            let label = match &ev {
                Ok(watcher::Event::Init) => "Init".to_string(),
                Ok(watcher::Event::InitDone) => "InitDone".to_string(),
                Ok(watcher::Event::InitApply(o)) => format!("InitApply {}", name(o)),
                Ok(watcher::Event::Apply(o)) => format!("Apply {}", name(o)),
                Ok(watcher::Event::Delete(o)) => format!("Delete {}", name(o)),
                Err(watcher::Error::WatchError(s)) => format!("WatchError {}", s.code),
                Err(e) => format!("Error {e}"),
            };
            if tx.send(label).is_err() {
                break;
            }
        }
    });
    rx
}

/// Labels until one equals `last` (included), or panics after `secs`.
async fn until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<String>,
    secs: u64,
    last: &str,
) -> Vec<String> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(label)) => {
                let done = label == last;
                seen.push(label);
                if done {
                    return seen;
                }
            }
            _ => panic!("no {last:?} in time; saw {seen:?}"),
        }
    }
}

#[tokio::test]
async fn watcher_sees_applies_and_deletes_made_while_watching() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "team-a");
    let mut events = drive(watcher(pods, watcher::Config::default()).boxed());
    let seen = until(&mut events, 10, "InitDone").await;
    assert_eq!(
        seen,
        ["Init", "InitApply web-0", "InitApply web-1", "InitDone"]
    );
    // Give the watch request time to be made.
    wait_for_watch(&server, "/api/v1/namespaces/team-a/pods").await;
    server.apply(pod("team-a", "web-2", "web")).unwrap();
    server.apply(pod("team-b", "other", "web")).unwrap();
    assert!(server.delete("", "pods", Some("team-a"), "web-0").is_some());
    assert!(server.delete("", "pods", Some("team-a"), "web-0").is_none());
    let seen = until(&mut events, 10, "Delete web-0").await;
    assert_eq!(seen, ["Apply web-2", "Delete web-0"]);
}

async fn wait_for_watch(server: &FakeApiServer, path: &str) {
    for _ in 0..200 {
        if server
            .requests()
            .iter()
            .any(|r| r.path == path && r.is_watch())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no watch on {path}");
}

#[tokio::test]
async fn compacted_history_makes_the_resumed_watch_expire_and_the_watcher_relists() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    let mut events = drive(
        watcher(cms, watcher::Config::default())
            .default_backoff()
            .boxed(),
    );
    let seen = until(&mut events, 10, "InitDone").await;
    assert_eq!(seen, ["Init", "InitDone"]);
    wait_for_watch(&server, "/api/v1/namespaces/team-a/configmaps").await;

    // While the server is down, a change happens and history is compacted.
    server.stop();
    server.apply(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new", "namespace": "team-a"}})).unwrap();
    server.compact();
    server.restart().unwrap();

    let seen = until(&mut events, 30, "InitDone").await;
    assert!(seen.contains(&"WatchError 410".to_string()), "{seen:?}");
    let relist = seen.iter().position(|s| s == "Init").expect("re-list");
    assert_eq!(&seen[relist..], ["Init", "InitApply new", "InitDone"]);
    let expired_watch = server
        .requests()
        .into_iter()
        .filter(|r| r.is_watch() && r.path.ends_with("/configmaps"))
        .count();
    assert!(expired_watch >= 2);
}

#[tokio::test]
async fn raw_watches_follow_the_protocol() {
    let (server, client) =
        start(FakeApiServer::builder().bookmark_interval(Duration::from_millis(100))).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "team-a");

    // Bookmarks arrive when allowed.
    let mut s = pods
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    let mut added = 0;
    let bookmark_rv = loop {
        match tokio::time::timeout(Duration::from_secs(30), s.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Added(_) => added += 1,
            WatchEvent::Bookmark(b) => break b.metadata.resource_version,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(added, 2);
    assert_eq!(bookmark_rv, server.resource_version().to_string());
    drop(s);

    // A label-selected watch from a version: a label change out of the selection is a DELETED.
    let rv = server.resource_version().to_string();
    let mut s = pods
        .watch(&WatchParams::default().labels("app=web").timeout(60), &rv)
        .await
        .unwrap()
        .boxed();
    let mut relabelled = pod("team-a", "web-1", "web");
    relabelled["metadata"]["labels"]["app"] = json!("api");
    server.apply(relabelled).unwrap();
    server.apply(pod("team-a", "web-9", "web")).unwrap();
    let mut events = Vec::new();
    while events.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(30), s.try_next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
        {
            WatchEvent::Deleted(p) => events.push(format!("DELETED {}", p.metadata.name.unwrap())),
            WatchEvent::Added(p) => {
                assert!(p.metadata.resource_version.is_some());
                events.push(format!("ADDED {}", p.metadata.name.unwrap()));
            }
            WatchEvent::Bookmark(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(events, ["DELETED web-1", "ADDED web-9"]);

    // A version older than the history: an ERROR event with a 410 Expired Status.
    server.compact();
    let mut s = pods
        .watch(&WatchParams::default().disable_bookmarks(), &rv)
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap().unwrap() {
        WatchEvent::Error(status) => {
            assert_eq!((status.code, status.reason.as_str()), (410, "Expired"))
        }
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(
        s.try_next().await.unwrap().is_none(),
        "the stream ends after the error"
    );

    // Streaming lists: initial events then a bookmark marking their end.
    let mut events = drive(
        watcher(
            Api::<Pod>::all(client.clone()),
            watcher::Config::default().streaming_lists(),
        )
        .boxed(),
    );
    let seen = until(&mut events, 10, "InitDone").await;
    assert_eq!(seen.first().map(String::as_str), Some("Init"));
    assert_eq!(
        seen.iter().filter(|s| s.starts_with("InitApply")).count(),
        6
    );
    let streaming = server
        .requests()
        .into_iter()
        .find(|r| r.query.contains("sendInitialEvents=true"))
        .unwrap();
    assert!(
        streaming
            .query
            .contains("resourceVersionMatch=NotOlderThan")
    );

    // Watches end at timeoutSeconds.
    let started = std::time::Instant::now();
    let mut s = pods
        .watch(
            &WatchParams::default().disable_bookmarks().timeout(1),
            &server.resource_version().to_string(),
        )
        .await
        .unwrap()
        .boxed();
    assert!(
        tokio::time::timeout(Duration::from_secs(30), s.try_next())
            .await
            .unwrap()
            .unwrap()
            .is_none()
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn metadata_watches_and_secret_watches_are_logged() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "team-a");
    let mut s = secrets
        .watch_metadata(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap().unwrap() {
        WatchEvent::Added(m) => assert_eq!(m.metadata.name.as_deref(), Some("creds")),
        other => panic!("{other:?}"),
    }
    drop(s);
    let log = server.requests();
    let watch = log.iter().find(|r| r.is_watch()).unwrap();
    assert!(
        watch
            .accept
            .as_deref()
            .unwrap()
            .contains("as=PartialObjectMetadata;")
    );
    assert!(!watch.served_secret_data);

    let mut s = secrets
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap().unwrap() {
        WatchEvent::Added(sec) => assert!(sec.data.unwrap().contains_key("password")),
        other => panic!("{other:?}"),
    }
    drop(s);
    let full = server
        .requests()
        .into_iter()
        .filter(|r| r.is_watch())
        .nth(1)
        .unwrap();
    assert!(full.served_secret_data);
}

#[tokio::test]
async fn expired_continue_tokens_and_future_versions_are_refused() {
    let (server, _) = start(FakeApiServer::builder()).await;
    let client = client_without_retry(&server).await;
    let pods: Api<Pod> = Api::all(client.clone());
    let first = pods.list(&ListParams::default().limit(1)).await.unwrap();
    let token = first.metadata.continue_.unwrap();
    server.apply(pod("team-a", "x", "x")).unwrap();
    // Still within history: the next page is served at the first page's version.
    let second = pods
        .list(&ListParams::default().limit(1).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(
        second.metadata.resource_version,
        first.metadata.resource_version
    );
    server.compact();
    let err = pods
        .list(&ListParams::default().limit(1).continue_token(&token))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err).unwrap(), (410, "Expired".to_string()));
    let future = (server.resource_version() + 10).to_string();
    let err = pods
        .list(
            &ListParams::default()
                .at(&future)
                .matching(kube::api::VersionMatch::NotOlderThan),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&err).unwrap(), (504, "Timeout".to_string()));
}

#[tokio::test]
async fn page_size_cap_forces_pagination() {
    let objects: Vec<Value> = (0..25)
        .map(|i| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:03}"), "namespace": "big"}}))
        .collect();
    let server = FakeApiServer::builder()
        .objects(objects)
        .page_size_cap(10)
        .start_async()
        .await
        .unwrap();
    let client = client(&server).await;
    let cms: Api<ConfigMap> = Api::all(client);
    let first = cms.list(&ListParams::default()).await.unwrap();
    assert_eq!(first.items.len(), 10);
    assert_eq!(first.metadata.remaining_item_count, Some(15));
    let mut total = first.items.len();
    let mut token = first.metadata.continue_;
    while let Some(t) = token.filter(|t| !t.is_empty()) {
        let page = cms
            .list(&ListParams::default().limit(500).continue_token(&t))
            .await
            .unwrap();
        total += page.items.len();
        token = page.metadata.continue_;
    }
    assert_eq!(total, 25);
}

#[tokio::test]
async fn stop_and_restart_keep_port_and_state() {
    let (server, client) = start(FakeApiServer::builder()).await;
    let port = server.port();
    let pods: Api<Pod> = Api::all(client.clone());
    let before = pods.list(&ListParams::default()).await.unwrap();
    server.stop();
    assert!(
        pods.list(&ListParams::default()).await.is_err(),
        "nothing listens while stopped"
    );
    server.restart().unwrap();
    assert_eq!(server.port(), port);
    let after = pods.list(&ListParams::default()).await.unwrap();
    assert_eq!(
        before.metadata.resource_version,
        after.metadata.resource_version
    );
    assert_eq!(before.items.len(), after.items.len());
}

#[tokio::test]
async fn multi_context_kubeconfigs_reach_each_server() {
    let a = FakeApiServer::builder()
        .object(pod("x", "on-a", "a"))
        .start_async()
        .await
        .unwrap();
    let b = FakeApiServer::builder()
        .object(pod("x", "on-b", "b"))
        .start_async()
        .await
        .unwrap();
    let yaml = FakeApiServer::kubeconfig_yaml(&[("ctx-a", &a), ("ctx-b", &b)]);
    assert!(yaml.contains("current-context: \"ctx-a\""));
    for (ctx, expected) in [(None, "on-a"), (Some("ctx-b"), "on-b")] {
        let client = client_for(&yaml, ctx).await;
        let pods: Api<Pod> = Api::all(client);
        let list = pods.list(&ListParams::default()).await.unwrap();
        assert_eq!(list.items[0].metadata.name.as_deref(), Some(expected));
    }
}

#[test]
fn works_from_a_plain_test_with_objects_from_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cluster.json"),
        serde_json::to_string(&json!({"kind": "List", "apiVersion": "v1", "items": cluster()}))
            .unwrap(),
    )
    .unwrap();
    let server = FakeApiServer::builder()
        .objects_from_dir(dir.path())
        .unwrap()
        .start()
        .unwrap();
    assert_eq!(server.object_count(), cluster().len());
    let kubeconfig = dir.path().join("kubeconfig");
    FakeApiServer::write_kubeconfig(&kubeconfig, &[("fake", &server)]).unwrap();
    let yaml = std::fs::read_to_string(&kubeconfig).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let names = rt.block_on(async {
        let client = client_for(&yaml, None).await;
        let pods: Api<Pod> = Api::namespaced(client, "team-a");
        pods.list(&ListParams::default()).await.unwrap().items.len()
    });
    assert_eq!(names, 2);
    server.stop();
    server.restart().unwrap();
    drop(server);

    std::fs::write(
        dir.path().join("bad.json"),
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
    )
    .unwrap();
    let err = FakeApiServer::builder()
        .objects_from_dir(dir.path())
        .unwrap_err();
    assert!(err.to_string().contains("bad.json"), "{err}");
    let err = FakeApiServer::builder()
        .object(pod("a", "fine", "x"))
        .object(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}}))
        .start()
        .unwrap_err();
    assert_eq!(err.to_string(), "object #1: object has no metadata.name");
}

#[test]
fn the_binary_serves_a_directory_and_writes_a_kubeconfig() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pods.json"),
        serde_json::to_string(&pod("a", "p", "x")).unwrap(),
    )
    .unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_palisade-fakeapi"))
        .args([
            "--dir",
            dir.path().to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .args([
            "--context",
            "bench",
            "--forbid",
            "secrets",
            "--version",
            "v1.32.1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        let stderr = std::fs::read_to_string(dir.path().join("stderr")).unwrap_or_default();
        assert!(line.starts_with("https://127.0.0.1:"), "{line}{stderr}");
        let yaml = std::fs::read_to_string(&kubeconfig).unwrap();
        assert!(yaml.contains("\"bench\""));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let client = client_for(&yaml, None).await;
            assert_eq!(
                client.apiserver_version().await.unwrap().git_version,
                "v1.32.1"
            );
            let pods: Api<Pod> = Api::all(client.clone());
            assert_eq!(
                pods.list(&ListParams::default()).await.unwrap().items.len(),
                1
            );
            let secrets: Api<Secret> = Api::all(client);
            assert_eq!(
                api_code(&secrets.list(&ListParams::default()).await.unwrap_err())
                    .unwrap()
                    .0,
                403
            );
        });
    });
    let _ = child.kill();
    let _ = child.wait();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[tokio::test]
async fn patches_dry_run_apply_and_refuse_like_a_real_server() {
    use kube::api::{Patch, PatchParams};
    let (server, client) =
        start(FakeApiServer::builder().forbid_verbs("", "configmaps", Some("team-a"), &["patch"]))
            .await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "team-a");
    let before = deployments.get("web").await.unwrap();
    let rv = before.metadata.resource_version.clone();
    let mut events = drive(watcher(deployments.clone(), watcher::Config::default()).boxed());
    until(&mut events, 10, "InitDone").await;
    wait_for_watch(&server, "/apis/apps/v1/namespaces/team-a/deployments").await;

    let fix: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "c"},
        {"op": "add", "path": "/spec/template/spec/containers/0/securityContext",
         "value": {"allowPrivilegeEscalation": false}}
    ]))
    .unwrap();
    let dry = deployments
        .patch(
            "web",
            &PatchParams::default().dry_run(),
            &Patch::Json::<()>(fix.clone()),
        )
        .await
        .unwrap();
    let context = |d: &Deployment| {
        d.spec
            .as_ref()
            .unwrap()
            .template
            .spec
            .as_ref()
            .unwrap()
            .containers[0]
            .security_context
            .clone()
    };
    assert!(
        context(&dry).is_some(),
        "the dry run answers the patched object"
    );
    assert_eq!(dry.metadata.resource_version, rv, "and does not store it");
    assert!(context(&deployments.get("web").await.unwrap()).is_none());

    let applied = deployments
        .patch("web", &PatchParams::default(), &Patch::Json::<()>(fix))
        .await
        .unwrap();
    assert_ne!(applied.metadata.resource_version, rv);
    assert!(context(&deployments.get("web").await.unwrap()).is_some());
    let seen = until(&mut events, 10, "Apply web").await;
    assert_eq!(
        seen,
        ["Apply web"],
        "one MODIFIED event, for the real patch only"
    );

    let log = server.requests();
    let patches: Vec<_> = log.iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 2);
    assert!(patches[0].is_dry_run() && !patches[1].is_dry_run());
    assert_eq!(
        patches[1].content_type.as_deref(),
        Some("application/json-patch+json")
    );

    // The container's name no longer matches: the stale patch fails whole.
    let stale: json_patch::Patch = serde_json::from_value(json!([
        {"op": "test", "path": "/spec/template/spec/containers/0/name", "value": "other"},
        {"op": "remove", "path": "/spec/template/spec/containers/0/securityContext"}
    ]))
    .unwrap();
    let err = deployments
        .patch("web", &PatchParams::default(), &Patch::Json::<()>(stale))
        .await
        .unwrap_err();
    assert_eq!(api_code(&err), Some((422, "Invalid".into())));
    let missing = deployments
        .patch(
            "nope",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&missing), Some((404, "NotFound".into())));
    let strategic = deployments
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "c", "securityContext": {"runAsNonRoot": true}}]}}}})),
        )
        .await
        .unwrap();
    assert_eq!(
        context(&strategic).unwrap().run_as_non_root,
        Some(true),
        "merged into the container by name"
    );
    assert_eq!(
        context(&strategic).unwrap().allow_privilege_escalation,
        Some(false)
    );

    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
    server
        .apply(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "settings", "namespace": "team-a"}, "data": {"a": "1"}}))
        .unwrap();
    let forbidden = cms
        .patch(
            "settings",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"a": "2"}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&forbidden), Some((403, "Forbidden".into())));
    assert!(
        forbidden
            .to_string()
            .contains("cannot patch resource \"configmaps\"")
    );
    assert!(
        cms.get("settings").await.is_ok(),
        "other verbs are still allowed"
    );

    // A PATCH names an object, never discovery.
    let discovery = http::Request::patch("/api/v1")
        .header("Content-Type", "application/merge-patch+json")
        .body(b"{}".to_vec())
        .unwrap();
    let err = client.request::<Value>(discovery).await.unwrap_err();
    assert_eq!(api_code(&err).map(|c| c.0), Some(405));
    // A Secret's patch answers its values, and the log says so.
    server.clear_requests();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "team-a");
    secrets
        .patch(
            "creds",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.method == "PATCH" && r.served_secret_data)
    );

    // Custom resources take no strategic merge patch.
    let widgets = Api::<DynamicObject>::namespaced_with(
        client,
        "team-a",
        &ApiResource::from_gvk(&kube::api::GroupVersionKind::gvk(
            "example.com",
            "v1",
            "Widget",
        )),
    );
    let err = widgets
        .patch(
            "w1",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"size": 4}})),
        )
        .await
        .unwrap_err();
    assert_eq!(api_code(&err).map(|c| c.0), Some(415));
}
