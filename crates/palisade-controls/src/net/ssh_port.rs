use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::service::{is_service, ports, service_spec};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// The SSH port.
const SSH: i64 = 22;

declare_control! {
    /// ## What it checks
    /// - In workloads: every container and init container that declares `containerPort: 22`
    ///   with protocol TCP (the default).
    /// - In Services: every port whose `port` or numeric `targetPort` is 22 with protocol TCP.
    ///   A named `targetPort` is not resolved.
    ///
    /// Declaring a port is informational in Kubernetes, so a container can run an SSH server
    /// without declaring it; this control only sees declared ports.
    ///
    /// ## Why it matters
    /// An SSH server inside a container is a second way in that bypasses Kubernetes: its logins
    /// are not subject to RBAC, not recorded in the API server's audit log, and often protected
    /// by a password or a key baked into the image. It is a favourite target for brute-force
    /// attacks and a common sign of a container used like a virtual machine. `kubectl exec`
    /// already gives authorised users a shell, with RBAC and audit.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     ports:
    ///       - containerPort: 22
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     ports:
    ///       - containerPort: 8080
    /// ```
    ///
    /// ## How to fix
    /// Remove the SSH server from the image and the port from the manifest; use `kubectl exec`
    /// or `kubectl debug` for interactive access. Deleting the port declaration alone would
    /// not stop the server, so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - MITRE ATT&CK T1133 (External Remote Services)
    /// - Kubernetes documentation: Get a Shell to a Running Container; Debug Running Pods
    pub struct SshPort {
        id: "NET-004",
        title: "SSH port exposed",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[kube_linter("ssh-port"), kubescape("C-0042")],
        remediation: "Remove the SSH server and port 22; use kubectl exec or kubectl debug for shell access.",
        fix: FixAvailability::None,
    }
}

fn is_tcp(protocol: Option<&str>) -> bool {
    protocol.is_none_or(|p| p.eq_ignore_ascii_case("TCP"))
}

fn check_service(resource: &Resource) -> Result<Verdict, Skip> {
    let Some(spec) = service_spec(resource)? else {
        return Ok(Verdict::pass());
    };
    let spec_path = ObjectPath::root().key("spec");
    let mut violations = Vec::new();
    for port in ports(spec)? {
        if !is_tcp(Some(port.protocol)) {
            continue;
        }
        let path = spec_path.key("ports").index(port.index);
        // A string targetPort names a container port; only a number can be judged.
        let target = port.node.get_present("targetPort");
        let target_number = target.and_then(|t| t.as_i64());
        if port.port == Some(SSH) {
            let forwarded = match (target_number, target.and_then(|t| t.as_str())) {
                (Some(n), _) if n != SSH => format!(", forwarded to targetPort {n}"),
                (None, Some(name)) => format!(", forwarded to targetPort {name}"),
                _ => String::new(),
            };
            violations.push(Violation::new(
                path.key("port"),
                format!("Service exposes port 22 (SSH){forwarded}"),
            ));
        } else if target_number == Some(SSH) {
            let exposed = port.port.map_or_else(|| "?".to_string(), |p| p.to_string());
            violations.push(Violation::new(
                path.key("targetPort"),
                format!("Service port {exposed} forwards to targetPort 22 (SSH)"),
            ));
        }
    }
    Ok(Verdict::Checked(violations))
}

impl Check for SshPort {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if is_service(resource) {
            return check_service(resource);
        }
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        for container in pod.containers()? {
            for (j, port) in container.node.seq_field("ports")?.iter().enumerate() {
                let port = port.expect_map("ports")?;
                if port.int_field("containerPort")? == Some(SSH)
                    && is_tcp(port.str_field("protocol")?)
                {
                    violations.push(Violation::new(
                        container.path.key("ports").index(j).key("containerPort"),
                        format!("{} declares containerPort 22 (SSH)", container.label()),
                    ));
                }
            }
        }
        Ok(Verdict::Checked(violations))
    }
}
