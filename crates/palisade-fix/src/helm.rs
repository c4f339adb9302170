//! Helm charts: fixes written into the chart's values, proven by rendering the chart again.
//!
//! Templates are never edited. For each fix, the template that wrote the object is read around
//! the fixed field ([`crate::template`]) for the values that may produce it; each candidate
//! values edit is made with the same comment-preserving editor as manifest files, the chart is
//! rendered with it, and the edit is kept only when every rendered object is what it was, apart
//! from the fixed object, which must now be exactly the object with the fix applied (objects
//! that share the value change too when they carry the same finding). A fix no value produces
//! is reported with the template line to change.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::ops::Range;
use std::path::{Component, Path};

use palisade_core::{Fix, FixOp, ObjectPath, Segment};
use palisade_load::yaml::{Limits, parse_stream};
use serde_json::Value;

use crate::file::{ValueEdit, fix_single_document};
use crate::patch::shell_quote;
use crate::plan::{Edit, plan_document};
use crate::template::{self, Spot};
use crate::tree;

/// The template document that wrote an object.
#[derive(Clone, Debug)]
pub struct TemplateDocument {
    /// The template's path as shown to the user.
    pub path: String,
    pub text: std::sync::Arc<str>,
    /// The 0-based lines of the document within the template.
    pub lines: Range<usize>,
    /// Where the template's values sit in the values file edited: empty for the chart itself,
    /// `[sub]` for a subchart `charts/sub` (see [`subchart_values`]).
    pub values_prefix: Vec<String>,
}

/// A fix of an object of the chart's rendered output.
#[derive(Clone, Debug)]
pub struct ChartFinding {
    pub control: &'static str,
    pub fix: Fix,
    /// The object's document in the rendered output (0-based, as the loader counts them).
    pub document: u32,
    pub template: Option<TemplateDocument>,
}

/// What became of one finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChartOutcome {
    /// Fixed in the values file; the `--set` arguments that do the same at install time.
    Values { set: Vec<String> },
    /// Fixed by the values edit made for another finding (the value is shared), or the object
    /// already reads as fixed.
    Covered,
    /// The field is written by the template; `spot` is where, `why` says why no value edit.
    Template {
        file: String,
        spot: Spot,
        why: String,
    },
    /// The finding could not be handled at all.
    Refused(String),
}

/// The outcome of fixing one chart.
#[derive(Debug)]
pub struct ChartFix {
    /// The values file's text after the accepted edits (unchanged when there were none).
    pub values: Option<String>,
    /// One outcome per finding, in the order given.
    pub outcomes: Vec<ChartOutcome>,
}

/// How many candidate values edits are rendered per finding.
const MAX_TRIES: usize = 4;

/// The values of a subchart sit under its name in the parent's values: `charts/a/charts/b/…`
/// (a template's path inside the chart) gives `[a, b]`.
pub fn subchart_values(template_in_chart: &Path) -> Vec<String> {
    let parts: Vec<String> = template_in_chart
        .components()
        .filter_map(|c| match c {
            Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    // Only `charts/<name>/` steps from the chart's root nest values: a folder called
    // `charts` under `templates/` is just a folder.
    let mut names = Vec::new();
    let mut rest = parts.as_slice();
    while let [charts, name, tail @ ..] = rest
        && charts == "charts"
    {
        names.push(name.clone());
        rest = tail;
    }
    names
}

/// Drops entries whose value is null: Kubernetes reads `securityContext: null` as absent, and
/// `toYaml` of an empty value writes exactly that.
fn normalized(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// The objects of rendered output by document index, as data.
pub fn rendered_objects(text: &str) -> BTreeMap<u32, Value> {
    parse_stream(text, Limits::default())
        .into_iter()
        .flatten()
        .map(|doc| (doc.index, normalized(&doc.root.to_json())))
        .collect()
}

/// `object` with `fixes` applied as the manifest editor would apply them.
pub(crate) fn with_fixes(object: &Value, fixes: &[(&'static str, &Fix)]) -> Value {
    let edits = fixes
        .iter()
        .map(|(control, fix)| Edit {
            control,
            fix: (*fix).clone(),
            prefix: Vec::new(),
        })
        .collect();
    normalized(&plan_document(object, edits).expected)
}

/// `Kind/name` of an object, for messages.
pub(crate) fn describe(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or("?"),
        object["metadata"]["name"].as_str().unwrap_or("?")
    )
}

/// The first path at which `a` and `b` differ, for messages.
pub(crate) fn first_difference(a: &Value, b: &Value) -> String {
    fn walk(a: &Value, b: &Value, path: ObjectPath) -> Option<ObjectPath> {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
                keys.sort();
                keys.dedup();
                keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                    (Some(p), Some(q)) => walk(p, q, path.key(k)),
                    _ => Some(path.key(k)),
                })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (p, q))| walk(p, q, path.index(i))),
            _ => (a != b).then_some(path),
        }
    }
    walk(a, b, ObjectPath::root()).map_or_else(String::new, |p| p.to_string())
}

fn op_path(op: &FixOp) -> &ObjectPath {
    match op {
        FixOp::Set { path, .. } | FixOp::Remove { path } | FixOp::Append { path, .. } => path,
    }
}

fn rebased(op: &FixOp, rest: &[Segment<'_>]) -> FixOp {
    let path = ObjectPath::from_segments(rest);
    match op {
        FixOp::Set { value, .. } => FixOp::Set {
            path,
            value: value.clone(),
        },
        FixOp::Append { value, .. } => FixOp::Append {
            path,
            value: value.clone(),
        },
        FixOp::Remove { .. } => FixOp::Remove { path },
    }
}

/// One fix's ops, each written under a value of the values file.
struct Candidate {
    edits: Vec<ValueEdit>,
}

/// The values path an op of a finding is written at, per candidate; `None` when an op has no
/// value that may produce it.
fn candidates(finding: &ChartFinding, template: &TemplateDocument) -> (Spot, Vec<Candidate>) {
    let readings: Vec<(FixOp, Vec<Segment<'static>>, template::Reading)> = finding
        .fix
        .ops
        .iter()
        .map(|op| {
            let segments = op_path(op).owned_segments();
            let reading = template::read(&template.text, template.lines.clone(), &segments);
            (op.clone(), segments, reading)
        })
        .collect();
    let spot = readings
        .first()
        .map(|(_, _, r)| r.spot.clone())
        .unwrap_or(Spot {
            line: None,
            exact: false,
            key: String::new(),
        });
    if readings.iter().any(|(_, _, r)| r.sources.is_empty()) {
        return (spot, Vec::new());
    }
    let tries = readings
        .iter()
        .map(|(_, _, r)| r.sources.len())
        .max()
        .unwrap_or(0)
        .min(MAX_TRIES);
    let out = (0..tries)
        .map(|k| Candidate {
            edits: readings
                .iter()
                .map(|(op, segments, reading)| {
                    let source = &reading.sources[k.min(reading.sources.len() - 1)];
                    let global = source.value.first().is_some_and(|v| v == "global");
                    let at = template
                        .values_prefix
                        .iter()
                        .filter(|_| !global)
                        .chain(&source.value)
                        .map(|k| Segment::Key(k.clone().into()))
                        .collect();
                    ValueEdit {
                        control: finding.control,
                        fix: Fix {
                            description: finding.fix.description.clone(),
                            safety: finding.fix.safety,
                            ops: vec![rebased(op, &segments[source.mount..])],
                        },
                        at,
                    }
                })
                .collect(),
        })
        .collect();
    (spot, out)
}

/// Whether a rendering differs from `expected` only by fixes still to make: the target
/// object by its own fix (or every pending fix of the same control on it), any other object by
/// all of its pending fixes of that control. Returns the findings the rendering fixes.
fn explain(
    expected: &BTreeMap<u32, Value>,
    rendered: &BTreeMap<u32, Value>,
    target: usize,
    findings: &[ChartFinding],
    open: &[bool],
) -> Result<Vec<usize>, String> {
    if expected.keys().ne(rendered.keys()) {
        return Err("the edit changes which objects the chart renders".into());
    }
    let control = findings[target].control;
    let mut fixed = Vec::new();
    for (document, after) in rendered {
        let before = &expected[document];
        let is_target = *document == findings[target].document;
        if after == before {
            if is_target {
                return Err(
                    "the rendered object did not change (another values file or --set may override the value)"
                        .into(),
                );
            }
            continue;
        }
        let pending: Vec<usize> = (0..findings.len())
            .filter(|&j| {
                open[j] && findings[j].document == *document && findings[j].control == control
            })
            .collect();
        let mut options: Vec<Vec<usize>> = Vec::new();
        if is_target {
            options.push(vec![target]);
        }
        if !pending.is_empty() {
            options.push(pending);
        }
        let matching = options.into_iter().find(|set| {
            let fixes: Vec<(&'static str, &Fix)> = set
                .iter()
                .map(|&j| (findings[j].control, &findings[j].fix))
                .collect();
            with_fixes(before, &fixes) == *after
        });
        match matching {
            Some(set) => fixed.extend(set),
            None => {
                let intended = if is_target {
                    with_fixes(before, &[(control, &findings[target].fix)])
                } else {
                    before.clone()
                };
                return Err(format!(
                    "the rendering also changed {} at `{}`",
                    describe(before),
                    first_difference(&intended, after)
                ));
            }
        }
    }
    Ok(fixed)
}

/// Fixes the findings of one chart through its values file.
///
/// `rendered` is the chart's output as scanned; `values` the text of the values file to edit
/// (`None` when there is none); `render` renders the chart with the values file replaced by
/// the text it is given.
pub fn fix_chart(
    rendered: &str,
    values: Option<&str>,
    findings: &[ChartFinding],
    render: &mut dyn FnMut(&str) -> Result<String, String>,
) -> ChartFix {
    let mut expected = rendered_objects(rendered);
    let baseline = expected.clone();
    // The fixes kept so far, per document: a new one must agree with them, as in a manifest.
    let mut kept: BTreeMap<u32, Vec<Edit>> = BTreeMap::new();
    let mut current = values.map(str::to_string);
    let mut outcomes: Vec<Option<ChartOutcome>> = vec![None; findings.len()];
    let mut order: Vec<usize> = (0..findings.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            (
                findings[i].document,
                findings[i].control,
                &findings[i].fix.description,
            )
        };
        key(a).cmp(&key(b))
    });
    for i in order {
        if outcomes[i].is_some() {
            continue;
        }
        let finding = &findings[i];
        let Some(object) = expected.get(&finding.document) else {
            outcomes[i] = Some(ChartOutcome::Refused(
                "the object is not in the chart's rendered output".into(),
            ));
            continue;
        };
        let edit = Edit {
            control: finding.control,
            fix: finding.fix.clone(),
            prefix: Vec::new(),
        };
        // A fix that cannot apply to the object (a path it does not have) is refused, not
        // counted as already done because the object stays as it was.
        let alone = plan_document(object, vec![edit.clone()]);
        if let Some(rejected) = alone.rejected.into_iter().next() {
            outcomes[i] = Some(ChartOutcome::Refused(rejected.reason));
            continue;
        }
        if normalized(&alone.expected) == *object {
            outcomes[i] = Some(ChartOutcome::Covered);
            continue;
        }
        let mut together = kept.get(&finding.document).cloned().unwrap_or_default();
        together.push(edit);
        if let Some(conflict) = plan_document(&baseline[&finding.document], together)
            .rejected
            .into_iter()
            .find(|r| r.control == finding.control && r.description == finding.fix.description)
        {
            outcomes[i] = Some(ChartOutcome::Refused(conflict.reason));
            continue;
        }
        let Some(template) = &finding.template else {
            outcomes[i] = Some(ChartOutcome::Refused(
                "the template that wrote the object is not known".into(),
            ));
            continue;
        };
        let (spot, candidates) = candidates(finding, template);
        let template_only = |why: String| ChartOutcome::Template {
            file: template.path.clone(),
            spot: spot.clone(),
            why,
        };
        if candidates.is_empty() {
            outcomes[i] = Some(template_only("no value is read where it is written".into()));
            continue;
        }
        let Some(values_text) = current.clone() else {
            outcomes[i] = Some(template_only("the chart has no values file".into()));
            continue;
        };
        let mut why = String::new();
        for candidate in candidates {
            let edited = fix_single_document(&values_text, candidate.edits.clone());
            if let Some(refused) = edited.rejected.first() {
                why = format!("the values file cannot take the edit: {}", refused.reason);
                continue;
            }
            if edited.text == values_text {
                why = "the values edit changes nothing".into();
                continue;
            }
            let output = match render(&edited.text) {
                Ok(output) => output,
                Err(e) => {
                    why = format!("the chart does not render with the edit: {e}");
                    continue;
                }
            };
            let objects = rendered_objects(&output);
            let open: Vec<bool> = outcomes.iter().map(Option::is_none).collect();
            match explain(&expected, &objects, i, findings, &open) {
                Ok(fixed) => {
                    let set = set_arguments(&edited.text, &candidate.edits);
                    for j in fixed {
                        outcomes[j] = Some(ChartOutcome::Covered);
                        kept.entry(findings[j].document).or_default().push(Edit {
                            control: findings[j].control,
                            fix: findings[j].fix.clone(),
                            prefix: Vec::new(),
                        });
                    }
                    outcomes[i] = Some(ChartOutcome::Values { set });
                    expected = objects;
                    current = Some(edited.text);
                    break;
                }
                Err(reason) => why = reason,
            }
        }
        if outcomes[i].is_none() {
            outcomes[i] = Some(template_only(format!(
                "a values edit did not verify: {why}"
            )));
        }
    }
    ChartFix {
        values: current,
        outcomes: outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| ChartOutcome::Refused("not handled".into())))
            .collect(),
    }
}

/// The `--set` arguments that give the values the edits wrote.
fn set_arguments(values_text: &str, edits: &[ValueEdit]) -> Vec<String> {
    let values = parse_stream(values_text, Limits::default())
        .into_iter()
        .flatten()
        .next()
        .map_or(Value::Null, |doc| doc.root.to_json());
    let mut out = Vec::new();
    for edit in edits {
        for op in &edit.fix.ops {
            let mut path = edit.at.clone();
            path.extend(op_path(op).owned_segments());
            // `--set list[0].field=…` makes Helm replace the whole list with one item holding
            // only that field: a change inside a list is given as the whole list after it.
            let in_list = path.iter().position(|s| matches!(s, Segment::Index(_)));
            if let Some(list) = in_list {
                path.truncate(list);
            }
            let value = match op {
                FixOp::Remove { .. } if in_list.is_none() => Value::Null,
                _ => tree::lookup(&values, &path).cloned().unwrap_or(Value::Null),
            };
            let argument = set_argument(&path, &value);
            if !out.contains(&argument) {
                out.push(argument);
            }
        }
    }
    out
}

/// One `--set` (or `--set-string`, `--set-json`) argument, quoted for a POSIX shell. Dots,
/// commas, equals signs and brackets in keys are escaped as Helm's parser expects.
pub fn set_argument(path: &[Segment<'_>], value: &Value) -> String {
    let mut key = String::new();
    for segment in path {
        match segment {
            Segment::Key(k) => {
                if !key.is_empty() {
                    key.push('.');
                }
                for c in k.chars() {
                    if matches!(c, '.' | ',' | '=' | '[' | '\\') {
                        key.push('\\');
                    }
                    key.push(c);
                }
            }
            Segment::Index(i) => {
                let _ = write!(key, "[{i}]");
            }
        }
    }
    let escaped = |s: &str| s.replace('\\', "\\\\").replace(',', "\\,");
    let (flag, text) = match value {
        Value::Null => ("--set", "null".to_string()),
        Value::Bool(b) => ("--set", b.to_string()),
        Value::Number(n) => ("--set", n.to_string()),
        // Helm reads `true`, `null` and numbers given to --set as such; --set-string keeps text.
        Value::String(s)
            if s.is_empty()
                || matches!(s.as_str(), "true" | "false" | "null")
                || s.parse::<f64>().is_ok() =>
        {
            ("--set-string", escaped(s))
        }
        Value::String(s) => ("--set", escaped(s)),
        other => ("--set-json", other.to_string()),
    };
    format!("{flag} {}", shell_quote(&format!("{key}={text}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::FixSafety;
    use serde_json::json;

    fn path(text: &str) -> Vec<Segment<'static>> {
        ObjectPath::parse(text).owned_segments()
    }

    #[test]
    fn set_arguments_escape_keys_and_pick_the_flag_by_type() {
        assert_eq!(
            set_argument(&path("securityContext.runAsNonRoot"), &json!(true)),
            "--set securityContext.runAsNonRoot=true"
        );
        let annotated = vec![
            Segment::Key("podAnnotations".into()),
            Segment::Key("prometheus.io/scrape".into()),
        ];
        assert_eq!(
            set_argument(&annotated, &json!("true")),
            r"--set-string 'podAnnotations.prometheus\.io/scrape=true'"
        );
        assert_eq!(
            set_argument(&path("sc.capabilities.drop"), &json!(["ALL"])),
            r#"--set-json 'sc.capabilities.drop=["ALL"]'"#
        );
        assert_eq!(
            set_argument(&path("volumes[0].hostPath"), &Value::Null),
            "--set 'volumes[0].hostPath=null'"
        );
        assert_eq!(set_argument(&path("a"), &json!("x,y")), r"--set 'a=x\,y'");
    }

    #[test]
    fn a_change_inside_a_list_is_set_as_the_whole_list() {
        let edited = "volumes:\n  - name: data\n    emptyDir: {}\n  - name: cache\n";
        let edit = ValueEdit {
            control: "POD-009",
            fix: Fix::remove(
                "no hostPath",
                FixSafety::Unsafe,
                ObjectPath::parse("volumes[0].hostPath"),
            ),
            at: Vec::new(),
        };
        let list = json!([{"name": "data", "emptyDir": {}}, {"name": "cache"}]);
        assert_eq!(
            set_arguments(edited, &[edit]),
            [format!("--set-json 'volumes={list}'")]
        );
    }

    #[test]
    fn subchart_templates_read_values_under_the_subchart_name() {
        assert_eq!(
            subchart_values(Path::new("charts/db/charts/cache/templates/x.yaml")),
            vec!["db".to_string(), "cache".into()]
        );
        assert!(subchart_values(Path::new("templates/x.yaml")).is_empty());
        assert!(subchart_values(Path::new("templates/charts/x/y.yaml")).is_empty());
    }

    const TEMPLATE: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      securityContext:\n        {{- toYaml .Values.securityContext | nindent 8 }}\n      ports:\n        - containerPort: 80\n          hostPort: 8080\n";

    fn render_pod(values: &str) -> Result<String, String> {
        let values = rendered_objects(values).remove(&0).unwrap_or(json!({}));
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "securityContext": values["securityContext"],
                "ports": [{"containerPort": 80, "hostPort": 8080}]}]}
        });
        Ok(format!("---\n{}", serde_json::to_string(&pod).unwrap()))
    }

    fn finding(control: &'static str, fix: Fix) -> ChartFinding {
        ChartFinding {
            control,
            fix,
            document: 0,
            template: Some(TemplateDocument {
                path: "templates/pod.yaml".into(),
                text: TEMPLATE.into(),
                lines: 0..usize::MAX,
                values_prefix: Vec::new(),
            }),
        }
    }

    #[test]
    fn a_value_fix_is_kept_when_the_rendering_proves_it_and_template_fields_are_pointed_at() {
        let values = "# defaults\nsecurityContext:\n  privileged: true  # needed?\n";
        let rendered = render_pod(values).unwrap();
        let findings = vec![
            finding(
                "POD-001",
                Fix::set(
                    "privileged off",
                    FixSafety::Safe,
                    ObjectPath::parse("spec.containers[0].securityContext.privileged"),
                    json!(false),
                ),
            ),
            finding(
                "POD-004",
                Fix::remove(
                    "no host port",
                    FixSafety::Unsafe,
                    ObjectPath::parse("spec.containers[0].ports[0].hostPort"),
                ),
            ),
        ];
        let mut renders = 0;
        let out = fix_chart(&rendered, Some(values), &findings, &mut |v| {
            renders += 1;
            render_pod(v)
        });
        assert_eq!(
            out.values.as_deref(),
            Some("# defaults\nsecurityContext:\n  privileged: false  # needed?\n")
        );
        assert_eq!(
            out.outcomes[0],
            ChartOutcome::Values {
                set: vec!["--set securityContext.privileged=false".into()]
            }
        );
        match &out.outcomes[1] {
            ChartOutcome::Template { spot, why, .. } => {
                assert_eq!(spot.line, Some(12));
                assert!(spot.exact);
                assert!(why.contains("no value"), "{why}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(renders, 1);
    }

    #[test]
    fn an_edit_the_rendering_does_not_show_is_refused() {
        let values = "securityContext:\n  privileged: true\n";
        let rendered = render_pod(values).unwrap();
        let findings = vec![finding(
            "POD-001",
            Fix::set(
                "privileged off",
                FixSafety::Safe,
                ObjectPath::parse("spec.containers[0].securityContext.privileged"),
                json!(false),
            ),
        )];
        // A renderer that ignores the values file, as an overriding --set would.
        let out = fix_chart(&rendered, Some(values), &findings, &mut |_| {
            render_pod(values)
        });
        assert_eq!(out.values.as_deref(), Some(values));
        match &out.outcomes[0] {
            ChartOutcome::Template { why, .. } => {
                assert!(why.contains("did not change"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }
}
