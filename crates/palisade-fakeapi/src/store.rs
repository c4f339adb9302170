//! The object store: pre-serialized objects per resource, one global resourceVersion, and a
//! bounded history of change events for watch resumption and consistent paginated lists.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Map, Value};

use crate::types::Registry;
use crate::util;

/// (namespace, or "" for cluster-scoped objects; name). Orders lists like the real server.
pub(crate) type Key = (Box<str>, Box<str>);

const META_PREFIX: &[u8] = b"{\"metadata\":";

/// One stored object, serialized once.
#[derive(Debug)]
pub(crate) struct Stored {
    pub namespace: Box<str>,
    pub name: Box<str>,
    pub uid: Box<str>,
    pub created: Box<str>,
    /// `{"metadata":{…},…}`: the object without kind and apiVersion, as list items are served.
    pub body: Bytes,
    /// End of the metadata value inside `body`.
    meta_end: usize,
    pub labels: Vec<(Box<str>, Box<str>)>,
    /// A Secret whose `data`/`stringData` holds values.
    pub secret_data: bool,
    /// The metadata alone (e.g. a last-applied annotation) quotes one of those values.
    pub meta_has_secret: bool,
}

impl Stored {
    pub fn key(&self) -> Key {
        (self.namespace.clone(), self.name.clone())
    }

    pub fn metadata(&self) -> &[u8] {
        &self.body[META_PREFIX.len()..self.meta_end]
    }

    /// Whether serving this object in the given form puts Secret values in the response.
    pub fn leaks_secret(&self, metadata_only: bool) -> bool {
        if metadata_only {
            self.meta_has_secret
        } else {
            self.secret_data
        }
    }

    /// Writes the object as a list item (no kind/apiVersion).
    pub fn write_item(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.body);
    }

    /// Writes the whole object with kind and apiVersion first.
    pub fn write_full(&self, out: &mut Vec<u8>, kind: &str, api_version: &str) {
        out.extend_from_slice(b"{\"kind\":");
        util::write_json_str(out, kind);
        out.extend_from_slice(b",\"apiVersion\":");
        util::write_json_str(out, api_version);
        out.push(b',');
        out.extend_from_slice(&self.body[1..]);
    }

    /// Writes the object as a `PartialObjectMetadata`.
    pub fn write_metadata_only(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            b"{\"kind\":\"PartialObjectMetadata\",\"apiVersion\":\"meta.k8s.io/v1\",\"metadata\":",
        );
        out.extend_from_slice(self.metadata());
        out.push(b'}');
    }

    /// The object as a JSON tree (without kind/apiVersion).
    pub fn to_value(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// Values of a Secret's `data` and `stringData`, non-empty ones only.
pub(crate) fn secret_values(obj: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["data", "stringData"] {
        if let Some(Value::Object(m)) = obj.get(field) {
            for v in m.values() {
                if let Value::String(s) = v
                    && !s.is_empty()
                {
                    out.push(s.clone());
                }
            }
        }
    }
    out
}

/// Serializes an object (kind/apiVersion already removed) into a [`Stored`].
fn build_stored(mut obj: Map<String, Value>, is_secret: bool) -> Result<Stored, String> {
    let meta = match obj.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => return Err("object has no metadata".into()),
    };
    let text = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or_default();
    let name = text("name");
    if name.is_empty() {
        return Err("object has no metadata.name".into());
    }
    let labels = match meta.get("labels") {
        Some(Value::Object(l)) => l
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str().into(), v.into())))
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(_) => return Err("metadata.labels is not a map".into()),
    };
    let meta_json =
        serde_json::to_vec(&meta).map_err(|e| format!("cannot serialize metadata: {e}"))?;
    let mut body = Vec::with_capacity(meta_json.len() + 256);
    body.extend_from_slice(META_PREFIX);
    body.extend_from_slice(&meta_json);
    let meta_end = body.len();
    for (k, v) in &obj {
        body.push(b',');
        util::write_json_str(&mut body, k);
        body.push(b':');
        serde_json::to_writer(&mut body, v).map_err(|e| format!("cannot serialize {k}: {e}"))?;
    }
    body.push(b'}');
    let (secret_data, meta_has_secret) = if is_secret {
        let values = secret_values(&obj);
        let meta_text = String::from_utf8_lossy(&meta_json);
        let leaks = values.iter().any(|v| {
            let escaped = serde_json::to_string(v).unwrap_or_default();
            let escaped = escaped.trim_matches('"');
            meta_text.contains(escaped) || meta_text.contains(v.as_str())
        });
        (!values.is_empty(), leaks)
    } else {
        (false, false)
    };
    Ok(Stored {
        namespace: text("namespace").into(),
        name: name.into(),
        uid: text("uid").into(),
        created: text("creationTimestamp").into(),
        body: Bytes::from(body),
        meta_end,
        labels,
        secret_data,
        meta_has_secret,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, kept in the history.
#[derive(Debug, Clone)]
pub(crate) struct Event {
    pub rv: u64,
    pub storage: usize,
    pub kind: EventType,
    /// The object after the change (for a deletion: its last state, at the deletion's version).
    pub obj: Arc<Stored>,
    /// The object before the change.
    pub prev: Option<Arc<Stored>>,
}

/// What a list page holds.
pub(crate) struct Page {
    pub items: Vec<Arc<Stored>>,
    /// More matching objects follow the last item.
    pub more: bool,
    /// How many objects follow (only counted when asked).
    pub remaining: Option<u64>,
}

/// The resourceVersion asked for is older than the retained history.
#[derive(Debug)]
pub(crate) struct Expired {
    pub oldest: u64,
}

pub(crate) struct Store {
    pub reg: Registry,
    objects: Vec<BTreeMap<Key, Arc<Stored>>>,
    pub rv: u64,
    history: VecDeque<Event>,
    history_cap: usize,
    /// Highest resourceVersion whose event was dropped: watches and continue tokens must be at or
    /// after it.
    pub compacted: u64,
}

impl Store {
    pub fn new(history_cap: usize) -> Self {
        let reg = Registry::with_builtins();
        let mut store = Store {
            objects: Vec::new(),
            reg,
            rv: 0,
            history: VecDeque::new(),
            history_cap: history_cap.max(1),
            compacted: 0,
        };
        store.grow();
        store
    }

    fn grow(&mut self) {
        while self.objects.len() < self.reg.storage_count() {
            self.objects.push(BTreeMap::new());
        }
    }

    pub fn total(&self) -> usize {
        self.objects.iter().map(BTreeMap::len).sum()
    }

    /// Creates or replaces an object; returns its new resourceVersion.
    pub fn put(&mut self, obj: Value) -> Result<u64, String> {
        let Value::Object(mut map) = obj else {
            return Err("an object must be a JSON object".into());
        };
        let api_version = match map.remove("apiVersion") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return Err("object has no apiVersion".into()),
        };
        let kind = match map.remove("kind") {
            Some(Value::String(s)) if !s.is_empty() => s,
            _ => return Err("object has no kind".into()),
        };
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g.to_string(), v.to_string()),
            None => (String::new(), api_version.clone()),
        };
        let name: String = match map.get("metadata") {
            Some(Value::Object(m)) => m
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => return Err(format!("{kind} has no metadata")),
        };
        if name.is_empty() {
            return Err(format!("{kind} has no metadata.name"));
        }
        if group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition" {
            self.reg
                .add_crd(&Value::Object(map.clone()))
                .map_err(|e| format!("CustomResourceDefinition {name}: {e}"))?;
        }
        let Some(Value::Object(meta)) = map.get_mut("metadata") else {
            return Err(format!("{kind} has no metadata"));
        };
        let has_ns = meta
            .get("namespace")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty());
        let ty = match self.reg.for_object(&group, &version, &kind) {
            Some(t) => t,
            None => self.reg.add_derived(&group, &version, &kind, has_ns),
        };
        self.grow();
        let (namespaced, storage) = (self.reg.types[ty].namespaced, self.reg.types[ty].storage);
        if namespaced {
            if !has_ns {
                meta.insert("namespace".into(), "default".into());
            }
        } else {
            meta.remove("namespace");
        }
        let key: Key = (
            meta.get("namespace")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .into(),
            name.as_str().into(),
        );
        let prev = self.objects[storage].get(&key).cloned();
        let rv = self.rv + 1;
        meta.insert("resourceVersion".into(), rv.to_string().into());
        let missing = |v: Option<&Value>| v.and_then(Value::as_str).is_none_or(str::is_empty);
        if missing(meta.get("uid")) {
            let uid = match &prev {
                Some(p) if !p.uid.is_empty() => p.uid.to_string(),
                _ => util::new_uid(),
            };
            meta.insert("uid".into(), uid.into());
        }
        if missing(meta.get("creationTimestamp")) {
            let ts = match &prev {
                Some(p) if !p.created.is_empty() => p.created.to_string(),
                _ => util::now_rfc3339(),
            };
            meta.insert("creationTimestamp".into(), ts.into());
        }
        let is_secret = group.is_empty() && kind == "Secret";
        let stored =
            Arc::new(build_stored(map, is_secret).map_err(|e| format!("{kind} {name}: {e}"))?);
        self.objects[storage].insert(key, stored.clone());
        self.rv = rv;
        let kind = if prev.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(Event {
            rv,
            storage,
            kind,
            obj: stored,
            prev,
        });
        Ok(rv)
    }

    /// Deletes an object; returns the deletion's resourceVersion, or None when it did not exist.
    pub fn delete(&mut self, storage: usize, namespace: &str, name: &str) -> Option<u64> {
        let key: Key = (namespace.into(), name.into());
        let old = self.objects.get_mut(storage)?.remove(&key)?;
        let rv = self.rv + 1;
        let mut value = old.to_value();
        if let Some(Value::Object(meta)) = value.get_mut("metadata") {
            meta.insert("resourceVersion".into(), rv.to_string().into());
        }
        let last = match value {
            Value::Object(m) => build_stored(m, old.secret_data || old.meta_has_secret)
                .map(Arc::new)
                .unwrap_or_else(|_| old.clone()),
            _ => old.clone(),
        };
        self.rv = rv;
        self.record(Event {
            rv,
            storage,
            kind: EventType::Deleted,
            obj: last,
            prev: Some(old),
        });
        Some(rv)
    }

    fn record(&mut self, event: Event) {
        self.history.push_back(event);
        while self.history.len() > self.history_cap {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.rv;
            }
        }
    }

    /// Forgets all history: every resourceVersion before now is expired.
    pub fn compact(&mut self) {
        self.history.clear();
        self.compacted = self.rv;
    }

    pub fn get(&self, storage: usize, namespace: &str, name: &str) -> Option<Arc<Stored>> {
        let key: Key = (namespace.into(), name.into());
        self.objects.get(storage)?.get(&key).cloned()
    }

    /// Changes to a storage after `cursor`, oldest first.
    pub fn events_after(&self, storage: usize, cursor: u64) -> Result<Vec<Event>, Expired> {
        if cursor < self.compacted {
            return Err(Expired {
                oldest: self.compacted,
            });
        }
        let start = self.history.partition_point(|e| e.rv <= cursor);
        Ok(self
            .history
            .range(start..)
            .filter(|e| e.storage == storage)
            .cloned()
            .collect())
    }

    /// One page of a storage as it was at resourceVersion `at`, in (namespace, name) order,
    /// starting after `after`, keeping objects `keep` accepts (all when None: then the objects
    /// after the page are counted without being touched).
    #[allow(clippy::too_many_arguments)]
    pub fn page(
        &self,
        storage: usize,
        namespace: Option<&str>,
        after: Option<&Key>,
        at: u64,
        limit: Option<usize>,
        count_remaining: bool,
        keep: Option<&dyn Fn(&Stored) -> bool>,
    ) -> Result<Page, Expired> {
        if at < self.compacted {
            return Err(Expired {
                oldest: self.compacted,
            });
        }
        let empty = BTreeMap::new();
        let current = self.objects.get(storage).unwrap_or(&empty);
        // The value at `at` of every key changed since: the state before the first later change.
        let mut undo: BTreeMap<Key, Option<Arc<Stored>>> = BTreeMap::new();
        if at < self.rv {
            let start = self.history.partition_point(|e| e.rv <= at);
            for e in self.history.range(start..).filter(|e| e.storage == storage) {
                undo.entry(e.obj.key()).or_insert_with(|| e.prev.clone());
            }
        }
        let lower: Bound<Key> = match (after, namespace) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(ns)) => Bound::Included((ns.into(), "".into())),
            (None, None) => Bound::Unbounded,
        };
        if undo.is_empty() {
            let snapshot = current.range((lower, Bound::Unbounded));
            return Ok(take_page(snapshot, namespace, limit, count_remaining, keep));
        }
        let mut a = current.range((lower.clone(), Bound::Unbounded)).peekable();
        let mut b = undo.range((lower, Bound::Unbounded)).peekable();
        // The snapshot at `at`: current objects, overridden by their earlier state where changed.
        let snapshot = std::iter::from_fn(move || {
            loop {
                let next: Option<(&Key, Option<&Arc<Stored>>)> = match (a.peek(), b.peek()) {
                    (None, None) => return None,
                    (Some(_), None) => a.next().map(|(k, v)| (k, Some(v))),
                    (None, Some(_)) => b.next().map(|(k, v)| (k, v.as_ref())),
                    (Some((ka, _)), Some((kb, _))) => match ka.cmp(kb) {
                        std::cmp::Ordering::Less => a.next().map(|(k, v)| (k, Some(v))),
                        std::cmp::Ordering::Greater => b.next().map(|(k, v)| (k, v.as_ref())),
                        std::cmp::Ordering::Equal => {
                            a.next();
                            b.next().map(|(k, v)| (k, v.as_ref()))
                        }
                    },
                };
                match next {
                    Some((k, Some(obj))) => return Some((k, obj)),
                    Some((_, None)) => continue,
                    None => return None,
                }
            }
        });
        Ok(take_page(snapshot, namespace, limit, count_remaining, keep))
    }
}

/// Takes one page off a snapshot in key order (see [`Store::page`]).
fn take_page<'a>(
    snapshot: impl Iterator<Item = (&'a Key, &'a Arc<Stored>)>,
    namespace: Option<&str>,
    limit: Option<usize>,
    count_remaining: bool,
    keep: Option<&dyn Fn(&Stored) -> bool>,
) -> Page {
    let mut in_scope = snapshot
        .skip_while(move |(k, _)| namespace.is_some_and(|ns| &*k.0 < ns))
        .take_while(move |(k, _)| namespace.is_none_or(|ns| &*k.0 == ns))
        .filter(|(_, o)| keep.is_none_or(|keep| keep(o)));
    let mut items = Vec::new();
    let limit = limit.unwrap_or(usize::MAX);
    for (_, obj) in in_scope.by_ref() {
        items.push(obj.clone());
        if items.len() >= limit {
            break;
        }
    }
    let (more, remaining) = if items.len() < limit {
        (false, None)
    } else if count_remaining {
        let n = in_scope.count() as u64;
        (n > 0, Some(n))
    } else {
        (in_scope.next().is_some(), None)
    };
    Page {
        items,
        more,
        remaining,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": name}}, "spec": {}})
    }

    fn names(page: &Page) -> Vec<String> {
        page.items
            .iter()
            .map(|o| format!("{}/{}", o.namespace, o.name))
            .collect()
    }

    #[test]
    fn stored_bytes_have_the_served_shapes() {
        let mut s = Store::new(10);
        s.put(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a"}, "data": {"k": "c2VjcmV0"}, "type": "Opaque"})).unwrap();
        let storage = s.reg.storage_of("", "secrets").unwrap();
        let obj = s.get(storage, "a", "s").unwrap();
        assert!(obj.secret_data && !obj.meta_has_secret);
        let item: Value = serde_json::from_slice(&obj.body).unwrap();
        assert!(item.get("kind").is_none());
        assert_eq!(item["data"]["k"], "c2VjcmV0");
        assert_eq!(item["metadata"]["resourceVersion"], "1");
        assert_eq!(item["metadata"]["uid"].as_str().unwrap().len(), 36);
        let mut full = Vec::new();
        obj.write_full(&mut full, "Secret", "v1");
        let full: Value = serde_json::from_slice(&full).unwrap();
        assert_eq!(full["kind"], "Secret");
        assert_eq!(full["apiVersion"], "v1");
        let mut meta = Vec::new();
        obj.write_metadata_only(&mut meta);
        let meta: Value = serde_json::from_slice(&meta).unwrap();
        assert_eq!(meta["kind"], "PartialObjectMetadata");
        assert!(meta.get("data").is_none());
        assert_eq!(meta["metadata"]["name"], "s");
    }

    #[test]
    fn last_applied_annotation_quoting_a_secret_value_counts_as_a_leak() {
        let mut s = Store::new(10);
        let annotation = r#"{"apiVersion":"v1","data":{"k":"c2VjcmV0"},"kind":"Secret"}"#;
        s.put(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "a",
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": annotation}}, "data": {"k": "c2VjcmV0"}}))
            .unwrap();
        let storage = s.reg.storage_of("", "secrets").unwrap();
        assert!(s.get(storage, "a", "s").unwrap().meta_has_secret);
    }

    #[test]
    fn pages_are_consistent_snapshots_of_their_version() {
        let mut s = Store::new(100);
        for (ns, n) in [("b", "p1"), ("a", "p2"), ("a", "p1"), ("c", "p0")] {
            s.put(pod(ns, n)).unwrap();
        }
        let storage = s.reg.storage_of("", "pods").unwrap();
        let at = s.rv;
        let first = s
            .page(storage, None, None, at, Some(2), true, None)
            .unwrap();
        assert_eq!(names(&first), ["a/p1", "a/p2"]);
        assert!(first.more);
        assert_eq!(first.remaining, Some(2));
        // Changes after the first page do not show in the next page at the same version.
        s.delete(storage, "b", "p1").unwrap();
        s.put(pod("b", "p9")).unwrap();
        let last = first.items.last().unwrap().key();
        let second = s
            .page(storage, None, Some(&last), at, Some(2), true, None)
            .unwrap();
        assert_eq!(names(&second), ["b/p1", "c/p0"]);
        assert!(!second.more);
        // At the current version they do.
        let now = s
            .page(storage, None, Some(&last), s.rv, None, true, None)
            .unwrap();
        assert_eq!(names(&now), ["b/p9", "c/p0"]);
        let ns = s
            .page(storage, Some("a"), None, s.rv, None, true, None)
            .unwrap();
        assert_eq!(names(&ns), ["a/p1", "a/p2"]);
        s.compact();
        assert!(
            s.page(storage, None, Some(&last), at, Some(2), true, None)
                .is_err()
        );
    }

    #[test]
    fn history_is_bounded_and_expires_old_versions() {
        let mut s = Store::new(2);
        for i in 0..5 {
            s.put(pod("a", &format!("p{i}"))).unwrap();
        }
        let storage = s.reg.storage_of("", "pods").unwrap();
        assert_eq!(s.compacted, 3);
        assert!(s.events_after(storage, 2).is_err());
        let evs = s.events_after(storage, 3).unwrap();
        assert_eq!(evs.iter().map(|e| e.rv).collect::<Vec<_>>(), [4, 5]);
        // Replacing keeps uid and creation time.
        let before = s.get(storage, "a", "p4").unwrap();
        s.put(pod("a", "p4")).unwrap();
        let after = s.get(storage, "a", "p4").unwrap();
        assert_eq!(before.uid, after.uid);
        assert_eq!(
            s.events_after(storage, 5).unwrap()[0].kind,
            EventType::Modified
        );
    }

    #[test]
    fn unknown_kinds_and_crds_register_types() {
        let mut s = Store::new(10);
        for obj in [
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget", "plural": "widgetz"},
                         "versions": [{"name": "v1", "served": true, "storage": true}]}}),
            json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "x"}}),
            json!({"apiVersion": "other.io/v2", "kind": "Policy", "metadata": {"name": "p"}}),
        ] {
            s.put(obj).unwrap();
        }
        let w = s.reg.by_path("example.com", "v1", "widgetz").unwrap();
        assert!(!s.reg.types[w].namespaced);
        // the CRD says cluster-scoped, so the namespace is dropped
        assert!(s.get(s.reg.types[w].storage, "", "w").is_some());
        let p = s.reg.by_path("other.io", "v2", "policies").unwrap();
        assert!(!s.reg.types[p].namespaced);
        assert!(
            s.put(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {}}))
                .is_err()
        );
        assert!(s.put(json!([1])).is_err());
    }
}

#[cfg(test)]
mod timing {
    use super::*;
    use serde_json::json;

    #[test]
    #[ignore = "measurement"]
    fn page_through_100k() {
        let mut s = Store::new(100);
        for i in 0..100_000 {
            s.put(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": format!("p{i:06}"), "namespace": format!("ns{}", i % 200)}, "spec": {"x": i}})).unwrap();
        }
        let storage = s.reg.storage_of("", "pods").unwrap();
        let t = std::time::Instant::now();
        let mut after: Option<Key> = None;
        let mut n = 0;
        loop {
            let page = s
                .page(storage, None, after.as_ref(), s.rv, Some(500), true, None)
                .unwrap();
            n += page.items.len();
            if !page.more {
                break;
            }
            after = page.items.last().map(|o| o.key());
        }
        eprintln!("{n} in {:?}", t.elapsed());
    }
}
