//! A realistic scan result, built by hand, for the reports' tests.

use std::sync::{Arc, LazyLock};

use palisade_core::{
    Alias, Assessment, ControlMeta, ControlSummary, Coverage, Diagnostic, ExpiredException, Family,
    Finding, Fix, FixAvailability, FixSafety, FrameworkScore, FrameworkSpec, Location,
    NotEvaluated, ObjectPath, PssLevel, Requirement, RequirementScore, RequirementStatus,
    ResourceId, Risk, RiskFactors, ScanResult, Section, Severity, Source, SuppressedFinding,
    Suppression, Tool,
};

use crate::ReportInput;

pub(crate) static POD_001: ControlMeta = ControlMeta {
    id: "POD-001",
    title: "Privileged container",
    severity: Severity::Critical,
    family: Family::Pod,
    pss: Some(PssLevel::Baseline),
    aliases: &[
        Alias {
            tool: Tool::Kubescape,
            id: "C-0057",
        },
        Alias {
            tool: Tool::Trivy,
            id: "KSV-0017",
        },
    ],
    remediation: "Set securityContext.privileged to false, or remove it.",
    fix: FixAvailability::Safe,
    doc: " ## What it checks\n Every container whose `securityContext.privileged` is `true`.\n\n ## Why it matters\n A privileged container is root on the node.\n\n ## How to fix\n Set `privileged: false`.",
};

pub(crate) static IMG_001: ControlMeta = ControlMeta {
    id: "IMG-001",
    title: "Image tag is mutable",
    severity: Severity::High,
    family: Family::Img,
    pss: None,
    aliases: &[Alias {
        tool: Tool::KubeLinter,
        id: "latest-tag",
    }],
    remediation: "Pin the image to a digest or an immutable version tag.",
    fix: FixAvailability::NeedsInput,
    doc: " Images referenced by `latest` or no tag at all change under you.\n\n ## How to fix\n Pin the image.",
};

pub(crate) static RES_001: ControlMeta = ControlMeta {
    id: "RES-001",
    title: "Memory limit missing",
    severity: Severity::Medium,
    family: Family::Res,
    pss: None,
    aliases: &[Alias {
        tool: Tool::Polaris,
        id: "memoryLimitsMissing",
    }],
    remediation: "Set resources.limits.memory on every container.",
    fix: FixAvailability::NeedsInput,
    doc: "",
};

pub(crate) static RBAC_001: ControlMeta = ControlMeta {
    id: "RBAC-001",
    title: "Wildcard | in role rules",
    severity: Severity::Low,
    family: Family::Rbac,
    pss: None,
    aliases: &[],
    remediation: "List the verbs and resources a role needs.",
    fix: FixAvailability::None,
    doc: " ## What it checks\n Roles granting `*`.",
};

pub(crate) static NET_001: ControlMeta = ControlMeta {
    id: "NET-001",
    title: "Namespace without NetworkPolicy",
    severity: Severity::Info,
    family: Family::Net,
    pss: None,
    aliases: &[],
    remediation: "Add a default-deny NetworkPolicy to the namespace.",
    fix: FixAvailability::None,
    doc: " ## What it checks\n Namespaces that no NetworkPolicy selects.",
};

/// Every control that "ran", sorted by ID.
pub(crate) static CONTROLS: [&ControlMeta; 5] = [&IMG_001, &NET_001, &POD_001, &RBAC_001, &RES_001];

pub(crate) const WEB_YAML: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:latest
          securityContext:
            privileged: true   # TODO
            runAsUser: 0
";

pub(crate) const RENDERED: &str = "\
---
# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: helper
spec:
  containers:
    - name: helper
      image: busybox:1.36
      securityContext:
        privileged: true
";

pub(crate) fn resource(api: &str, kind: &str, ns: Option<&str>, name: &str) -> ResourceId {
    ResourceId {
        cluster: None,
        api_version: api.into(),
        kind: kind.into(),
        namespace: ns.map(Into::into),
        name: name.into(),
    }
}

pub(crate) fn loc(file: &str, line: u32, column: u32, end_line: u32, end_column: u32) -> Location {
    Location {
        file: file.into(),
        line,
        column,
        end_line,
        end_column,
    }
}

pub(crate) fn finding(
    meta: &'static ControlMeta,
    resource: ResourceId,
    path: &str,
    location: Option<Location>,
    message: &str,
) -> Finding {
    Finding {
        control: meta.id,
        title: meta.title,
        severity: meta.severity,
        resource: resource.into(),
        path: ObjectPath::parse(path),
        location,
        message: message.into(),
        remediation: meta.remediation,
        aliases: meta.aliases,
        fix: None,
        risk: Risk::new(meta.severity, RiskFactors::NONE),
    }
}

pub(crate) const PRIVILEGED_PATH: &str =
    "spec.template.spec.containers[0].securityContext.privileged";

pub(crate) fn sources() -> Vec<Source> {
    vec![
        Source {
            path: Arc::from("deploy/web.yaml"),
            text: Arc::from(WEB_YAML),
            rendered_by: None,
        },
        Source {
            path: Arc::from("chart (helm template)"),
            text: Arc::from(RENDERED),
            rendered_by: Some("helm"),
        },
    ]
}

/// The privileged-container finding in `deploy/web.yaml`, located at the value `true`.
pub(crate) fn privileged_finding() -> Finding {
    let web = resource("apps/v1", "Deployment", Some("shop"), "web");
    let mut f = finding(
        &POD_001,
        web,
        PRIVILEGED_PATH,
        Some(loc("deploy/web.yaml", 13, 25, 13, 29)),
        "container `app` sets privileged: true",
    );
    f.fix = Some(Box::new(Fix::set(
        "set privileged to false",
        FixSafety::Safe,
        ObjectPath::parse(PRIVILEGED_PATH),
        false.into(),
    )));
    f
}

pub(crate) fn result() -> ScanResult {
    let web = resource("apps/v1", "Deployment", Some("shop"), "web");
    let helper = resource("v1", "Pod", None, "helper");
    let api = resource("v1", "Pod", Some("prod"), "api");

    let mut rendered = finding(
        &POD_001,
        helper.clone(),
        "spec.containers[0].securityContext.privileged",
        Some(loc("chart (helm template)", 12, 21, 12, 25)),
        "container `helper` sets privileged: true",
    );
    rendered.fix = Some(Box::new(Fix::set(
        "set privileged to false",
        FixSafety::Safe,
        ObjectPath::parse("spec.containers[0].securityContext.privileged"),
        false.into(),
    )));
    let image = finding(
        &IMG_001,
        web.clone(),
        "spec.template.spec.containers[0].image",
        Some(loc("deploy/web.yaml", 11, 18, 11, 30)),
        "container `app` uses image `nginx:latest` | a mutable tag",
    );
    let memory = finding(
        &RES_001,
        web.clone(),
        "spec.template.spec.containers[0].resources.limits.memory",
        Some(loc("deploy/web.yaml", 10, 11, 15, 1)),
        "container `app` has no memory limit",
    );
    let mut cluster = finding(
        &RES_001,
        api.clone(),
        "spec.containers[0].resources.limits.memory",
        None,
        "container `api` has no memory limit\n(read from the cluster)",
    );
    cluster.fix = Some(Box::new(Fix::set(
        "set a memory limit",
        FixSafety::Unsafe,
        ObjectPath::parse("spec.containers[0].resources.limits.memory"),
        "512Mi".into(),
    )));

    // The Deployment is reachable from outside and privileged; the rest has no context.
    let mut exposed = privileged_finding();
    exposed.risk = Risk::new(
        exposed.severity,
        RiskFactors::EXPOSED | RiskFactors::PRIVILEGED,
    );
    let mut findings = vec![exposed, rendered, image, memory, cluster];
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));

    let suppressed = vec![
        SuppressedFinding {
            finding: finding(
                &IMG_001,
                api.clone(),
                "spec.containers[0].image",
                None,
                "container `api` uses image `api:latest`",
            ),
            suppression: Suppression::InlineIgnore {
                annotation: "palisade.io/ignore".into(),
                reason: "pinned by the deploy pipeline".into(),
            },
        },
        SuppressedFinding {
            finding: finding(
                &RES_001,
                helper.clone(),
                "spec.containers[0].resources.limits.memory",
                Some(loc("chart (helm template)", 9, 7, 12, 25)),
                "container `helper` has no memory limit",
            ),
            suppression: Suppression::Exception {
                reason: "batch helper, sized by LimitRange".into(),
                expires: Some("2027-01-31".into()),
            },
        },
    ];

    ScanResult {
        findings,
        suppressed,
        not_evaluated: vec![NotEvaluated {
            control: "NET-001",
            resource: resource("v1", "Namespace", None, "shop").into(),
            reason: "listing NetworkPolicies is forbidden".into(),
            location: None,
        }],
        controls: vec![
            ControlSummary {
                control: "IMG-001",
                passed: 1,
                failed: 1,
                suppressed: 1,
                ..Default::default()
            },
            ControlSummary {
                control: "NET-001",
                not_evaluated: 1,
                ..Default::default()
            },
            ControlSummary {
                control: "POD-001",
                passed: 1,
                failed: 2,
                ..Default::default()
            },
            ControlSummary {
                control: "RBAC-001",
                not_applicable: 3,
                ..Default::default()
            },
            ControlSummary {
                control: "RES-001",
                failed: 2,
                suppressed: 1,
                ..Default::default()
            },
        ],
        diagnostics: vec![
            Diagnostic::error("did not find expected key")
                .in_file("deploy/broken.yaml")
                .at(3, 5),
            Diagnostic::warning("duplicate key `name`; the last value is used")
                .in_file("deploy/web.yaml")
                .at(4, 3),
        ],
        expired_exceptions: vec![ExpiredException {
            control: "POD-001".into(),
            reason: "legacy agent".into(),
            expired: "2025-06-30".into(),
        }],
        resources_scanned: 4,
        sources_scanned: 3,
        clusters: Vec::new(),
        frameworks: vec![framework_score()],
    }
}

/// The score of `cis-1.12` as the engine would compute it from [`result`]'s control counts,
/// one requirement of every status.
fn framework_score() -> FrameworkScore {
    let requirement = |id: &str, status, controls: &[&str]| RequirementScore {
        id: id.into(),
        section: "5".into(),
        title: format!("requirement {id}"),
        status,
        score: None,
        passed: 0,
        failed: 0,
        excepted: 0,
        not_evaluated: 0,
        controls: controls.iter().map(|c| c.to_string()).collect(),
    };
    FrameworkScore {
        id: "cis-1.12".into(),
        name: "CIS Kubernetes Benchmark".into(),
        version: "1.12.0".into(),
        // (33.3 + 0.0) / 2
        score: Some(16.7),
        requirements: vec![
            RequirementScore {
                score: Some(33.3),
                passed: 1,
                failed: 2,
                ..requirement("5.2.2", RequirementStatus::Failed, &["POD-001"])
            },
            RequirementScore {
                score: Some(0.0),
                failed: 2,
                excepted: 1,
                ..requirement("5.7.4", RequirementStatus::Failed, &["RES-001"])
            },
            RequirementScore {
                not_evaluated: 1,
                ..requirement("5.3.2", RequirementStatus::NotEvaluated, &["NET-001"])
            },
            requirement("5.3.3", RequirementStatus::NotEvaluated, &["NET-002"]),
            requirement("5.1.1", RequirementStatus::NotApplicable, &["RBAC-001"]),
            requirement("5.1.2", RequirementStatus::Manual, &[]),
            requirement("1.1.1", RequirementStatus::NeedsNodeScan, &[]),
        ],
        coverage: Coverage {
            automated: 5,
            manual: 1,
            node_scan: 1,
        },
    }
}

/// Two small frameworks: POD-001 serves a requirement of each, the other controls none.
pub(crate) static FRAMEWORKS: LazyLock<Vec<FrameworkSpec>> = LazyLock::new(|| {
    let framework = |id: &str, requirement: &str| FrameworkSpec {
        id: id.into(),
        aliases: Vec::new(),
        name: id.into(),
        version: "1".into(),
        description: "A test framework.".into(),
        url: "https://example.invalid".into(),
        sections: vec![Section {
            id: "s".into(),
            title: "Section".into(),
        }],
        requirements: vec![
            Requirement {
                id: requirement.into(),
                section: "s".into(),
                title: "No privileged containers".into(),
                assessment: Assessment::Automated {
                    controls: vec!["POD-001".into()],
                },
                rationale: "POD-001 decides it.".into(),
            },
            Requirement {
                id: "manual".into(),
                section: "s".into(),
                title: "Someone checks".into(),
                assessment: Assessment::Manual {
                    evidence: "A signed statement.".into(),
                },
                rationale: "No scan can tell.".into(),
            },
        ],
    };
    vec![
        framework("cis-1.12", "5.2.2"),
        framework("mitre-attack-containers", "T1611"),
    ]
});

pub(crate) fn input<'a>(result: &'a ScanResult, sources: &'a [Source]) -> ReportInput<'a> {
    ReportInput::new(result, sources, &CONTROLS, &FRAMEWORKS, "0.1.0")
}
