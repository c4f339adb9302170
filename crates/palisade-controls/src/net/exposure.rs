use std::collections::HashMap;

use palisade_core::{
    DerivedFrom, Family, FixAvailability, Node, Resource, Severity, TypeError, Violation,
};

use super::isolation::pods_of;
use super::lookup;
use super::service::{describe_ports, is_service, ports};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;
use crate::selector::{LabelSelector, Labels};
use crate::workload::{controlled_by_scanned_workload, pod_spec};

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
/// The Gateway API route kinds whose rules send traffic to `backendRefs`.
const ROUTE_KINDS: &[&str] = &["HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"];
/// What the cross-namespace route lookup is built from.
const ROUTES: DerivedFrom = DerivedFrom::Kinds(&[
    (GATEWAY_GROUP, "HTTPRoute"),
    (GATEWAY_GROUP, "GRPCRoute"),
    (GATEWAY_GROUP, "TLSRoute"),
    (GATEWAY_GROUP, "TCPRoute"),
    (GATEWAY_GROUP, "UDPRoute"),
]);
/// The API groups that have served Ingress.
const INGRESS_GROUPS: &[&str] = &["networking.k8s.io", "extensions"];
/// At most this many exposure paths are spelled out in a message.
const SHOWN: usize = 5;

declare_control! {
    /// ## What it checks
    /// Every workload (a Pod, or anything with a pod template) whose pods can be reached from
    /// outside the cluster, with each way in spelled out. A pod is exposed when a Service of
    /// its namespace selects it (the Service's `spec.selector` labels all match the pod
    /// template's labels; a Service without a selector selects no pods) and:
    /// - the Service is of `type: LoadBalancer` or `type: NodePort`
    ///   (`Service shop/web (type LoadBalancer, port 80/TCP)`); or
    /// - an Ingress (`networking.k8s.io` or `extensions`) of the namespace routes to the
    ///   Service, through a rule or its default backend
    ///   (`Ingress shop/web (shop.example.com/) → Service web (port 80)`); or
    /// - a Gateway API route (`HTTPRoute`, `GRPCRoute`, `TLSRoute`, `TCPRoute`, `UDPRoute` of
    ///   `gateway.networking.k8s.io`, any version) attached to a Gateway lists the Service in
    ///   its rules' `backendRefs` (`HTTPRoute shop/web via Gateway infra/public → Service web
    ///   (port 8080)`). A route in another namespace counts when a `ReferenceGrant` in the
    ///   Service's namespace lets routes of that kind and namespace refer to Services, as the
    ///   Gateway API requires. Routes whose only parents are Services (service-mesh routing
    ///   inside the cluster) are not exposure.
    ///
    /// This control identifies exposed workloads; NET-001 and NET-002 judge how the Services
    /// themselves are exposed, NET-003 whether an Ingress uses TLS. A finding here is a fact to
    /// weigh with the workload's other findings (a privileged, exposed pod is the first to
    /// fix), hence its informational severity. Objects another workload controls (a
    /// Deployment's ReplicaSets and Pods) are judged through their owner.
    ///
    /// Not followed: Services of `type: ExternalName` or with `externalIPs` only, a Gateway's
    /// own listeners and addresses (whether the Gateway is internet-facing is the
    /// infrastructure's business), Ingress controllers' custom resources (Traefik
    /// IngressRoute, Istio VirtualService, Contour HTTPProxy), and HTTPRoute request mirrors.
    /// A scan of manifests sees only the paths whose objects it holds. Objects that set no
    /// namespace land wherever they are applied, so they are related only to objects without
    /// one from the same directory, or the same rendered Helm chart or Kustomization: what one
    /// `kubectl apply` puts in one namespace.
    ///
    /// ## Why it matters
    /// Exposure decides how much every other weakness matters. A vulnerable library, a
    /// debugging endpoint or a privileged container is one request away from an attacker when
    /// the pod is reachable from the internet, and several steps away when it is not. Knowing
    /// exactly which workloads are exposed, and through which Service, Ingress or route, is
    /// what lets a team fix the exposed ones first and notice when a new route quietly
    /// publishes something internal.
    ///
    /// ## Example
    /// Reported (the Ingress routes to a Service that selects the Deployment's pods):
    /// ```yaml
    /// kind: Deployment
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     metadata:
    ///       labels:
    ///         app: admin
    /// ---
    /// kind: Service
    /// metadata:
    ///   name: admin
    ///   namespace: shop
    /// spec:
    ///   selector:
    ///     app: admin
    /// ---
    /// kind: Ingress
    /// metadata:
    ///   name: shop
    ///   namespace: shop
    /// spec:
    ///   rules:
    ///     - host: shop.example.com
    ///       http:
    ///         paths:
    ///           - path: /admin
    ///             pathType: Prefix
    ///             backend:
    ///               service:
    ///                 name: admin
    ///                 port:
    ///                   number: 80
    /// ```
    /// Not reported (the admin interface stays inside the cluster): the same Deployment and
    /// Service, with the `/admin` path removed from the Ingress.
    ///
    /// ## How to fix
    /// Publish only what must be public. Remove the Ingress path, route or Service type that
    /// exposes an internal workload, and reach it with `kubectl port-forward` or through a
    /// VPN instead. For workloads that are meant to be public, suppress the finding with an
    /// inline ignore that records why, and make sure the rest of their findings are fixed.
    /// Which workloads are meant to be public only you know, so Palisade offers no automatic
    /// fix.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening
    /// - MITRE ATT&CK T1190 (Exploit Public-Facing Application), T1133 (External Remote
    ///   Services)
    /// - Kubernetes documentation: Service, Ingress; Gateway API: HTTPRoute, ReferenceGrant
    pub struct ExposedWorkload {
        id: "NET-009",
        title: "Workload exposed outside the cluster",
        severity: Severity::Info,
        family: Family::Net,
        pss: None,
        aliases: &[kubescape("C-0256")],
        remediation: "Expose only workloads that must be public: remove the Service type, Ingress path or Gateway route that publishes an internal workload, and suppress the finding, with a reason, where exposure is intended.",
        fix: FixAvailability::None,
    }
}

/// `shop/web`, or `web` for an object without a namespace.
fn qualified(resource: &Resource) -> String {
    match &resource.id.namespace {
        Some(ns) => format!("{ns}/{}", resource.id.name),
        None => resource.id.name.to_string(),
    }
}

/// A Service of the workload's namespace that selects its pods.
struct Selecting<'a> {
    service: &'a Resource,
    spec: &'a Node,
}

impl Selecting<'_> {
    fn name(&self) -> &str {
        &self.service.id.name
    }
}

/// The Services beside `resource` whose selector matches `labels`. A Service whose selector
/// cannot be read is recorded in `problem`.
fn selecting_services<'a>(
    cx: &Context<'a>,
    resource: &Resource,
    labels: Labels<'_>,
    problem: &mut Option<Skip>,
) -> Vec<Selecting<'a>> {
    let mut out = Vec::new();
    for service in lookup::services(cx, resource, labels) {
        if !is_service(service) || !cx.applied_together(resource, service) {
            continue;
        }
        let selected = (|| -> Result<Option<&'a Node>, TypeError> {
            let Some(spec) = service.root.map_field("spec")? else {
                return Ok(None);
            };
            let Some(selector) = spec.map_field("selector")? else {
                return Ok(None);
            };
            let selector = LabelSelector::from_map(selector)?;
            // An empty selector selects nothing: the Service's endpoints are managed by hand.
            Ok((!selector.is_empty() && selector.matches(labels)).then_some(spec))
        })();
        match selected {
            Ok(Some(spec)) => out.push(Selecting { service, spec }),
            Ok(None) => {}
            Err(err) => {
                problem.get_or_insert_with(|| Skip::in_other(service, err));
            }
        }
    }
    out
}

/// `port 80`, `port http`, or nothing when the backend names no port.
fn port_phrase(port: Option<&Node>) -> String {
    match port {
        Some(p) => match (p.as_i64(), p.as_str()) {
            (Some(n), _) => format!(" (port {n})"),
            (None, Some(name)) => format!(" (port {name})"),
            _ => String::new(),
        },
        None => String::new(),
    }
}

/// One backend of an Ingress: the Service it names, its port, and where in the Ingress.
struct IngressBackend<'a> {
    service: &'a str,
    port: Option<&'a Node>,
    /// `shop.example.com/api`, `default backend`.
    place: String,
}

/// Reads one backend in either spelling: `service.name`/`service.port` (`networking.k8s.io/v1`)
/// or `serviceName`/`servicePort` (the `v1beta1` versions).
fn ingress_backend<'a>(
    backend: &'a Node,
    place: String,
) -> Result<Option<IngressBackend<'a>>, TypeError> {
    let backend = backend.expect_map("backend")?;
    if let Some(service) = backend.map_field("service")? {
        let Some(name) = service.str_field("name")? else {
            return Ok(None);
        };
        let port = match service.map_field("port")? {
            Some(port) => port
                .get_present("number")
                .or_else(|| port.get_present("name")),
            None => None,
        };
        return Ok(Some(IngressBackend {
            service: name,
            port,
            place,
        }));
    }
    Ok(backend
        .str_field("serviceName")?
        .map(|name| IngressBackend {
            service: name,
            port: backend.get_present("servicePort"),
            place,
        }))
}

fn ingress_backends(ingress: &Resource) -> Result<Vec<IngressBackend<'_>>, TypeError> {
    let mut out = Vec::new();
    let Some(spec) = ingress.root.map_field("spec")? else {
        return Ok(out);
    };
    for key in ["defaultBackend", "backend"] {
        if let Some(backend) = spec.get_present(key) {
            out.extend(ingress_backend(backend, "default backend".to_string())?);
        }
    }
    for rule in spec.seq_field("rules")? {
        let rule = rule.expect_map("rules")?;
        let host = rule.str_field("host")?.unwrap_or("*");
        let Some(http) = rule.map_field("http")? else {
            continue;
        };
        for path in http.seq_field("paths")? {
            let path = path.expect_map("paths")?;
            let place = format!("{host}{}", path.str_field("path")?.unwrap_or("/"));
            if let Some(backend) = path.get_present("backend") {
                out.extend(ingress_backend(backend, place)?);
            }
        }
    }
    Ok(out)
}

/// One `backendRef` of a route that names a core Service.
struct RouteBackend<'a> {
    service: &'a str,
    /// The Service's namespace, when the reference names one.
    namespace: Option<&'a str>,
    port: Option<&'a Node>,
}

/// The route's rules' `backendRefs` that name core Services (`group` empty or unset, `kind`
/// `Service` or unset).
fn route_backends(route: &Resource) -> Result<Vec<RouteBackend<'_>>, TypeError> {
    let mut out = Vec::new();
    let Some(spec) = route.root.map_field("spec")? else {
        return Ok(out);
    };
    for rule in spec.seq_field("rules")? {
        for backend in rule.expect_map("rules")?.seq_field("backendRefs")? {
            let backend = backend.expect_map("backendRefs")?;
            let group = backend.str_field("group")?.unwrap_or("");
            let kind = backend.str_field("kind")?.unwrap_or("Service");
            let Some(name) = backend.str_field("name")? else {
                continue;
            };
            if group.is_empty() && kind == "Service" {
                out.push(RouteBackend {
                    service: name,
                    namespace: backend.str_field("namespace")?,
                    port: backend.get_present("port"),
                });
            }
        }
    }
    Ok(out)
}

/// The Gateways a route attaches to, as `namespace/name`; empty when it attaches to none (a
/// route whose parents are Services routes traffic inside a service mesh).
fn route_gateways(route: &Resource) -> Result<Vec<String>, TypeError> {
    let mut out = Vec::new();
    let Some(spec) = route.root.map_field("spec")? else {
        return Ok(out);
    };
    for parent in spec.seq_field("parentRefs")? {
        let parent = parent.expect_map("parentRefs")?;
        let group = parent.str_field("group")?.unwrap_or(GATEWAY_GROUP);
        let kind = parent.str_field("kind")?.unwrap_or("Gateway");
        if group != GATEWAY_GROUP || kind != "Gateway" {
            continue;
        }
        let name = parent.str_field("name")?.unwrap_or("?");
        out.push(
            match parent
                .str_field("namespace")?
                .or(route.id.namespace.as_deref())
            {
                Some(ns) => format!("{ns}/{name}"),
                None => name.to_string(),
            },
        );
    }
    Ok(out)
}

/// Routes that send traffic to Services of another namespace, by that namespace: built once
/// per scan, so a workload looks only at the routes that point into its own namespace.
struct CrossNamespaceRoutes(HashMap<String, Vec<u32>>);

fn cross_namespace_routes(cx: &Context<'_>) -> CrossNamespaceRoutes {
    let mut by_namespace: HashMap<String, Vec<u32>> = HashMap::new();
    for kind in ROUTE_KINDS {
        for (position, route) in cx.index.of_kind_at(GATEWAY_GROUP, kind) {
            // Malformed routes are reported by the check that reads them; here they are
            // simply skipped.
            let Ok(backends) = route_backends(route) else {
                continue;
            };
            let own = route.id.namespace.as_deref();
            let mut targets: Vec<&str> = backends
                .iter()
                .filter_map(|b| b.namespace)
                .filter(|ns| Some(*ns) != own)
                .collect();
            targets.sort_unstable();
            targets.dedup();
            for target in targets {
                by_namespace
                    .entry(target.to_string())
                    .or_default()
                    .push(position);
            }
        }
    }
    CrossNamespaceRoutes(by_namespace)
}

/// Whether a ReferenceGrant in `namespace` lets routes of `kind` in `from_namespace` refer to
/// the Service `service`.
fn granted(
    cx: &Context<'_>,
    namespace: &str,
    kind: &str,
    from_namespace: &str,
    service: &str,
) -> Result<bool, Skip> {
    for grant in cx
        .index
        .of_kind_in(GATEWAY_GROUP, "ReferenceGrant", Some(namespace))
    {
        let allows = (|| -> Result<bool, TypeError> {
            let Some(spec) = grant.root.map_field("spec")? else {
                return Ok(false);
            };
            let mut from_ok = false;
            for from in spec.seq_field("from")? {
                let from = from.expect_map("from")?;
                from_ok |= from.str_field("group")? == Some(GATEWAY_GROUP)
                    && from.str_field("kind")? == Some(kind)
                    && from.str_field("namespace")? == Some(from_namespace);
            }
            let mut to_ok = false;
            for to in spec.seq_field("to")? {
                let to = to.expect_map("to")?;
                to_ok |= to.str_field("group")?.unwrap_or("").is_empty()
                    && to.str_field("kind")? == Some("Service")
                    && to.str_field("name")?.is_none_or(|n| n == service);
            }
            Ok(from_ok && to_ok)
        })()
        .map_err(|err| Skip::in_other(grant, err))?;
        if allows {
            return Ok(true);
        }
    }
    Ok(false)
}

impl Check for ExposedWorkload {
    const READS: &'static [Reads] = &[
        Reads::namespace("", "Service"),
        Reads::namespace("networking.k8s.io", "Ingress"),
        Reads::namespace("extensions", "Ingress"),
        // Routes may point at a Service of another namespace.
        Reads::cluster(GATEWAY_GROUP, "HTTPRoute"),
        Reads::cluster(GATEWAY_GROUP, "GRPCRoute"),
        Reads::cluster(GATEWAY_GROUP, "TLSRoute"),
        Reads::cluster(GATEWAY_GROUP, "TCPRoute"),
        Reads::cluster(GATEWAY_GROUP, "UDPRoute"),
        Reads::namespace(GATEWAY_GROUP, "ReferenceGrant"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        if controlled_by_scanned_workload(cx, resource)? {
            return Ok(Verdict::NotApplicable);
        }
        let labels = Labels::of_metadata(pod.metadata);
        let mut problem = None;
        let services = selecting_services(cx, resource, labels, &mut problem);
        let mut paths: Vec<String> = Vec::new();
        let mut add = |path: String| {
            if !paths.contains(&path) {
                paths.push(path);
            }
        };
        let namespace = resource.id.namespace.as_deref();
        let service_name = |name: &str| match namespace {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_string(),
        };

        for service in &services {
            match service.spec.str_field("type") {
                Ok(Some(kind @ ("LoadBalancer" | "NodePort"))) => {
                    let ports = ports(service.spec).map(|p| describe_ports(&p));
                    add(format!(
                        "Service {} (type {kind}, {})",
                        qualified(service.service),
                        ports.unwrap_or_else(|_| "ports unreadable".to_string())
                    ));
                }
                Ok(_) => {}
                Err(err) => {
                    problem.get_or_insert_with(|| Skip::in_other(service.service, err));
                }
            }
        }
        if services.is_empty() {
            return match problem {
                Some(problem) => Err(problem),
                None => Ok(Verdict::pass()),
            };
        }
        let selects = |name: &str| services.iter().any(|s| s.name() == name);

        for group in INGRESS_GROUPS {
            for ingress in cx.of_kind_beside(group, "Ingress", resource) {
                if !cx.applied_together(resource, ingress) {
                    continue;
                }
                match ingress_backends(ingress) {
                    Ok(backends) => {
                        for backend in backends.iter().filter(|b| selects(b.service)) {
                            add(format!(
                                "Ingress {} ({}) → Service {}{}",
                                qualified(ingress),
                                backend.place,
                                backend.service,
                                port_phrase(backend.port)
                            ));
                        }
                    }
                    Err(err) => {
                        problem.get_or_insert_with(|| Skip::in_other(ingress, err));
                    }
                }
            }
        }

        let mut routes: Vec<(&str, &Resource)> = Vec::new();
        for kind in ROUTE_KINDS {
            routes.extend(
                cx.of_kind_beside(GATEWAY_GROUP, kind, resource)
                    .filter(|r| cx.applied_together(resource, r))
                    .map(|r| (*kind, r)),
            );
        }
        if let Some(ns) = namespace {
            let cross = cx.index.derived(ROUTES, || cross_namespace_routes(cx));
            for &position in cross.0.get(ns).map_or(&[][..], Vec::as_slice) {
                if let Some(route) = cx.index.at(position) {
                    routes.push((route.kind(), route));
                }
            }
        }
        for (kind, route) in routes {
            let read = route_backends(route).and_then(|b| Ok((b, route_gateways(route)?)));
            let (backends, gateways) = match read {
                Ok(read) => read,
                Err(err) => {
                    problem.get_or_insert_with(|| Skip::in_other(route, err));
                    continue;
                }
            };
            if gateways.is_empty() {
                continue;
            }
            let route_namespace = route.id.namespace.as_deref();
            for backend in backends {
                let target = backend.namespace.or(route_namespace);
                if target != namespace || !selects(backend.service) {
                    continue;
                }
                if target != route_namespace {
                    let (Some(target), Some(from)) = (target, route_namespace) else {
                        continue;
                    };
                    match granted(cx, target, kind, from, backend.service) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(skip) => {
                            problem.get_or_insert(skip);
                            continue;
                        }
                    }
                }
                add(format!(
                    "{kind} {} via Gateway {} → Service {}{}",
                    qualified(route),
                    gateways.join(", "),
                    service_name(backend.service),
                    port_phrase(backend.port)
                ));
            }
        }

        if paths.is_empty() {
            return match problem {
                Some(problem) => Err(problem),
                None => Ok(Verdict::pass()),
            };
        }
        let count = paths.len();
        let mut shown = paths[..count.min(SHOWN)].join("; ");
        if count > SHOWN {
            shown.push_str(&format!("; and {} more", count - SHOWN));
        }
        let message = format!(
            "{} can be reached from outside the cluster through {}: {shown}",
            pods_of(resource),
            if count == 1 {
                "one path".to_string()
            } else {
                format!("{count} paths")
            }
        );
        Ok(Verdict::Checked(vec![Violation::new(
            pod.metadata_path.key("labels"),
            message,
        )]))
    }
}
