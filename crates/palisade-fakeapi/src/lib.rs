//! A fake Kubernetes API server for tests and benchmarks (dev-only).
//!
//! It speaks the real REST and watch protocol over HTTPS on 127.0.0.1 with bearer-token auth, so
//! the real `kube` client, `kube-runtime` watchers and the `palisade` binary can run against it:
//!
//! - `/version`, discovery (`/api`, `/apis`, `/apis/{group}`, resource lists, and aggregated
//!   discovery `apidiscovery.k8s.io` v2/v2beta1 when the Accept header asks for it);
//! - list (pagination with `limit`/`continue` over a consistent snapshot, `resourceVersion` and
//!   `resourceVersionMatch`, label and field selectors), get, and the metadata-only
//!   (`PartialObjectMetadata`) forms;
//! - watch (initial events, resume from a resourceVersion, bookmarks, `sendInitialEvents`,
//!   `410 Expired` once history is compacted, `timeoutSeconds`);
//! - PATCH of one object: JSON Patch, merge patch and a bounded strategic merge patch (see
//!   `patch.rs` for the merge keys it knows), `dryRun=All` (answered, not stored), a new
//!   resourceVersion and a MODIFIED event only when something changed, 404/409/415/422 as a real
//!   server answers them;
//! - injected `403 Forbidden` (per verb, `patch` included) and other failures per resource, and a
//!   request log that tells whether a response carried Secret values and which requests were dry
//!   runs.
//!
//! Objects come from `kubectl get -o json` style files or from JSON values. Built-in kinds,
//! CustomResourceDefinitions among the objects, and objects of unknown kinds (served under a
//! plural derived from the kind) are all served.
//!
//! ```no_run
//! use palisade_fakeapi::FakeApiServer;
//! let server = FakeApiServer::builder()
//!     .object(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "demo"}}))
//!     .forbid("", "secrets", None)
//!     .start()
//!     .unwrap();
//! let kubeconfig = FakeApiServer::kubeconfig_yaml(&[("fake", &server)]);
//! # drop(kubeconfig);
//! ```

mod discovery;
mod load;
mod patch;
mod selector;
mod server;
mod store;
mod tls;
mod types;
mod util;

use std::path::Path;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use tokio::sync::watch;

use crate::server::{FailRule, ForbidRule, Settings, Shared};
use crate::store::Store;

/// An error starting the server or loading objects; the message names the file at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    message: String,
}

impl Error {
    fn new(message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// One request the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string (still percent-encoded), empty when there was none.
    pub query: String,
    pub accept: Option<String>,
    /// The Content-Type of the request (a PATCH names its patch type there).
    pub content_type: Option<String>,
    /// The HTTP status code of the response.
    pub status: u16,
    /// Whether the response body carried any Secret's `data`/`stringData` values (also when a
    /// metadata-only response quoted one, e.g. in a last-applied annotation). For a watch this
    /// covers everything streamed so far.
    pub served_secret_data: bool,
}

impl RequestRecord {
    /// Whether this was a dry run (`dryRun=All`): answered, but nothing stored.
    pub fn is_dry_run(&self) -> bool {
        self.query.split('&').any(|p| p == "dryRun=All")
    }

    /// Whether this was a watch request.
    pub fn is_watch(&self) -> bool {
        self.query
            .split('&')
            .any(|p| p == "watch=true" || p == "watch=1")
            || self.path.contains("/watch/")
    }
}

/// Configures and starts a [`FakeApiServer`].
#[derive(Debug)]
pub struct FakeApiServerBuilder {
    inputs: Vec<load::Input>,
    /// Objects given through `object`, counted to name them in errors.
    given: usize,
    /// Malformed objects given through `object`, reported by `start`.
    errors: Vec<Error>,
    token: Option<String>,
    git_version: String,
    user: String,
    forbid: Vec<ForbidRule>,
    fail: Vec<FailRule>,
    page_cap: Option<usize>,
    bookmark_interval: Duration,
    history: usize,
    port: u16,
}

impl std::fmt::Debug for load::Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.origin)
    }
}

impl Default for FakeApiServerBuilder {
    fn default() -> Self {
        FakeApiServerBuilder {
            inputs: Vec::new(),
            given: 0,
            errors: Vec::new(),
            token: None,
            git_version: "v1.34.2".into(),
            user: "system:serviceaccount:palisade:palisade".into(),
            forbid: Vec::new(),
            fail: Vec::new(),
            page_cap: None,
            bookmark_interval: Duration::from_secs(1),
            history: 10_000,
            port: 0,
        }
    }
}

impl FakeApiServerBuilder {
    /// Adds every object of every `*.json` file under `dir` (recursively). Files hold one object,
    /// a `List` (items of mixed kinds), or several concatenated JSON documents.
    pub fn objects_from_dir(mut self, dir: impl AsRef<Path>) -> Result<Self, Error> {
        self.inputs.extend(load::load_dir(dir.as_ref())?);
        Ok(self)
    }

    /// Adds the objects of one JSON file.
    pub fn objects_from_file(mut self, path: impl AsRef<Path>) -> Result<Self, Error> {
        self.inputs.extend(load::load_file(path.as_ref())?);
        Ok(self)
    }

    /// Adds one object, or the items of a `List`. Malformed objects make [`start`](Self::start)
    /// fail.
    pub fn object(mut self, object: Value) -> Self {
        self.given += 1;
        match load::from_value(object, &format!("object #{}", self.given - 1)) {
            Ok(inputs) => self.inputs.extend(inputs),
            Err(e) => self.errors.push(e),
        }
        self
    }

    /// Adds several objects (see [`object`](Self::object)).
    pub fn objects(self, objects: impl IntoIterator<Item = Value>) -> Self {
        objects.into_iter().fold(self, Self::object)
    }

    /// The bearer token clients must send (default: a random one).
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// The `gitVersion` `/version` reports, e.g. `v1.34.2` (the default).
    pub fn version(mut self, git_version: impl Into<String>) -> Self {
        self.git_version = git_version.into();
        self
    }

    /// The user named in `403 Forbidden` messages.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = user.into();
        self
    }

    /// Denies every verb on a resource (`""` is the core group). With a namespace, requests in
    /// that namespace and cluster-wide requests are denied (a grant limited to other namespaces
    /// cannot list across all of them either); other namespaces are served.
    pub fn forbid(self, group: &str, plural: &str, namespace: Option<&str>) -> Self {
        self.forbid_verbs(group, plural, namespace, &[])
    }

    /// Like [`forbid`](Self::forbid) for some verbs only (`get`, `list`, `watch`, `patch`).
    pub fn forbid_verbs(
        mut self,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
        verbs: &[&str],
    ) -> Self {
        self.forbid.push(ForbidRule {
            group: group.to_string(),
            plural: plural.to_string(),
            namespace: namespace.map(str::to_string),
            verbs: verbs.iter().map(|v| (*v).to_string()).collect(),
        });
        self
    }

    /// Makes every request for a resource fail with this HTTP code (e.g. 500 `InternalError`,
    /// 503 `ServiceUnavailable`, 429 `TooManyRequests`), answered with a real `Status`; 429,
    /// 503 and 504 carry `Retry-After: 1`.
    ///
    /// Note that kube's default client retries 429, 503 and 504 (up to 15 times, honouring
    /// `Retry-After`), so a resource that always answers those takes long to fail; use 500 for
    /// quick failures, or [`fail_times`](Self::fail_times) to test recovery.
    pub fn fail(mut self, group: &str, plural: &str, code: u16) -> Self {
        self.fail.push(FailRule {
            group: group.to_string(),
            plural: plural.to_string(),
            code,
            remaining: None,
        });
        self
    }

    /// Like [`fail`](Self::fail) for the first `times` requests for the resource only; later
    /// ones are served.
    pub fn fail_times(mut self, group: &str, plural: &str, code: u16, times: usize) -> Self {
        self.fail.push(FailRule {
            group: group.to_string(),
            plural: plural.to_string(),
            code,
            remaining: Some(Arc::new(std::sync::atomic::AtomicUsize::new(times))),
        });
        self
    }

    /// Server-side maximum page size: lists return at most this many items (with a continue
    /// token), even when the client asked for more or for no limit.
    pub fn page_size_cap(mut self, cap: usize) -> Self {
        self.page_cap = Some(cap.max(1));
        self
    }

    /// How often watches that allow bookmarks get one (default 1 s).
    pub fn bookmark_interval(mut self, interval: Duration) -> Self {
        self.bookmark_interval = interval;
        self
    }

    /// How many change events are kept for watch resumption and paginated lists (default
    /// 10,000). Older resourceVersions get `410 Expired`.
    pub fn history(mut self, events: usize) -> Self {
        self.history = events.max(1);
        self
    }

    /// Listens on this port of 127.0.0.1 (default 0: an ephemeral port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Starts serving on a runtime of its own (two worker threads); usable from plain and async
    /// code alike. Returns once the port is bound.
    pub fn start(mut self) -> Result<FakeApiServer, Error> {
        if !self.errors.is_empty() {
            return Err(self.errors.swap_remove(0));
        }
        let mut store = Store::new(self.history);
        // Register CRDs first so their custom resources resolve to the declared scope.
        let (crds, rest): (Vec<_>, Vec<_>) = self.inputs.into_iter().partition(|i| i.crd);
        for input in crds.into_iter().chain(rest) {
            let object: Value = serde_json::from_slice(&input.bytes)
                .map_err(|e| Error::new(format!("{}: {e}", input.origin)))?;
            drop(input.bytes);
            store
                .put(object)
                .map_err(|e| Error::new(format!("{}: {e}", input.origin)))?;
        }
        store.compact();
        let tls = tls::generate().map_err(Error::new)?;
        let token = self.token.unwrap_or_else(util::random_token);
        let (changes, _) = watch::channel(store.rv);
        let shared = Arc::new(Shared {
            store: RwLock::new(store),
            changes,
            settings: RwLock::new(Settings {
                token: token.clone(),
                git_version: self.git_version,
                user: self.user,
                forbid: self.forbid,
                fail: self.fail,
                page_cap: self.page_cap,
                bookmark_interval: self.bookmark_interval,
            }),
            log: Mutex::new(Vec::new()),
            port: AtomicU16::new(0),
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("palisade-fakeapi")
            .enable_all()
            .build()
            .map_err(|e| Error::new(format!("cannot start a runtime: {e}")))?;
        let server = FakeApiServer {
            shared,
            runtime: Some(runtime),
            port: AtomicU16::new(self.port),
            ca_pem: tls.ca_pem,
            tls: tls.config,
            token,
            serving: Mutex::new(None),
        };
        server.listen()?;
        Ok(server)
    }

    /// [`start`](Self::start) for async code (the server still runs on its own runtime, so it
    /// never competes with the caller's).
    pub async fn start_async(self) -> Result<FakeApiServer, Error> {
        self.start()
    }
}

struct Serving {
    stop: watch::Sender<bool>,
    done: std::sync::mpsc::Receiver<()>,
}

/// A running fake API server. Dropping it stops it.
pub struct FakeApiServer {
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
    port: AtomicU16,
    ca_pem: String,
    tls: Arc<rustls::ServerConfig>,
    token: String,
    serving: Mutex<Option<Serving>>,
}

impl std::fmt::Debug for FakeApiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeApiServer")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

impl FakeApiServer {
    pub fn builder() -> FakeApiServerBuilder {
        FakeApiServerBuilder::default()
    }

    fn listen(&self) -> Result<(), Error> {
        let mut serving = self
            .serving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if serving.is_some() {
            return Ok(());
        }
        let port = self.port.load(Ordering::Relaxed);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|e| Error::new(format!("cannot listen on 127.0.0.1:{port}: {e}")))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::new(format!("cannot configure the listener: {e}")))?;
        let bound = listener
            .local_addr()
            .map_err(|e| Error::new(format!("cannot read the bound address: {e}")))?
            .port();
        self.port.store(bound, Ordering::Relaxed);
        self.shared.port.store(bound, Ordering::Relaxed);
        let (stop, stop_rx) = watch::channel(false);
        let (done_tx, done) = std::sync::mpsc::channel();
        let Some(runtime) = &self.runtime else {
            return Err(Error::new("the server's runtime is gone"));
        };
        let shared = self.shared.clone();
        let tls = self.tls.clone();
        runtime.spawn(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(l) => server::serve(l, tls, shared, stop_rx).await,
                Err(e) => tracing::error!("cannot use the listener: {e}"),
            }
            let _ = done_tx.send(());
        });
        *serving = Some(Serving { stop, done });
        Ok(())
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port())
    }

    pub fn port(&self) -> u16 {
        self.port.load(Ordering::Relaxed)
    }

    /// The PEM of the CA that signed the server certificate.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A kubeconfig with one context per `(name, server)`, each with its own cluster (server URL
    /// and CA data) and token user; the first is the current context.
    pub fn kubeconfig_yaml(contexts: &[(&str, &FakeApiServer)]) -> String {
        let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut clusters = String::new();
        let mut ctxs = String::new();
        let mut users = String::new();
        for (name, server) in contexts {
            let ca = base64::engine::general_purpose::STANDARD.encode(server.ca_pem());
            clusters.push_str(&format!(
                "- name: {}\n  cluster:\n    server: {}\n    certificate-authority-data: {}\n",
                q(name),
                q(&server.url()),
                ca
            ));
            ctxs.push_str(&format!(
                "- name: {}\n  context:\n    cluster: {}\n    user: {}\n",
                q(name),
                q(name),
                q(name)
            ));
            users.push_str(&format!(
                "- name: {}\n  user:\n    token: {}\n",
                q(name),
                q(server.token())
            ));
        }
        let current = contexts.first().map_or(String::from("\"\""), |(n, _)| q(n));
        format!(
            "apiVersion: v1\nkind: Config\npreferences: {{}}\ncurrent-context: {current}\nclusters:\n{clusters}contexts:\n{ctxs}users:\n{users}"
        )
    }

    /// Writes [`kubeconfig_yaml`](Self::kubeconfig_yaml) to a file.
    pub fn write_kubeconfig(
        path: impl AsRef<Path>,
        contexts: &[(&str, &FakeApiServer)],
    ) -> std::io::Result<()> {
        std::fs::write(path, Self::kubeconfig_yaml(contexts))
    }

    /// Creates or replaces an object (kind/apiVersion required); returns its new
    /// resourceVersion. Watchers see ADDED or MODIFIED. A CustomResourceDefinition starts
    /// serving its resource.
    pub fn apply(&self, object: Value) -> Result<u64, Error> {
        let rv = self.shared.write_store().put(object).map_err(Error::new)?;
        self.shared.changes.send_replace(rv);
        Ok(rv)
    }

    /// Deletes an object (`namespace` None for cluster-scoped ones); returns the deletion's
    /// resourceVersion, or None when there was no such object. Watchers see DELETED.
    pub fn delete(
        &self,
        group: &str,
        plural: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<u64> {
        let rv = {
            let mut store = self.shared.write_store();
            let storage = store.reg.storage_of(group, plural)?;
            store.delete(storage, namespace.unwrap_or_default(), name)?
        };
        self.shared.changes.send_replace(rv);
        Some(rv)
    }

    /// Drops all change history: every earlier resourceVersion and continue token now gets
    /// `410 Expired`, and watches behind the current version end with an `Expired` error.
    pub fn compact(&self) {
        let rv = {
            let mut store = self.shared.write_store();
            store.compact();
            store.rv
        };
        self.shared.changes.send_replace(rv);
    }

    /// The current (latest) resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.read_store().rv
    }

    /// How many objects are stored.
    pub fn object_count(&self) -> usize {
        self.shared.read_store().total()
    }

    /// Every request answered so far, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.log().clone()
    }

    /// Empties the request log.
    pub fn clear_requests(&self) {
        self.shared.log().clear();
    }

    /// Stops listening and drops every open connection (watches end abruptly); state is kept.
    pub fn stop(&self) {
        let serving = self
            .serving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(s) = serving {
            let _ = s.stop.send(true);
            let _ = s.done.recv_timeout(Duration::from_secs(10));
        }
    }

    /// Listens again on the same port with the same state (stopping first if still serving).
    pub fn restart(&self) -> Result<(), Error> {
        self.stop();
        self.listen()
    }
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.stop();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
