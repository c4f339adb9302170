//! Findings on a live cluster → one JSON Patch per object a person edits.
//!
//! A finding is moved up its chain of controllers to the topmost one the inventory holds (a
//! Pod's fix goes to the Deployment behind its ReplicaSet, a Job's to its CronJob) with its
//! paths rewritten into the owner's template. The fixes of one object are planned together as
//! in a file (conflicts reported, identical fixes kept once) and written as a JSON Patch.
//! Objects whose chain carries the marks of a GitOps tool are flagged: a patch would be
//! reverted on the tool's next sync, so the source is what needs the fix.

use std::collections::BTreeMap;
use std::fmt;

use palisade_core::{Fix, FixOp, InventoryIndex, Node, ObjectPath, Resource, ResourceId, Segment};
use serde_json::Value;

use crate::patch::{json_patch, shell_quote};
use crate::plan::{Edit, Rejected, plan_document};
use crate::tree;

/// The GitOps tool that owns an object, and the source to fix instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Management {
    /// Argo CD, with the Application that syncs the object.
    ArgoCd { application: String },
    /// Flux, with the `Kustomization` or `HelmRelease` that applies it.
    Flux {
        kind: &'static str,
        namespace: String,
        name: String,
    },
}

impl fmt::Display for Management {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Management::ArgoCd { application } => {
                write!(f, "Argo CD (Application {application})")
            }
            Management::Flux {
                kind,
                namespace,
                name,
            } => write!(f, "Flux ({kind} {namespace}/{name})"),
        }
    }
}

fn label<'a>(resource: &'a Resource, key: &str) -> Option<&'a str> {
    resource
        .root
        .at(&["metadata", "labels", key])
        .and_then(Node::as_str)
        .filter(|v| !v.is_empty())
}

/// The GitOps tool that manages `resource`, from its own marks ([`gitops`]) or, for Argo CD's
/// label tracking (the default before Argo CD 3.0), from an Argo CD Application in the
/// inventory named by its `app.kubernetes.io/instance` label: that label alone is also what
/// Helm charts set, so it counts only when such an Application exists.
fn managed(index: &InventoryIndex<'_>, resource: &Resource) -> Option<Management> {
    gitops(resource).or_else(|| {
        let instance = label(resource, "app.kubernetes.io/instance")?;
        index
            .of_kind("argoproj.io", "Application")
            .any(|app| app.id.name == instance)
            .then(|| Management::ArgoCd {
                application: instance.to_string(),
            })
    })
}

/// The GitOps tool whose marks `resource` carries, if any. Argo CD writes the annotation
/// `argocd.argoproj.io/tracking-id` (`<application>:<group>/<kind>:<namespace>/<name>`) with
/// annotation tracking, and may be configured to label with `argocd.argoproj.io/instance`;
/// Flux labels what it applies with the name and namespace of its Kustomization or
/// HelmRelease.
pub fn gitops(resource: &Resource) -> Option<Management> {
    if let Some(tracking) = resource
        .annotation("argocd.argoproj.io/tracking-id")
        .filter(|v| !v.is_empty())
    {
        let application = tracking.split_once(':').map_or(tracking, |(app, _)| app);
        return Some(Management::ArgoCd {
            application: application.to_string(),
        });
    }
    if let Some(application) = label(resource, "argocd.argoproj.io/instance") {
        return Some(Management::ArgoCd {
            application: application.to_string(),
        });
    }
    for (kind, prefix) in [
        ("Kustomization", "kustomize.toolkit.fluxcd.io"),
        ("HelmRelease", "helm.toolkit.fluxcd.io"),
    ] {
        if let Some(name) = label(resource, &format!("{prefix}/name")) {
            let namespace = label(resource, &format!("{prefix}/namespace"))
                .or(resource.id.namespace.as_deref())
                .unwrap_or_default();
            return Some(Management::Flux {
                kind,
                namespace: namespace.to_string(),
                name: name.to_string(),
            });
        }
    }
    None
}

/// Where the fields of a `child` sit in an `owner` (API group, kind) that controls it: the keys
/// a child path must start with (taken off) and the keys put in front instead. `None` for an
/// owner whose template Palisade does not know, custom resources named like built-in kinds
/// included.
fn template_of(
    child: &str,
    owner_group: &str,
    owner: &str,
) -> Option<(&'static [&'static str], &'static [&'static str])> {
    match (child, owner_group, owner) {
        ("Pod", "apps", "ReplicaSet" | "StatefulSet" | "DaemonSet")
        | ("Pod", "", "ReplicationController")
        | ("Pod", "batch", "Job") => Some((&[], &["spec", "template"])),
        ("ReplicaSet", "apps", "Deployment") => {
            Some((&["spec", "template"], &["spec", "template"]))
        }
        ("Job", "batch", "CronJob") => Some((&[], &["spec", "jobTemplate"])),
        _ => None,
    }
}

/// The fields a template carries: a Pod's (or Job's) spec, labels and annotations.
fn templated(path: &[Segment<'_>]) -> bool {
    let key = |i: usize| match path.get(i) {
        Some(Segment::Key(k)) => Some(k.as_ref()),
        _ => None,
    };
    match key(0) {
        Some("spec") => true,
        Some("metadata") => matches!(key(1), Some("labels" | "annotations")),
        _ => false,
    }
}

/// One step up a chain of controllers.
#[derive(Clone, Copy, Debug)]
struct Lift {
    strip: &'static [&'static str],
    prefix: &'static [&'static str],
}

impl Lift {
    fn apply(&self, path: Vec<Segment<'static>>) -> Option<Vec<Segment<'static>>> {
        let stripped = self
            .strip
            .iter()
            .enumerate()
            .all(|(i, k)| matches!(path.get(i), Some(Segment::Key(p)) if p == k));
        if !stripped {
            return None;
        }
        let rest = &path[self.strip.len()..];
        if !templated(rest) {
            return None;
        }
        let mut out: Vec<Segment<'static>> = self
            .prefix
            .iter()
            .map(|k| Segment::Key((*k).into()))
            .collect();
        out.extend_from_slice(rest);
        Some(out)
    }
}

/// The object a person edits for a finding on some resource.
#[derive(Debug)]
pub struct Target<'a> {
    pub object: &'a Resource,
    /// The resource the findings were made on (`object` itself when nothing was lifted).
    found_on: &'a Resource,
    /// The GitOps tool managing the object or anything on the chain up to it.
    pub managed_by: Option<Management>,
    lifts: Vec<Lift>,
}

impl Target<'_> {
    /// A fix of the finding's resource, rewritten for the target object, or why it cannot be.
    fn lift(&self, fix: &Fix) -> Result<Fix, String> {
        if self.lifts.is_empty() {
            return Ok(fix.clone());
        }
        // List positions are copied from the resource into the owner's template, so every
        // item a path steps into must be the same item in both: an injected sidecar or an
        // older template puts other containers at those positions.
        let found_on = self.found_on.root.to_json();
        let object = self.object.root.to_json();
        let lift_path = |path: &ObjectPath| -> Result<ObjectPath, String> {
            let original = path.owned_segments();
            let lifted = self
                .lifts
                .iter()
                .try_fold(original.clone(), |p, lift| lift.apply(p))
                .ok_or_else(|| {
                    format!(
                        "changes a field of the {} that its {} does not carry",
                        self.found_on.kind(),
                        self.object.kind()
                    )
                })?;
            same_items(&found_on, &original, &object, &lifted).map_err(|item| {
                format!(
                    "`{item}` of the {} is not the same item in its {}'s template: fix it by hand",
                    self.found_on.kind(),
                    self.object.kind()
                )
            })?;
            Ok(ObjectPath::from_segments(&lifted))
        };
        let ops = fix
            .ops
            .iter()
            .map(|op| {
                Ok(match op {
                    FixOp::Set { path, value } => FixOp::Set {
                        path: lift_path(path)?,
                        value: value.clone(),
                    },
                    FixOp::Append { path, value } => FixOp::Append {
                        path: lift_path(path)?,
                        value: value.clone(),
                    },
                    FixOp::Remove { path } => FixOp::Remove {
                        path: lift_path(path)?,
                    },
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Fix {
            description: fix.description.clone(),
            safety: fix.safety,
            ops,
        })
    }
}

/// Whether every list item that `original` steps into in `from` is the same item at the
/// matching step of `lifted` in `to` (`original` is a suffix of `lifted`): the same `name` for
/// named items, equal otherwise. The error is the first item that differs.
fn same_items(
    from: &Value,
    original: &[Segment<'static>],
    to: &Value,
    lifted: &[Segment<'static>],
) -> Result<(), String> {
    let offset = lifted.len().checked_sub(original.len());
    let Some(offset) = offset.filter(|&o| lifted[o..] == *original) else {
        return Err(tree::display(original));
    };
    for (i, segment) in original.iter().enumerate() {
        if !matches!(segment, Segment::Index(_)) {
            continue;
        }
        let here = tree::lookup(from, &original[..=i]);
        let there = tree::lookup(to, &lifted[..=offset + i]);
        let name = |item: Option<&Value>| item.and_then(|v| v.get("name")).cloned();
        let same = match (here, there) {
            (Some(a), Some(b)) => match name(here) {
                Some(n) => name(there) == Some(n),
                None => a == b,
            },
            _ => false,
        };
        if !same {
            return Err(tree::display(&original[..=i]));
        }
    }
    Ok(())
}

/// The controller named by an object's owner references (apiVersion's group, kind, name).
fn controller(resource: &Resource) -> Option<(String, String, String)> {
    resource
        .root
        .at(&["metadata", "ownerReferences"])?
        .as_seq()?
        .iter()
        .find(|owner| owner.get("controller").and_then(Node::as_bool) == Some(true))
        .and_then(|owner| {
            let field = |key| owner.get(key).and_then(Node::as_str);
            let group = field("apiVersion")?
                .split_once('/')
                .map_or("", |(group, _)| group);
            Some((
                group.to_string(),
                field("kind")?.to_string(),
                field("name")?.to_string(),
            ))
        })
}

/// Longer chains do not occur; the cap keeps a cycle of owner references from looping.
const MAX_CHAIN: usize = 8;

/// The topmost controller of `resource` that the inventory holds, or why its fixes cannot be
/// moved there.
pub fn target<'a>(
    index: &InventoryIndex<'a>,
    resource: &'a Resource,
) -> Result<Target<'a>, String> {
    let mut object = resource;
    let mut lifts = Vec::new();
    let mut managed_by = managed(index, resource);
    for _ in 0..MAX_CHAIN {
        let Some((group, kind, name)) = controller(object) else {
            break;
        };
        if kind == "Node" && group.is_empty() {
            return Err(format!(
                "a static Pod mirrored from node {name}: edit its manifest on the node"
            ));
        }
        let Some(owner) = index.find(&group, &kind, object.id.namespace.as_deref(), &name) else {
            return Err(format!(
                "controlled by {kind} {name}, which was not read: patch the object that owns it"
            ));
        };
        let Some((strip, prefix)) = template_of(object.kind(), &group, &kind) else {
            return Err(format!(
                "controlled by {kind} {name}: a patch of the {} would be undone, fix the {kind}",
                object.kind()
            ));
        };
        lifts.push(Lift { strip, prefix });
        managed_by = managed_by.or_else(|| managed(index, owner));
        object = owner;
    }
    Ok(Target {
        object,
        found_on: resource,
        managed_by,
        lifts,
    })
}

/// A fix to bring to a live object: the finding's control, its fix, and the resource it was
/// found on.
#[derive(Clone, Debug)]
pub struct LiveFix<'a> {
    pub control: &'static str,
    pub fix: Fix,
    pub resource: &'a Resource,
}

/// What one object's patch does.
#[derive(Debug)]
pub struct ObjectPatch {
    pub object: ResourceId,
    pub managed_by: Option<Management>,
    /// The fixes the patch carries: control and description, in control order.
    pub fixes: Vec<(&'static str, String)>,
    /// The RFC 6902 operations; never empty.
    pub operations: Vec<Value>,
    /// The object as the patch leaves it (server bookkeeping as read).
    pub expected: Value,
}

impl ObjectPatch {
    /// Appends the patch planned for this object as `self` leaves it: JSON Patch operations
    /// apply in order, so the two run as one.
    pub fn follow_with(&mut self, next: ObjectPatch) {
        self.fixes.extend(next.fixes);
        self.operations.extend(next.operations);
        self.expected = next.expected;
        self.managed_by = self.managed_by.take().or(next.managed_by);
    }
}

/// Every object's patch, and the fixes left out with why.
#[derive(Debug, Default)]
pub struct LivePlan {
    /// In object order.
    pub patches: Vec<ObjectPatch>,
    pub rejected: Vec<Rejected>,
}

/// Groups the fixes by the object a person edits and plans each object's patch.
pub fn plan_live(index: &InventoryIndex<'_>, fixes: Vec<LiveFix<'_>>) -> LivePlan {
    let mut plan = LivePlan::default();
    let mut per_object: BTreeMap<ResourceId, (Target<'_>, Vec<Edit>)> = BTreeMap::new();
    for LiveFix {
        control,
        fix,
        resource,
    } in fixes
    {
        let refuse = |reason: String| Rejected {
            control,
            description: fix.description.to_string(),
            reason,
        };
        let target = match target(index, resource) {
            Ok(target) => target,
            Err(reason) => {
                plan.rejected.push(refuse(reason));
                continue;
            }
        };
        let lifted = match target.lift(&fix) {
            Ok(lifted) => lifted,
            Err(reason) => {
                plan.rejected.push(refuse(reason));
                continue;
            }
        };
        let edit = Edit {
            control,
            fix: lifted,
            prefix: Vec::new(),
        };
        per_object
            .entry(target.object.id.clone())
            .or_insert_with(|| (target, Vec::new()))
            .1
            .push(edit);
    }
    for (id, (target, edits)) in per_object {
        let original = target.object.root.to_json();
        let document = plan_document(&original, edits);
        plan.rejected.extend(document.rejected);
        if document.accepted.is_empty() {
            continue;
        }
        match json_patch(&original, &document.ops) {
            Ok(operations) if !operations.is_empty() => plan.patches.push(ObjectPatch {
                object: id,
                managed_by: target.managed_by,
                fixes: document
                    .accepted
                    .iter()
                    .map(|e| (e.control, e.fix.description.to_string()))
                    .collect(),
                operations,
                expected: document.expected,
            }),
            Ok(_) => {}
            Err(reason) => plan
                .rejected
                .extend(document.accepted.iter().map(|e| Rejected {
                    control: e.control,
                    description: e.fix.description.to_string(),
                    reason: reason.clone(),
                })),
        }
    }
    plan
}

/// How `kubectl` reaches the cluster: the flags the user gave Palisade, repeated.
#[derive(Clone, Debug, Default)]
pub struct KubectlTarget {
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
}

/// The resource name `kubectl` resolves to exactly this kind: the bare kind for the core,
/// `apps` and `batch` groups (as people type it), `kind.group` otherwise.
pub fn kubectl_resource(id: &ResourceId) -> String {
    let kind = id.kind.to_ascii_lowercase();
    match id.group() {
        "" | "apps" | "batch" => kind,
        group => format!("{kind}.{group}"),
    }
}

/// `kubectl patch … --type=json -p '…'`, every word quoted for a POSIX shell.
pub fn kubectl_patch_command(id: &ResourceId, operations: &[Value], to: &KubectlTarget) -> String {
    let mut words = vec![
        "kubectl".to_string(),
        "patch".to_string(),
        shell_quote(&kubectl_resource(id)),
        shell_quote(&id.name),
    ];
    if let Some(namespace) = &id.namespace {
        words.push("-n".into());
        words.push(shell_quote(namespace));
    }
    if let Some(kubeconfig) = &to.kubeconfig {
        words.push("--kubeconfig".into());
        words.push(shell_quote(kubeconfig));
    }
    if let Some(context) = &to.context {
        words.push("--context".into());
        words.push(shell_quote(context));
    }
    words.push("--type=json".into());
    words.push("-p".into());
    let patch = serde_json::to_string(operations).unwrap_or_default();
    words.push(shell_quote(&patch));
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use palisade_core::{FixSafety, Inventory, Origin};
    use serde_json::json;

    fn resource(object: Value) -> Resource {
        let root = Node::from_json(&object);
        Resource {
            id: ResourceId::of_object(&root).unwrap(),
            root,
            origin: Origin::default(),
        }
    }

    fn owned(mut object: Value, kind: &str, name: &str) -> Value {
        let api_version = if kind == "Job" || kind == "CronJob" {
            "batch/v1"
        } else {
            "apps/v1"
        };
        object["metadata"]["ownerReferences"] = json!([
            {"apiVersion": "v1", "kind": "Other", "name": "x"},
            {"apiVersion": api_version, "kind": kind, "name": name, "controller": true}
        ]);
        object
    }

    fn pod(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "shop"},
               "spec": {"containers": [{"name": "app", "image": "app:1"}]}})
    }

    fn chain() -> Inventory {
        let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop",
                         "labels": {"kustomize.toolkit.fluxcd.io/name": "apps",
                                    "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
            "spec": {"template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "app:1"}]}}}});
        let mut rs = json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": "web-1", "namespace": "shop"},
            "spec": {"replicas": 1, "template": deployment["spec"]["template"].clone()}});
        rs = owned(rs, "Deployment", "web");
        let cronjob = json!({"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": {"name": "nightly", "namespace": "shop"},
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": {"spec":
                {"containers": [{"name": "app", "image": "app:1"}]}}}}}});
        let job = owned(
            json!({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "nightly-1", "namespace": "shop"},
                   "spec": {"template": {"spec": {"containers": [{"name": "app", "image": "app:1"}]}}}}),
            "CronJob",
            "nightly",
        );
        Inventory {
            resources: [
                deployment,
                rs,
                owned(pod("web-1-a"), "ReplicaSet", "web-1"),
                owned(pod("web-1-b"), "ReplicaSet", "web-1"),
                cronjob,
                job,
                owned(pod("nightly-1-a"), "Job", "nightly-1"),
                owned(pod("orphan"), "ReplicaSet", "gone"),
                pod("bare"),
            ]
            .into_iter()
            .map(resource)
            .collect(),
            ..Inventory::default()
        }
    }

    fn no_escalation(path: &str) -> Fix {
        Fix::set(
            "set allowPrivilegeEscalation: false",
            FixSafety::Safe,
            ObjectPath::parse(path),
            json!(false),
        )
    }

    fn by_name<'a>(inventory: &'a Inventory, name: &str) -> &'a Resource {
        inventory
            .resources
            .iter()
            .find(|r| r.id.name == name)
            .unwrap()
    }

    #[test]
    fn fixes_of_pods_and_replicasets_become_one_patch_of_the_deployment() {
        let inventory = chain();
        let index = InventoryIndex::new(&inventory);
        let pod_fix = no_escalation("spec.containers[0].securityContext.allowPrivilegeEscalation");
        let fixes = vec![
            LiveFix {
                control: "POD-014",
                fix: pod_fix.clone(),
                resource: by_name(&inventory, "web-1-a"),
            },
            LiveFix {
                control: "POD-014",
                fix: pod_fix,
                resource: by_name(&inventory, "web-1-b"),
            },
            LiveFix {
                control: "POD-014",
                fix: no_escalation(
                    "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation",
                ),
                resource: by_name(&inventory, "web-1"),
            },
        ];
        let plan = plan_live(&index, fixes);
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        assert_eq!(plan.patches.len(), 1);
        let patch = &plan.patches[0];
        assert_eq!(
            (patch.object.kind.as_str(), patch.object.name.as_str()),
            ("Deployment", "web")
        );
        assert_eq!(patch.fixes.len(), 1, "identical fixes are kept once");
        assert_eq!(
            patch.operations.last().unwrap()["path"],
            "/spec/template/spec/containers/0/securityContext"
        );
        assert_eq!(
            patch.managed_by,
            Some(Management::Flux {
                kind: "Kustomization",
                namespace: "flux-system".into(),
                name: "apps".into()
            })
        );
    }

    #[test]
    fn a_cronjobs_pods_are_fixed_in_its_job_template() {
        let inventory = chain();
        let index = InventoryIndex::new(&inventory);
        let target = target(&index, by_name(&inventory, "nightly-1-a")).unwrap();
        assert_eq!(target.object.id.name, "nightly");
        let fix = target
            .lift(&no_escalation(
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
            ))
            .unwrap();
        let FixOp::Set { path, .. } = &fix.ops[0] else {
            panic!()
        };
        assert_eq!(
            path.as_str(),
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation"
        );
        // A Pod's own metadata (its name) has no place in the template.
        let name = Fix::set(
            "rename",
            FixSafety::Safe,
            ObjectPath::parse("metadata.name"),
            json!("x"),
        );
        assert!(target.lift(&name).is_err());
    }

    #[test]
    fn items_that_are_not_the_same_in_the_template_are_refused() {
        let mut inventory = chain();
        // An injected proxy comes first in the Pod but not in the Deployment's template.
        let mut injected = owned(pod("web-1-c"), "ReplicaSet", "web-1");
        injected["spec"]["containers"] =
            json!([{"name": "proxy", "image": "proxy:1"}, {"name": "app", "image": "app:1"}]);
        inventory.resources.push(resource(injected));
        let index = InventoryIndex::new(&inventory);
        let target = target(&index, by_name(&inventory, "web-1-c")).unwrap();
        assert_eq!(target.object.id.name, "web");
        let proxy = no_escalation("spec.containers[0].securityContext.allowPrivilegeEscalation");
        let why = target.lift(&proxy).unwrap_err();
        assert!(why.contains("`spec.containers[0]` of the Pod"), "{why}");
        let app = no_escalation("spec.containers[1].securityContext.allowPrivilegeEscalation");
        assert!(
            target.lift(&app).is_err(),
            "no second container in the template"
        );
    }

    #[test]
    fn custom_resources_named_like_built_in_controllers_are_not_templates() {
        let volcano_job = json!({"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job",
            "metadata": {"name": "train", "namespace": "ml"}});
        let mut worker = pod("train-worker-0");
        worker["metadata"]["namespace"] = json!("ml");
        worker["metadata"]["ownerReferences"] = json!([{"apiVersion": "batch.volcano.sh/v1alpha1",
            "kind": "Job", "name": "train", "controller": true}]);
        let inventory = Inventory {
            resources: vec![resource(volcano_job), resource(worker)],
            ..Inventory::default()
        };
        let index = InventoryIndex::new(&inventory);
        let why = target(&index, &inventory.resources[1]).unwrap_err();
        assert!(why.contains("would be undone"), "{why}");
    }

    #[test]
    fn objects_whose_controller_is_missing_or_unknown_are_not_patched() {
        let inventory = chain();
        let index = InventoryIndex::new(&inventory);
        let orphan = target(&index, by_name(&inventory, "orphan")).unwrap_err();
        assert!(
            orphan.contains("ReplicaSet gone, which was not read"),
            "{orphan}"
        );
        let bare = target(&index, by_name(&inventory, "bare")).unwrap();
        assert_eq!(bare.object.id.name, "bare");
        assert!(bare.managed_by.is_none());
        let mirror = resource(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "etcd-node1", "namespace": "kube-system", "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": "node1", "controller": true}]}}));
        let inventory = Inventory {
            resources: vec![mirror],
            ..Inventory::default()
        };
        let index = InventoryIndex::new(&inventory);
        let why = target(&index, &inventory.resources[0]).unwrap_err();
        assert!(why.contains("static Pod mirrored from node node1"), "{why}");
    }

    #[test]
    fn argo_cd_marks_name_the_application() {
        let tracked = resource(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "labels": {"app.kubernetes.io/instance": "payments-api"},
                         "annotations": {"argocd.argoproj.io/tracking-id": "payments-api:apps/Deployment:payments/api"}}}));
        assert_eq!(
            gitops(&tracked),
            Some(Management::ArgoCd {
                application: "payments-api".into()
            })
        );
        let labelled = resource(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"argocd.argoproj.io/instance": "legacy"}}}));
        assert_eq!(
            gitops(&labelled).unwrap().to_string(),
            "Argo CD (Application legacy)"
        );
        // The label Helm charts set is no sign of Argo CD by itself.
        let helm = resource(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app.kubernetes.io/instance": "x"}}}));
        assert_eq!(gitops(&helm), None);
        let without_argo = Inventory {
            resources: vec![helm.clone()],
            ..Inventory::default()
        };
        assert_eq!(managed(&InventoryIndex::new(&without_argo), &helm), None);
        // ... unless an Argo CD Application of that name exists (label tracking).
        let application = resource(json!({"apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application", "metadata": {"name": "x", "namespace": "argocd"}}));
        let with_argo = Inventory {
            resources: vec![helm.clone(), application],
            ..Inventory::default()
        };
        assert_eq!(
            managed(&InventoryIndex::new(&with_argo), &helm),
            Some(Management::ArgoCd {
                application: "x".into()
            })
        );
        let flux = resource(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "apps", "labels": {"helm.toolkit.fluxcd.io/name": "podinfo"}}}));
        assert_eq!(
            gitops(&flux).unwrap().to_string(),
            "Flux (HelmRelease apps/podinfo)"
        );
    }

    #[test]
    fn commands_name_the_resource_as_kubectl_resolves_it_and_quote_every_word() {
        let id = ResourceId {
            cluster: None,
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("payments".into()),
            name: "web".into(),
        };
        let ops = vec![json!({"op": "add", "path": "/metadata/annotations/a~1b", "value": "it's"})];
        let to = KubectlTarget {
            kubeconfig: None,
            context: Some("prod east".into()),
        };
        assert_eq!(
            kubectl_patch_command(&id, &ops, &to),
            r#"kubectl patch deployment web -n payments --context 'prod east' --type=json -p '[{"op":"add","path":"/metadata/annotations/a~1b","value":"it'\''s"}]'"#
        );
        let role = ResourceId {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: "ClusterRole".into(),
            namespace: None,
            ..id
        };
        assert_eq!(
            kubectl_resource(&role),
            "clusterrole.rbac.authorization.k8s.io"
        );
        assert!(!kubectl_patch_command(&role, &ops, &KubectlTarget::default()).contains(" -n "));
    }
}
