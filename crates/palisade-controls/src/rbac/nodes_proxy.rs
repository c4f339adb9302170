use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::rules::{Permission, check_rules};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every rule of a Role or ClusterRole that grants any verb on the `proxy` subresource of
    /// nodes (`nodes/proxy` in the core group), directly or through `*` or `*/proxy`. The
    /// message names the verbs the rule grants.
    ///
    /// Every verb counts, `get` included: the API server forwards the request to the node's
    /// kubelet API with its own credentials, and the kubelet maps HTTP methods to verbs, so a
    /// WebSocket `GET` reaches the kubelet's exec, attach and port-forward endpoints. Nodes are
    /// not namespaced, so a Role cannot grant this and only ClusterRoles are reported. Built-in
    /// roles and aggregated ClusterRoles without rules are not judged (see RBAC-001).
    ///
    /// ## Why it matters
    /// The kubelet API of a node can list its pods, read their logs and run commands in any
    /// container on that node. Going through the kubelet bypasses the `pods/exec` permission
    /// and admission control on exec, so a subject with `nodes/proxy` can run code in every
    /// pod of every node it reaches, system pods included.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["nodes", "nodes/proxy"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    /// Fixed: scrape the kubelet's metrics through the dedicated subresource:
    /// ```yaml
    /// rules:
    ///   - apiGroups: [""]
    ///     resources: ["nodes", "nodes/metrics"]
    ///     verbs: ["get", "list", "watch"]
    /// ```
    ///
    /// ## How to fix
    /// Use `nodes/metrics`, `nodes/stats` or `nodes/log` for monitoring and log collection,
    /// and remove `nodes/proxy`. The machine fix removes `nodes/proxy` from the rule when the
    /// rule names it explicitly.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.10 (minimize access to the proxy subresource of nodes)
    /// - Kubernetes documentation, kubelet authentication and authorization
    /// - MITRE ATT&CK T1609 (Container Administration Command)
    pub struct NodesProxy {
        id: "RBAC-007",
        title: "Role can proxy to kubelets",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0279"), trivy("KSV-0047"), checkov("CKV2_K8S_2")],
        remediation: "Remove nodes/proxy from the rule; use nodes/metrics, nodes/stats or nodes/log for monitoring.",
        fix: FixAvailability::Unsafe,
    }
}

const NODES_PROXY: &[Permission] = &[Permission::cluster("", "nodes/proxy", &[])];

impl Check for NodesProxy {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        check_rules(
            resource,
            "resources",
            "can reach the kubelet API of nodes",
            |_| NODES_PROXY,
        )
    }
}
