//! The HTTPS server: connection handling, authentication, routing, content negotiation, list,
//! get and watch.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::RequestRecord;
use crate::discovery;
use crate::selector::{FieldSelector, LabelSelector, field_value};
use crate::store::{EventType, Expired, Key, Store, Stored};
use crate::types::ResourceType;
use crate::util;

/// A denial configured for a resource.
#[derive(Debug, Clone)]
pub(crate) struct ForbidRule {
    pub group: String,
    pub plural: String,
    /// Only requests in this namespace (and cluster-wide ones) are denied.
    pub namespace: Option<String>,
    /// Denied verbs; empty means all.
    pub verbs: Vec<String>,
}

/// A failure configured for a resource.
#[derive(Debug, Clone)]
pub(crate) struct FailRule {
    pub group: String,
    pub plural: String,
    pub code: u16,
    /// How many more requests fail; None: all of them.
    pub remaining: Option<Arc<AtomicUsize>>,
}

impl FailRule {
    /// Whether this rule fails the current request (using up one of its failures).
    fn applies(&self, ty: &ResourceType) -> bool {
        if self.group != ty.group || self.plural != ty.plural {
            return false;
        }
        match &self.remaining {
            None => true,
            Some(n) => n
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok(),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub token: String,
    pub git_version: String,
    pub user: String,
    pub forbid: Vec<ForbidRule>,
    pub fail: Vec<FailRule>,
    pub page_cap: Option<usize>,
    pub bookmark_interval: Duration,
}

/// State shared by the server's tasks and the handle tests hold.
pub(crate) struct Shared {
    pub store: RwLock<Store>,
    /// Carries the current resourceVersion; watches wake on every change.
    pub changes: watch::Sender<u64>,
    pub settings: RwLock<Settings>,
    pub log: Mutex<Vec<RequestRecord>>,
    pub port: AtomicU16,
}

impl Shared {
    pub fn read_store(&self) -> std::sync::RwLockReadGuard<'_, Store> {
        self.store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn write_store(&self) -> std::sync::RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub fn log(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn mark_secret(&self, idx: usize) {
        if let Some(r) = self.log().get_mut(idx) {
            r.served_secret_data = true;
        }
    }
}

/// A response body: whole, or streamed from a channel (watches).
pub(crate) enum RespBody {
    Full(Option<Bytes>),
    Stream(mpsc::Receiver<Bytes>),
}

impl Body for RespBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.get_mut() {
            RespBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            RespBody::Stream(rx) => rx.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RespBody::Full(None))
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RespBody::Full(Some(b)) => SizeHint::with_exact(b.len() as u64),
            RespBody::Full(None) => SizeHint::with_exact(0),
            RespBody::Stream(_) => SizeHint::default(),
        }
    }
}

type Resp = Response<RespBody>;

fn respond(code: u16, content_type: &str, body: Vec<u8>) -> Resp {
    let mut r = Response::new(RespBody::Full(Some(Bytes::from(body))));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

fn json_resp(code: u16, value: &Value) -> Resp {
    respond(
        code,
        "application/json",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// The reason a real server gives with each failure code.
fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// A `Status` object as the real server writes it for a failure.
pub(crate) fn status_value(
    code: u16,
    reason: &str,
    message: &str,
    details: Option<Value>,
) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if let Some(d) = details {
        s["details"] = d;
    }
    s
}

fn status(code: u16, message: &str, details: Option<Value>) -> Resp {
    json_resp(
        code,
        &status_value(code, reason_for(code), message, details),
    )
}

fn not_found_path() -> Resp {
    status(
        404,
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

/// `plural` or `plural.group`, as the server names a resource in messages.
fn qualified(ty: &ResourceType) -> String {
    if ty.group.is_empty() {
        ty.plural.clone()
    } else {
        format!("{}.{}", ty.plural, ty.group)
    }
}

fn details(ty: &ResourceType, name: Option<&str>) -> Value {
    let mut d = json!({"kind": ty.plural});
    if !ty.group.is_empty() {
        d["group"] = json!(ty.group);
    }
    if let Some(n) = name {
        d["name"] = json!(n);
    }
    d
}

/// How a response represents objects, chosen from the Accept header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Repr {
    Full,
    Metadata,
    Aggregated(&'static str),
}

/// Picks the first acceptable media type of an Accept header (highest q first, then listed
/// order). `meta_kind` is the PartialObjectMetadata kind this endpoint can produce.
fn negotiate(accept: Option<&str>, meta_kind: Option<&str>, aggregated: bool) -> Option<Repr> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Repr::Full);
    };
    let mut ranges: Vec<(f32, usize, Option<Repr>)> = Vec::new();
    for (pos, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
        let (mut as_, mut g, mut v, mut q) = (None, None, None, 1.0f32);
        for p in parts {
            let Some((k, val)) = p.split_once('=') else {
                continue;
            };
            let val = val.trim().trim_matches('"').to_string();
            match k.trim() {
                "as" => as_ = Some(val),
                "g" => g = Some(val),
                "v" => v = Some(val),
                "q" => q = val.parse().unwrap_or(0.0),
                _ => {}
            }
        }
        if q <= 0.0 || !matches!(media.as_str(), "application/json" | "application/*" | "*/*") {
            continue;
        }
        let repr = match (as_.as_deref(), g.as_deref(), v.as_deref()) {
            (None, _, _) => Some(Repr::Full),
            (Some(a), Some("meta.k8s.io"), Some("v1" | "v1beta1")) if Some(a) == meta_kind => {
                Some(Repr::Metadata)
            }
            (Some("APIGroupDiscoveryList"), Some("apidiscovery.k8s.io"), Some("v2"))
                if aggregated =>
            {
                Some(Repr::Aggregated("v2"))
            }
            (Some("APIGroupDiscoveryList"), Some("apidiscovery.k8s.io"), Some("v2beta1"))
                if aggregated =>
            {
                Some(Repr::Aggregated("v2beta1"))
            }
            _ => None,
        };
        ranges.push((q, pos, repr));
    }
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges.into_iter().find_map(|(_, _, r)| r)
}

fn not_acceptable() -> Resp {
    status(
        406,
        "only the following media types are accepted: application/json, application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1, application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
        None,
    )
}

/// Query parameters, first occurrence wins.
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: &str) -> Self {
        Query(
            form_urlencoded::parse(raw.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| matches!(v, "true" | "1" | "True"))
    }
}

/// Serves one accepted TCP connection until it closes.
async fn serve_connection(tcp: tokio::net::TcpStream, acceptor: TlsAcceptor, shared: Arc<Shared>) {
    let _ = tcp.set_nodelay(true);
    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!("TLS handshake failed: {e}");
            return;
        }
        Err(_) => return,
    };
    let service = hyper::service::service_fn(move |req: Request<Incoming>| {
        let shared = shared.clone();
        async move {
            let (parts, body) = req.into_parts();
            // Only a PATCH carries a body this server reads.
            let body = if parts.method == hyper::Method::PATCH {
                match http_body_util::Limited::new(body, MAX_BODY).collect().await {
                    Ok(collected) => Ok(collected.to_bytes()),
                    Err(_) => Err(()),
                }
            } else {
                Ok(Bytes::new())
            };
            Ok::<_, Infallible>(handle(&shared, &parts, body))
        }
    });
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    if let Err(e) = builder.serve_connection(TokioIo::new(tls), service).await {
        tracing::debug!("connection ended: {e}");
    }
}

/// Accepts connections until `stop` fires, then drops the listener and every connection.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    tls: Arc<rustls::ServerConfig>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = TlsAcceptor::from(tls);
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    conns.spawn(serve_connection(tcp, acceptor.clone(), shared.clone()));
                }
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    conns.shutdown().await;
}

/// The largest request body read (a PATCH); the real server's limit is 3 MiB.
const MAX_BODY: usize = 3 * 1024 * 1024;

/// Handles one request and records it in the request log. `body` is `Err` when it was too
/// large to read.
fn handle(
    shared: &Arc<Shared>,
    req: &hyper::http::request::Parts,
    body: Result<Bytes, ()>,
) -> Resp {
    let header = |name| {
        req.headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    let accept = header(ACCEPT);
    let content_type = header(CONTENT_TYPE);
    let record = RequestRecord {
        method: req.method.as_str().to_string(),
        path: req.uri.path().to_string(),
        query: req.uri.query().unwrap_or_default().to_string(),
        accept: accept.clone(),
        content_type: content_type.clone(),
        status: 0,
        served_secret_data: false,
    };
    let idx = {
        let mut log = shared.log();
        log.push(record);
        log.len() - 1
    };
    let settings = shared.settings();
    let authorized = req
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == settings.token);
    let ctx = Ctx {
        shared,
        idx,
        settings: &settings,
        method: req.method.as_str(),
        content_type: content_type.as_deref(),
        body: body.as_ref().map_or(&[][..], |b| &b[..]),
    };
    let resp = if !authorized {
        status(401, "Unauthorized", None)
    } else if body.is_err() {
        status(413, "Request entity too large: limit is 3145728", None)
    } else {
        route(
            &ctx,
            req.method.as_str(),
            req.uri.path(),
            &Query::parse(req.uri.query().unwrap_or_default()),
            accept.as_deref(),
        )
    };
    if let Some(r) = shared.log().get_mut(idx) {
        r.status = resp.status().as_u16();
    }
    resp
}

struct Ctx<'a> {
    shared: &'a Arc<Shared>,
    idx: usize,
    settings: &'a Settings,
    method: &'a str,
    content_type: Option<&'a str>,
    body: &'a [u8],
}

fn version_info(git_version: &str) -> Value {
    let numbers: Vec<String> = git_version
        .trim_start_matches('v')
        .split(['.', '-', '+'])
        .take(2)
        .map(|p| p.chars().take_while(char::is_ascii_digit).collect())
        .collect();
    let major = numbers.first().cloned().unwrap_or_default();
    let minor = numbers.get(1).cloned().unwrap_or_default();
    let min_compat = minor
        .parse::<u32>()
        .map_or(String::new(), |m| m.saturating_sub(1).to_string());
    json!({
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": min_compat,
        "gitVersion": git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-01-01T00:00:00Z",
        "goVersion": "go1.24.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

fn route(ctx: &Ctx<'_>, method: &str, path: &str, q: &Query, accept: Option<&str>) -> Resp {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // Objects are the only thing a PATCH may name.
    let object_path = matches!(
        segs.as_slice(),
        ["api", "v1", _, ..] | ["apis", _, _, _, ..]
    );
    let served = method == "GET" || (method == "PATCH" && object_path);
    if !served {
        return match segs.first() {
            Some(&"api" | &"apis") => status(
                405,
                &format!(
                    "the server does not allow this method on the requested resource ({method} {path})"
                ),
                Some(json!({})),
            ),
            _ => respond(
                404,
                "text/plain; charset=utf-8",
                b"404 page not found\n".to_vec(),
            ),
        };
    }
    match segs.as_slice() {
        ["version"] => json_resp(200, &version_info(&ctx.settings.git_version)),
        ["healthz" | "livez" | "readyz"] => {
            respond(200, "text/plain; charset=utf-8", b"ok".to_vec())
        }
        ["api"] => discovery_root(ctx, accept, true),
        ["apis"] => discovery_root(ctx, accept, false),
        ["api", "v1"] => {
            let store = ctx.shared.read_store();
            discovery::resource_list(&store.reg, "", "v1")
                .map_or_else(not_found_path, |v| json_resp(200, &v))
        }
        ["apis", group] => {
            let store = ctx.shared.read_store();
            discovery::api_group(&store.reg, group)
                .map_or_else(not_found_path, |v| json_resp(200, &v))
        }
        ["apis", group, version] => {
            let store = ctx.shared.read_store();
            discovery::resource_list(&store.reg, group, version)
                .map_or_else(not_found_path, |v| json_resp(200, &v))
        }
        ["api", "v1", rest @ ..] => resource(ctx, "", "v1", rest, q, accept),
        ["apis", group, version, rest @ ..] => resource(ctx, group, version, rest, q, accept),
        ["api", ..] => not_found_path(),
        _ => respond(
            404,
            "text/plain; charset=utf-8",
            b"404 page not found\n".to_vec(),
        ),
    }
}

fn discovery_root(ctx: &Ctx<'_>, accept: Option<&str>, core: bool) -> Resp {
    let Some(repr) = negotiate(accept, None, true) else {
        return not_acceptable();
    };
    let store = ctx.shared.read_store();
    match repr {
        Repr::Aggregated(version) => {
            let doc = discovery::aggregated(&store.reg, core, version);
            respond(
                200,
                &format!(
                    "application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"
                ),
                serde_json::to_vec(&doc).unwrap_or_default(),
            )
        }
        _ if core => json_resp(
            200,
            &discovery::core_versions(ctx.shared.port.load(Ordering::Relaxed)),
        ),
        _ => json_resp(200, &discovery::group_list(&store.reg)),
    }
}

/// A request for objects of one resource.
struct Target<'a> {
    ty: ResourceType,
    namespace: Option<&'a str>,
    name: Option<&'a str>,
    subresource: Option<&'a str>,
}

fn resource(
    ctx: &Ctx<'_>,
    group: &str,
    version: &str,
    rest: &[&str],
    q: &Query,
    accept: Option<&str>,
) -> Resp {
    let (legacy_watch, rest) = match rest {
        ["watch", tail @ ..] => (true, tail),
        _ => (false, rest),
    };
    let (namespace, plural, name, subresource) = match rest {
        ["namespaces", ns, sub @ ("status" | "finalize")] if group.is_empty() => {
            (None, "namespaces", Some(*ns), Some(*sub))
        }
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 2 => (
            Some(*ns),
            *plural,
            tail.first().copied(),
            tail.get(1).copied(),
        ),
        [plural, tail @ ..] if tail.len() <= 2 => {
            (None, *plural, tail.first().copied(), tail.get(1).copied())
        }
        _ => return not_found_path(),
    };
    let ty = {
        let store = ctx.shared.read_store();
        match store.reg.by_path(group, version, plural) {
            Some(i) => store.reg.types[i].clone(),
            None => return not_found_path(),
        }
    };
    if (namespace.is_some() && !ty.namespaced)
        || (ty.namespaced && name.is_some() && namespace.is_none())
    {
        return not_found_path();
    }
    let watch = legacy_watch || q.flag("watch") == Some(true);
    let target = Target {
        ty,
        namespace,
        name,
        subresource,
    };
    let verb = if ctx.method == "PATCH" {
        "patch"
    } else if watch {
        "watch"
    } else if name.is_some() {
        "get"
    } else {
        "list"
    };
    if !target.ty.verbs.iter().any(|v| v == verb) {
        return status(
            405,
            "the server does not allow this method on the requested resource",
            Some(details(&target.ty, name)),
        );
    }
    if let Some(resp) = configured_failure(ctx, &target, verb) {
        return resp;
    }
    match (target.name, target.subresource) {
        (Some(name), None) if verb == "patch" => patch(ctx, &target, name, q),
        (_, _) if verb == "patch" => status(
            405,
            "the fake API server patches objects only, not collections or subresources",
            Some(details(&target.ty, name)),
        ),
        (Some(name), None | Some("status")) if !watch => get(ctx, &target, name, accept),
        (Some(_), Some(_)) => not_found_path(),
        (Some(name), None) => {
            // A watch of one object: the list watch with a name field selector.
            let mut q2 = Query(q.0.clone());
            let selector = match q.get("fieldSelector") {
                Some(fs) if !fs.is_empty() => format!("{fs},metadata.name={name}"),
                _ => format!("metadata.name={name}"),
            };
            q2.0.retain(|(k, _)| k != "fieldSelector");
            q2.0.push(("fieldSelector".into(), selector));
            start_watch(ctx, &target, &q2, accept)
        }
        (None, _) if watch => start_watch(ctx, &target, q, accept),
        (None, _) => list(ctx, &target, q, accept),
    }
}

/// A configured failure or denial for this request, if any.
fn configured_failure(ctx: &Ctx<'_>, t: &Target<'_>, verb: &str) -> Option<Resp> {
    let ty = &t.ty;
    if let Some(f) = ctx.settings.fail.iter().find(|f| f.applies(ty)) {
        let message = match f.code {
            500 => format!(
                "an error on the server (\"injected failure for {}\") has prevented the request from succeeding",
                qualified(ty)
            ),
            503 => "the server is currently unable to handle the request".to_string(),
            429 => "the server has received too many requests and has asked us to try again later".to_string(),
            504 => "the server was unable to return a response in the time allotted, but may still be processing the request".to_string(),
            code => format!("injected failure {code} for {}", qualified(ty)),
        };
        let mut r = status(f.code, &message, Some(details(ty, t.name)));
        if matches!(f.code, 429 | 503 | 504) {
            r.headers_mut()
                .insert("Retry-After", HeaderValue::from_static("1"));
        }
        return Some(r);
    }
    let denied = ctx.settings.forbid.iter().any(|r| {
        r.group == ty.group
            && r.plural == ty.plural
            && (r.verbs.is_empty() || r.verbs.iter().any(|v| v == verb))
            && match (&r.namespace, t.namespace) {
                (None, _) => true,
                // Permission limited in a namespace also lacks the cluster-wide grant.
                (Some(_), None) => true,
                (Some(rule_ns), Some(ns)) => rule_ns == ns,
            }
    });
    if !denied {
        return None;
    }
    let subject = match t.name {
        Some(n) => format!("{} \"{n}\"", qualified(ty)),
        None => qualified(ty),
    };
    let scope = match t.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{subject} is forbidden: User \"{}\" cannot {verb} resource \"{}\" in API group \"{}\" {scope}",
        ctx.settings.user, ty.plural, ty.group
    );
    Some(status(403, &message, Some(details(ty, t.name))))
}

fn not_found(t: &Target<'_>, name: &str) -> Resp {
    status(
        404,
        &format!("{} \"{name}\" not found", qualified(&t.ty)),
        Some(details(&t.ty, Some(name))),
    )
}

/// Applies a PATCH to one object. With `dryRun=All` the patched object is answered and nothing
/// is stored; otherwise a change is stored with a new resourceVersion (watchers see MODIFIED),
/// and a patch that changes nothing stores nothing, as on a real server.
fn patch(ctx: &Ctx<'_>, t: &Target<'_>, name: &str, q: &Query) -> Resp {
    let dry_run = match q.get("dryRun") {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => {
            return status(
                400,
                &format!("Invalid dry run value: {other:?}, supported values: \"All\""),
                None,
            );
        }
    };
    let namespace = t.namespace.unwrap_or_default();
    let Some(stored) = ctx.shared.read_store().get(t.ty.storage, namespace, name) else {
        return not_found(t, name);
    };
    let mut current = Vec::new();
    stored.write_full(&mut current, &t.ty.kind, &t.ty.api_version());
    let current: Value = serde_json::from_slice(&current).unwrap_or(Value::Null);
    let builtin = crate::types::is_builtin(&t.ty.group, &t.ty.plural);
    let mut patched = match crate::patch::apply(ctx.content_type, &current, ctx.body, builtin) {
        Ok(patched) => patched,
        Err(refusal) => {
            let details = (refusal.code == 422).then(|| details(&t.ty, Some(name)));
            return status(refusal.code, &refusal.message, details);
        }
    };
    let identity = |v: &Value| {
        [
            v.get("apiVersion").cloned(),
            v.get("kind").cloned(),
            v.pointer("/metadata/name").cloned(),
            v.pointer("/metadata/namespace").cloned(),
            v.pointer("/metadata/uid").cloned(),
        ]
    };
    if identity(&patched) != identity(&current) {
        return status(
            422,
            &format!(
                "{} \"{name}\" is invalid: a patch may not change apiVersion, kind, name, namespace or uid",
                qualified(&t.ty)
            ),
            Some(details(&t.ty, Some(name))),
        );
    }
    if patched.pointer("/metadata/resourceVersion") != current.pointer("/metadata/resourceVersion")
    {
        return status(
            409,
            &format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                qualified(&t.ty)
            ),
            Some(details(&t.ty, Some(name))),
        );
    }
    if patched == current {
        return json_resp(200, &current);
    }
    // The spec changed (anything but metadata and status): a real server counts a generation.
    fn spec(v: &Value) -> Option<Vec<(&String, &Value)>> {
        v.as_object().map(|m| {
            m.iter()
                .filter(|(k, _)| !matches!(k.as_str(), "metadata" | "status"))
                .collect()
        })
    }
    if spec(&patched) != spec(&current)
        && let Some(generation) = patched.pointer_mut("/metadata/generation")
        && let Some(n) = generation.as_u64()
    {
        *generation = (n + 1).into();
    }
    if t.ty.group.is_empty()
        && t.ty.plural == "secrets"
        && let Some(object) = patched.as_object()
        && !crate::store::secret_values(object).is_empty()
    {
        ctx.shared.mark_secret(ctx.idx);
    }
    if dry_run {
        return json_resp(200, &patched);
    }
    let rv = match ctx.shared.write_store().put(patched) {
        Ok(rv) => rv,
        Err(message) => return status(422, &message, Some(details(&t.ty, Some(name)))),
    };
    ctx.shared.changes.send_replace(rv);
    match ctx.shared.read_store().get(t.ty.storage, namespace, name) {
        Some(now) => {
            let mut out = Vec::new();
            now.write_full(&mut out, &t.ty.kind, &t.ty.api_version());
            respond(200, "application/json", out)
        }
        None => not_found(t, name),
    }
}

fn get(ctx: &Ctx<'_>, t: &Target<'_>, name: &str, accept: Option<&str>) -> Resp {
    let Some(repr) = negotiate(accept, Some("PartialObjectMetadata"), false) else {
        return not_acceptable();
    };
    let obj = ctx
        .shared
        .read_store()
        .get(t.ty.storage, t.namespace.unwrap_or_default(), name);
    let Some(obj) = obj else {
        return status(
            404,
            &format!("{} \"{name}\" not found", qualified(&t.ty)),
            Some(details(&t.ty, Some(name))),
        );
    };
    let meta = repr == Repr::Metadata;
    let mut out = Vec::with_capacity(obj.body.len() + 64);
    if meta {
        obj.write_metadata_only(&mut out);
    } else {
        obj.write_full(&mut out, &t.ty.kind, &t.ty.api_version());
    }
    if obj.leaks_secret(meta) {
        ctx.shared.mark_secret(ctx.idx);
    }
    let ct = if meta {
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
    } else {
        "application/json"
    };
    respond(200, ct, out)
}

/// Label and field selectors plus namespace scope of a list or watch.
struct Filter {
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn from_query(t: &Target<'_>, q: &Query) -> Result<Self, String> {
        let labels = LabelSelector::parse(q.get("labelSelector").unwrap_or_default())?;
        let fields = FieldSelector::parse(q.get("fieldSelector").unwrap_or_default(), &t.ty.kind)?;
        Ok(Filter {
            namespace: t.namespace.map(str::to_string),
            labels,
            fields,
        })
    }

    fn has_selectors(&self) -> bool {
        !self.labels.is_empty() || !self.fields.is_empty()
    }

    fn matches(&self, o: &Stored) -> bool {
        if let Some(ns) = &self.namespace
            && &*o.namespace != ns
        {
            return false;
        }
        if !self.labels.matches(&o.labels) {
            return false;
        }
        if self.fields.is_empty() {
            return true;
        }
        let mut parsed: Option<Value> = None;
        self.fields.matches(|field| match field {
            "metadata.name" => o.name.to_string(),
            "metadata.namespace" => o.namespace.to_string(),
            other => field_value(parsed.get_or_insert_with(|| o.to_value()), other),
        })
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    v: String,
    rv: u64,
    ns: String,
    name: String,
}

fn encode_continue(rv: u64, last: &Key) -> String {
    let token = ContinueToken {
        v: "fakeapi/v1".into(),
        rv,
        ns: last.0.to_string(),
        name: last.1.to_string(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

fn decode_continue(raw: &str) -> Option<ContinueToken> {
    let bytes = URL_SAFE_NO_PAD
        .decode(raw.trim_end_matches('='))
        .ok()
        .or_else(|| base64::engine::general_purpose::STANDARD.decode(raw).ok())?;
    serde_json::from_slice(&bytes).ok()
}

fn expired(message: String) -> Resp {
    status(410, &message, None)
}

fn too_large(rv: u64, current: u64) -> Resp {
    status(
        504,
        &format!("Too large resource version: {rv}, current: {current}"),
        Some(json!({
            "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}],
            "retryAfterSeconds": 1
        })),
    )
}

fn list(ctx: &Ctx<'_>, t: &Target<'_>, q: &Query, accept: Option<&str>) -> Resp {
    let Some(repr) = negotiate(accept, Some("PartialObjectMetadataList"), false) else {
        return not_acceptable();
    };
    let meta = repr == Repr::Metadata;
    let filter = match Filter::from_query(t, q) {
        Ok(f) => f,
        Err(e) => return status(400, &e, None),
    };
    let mut limit = match q.get("limit").filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n > 0 => Some(n as usize),
            Ok(_) => None,
            Err(_) => return status(400, &format!("invalid limit: {l:?}"), None),
        },
    };
    if let Some(cap) = ctx.settings.page_cap {
        limit = Some(limit.map_or(cap, |l| l.min(cap)).max(1));
    }
    let cont = match q.get("continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match decode_continue(raw) {
            Some(c) => Some(c),
            None => {
                return status(
                    400,
                    "continue key is not valid: invalid continue token",
                    None,
                );
            }
        },
    };
    let rv_param = q.get("resourceVersion").filter(|s| !s.is_empty());
    let rv_match = q.get("resourceVersionMatch").filter(|s| !s.is_empty());
    let store = ctx.shared.read_store();
    let current = store.rv;
    let at = if let Some(c) = &cont {
        if c.rv < store.compacted {
            return expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue value from this response.".into(),
            );
        }
        c.rv
    } else {
        match (rv_param, rv_match) {
            (None, None) => current,
            (None, Some(_)) => {
                return status(
                    422,
                    "resourceVersionMatch is forbidden unless resourceVersion is provided",
                    None,
                );
            }
            (Some(raw), m) => {
                let Ok(rv) = raw.parse::<u64>() else {
                    return status(400, &format!("invalid resourceVersion: {raw:?}"), None);
                };
                match m {
                    Some("Exact") => {
                        if rv == 0 {
                            return status(
                                422,
                                "resourceVersionMatch \"Exact\" is forbidden for resourceVersion \"0\"",
                                None,
                            );
                        }
                        if rv > current {
                            return too_large(rv, current);
                        }
                        if rv < store.compacted {
                            return expired(format!(
                                "too old resource version: {rv} ({})",
                                store.compacted
                            ));
                        }
                        rv
                    }
                    None | Some("NotOlderThan") => {
                        if rv > current {
                            return too_large(rv, current);
                        }
                        current
                    }
                    Some(other) => {
                        return status(
                            422,
                            &format!("unsupported resourceVersionMatch: {other:?}"),
                            None,
                        );
                    }
                }
            }
        }
    };
    let keep = |o: &Stored| filter.matches(o);
    let keep: &dyn Fn(&Stored) -> bool = &keep;
    let after: Option<Key> = cont
        .as_ref()
        .map(|c| (c.ns.as_str().into(), c.name.as_str().into()));
    let page = match store.page(
        t.ty.storage,
        filter.namespace.as_deref(),
        after.as_ref(),
        at,
        limit,
        !filter.has_selectors(),
        filter.has_selectors().then_some(&keep),
    ) {
        Ok(p) => p,
        Err(Expired { oldest }) => {
            return expired(format!("too old resource version: {at} ({oldest})"));
        }
    };
    drop(store);

    let size: usize = page.items.iter().map(|o| o.body.len() + 1).sum();
    let mut out = Vec::with_capacity(size + 256);
    out.extend_from_slice(b"{\"kind\":");
    if meta {
        out.extend_from_slice(b"\"PartialObjectMetadataList\",\"apiVersion\":\"meta.k8s.io/v1\"");
    } else {
        util::write_json_str(&mut out, &format!("{}List", t.ty.kind));
        out.extend_from_slice(b",\"apiVersion\":");
        util::write_json_str(&mut out, &t.ty.api_version());
    }
    out.extend_from_slice(b",\"metadata\":{\"resourceVersion\":");
    util::write_json_str(&mut out, &at.to_string());
    if page.more
        && let Some(last) = page.items.last()
    {
        out.extend_from_slice(b",\"continue\":");
        util::write_json_str(&mut out, &encode_continue(at, &last.key()));
        if let Some(n) = page.remaining {
            out.extend_from_slice(format!(",\"remainingItemCount\":{n}").as_bytes());
        }
    }
    out.extend_from_slice(b"},\"items\":[");
    let mut leaked = false;
    for (i, o) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if meta {
            o.write_metadata_only(&mut out);
        } else {
            o.write_item(&mut out);
        }
        leaked |= o.leaks_secret(meta);
    }
    out.extend_from_slice(b"]}");
    if leaked {
        ctx.shared.mark_secret(ctx.idx);
    }
    let ct = if meta {
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    } else {
        "application/json"
    };
    respond(200, ct, out)
}

/// Everything a running watch needs.
struct WatchJob {
    shared: Arc<Shared>,
    idx: usize,
    storage: usize,
    kind: String,
    api_version: String,
    meta: bool,
    filter: Filter,
    /// Send the current objects first (None: start after `start_rv`).
    initial: bool,
    end_marker: bool,
    start_rv: u64,
    bookmarks: bool,
    bookmark_interval: Duration,
    timeout: Duration,
}

fn start_watch(ctx: &Ctx<'_>, t: &Target<'_>, q: &Query, accept: Option<&str>) -> Resp {
    let Some(repr) = negotiate(accept, Some("PartialObjectMetadata"), false) else {
        return not_acceptable();
    };
    let filter = match Filter::from_query(t, q) {
        Ok(f) => f,
        Err(e) => return status(400, &e, None),
    };
    let rv_raw = q.get("resourceVersion").filter(|s| !s.is_empty());
    let rv_match = q.get("resourceVersionMatch").filter(|s| !s.is_empty());
    let bookmarks = q.flag("allowWatchBookmarks") == Some(true);
    let send_initial = q.flag("sendInitialEvents");
    if send_initial == Some(true) {
        if rv_match != Some("NotOlderThan") {
            return status(
                422,
                "sendInitialEvents: Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan",
                None,
            );
        }
        if !bookmarks {
            return status(
                422,
                "sendInitialEvents: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true",
                None,
            );
        }
    } else if rv_match.is_some() {
        return status(
            422,
            "resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            None,
        );
    }
    let start_rv = match rv_raw {
        None => 0,
        Some(raw) => match raw.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return status(400, &format!("invalid resourceVersion: {raw:?}"), None),
        },
    };
    let initial = send_initial.unwrap_or(start_rv == 0);
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .map_or(Duration::from_secs(1800), Duration::from_secs);
    let job = WatchJob {
        shared: ctx.shared.clone(),
        idx: ctx.idx,
        storage: t.ty.storage,
        kind: t.ty.kind.clone(),
        api_version: t.ty.api_version(),
        meta: repr == Repr::Metadata,
        filter,
        initial,
        end_marker: send_initial == Some(true),
        start_rv,
        bookmarks,
        bookmark_interval: ctx.settings.bookmark_interval,
        timeout,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(run_watch(job, tx));
    let mut r = Response::new(RespBody::Stream(rx));
    let ct = if repr == Repr::Metadata {
        "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
    } else {
        "application/json"
    };
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    r
}

/// Batches watch frames into chunks.
struct Frames<'a> {
    job: &'a WatchJob,
    buf: Vec<u8>,
    leaked: bool,
}

impl Frames<'_> {
    fn object(&mut self, kind: &str, obj: &Stored) {
        self.buf.extend_from_slice(b"{\"type\":\"");
        self.buf.extend_from_slice(kind.as_bytes());
        self.buf.extend_from_slice(b"\",\"object\":");
        if self.job.meta {
            obj.write_metadata_only(&mut self.buf);
        } else {
            obj.write_full(&mut self.buf, &self.job.kind, &self.job.api_version);
        }
        self.buf.extend_from_slice(b"}\n");
        self.leaked |= obj.leaks_secret(self.job.meta);
    }

    fn bookmark(&mut self, rv: u64, initial_end: bool) {
        let (kind, api_version) = if self.job.meta {
            ("PartialObjectMetadata", "meta.k8s.io/v1")
        } else {
            (self.job.kind.as_str(), self.job.api_version.as_str())
        };
        let mut metadata = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let event = json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": metadata}});
        let _ = serde_json::to_writer(&mut self.buf, &event);
        self.buf.push(b'\n');
    }

    fn error(&mut self, status: &Value) {
        let _ = serde_json::to_writer(&mut self.buf, &json!({"type": "ERROR", "object": status}));
        self.buf.push(b'\n');
    }

    fn full(&self) -> bool {
        self.buf.len() >= 64 * 1024
    }

    /// Sends what is buffered; false when the client is gone.
    async fn flush(&mut self, tx: &mpsc::Sender<Bytes>) -> bool {
        if self.leaked {
            self.job.shared.mark_secret(self.job.idx);
            self.leaked = false;
        }
        if self.buf.is_empty() {
            return true;
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        tx.send(chunk).await.is_ok()
    }
}

async fn run_watch(job: WatchJob, tx: mpsc::Sender<Bytes>) {
    let deadline = tokio::time::Instant::now() + job.timeout;
    let mut changes = job.shared.changes.subscribe();
    changes.borrow_and_update();
    let mut frames = Frames {
        job: &job,
        buf: Vec::new(),
        leaked: false,
    };
    let start = {
        let store = job.shared.read_store();
        if job.initial {
            let page = store.page(
                job.storage,
                job.filter.namespace.as_deref(),
                None,
                store.rv,
                None,
                false,
                Some(&|o: &Stored| job.filter.matches(o)),
            );
            Ok((store.rv, page.map(|p| p.items).unwrap_or_default()))
        } else if job.start_rv < store.compacted {
            Err(format!(
                "too old resource version: {} ({})",
                job.start_rv, store.compacted
            ))
        } else {
            Ok((job.start_rv, Vec::new()))
        }
    };
    let (mut cursor, snapshot) = match start {
        Ok(s) => s,
        Err(message) => {
            frames.error(&status_value(410, "Expired", &message, None));
            frames.flush(&tx).await;
            return;
        }
    };
    for obj in &snapshot {
        frames.object("ADDED", obj);
        if frames.full() && !frames.flush(&tx).await {
            return;
        }
    }
    drop(snapshot);
    if job.end_marker {
        frames.bookmark(cursor, true);
    }
    if !frames.flush(&tx).await {
        return;
    }
    let mut ticker = tokio::time::interval(job.bookmark_interval.max(Duration::from_millis(10)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    // Changes made between the request and the subscription above raised no notification
    // this receiver saw, yet they are in the history after `cursor`: read it once up front.
    changes.mark_changed();
    loop {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            () = tx.closed() => break,
            changed = changes.changed() => {
                if changed.is_err() {
                    break;
                }
                changes.borrow_and_update();
                let found = {
                    let store = job.shared.read_store();
                    store.events_after(job.storage, cursor).map(|evs| (evs, store.rv))
                };
                let (events, now) = match found {
                    Ok(found) => found,
                    Err(Expired { oldest }) => {
                        let message = format!("too old resource version: {cursor} ({oldest})");
                        frames.error(&status_value(410, "Expired", &message, None));
                        frames.flush(&tx).await;
                        return;
                    }
                };
                for ev in &events {
                    let now_matches = job.filter.matches(&ev.obj);
                    let was_matching = ev.prev.as_ref().is_some_and(|p| job.filter.matches(p));
                    let kind = match ev.kind {
                        EventType::Added | EventType::Modified if now_matches && (was_matching || ev.kind == EventType::Added) => ev.kind.as_str(),
                        EventType::Modified if now_matches => "ADDED",
                        EventType::Modified if was_matching => "DELETED",
                        EventType::Deleted if was_matching || now_matches => ev.kind.as_str(),
                        _ => continue,
                    };
                    frames.object(kind, &ev.obj);
                    if frames.full() && !frames.flush(&tx).await {
                        return;
                    }
                }
                cursor = cursor.max(now);
                if !frames.flush(&tx).await {
                    return;
                }
            }
            _ = ticker.tick(), if job.bookmarks => {
                frames.bookmark(cursor, false);
                if !frames.flush(&tx).await {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_headers_are_negotiated_in_order_and_by_quality() {
        let meta_list = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";
        assert_eq!(
            negotiate(Some(meta_list), Some("PartialObjectMetadataList"), false),
            Some(Repr::Metadata)
        );
        // the object form is not acceptable for a list
        assert_eq!(
            negotiate(Some(meta_list), Some("PartialObjectMetadata"), false),
            None
        );
        let with_fallback = format!("{meta_list}, application/json");
        assert_eq!(
            negotiate(Some(&with_fallback), Some("PartialObjectMetadata"), false),
            Some(Repr::Full)
        );
        let table_first = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json";
        assert_eq!(
            negotiate(Some(table_first), Some("PartialObjectMetadataList"), false),
            Some(Repr::Metadata)
        );
        let agg = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(
            negotiate(Some(agg), None, true),
            Some(Repr::Aggregated("v2"))
        );
        assert_eq!(negotiate(Some(agg), None, false), Some(Repr::Full));
        let v2beta1_preferred = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList;q=0.5,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";
        assert_eq!(
            negotiate(Some(v2beta1_preferred), None, true),
            Some(Repr::Aggregated("v2beta1"))
        );
        assert_eq!(negotiate(Some("application/yaml"), None, false), None);
        assert_eq!(negotiate(Some("*/*"), None, false), Some(Repr::Full));
        assert_eq!(negotiate(None, None, false), Some(Repr::Full));
    }

    #[test]
    fn continue_tokens_round_trip() {
        let key: Key = ("ns".into(), "name".into());
        let token = encode_continue(42, &key);
        let back = decode_continue(&token).unwrap();
        assert_eq!(
            (back.rv, back.ns.as_str(), back.name.as_str()),
            (42, "ns", "name")
        );
        assert!(decode_continue("not-a-token").is_none());
    }

    #[test]
    fn version_info_splits_the_git_version() {
        let v = version_info("v1.34.2");
        assert_eq!(
            (v["major"].as_str(), v["minor"].as_str()),
            (Some("1"), Some("34"))
        );
        assert_eq!(v["minCompatibilityMinor"], "33");
    }
}
