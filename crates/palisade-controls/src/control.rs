use std::borrow::Cow;

use palisade_core::{ControlMeta, Inventory, InventoryIndex, Resource, Span, TypeError, Violation};

use crate::settings::Settings;

/// What a check may look at besides the resource itself.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub settings: &'a Settings,
    /// Every resource of the scan, for checks that relate objects to each other.
    pub inventory: &'a Inventory,
    /// Lookups into `inventory`; use these rather than scanning it, which would make a scan
    /// quadratic.
    pub index: &'a InventoryIndex<'a>,
}

impl<'a> Context<'a> {
    /// Every scanned resource of `kind` in API `group` (empty for core).
    pub fn of_kind<'r>(
        &self,
        group: &'r str,
        kind: &'r str,
    ) -> impl Iterator<Item = &'a Resource> + 'r
    where
        'a: 'r,
    {
        self.index.of_kind(group, kind)
    }

    /// Every scanned resource of `kind` in API `group` that shares `resource`'s namespace. Two
    /// objects that set no namespace both land in whatever namespace `kubectl` targets, so they
    /// count as sharing it.
    pub fn of_kind_beside<'r>(
        &self,
        group: &'r str,
        kind: &'r str,
        resource: &'r Resource,
    ) -> impl Iterator<Item = &'a Resource> + 'r
    where
        'a: 'r,
    {
        self.index
            .of_kind_in(group, kind, resource.id.namespace.as_deref())
    }

    /// Whether two objects of the scan end up in the same namespace, for checks that relate
    /// workloads to the Services and NetworkPolicies beside them. Objects that name a
    /// namespace do when they name the same one. Objects that set none land wherever they are
    /// applied: Palisade takes one `kubectl apply -f <directory>`, or one rendered Helm chart or
    /// Kustomization, to put its objects in one namespace, so two such objects are applied
    /// together when they come from the same directory or the same rendered output. (A
    /// folder of unrelated examples would otherwise have every Service select pods of every
    /// other example.)
    pub fn applied_together(&self, a: &Resource, b: &Resource) -> bool {
        if a.id.namespace.is_some() || b.id.namespace.is_some() {
            return a.id.namespace == b.id.namespace;
        }
        match (a.origin.source, b.origin.source) {
            (Some(x), Some(y)) if x == y => true,
            (Some(x), Some(y)) => {
                let (x, y) = (self.inventory.source(x), self.inventory.source(y));
                x.rendered_by.is_none()
                    && y.rendered_by.is_none()
                    && std::path::Path::new(&*x.path).parent()
                        == std::path::Path::new(&*y.path).parent()
            }
            // Objects not read from text come from a cluster, where nothing namespaced lacks
            // a namespace.
            _ => true,
        }
    }

    /// The scanned resource with this identity, if any.
    pub fn find(
        &self,
        group: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&'a Resource> {
        self.index.find(group, kind, namespace, name)
    }
}

/// A check's judgement of one resource.
#[derive(Debug, PartialEq)]
pub enum Verdict {
    /// The control does not apply to this kind of resource.
    NotApplicable,
    /// The control applied; no violations means it passed.
    Checked(Vec<Violation>),
}

impl Verdict {
    pub fn pass() -> Self {
        Verdict::Checked(Vec::new())
    }
}

/// The check could not judge the resource (a field of the wrong type, missing data). Reported
/// as "not evaluated", never as a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    /// Usually a fixed sentence, so it borrows rather than allocates.
    pub reason: Cow<'static, str>,
    pub span: Option<Span>,
}

impl Skip {
    pub fn new(reason: impl Into<Cow<'static, str>>) -> Self {
        Skip {
            reason: reason.into(),
            span: None,
        }
    }
}

impl Skip {
    /// A problem found in another object than the one judged (a NetworkPolicy, when judging a
    /// Deployment): the reason names that object, and there is no span, because a span locates
    /// a field in the judged object's file.
    pub fn in_other(resource: &Resource, reason: impl std::fmt::Display) -> Self {
        let namespace = match &resource.id.namespace {
            Some(ns) => format!(" in namespace `{ns}`"),
            None => String::new(),
        };
        Skip::new(format!(
            "{} `{}`{namespace}: {reason}",
            resource.kind(),
            resource.id.name
        ))
    }
}

impl From<TypeError> for Skip {
    fn from(err: TypeError) -> Self {
        Skip {
            reason: err.to_string().into(),
            span: err.span.is_known().then_some(err.span),
        }
    }
}

/// How far a check looks for the other objects it reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadScope {
    /// Only objects in the judged resource's namespace; for a Namespace object, the namespace
    /// it names (see `ResourceId::scope_namespace`).
    Namespace,
    /// Objects anywhere in the cluster.
    Cluster,
}

/// A kind of object a check reads besides the resource it judges (a pod's ServiceAccount, the
/// LimitRanges of its namespace). When a cluster scan could not list that kind, the check's
/// verdicts cannot be trusted and are reported as "not evaluated"; `palisade watch` re-runs the
/// check when an object of that kind changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reads {
    /// API group, empty for core.
    pub group: &'static str,
    pub kind: &'static str,
    pub scope: ReadScope,
}

impl Reads {
    pub const fn namespace(group: &'static str, kind: &'static str) -> Self {
        Reads {
            group,
            kind,
            scope: ReadScope::Namespace,
        }
    }

    pub const fn cluster(group: &'static str, kind: &'static str) -> Self {
        Reads {
            group,
            kind,
            scope: ReadScope::Cluster,
        }
    }
}

/// A built-in control: metadata plus a check.
pub trait Control: Send + Sync {
    fn meta(&self) -> &'static ControlMeta;

    /// The other kinds the check reads; see [`Reads`].
    fn reads(&self) -> &'static [Reads];

    /// Judges one resource. Must not panic on any input.
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip>;
}

/// The metadata half of a control; `declare_control!` implements it.
pub trait Described {
    const META: ControlMeta;
}

/// The check half of a control; each control file implements it.
pub trait Check {
    /// The other kinds the check reads; empty for checks that look at the resource alone.
    const READS: &'static [Reads] = &[];

    /// Judges one resource. Must not panic on any input.
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip>;
}

impl<T: Described + Check + Send + Sync> Control for T {
    fn meta(&self) -> &'static ControlMeta {
        &T::META
    }

    fn reads(&self) -> &'static [Reads] {
        T::READS
    }

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        Check::check(self, cx, resource)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(inventory: &mut Inventory, path: &str, text: &str) {
        let source = inventory.add_source(path, text);
        let mut diagnostics = Vec::new();
        palisade_load::load_source(
            inventory,
            source,
            Default::default(),
            &|_| None,
            &mut diagnostics,
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
    }

    #[test]
    fn objects_without_a_namespace_are_applied_together_per_directory() {
        let object = |name: &str, namespace: &str| {
            format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n{namespace}")
        };
        let mut inventory = Inventory::default();
        load(&mut inventory, "shop/web.yaml", &object("web", ""));
        load(&mut inventory, "shop/db.yaml", &object("db", ""));
        load(&mut inventory, "blog/web.yaml", &object("blog", ""));
        load(
            &mut inventory,
            "blog/named.yaml",
            &object("named", "  namespace: blog\n"),
        );
        let index = InventoryIndex::new(&inventory);
        let settings = Settings::default();
        let cx = Context {
            settings: &settings,
            inventory: &inventory,
            index: &index,
        };
        let [web, db, blog, named] = &inventory.resources[..] else {
            panic!("four objects");
        };
        assert!(cx.applied_together(web, db));
        assert!(!cx.applied_together(web, blog));
        assert!(!cx.applied_together(blog, named));
        assert!(cx.applied_together(named, named));
    }
}
