use palisade_core::{Family, FixAvailability, Resource, Severity};

use super::probes;
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

declare_control! {
    /// ## What it checks
    /// Every regular container of a long-running workload (Deployment, StatefulSet, DaemonSet,
    /// ReplicaSet, bare Pod, and custom workloads) that has no `readinessProbe`, or one without
    /// a handler (`exec`, `httpGet`, `tcpSocket` or `grpc`).
    ///
    /// Not judged: Jobs, CronJobs and any pod whose `restartPolicy` is `Never` or `OnFailure`
    /// (which includes pods created by Jobs); init containers, including native sidecars;
    /// ephemeral containers; and Knative Services and Configurations, because Knative gives
    /// their containers a readiness probe by default.
    ///
    /// Unlike kube-score, Palisade does not first check that a Service selects the pods: a pod
    /// that is not ready also holds up rolling updates and `kubectl rollout status`, whether or
    /// not it receives traffic.
    ///
    /// ## Why it matters
    /// Without a readiness probe a pod counts as ready as soon as its containers start. Services
    /// send it traffic before the application has loaded its configuration or warmed its
    /// caches, and rolling updates replace healthy pods with ones that cannot serve yet, so
    /// every deployment causes a burst of errors. A readiness probe also takes an overloaded pod
    /// out of rotation until it recovers.
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
    ///     readinessProbe:
    ///       httpGet:
    ///         path: /ready
    ///         port: 8080
    ///       periodSeconds: 5
    /// ```
    ///
    /// ## How to fix
    /// Add a `readinessProbe` that succeeds only when the container can serve requests. Unlike
    /// a liveness probe, it may look at the dependencies the container needs to serve. The
    /// endpoint is specific to the application, so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - Kubernetes documentation: Configure Liveness, Readiness and Startup Probes
    /// - MITRE ATT&CK T1499 (Endpoint Denial of Service): readiness keeps traffic away from pods that cannot serve it
    pub struct ReadinessProbeMissing {
        id: "RES-006",
        title: "Readiness probe not set",
        severity: Severity::Low,
        family: Family::Res,
        pss: None,
        aliases: &[kubescape("C-0018"), checkov("CKV_K8S_9"), polaris("readinessProbeMissing"), kube_linter("no-readiness-probe"), kube_score("pod-probes")],
        remediation: "Add a readinessProbe to each container that succeeds only once the container can serve requests.",
        fix: FixAvailability::NeedsInput,
    }
}

impl Check for ReadinessProbeMissing {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        // Knative Serving adds a readiness probe to the user container when none is declared.
        if resource.id.group() == "serving.knative.dev" {
            return Ok(Verdict::NotApplicable);
        }
        probes::check(cx, resource, "readinessProbe")
    }
}
