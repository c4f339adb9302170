//! Serving many objects: a paginated list of 100,000 pods. Ignored by default (it is a
//! measurement); run with `cargo test --release -p palisade-fakeapi --test scale -- --ignored --nocapture`.

use std::time::Instant;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use palisade_fakeapi::FakeApiServer;
use serde_json::{Value, json};

fn pod(i: usize) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": format!("pod-{i:06}"), "namespace": format!("ns-{:03}", i % 200),
            "labels": {"app": format!("app-{}", i % 50), "tier": "backend", "pod-template-hash": "5d8f7c9b6d"},
            "annotations": {"prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("app-{}-5d8f7c9b6d", i % 50), "uid": "0b6f4c1e-3c1a-4f7e-9d55-2a1c0e6b9f00", "controller": true}]},
        "spec": {"serviceAccountName": "default", "nodeName": format!("node-{}", i % 20),
            "containers": [{"name": "app", "image": "registry.example.com/team/app:1.2.3",
                "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true},
                "env": [{"name": "MODE", "value": "production"}]}]},
        "status": {"phase": "Running", "podIP": "10.0.0.1", "hostIP": "192.0.2.1",
            "conditions": [{"type": "Ready", "status": "True"}]}})
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement: run in release mode with --ignored"]
async fn list_100k_pods_in_pages_of_500() {
    const N: usize = 100_000;
    let started = Instant::now();
    let server = FakeApiServer::builder()
        .objects((0..N).map(pod))
        .start_async()
        .await
        .unwrap();
    eprintln!(
        "loaded {N} pods in {:?}, peak RSS {} MiB",
        started.elapsed(),
        peak_rss_kib() / 1024
    );
    let yaml = FakeApiServer::kubeconfig_yaml(&[("fake", &server)]);
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::from_yaml(&yaml).unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let client = kube::Client::try_from(config).unwrap();
    let pods: Api<Pod> = Api::all(client);
    for metadata_only in [false, true] {
        let started = Instant::now();
        let (mut count, mut pages) = (0, 0);
        let mut params = ListParams::default().limit(500);
        loop {
            let (n, token) = if metadata_only {
                let page = pods.list_metadata(&params).await.unwrap();
                (page.items.len(), page.metadata.continue_)
            } else {
                let page = pods.list(&params).await.unwrap();
                (page.items.len(), page.metadata.continue_)
            };
            count += n;
            pages += 1;
            match token.filter(|t| !t.is_empty()) {
                Some(t) => params = params.continue_token(&t),
                None => break,
            }
        }
        assert_eq!(count, N);
        assert_eq!(pages, N / 500);
        eprintln!(
            "listed {count} pods ({}) in {pages} pages in {:?}, peak RSS {} MiB",
            if metadata_only { "metadata" } else { "full" },
            started.elapsed(),
            peak_rss_kib() / 1024
        );
    }
}
