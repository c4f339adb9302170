use palisade_core::{
    Family, Fix, FixAvailability, FixSafety, ObjectPath, PssLevel, Resource, Severity, Violation,
};

use super::SYSTEM_NAMESPACES;
use crate::catalog::pss_controls;
use crate::control::{Check, Context, ReadScope, Reads, Skip, Verdict};
use crate::workload::{built_in_reads, top_level_workloads_in};

/// The namespace label that selects the level Pod Security Admission enforces.
const ENFORCE: &str = "pod-security.kubernetes.io/enforce";

/// At most this many workloads are named as keeping the namespace from the next level.
const BLOCKERS_SHOWN: usize = 3;

declare_control! {
    /// ## What it checks
    /// For every `Namespace` (core `v1`): the strictest Pod Security Standard that every
    /// workload now in the namespace already meets, compared with the level its
    /// `pod-security.kubernetes.io/enforce` label enforces. Palisade runs the checks Pod
    /// Security Admission runs at `restricted`, then, if a workload fails one, at `baseline`
    /// (the same checks as `palisade scan --pss-level`, against the target Kubernetes version),
    /// on each workload of the namespace: Pods and everything with a pod template, each
    /// judged once through the object that owns the template (a Deployment, not its
    /// ReplicaSets and Pods).
    ///
    /// The namespace is reported when that level is stricter than the one enforced: when the
    /// label is missing, `privileged` or not a valid level, and the workloads meet `baseline`
    /// or `restricted`; or when it is `baseline` and they all meet `restricted`. The message
    /// says how many workloads meet the level, names up to three that keep it from the next
    /// one, and gives the label to set; the machine fix sets it. A namespace with no workloads
    /// is reported as able to enforce `restricted`, with a message that says so: nothing would
    /// be rejected today, and every pod it gets later would have to meet the strictest level.
    ///
    /// How it relates to NS-002: NS-002 is the requirement (every namespace enforces
    /// `baseline` or stricter) and reports a missing or `privileged` label whatever the
    /// workloads do. NS-003 is the advice: it says which level can be enforced today without
    /// rejecting any current workload, so both report a namespace without a label whose
    /// workloads could meet a level, each with its own purpose. When a workload needs
    /// `privileged`, NS-003 passes and NS-002's finding stands: fix that workload first.
    ///
    /// Passes: namespaces that enforce `restricted`, namespaces whose workloads need exactly the
    /// level enforced (or more), and `kube-system`, `kube-public` and `kube-node-lease`. In a
    /// scan of manifests, only the workloads in the scan are known; other pods may run in the
    /// namespace, which is one reason the fix is marked unsafe. A workload that a Pod Security
    /// check cannot evaluate makes the namespace not evaluated. Ignore annotations and
    /// exceptions on a workload do not count here: they silence Palisade, not Pod Security
    /// Admission, which would still reject the pod. The `enforce-version` label and the
    /// exemptions of the cluster's admission configuration are not read.
    ///
    /// ## Why it matters
    /// A namespace that enforces less than its workloads already meet gives away protection
    /// for free: the next pod created there (by a compromised CI token, a careless chart
    /// upgrade, a `kubectl run` with a service account that can create pods) may run
    /// privileged, share the node's namespaces or mount its filesystem, and nothing stops it.
    /// Raising the label is usually avoided for fear of breaking workloads; knowing that every
    /// current workload already passes removes that fear.
    ///
    /// ## Example
    /// Reported (every workload in `shop` meets `restricted`):
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: baseline
    /// ```
    /// Fixed:
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: shop
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: restricted
    /// ```
    ///
    /// ## How to fix
    /// Set the label the message gives. The automatic fix does exactly that, and is marked
    /// unsafe: pods that are not in the scan, and pods created later from changed templates,
    /// are rejected when they do not meet the level. To see what a cluster would reject first,
    /// run `kubectl label --dry-run=server --overwrite ns <name>
    /// pod-security.kubernetes.io/enforce=<level>`, or set the `warn` and `audit` labels to the
    /// level for a while.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.2.1 (at least one active policy control mechanism)
    /// - Kubernetes documentation: Pod Security Standards; Pod Security Admission; Enforce Pod
    ///   Security Standards with namespace labels
    /// - NSA-CISA Kubernetes Hardening Guide: pod security enforcement
    /// - MITRE ATT&CK T1610 (Deploy Container), T1611 (Escape to Host)
    pub struct PodSecurityAdvisor {
        id: "NS-003",
        title: "Namespace could enforce a stricter Pod Security level",
        severity: Severity::Low,
        family: Family::Ns,
        pss: None,
        aliases: &[],
        remediation: "Set the namespace's pod-security.kubernetes.io/enforce label to the level the message gives: every workload in the namespace already meets it.",
        fix: FixAvailability::Unsafe,
    }
}

/// A level Pod Security Admission can enforce, weakest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }

    fn pss(self) -> Option<PssLevel> {
        match self {
            Level::Privileged => None,
            Level::Baseline => Some(PssLevel::Baseline),
            Level::Restricted => Some(PssLevel::Restricted),
        }
    }
}

/// A workload that fails a level, and the checks it fails.
struct Blocker<'a> {
    workload: &'a Resource,
    controls: Vec<&'static str>,
}

/// The workloads that fail `level`'s checks; empty when all meet it.
fn blockers<'a>(
    cx: &Context<'_>,
    workloads: &[&'a Resource],
    level: PssLevel,
) -> Result<Vec<Blocker<'a>>, Skip> {
    let controls = pss_controls(level);
    let mut out = Vec::new();
    for &workload in workloads {
        let mut failed = Vec::new();
        for control in &controls {
            match control.check(cx, workload) {
                Ok(Verdict::Checked(violations)) if !violations.is_empty() => {
                    failed.push(control.meta().id);
                }
                Ok(_) => {}
                Err(skip) => {
                    return Err(Skip::in_other(
                        workload,
                        format!("{} not evaluated: {}", control.meta().id, skip.reason),
                    ));
                }
            }
        }
        if !failed.is_empty() {
            out.push(Blocker {
                workload,
                controls: failed,
            });
        }
    }
    Ok(out)
}

/// `Deployment/web (POD-014, POD-018); CronJob/report (POD-017)`, and how many more.
fn describe_blockers(blockers: &[Blocker<'_>]) -> String {
    let mut named: Vec<String> = blockers
        .iter()
        .take(BLOCKERS_SHOWN)
        .map(|b| {
            format!(
                "{}/{} ({})",
                b.workload.kind(),
                b.workload.id.name,
                b.controls.join(", ")
            )
        })
        .collect();
    if blockers.len() > BLOCKERS_SHOWN {
        named.push(format!("{} more", blockers.len() - BLOCKERS_SHOWN));
    }
    named.join("; ")
}

/// The strictest level the workloads of a namespace meet.
pub(super) struct Attainable<'a> {
    /// [`Level::Privileged`] when none stricter than the enforced one is met.
    pub(super) level: Level,
    workloads: Vec<&'a Resource>,
    /// The workloads that keep the namespace from `restricted`, when it was tried.
    restricted_blockers: Vec<Blocker<'a>>,
}

/// The strictest level stricter than `enforced` that every workload of namespace `name`
/// already meets, trying `restricted`, then `baseline`. A workload that a Pod Security check
/// cannot evaluate is an error: the level is then unknown.
pub(super) fn attainable<'a>(
    cx: &Context<'a>,
    name: &str,
    enforced: Level,
) -> Result<Attainable<'a>, Skip> {
    let workloads = top_level_workloads_in(cx, name);
    let mut level = Level::Privileged;
    let mut restricted_blockers = Vec::new();
    for candidate in [Level::Restricted, Level::Baseline] {
        if candidate <= enforced {
            break;
        }
        let Some(pss) = candidate.pss() else { break };
        let found = blockers(cx, &workloads, pss)?;
        if found.is_empty() {
            level = candidate;
            break;
        }
        if candidate == Level::Restricted {
            restricted_blockers = found;
        }
    }
    Ok(Attainable {
        level,
        workloads,
        restricted_blockers,
    })
}

impl Check for PodSecurityAdvisor {
    /// The workloads of the namespace the judged Namespace names (a Namespace counts as part of
    /// the namespace it names). Workload kinds declared in the config file are read too but
    /// cannot be listed here.
    const READS: &'static [Reads] = &built_in_reads(ReadScope::Namespace);

    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != "Namespace" || !resource.id.group().is_empty() {
            return Ok(Verdict::NotApplicable);
        }
        let name = resource.id.name.as_str();
        if SYSTEM_NAMESPACES.contains(&name) {
            return Ok(Verdict::pass());
        }
        let label = match resource.root.map_field("metadata")? {
            Some(metadata) => match metadata.map_field("labels")? {
                Some(labels) => labels.str_field(ENFORCE)?,
                None => None,
            },
            None => None,
        };
        // An invalid value enforces nothing the manifest promises (NS-002 explains why), so
        // it counts as the weakest level here.
        let enforced = match label {
            Some("restricted") => return Ok(Verdict::pass()),
            Some("baseline") => Level::Baseline,
            _ => Level::Privileged,
        };

        let Attainable {
            level: attainable,
            workloads,
            restricted_blockers,
        } = attainable(cx, name, enforced)?;
        if attainable <= enforced {
            return Ok(Verdict::pass());
        }

        let level = attainable.as_str();
        let place = if cx.settings.inventory_complete {
            ""
        } else {
            " in the scan"
        };
        let now = match label {
            None => "enforces no Pod Security level".to_string(),
            Some(value @ ("privileged" | "baseline")) => format!("enforces `{value}`"),
            Some(value) => {
                format!("sets {ENFORCE} to `{value}`, which is not a level (see NS-002)")
            }
        };
        let mut message = match workloads.len() {
            0 => format!(
                "Namespace `{name}` {now}, and has no workloads{place}, so no pod would be rejected today: set {ENFORCE}={level} so that every pod it gets meets the strictest level"
            ),
            1 => format!(
                "Namespace `{name}` {now}, but its only workload{place} already meets `{level}`: set {ENFORCE}={level}"
            ),
            2 => format!(
                "Namespace `{name}` {now}, but both of its workloads{place} already meet `{level}`: set {ENFORCE}={level}"
            ),
            n => format!(
                "Namespace `{name}` {now}, but all {n} of its workloads{place} already meet `{level}`: set {ENFORCE}={level}"
            ),
        };
        if !restricted_blockers.is_empty() {
            message.push_str(&format!(
                "; `restricted` would reject {}",
                describe_blockers(&restricted_blockers)
            ));
        }
        let path = ObjectPath::root()
            .keys(&["metadata", "labels"])
            .key(ENFORCE);
        let fix = Fix::set(
            format!("set {ENFORCE} to {level}"),
            FixSafety::Unsafe,
            path.clone(),
            level.into(),
        );
        Ok(Verdict::Checked(vec![
            Violation::new(path, message).with_fix(fix),
        ]))
    }
}
