use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, Node, ObjectPath, PssLevel, Resource, Severity,
    Violation,
};

use super::common::{confined_profile_type, describe_profile_type, sc_map};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;
use crate::workload::pod_spec;

/// The annotation prefix that set a container's AppArmor profile before the field existed. The
/// rest of the key names the container.
const ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

declare_control! {
    /// ## What it checks
    /// The AppArmor profile of the pod and of every container. This is the Pod Security
    /// Standards baseline check "AppArmor", which looks at two places:
    /// - the `appArmorProfile` field, at pod level (`spec.securityContext`) and in each
    ///   container's `securityContext`. When present, its `type` must be `RuntimeDefault` or
    ///   `Localhost`; `Unconfined`, an empty type or anything else fails;
    /// - the older pod-template annotations `container.apparmor.security.beta.kubernetes.io/<name>`.
    ///   Their value must be empty, `runtime/default`, or start with `localhost/`. Every such
    ///   annotation is checked, whether or not a container of that name exists.
    ///
    /// Not setting a profile at all passes: the runtime's default profile then applies.
    ///
    /// ## Why it matters
    /// AppArmor is one of the layers that stop a process in a container from touching files,
    /// mounts and kernel interfaces it has no business with. An unconfined container loses
    /// that layer, so a single container escape bug is more likely to reach the node.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// containers:
    ///   - name: app
    ///     image: example/app:1.0
    ///     securityContext:
    ///       appArmorProfile:
    ///         type: Unconfined
    /// ```
    /// Fixed:
    /// ```yaml
    ///     securityContext:
    ///       appArmorProfile:
    ///         type: RuntimeDefault
    /// ```
    ///
    /// ## How to fix
    /// Use `RuntimeDefault`, or a `Localhost` profile written for the application, or remove
    /// the setting. For annotations, use `runtime/default` or `localhost/<profile>`. The
    /// runtime's default profile blocks a few operations an application may rely on, so the
    /// automatic fix is marked unsafe.
    ///
    /// ## References
    /// - Kubernetes Pod Security Standards, baseline: AppArmor
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct AppArmor {
        id: "POD-006",
        title: "AppArmor profile disabled or unknown",
        severity: Severity::Medium,
        family: Family::Pod,
        pss: Some(PssLevel::Baseline),
        aliases: &[trivy("KSV-0002")],
        remediation: "Set the AppArmor profile type to RuntimeDefault or Localhost (annotation value runtime/default or localhost/<profile>), or remove the override.",
        fix: FixAvailability::Unsafe,
    }
}

/// Judges one `appArmorProfile` object; `owner` names the pod or container in the message.
fn check_field(
    profile: &Node,
    path: ObjectPath,
    owner: &str,
    violations: &mut Vec<Violation>,
) -> Result<(), Skip> {
    let kind = profile.str_field("type")?;
    if kind.is_some_and(confined_profile_type) {
        return Ok(());
    }
    let path = path.key("type");
    violations.push(
        Violation::new(
            path.clone(),
            format!(
                "{owner} sets an AppArmor profile with {}",
                describe_profile_type(kind)
            ),
        )
        .with_fix(Fix::set(
            "use the runtime's default AppArmor profile",
            FixSafety::Unsafe,
            path,
            "RuntimeDefault".into(),
        )),
    );
    Ok(())
}

fn allowed_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

impl Check for AppArmor {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        let Some(pod) = pod_spec(cx, resource)? else {
            return Ok(Verdict::NotApplicable);
        };
        let mut violations = Vec::new();
        if let Some(field) = sc_map(pod.security_context()?, "appArmorProfile")? {
            let path = pod.security_context_path().key("appArmorProfile");
            check_field(field, path, "pod", &mut violations)?;
        }
        for container in pod.containers()? {
            if let Some(field) = sc_map(container.security_context()?, "appArmorProfile")? {
                let path = container.security_context_path().key("appArmorProfile");
                check_field(field, path, &container.label(), &mut violations)?;
            }
        }
        let annotations = match pod.metadata {
            Some(metadata) => metadata
                .map_field("annotations")?
                .and_then(Node::as_map)
                .unwrap_or(&[]),
            None => &[],
        };
        for entry in annotations {
            let Some(container) = entry.key.strip_prefix(ANNOTATION_PREFIX) else {
                continue;
            };
            // Annotation values are strings; a null one reads as empty, as the API server reads it.
            if entry.value.is_null() {
                continue;
            }
            let value = entry.value.expect_str(&entry.key)?;
            if allowed_annotation(value) {
                continue;
            }
            let path = pod.annotation_path(&entry.key);
            violations.push(
                Violation::new(
                    path.clone(),
                    format!(
                        "annotation for container `{container}` sets AppArmor profile `{value}`"
                    ),
                )
                .with_fix(Fix::set(
                    "use the runtime's default AppArmor profile",
                    FixSafety::Unsafe,
                    path,
                    "runtime/default".into(),
                )),
            );
        }
        Ok(Verdict::Checked(violations))
    }
}
