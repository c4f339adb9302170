use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::common::judge_host_paths;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

/// File names of container runtime and image builder API sockets.
const SOCKET_FILES: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
    "dockershim.sock",
    "podman.sock",
    "frakti.sock",
    "buildkitd.sock",
];

/// Directories that hold a runtime socket directly, as component lists.
const SOCKET_DIRS: &[&[&str]] = &[
    &["run"],
    &["var", "run"],
    &["run", "docker"],
    &["var", "run", "docker"],
    &["run", "containerd"],
    &["var", "run", "containerd"],
    &["run", "crio"],
    &["var", "run", "crio"],
    &["run", "podman"],
    &["var", "run", "podman"],
    &["run", "buildkit"],
    &["var", "run", "buildkit"],
];

/// Why a host path exposes a runtime socket, if it does.
fn exposes_socket(components: &[&str]) -> Option<&'static str> {
    if components
        .last()
        .is_some_and(|last| SOCKET_FILES.contains(last))
    {
        return Some("which is a container runtime socket");
    }
    if SOCKET_DIRS.contains(&components) {
        return Some("which holds container runtime sockets");
    }
    None
}

declare_control! {
    /// ## What it checks
    /// `hostPath` volumes that give the pod a container runtime's API socket. A volume fails
    /// when its path (after removing repeated and trailing slashes) is
    /// - a file named `docker.sock`, `containerd.sock`, `crio.sock`, `cri-dockerd.sock`,
    ///   `dockershim.sock`, `podman.sock`, `frakti.sock` or `buildkitd.sock`, wherever it lives
    ///   (this covers `/var/run/docker.sock`, `/run/containerd/containerd.sock`,
    ///   `/run/k3s/containerd/containerd.sock` and rootless sockets under `/run/user/<uid>/`); or
    /// - a directory that holds such a socket directly: `/run`, `/var/run`, and the
    ///   `docker`, `containerd`, `crio`, `podman` and `buildkit` directories under either.
    ///
    /// Mounting a parent such as `/` or `/var` also exposes the socket; POD-023 reports those
    /// as sensitive host paths.
    ///
    /// ## Why it matters
    /// The runtime socket is the API that starts containers on the node, and it does what it
    /// is asked with root privileges. A process that can talk to it can start a privileged
    /// container with the host filesystem mounted, read every other container's data, or stop
    /// them: the node is as good as taken over.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: agent
    ///     image: example/agent:1.0
    ///     volumeMounts:
    ///       - name: docker
    ///         mountPath: /var/run/docker.sock
    /// volumes:
    ///   - name: docker
    ///     hostPath:
    ///       path: /var/run/docker.sock
    /// ```
    /// Fixed: remove the volume and its mounts, and give the agent what it needs some other
    /// way (for example the kubelet's or the metrics server's API).
    ///
    /// ## How to fix
    /// Remove the volume. Build images with a daemonless builder that runs unprivileged, and
    /// read container metadata through the Kubernetes API. A node agent that truly needs the
    /// socket should run in a dedicated, tightly controlled namespace with a recorded
    /// exception. The machine fix is unsafe (`palisade fix --unsafe-fixes`): the volume becomes an
    /// `emptyDir` of the same name, which takes the runtime away from a workload that needs it.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.11 (minimise hostPath volumes)
    /// - NSA-CISA Kubernetes Hardening Guide: Pod security enforcement
    /// - MITRE ATT&CK T1611 (Escape to Host), T1609 (Container Administration Command),
    ///   T1610 (Deploy Container)
    pub struct RuntimeSocketMount {
        id: "POD-022",
        title: "Container runtime socket mounted",
        severity: Severity::Critical,
        family: Family::Pod,
        pss: None,
        aliases: &[kubescape("C-0074"), trivy("KSV-0006"), checkov("CKV_K8S_27"), kube_linter("docker-sock")],
        remediation: "Remove the hostPath volume that exposes the container runtime socket; use the Kubernetes API or a daemonless builder instead.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for RuntimeSocketMount {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        judge_host_paths(cx, resource, exposes_socket)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::path_components;
    use super::*;

    fn exposes(path: &str) -> bool {
        exposes_socket(&path_components(path)).is_some()
    }

    #[test]
    fn matches_sockets_and_their_directories_only() {
        assert!(exposes("/var/run/docker.sock"));
        assert!(exposes("/run/containerd/containerd.sock"));
        assert!(exposes("/run/k3s/containerd/containerd.sock"));
        assert!(exposes("/run/user/1000/podman/podman.sock"));
        assert!(exposes("/var/run/"));
        assert!(exposes("//run/containerd//"));
        assert!(!exposes("/"));
        assert!(!exposes("/var"));
        assert!(!exposes("/var/run/secrets"));
        assert!(!exposes("/var/lib/docker"));
        assert!(!exposes("/var/run/docker.sock.bak"));
        assert!(!exposes("/var/lib/kubelet/plugins/csi.sock"));
    }
}
