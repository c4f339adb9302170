//! Conformance of the real binary against peer fixtures and real-world manifests.
//!
//! - **Polaris**: `../shared/corpus/polaris` holds Polaris' own check fixtures and
//!   `expectations.json` (which file must fail or pass which check). A Polaris check is *mapped*
//!   when some Palisade control lists it as an alias (`palisade controls --format json`). Every
//!   case of every mapped check is scanned with `--only <those controls>`: a `failure*` case must
//!   get at least one finding from them, a `success*` case none while at least one of them judged
//!   the file (Polaris' harness also requires its check to run), and each `mutated*` file (Polaris'
//!   fix output) must scan clean the same way. Every case where Palisade deliberately disagrees is
//!   listed in [`DIFFERENCES`] with its reason, and where possible the reason is *confirmed*: a
//!   variant of the case (another flag, a corrected fixture, the control that covers it instead)
//!   under which Palisade gives Polaris' answer. A listed difference that no longer differs fails
//!   the test, so the table cannot go stale. The same table is in `docs/conformance.md`.
//! - **Real world**: `../shared/corpus/realworld` (argo-cd, kube-prometheus, prometheus-operator,
//!   microservices-demo, kubernetes/examples) is scanned whole: no crash, exit status 0 or 1,
//!   diagnostics only on the files listed in [`EXPECTED_DIAGNOSTICS`] (template placeholders,
//!   non-Kubernetes YAML, duplicate keys). Then every finding on a workload is cross-checked
//!   against `realworld-inventory.json`, which records each container's security fields as
//!   written: a field that is set safely must not be reported (false positive), and a few
//!   unambiguous unsafe settings must be (false negative).
//!
//! Both skip visibly when `../shared` is absent. Run with
//! `cargo test -p palisade --test conformance -- --nocapture` to see the measured figures.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;
use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// Polaris
// ---------------------------------------------------------------------------------------------

/// How a documented difference is shown to be exactly what its reason says.
#[derive(Clone, Copy, Debug)]
enum Confirm {
    /// Nothing to vary: the difference is one of scope or judgement.
    None,
    /// With these extra flags Palisade gives Polaris' answer.
    Args(&'static [&'static str]),
    /// With the fixture text corrected (`from` replaced by `to`, piped on stdin) Palisade gives
    /// Polaris' answer.
    Fixture(&'static str, &'static str),
    /// Another Palisade control (comma-separated `--only` list) reports what Polaris expects.
    CoveredBy(&'static str),
}

/// A Polaris case on which Palisade deliberately gives another answer.
struct Difference {
    check: &'static str,
    /// File name inside `checks/<check>/`.
    file: &'static str,
    reason: &'static str,
    confirm: Confirm,
}

const KUBE_1_34: &[&str] = &["--kube-version", "1.34"];
const APPS_V1: Confirm = Confirm::Fixture(
    "apiVersion: v1\nkind: Deployment",
    "apiVersion: apps/v1\nkind: Deployment",
);

/// Reasons shared by several cases.
const GET_EXEC: &str = "grants only `get` on pods/exec or pods/attach. From Kubernetes 1.35 \
    (AuthorizePodWebsocketUpgradeCreatePermission, on by default) a WebSocket exec also needs \
    `create`, so RBAC-004 judges `get` alone as exec only when --kube-version is below 1.35 \
    (default: latest)";
const MISSING_ROLE: &str = "the binding points at a role that is not among the scanned files. A \
    manifest scan cannot tell whether the role exists in the cluster, and a binding to a role \
    that does not exist grants nothing; Palisade judges the permissions of roles it can see";
const BY_NAME: &str = "Polaris exempts this role by its name alone. Palisade exempts the API \
    server's own roles only when they carry its `kubernetes.io/bootstrapping: rbac-defaults` label: \
    anyone can name a role `admin` or `system:x`, and a role written in a manifest is the \
    user's text. With the label added Palisade passes it too";
const BINDING_NAME: &str = "Polaris judges the binding and exempts it by its name (`system:` \
    prefix, built-in or GKE binding names). RBAC-004 judges exec rights on the role itself, and the \
    role in this file grants exec whatever binds it";
const GCE_NAME: &str = "Polaris exempts the GKE-managed binding name \
    `gce:podsecuritypolicy:calico-sa`. Palisade exempts by name only bindings with the `system:` \
    prefix, which the API server manages; a cloud vendor's name in a user's manifest is not proof \
    that the vendor manages it";
const ALL_VERBS: &str = "the role lists seven verbs on `*` resources of `*` API groups. RBAC-002 \
    treats a role as cluster-admin only when it grants `*` verbs (escalate, bind, impersonate \
    included); this role is reported by RBAC-001 (wildcard resources) instead, and by RBAC-003 \
    and RBAC-005 for what it can read and run";
const DROP_NAMED: &str = "drops a list of named capabilities but not `ALL`. POD-018 is the Pod \
    Security Standards restricted check, which requires `ALL` in drop exactly; Polaris accepts \
    dropping its own list of insecure capabilities";
const NO_TAG_PULL: &str = "the image has no tag and imagePullPolicy is not set, so Kubernetes \
    defaults the policy to Always; IMG-003 judges the effective policy. The missing tag is \
    IMG-001's finding";
const CORE_DEPLOYMENT: &str = "the fixture declares `apiVersion: v1` for a Deployment, a type \
    that does not exist (the API server rejects it); Palisade recognises workloads by API group and \
    kind, so nothing is judged. With `apps/v1` Palisade gives Polaris' answer";
const SCOPE_SPLIT: &str = "Polaris' rolebindingRolePodExecAttach judges only RoleBindings to \
    Roles and leaves this RoleBinding to a ClusterRole to another check; RBAC-004 judges the \
    ClusterRole in the file, which grants exec through `*`";
const DENY_ALL_DIRECTION: &str = "the policy selects the pod and lists the direction in \
    policyTypes with no rules for it, which denies all traffic that way: the strictest isolation \
    there is. Polaris also wants rules in both directions; NET-005 and NET-006 ask only that a \
    policy governs each direction. With the direction left out of policyTypes, Palisade reports \
    it too";
const CUSTOM_NAKED_POD: &str = "the fixture folder's check.yaml replaces Polaris' built-in \
    nakedPod with a custom label check; the pod has no ownerReferences, which the built-in check \
    and RES-007 report";

/// Every Polaris case on which Palisade deliberately differs. Keep in sync with
/// `docs/conformance.md`.
const DIFFERENCES: &[Difference] = &[
    // RBAC-004: exec through `get` only before Kubernetes 1.35.
    d(
        "clusterrolePodExecAttach",
        "failure.get_attach_and_exec_using_resource_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "clusterrolePodExecAttach",
        "failure.get_attach_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "clusterrolePodExecAttach",
        "failure.get_exec_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "failure.get_attach_and_exec_using_resource_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "failure.get_attach_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "failure.get_exec_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolePodExecAttach",
        "failure.get_attach_and_exec_using_resource_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolePodExecAttach",
        "failure.get_attach_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolePodExecAttach",
        "failure.get_exec_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "failure.get_attach_and_exec_using_resource_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "failure.get_attach_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "failure.get_exec_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingRolePodExecAttach",
        "failure.get_attach_and_exec_using_resource_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingRolePodExecAttach",
        "failure.get_attach_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    d(
        "rolebindingRolePodExecAttach",
        "failure.get_exec_using_apigroup_wildcard.yaml",
        GET_EXEC,
        Confirm::Args(KUBE_1_34),
    ),
    // RBAC-004: bindings to roles outside the scan.
    d(
        "clusterrolebindingPodExecAttach",
        "failure.binding_points_to_missing_ref.yaml",
        MISSING_ROLE,
        Confirm::None,
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "failure.binding_points_to_missing_ref.yaml",
        MISSING_ROLE,
        Confirm::None,
    ),
    d(
        "rolebindingRolePodExecAttach",
        "failure.binding_points_to_missing_ref.yaml",
        MISSING_ROLE,
        Confirm::None,
    ),
    // RBAC-004: exemptions by name.
    d(
        "clusterrolePodExecAttach",
        "success.defaultclusterrole_admin.yaml",
        BY_NAME,
        Confirm::Fixture(
            "  name: admin\n",
            "  name: admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n",
        ),
    ),
    d(
        "clusterrolePodExecAttach",
        "success.defaultclusterrole_clusteradmin.yaml",
        BY_NAME,
        Confirm::Fixture(
            "  name: cluster-admin\n",
            "  name: cluster-admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n",
        ),
    ),
    d(
        "clusterrolePodExecAttach",
        "success.system_prefix.yaml",
        BY_NAME,
        Confirm::Fixture(
            "  name: system:test\n",
            "  name: system:test\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n",
        ),
    ),
    d(
        "clusterrolePodExecAttach",
        "success.gce_calico_clusterrole.yaml",
        GCE_NAME,
        Confirm::None,
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "success.defaultclusterrolebinding_clusteradmin.yaml",
        BY_NAME,
        Confirm::Fixture(
            "kind: ClusterRole\nmetadata:\n  name: cluster-admin\n",
            "kind: ClusterRole\nmetadata:\n  name: cluster-admin\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n",
        ),
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "success.defaultclusterrolebinding_system-controller-generic-garbage-collector.yaml",
        BY_NAME,
        Confirm::Fixture(
            "kind: ClusterRole\nmetadata:\n  name: system:controller:generic-garbage-collector\n",
            "kind: ClusterRole\nmetadata:\n  name: system:controller:generic-garbage-collector\n  labels:\n    kubernetes.io/bootstrapping: rbac-defaults\n",
        ),
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "success.gce_calico_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "clusterrolebindingPodExecAttach",
        "success.system_prefix_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolePodExecAttach",
        "success.gce_calico_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolePodExecAttach",
        "success.system_prefix_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "success.gce_calico_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingClusterRolePodExecAttach",
        "success.system_prefix_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingRolePodExecAttach",
        "success.gce_calico_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingRolePodExecAttach",
        "success.system_prefix_binding.yaml",
        BINDING_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingRolePodExecAttach",
        "success.role_binding_cluster_role_binding.yaml",
        SCOPE_SPLIT,
        Confirm::None,
    ),
    // RBAC-002: what counts as cluster-admin, and exemptions by name.
    d(
        "clusterrolebindingClusterAdmin",
        "failure.all_verbs.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "clusterrolebindingClusterAdmin",
        "failure.all_verbs_different_order.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "rolebindingClusterAdminClusterRole",
        "failure.all_verbs.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "rolebindingClusterAdminClusterRole",
        "failure.all_verbs_different_order.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "rolebindingClusterAdminRole",
        "failure.all_verbs.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "rolebindingClusterAdminRole",
        "failure.all_verbs_different_order.yaml",
        ALL_VERBS,
        Confirm::CoveredBy("RBAC-001"),
    ),
    d(
        "clusterrolebindingClusterAdmin",
        "success.gce_calico_binding.yaml",
        GCE_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingClusterAdminClusterRole",
        "success.gce_calico_binding.yaml",
        GCE_NAME,
        Confirm::None,
    ),
    d(
        "rolebindingClusterAdminRole",
        "success.gce_calico_binding.yaml",
        GCE_NAME,
        Confirm::None,
    ),
    // POD-018: the PSS restricted capabilities check.
    d(
        "insecureCapabilities",
        "success.yaml",
        DROP_NAMED,
        Confirm::None,
    ),
    d(
        "insecureCapabilities",
        "success.pod.yaml",
        DROP_NAMED,
        Confirm::None,
    ),
    d(
        "insecureCapabilities",
        "success.case.yaml",
        DROP_NAMED,
        Confirm::None,
    ),
    d(
        "insecureCapabilities",
        "success.all.yaml",
        "drops `All`. The Pod Security Standards (and POD-018) compare capability names exactly, so \
         only `ALL` drops everything; Polaris compares without case",
        Confirm::Fixture("- All\n", "- ALL\n"),
    ),
    // IMG-003: the defaulted pull policy.
    d(
        "pullPolicyNotAlways",
        "failure.yaml",
        NO_TAG_PULL,
        Confirm::CoveredBy("IMG-001"),
    ),
    d(
        "pullPolicyNotAlways",
        "failure.cron-job.yaml",
        NO_TAG_PULL,
        Confirm::CoveredBy("IMG-001"),
    ),
    // Fixtures that are not valid Kubernetes objects.
    d(
        "deploymentMissingReplicas",
        "failure.yaml",
        CORE_DEPLOYMENT,
        APPS_V1,
    ),
    d(
        "deploymentMissingReplicas",
        "success.yaml",
        CORE_DEPLOYMENT,
        APPS_V1,
    ),
    d(
        "deploymentMissingReplicas",
        "mutated.yaml",
        CORE_DEPLOYMENT,
        APPS_V1,
    ),
    d("runAsRootAllowed", "failure.yaml", CORE_DEPLOYMENT, APPS_V1),
    d("runAsRootAllowed", "success.yaml", CORE_DEPLOYMENT, APPS_V1),
    d("runAsRootAllowed", "mutated.yaml", CORE_DEPLOYMENT, APPS_V1),
    // Applies only once some control lists nakedPod as an alias.
    d("nakedPod", "success.yaml", CUSTOM_NAKED_POD, Confirm::None),
    // NET-005/NET-006: a policy that governs a direction and has no rules for it denies it.
    d(
        "missingNetworkPolicy",
        "failure.netpol_missing_egress_rules.yaml",
        DENY_ALL_DIRECTION,
        Confirm::Fixture("  - Egress\n  - Ingress\n", "  - Ingress\n"),
    ),
    d(
        "missingNetworkPolicy",
        "failure.netpol_missing_ingress_rules.yaml",
        DENY_ALL_DIRECTION,
        Confirm::Fixture("  - Egress\n  - Ingress\n", "  - Egress\n"),
    ),
];

/// Disagreements that are Palisade's to fix, reported and not yet fixed: (check, file, what is
/// wrong). The test tolerates them, prints them, and fails once one agrees, so that its entry is
/// removed. Keep this list empty whenever possible.
const AWAITING_FIX: &[(&str, &str, &str)] = &[];

const fn d(
    check: &'static str,
    file: &'static str,
    reason: &'static str,
    confirm: Confirm,
) -> Difference {
    Difference {
        check,
        file,
        reason,
        confirm,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Fail,
    Pass,
}

/// What the mapped controls made of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    /// At least one finding; the messages.
    Fail(Vec<String>),
    /// No finding, and at least one control passed a resource.
    Pass,
    /// No finding, and no control judged anything (not applicable, or not evaluated).
    NotJudged,
}

impl Outcome {
    fn agrees(&self, expect: Expect) -> bool {
        matches!(
            (self, expect),
            (Outcome::Fail(_), Expect::Fail) | (Outcome::Pass, Expect::Pass)
        )
    }

    fn short(&self) -> String {
        match self {
            Outcome::Fail(messages) => format!("fails: {}", messages.join(" | ")),
            Outcome::Pass => "passes".into(),
            Outcome::NotJudged => "not judged (no mapped control applies)".into(),
        }
    }
}

/// Polaris check → the Palisade controls listing it as an alias.
fn polaris_aliases() -> BTreeMap<String, Vec<String>> {
    let output = palisade()
        .args(["controls", "--format", "json"])
        .output()
        .expect("runs");
    assert!(output.status.success(), "palisade controls failed");
    let controls: Value = serde_json::from_slice(&output.stdout).expect("controls JSON");
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for control in controls.as_array().expect("a list of controls") {
        let id = control["id"].as_str().unwrap();
        for alias in control["aliases"].as_array().into_iter().flatten() {
            if alias["tool"] == "polaris" {
                map.entry(alias["id"].as_str().unwrap().to_string())
                    .or_default()
                    .push(id.to_string());
            }
        }
    }
    map
}

/// Scans `file` (or `stdin` text instead) with only `controls` and extra flags.
fn judge(file: &Path, stdin: Option<&str>, controls: &str, extra: &[&str]) -> Outcome {
    let mut cmd = palisade();
    cmd.arg("scan");
    match stdin {
        Some(text) => {
            cmd.arg("-").write_stdin(text.to_string());
        }
        None => {
            cmd.arg(file);
        }
    }
    let output = cmd
        .args(["--only", controls, "--format", "json", "--fail-on", "none"])
        .args(extra)
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "scan of {} failed: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let wanted: BTreeSet<&str> = controls.split(',').collect();
    let messages: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| wanted.contains(f["control"].as_str().unwrap()))
        .map(|f| {
            format!(
                "{} {}",
                f["control"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    if !messages.is_empty() {
        return Outcome::Fail(messages);
    }
    let passed: u64 = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| wanted.contains(c["control"].as_str().unwrap()))
        .map(|c| c["passed"].as_u64().unwrap_or(0))
        .sum();
    if passed > 0 {
        Outcome::Pass
    } else {
        Outcome::NotJudged
    }
}

struct Case {
    check: String,
    file: String,
    path: PathBuf,
    expect: Expect,
    mutated: bool,
}

fn polaris_cases(root: &Path) -> Vec<Case> {
    let expectations: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("expectations.json")).unwrap())
            .unwrap();
    let mut cases = Vec::new();
    for (check, spec) in expectations["checks"].as_object().expect("checks") {
        for case in spec["cases"].as_array().unwrap() {
            let rel = case["file"].as_str().unwrap();
            let inside = rel
                .strip_prefix("test/checks/")
                .unwrap_or_else(|| panic!("unexpected case path {rel}"));
            let mutated = case["kind"] == "mutation_expected_output";
            let expect = match (mutated, case["expect"].as_str()) {
                (true, _) => Expect::Pass,
                (false, Some("fail")) => Expect::Fail,
                (false, Some("pass")) => Expect::Pass,
                (false, other) => panic!("unknown expectation {other:?} for {rel}"),
            };
            cases.push(Case {
                check: check.clone(),
                file: inside.rsplit('/').next().unwrap().to_string(),
                path: root.join("checks").join(inside),
                expect,
                mutated,
            });
        }
    }
    cases
}

#[test]
fn polaris_fixtures_agree_except_documented_differences() {
    let Some(root) = shared("corpus/polaris") else {
        return;
    };
    let aliases = polaris_aliases();
    let cases = polaris_cases(&root);
    let all_checks: BTreeSet<&str> = cases.iter().map(|c| c.check.as_str()).collect();

    // The tables must name real cases.
    let listed = DIFFERENCES
        .iter()
        .map(|d| (d.check, d.file))
        .chain(AWAITING_FIX.iter().map(|(c, f, _)| (*c, *f)));
    for (check, file) in listed {
        assert!(
            cases.iter().any(|c| c.check == check && c.file == file),
            "{check}/{file} is listed but is not a Polaris case"
        );
    }

    let mut problems = Vec::new();
    let (mut judged, mut agreed, mut fixes, mut fixes_clean, mut documented, mut documented_fixes) =
        (0, 0, 0, 0, 0, 0);
    let mut report = Vec::new();
    let mut open = Vec::new();
    for case in cases.iter().filter(|c| aliases.contains_key(&c.check)) {
        let controls = aliases[&case.check].join(",");
        let outcome = judge(&case.path, None, &controls, &[]);
        let agrees = outcome.agrees(case.expect);
        if case.mutated {
            fixes += 1;
            fixes_clean += usize::from(agrees);
        } else {
            judged += 1;
            agreed += usize::from(agrees);
        }
        let name = format!("{}/{}", case.check, case.file);
        let difference = DIFFERENCES
            .iter()
            .find(|d| d.check == case.check && d.file == case.file);
        match (agrees, difference, awaiting(case)) {
            (true, None, None) => {}
            (true, Some(_), _) => problems.push(format!(
                "{name}: listed in DIFFERENCES but Palisade ({controls}) now agrees with Polaris; remove the entry and its row in docs/conformance.md"
            )),
            (true, None, Some(_)) => problems.push(format!(
                "{name}: listed in AWAITING_FIX but Palisade ({controls}) now agrees with Polaris; remove the entry"
            )),
            (false, None, Some(what)) => open.push(format!("  {name} [{controls}]: {} — {what}", outcome.short())),
            (false, None, None) => problems.push(format!(
                "{name}: Polaris expects {:?}, Palisade ({controls}) {}. Fix the control, or document the difference in DIFFERENCES and docs/conformance.md",
                case.expect,
                outcome.short()
            )),
            (false, Some(diff), _) => {
                documented += 1;
                documented_fixes += usize::from(case.mutated);
                match confirm(case, diff, &controls) {
                    Err(why) => problems.push(format!("{name}: the documented reason is not confirmed: {why}")),
                    Ok(how) => report.push(format!("  {name} [{controls}]: {} — {how}", outcome.short())),
                }
            }
        }
    }

    let mapped: Vec<&str> = all_checks
        .iter()
        .copied()
        .filter(|c| aliases.contains_key(*c))
        .collect();
    let unmapped: Vec<&str> = all_checks
        .iter()
        .copied()
        .filter(|c| !aliases.contains_key(*c))
        .collect();
    eprintln!(
        "Polaris conformance: {agreed}/{judged} cases agree on {} mapped checks; {} documented differences; {} open disagreements awaiting a fix; {agreed}/{} cases agree where semantics match; {fixes_clean}/{fixes} fix outputs (mutated*) scan clean, {documented_fixes} documented",
        mapped.len(),
        documented - documented_fixes,
        open.len(),
        judged - (documented - documented_fixes)
    );
    if !open.is_empty() {
        eprintln!("Open disagreements awaiting a fix (AWAITING_FIX):");
        for line in &open {
            eprintln!("{line}");
        }
    }
    eprintln!("Documented differences (each confirmed):");
    for line in &report {
        eprintln!("{line}");
    }
    eprintln!(
        "Polaris checks without a Palisade equivalent ({}): {}",
        unmapped.len(),
        unmapped.join(", ")
    );
    let dormant: Vec<String> = DIFFERENCES
        .iter()
        .filter(|d| !aliases.contains_key(d.check))
        .map(|d| format!("{}/{}", d.check, d.file))
        .collect();
    if !dormant.is_empty() {
        eprintln!(
            "Differences for checks no control maps yet (dormant): {}",
            dormant.join(", ")
        );
    }
    assert!(
        problems.is_empty(),
        "Polaris conformance problems:\n{}",
        problems.join("\n")
    );
}

fn awaiting(case: &Case) -> Option<&'static str> {
    AWAITING_FIX
        .iter()
        .find(|(check, file, _)| *check == case.check && *file == case.file)
        .map(|(_, _, what)| *what)
}

/// Shows that a documented difference is the one its reason names; returns how.
fn confirm(case: &Case, diff: &Difference, controls: &str) -> Result<String, String> {
    let outcome = match diff.confirm {
        Confirm::None => return Ok("judgement, no variant".into()),
        Confirm::Args(args) => judge(&case.path, None, controls, args),
        Confirm::CoveredBy(others) => judge(&case.path, None, others, &[]),
        Confirm::Fixture(from, to) => {
            let text = std::fs::read_to_string(&case.path).unwrap();
            if !text.contains(from) {
                return Err(format!("the fixture no longer contains {from:?}"));
            }
            judge(&case.path, Some(&text.replacen(from, to, 1)), controls, &[])
        }
    };
    let how = match diff.confirm {
        Confirm::Args(args) => format!("agrees with {}", args.join(" ")),
        Confirm::CoveredBy(others) => format!("reported by {others}"),
        Confirm::Fixture(from, to) => format!("agrees once {from:?} reads {to:?}"),
        Confirm::None => unreachable!(),
    };
    // Under a variant, a pass expectation needs only the finding gone: a corrected fixture may
    // take the resource out of the control's scope altogether (a built-in role is not judged).
    let agrees = match case.expect {
        Expect::Fail => matches!(outcome, Outcome::Fail(_)),
        Expect::Pass => !matches!(outcome, Outcome::Fail(_)),
    };
    if agrees {
        Ok(how)
    } else {
        Err(format!(
            "expected {:?} under the variant ({how}), got {}; the reason given: {}",
            case.expect,
            outcome.short(),
            diff.reason
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Real-world corpus
// ---------------------------------------------------------------------------------------------

/// Files of the real-world corpus expected to produce diagnostics, and why. Paths are relative to
/// `corpus/realworld`. Every other file must load without any diagnostic, and every file listed
/// must still produce its diagnostic at that level.
const EXPECTED_DIAGNOSTICS: &[(&str, &str, &str)] = &[
    // Not valid YAML for Kubernetes: template placeholders a script substitutes before use.
    (
        "kubernetes-examples/_archived/newrelic-infrastructure/newrelic-config-template.yaml",
        "error",
        "template: `config: {{config_data}}` is a placeholder a script fills in, not a value",
    ),
    (
        "kubernetes-examples/_archived/newrelic/newrelic-config-template.yaml",
        "error",
        "template: `config: {{config_data}}` is a placeholder a script fills in, not a value",
    ),
    (
        "kubernetes-examples/_archived/storage/vitess/etcd-controller-template.yaml",
        "error",
        "template: `replicas: {{replicas}}` and other placeholders",
    ),
    (
        "kubernetes-examples/_archived/storage/vitess/etcd-service-template.yaml",
        "error",
        "template: `{{cell}}` placeholders",
    ),
    (
        "kubernetes-examples/_archived/storage/vitess/vtgate-controller-template.yaml",
        "error",
        "template: `replicas: {{replicas}}` and other placeholders",
    ),
    (
        "prometheus-operator/example/additional-scrape-configs/prometheus-additional.yaml",
        "error",
        "a Prometheus scrape configuration (a YAML list) that the example stores in a Secret, not a Kubernetes object",
    ),
    // Not Kubernetes objects at all: skipped with a warning.
    (
        "kubernetes-examples/databases/cassandra/image/files/cassandra.yaml",
        "warning",
        "Cassandra's own configuration file",
    ),
    (
        "kubernetes-examples/databases/cassandra/java/src/test/resources/cassandra.yaml",
        "warning",
        "Cassandra's own configuration file (test resource)",
    ),
    (
        "prometheus-operator/example/user-guides/alerting/alertmanager.yaml",
        "warning",
        "Alertmanager's own configuration file",
    ),
    // Real defects of the files: duplicate keys, which the API server would reject.
    (
        "kubernetes-examples/_archived/openshift-origin/etcd-controller.yaml",
        "warning",
        "duplicate key `selector`",
    ),
    (
        "kubernetes-examples/_archived/openshift-origin/etcd-discovery-controller.yaml",
        "warning",
        "duplicate key `selector`",
    ),
    (
        "kubernetes-examples/_archived/openshift-origin/openshift-controller.yaml",
        "warning",
        "duplicate key `selector`",
    ),
    (
        "kubernetes-examples/_archived/persistent-volume-provisioning/quobyte/quobyte-admin-secret.yaml",
        "warning",
        "duplicate key `type`",
    ),
    (
        "kubernetes-examples/_archived/volumes/scaleio/sc-pvc.yaml",
        "warning",
        "duplicate key `storageClassName`",
    ),
];

/// The Kustomize directory of the corpus, rendered with `kubectl kustomize` (or `kustomize`).
const KUSTOMIZE_DIR: &str = "microservices-demo/kubernetes-manifests";

/// Inventory workloads that the scan deliberately does not see.
const UNSCANNED_WORKLOADS: &[(&str, &str)] = &[(
    "microservices-demo/kubernetes-manifests/loadgenerator.yaml",
    "the directory is a Kustomization and its kustomization.yaml does not list this file, so `kustomize build` leaves it out",
)];

struct Realworld {
    root: PathBuf,
    report: Value,
    code: i32,
    stderr: String,
    kustomize_available: bool,
}

fn on_path(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
}

/// One scan of the whole corpus, shared by the tests below.
fn realworld() -> Option<&'static Realworld> {
    static SCAN: OnceLock<Option<Realworld>> = OnceLock::new();
    SCAN.get_or_init(|| {
        let root = shared("corpus/realworld")?.canonicalize().unwrap();
        let output = palisade()
            .arg("scan")
            .arg(&root)
            .args(["--format", "json"])
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let report = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("not a JSON report ({e}); stderr: {stderr}"));
        Some(Realworld {
            root,
            report,
            code: output.status.code().unwrap_or(-1),
            stderr,
            kustomize_available: on_path("kubectl") || on_path("kustomize"),
        })
    })
    .as_ref()
}

impl Realworld {
    /// A report path relative to the corpus; `(kustomize build)` and `(helm template)` sources
    /// become their directory.
    fn relative(&self, file: &str) -> String {
        let file = file
            .strip_suffix(" (kustomize build)")
            .or_else(|| file.strip_suffix(" (helm template)"))
            .unwrap_or(file);
        let root = format!("{}/", self.root.display());
        file.strip_prefix(&root).unwrap_or(file).to_string()
    }
}

#[test]
fn realworld_corpus_scans_without_crash_or_unexpected_diagnostics() {
    let Some(rw) = realworld() else {
        return;
    };
    assert!(
        !rw.stderr.contains("panicked"),
        "the scan panicked: {}",
        rw.stderr
    );
    assert!(
        matches!(rw.code, 0 | 1),
        "exit status {} (2 means the scan could not run): {}",
        rw.code,
        rw.stderr
    );

    let files = walk(&rw.root)
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        })
        .count();
    let summary = &rw.report["summary"];
    eprintln!(
        "Real-world corpus: {files} manifest files, {} sources, {} resources, {} findings (critical {}, high {}, medium {}, low {}, info {}), {} not evaluated, exit status {}",
        summary["sources"],
        summary["resources"],
        summary["findings"],
        summary["critical"],
        summary["high"],
        summary["medium"],
        summary["low"],
        summary["info"],
        summary["notEvaluated"],
        rw.code
    );

    let mut seen: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for diagnostic in rw.report["diagnostics"].as_array().unwrap() {
        let file = diagnostic["file"]
            .as_str()
            .map(|f| rw.relative(f))
            .unwrap_or_default();
        let level = diagnostic["level"].as_str().unwrap().to_string();
        seen.entry((file, level)).or_default().push(format!(
            "line {}: {}",
            diagnostic["line"],
            diagnostic["message"].as_str().unwrap()
        ));
    }
    let mut problems = Vec::new();
    eprintln!("Diagnostics ({} files):", seen.len());
    for ((file, level), messages) in &seen {
        eprintln!("  {level} {file}: {}", messages.join("; "));
        let expected = EXPECTED_DIAGNOSTICS
            .iter()
            .any(|(f, l, _)| f == file && l == level)
            || (file == KUSTOMIZE_DIR && level == "error" && !rw.kustomize_available);
        if !expected {
            problems.push(format!(
                "unexpected {level} on {file}: {}",
                messages.join("; ")
            ));
        }
    }
    for (file, level, why) in EXPECTED_DIAGNOSTICS {
        if !seen.contains_key(&(file.to_string(), level.to_string())) {
            problems.push(format!(
                "{file} ({why}) no longer gives a {level}; update EXPECTED_DIAGNOSTICS"
            ));
        }
    }
    if !rw.kustomize_available {
        eprintln!(
            "SKIPPED: neither kubectl nor kustomize is on PATH, so {KUSTOMIZE_DIR} is not rendered"
        );
    }
    assert!(
        problems.is_empty(),
        "real-world diagnostics:\n{}",
        problems.join("\n")
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The container a finding's message names (`container `x`` or `init container `x``).
fn container_of(message: &str) -> Option<&str> {
    let start = message.find("container `")? + "container `".len();
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

/// The tag of an image reference, without registry port or digest.
fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap();
    let last = name.rsplit('/').next().unwrap();
    last.split_once(':').map(|(_, tag)| tag)
}

/// Capabilities the Pod Security Standards baseline allows to be added.
const BASELINE_CAPS: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// Controls whose findings the inventory can contradict.
const CROSS_CHECKED: &[&str] = &[
    "IMG-001", "IMG-002", "IMG-003", "POD-001", "POD-002", "POD-003", "POD-005", "POD-014",
    "POD-015", "POD-016", "POD-017", "POD-018", "POD-020", "POD-021", "POD-022", "POD-023",
    "POD-024", "POD-025", "POD-026", "RES-001", "RES-002", "RES-003", "RES-004", "RES-005",
    "RES-006", "SEC-003",
];

/// Why a finding of `control` on this container contradicts what the inventory says is set, if
/// it does.
fn container_false_positive(control: &str, message: &str, c: &Value) -> Option<String> {
    let drop = strings(&c["caps_drop"]);
    let add = strings(&c["caps_add"]);
    let limits = strings(&c["limits"]);
    let requests = strings(&c["requests"]);
    let image = c["image"].as_str().unwrap_or_default();
    let wrong = |why: &str| Some(why.to_string());
    match control {
        "POD-001" if c["privileged"] == false => wrong("privileged: false"),
        "POD-014" if c["allowPrivilegeEscalation"] == false => {
            wrong("allowPrivilegeEscalation: false")
        }
        "POD-015" if c["runAsNonRoot"] == true => wrong("runAsNonRoot: true"),
        "POD-016" if c["runAsUser"].as_i64().is_some_and(|u| u > 0) => wrong("runAsUser > 0"),
        "POD-017" if matches!(c["seccomp"].as_str(), Some("RuntimeDefault" | "Localhost")) => {
            wrong("seccomp profile set")
        }
        "POD-018" if drop.contains(&"ALL") && add.iter().all(|a| *a == "NET_BIND_SERVICE") => {
            wrong("drops ALL, adds nothing beyond NET_BIND_SERVICE")
        }
        "POD-020" if c["readOnlyRootFilesystem"] == true => wrong("readOnlyRootFilesystem: true"),
        "POD-024" if drop.contains(&"ALL") || drop.contains(&"NET_RAW") => {
            wrong("drops ALL or NET_RAW")
        }
        "POD-005" | "POD-025" if add.is_empty() => wrong("adds no capabilities"),
        // A request defaults to the limit when only the limit is set.
        "RES-001" if requests.contains(&"cpu") || limits.contains(&"cpu") => {
            wrong("CPU request (or limit) set")
        }
        "RES-002" if limits.contains(&"cpu") => wrong("CPU limit set"),
        "RES-003" if requests.contains(&"memory") || limits.contains(&"memory") => {
            wrong("memory request (or limit) set")
        }
        "RES-004" if limits.contains(&"memory") => wrong("memory limit set"),
        "RES-005" if c["liveness"] == true => wrong("livenessProbe set"),
        "RES-006" if c["readiness"] == true => wrong("readinessProbe set"),
        "IMG-001" if image.contains('@') || image_tag(image).is_some_and(|t| t != "latest") => {
            wrong("pinned tag or digest")
        }
        "IMG-002" if image.contains("@sha256:") => wrong("pinned by digest"),
        "IMG-003" if c["imagePullPolicy"] == "Always" => wrong("imagePullPolicy: Always"),
        // `envFrom` with a secretRef is not in the inventory; only single keys are.
        "SEC-003" if message.contains("reads key") && c["env_secretKeyRef"] == 0 => {
            wrong("no env entry reads a Secret (valueFrom.secretKeyRef)")
        }
        _ => None,
    }
}

/// Controls a container must get, from what the inventory says it sets (or leaves unset).
fn container_expected(c: &Value) -> Vec<(&'static str, &'static str)> {
    let mut expected = Vec::new();
    if c["privileged"] == true {
        expected.push(("POD-001", "privileged: true"));
    }
    if c["readOnlyRootFilesystem"].is_null() {
        expected.push(("POD-020", "readOnlyRootFilesystem not set"));
    }
    if c["allowPrivilegeEscalation"].is_null() {
        expected.push(("POD-014", "allowPrivilegeEscalation not set"));
    }
    if c["caps_drop"].is_null() {
        expected.push(("POD-018", "drops no capabilities"));
        expected.push(("POD-024", "drops no capabilities"));
    }
    if strings(&c["caps_add"])
        .iter()
        .any(|cap| !BASELINE_CAPS.contains(cap))
    {
        expected.push(("POD-005", "adds a capability outside the baseline set"));
    }
    if c["env_secretKeyRef"].as_u64().is_some_and(|n| n > 0) {
        expected.push((
            "SEC-003",
            "an env entry reads a Secret (valueFrom.secretKeyRef)",
        ));
    }
    if strings(&c["limits"]).is_empty() {
        expected.push(("RES-002", "no limits"));
        expected.push(("RES-004", "no limits"));
    }
    expected
}

#[test]
fn realworld_findings_agree_with_the_inventory() {
    let Some(rw) = realworld() else {
        return;
    };
    let Some(inventory_path) = shared("corpus/realworld-inventory.json") else {
        return;
    };
    let inventory: Value =
        serde_json::from_str(&std::fs::read_to_string(inventory_path).unwrap()).unwrap();

    // (relative file, kind, name) → findings
    let mut by_resource: BTreeMap<(String, String, String), Vec<&Value>> = BTreeMap::new();
    for finding in rw.report["findings"].as_array().unwrap() {
        let Some(file) = finding["location"]["file"].as_str() else {
            continue;
        };
        let resource = &finding["resource"];
        by_resource
            .entry((
                rw.relative(file),
                resource["kind"].as_str().unwrap().to_string(),
                resource["name"].as_str().unwrap().to_string(),
            ))
            .or_default()
            .push(finding);
    }

    let mut problems = Vec::new();
    let (mut workloads, mut containers, mut negative, mut positive, mut unscanned) =
        (0, 0, 0, 0, 0);
    for (set, spec) in inventory["sets"].as_object().unwrap() {
        for workload in spec["workloads"].as_array().unwrap() {
            let file = format!("{set}/{}", workload["file"].as_str().unwrap());
            let kind = workload["kind"].as_str().unwrap();
            let name = workload["name"].as_str().unwrap();
            let label = format!("{kind}/{name} in {file}");
            if UNSCANNED_WORKLOADS.iter().any(|(f, _)| *f == file) {
                unscanned += 1;
                continue;
            }
            // A file of the Kustomize directory is scanned as part of its build; findings point
            // at the authored file, or at the build output where a line cannot be mapped back.
            let in_kustomization = Path::new(&file).parent() == Some(Path::new(KUSTOMIZE_DIR));
            if in_kustomization && !rw.kustomize_available {
                unscanned += 1;
                continue;
            }
            let sources: &[&str] = if in_kustomization {
                &[&file, KUSTOMIZE_DIR]
            } else {
                &[&file]
            };
            let findings: Vec<&Value> = sources
                .iter()
                .filter_map(|source| {
                    by_resource.get(&(source.to_string(), kind.to_string(), name.to_string()))
                })
                .flatten()
                .copied()
                .collect();
            if findings.is_empty() {
                problems.push(format!(
                    "{label}: no finding matches this workload, so it cannot be cross-checked"
                ));
                continue;
            }
            workloads += 1;
            let pod = &workload["pod"];
            let by_container: BTreeMap<&str, &Value> = workload["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["name"].as_str().unwrap(), c))
                .collect();
            containers += by_container.len();

            // False positives: a finding contradicting a field set safely.
            for finding in &findings {
                let control = finding["control"].as_str().unwrap();
                let message = finding["message"].as_str().unwrap();
                let claim = match container_of(message) {
                    Some(container) => match by_container.get(container) {
                        Some(c) => container_false_positive(control, message, c),
                        None => {
                            problems.push(format!("{label}: {control} names container `{container}`, which the inventory does not list"));
                            None
                        }
                    },
                    None => match control {
                        "POD-002"
                            if ["hostNetwork", "hostPID", "hostIPC"]
                                .iter()
                                .all(|k| pod[k] != true) =>
                        {
                            Some("the pod shares no host namespace".to_string())
                        }
                        "POD-003" | "POD-022" | "POD-023" | "POD-026"
                            if strings(&pod["hostPath"]).is_empty() =>
                        {
                            Some("the pod has no hostPath volume".to_string())
                        }
                        "POD-021" if pod["automountServiceAccountToken"] == false => {
                            Some("the pod sets automountServiceAccountToken: false".to_string())
                        }
                        _ => None,
                    },
                };
                negative += usize::from(CROSS_CHECKED.contains(&control));
                if let Some(why) = claim {
                    problems.push(format!(
                        "false positive {control} on {label} at {}: inventory says {why}; message: {message}",
                        finding["path"].as_str().unwrap()
                    ));
                }
            }

            // False negatives: unambiguous settings that must be reported.
            let reported = |control: &str, container: Option<&str>| {
                findings.iter().any(|f| {
                    f["control"] == control
                        && (container.is_none()
                            || container_of(f["message"].as_str().unwrap()) == container)
                })
            };
            for (cname, c) in &by_container {
                for (control, why) in container_expected(c) {
                    positive += 1;
                    if !reported(control, Some(cname)) {
                        problems.push(format!(
                            "missed {control} on container `{cname}` of {label}: {why}"
                        ));
                    }
                }
            }
            for key in ["hostNetwork", "hostPID", "hostIPC"] {
                if pod[key] == true {
                    positive += 1;
                    if !reported("POD-002", None) {
                        problems.push(format!("missed POD-002 on {label}: {key}: true"));
                    }
                }
            }
            if !strings(&pod["hostPath"]).is_empty() {
                positive += 1;
                if !reported("POD-003", None) {
                    problems.push(format!("missed POD-003 on {label}: hostPath volumes"));
                }
            }
        }
    }
    eprintln!(
        "Real-world inventory cross-check: {workloads} workloads, {containers} containers; {negative} findings checked against the fields they judge, {positive} expected findings checked; {unscanned} workloads not scanned by design; {} problems",
        problems.len()
    );
    for (file, why) in UNSCANNED_WORKLOADS {
        eprintln!("  not scanned: {file}: {why}");
    }
    assert!(
        problems.is_empty(),
        "real-world cross-check problems:\n{}",
        problems.join("\n")
    );
}

/// Kinds the API server serves cluster-wide: an object of these kinds has no namespace, so a
/// namespace finding on one is false.
const CLUSTER_SCOPED: &[&str] = &[
    "APIService",
    "CertificateSigningRequest",
    "ClusterRole",
    "ClusterRoleBinding",
    "ComponentStatus",
    "CSIDriver",
    "CSINode",
    "CustomResourceDefinition",
    "IngressClass",
    "InitializerConfiguration",
    "MutatingWebhookConfiguration",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PodSecurityPolicy",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "ValidatingWebhookConfiguration",
    "VolumeAttachment",
];

/// The kinds of the core `v1` API group. A document claiming `apiVersion: v1` with another kind
/// is not a Kubernetes object (e.g. a component's own configuration file).
const CORE_V1_KINDS: &[&str] = &[
    "Binding",
    "ComponentStatus",
    "ConfigMap",
    "Endpoints",
    "Event",
    "LimitRange",
    "Namespace",
    "Node",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Pod",
    "PodTemplate",
    "ReplicationController",
    "ResourceQuota",
    "Secret",
    "Service",
    "ServiceAccount",
];

/// False positives found in the real-world corpus, reported and not yet fixed: (control, file,
/// what is wrong). Tolerated and printed; an entry that no longer fires fails the test, so it
/// gets removed.
const REALWORLD_AWAITING_FIX: &[(&str, &str, &str)] = &[];

/// Built-in API versions the API server no longer serves: every object of one must get API-001.
const REMOVED_API_VERSIONS: &[&str] = &[
    "admissionregistration.k8s.io/v1alpha1",
    "apps/v1beta1",
    "apps/v1beta2",
    "extensions/v1beta1",
    "policy/v1beta1",
    "storage.k8s.io/v1beta1",
];

#[test]
fn realworld_findings_respect_object_scope() {
    let Some(rw) = realworld() else {
        return;
    };
    // (control, file, kind, name) → what is wrong: findings that should not be there, and
    // findings missing on a resource the report shows.
    let mut wrong: BTreeMap<(String, String, String, String), String> = BTreeMap::new();
    let mut deprecated_api: BTreeMap<(String, String, String), (String, bool)> = BTreeMap::new();
    for finding in rw.report["findings"].as_array().unwrap() {
        let control = finding["control"].as_str().unwrap();
        let resource = &finding["resource"];
        let kind = resource["kind"].as_str().unwrap();
        let name = resource["name"].as_str().unwrap();
        let api_version = resource["apiVersion"].as_str().unwrap();
        let file = finding["location"]["file"]
            .as_str()
            .map(|f| rw.relative(f))
            .unwrap_or_default();
        let key = |control: &str| {
            (
                control.to_string(),
                file.clone(),
                kind.to_string(),
                name.to_string(),
            )
        };
        if control == "NS-001" && CLUSTER_SCOPED.contains(&kind) {
            wrong.insert(
                key(control),
                format!("false positive: {kind} is cluster-scoped, so it has no namespace"),
            );
        } else if api_version == "v1" && !CORE_V1_KINDS.contains(&kind) {
            wrong.insert(
                key(control),
                format!("false positive: `apiVersion: v1` has no kind {kind}, so this is not a Kubernetes object"),
            );
        }
        if REMOVED_API_VERSIONS.contains(&api_version) {
            let entry = deprecated_api
                .entry((file.clone(), kind.to_string(), name.to_string()))
                .or_insert_with(|| (api_version.to_string(), false));
            entry.1 |= control == "API-001";
        }
    }
    for ((file, kind, name), (api_version, reported)) in deprecated_api {
        if !reported {
            wrong.insert(
                ("API-001".into(), file, kind.clone(), name),
                format!("missed: {api_version} {kind} is no longer served"),
            );
        }
    }

    let mut problems = Vec::new();
    let mut open = Vec::new();
    for ((control, file, kind, name), why) in &wrong {
        let line = format!("{control} on {kind}/{name} in {file}: {why}");
        if REALWORLD_AWAITING_FIX
            .iter()
            .any(|(c, f, _)| c == control && f == file)
        {
            open.push(line);
        } else {
            problems.push(line);
        }
    }
    for (control, file, _) in REALWORLD_AWAITING_FIX {
        if !wrong.keys().any(|(c, f, _, _)| c == control && f == file) {
            problems.push(format!("{control} on {file} is listed in REALWORLD_AWAITING_FIX but is now right; remove the entry"));
        }
    }
    eprintln!(
        "Real-world scope check: {} open problems awaiting a fix",
        open.len()
    );
    for line in &open {
        eprintln!("  {line}");
    }
    assert!(
        problems.is_empty(),
        "real-world scope problems:\n{}",
        problems.join("\n")
    );
}
