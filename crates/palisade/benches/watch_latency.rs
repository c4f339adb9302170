//! Watch latency at scale: from a change reaching the API server to its alert reaching a
//! webhook receiver, with `palisade watch` holding every object the server serves.
//!
//! ```sh
//! cargo bench -p palisade --bench watch_latency -- DIR_OF_JSON_LISTS [CHANGES]
//! ```
//! `bench/cluster.sh` prepares 100,000 objects and runs it. Prints a Markdown table.

#[path = "../tests/common.rs"]
mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use palisade_fakeapi::FakeApiServer;
use serde_json::json;

fn peak_rss_mib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}

/// The loop's own measure of its last change: from the watch event arriving to the alert
/// being queued (`palisade_watch_lag_seconds` for pods).
fn internal_lag(metrics: &str) -> Option<Duration> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(metrics).ok()?;
    write!(
        stream,
        "GET /metrics HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let line = text
        .lines()
        .find(|l| l.starts_with("palisade_watch_lag_seconds{") && l.contains("\"pod\""))?;
    let seconds: f64 = line.rsplit(' ').next()?.parse().ok()?;
    Some(Duration::from_secs_f64(seconds))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let Some(dir) = args.first() else {
        eprintln!("usage: watch_latency DIR_OF_JSON_LISTS [CHANGES]");
        return;
    };
    let changes: usize = args.get(1).and_then(|c| c.parse().ok()).unwrap_or(200);
    let binary = std::env::var("PALISADE_BIN").unwrap_or_else(|_| {
        common::repo_root()
            .join("target/release/palisade")
            .display()
            .to_string()
    });

    let started = Instant::now();
    let server = FakeApiServer::builder()
        .objects_from_dir(dir)
        .expect("objects load")
        .history(100_000)
        .start()
        .expect("server starts");
    let objects = server.object_count();
    eprintln!(
        "serving {objects} objects (loaded in {:?})",
        started.elapsed()
    );
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    FakeApiServer::write_kubeconfig(&kubeconfig, &[("bench", &server)]).unwrap();
    let (hook, received) = common::webhook_receiver();

    let started = Instant::now();
    let mut child = Command::new(&binary)
        .args([
            "watch",
            "--no-stdout",
            "--metrics-addr",
            "127.0.0.1:0",
            "--alert-webhook",
            &hook,
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("palisade runs");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut lines = stderr.lines().map_while(Result::ok);
    let metrics = lines
        .by_ref()
        .find_map(|l| {
            let addr = l.split("metrics on http://").nth(1)?;
            Some(addr.trim_end_matches("/metrics").to_string())
        })
        .expect("a metrics address");
    let baseline = lines
        .by_ref()
        .find(|l| l.contains("baseline of"))
        .expect("a baseline");
    let to_baseline = started.elapsed();
    std::thread::spawn(move || lines.for_each(|l| eprintln!("{l}")));
    let rss_at_baseline = peak_rss_mib(child.id());

    let mut latencies = Vec::with_capacity(changes);
    let mut inside = Vec::with_capacity(changes);
    for i in 0..changes {
        let name = format!("latency-{i}");
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "bench"},
            "spec": {"containers": [{"name": "c", "image": "registry.example.com/app:1.0",
                "securityContext": {"privileged": true}}]}});
        let sent = Instant::now();
        server.apply(pod).unwrap();
        loop {
            let event = received
                .recv_timeout(Duration::from_secs(30))
                .expect("an alert within 30 s");
            if event["resource"]["name"] == name.as_str() && event["control"] == "POD-001" {
                latencies.push(sent.elapsed());
                inside.extend(internal_lag(&metrics));
                break;
            }
        }
    }
    let peak = peak_rss_mib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    latencies.sort();
    inside.sort();
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    eprintln!("{baseline}");
    println!(
        "| watch: objects held | {objects} |\n\
         | watch: start to baseline | {:.1} s |\n\
         | watch: change → webhook alert, p50 / p90 / p99 / max ({changes} changes) | {} / {} / {} / {} |\n\
         | watch: of which inside Palisade (event received → alert queued), p50 / p99 | {} / {} |\n\
         | watch: peak memory at baseline / at end | {} / {} MiB |",
        to_baseline.as_secs_f64(),
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap()),
        ms(percentile(&inside, 50.0)),
        ms(percentile(&inside, 99.0)),
        rss_at_baseline.map_or("?".into(), |m| m.to_string()),
        peak.map_or("?".into(), |m| m.to_string()),
    );
}
