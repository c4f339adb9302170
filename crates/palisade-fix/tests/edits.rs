//! `fix_text` on hand-written files: what changes, what stays byte for byte.

use palisade_core::{Fix, FixOp, FixSafety, ObjectPath};
use palisade_fix::{ObjectEdit, fix_text};
use palisade_load::yaml::{Limits, parse_stream};
use serde_json::{Value, json};

/// One edit per document of `text`, by document index.
fn edits(text: &str, fixes: Vec<(usize, Fix)>) -> Vec<ObjectEdit> {
    let roots: Vec<_> = parse_stream(text, Limits::default())
        .into_iter()
        .map(|d| d.unwrap().root.span)
        .collect();
    fixes
        .into_iter()
        .map(|(doc, fix)| ObjectEdit {
            control: "TEST-001",
            fix,
            object: roots[doc],
        })
        .collect()
}

fn set(path: &str, value: Value) -> Fix {
    Fix::set("set", FixSafety::Safe, ObjectPath::parse(path), value)
}

fn objects(text: &str) -> Vec<Value> {
    parse_stream(text, Limits::default())
        .into_iter()
        .map(|d| d.unwrap().root.to_json())
        .collect()
}

const TWO_DOCS: &str = "\
# the web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # keep me
spec:
  template:
    spec:
      containers:
        - name: app
          image: 'nginx:1.27'   # pinned
          securityContext:
            privileged: true
          ports: [80, 443]
        - name: sidecar
          image: \"envoy:1.30\"
---
# untouched
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  a: \"yes\"
";

#[test]
fn edits_only_the_fixed_fields_and_keeps_comments_quotes_and_other_documents() {
    let fixes = vec![
        (
            0,
            set(
                "spec.template.spec.containers[0].securityContext.privileged",
                json!(false),
            ),
        ),
        (
            0,
            set(
                "spec.template.spec.containers[1].securityContext.capabilities.drop",
                json!(["ALL"]),
            ),
        ),
    ];
    let out = fix_text(TWO_DOCS, edits(TWO_DOCS, fixes));
    assert_eq!(out.applied.len(), 2, "{:?}", out.rejected);
    assert!(out.rejected.is_empty());
    let expected = TWO_DOCS
        .replace("privileged: true", "privileged: false")
        .replace(
            "          image: \"envoy:1.30\"\n",
            "          image: \"envoy:1.30\"\n          securityContext:\n            capabilities:\n              drop:\n                - ALL\n",
        );
    assert_eq!(out.text, expected);
    // The second document is byte-identical.
    let tail = TWO_DOCS.split_once("---\n").unwrap().1;
    assert!(out.text.ends_with(tail));
}

#[test]
fn four_space_files_with_unindented_lists_keep_their_layout() {
    let text = "spec:\n    containers:\n    -   name: a\n        image: x\n";
    let out = fix_text(
        text,
        edits(
            text,
            vec![(
                0,
                set(
                    "spec.containers[0].securityContext.runAsNonRoot",
                    json!(true),
                ),
            )],
        ),
    );
    assert_eq!(
        out.text,
        "spec:\n    containers:\n    -   name: a\n        image: x\n        securityContext:\n            runAsNonRoot: true\n"
    );
}

#[test]
fn appends_to_block_and_flow_lists_and_creates_missing_ones() {
    let text = "a:\n  drop: [NET_RAW]\n  add:\n  - SYS_TIME\n";
    let append = |path: &str, value: Value| Fix {
        description: "append".into(),
        safety: FixSafety::Safe,
        ops: vec![FixOp::Append {
            path: ObjectPath::parse(path),
            value,
        }],
    };
    let fixes = vec![
        (0, append("a.drop", json!("ALL"))),
        (0, append("a.add", json!("CHOWN"))),
        (0, append("a.new", json!("X"))),
    ];
    let out = fix_text(text, edits(text, fixes));
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        out.text,
        "a:\n  drop: [NET_RAW, ALL]\n  add:\n  - SYS_TIME\n  - CHOWN\n  new:\n  - X\n"
    );
}

#[test]
fn removing_the_last_field_removes_its_emptied_parents() {
    let text = "spec:\n  hostNetwork: true\n  volumes:\n  - name: root\n    hostPath:\n      path: /\n  - name: data\n    emptyDir: {}\n";
    let remove = |path: &str| Fix::remove("remove", FixSafety::Unsafe, ObjectPath::parse(path));
    let out = fix_text(
        text,
        edits(
            text,
            vec![
                (0, remove("spec.volumes[0]")),
                (0, remove("spec.hostNetwork")),
            ],
        ),
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        out.text,
        "spec:\n  volumes:\n  - name: data\n    emptyDir: {}\n"
    );
}

#[test]
fn conflicting_fixes_keep_one_and_say_why_for_the_other() {
    let text = "kind: Pod\nspec:\n  a: true\n";
    let fixes = vec![
        (0, set("spec.a", json!(false))),
        (
            0,
            Fix::remove("remove a", FixSafety::Safe, ObjectPath::parse("spec.a")),
        ),
    ];
    let out = fix_text(text, edits(text, fixes));
    assert_eq!(out.applied.len(), 1);
    assert_eq!(out.rejected.len(), 1);
    assert!(out.rejected[0].reason.contains("conflicts"));
}

#[test]
fn items_of_a_list_are_fixed_in_place() {
    let text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    containers: []\n";
    let list = parse_stream(text, Limits::default())
        .remove(0)
        .unwrap()
        .root;
    let item = list.get("items").unwrap().as_seq().unwrap()[0].span;
    let edit = ObjectEdit {
        control: "TEST-001",
        fix: set("spec.automountServiceAccountToken", json!(false)),
        object: item,
    };
    let out = fix_text(text, vec![edit]);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        objects(&out.text)[0]["items"][0]["spec"]["automountServiceAccountToken"],
        json!(false)
    );
}

/// A JSON manifest as people and `kubectl get -o json` write it: four-space indentation,
/// one-line arrays and objects here and there.
const JSON_POD: &str = r#"{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "hostNetwork": true,
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "ports": [{"containerPort": 80}]
            }
        ]
    }
}
"#;

#[test]
fn json_manifests_are_edited_in_their_own_layout() {
    let fixes = vec![
        (
            0,
            set(
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                json!(false),
            ),
        ),
        (0, set("spec.hostNetwork", json!(false))),
        (0, set("metadata.labels.tier", json!("front"))),
        (
            0,
            Fix::remove(
                "remove ports",
                FixSafety::Unsafe,
                ObjectPath::parse("spec.containers[0].ports"),
            ),
        ),
    ];
    let out = fix_text(JSON_POD, edits(JSON_POD, fixes));
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        out.text,
        r#"{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
    "spec": {
        "hostNetwork": false,
        "containers": [
            {
                "name": "app",
                "image": "nginx:1.27",
                "securityContext": {
                    "allowPrivilegeEscalation": false
                }
            }
        ]
    }
}
"#
    );
    // Fixed once, nothing is left to change.
    let again = fix_text(
        &out.text,
        edits(&out.text, vec![(0, set("spec.hostNetwork", json!(false)))]),
    );
    assert!(again.applied.is_empty());
    assert_eq!(again.text, out.text);
}

#[test]
fn items_of_a_json_list_are_fixed_and_the_others_stay_byte_for_byte() {
    let text = "{\r\n  \"apiVersion\": \"v1\",\r\n  \"kind\": \"List\",\r\n  \"items\": [\r\n    {\r\n      \"kind\": \"Pod\",\r\n      \"spec\": {\"hostPID\": true}\r\n    },\r\n    {\r\n      \"kind\": \"Pod\",\r\n      \"spec\": {\r\n        \"hostPID\": true\r\n      }\r\n    }\r\n  ]\r\n}";
    let list = parse_stream(text, Limits::default())
        .remove(0)
        .unwrap()
        .root;
    let second = list.get("items").unwrap().as_seq().unwrap()[1].span;
    let edit = |path: &str| ObjectEdit {
        control: "TEST-001",
        fix: set(path, json!(false)),
        object: second,
    };
    let out = fix_text(text, vec![edit("spec.hostPID"), edit("spec.hostIPC")]);
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    // The new line follows the file's CRLF endings and its two-space step; no trailing newline
    // is added.
    assert_eq!(
        out.text,
        text.replace(
            "\"hostPID\": true\r\n      }",
            "\"hostPID\": false,\r\n        \"hostIPC\": false\r\n      }"
        )
    );
    assert_eq!(
        objects(&out.text)[0]["items"][0]["spec"]["hostPID"],
        json!(true)
    );
}

#[test]
fn broken_json_is_refused_not_damaged() {
    // Valid YAML (so it loads), not JSON the editor accepts: a flow mapping with a plain key.
    let text = "{apiVersion: v1, kind: Pod, spec: {hostPID: true}}\n";
    let out = fix_text(
        text,
        edits(text, vec![(0, set("spec.hostPID", json!(false)))]),
    );
    assert_eq!(out.text, text);
    assert_eq!(out.rejected.len(), 1, "{:?}", out.rejected);
    assert!(
        out.rejected[0]
            .reason
            .starts_with("cannot edit this document"),
        "{:?}",
        out.rejected
    );
}

#[test]
fn empty_parents_are_refused_not_damaged() {
    let text = "spec:\n  securityContext:\n  x: 1\n";
    let out = fix_text(
        text,
        edits(
            text,
            vec![(0, set("spec.securityContext.runAsNonRoot", json!(true)))],
        ),
    );
    assert_eq!(out.text, text);
    assert!(
        out.rejected[0].reason.contains("empty"),
        "{:?}",
        out.rejected
    );
}

#[test]
fn a_second_run_of_the_same_fixes_changes_nothing() {
    let fix = set(
        "spec.template.spec.containers[0].securityContext.privileged",
        json!(false),
    );
    let once = fix_text(TWO_DOCS, edits(TWO_DOCS, vec![(0, fix.clone())]));
    let twice = fix_text(&once.text, edits(&once.text, vec![(0, fix)]));
    assert_eq!(twice.text, once.text);
    assert!(twice.applied.is_empty());
}

#[test]
fn files_without_a_final_newline_do_not_gain_one() {
    let text = "spec:\n  a: true";
    let out = fix_text(text, edits(text, vec![(0, set("spec.a", json!(false)))]));
    assert_eq!(out.text, "spec:\n  a: false");
}

#[test]
fn removing_the_field_on_a_dash_line_moves_the_next_field_up() {
    let text = "ports:\n- hostPort: 6700\n  containerPort: 6700\n- hostPort: 6701 # x\n  containerPort: 6701\n";
    let remove = |path: &str| Fix::remove("remove", FixSafety::Unsafe, ObjectPath::parse(path));
    let out = fix_text(
        text,
        edits(
            text,
            vec![
                (0, remove("ports[0].hostPort")),
                (0, remove("ports[1].hostPort")),
            ],
        ),
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        out.text,
        "ports:\n- containerPort: 6700\n- containerPort: 6701\n"
    );
}

#[test]
fn removing_items_of_a_flow_sequence_keeps_the_others_as_written() {
    let text = "rules:\n- verbs: [\"get\", list, 'exec']\n  resources: [pods, nodes/proxy]\n";
    let remove = |path: &str| Fix::remove("remove", FixSafety::Unsafe, ObjectPath::parse(path));
    let out = fix_text(
        text,
        edits(
            text,
            vec![
                (0, remove("rules[0].verbs[2]")),
                (0, remove("rules[0].resources[0]")),
            ],
        ),
    );
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
    assert_eq!(
        out.text,
        "rules:\n- verbs: [\"get\", list]\n  resources: [nodes/proxy]\n"
    );
}

#[test]
fn a_removal_that_would_take_a_comment_line_is_refused() {
    let text = "kind: Pod\nspec:\n  volumes:\n  - name: v\n    hostPath:\n      # why this path\n      path: /x\n";
    let fix = Fix::remove(
        "remove",
        FixSafety::Unsafe,
        ObjectPath::parse("spec.volumes[0].hostPath"),
    );
    let out = fix_text(text, edits(text, vec![(0, fix)]));
    assert_eq!(out.text, text);
    assert!(
        out.rejected[0].reason.contains("a comment sits inside"),
        "{:?}",
        out.rejected
    );
}

#[test]
fn a_fix_that_cannot_be_written_does_not_hold_back_the_others() {
    let text = "spec:\n  securityContext:\n  a: true\n";
    let fixes = vec![
        (0, set("spec.securityContext.runAsNonRoot", json!(true))),
        (0, set("spec.a", json!(false))),
    ];
    let out = fix_text(text, edits(text, fixes));
    assert_eq!(out.text, "spec:\n  securityContext:\n  a: false\n");
    assert_eq!(out.applied.len(), 1);
    assert_eq!(out.rejected.len(), 1);
    assert!(
        out.rejected[0].reason.contains("is empty"),
        "{:?}",
        out.rejected
    );
}

#[test]
fn windows_line_endings_are_kept_on_new_lines() {
    let text = "spec:\r\n  containers:\r\n  - name: a\r\n    image: x\r\n";
    let out = fix_text(
        text,
        edits(
            text,
            vec![(
                0,
                set(
                    "spec.containers[0].securityContext.privileged",
                    json!(false),
                ),
            )],
        ),
    );
    assert_eq!(
        out.text,
        "spec:\r\n  containers:\r\n  - name: a\r\n    image: x\r\n    securityContext:\r\n      privileged: false\r\n"
    );
}
