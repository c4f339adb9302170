use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, PssLevel, Resource, Severity, Violation,
};

use super::common::policy_at_least;
use crate::control::{Check, Context, Skip, Verdict};
use crate::workload::pod_spec;

/// Where a container names handlers: probes directly under the container, lifecycle hooks
/// under `lifecycle`.
const HANDLERS: &[&[&str]] = &[
    &["livenessProbe"],
    &["readinessProbe"],
    &["startupProbe"],
    &["lifecycle", "postStart"],
    &["lifecycle", "preStop"],
];

/// Handler kinds that can name a host.
const ACTIONS: &[&str] = &["httpGet", "tcpSocket"];

declare_control! {
    /// ## What it checks
    /// The `host` field of `httpGet` and `tcpSocket` handlers in every container's
    /// `livenessProbe`, `readinessProbe` and `startupProbe`, and in its `lifecycle.postStart`
    /// and `lifecycle.preStop` hooks (init, regular and ephemeral containers alike). This is
    /// the Pod Security Standards baseline check "Host Probes / Lifecycle Hooks", added in
    /// Kubernetes 1.34: any non-empty `host` fails, whatever address it names, including
    /// `127.0.0.1`. Handlers without `host` target the pod itself and pass; `exec` and `grpc`
    /// handlers are not looked at. The control does not apply when scanning for a Kubernetes
    /// version older than 1.34.
    ///
    /// ## Why it matters
    /// The kubelet runs probes and HTTP/TCP hooks from the node, with the node's network
    /// position. A handler pointed at another host makes the kubelet connect wherever the pod
    /// author chooses: to services that only trust the node, to the node's loopback
    /// interface, to cloud metadata endpoints. That is a server-side request forgery channel
    /// that bypasses NetworkPolicies.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     host: 169.254.169.254
    ///     path: /healthz
    ///     port: 80
    /// ```
    /// Fixed:
    /// ```yaml
    /// livenessProbe:
    ///   httpGet:
    ///     path: /healthz
    ///     port: 8080
    /// ```
    ///
    /// ## How to fix
    /// Remove `host` so the probe or hook targets the pod's own IP, and check the pod itself.
    /// If the check must reach the application under a particular virtual host name, set the
    /// `Host` header in `httpHeaders` instead. The automatic fix removes `host`; it is marked
    /// unsafe because the handler then talks to a different address.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: Host Probes / Lifecycle Hooks
    pub struct HostProbes {
        id: "POD-012",
        title: "Probe or lifecycle hook targets another host",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[],
        remediation: "Remove the host field from httpGet and tcpSocket probes and lifecycle hooks so they target the pod itself; use an httpHeaders Host header for virtual hosts.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for HostProbes {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !policy_at_least(cx, 34) {
            return Ok(Verdict::NotApplicable);
        }
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for steps in HANDLERS {
                // Walk to the handler, treating a missing or null step as "no handler".
                let mut handler = Some(container.node);
                for step in *steps {
                    handler = match handler {
                        Some(node) => node.map_field(step)?,
                        None => None,
                    };
                }
                let Some(handler) = handler else {
                    continue;
                };
                for action in ACTIONS {
                    let Some(target) = handler.map_field(action)? else {
                        continue;
                    };
                    let host = target.str_field("host")?.unwrap_or("");
                    if host.is_empty() {
                        continue;
                    }
                    let path = container.path.keys(steps).keys(&[action, "host"]);
                    let name = steps.join(".");
                    violations.push(
                        Violation::new(
                            path.clone(),
                            format!("{} {name} {action} targets host {host}", container.label()),
                        )
                        .with_fix(Fix::remove(
                            "remove host so the handler targets the pod",
                            FixSafety::Unsafe,
                            path,
                        )),
                    );
                }
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
