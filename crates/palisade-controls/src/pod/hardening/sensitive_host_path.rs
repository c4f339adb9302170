use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::common::{display_path, judge_host_paths};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

/// A sensitive place on the node.
struct Sensitive {
    path: &'static [&'static str],
    /// Whether everything below the path is sensitive too, not only the path and its parents.
    subtree: bool,
    what: &'static str,
}

const fn dir(path: &'static [&'static str], what: &'static str) -> Sensitive {
    Sensitive {
        path,
        subtree: false,
        what,
    }
}

const fn tree(path: &'static [&'static str], what: &'static str) -> Sensitive {
    Sensitive {
        path,
        subtree: true,
        what,
    }
}

/// The documented list; keep it in step with the table in the control's documentation.
const SENSITIVE: &[Sensitive] = &[
    dir(&[], "the node's whole filesystem"),
    dir(&["etc"], "the node's configuration"),
    tree(
        &["etc", "kubernetes"],
        "the node's Kubernetes credentials and static pod manifests",
    ),
    tree(&["root"], "the root user's home directory"),
    tree(&["home"], "users' home directories"),
    tree(&["proc"], "the node's processes and kernel settings"),
    dir(&["sys"], "the kernel's and devices' control files"),
    dir(&["dev"], "the node's devices"),
    dir(&["boot"], "the kernel and boot loader"),
    dir(&["run"], "runtime state and sockets"),
    dir(&["var", "run"], "runtime state and sockets"),
    dir(&["var", "lib", "kubelet"], "the kubelet's state"),
    tree(
        &["var", "lib", "kubelet", "pods"],
        "every pod's volumes, Secrets included",
    ),
    tree(
        &["var", "lib", "kubelet", "pki"],
        "the kubelet's credentials",
    ),
    dir(
        &["var", "lib", "docker"],
        "container images and filesystems",
    ),
    dir(
        &["var", "lib", "containerd"],
        "container images and filesystems",
    ),
    dir(
        &["var", "lib", "containers"],
        "container images and filesystems",
    ),
    tree(
        &["var", "lib", "etcd"],
        "the etcd database, which holds every Secret",
    ),
    dir(&["var", "log"], "the node's logs"),
    dir(&["bin"], "the node's programs"),
    dir(&["sbin"], "the node's programs"),
    dir(&["lib"], "the node's libraries"),
    dir(&["usr"], "the node's programs and libraries"),
];

/// Why a host path is sensitive, as the end of a sentence, if it is.
fn classify(components: &[&str]) -> Option<String> {
    if let Some(s) = SENSITIVE.iter().find(|s| s.path == components) {
        return Some(format!("which exposes {}", s.what));
    }
    if let Some(s) = SENSITIVE
        .iter()
        .filter(|s| s.subtree && components.starts_with(s.path))
        .max_by_key(|s| s.path.len())
    {
        return Some(format!(
            "which is inside {} ({})",
            display_path(s.path),
            s.what
        ));
    }
    SENSITIVE
        .iter()
        .find(|s| s.path.len() > components.len() && s.path.starts_with(components))
        .map(|s| format!("which contains {} ({})", display_path(s.path), s.what))
}

declare_control! {
    /// ## What it checks
    /// `hostPath` volumes whose path is a sensitive place on the node, a parent of one, or,
    /// for the places marked "and below", anything inside one. Paths are compared by
    /// component after removing repeated and trailing slashes, so `/etc/` matches `/etc` but
    /// `/etcd` does not.
    ///
    /// | host path | what it exposes | and below |
    /// |---|---|---|
    /// | `/` | the node's whole filesystem | |
    /// | `/etc` | the node's configuration | |
    /// | `/etc/kubernetes` | the node's Kubernetes credentials and static pod manifests | yes |
    /// | `/root`, `/home` | home directories (SSH keys, kubeconfigs) | yes |
    /// | `/proc` | the node's processes and kernel settings | yes |
    /// | `/sys`, `/dev`, `/boot` | kernel and device control, devices, the kernel itself | |
    /// | `/run`, `/var/run` | runtime state and sockets | |
    /// | `/var/lib/kubelet` | the kubelet's state | |
    /// | `/var/lib/kubelet/pods`, `/var/lib/kubelet/pki` | every pod's volumes; the kubelet's credentials | yes |
    /// | `/var/lib/docker`, `/var/lib/containerd`, `/var/lib/containers` | container images and filesystems | |
    /// | `/var/lib/etcd` | the etcd database | yes |
    /// | `/var/log` | the node's logs | |
    /// | `/bin`, `/sbin`, `/lib`, `/usr` | the node's programs and libraries | |
    ///
    /// Because parents match, `/var` and `/var/lib` fail too. Places without "and below" match
    /// only themselves and their parents: common read-only mounts such as `/etc/ssl/certs`,
    /// `/lib/modules`, `/sys/fs/cgroup` or `/var/log/pods` pass here (POD-026 still reports
    /// them when they are writable, and the Pod Security Standards check reports every
    /// hostPath volume).
    ///
    /// ## Why it matters
    /// These paths hold what the node runs on: credentials, other pods' Secrets, the process
    /// table, devices, and programs the node executes as root. Reading them leaks secrets;
    /// writing them takes over the node. Even a read-only mount of `/proc` or
    /// `/var/lib/kubelet/pods` gives a compromised container far more than it needs.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// volumes:
    ///   - name: host-etc
    ///     hostPath:
    ///       path: /etc
    /// ```
    /// Fixed: mount only the file the application needs, read-only, or better, deliver it
    /// through a ConfigMap:
    /// ```yaml
    /// volumes:
    ///   - name: ca-certs
    ///     hostPath:
    ///       path: /etc/ssl/certs
    ///       type: Directory
    /// ```
    ///
    /// ## How to fix
    /// Replace the hostPath volume with a ConfigMap, Secret, projected or emptyDir volume.
    /// Node agents that must read host state should mount the narrowest path possible,
    /// read-only, and run under a recorded exception. The machine fix is unsafe: the volume
    /// becomes an `emptyDir` of the same name.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.11 (minimise hostPath volumes)
    /// - NSA-CISA Kubernetes Hardening Guide: Pod security enforcement
    /// - MITRE ATT&CK T1611 (Escape to Host), T1552.001 (Credentials In Files)
    pub struct SensitiveHostPath {
        id: "POD-023",
        title: "Sensitive host path mounted",
        severity: Severity::High,
        family: Family::Pod,
        pss: None,
        aliases: &[trivy("KSV-0121"), kube_linter("sensitive-host-mounts")],
        remediation: "Replace the hostPath volume with a ConfigMap, Secret or emptyDir volume, or mount the narrowest non-sensitive path read-only.",
        fix: FixAvailability::Unsafe,
    }
}

impl Check for SensitiveHostPath {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        judge_host_paths(cx, resource, classify)
    }
}

#[cfg(test)]
mod tests {
    use super::super::common::path_components;
    use super::*;

    fn flagged(path: &str) -> bool {
        classify(&path_components(path)).is_some()
    }

    #[test]
    fn matches_places_their_parents_and_marked_subtrees() {
        for path in [
            "/",
            "/etc",
            "/etc/",
            "/var",
            "/var/lib",
            "/var/lib/kubelet",
            "/proc/1/root",
            "/var/lib/kubelet/pods/abc/volumes",
            "/etc/kubernetes/admin.conf",
            "/root/.ssh",
            "/home/user",
            "/var/run",
            "/run",
            "/dev",
            "//usr//",
        ] {
            assert!(flagged(path), "{path} should be sensitive");
        }
        for path in [
            "/etc/ssl/certs",
            "/lib/modules",
            "/sys/fs/cgroup",
            "/var/log/pods",
            "/etcd",
            "/data",
            "/tmp",
            "/var/lib/kubelet/plugins/csi",
            "/opt/cni/bin",
            "/var/run/docker.sock",
            "/mnt/disks/ssd0",
        ] {
            assert!(!flagged(path), "{path} should not be sensitive");
        }
    }

    #[test]
    fn explains_the_match() {
        assert_eq!(
            classify(&path_components("/var/lib")).unwrap(),
            "which contains /var/lib/kubelet (the kubelet's state)"
        );
        assert_eq!(
            classify(&path_components("/var/lib/kubelet/pki/x.crt")).unwrap(),
            "which is inside /var/lib/kubelet/pki (the kubelet's credentials)"
        );
        assert_eq!(
            classify(&path_components("/etc/")).unwrap(),
            "which exposes the node's configuration"
        );
    }
}
