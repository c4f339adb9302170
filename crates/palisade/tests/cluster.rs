//! `palisade scan --cluster` against the fake API server: the real binary, the real kube
//! client, TLS and token auth on 127.0.0.1.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{palisade, repo_root};
use palisade_fakeapi::FakeApiServer;
use serde_json::{Value, json};

const SECRET_VALUE: &str = "cGFzc3dvcmQtb2YtdGhlLW9yZGVycy1kYg==";

fn fixture() -> PathBuf {
    repo_root().join("crates/palisade/tests/cluster/demo-shop.json")
}

fn secret() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "orders-db", "namespace": "shop", "labels": {"app": "orders"}},
        "type": "Opaque",
        "data": {"password": SECRET_VALUE}
    })
}

/// A Secret applied with client-side `kubectl apply`: its values are in `data` and, through the
/// last-applied annotation, in its metadata too, which even a metadata-only request returns.
fn applied_secret() -> Value {
    let mut secret = secret();
    let applied = secret.clone();
    secret["metadata"]["name"] = "applied".into();
    secret["metadata"]["annotations"] = json!({
        "kubectl.kubernetes.io/last-applied-configuration": applied.to_string()});
    secret
}

fn server() -> palisade_fakeapi::FakeApiServerBuilder {
    FakeApiServer::builder()
        .objects_from_file(fixture())
        .expect("fixture loads")
        .object(secret())
        .version("v1.34.2")
}

struct Kubeconfig {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn kubeconfig(contexts: &[(&str, &FakeApiServer)]) -> Kubeconfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    FakeApiServer::write_kubeconfig(&path, contexts).unwrap();
    Kubeconfig { _dir: dir, path }
}

fn scan(kubeconfig: &Path, args: &[&str]) -> (Value, i32, String) {
    let output = palisade()
        .args(["scan", "--cluster", "--format", "json", "--kubeconfig"])
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (json, output.status.code().unwrap(), stdout)
}

/// The findings on objects of the cluster (not on the cluster's own version object).
fn object_findings(report: &Value) -> impl Iterator<Item = &Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["resource"]["kind"] != "ClusterVersion")
}

/// What identifies a finding regardless of where the object came from.
fn identities(report: &Value) -> BTreeSet<String> {
    object_findings(report)
        .map(|f| {
            let r = &f["resource"];
            format!(
                "{} {} {}/{} {} {}",
                f["control"], r["kind"], r["namespace"], r["name"], f["path"], f["message"]
            )
        })
        .collect()
}

#[test]
fn a_cluster_scan_reads_every_kind_and_never_a_secret_value() {
    let server = server().start().unwrap();
    let config = kubeconfig(&[("shop-cluster", &server)]);
    let (report, code, raw) = scan(&config.path, &[]);
    assert_eq!(code, 1, "the demo shop has findings");
    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0]["name"], "shop-cluster");
    assert_eq!(clusters[0]["version"], "v1.34.2");
    let findings = report["findings"].as_array().unwrap();
    let kinds: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["resource"]["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "Deployment",
        "StatefulSet",
        "CronJob",
        "ClusterRole",
        "Service",
    ] {
        assert!(kinds.contains(kind), "no finding on a {kind}: {kinds:?}");
    }
    assert!(
        findings
            .iter()
            .all(|f| f["resource"]["cluster"] == "shop-cluster")
    );

    // Secrets were requested as metadata only, and nothing of their values reached a report.
    let requests = server.requests();
    let secret_requests: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/secrets"))
        .collect();
    assert!(!secret_requests.is_empty(), "Secrets were listed");
    for request in &secret_requests {
        let accept = request.accept.as_deref().unwrap_or("");
        assert!(
            accept.contains("as=PartialObjectMetadataList"),
            "Secrets listed in full: {accept}"
        );
    }
    assert!(
        requests.iter().all(|r| !r.served_secret_data),
        "the server sent Secret data to Palisade: {secret_requests:?}"
    );
    assert!(
        !raw.contains(SECRET_VALUE),
        "a Secret value is in the report"
    );
}

#[test]
fn a_secret_value_quoted_in_metadata_is_dropped_on_receipt() {
    let server = server().object(applied_secret()).start().unwrap();
    let config = kubeconfig(&[("c", &server)]);
    for format in ["json", "text", "sarif", "markdown", "junit"] {
        let output = palisade()
            .args(["scan", "--cluster", "--format", format, "--kubeconfig"])
            .arg(&config.path)
            .output()
            .unwrap();
        let all = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{format}: {all}");
        assert!(
            !all.contains(SECRET_VALUE),
            "{format} quotes a Secret value"
        );
    }
}

#[test]
fn the_same_objects_give_the_same_findings_from_files_and_from_a_cluster() {
    let server = server().start().unwrap();
    let config = kubeconfig(&[("c", &server)]);
    let (from_cluster, _, _) = scan(&config.path, &[]);
    let output = palisade()
        .args([
            "scan",
            "--format",
            "json",
            "--complete-inventory",
            "--kube-version",
            "1.34",
        ])
        .arg(fixture())
        .output()
        .unwrap();
    let from_files: Value = serde_json::from_slice(&output.stdout).unwrap();
    let cluster = identities(&from_cluster);
    let files = identities(&from_files);
    // The cluster also holds the Secret, which the file does not.
    let only_cluster: Vec<_> = cluster
        .difference(&files)
        .filter(|f| !f.contains("orders-db"))
        .collect();
    let only_files: Vec<_> = files.difference(&cluster).collect();
    assert!(
        only_cluster.is_empty() && only_files.is_empty(),
        "only from the cluster: {only_cluster:#?}\nonly from files: {only_files:#?}"
    );
    assert!(files.len() > 20, "a meaningful comparison: {}", files.len());
}

#[test]
fn a_forbidden_kind_is_reported_and_its_readers_are_not_evaluated() {
    let server = server()
        .forbid("rbac.authorization.k8s.io", "clusterrolebindings", None)
        .forbid("", "limitranges", None)
        .start()
        .unwrap();
    let config = kubeconfig(&[("c", &server)]);
    let (report, code, _) = scan(&config.path, &[]);
    assert_eq!(code, 1, "the scan goes on and reports findings");
    let unavailable = report["clusters"][0]["unavailable"].as_array().unwrap();
    let forbidden: BTreeSet<&str> = unavailable
        .iter()
        .map(|u| u["resource"].as_str().unwrap())
        .collect();
    assert_eq!(
        forbidden,
        BTreeSet::from(["clusterrolebindings", "limitranges"])
    );
    assert!(unavailable[0]["reason"].as_str().unwrap().contains("403"));
    let not_evaluated = report["notEvaluated"].as_array().unwrap();
    assert!(
        not_evaluated.iter().any(|n| n["control"] == "RES-001"
            && n["reason"]
                .as_str()
                .unwrap()
                .contains("could not read limitranges")),
        "{not_evaluated:#?}"
    );
    let diagnostics = report["diagnostics"].to_string();
    assert!(diagnostics.contains("could not read clusterrolebindings"));

    // Every other format says it too.
    for format in ["text", "sarif", "junit", "markdown"] {
        let output = palisade()
            .args(["scan", "--cluster", "--format", format, "--kubeconfig"])
            .arg(&config.path)
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(
            text.contains("could not read clusterrolebindings"),
            "{format}: {text}"
        );
    }
}

#[test]
fn several_contexts_make_one_report_with_a_section_per_cluster() {
    let prod = server().start().unwrap();
    let staging = FakeApiServer::builder()
        .object(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "debug", "namespace": "tools"},
            "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "busybox"}]}}))
        .version("v1.28.0")
        .start()
        .unwrap();
    let config = kubeconfig(&[("prod", &prod), ("staging", &staging)]);
    let (report, _, _) = scan(&config.path, &["--context", "prod", "--context", "staging"]);
    let names: Vec<&str> = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["prod", "staging"]);
    let clusters_with_findings: BTreeSet<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["resource"]["cluster"].as_str().unwrap())
        .collect();
    assert_eq!(clusters_with_findings, BTreeSet::from(["prod", "staging"]));
    // Each cluster is judged by its own version: the staging Pod is in a 1.28 cluster.
    assert_eq!(report["clusters"][1]["version"], "v1.28.0");

    let (all, _, _) = scan(&config.path, &["--all-contexts"]);
    assert_eq!(all["clusters"].as_array().unwrap().len(), 2);
    assert_eq!(all["summary"]["findings"], report["summary"]["findings"]);

    let output = palisade()
        .args(["scan", "--cluster", "--all-contexts", "--kubeconfig"])
        .arg(&config.path)
        .output()
        .unwrap();
    let text = String::from_utf8(output.stdout).unwrap();
    let prod_at = text.find("══ cluster prod").expect("a prod section");
    let staging_at = text.find("══ cluster staging").expect("a staging section");
    assert!(prod_at < staging_at);
    assert!(text[staging_at..].contains("staging: Pod/debug (tools)"));
}

#[test]
fn namespaces_can_be_narrowed_and_excluded() {
    let server = server()
        .object(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "debug", "namespace": "tools"},
            "spec": {"hostPID": true, "containers": [{"name": "c", "image": "busybox"}]}}))
        .start()
        .unwrap();
    let config = kubeconfig(&[("c", &server)]);
    let namespaces = |report: &Value| -> BTreeSet<String> {
        object_findings(report)
            .map(|f| {
                f["resource"]["namespace"]
                    .as_str()
                    .unwrap_or("-")
                    .to_string()
            })
            .collect()
    };
    let (only_tools, _, _) = scan(&config.path, &["-n", "tools"]);
    assert_eq!(
        namespaces(&only_tools),
        BTreeSet::from(["tools".to_string()])
    );
    let (without_tools, _, _) = scan(&config.path, &["--exclude-namespace", "tools"]);
    assert!(!namespaces(&without_tools).contains("tools"));
    assert!(namespaces(&without_tools).contains("shop"));
}

#[test]
fn an_unreachable_cluster_is_an_error_and_others_still_report() {
    let up = server().start().unwrap();
    let down = FakeApiServer::builder().start().unwrap();
    let config = kubeconfig(&[("up", &up), ("down", &down)]);
    down.stop();
    let (report, code, _) = scan(&config.path, &["--all-contexts"]);
    assert_eq!(code, 1, "findings from the cluster that answered");
    assert_eq!(report["clusters"].as_array().unwrap().len(), 1);
    assert!(report["diagnostics"].to_string().contains("`down`"));

    let output = palisade()
        .args(["scan", "--cluster", "--context", "down", "--kubeconfig"])
        .arg(&config.path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no cluster could be read"));
}

#[test]
fn a_wrong_token_is_a_clear_error() {
    let server = server().start().unwrap();
    let config = kubeconfig(&[("c", &server)]);
    let text = std::fs::read_to_string(&config.path).unwrap();
    std::fs::write(&config.path, text.replace(server.token(), "not-the-token")).unwrap();
    let output = palisade()
        .args(["scan", "--cluster", "--kubeconfig"])
        .arg(&config.path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("401"), "{all}");
}

#[test]
fn several_clusters_are_scored_together_from_their_summed_counts() {
    let pod = |name: &str, privileged: bool| {
        json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "team"},
            "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                "securityContext": {"privileged": privileged}}]}})
    };
    let one = FakeApiServer::builder()
        .object(pod("a", true))
        .start()
        .unwrap();
    let two = FakeApiServer::builder()
        .object(pod("b", false))
        .start()
        .unwrap();
    let config = kubeconfig(&[("one", &one), ("two", &two)]);
    let (report, _, _) = scan(
        &config.path,
        &["--all-contexts", "--framework", "pss-baseline"],
    );
    let frameworks = report["frameworks"].as_array().unwrap();
    assert_eq!(frameworks.len(), 1);
    let privileged = frameworks[0]["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "privileged")
        .unwrap();
    // One pass in `two`, one failure in `one`: 100 × 1 / 2.
    assert_eq!(privileged["passed"], 1);
    assert_eq!(privileged["failed"], 1);
    assert_eq!(privileged["score"], 50.0);
}
