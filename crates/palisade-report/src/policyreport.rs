//! Policy reports as Kubernetes objects: OpenReports (`openreports.io/v1alpha1` `Report` and
//! `ClusterReport`) and the older Policy WG API they grew out of (`wgpolicyk8s.io/v1alpha2`
//! `PolicyReport` and `ClusterPolicyReport`), which dashboards such as Policy Reporter read.
//!
//! One object per namespace holds the results of that namespace's objects, and one
//! cluster-wide object the results of cluster-scoped objects. They are written as a `v1 List`
//! in JSON, which `kubectl apply -f` accepts as it is. A namespaced object whose manifest names
//! no namespace goes to a report without one, so it lands where `kubectl apply` would put the
//! object itself.

use std::collections::BTreeMap;

use palisade_core::{
    Finding, KindScope, NotEvaluated, ResourceId, Severity, Suppression, built_in_scope,
};
use serde_json::{Map, Value, json};

use crate::ReportInput;

/// The two APIs, which share the shape of their results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    OpenReports,
    PolicyWg,
}

impl Api {
    fn api_version(self) -> &'static str {
        match self {
            Api::OpenReports => "openreports.io/v1alpha1",
            Api::PolicyWg => "wgpolicyk8s.io/v1alpha2",
        }
    }

    fn kind(self, place: &Place) -> &'static str {
        match (self, place) {
            (Api::OpenReports, Place::Cluster) => "ClusterReport",
            (Api::OpenReports, Place::Namespace(_)) => "Report",
            (Api::PolicyWg, Place::Cluster) => "ClusterPolicyReport",
            (Api::PolicyWg, Place::Namespace(_)) => "PolicyReport",
        }
    }
}

/// Which report an object's results go to. Ordered: the cluster-wide report first, then the
/// report without a namespace, then namespaces by name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    Cluster,
    Namespace(Option<String>),
}

fn place_of(resource: &ResourceId) -> Place {
    match &resource.namespace {
        Some(ns) => Place::Namespace(Some(ns.clone())),
        // A cluster states the namespace of every namespaced object it serves.
        None if resource.cluster.is_some() => Place::Cluster,
        None => match built_in_scope(resource.group(), &resource.kind) {
            KindScope::Cluster => Place::Cluster,
            KindScope::Namespaced | KindScope::Unknown => Place::Namespace(None),
        },
    }
}

const SOURCE: &str = "palisade";
/// The object name of every report Palisade writes (one per namespace, one cluster-wide).
const REPORT_NAME: &str = "palisade";

/// What a result says about its control.
#[derive(Clone, Copy)]
enum Outcome {
    Fail,
    /// Excepted by configuration or an ignore annotation: judged, not counted.
    Skip,
    /// The control could not judge the object (the API's "could not be evaluated").
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Fail => "fail",
            Outcome::Skip => "skip",
            Outcome::Error => "error",
        }
    }
}

struct Entry {
    outcome: Outcome,
    value: Value,
}

fn reference(r: &ResourceId) -> Value {
    let mut object = Map::new();
    object.insert("apiVersion".into(), json!(r.api_version));
    object.insert("kind".into(), json!(r.kind));
    if let Some(ns) = &r.namespace {
        object.insert("namespace".into(), json!(ns));
    }
    object.insert("name".into(), json!(r.name));
    Value::Object(object)
}

struct Common<'a> {
    control: &'a str,
    severity: Option<Severity>,
    message: &'a str,
    resource: &'a ResourceId,
    properties: BTreeMap<&'static str, String>,
}

fn entry(input: &ReportInput<'_>, outcome: Outcome, c: Common<'_>) -> Entry {
    let meta = input.control(c.control);
    let mut value = Map::new();
    value.insert("policy".into(), json!(c.control));
    if let Some(meta) = meta {
        value.insert("rule".into(), json!(meta.title));
        value.insert("category".into(), json!(meta.family.description()));
    }
    value.insert("result".into(), json!(outcome.as_str()));
    if let Some(severity) = c.severity.or(meta.map(|m| m.severity)) {
        value.insert("severity".into(), json!(severity.as_str()));
    }
    value.insert("scored".into(), json!(!matches!(outcome, Outcome::Skip)));
    value.insert("message".into(), json!(c.message));
    value.insert("source".into(), json!(SOURCE));
    value.insert(
        "timestamp".into(),
        json!({ "seconds": input.provenance.generated_at.as_second(), "nanos": 0 }),
    );
    value.insert("resources".into(), json!([reference(c.resource)]));
    if !c.properties.is_empty() {
        value.insert("properties".into(), json!(c.properties));
    }
    Entry {
        outcome,
        value: Value::Object(value),
    }
}

/// Properties every result about a finding carries.
fn finding_properties(f: &Finding) -> BTreeMap<&'static str, String> {
    let mut props = BTreeMap::new();
    props.insert("fingerprint", f.fingerprint());
    if !f.path.is_root() {
        props.insert("path", f.path.as_str().to_string());
    }
    if let Some(l) = &f.location {
        props.insert("location", format!("{}:{}:{}", l.file, l.line, l.column));
    }
    if let Some(cluster) = &f.resource.cluster {
        props.insert("cluster", cluster.to_string());
    }
    props
}

fn not_evaluated(input: &ReportInput<'_>, ne: &NotEvaluated) -> Entry {
    let mut properties = BTreeMap::new();
    if let Some(l) = &ne.location {
        properties.insert("location", format!("{}:{}:{}", l.file, l.line, l.column));
    }
    if let Some(cluster) = &ne.resource.cluster {
        properties.insert("cluster", cluster.to_string());
    }
    let message = format!("not evaluated: {}", ne.reason);
    entry(
        input,
        Outcome::Error,
        Common {
            control: ne.control,
            severity: None,
            message: &message,
            resource: &ne.resource,
            properties,
        },
    )
}

fn report_object(api: Api, input: &ReportInput<'_>, place: &Place, entries: Vec<Entry>) -> Value {
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(REPORT_NAME));
    if let Place::Namespace(Some(ns)) = place {
        metadata.insert("namespace".into(), json!(ns));
    }
    metadata.insert(
        "labels".into(),
        json!({ "app.kubernetes.io/managed-by": SOURCE }),
    );
    metadata.insert(
        "annotations".into(),
        json!({
            "palisade.dev/generated-at": input.provenance.generated_at_text(),
            "palisade.dev/tool-version": input.tool_version,
            "palisade.dev/catalog-version": input.provenance.catalog_version,
        }),
    );
    let count = |o: &str| entries.iter().filter(|e| e.outcome.as_str() == o).count();
    // Passes are known per control across the whole scan, not per namespace, so the summary
    // leaves `pass` out rather than claim a number it does not have.
    let summary = json!({
        "fail": count("fail"),
        "warn": 0,
        "error": count("error"),
        "skip": count("skip"),
    });
    let mut object = Map::new();
    object.insert("apiVersion".into(), json!(api.api_version()));
    object.insert("kind".into(), json!(api.kind(place)));
    object.insert("metadata".into(), Value::Object(metadata));
    if api == Api::OpenReports {
        object.insert("source".into(), json!(SOURCE));
    }
    object.insert("summary".into(), summary);
    object.insert(
        "results".into(),
        Value::Array(entries.into_iter().map(|e| e.value).collect()),
    );
    Value::Object(object)
}

/// The report objects, in the order they are written.
pub(crate) fn objects(api: Api, input: &ReportInput<'_>) -> Vec<Value> {
    let r = input.result;
    let mut places: BTreeMap<Place, Vec<Entry>> = BTreeMap::new();
    for f in &r.findings {
        let common = Common {
            control: f.control,
            severity: Some(f.severity),
            message: &f.message,
            resource: &f.resource,
            properties: finding_properties(f),
        };
        places
            .entry(place_of(&f.resource))
            .or_default()
            .push(entry(input, Outcome::Fail, common));
    }
    for s in &r.suppressed {
        let f = &s.finding;
        let mut properties = finding_properties(f);
        match &s.suppression {
            Suppression::Exception { reason, expires } => {
                properties.insert("suppressedBy", "exception".to_string());
                properties.insert("reason", reason.clone());
                if let Some(expires) = expires {
                    properties.insert("expires", expires.clone());
                }
            }
            Suppression::InlineIgnore { annotation, reason } => {
                properties.insert("suppressedBy", annotation.clone());
                properties.insert("reason", reason.clone());
            }
        }
        let common = Common {
            control: f.control,
            severity: Some(f.severity),
            message: &f.message,
            resource: &f.resource,
            properties,
        };
        places
            .entry(place_of(&f.resource))
            .or_default()
            .push(entry(input, Outcome::Skip, common));
    }
    for ne in &r.not_evaluated {
        places
            .entry(place_of(&ne.resource))
            .or_default()
            .push(not_evaluated(input, ne));
    }
    places
        .into_iter()
        .map(|(place, entries)| report_object(api, input, &place, entries))
        .collect()
}

pub(crate) fn write(
    api: Api,
    input: &ReportInput<'_>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let list = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects(api, input),
    });
    serde_json::to_writer_pretty(&mut *out, &list)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::testdata;

    fn sample(api: Api) -> Vec<Value> {
        let (result, sources) = (testdata::result(), testdata::sources());
        objects(api, &testdata::input(&result, &sources))
    }

    /// Keys of `value` that `schema` does not declare, with their paths: the CRDs accept
    /// unknown fields only to prune them, so a misspelt field would vanish silently.
    fn undeclared(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                let declared = schema.get("properties").and_then(Value::as_object);
                let additional = schema.get("additionalProperties");
                for (key, child) in map {
                    // `metadata` is the API server's ObjectMeta, not described by a CRD.
                    if path.is_empty() && key == "metadata" {
                        continue;
                    }
                    let child_path = format!("{path}.{key}");
                    match (declared.and_then(|d| d.get(key)), additional) {
                        (Some(s), _) => undeclared(s, child, &child_path, out),
                        (None, Some(s)) if s.is_object() => {
                            undeclared(s, child, &child_path, out);
                        }
                        _ => out.push(child_path),
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        undeclared(item_schema, item, &format!("{path}[{i}]"), out);
                    }
                }
            }
            _ => {}
        }
    }

    fn assert_valid(schema: &Value, object: &Value) {
        let validator = jsonschema::validator_for(schema).expect("the schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(object)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{}: {}",
            object["kind"],
            errors.join("\n")
        );
        let mut unknown = Vec::new();
        undeclared(schema, object, "", &mut unknown);
        assert!(unknown.is_empty(), "undeclared fields: {unknown:?}");
    }

    /// The constraints of the two CRDs that matter for what Palisade writes, in small.
    fn minimal_schema() -> Value {
        let reference = json!({"type": "object", "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "namespace": {"type": "string"}, "name": {"type": "string"}}});
        let result = json!({"type": "object", "required": ["policy"], "properties": {
            "policy": {"type": "string"}, "rule": {"type": "string"},
            "category": {"type": "string"}, "message": {"type": "string"},
            "result": {"enum": ["pass", "fail", "warn", "error", "skip"]},
            "severity": {"enum": ["critical", "high", "low", "medium", "info"]},
            "scored": {"type": "boolean"}, "source": {"type": "string"},
            "timestamp": {"type": "object", "required": ["nanos", "seconds"], "properties": {
                "seconds": {"type": "integer"}, "nanos": {"type": "integer"}}},
            "resources": {"type": "array", "items": reference},
            "properties": {"type": "object", "additionalProperties": {"type": "string"}}}});
        let count = json!({"type": "integer"});
        json!({"type": "object", "required": ["apiVersion", "kind", "metadata"], "properties": {
            "apiVersion": {"type": "string"}, "kind": {"type": "string"},
            "metadata": {"type": "object"}, "source": {"type": "string"},
            "summary": {"type": "object", "properties": {
                "pass": count, "fail": count, "warn": count, "error": count, "skip": count}},
            "results": {"type": "array", "items": result}}})
    }

    #[test]
    fn one_report_per_namespace_and_one_cluster_wide() {
        let reports = sample(Api::OpenReports);
        let placed: Vec<(&str, Option<&str>, &Value)> = reports
            .iter()
            .map(|r| {
                (
                    r["kind"].as_str().unwrap(),
                    r["metadata"]["namespace"].as_str(),
                    &r["summary"],
                )
            })
            .collect();
        assert_eq!(
            placed,
            [
                // The Namespace `shop` could not be judged: cluster-scoped.
                (
                    "ClusterReport",
                    None,
                    &json!({"fail": 0, "warn": 0, "error": 1, "skip": 0})
                ),
                // The Pod whose manifest names no namespace, and its excepted finding.
                (
                    "Report",
                    None,
                    &json!({"fail": 1, "warn": 0, "error": 0, "skip": 1})
                ),
                (
                    "Report",
                    Some("prod"),
                    &json!({"fail": 1, "warn": 0, "error": 0, "skip": 1})
                ),
                (
                    "Report",
                    Some("shop"),
                    &json!({"fail": 3, "warn": 0, "error": 0, "skip": 0})
                ),
            ]
        );
        for r in &reports {
            assert_eq!(r["apiVersion"], "openreports.io/v1alpha1");
            assert_eq!(r["metadata"]["name"], "palisade");
            assert_eq!(r["source"], "palisade");
            assert_eq!(
                r["metadata"]["annotations"]["palisade.dev/generated-at"],
                "2025-03-01T12:00:00Z"
            );
        }
        let shop = &reports[3]["results"];
        let privileged = shop
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["policy"] == "POD-001")
            .unwrap();
        let finding = testdata::privileged_finding();
        assert_eq!(privileged["rule"], "Privileged container");
        assert_eq!(privileged["result"], "fail");
        assert_eq!(privileged["severity"], "critical");
        assert_eq!(privileged["scored"], true);
        assert_eq!(privileged["category"], "pod and container hardening");
        assert_eq!(
            privileged["timestamp"],
            json!({"seconds": 1740830400, "nanos": 0})
        );
        assert_eq!(
            privileged["resources"],
            json!([{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"}])
        );
        assert_eq!(
            privileged["properties"]["fingerprint"],
            finding.fingerprint()
        );
        assert_eq!(privileged["properties"]["path"], testdata::PRIVILEGED_PATH);
        assert_eq!(
            privileged["properties"]["location"],
            "deploy/web.yaml:13:25"
        );

        let excepted = &reports[2]["results"][1];
        assert_eq!(excepted["result"], "skip");
        assert_eq!(excepted["scored"], false);
        assert_eq!(excepted["properties"]["suppressedBy"], "palisade.io/ignore");
        let not_judged = &reports[0]["results"][0];
        assert_eq!(not_judged["result"], "error");
        assert_eq!(
            not_judged["message"],
            "not evaluated: listing NetworkPolicies is forbidden"
        );
        assert_eq!(not_judged["severity"], "info", "the control's own severity");
    }

    #[test]
    fn the_policy_wg_api_differs_only_in_names() {
        let open = sample(Api::OpenReports);
        let legacy = sample(Api::PolicyWg);
        let kinds: Vec<&str> = legacy.iter().map(|r| r["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "ClusterPolicyReport",
                "PolicyReport",
                "PolicyReport",
                "PolicyReport"
            ]
        );
        for (a, b) in open.iter().zip(&legacy) {
            assert_eq!(b["apiVersion"], "wgpolicyk8s.io/v1alpha2");
            assert!(
                b.get("source").is_none(),
                "v1alpha2 has no report-level source"
            );
            assert_eq!(a["results"], b["results"]);
            assert_eq!(a["summary"], b["summary"]);
        }
    }

    #[test]
    fn objects_satisfy_a_minimal_schema_and_the_list_applies() {
        let schema = minimal_schema();
        for api in [Api::OpenReports, Api::PolicyWg] {
            for object in sample(api) {
                assert_valid(&schema, &object);
            }
        }
        // The check catches what it should.
        let mut broken = sample(Api::OpenReports).remove(3);
        broken["results"][0]["result"] = json!("failed");
        assert!(
            !jsonschema::validator_for(&schema)
                .unwrap()
                .is_valid(&broken)
        );
        let mut misspelt = sample(Api::OpenReports).remove(3);
        misspelt["results"][0]["severty"] = json!("high");
        let mut unknown = Vec::new();
        undeclared(&schema, &misspelt, "", &mut unknown);
        assert_eq!(unknown, [".results[0].severty"]);

        let (result, sources) = (testdata::result(), testdata::sources());
        let mut out = Vec::new();
        write(
            Api::OpenReports,
            &testdata::input(&result, &sources),
            &mut out,
        )
        .unwrap();
        let list: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(list["apiVersion"], "v1");
        assert_eq!(list["kind"], "List");
        assert_eq!(list["items"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn an_empty_scan_writes_an_empty_list() {
        let result = palisade_core::ScanResult::default();
        assert!(objects(Api::OpenReports, &testdata::input(&result, &[])).is_empty());
    }

    #[test]
    fn objects_of_a_cluster_are_placed_by_what_the_cluster_says() {
        let mut id = testdata::resource("example.com/v1", "Widget", None, "w");
        assert_eq!(
            place_of(&id),
            Place::Namespace(None),
            "unknown kinds go with the manifest"
        );
        id.cluster = Some("prod".into());
        assert_eq!(place_of(&id), Place::Cluster);
        let role = testdata::resource("rbac.authorization.k8s.io/v1", "ClusterRole", None, "r");
        assert_eq!(place_of(&role), Place::Cluster);
    }

    /// The CRDs of `../shared/reference/crds`, by kind: the schema of their served version.
    fn crd_schemas() -> Option<Vec<(String, String, Value)>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/crds");
        if !dir.exists() {
            println!("SKIPPED: {} not found", dir.display());
            return None;
        }
        let files = [
            "openreports/openreports.io_reports.yaml",
            "openreports/openreports.io_clusterreports.yaml",
            "wgpolicyk8s/wgpolicyk8s.io_policyreports.yaml",
            "wgpolicyk8s/wgpolicyk8s.io_clusterpolicyreports.yaml",
        ];
        let mut schemas = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(dir.join(file)).expect("the CRD is readable");
            let crd: Value = serde_saphyr::from_str(&text).expect("the CRD is YAML");
            let group = crd["spec"]["group"].as_str().unwrap();
            let kind = crd["spec"]["names"]["kind"].as_str().unwrap();
            for version in crd["spec"]["versions"].as_array().unwrap() {
                schemas.push((
                    format!("{group}/{}", version["name"].as_str().unwrap()),
                    kind.to_string(),
                    version["schema"]["openAPIV3Schema"].clone(),
                ));
            }
        }
        Some(schemas)
    }

    #[test]
    fn objects_validate_against_the_crds() {
        let Some(schemas) = crd_schemas() else {
            return;
        };
        let mut checked = 0;
        for api in [Api::OpenReports, Api::PolicyWg] {
            for object in sample(api) {
                let (api_version, kind) = (&object["apiVersion"], &object["kind"]);
                let (_, _, schema) = schemas
                    .iter()
                    .find(|(v, k, _)| api_version == v.as_str() && kind == k.as_str())
                    .unwrap_or_else(|| panic!("no CRD serves {api_version} {kind}"));
                assert_valid(schema, &object);
                checked += 1;
            }
        }
        assert_eq!(checked, 8);
    }
}
