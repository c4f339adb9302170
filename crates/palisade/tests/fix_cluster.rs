//! `palisade fix --cluster` against the fake API server: the real binary, the real kube client
//! and, for the printed commands, the real `kubectl`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{palisade, texts};
use palisade_fakeapi::{FakeApiServer, FakeApiServerBuilder, RequestRecord};
use serde_json::{Value, json};

fn container(name: &str) -> Value {
    json!({"name": name, "image": "registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000"})
}

fn template(containers: Value) -> Value {
    json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": containers}})
}

fn controller(api_version: &str, kind: &str, name: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name,
            "uid": format!("uid-{name}"), "controller": true}])
}

/// A Deployment with its ReplicaSet and Pod, a privileged StatefulSet, a CronJob with its Job
/// and Pod (namespace `payments`), and an Argo CD-managed Deployment (namespace `apps`).
fn objects() -> Vec<Value> {
    let web = template(json!([container("app"), container("sidecar")]));
    let mut privileged = container("db");
    privileged["securityContext"] = json!({"privileged": true});
    let nightly = template(json!([container("report")]));
    vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "payments"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "web", "namespace": "payments", "generation": 3},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}, "template": web}}),
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
               "metadata": {"name": "web-5d4f", "namespace": "payments",
                            "ownerReferences": controller("apps/v1", "Deployment", "web")},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}}, "template": web}}),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "web-5d4f-abcde", "namespace": "payments", "labels": {"app": "x"},
                            "ownerReferences": controller("apps/v1", "ReplicaSet", "web-5d4f")},
               "spec": web["spec"]}),
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "db", "namespace": "payments"},
               "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "x"}},
                        "template": template(json!([privileged]))}}),
        json!({"apiVersion": "batch/v1", "kind": "CronJob",
               "metadata": {"name": "nightly", "namespace": "payments"},
               "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": nightly}}}}),
        json!({"apiVersion": "batch/v1", "kind": "Job",
               "metadata": {"name": "nightly-29000000", "namespace": "payments",
                            "ownerReferences": controller("batch/v1", "CronJob", "nightly")},
               "spec": {"template": nightly}}),
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "nightly-29000000-xyz", "namespace": "payments",
                            "ownerReferences": controller("batch/v1", "Job", "nightly-29000000")},
               "spec": nightly["spec"]}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "api", "namespace": "apps",
                            "labels": {"app.kubernetes.io/instance": "payments-api"},
                            "annotations": {"argocd.argoproj.io/tracking-id":
                                            "payments-api:apps/Deployment:apps/api"}},
               "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "x"}},
                        "template": template(json!([container("api")]))}}),
    ]
}

fn server(builder: FakeApiServerBuilder) -> FakeApiServer {
    builder
        .objects(objects())
        .start()
        .expect("fake API server starts")
}

struct Kubeconfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn kubeconfig(server: &FakeApiServer) -> Kubeconfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    FakeApiServer::write_kubeconfig(&path, &[("payments-prod", server)]).unwrap();
    Kubeconfig { _dir: dir, path }
}

/// `palisade fix --cluster --kubeconfig K ARGS`, with an empty pipe for standard input.
fn fix(kubeconfig: &Path, args: &[&str]) -> (String, String, i32) {
    let output: Output = palisade()
        .args(["fix", "--cluster", "--kubeconfig"])
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .write_stdin("")
        .output()
        .unwrap();
    texts(output)
}

/// The findings of controls with a safe fix (`palisade controls`) still open on the objects
/// of `namespace`, as `control kind/name`.
fn open_safe_fixable(kubeconfig: &Path, namespace: &str) -> Vec<String> {
    let output = palisade()
        .args([
            "scan",
            "--cluster",
            "--format",
            "json",
            "-n",
            namespace,
            "--kubeconfig",
        ])
        .arg(kubeconfig)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut open: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["fix"]["safety"] == "safe")
        .map(|f| {
            format!(
                "{} {}/{}",
                f["control"].as_str().unwrap(),
                f["resource"]["kind"].as_str().unwrap(),
                f["resource"]["name"].as_str().unwrap()
            )
        })
        .collect();
    open.sort();
    open
}

fn patches(server: &FakeApiServer) -> Vec<RequestRecord> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect()
}

/// The real kubectl, or None (a visible skip) outside CI.
fn kubectl() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("kubectl"))
            .find(|p| p.is_file())
    });
    let found = on_path.or_else(|| {
        ["/usr/bin/kubectl", "/work/main/.tools/bin/kubectl"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "kubectl is required in CI"
        );
        eprintln!("SKIPPED: kubectl not found; the printed commands were not run");
    }
    found
}

#[test]
fn printed_commands_target_the_owners_and_kubectl_applies_them_as_printed() {
    let server = server(FakeApiServer::builder());
    let config = kubeconfig(&server);
    let before = open_safe_fixable(&config.path, "payments");
    assert!(
        before
            .iter()
            .any(|f| f.starts_with("POD-014 Deployment/web")),
        "{before:?}"
    );

    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments"]);
    assert_eq!(code, 1, "something to patch: {stderr}");
    let commands: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("kubectl "))
        .collect();
    let targets: Vec<String> = commands
        .iter()
        .map(|c| c.split(' ').take(4).collect::<Vec<_>>().join(" "))
        .collect();
    // One patch per object a person edits: never the ReplicaSet, the Job or the Pods.
    assert_eq!(
        targets,
        [
            "kubectl patch deployment web",
            "kubectl patch statefulset db",
            "kubectl patch cronjob nightly"
        ],
        "{stdout}"
    );
    let web = commands[0];
    let kubeconfig = config.path.display().to_string();
    assert!(
        web.starts_with(&format!(
            "kubectl patch deployment web -n payments --kubeconfig {kubeconfig} --context payments-prod --type=json -p '["
        )),
        "{web}"
    );
    // Both containers' fixes merged into the one patch, each container pinned by name.
    for pinned in [
        r#"{"op":"test","path":"/spec/template/spec/containers/0/name","value":"app"}"#,
        r#"{"op":"test","path":"/spec/template/spec/containers/1/name","value":"sidecar"}"#,
    ] {
        assert!(web.contains(pinned), "{web}");
    }
    assert!(commands[2].contains("/spec/jobTemplate/spec/template/spec/containers/0/"));
    assert!(stderr.contains("Would patch"), "{stderr}");
    assert!(patches(&server).is_empty(), "printing patches nothing");

    let Some(kubectl) = kubectl() else { return };
    let path = std::env::join_paths(
        std::iter::once(kubectl.parent().unwrap().to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .unwrap();
    for command in &commands {
        let run = std::process::Command::new("sh")
            .args(["-c", command])
            .env("PATH", &path)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{command}\n{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(String::from_utf8_lossy(&run.stdout).contains(" patched"));
    }
    let after = open_safe_fixable(&config.path, "payments");
    assert!(after.is_empty(), "safe fixes left open: {after:?}");
    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments"]);
    assert_eq!((stdout.as_str(), code), ("", 0), "{stderr}");
    assert!(stderr.starts_with("Nothing to patch."), "{stderr}");
}

#[test]
fn apply_runs_a_dry_run_of_each_patch_first_and_a_second_run_has_nothing_to_do() {
    let server = server(FakeApiServer::builder());
    let config = kubeconfig(&server);
    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments", "--apply", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("Deployment payments/web (server-side dry run):"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("/spec/template/spec/containers/0/securityContext/privileged: true → false"),
        "{stdout}"
    );
    assert!(
        stdout.contains("patched StatefulSet payments/db"),
        "{stdout}"
    );
    assert!(stderr.contains("Patched "), "{stderr}");
    let log = patches(&server);
    let paths: Vec<(&str, bool)> = log
        .iter()
        .map(|r| (r.path.as_str(), r.is_dry_run()))
        .collect();
    assert_eq!(
        paths,
        [
            ("/apis/apps/v1/namespaces/payments/deployments/web", true),
            ("/apis/apps/v1/namespaces/payments/statefulsets/db", true),
            ("/apis/batch/v1/namespaces/payments/cronjobs/nightly", true),
            ("/apis/apps/v1/namespaces/payments/deployments/web", false),
            ("/apis/apps/v1/namespaces/payments/statefulsets/db", false),
            ("/apis/batch/v1/namespaces/payments/cronjobs/nightly", false),
        ]
    );
    assert!(log.iter().all(
        |r| r.status == 200 && r.content_type.as_deref() == Some("application/json-patch+json")
    ));
    assert!(open_safe_fixable(&config.path, "payments").is_empty());

    server.clear_requests();
    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments", "--apply", "--yes"]);
    assert_eq!((stdout.as_str(), code), ("", 0), "{stderr}");
    assert!(stderr.starts_with("Nothing to patch."), "{stderr}");
    assert!(patches(&server).is_empty());
}

#[test]
fn apply_without_yes_and_without_a_terminal_refuses_before_changing_anything() {
    let server = server(FakeApiServer::builder());
    let config = kubeconfig(&server);
    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments", "--apply"]);
    assert_eq!(code, 2);
    assert_eq!(stdout, "");
    assert!(stderr.contains("pass --yes"), "{stderr}");
    assert!(patches(&server).is_empty());
}

#[test]
fn a_forbidden_patch_is_reported_and_the_other_objects_are_still_patched() {
    let server =
        server(FakeApiServer::builder().forbid_verbs("apps", "statefulsets", None, &["patch"]));
    let config = kubeconfig(&server);
    let (stdout, stderr, code) = fix(&config.path, &["-n", "payments", "--apply", "--yes"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("StatefulSet payments/db: the dry run failed: forbidden"),
        "{stderr}"
    );
    assert!(
        stderr.contains("cannot patch resource \"statefulsets\""),
        "{stderr}"
    );
    assert!(stderr.contains("1 patch(es) not applied."), "{stderr}");
    assert!(
        stdout.contains("patched Deployment payments/web"),
        "{stdout}"
    );
    assert!(
        stdout.contains("patched CronJob payments/nightly"),
        "{stdout}"
    );
    let real: Vec<String> = patches(&server)
        .into_iter()
        .filter(|r| !r.is_dry_run())
        .map(|r| r.path)
        .collect();
    assert_eq!(
        real,
        [
            "/apis/apps/v1/namespaces/payments/deployments/web",
            "/apis/batch/v1/namespaces/payments/cronjobs/nightly"
        ]
    );
}

#[test]
fn gitops_managed_objects_are_flagged_and_patched_only_when_asked() {
    let server = server(FakeApiServer::builder());
    let config = kubeconfig(&server);
    let (stdout, stderr, code) = fix(&config.path, &["-n", "apps"]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains(
            "# Deployment apps/api is managed by Argo CD (Application payments-api): fix the source instead."
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("# kubectl patch deployment api -n apps"),
        "{stdout}"
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("kubectl ")),
        "only commented out: {stdout}"
    );
    assert!(stderr.contains("managed by GitOps"), "{stderr}");

    let (stdout, stderr, code) = fix(&config.path, &["-n", "apps", "--apply", "--yes"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(patches(&server).is_empty(), "never applied: {stdout}");

    let (stdout, stderr, code) = fix(
        &config.path,
        &["-n", "apps", "--apply", "--yes", "--include-gitops"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("patched Deployment apps/api"), "{stdout}");
    assert_eq!(patches(&server).len(), 2, "a dry run, then the patch");
}

#[test]
fn paths_and_cluster_exclude_each_other() {
    let both = palisade()
        .args(["fix", "deploy/", "--cluster"])
        .output()
        .unwrap();
    assert_eq!(both.status.code(), Some(2));
    let neither = palisade().args(["fix"]).output().unwrap();
    assert_eq!(neither.status.code(), Some(2));
    // The flags of --cluster make no sense for files.
    for flag in [
        "--apply",
        "--include-gitops",
        "--exclude-namespace=payments",
    ] {
        let files = palisade().args(["fix", "x", flag]).output().unwrap();
        assert_eq!(files.status.code(), Some(2), "{flag}");
        assert!(String::from_utf8_lossy(&files.stderr).contains("cannot be used with"));
    }
    let yes_alone = palisade()
        .args(["fix", "--cluster", "--yes"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&yes_alone.stderr).contains("--apply"));
}

/// Runs `palisade fix --cluster … --apply` on a pseudo-terminal (util-linux `script`), typing
/// `answer`; None (a visible skip) when `script` is missing (scripts/test.sh does not install
/// it, so CI skips too when its image lacks util-linux).
fn apply_on_a_terminal(kubeconfig: &Path, answer: &str) -> Option<(String, i32)> {
    if !Path::new("/usr/bin/script").is_file() {
        eprintln!("SKIPPED: script(1) not found; the confirmation on a terminal was not tested");
        return None;
    }
    let binary = assert_cmd::cargo::cargo_bin("palisade");
    let command = format!(
        "'{}' fix --cluster --kubeconfig '{}' -n payments --apply",
        binary.display(),
        kubeconfig.display()
    );
    let output = std::process::Command::new("/usr/bin/script")
        .args(["-qec", &command, "/dev/null"])
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(answer.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    Some((
        String::from_utf8_lossy(&output.stdout).replace("\r\n", "\n"),
        output.status.code().unwrap(),
    ))
}

#[test]
fn on_a_terminal_nothing_is_applied_until_the_user_says_yes() {
    let server = server(FakeApiServer::builder());
    let config = kubeconfig(&server);
    let Some((output, code)) = apply_on_a_terminal(&config.path, "n\n") else {
        return;
    };
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("Apply 3 patch(es) to cluster `payments-prod`? [y/N]"),
        "{output}"
    );
    assert!(output.contains("Nothing applied"), "{output}");
    let sent = patches(&server);
    assert_eq!(sent.len(), 3);
    assert!(sent.iter().all(RequestRecord::is_dry_run));

    server.clear_requests();
    let (output, code) = apply_on_a_terminal(&config.path, "y\n").unwrap();
    assert_eq!(code, 0, "{output}");
    assert!(
        output.contains("patched Deployment payments/web"),
        "{output}"
    );
    assert_eq!(
        patches(&server).iter().filter(|r| !r.is_dry_run()).count(),
        3
    );
}
