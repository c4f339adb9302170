use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::probes;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every regular container of a long-running workload (Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, bare Pod, and custom workloads) that has no `livenessProbe`, or one without a
    /// handler (`exec`, `httpGet`, `tcpSocket` or `grpc`).
    ///
    /// Not judged: Jobs, CronJobs and any pod whose `restartPolicy` is `Never` or `OnFailure`
    /// (which includes pods created by Jobs), because they are meant to finish; init
    /// containers, including native sidecars; and ephemeral containers, which cannot have
    /// probes.
    ///
    /// ## Why it matters
    /// The kubelet restarts a container when its process exits, but not when the process is
    /// still alive and stuck: deadlocked, wedged on a dependency, or out of file handles. A
    /// liveness probe lets Kubernetes notice such a container and restart it instead of leaving
    /// it broken until someone looks.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    /// ```
    /// Fixed:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     livenessProbe:
    ///       httpGet:
    ///         path: /healthz
    ///         port: 8080
    ///       periodSeconds: 10
    ///       failureThreshold: 3
    /// ```
    ///
    /// ## How to fix
    /// Add a `livenessProbe` that checks something only a healthy process can answer, and keep
    /// it independent of downstream services (otherwise an outage of a database restarts every
    /// client). Give slow-starting applications a `startupProbe` so the liveness probe does not
    /// kill them during start-up. The endpoint is specific to the application, so Palisade
    /// offers no automatic fix.
    ///
    /// ## References
    /// - Kubernetes documentation: Configure Liveness, Readiness and Startup Probes
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service): probes limit how long a stuck service stays down
    pub struct LivenessProbeMissing {
        id: "RES-005",
        title: "Liveness probe not set",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0056"), checkov("CKV_K8S_8"), polaris("livenessProbeMissing"), kube_linter("no-liveness-probe"), kube_score("pod-probes")],
        remediation: "Add a livenessProbe to each container that checks the process itself (not its dependencies); add a startupProbe for slow starters.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for LivenessProbeMissing {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        probes::check(cx, resource, "livenessProbe")
    }
}
