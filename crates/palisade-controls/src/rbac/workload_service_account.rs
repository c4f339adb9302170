use std::collections::BTreeMap;

use palisade_core::{Family, FixAvailability, Resource, Severity, Violation};

use super::binding::Binding;
use super::dangers::Danger;
use super::effective::{HeldDanger, RbacIndex, SubjectKey};
use super::rules::{RBAC_GROUP, join_and};
use crate::control::{Check, Context, Reads, Skip, Verdict};
use crate::refs::*;
use crate::workload::{PodSpec, controlled_by_scanned_workload, pod_spec};

declare_control! {
    /// ## What it checks
    /// Every workload (a Pod, or any kind with a pod template: Deployment, CronJob, a kind
    /// declared in the config file) whose ServiceAccount holds a dangerous permission:
    /// everything (cluster-admin), reading Secrets, creating pods or workloads, exec, attach
    /// or port forwarding into pods, or escalate, bind and impersonate (the permissions of
    /// RBAC-002 to RBAC-006). The ServiceAccount is `spec.serviceAccountName` (or the older
    /// `spec.serviceAccount`), else `default`, in the workload's namespace. It holds what
    /// every binding grants that names it (as a ServiceAccount, or as the user
    /// `system:serviceaccount:<namespace>:<name>`) or one of the groups it belongs to:
    /// `system:serviceaccounts`, `system:serviceaccounts:<namespace>` and
    /// `system:authenticated`. RoleBindings grant in their namespace, ClusterRoleBindings
    /// everywhere; roles are resolved with aggregation and the default roles (see RBAC-013).
    ///
    /// An object that a workload of the scan controls (a ReplicaSet of a Deployment, the Pods of
    /// a Job, per `ownerReferences`) is not judged: it runs as its owner's ServiceAccount, and
    /// the owner's finding stands for the whole chain. An object whose owner is not in the scan
    /// is judged itself.
    ///
    /// One finding per workload, on its `serviceAccountName`, listing each permission with
    /// where it is held (cluster-wide where some ClusterRoleBinding grants it) and the binding,
    /// role and rule that grant it, and saying whether the ServiceAccount token is mounted.
    ///
    /// A workload whose token is not mounted (`automountServiceAccountToken: false` on the pod,
    /// or on the ServiceAccount when the pod does not set it, and no projected
    /// `serviceAccountToken` volume) still fails, and the message says the token is not
    /// mounted: that lowers the risk, since code in the pod cannot use the permissions
    /// without a token, but the workload still runs as an identity that holds them. The
    /// setting is one field away from changing, anyone who can create pods in the namespace
    /// can run as the ServiceAccount, and what fixes the finding is taking the permission
    /// away from the ServiceAccount (or giving the workload its own). Kubescape's workload
    /// checks (C-0255, C-0267, C-0272) pass such workloads.
    ///
    /// Bindings to roles that are neither scanned nor built in grant nothing Palisade can see.
    /// A workload that sets no namespace lands wherever `kubectl` is pointed; it matches
    /// subjects that set no namespace either (a ServiceAccount subject of a RoleBinding
    /// without one), not a subject naming some namespace, which may or may not be its own.
    ///
    /// ## Why it matters
    /// Whoever gets code running in the container (a vulnerable dependency, an injection)
    /// reads the token from the filesystem and holds the ServiceAccount's permissions. With
    /// Secret access, pod creation, exec or escalation, one compromised pod becomes the
    /// namespace or the cluster. The permission is easy to miss: it sits in a binding far
    /// from the workload, sometimes granted to a group every ServiceAccount belongs to.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Deployment
    /// metadata:
    ///   name: web
    ///   namespace: shop
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: web
    /// ---
    /// kind: ClusterRoleBinding
    /// metadata:
    ///   name: web-secrets
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: ClusterRole
    ///   name: secret-reader
    /// subjects:
    ///   - kind: ServiceAccount
    ///     name: web
    ///     namespace: shop
    /// ```
    /// Fixed: the binding grants the one Secret `web` reads, in its namespace:
    /// ```yaml
    /// kind: RoleBinding
    /// metadata:
    ///   name: web-secrets
    ///   namespace: shop
    /// roleRef:
    ///   apiGroup: rbac.authorization.k8s.io
    ///   kind: Role
    ///   name: read-web-tls
    /// ```
    ///
    /// ## How to fix
    /// Give each workload its own ServiceAccount with only what it uses; remove the binding
    /// that grants the dangerous permission, or narrow its role (named Secrets, no pod
    /// creation). Do not bind roles to `system:serviceaccounts` or `system:authenticated`.
    /// Workloads that never call the API should also set `automountServiceAccountToken:
    /// false` (POD-021).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.5 (default service accounts not actively used), 5.1.6
    ///   (service account tokens only where necessary)
    /// - Kubernetes documentation, RBAC good practices; configure service accounts for pods
    /// - MITRE ATT&CK T1528 (Steal Application Access Token), T1552.007 (Unsecured
    ///   Credentials: Container API)
    pub struct WorkloadServiceAccount {
        id: "RBAC-018",
        title: "Workload's ServiceAccount holds dangerous permissions",
        severity: Severity::High,
        family: Family::Rbac,
        pss: None,
        aliases: &[kubescape("C-0255"), kubescape("C-0267"), kubescape("C-0272")],
        remediation: "Give the workload its own ServiceAccount and remove or narrow the bindings that grant it dangerous permissions.",
        fix: FixAvailability::None,
    }
}

/// Where a ServiceAccount holds a dangerous permission.
struct Held {
    cluster_wide: bool,
    /// `cluster-wide`, `in namespace `shop``.
    scope: String,
    /// `ClusterRoleBinding `x` → ClusterRole `y` rules[0]`, with the group that passed it on.
    path: String,
}

/// The pod's ServiceAccount: `serviceAccountName`, the older `serviceAccount`, or `default`.
fn account_name<'a>(pod: &PodSpec<'a>) -> Result<&'a str, Skip> {
    for key in ["serviceAccountName", "serviceAccount"] {
        if let Some(name) = pod.spec.str_field(key)?
            && !name.is_empty()
        {
            return Ok(name);
        }
    }
    Ok("default")
}

/// Whether the ServiceAccount token is mounted into the pod, as a message clause.
fn token(
    cx: &Context<'_>,
    resource: &Resource,
    pod: &PodSpec<'_>,
    account: &str,
) -> Result<String, Skip> {
    for (volume, _) in pod.volumes()? {
        let Some(projected) = volume.map_field("projected")? else {
            continue;
        };
        for source in projected.seq_field("sources")? {
            if source.map_field("serviceAccountToken")?.is_some() {
                let name = volume.str_field("name")?.unwrap_or("<unnamed>");
                return Ok(format!(
                    "its token is mounted through the projected volume `{name}`"
                ));
            }
        }
    }
    let (automount, whose) = match pod.spec.bool_field("automountServiceAccountToken")? {
        Some(value) => (value, "the pod"),
        None => {
            let setting = match cx.find(
                "",
                "ServiceAccount",
                resource.id.namespace.as_deref(),
                account,
            ) {
                Some(sa) => sa
                    .root
                    .bool_field("automountServiceAccountToken")
                    .map_err(|e| Skip::in_other(sa, e))?,
                None => None,
            };
            match setting {
                Some(value) => (value, "its ServiceAccount"),
                None => return Ok("its token is mounted (neither the pod nor its ServiceAccount sets automountServiceAccountToken: false)".to_string()),
            }
        }
    };
    Ok(if automount {
        format!("its token is mounted (automountServiceAccountToken: true on {whose})")
    } else {
        format!(
            "its token is not mounted (automountServiceAccountToken: false on {whose}), which lowers the risk: code in the pod cannot use these permissions without a token, but the ServiceAccount still holds them"
        )
    })
}

impl Check for WorkloadServiceAccount {
    /// The ServiceAccount (token automounting), and every binding and role anywhere that may
    /// grant it something: a RoleBinding in another namespace can name it too.
    const READS: &'static [Reads] = &[
        Reads::namespace("", "ServiceAccount"),
        Reads::cluster(RBAC_GROUP, "RoleBinding"),
        Reads::cluster(RBAC_GROUP, "ClusterRoleBinding"),
        Reads::cluster(RBAC_GROUP, "Role"),
        Reads::cluster(RBAC_GROUP, "ClusterRole"),
    ];

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        // A ReplicaSet of a scanned Deployment, the Pods of a scanned Job: the owner's finding
        // stands for them.
        if controlled_by_scanned_workload(cx, resource)? {
            return Ok(Verdict::NotApplicable);
        }
        let account = account_name(&pod)?;
        let namespace = resource.id.namespace.as_deref();
        let mut subjects = vec![(
            SubjectKey::ServiceAccount {
                namespace: namespace.map(str::to_string),
                name: account.to_string(),
            },
            None,
        )];
        let mut groups = vec!["system:serviceaccounts".to_string()];
        if let Some(ns) = namespace {
            groups.push(format!("system:serviceaccounts:{ns}"));
        }
        groups.push("system:authenticated".to_string());
        subjects.extend(
            groups
                .into_iter()
                .map(|g| (SubjectKey::Group(g.clone()), Some(g))),
        );

        let index = RbacIndex::of(cx);
        let mut held: BTreeMap<Danger, Held> = BTreeMap::new();
        for (key, group) in &subjects {
            for (position, resource, _) in index.bindings_of(cx, key) {
                let Some(binding) = Binding::of(resource) else {
                    continue;
                };
                let dangers = index.dangers_of(cx, position, &binding)?;
                let cluster_wide = binding.is_cluster_wide();
                for HeldDanger { danger, source } in dangers.iter() {
                    if held
                        .get(danger)
                        .is_some_and(|h| h.cluster_wide || !cluster_wide)
                    {
                        continue;
                    }
                    let mut path = format!("{} `{}` → {source}", resource.kind(), binding.name());
                    if let Some(group) = group {
                        path = format!("{path}, bound to the group `{group}`");
                    }
                    held.insert(
                        *danger,
                        Held {
                            cluster_wide,
                            scope: binding.scope(),
                            path,
                        },
                    );
                }
            }
        }
        if held.is_empty() {
            return Ok(Verdict::pass());
        }
        // Holding everything cluster-wide says all there is to say.
        if held
            .get(&Danger::Everything)
            .is_some_and(|h| h.cluster_wide)
        {
            held.retain(|danger, _| *danger == Danger::Everything);
        }
        // Permissions held through the same binding and rule path are listed together.
        let mut groups: Vec<(&Held, Vec<&str>)> = Vec::new();
        for (danger, h) in &held {
            match groups
                .iter_mut()
                .find(|(g, _)| g.scope == h.scope && g.path == h.path)
            {
                Some((_, dangers)) => dangers.push(danger.short()),
                None => groups.push((h, vec![danger.short()])),
            }
        }
        let abilities: Vec<String> = groups
            .iter()
            .map(|(h, dangers)| format!("{} {} ({})", join_and(dangers), h.scope, h.path))
            .collect();
        let who = match namespace {
            Some(ns) => format!("ServiceAccount `{ns}/{account}`"),
            None => format!("ServiceAccount `{account}`"),
        };
        let message = format!(
            "runs as {who}, which can {}; {}",
            abilities.join("; "),
            token(cx, resource, &pod, account)?
        );
        Ok(Verdict::Checked(vec![Violation::new(
            pod.path.key("serviceAccountName"),
            message,
        )]))
    }
}
