//! `palisade watch` end to end: the real binary watches the fake API server while the test
//! changes objects, and alerts arrive on stdout and at a webhook receiver.

mod common;

use common::webhook_receiver;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use palisade_fakeapi::FakeApiServer;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

struct Watcher {
    child: Child,
    events: Receiver<Value>,
    stderr: Receiver<String>,
    _kubeconfig: tempfile::TempDir,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Watcher {
    fn start(server: &FakeApiServer, extra: &[&str]) -> Watcher {
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        FakeApiServer::write_kubeconfig(&kubeconfig, &[("shop", server)]).unwrap();
        let mut child = Command::new(assert_cmd::cargo::cargo_bin("palisade"))
            .args(["watch", "--kubeconfig"])
            .arg(&kubeconfig)
            .args(extra)
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (events_tx, events) = channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let event: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
                let _ = events_tx.send(event);
            }
        });
        let (stderr_tx, stderr) = channel();
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = stderr_tx.send(line);
            }
        });
        Watcher {
            child,
            events,
            stderr,
            _kubeconfig: dir,
        }
    }

    /// Waits until the baseline is taken and `/readyz` says so; returns the metrics address.
    fn ready(&self) -> String {
        let metrics_line = self.wait_log("metrics on http://");
        let addr = metrics_line
            .split("http://")
            .nth(1)
            .unwrap()
            .trim_end_matches("/metrics")
            .to_string();
        self.wait_log("baseline of");
        wait_status(&addr, "/readyz", 200);
        addr
    }

    /// Waits for a stderr line containing `needle`; returns it.
    fn wait_log(&self, needle: &str) -> String {
        let deadline = Instant::now() + WAIT;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no log line with `{needle}`");
    }
}

/// The next value from `rx` that satisfies `wanted`, skipping others.
fn next_matching(rx: &Receiver<Value>, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + WAIT;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(v) if wanted(&v) => return v,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    panic!("no matching event within {WAIT:?}");
}

fn is(change: &str, control: &str, name: &str) -> impl Fn(&Value) -> bool {
    let (change, control, name) = (change.to_string(), control.to_string(), name.to_string());
    move |e: &Value| {
        e["change"] == change.as_str()
            && e["control"] == control.as_str()
            && e["resource"]["name"] == name.as_str()
    }
}

fn pod(name: &str, privileged: bool) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "registry.example.com/app:1.0",
            "securityContext": {"privileged": privileged}}]}})
}

fn fixture() -> PathBuf {
    common::repo_root().join("crates/palisade/tests/cluster/demo-shop.json")
}

fn http_get(addr: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// The open findings of `control` in namespace `shop`, as `/metrics` counts them.
fn open_in_shop(metrics: &str, control: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| {
            l.starts_with("palisade_findings{")
                && l.contains(&format!("control=\"{control}\""))
                && l.contains("namespace=\"shop\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn wait_status(addr: &str, path: &str, status: u16) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let (got, body) = http_get(addr, path);
        if got == status {
            return body;
        }
        assert!(Instant::now() < deadline, "{path} stayed {got}: {body}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn changes_are_alerted_once_the_baseline_is_taken() {
    let server = FakeApiServer::builder()
        .objects_from_file(fixture())
        .unwrap()
        .object(pod("steady", true))
        .bookmark_interval(Duration::from_millis(200))
        .start()
        .unwrap();
    let (hook, received) = webhook_receiver();
    let watcher = Watcher::start(
        &server,
        &[
            "--alert-webhook",
            &hook,
            "--webhook-min-severity",
            "high",
            "--metrics-addr",
            "127.0.0.1:0",
        ],
    );
    let addr = watcher.ready();

    // Nothing already open is announced.
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        watcher.events.try_recv().is_err(),
        "the baseline must not alert"
    );

    let baseline_pod001 = open_in_shop(&http_get(&addr, "/metrics").1, "POD-001");
    assert!(
        baseline_pod001 >= 1.0,
        "the steady pod's finding is counted"
    );

    // A new privileged pod: opened, on stdout and at the webhook (POD-001 is critical).
    server.apply(pod("intruder", true)).unwrap();
    let opened = next_matching(&watcher.events, is("opened", "POD-001", "intruder"));
    assert_eq!(opened["cluster"], "shop");
    assert_eq!(opened["severity"], "critical");
    let hooked = next_matching(&received, is("opened", "POD-001", "intruder"));
    assert_eq!(hooked["fingerprint"], opened["fingerprint"]);

    // Fixing it resolves it; deleting the steady pod resolves what was open on it.
    server.apply(pod("intruder", false)).unwrap();
    next_matching(&watcher.events, is("resolved", "POD-001", "intruder"));
    server.delete("", "pods", Some("shop"), "steady").unwrap();
    next_matching(&watcher.events, is("resolved", "POD-001", "steady"));

    // Metrics follow: one POD-001 finding fewer in `shop` than at the baseline (steady's).
    let (status, metrics) = http_get(&addr, "/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains("palisade_events_total"), "{metrics}");
    assert_eq!(
        open_in_shop(&metrics, "POD-001"),
        baseline_pod001 - 1.0,
        "{metrics}"
    );

    // Below the webhook's threshold: on stdout only.
    let mut medium = pod("medium", false);
    medium["spec"]["containers"][0]["securityContext"] = json!({"allowPrivilegeEscalation": true});
    server.apply(medium).unwrap();
    next_matching(&watcher.events, is("opened", "POD-014", "medium"));
    std::thread::sleep(Duration::from_millis(300));
    while let Ok(event) = received.try_recv() {
        assert_ne!(
            event["severity"], "medium",
            "below the webhook's threshold: {event}"
        );
    }
}

#[test]
fn the_watch_survives_the_api_going_away_and_relists_after_410() {
    let server = FakeApiServer::builder()
        .objects_from_file(fixture())
        .unwrap()
        .bookmark_interval(Duration::from_millis(200))
        .start()
        .unwrap();
    let watcher = Watcher::start(&server, &["--metrics-addr", "127.0.0.1:0"]);
    let addr = watcher.ready();

    // The API goes away: the watch reports staleness instead of carrying on as if current.
    server.stop();
    let body = wait_status(&addr, "/readyz", 503);
    assert!(body.contains("stale") || !body.is_empty(), "{body}");

    // A change made while it was away, with the history compacted: resuming the watch gets
    // 410 Gone, the watcher re-lists, and the change is still seen exactly once.
    server.apply(pod("while-away", true)).unwrap();
    server.compact();
    server.restart().unwrap();
    next_matching(&watcher.events, is("opened", "POD-001", "while-away"));
    wait_status(&addr, "/readyz", 200);
    std::thread::sleep(Duration::from_millis(500));
    while let Ok(event) = watcher.events.try_recv() {
        assert!(
            !(event["change"] == "opened" && event["resource"]["name"] != "while-away"),
            "a re-list must not re-announce what was open before: {event}"
        );
    }
}
