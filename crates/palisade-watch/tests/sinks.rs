//! Sinks against real HTTP receivers on 127.0.0.1 and an injected stdout.

mod common;

use std::collections::VecDeque;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use common::{finding, sample};
use palisade_core::Severity;
use palisade_watch::{
    FindingEvent, Metrics, RetryPolicy, SinkConfig, SinkError, SinkKind, SinkSet,
};
use serde_json::Value;
use tokio::sync::Semaphore;

/// One POST as the receiver saw it.
#[derive(Clone, Debug)]
struct Captured {
    headers: HeaderMap,
    body: Value,
}

#[derive(Default)]
struct Inbox {
    requests: Mutex<Vec<Captured>>,
    /// Status (and Retry-After) for the next requests; 200 once it runs out.
    script: Mutex<VecDeque<(u16, Option<&'static str>)>>,
    successes: AtomicUsize,
    /// When set, every request waits for a permit before it is answered.
    hold: Option<Semaphore>,
}

/// A webhook receiver that records every request and answers as scripted.
struct Receiver {
    url: String,
    inbox: Arc<Inbox>,
}

impl Receiver {
    async fn start(script: &[(u16, Option<&'static str>)]) -> Receiver {
        Self::with_inbox(Inbox {
            script: Mutex::new(script.iter().copied().collect()),
            ..Inbox::default()
        })
        .await
    }

    /// A receiver that answers nothing until `release` is called.
    async fn stalled() -> Receiver {
        Self::with_inbox(Inbox {
            hold: Some(Semaphore::new(0)),
            ..Inbox::default()
        })
        .await
    }

    async fn with_inbox(inbox: Inbox) -> Receiver {
        let inbox = Arc::new(inbox);
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(Arc::clone(&inbox));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Receiver {
            url: format!("http://{addr}/hook"),
            inbox,
        }
    }

    fn requests(&self) -> Vec<Captured> {
        self.inbox.requests.lock().unwrap().clone()
    }

    fn successes(&self) -> usize {
        self.inbox.successes.load(Ordering::SeqCst)
    }

    fn release(&self) {
        let hold = self.inbox.hold.as_ref().expect("a stalled receiver");
        hold.add_permits(Semaphore::MAX_PERMITS / 2);
    }
}

async fn receive(State(inbox): State<Arc<Inbox>>, headers: HeaderMap, body: Bytes) -> Response {
    let body = serde_json::from_slice(&body).expect("the body is JSON");
    inbox
        .requests
        .lock()
        .unwrap()
        .push(Captured { headers, body });
    if let Some(hold) = &inbox.hold {
        hold.acquire().await.unwrap().forget();
    }
    let next = inbox.script.lock().unwrap().pop_front();
    let (status, retry_after) = next.unwrap_or((200, None));
    let status = StatusCode::from_u16(status).unwrap();
    if status.is_success() {
        inbox.successes.fetch_add(1, Ordering::SeqCst);
    }
    match retry_after {
        Some(seconds) => (status, [(header::RETRY_AFTER, seconds)]).into_response(),
        None => status.into_response(),
    }
}

/// Retries in milliseconds, so the tests exercise them without waiting.
fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 5,
        initial_delay: Duration::from_millis(2),
        max_delay: Duration::from_millis(20),
        attempt_timeout: Duration::from_secs(5),
    }
}

fn webhook(url: &str) -> SinkConfig {
    SinkConfig {
        retry: fast_retry(),
        ..SinkConfig::new(SinkKind::Webhook {
            url: url.to_owned(),
        })
    }
}

fn opened(name: &str) -> FindingEvent {
    FindingEvent::opened(Some("prod-eu"), finding("POD-001", Severity::High, name))
}

async fn deliver(configs: Vec<SinkConfig>, events: &[FindingEvent]) -> Metrics {
    let metrics = Metrics::new();
    let sinks = SinkSet::new(configs, &metrics).unwrap();
    for event in events {
        sinks.dispatch(event);
    }
    assert!(
        sinks.shutdown(Duration::from_secs(10)).await,
        "queues drained"
    );
    metrics
}

fn counter(metrics: &Metrics, family: &str, sink: &str) -> f64 {
    sample(
        &metrics.encode(),
        &format!("palisade_sink_{family}_total{{sink=\"{sink}\"}}"),
    )
    .unwrap_or_else(|| panic!("no {family} counter for {sink}"))
}

#[tokio::test]
async fn webhook_posts_the_documented_event_json() {
    let receiver = Receiver::start(&[]).await;
    let event = opened("web");
    let metrics = deliver(vec![webhook(&receiver.url)], std::slice::from_ref(&event)).await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.headers[header::CONTENT_TYPE], "application/json");
    let agent = request.headers[header::USER_AGENT].to_str().unwrap();
    assert!(agent.starts_with("palisade/"), "{agent}");
    let body = &request.body;
    assert_eq!(body["schemaVersion"], "1");
    assert_eq!(body["change"], "opened");
    assert_eq!(body["cluster"], "prod-eu");
    assert_eq!(body["fingerprint"], event.fingerprint.as_str());
    assert_eq!(body["control"], "POD-001");
    assert_eq!(body["title"], "Container runs privileged");
    assert_eq!(body["severity"], "high");
    assert_eq!(
        body["resource"],
        serde_json::json!({"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "web"})
    );
    assert_eq!(
        body["path"],
        "spec.template.spec.containers[0].securityContext.privileged"
    );
    assert_eq!(body["message"], "container `app` sets privileged: true");
    assert!(body["remediation"].as_str().unwrap().contains("privileged"));
    let at: jiff::Timestamp = body["at"].as_str().unwrap().parse().unwrap();
    assert_eq!(at, event.at);

    assert_eq!(counter(&metrics, "delivered", "webhook"), 1.0);
    assert_eq!(counter(&metrics, "errors", "webhook"), 0.0);
    assert_eq!(
        sample(
            &metrics.encode(),
            r#"palisade_events_total{change="opened"}"#
        ),
        Some(1.0)
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_delivered() {
    let receiver = Receiver::start(&[(503, None), (503, None)]).await;
    let metrics = deliver(vec![webhook(&receiver.url)], &[opened("web")]).await;
    let requests = receiver.requests();
    assert_eq!(requests.len(), 3, "attempts");
    assert_eq!(receiver.successes(), 1);
    assert!(requests.iter().all(|r| r.body == requests[0].body));
    assert_eq!(counter(&metrics, "delivered", "webhook"), 1.0);
    assert_eq!(counter(&metrics, "retries", "webhook"), 2.0);
    assert_eq!(counter(&metrics, "errors", "webhook"), 0.0);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let receiver = Receiver::start(&[(400, None)]).await;
    let metrics = deliver(vec![webhook(&receiver.url)], &[opened("web")]).await;
    assert_eq!(receiver.requests().len(), 1);
    assert_eq!(counter(&metrics, "delivered", "webhook"), 0.0);
    assert_eq!(counter(&metrics, "errors", "webhook"), 1.0);
    assert_eq!(counter(&metrics, "retries", "webhook"), 0.0);
}

#[tokio::test]
async fn retry_after_is_honoured_but_capped() {
    // An hour, capped at the policy's 20 ms: the test would time out otherwise.
    let receiver = Receiver::start(&[(429, Some("3600"))]).await;
    let started = Instant::now();
    let metrics = deliver(vec![webhook(&receiver.url)], &[opened("web")]).await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(receiver.requests().len(), 2);
    assert_eq!(counter(&metrics, "delivered", "webhook"), 1.0);
}

#[tokio::test]
async fn attempts_are_bounded() {
    let receiver = Receiver::start(&[(500, None); 10]).await;
    let config = SinkConfig {
        retry: RetryPolicy {
            max_attempts: 3,
            ..fast_retry()
        },
        ..webhook(&receiver.url)
    };
    let metrics = deliver(vec![config], &[opened("web")]).await;
    assert_eq!(receiver.requests().len(), 3);
    assert_eq!(counter(&metrics, "errors", "webhook"), 1.0);
    assert_eq!(counter(&metrics, "retries", "webhook"), 2.0);
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // A port that was free a moment ago: connections are refused.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    drop(listener);
    let metrics = deliver(
        vec![webhook(&format!("http://{addr}/hook"))],
        &[opened("web")],
    )
    .await;
    assert_eq!(counter(&metrics, "retries", "webhook"), 4.0);
    assert_eq!(counter(&metrics, "errors", "webhook"), 1.0);
}

#[tokio::test]
async fn a_stalled_receiver_never_blocks_dispatch() {
    let receiver = Receiver::stalled().await;
    let metrics = Metrics::new();
    let config = SinkConfig {
        queue_capacity: 1,
        ..webhook(&receiver.url)
    };
    let sinks = SinkSet::new(vec![config], &metrics).unwrap();

    // The worker takes the first event and hangs on it...
    sinks.dispatch(&opened("first"));
    let deadline = Instant::now() + Duration::from_secs(10);
    while receiver.requests().is_empty() {
        assert!(Instant::now() < deadline, "the first event never arrived");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // ...so the queue holds one more and the rest are dropped, at once.
    let started = Instant::now();
    for i in 0..10 {
        sinks.dispatch(&opened(&format!("web-{i}")));
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "dispatch waited: {:?}",
        started.elapsed()
    );
    assert_eq!(counter(&metrics, "dropped", "webhook"), 9.0);
    assert_eq!(
        sample(
            &metrics.encode(),
            r#"palisade_events_total{change="opened"}"#
        ),
        Some(11.0)
    );

    receiver.release();
    assert!(sinks.shutdown(Duration::from_secs(10)).await);
    let names: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|r| r.body["resource"]["name"].clone())
        .collect();
    assert_eq!(names, ["first", "web-0"]);
    assert_eq!(counter(&metrics, "delivered", "webhook"), 2.0);
}

#[tokio::test]
async fn shutdown_gives_up_on_a_receiver_that_never_answers() {
    let receiver = Receiver::stalled().await;
    let metrics = Metrics::new();
    let sinks = SinkSet::new(vec![webhook(&receiver.url)], &metrics).unwrap();
    sinks.dispatch(&opened("web"));
    let started = Instant::now();
    assert!(!sinks.shutdown(Duration::from_millis(200)).await);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A `Write` the test can read back.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl SharedBuffer {
    fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        assert!(text.is_empty() || text.ends_with('\n'), "a partial line");
        text.lines()
            .map(|l| serde_json::from_str(l).expect("each line is one JSON event"))
            .collect()
    }
}

#[tokio::test]
async fn stdout_writes_json_lines_filtered_and_without_repeats() {
    let out = SharedBuffer::default();
    let receiver = Receiver::start(&[]).await;
    let metrics = Metrics::new();
    let stdout = SinkConfig {
        min_severity: Severity::High,
        ..SinkConfig::new(SinkKind::Stdout)
    };
    let only_critical = SinkConfig {
        min_severity: Severity::Critical,
        ..webhook(&receiver.url)
    };
    let sinks = SinkSet::with_stdout(vec![stdout, only_critical], &metrics, out.clone()).unwrap();

    let low = finding("RES-001", Severity::Low, "web");
    let high = finding("POD-001", Severity::High, "web");
    let critical = finding("POD-002", Severity::Critical, "web");
    let mut reworded = high.clone();
    reworded.message = "container `app` sets privileged: \"true\"".into();
    let events = [
        FindingEvent::opened(None, low.clone()),
        FindingEvent::opened(None, high.clone()),
        // A re-list announcing it again.
        FindingEvent::opened(None, high.clone()),
        FindingEvent::opened(None, critical.clone()),
        FindingEvent::changed(None, &high, reworded.clone()).unwrap(),
        FindingEvent::resolved(None, low),
        FindingEvent::resolved(None, reworded.clone()),
        FindingEvent::resolved(None, reworded),
    ];
    for event in &events {
        sinks.dispatch(event);
    }
    assert!(sinks.shutdown(Duration::from_secs(10)).await);

    let seen: Vec<(String, String)> = out
        .lines()
        .iter()
        .map(|e| {
            assert_eq!(e["schemaVersion"], "1");
            (
                e["change"].as_str().unwrap().to_owned(),
                e["control"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("opened", "POD-001"),
        ("opened", "POD-002"),
        ("changed", "POD-001"),
        ("resolved", "POD-001"),
    ];
    assert_eq!(seen, expected.map(|(c, id)| (c.to_owned(), id.to_owned())));
    let changed = &out.lines()[2];
    assert_eq!(
        changed["previousMessage"],
        "container `app` sets privileged: true"
    );
    assert!(changed.get("previousSeverity").is_none());

    let webhook_saw: Vec<Value> = receiver
        .requests()
        .iter()
        .map(|r| r.body["control"].clone())
        .collect();
    assert_eq!(webhook_saw, ["POD-002"]);
    assert_eq!(counter(&metrics, "delivered", "stdout"), 4.0);
    let exposition = metrics.encode();
    for (change, count) in [("opened", 4.0), ("changed", 1.0), ("resolved", 3.0)] {
        let series = format!("palisade_events_total{{change=\"{change}\"}}");
        assert_eq!(sample(&exposition, &series), Some(count), "{series}");
    }
}

#[tokio::test]
async fn slack_gets_a_readable_block_kit_message() {
    let receiver = Receiver::start(&[]).await;
    let config = SinkConfig {
        retry: fast_retry(),
        ..SinkConfig::new(SinkKind::Slack {
            url: receiver.url.clone(),
        })
    };
    let f = finding("POD-001", Severity::High, "web");
    deliver(
        vec![config],
        &[
            FindingEvent::opened(Some("prod-eu"), f.clone()),
            FindingEvent::resolved(Some("prod-eu"), f),
        ],
    )
    .await;

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2);
    let all_text = |body: &Value| {
        let mut texts = vec![body["text"].as_str().unwrap().to_owned()];
        collect_texts(&body["blocks"], &mut texts);
        texts.join("\n")
    };

    let opened = &requests[0].body;
    assert_eq!(
        requests[0].headers[header::CONTENT_TYPE],
        "application/json"
    );
    let blocks = opened["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert!(blocks.iter().all(|b| b["type"].is_string()));
    let text = all_text(opened);
    for needle in [
        "HIGH",
        "POD-001",
        "Container runs privileged",
        "Deployment/web",
        "shop",
        "prod-eu",
        "privileged: true",
        "Drop privileged",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    assert!(opened["text"].as_str().unwrap().starts_with("New finding"));

    let resolved = &requests[1].body;
    let text = all_text(resolved);
    assert!(
        resolved["text"].as_str().unwrap().starts_with("Resolved"),
        "{text}"
    );
    assert!(text.contains("POD-001") && text.contains("Deployment/web"));
    assert!(
        !text.contains("Drop privileged"),
        "no remediation for a resolved finding"
    );
}

fn collect_texts(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(text)) = map.get("text") {
                out.push(text.clone());
            }
            map.values().for_each(|v| collect_texts(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_texts(v, out)),
        _ => {}
    }
}

#[test]
fn the_watch_loop_can_share_sinks_and_metrics_across_tasks() {
    fn shareable<T: Send + Sync + 'static>() {}
    shareable::<SinkSet>();
    shareable::<Metrics>();
    shareable::<palisade_watch::Health>();
}

#[tokio::test]
async fn bad_configurations_are_refused() {
    let metrics = Metrics::new();
    let refuse = |configs: Vec<SinkConfig>| SinkSet::new(configs, &metrics).err().unwrap();

    let secret = "https://hooks.example/services/T000/B000/very-secret";
    assert!(matches!(
        refuse(vec![webhook(secret), webhook(secret)]),
        SinkError::DuplicateName(name) if name == "webhook"
    ));
    let second_stdout = SinkConfig {
        name: "stdout-2".into(),
        ..SinkConfig::new(SinkKind::Stdout)
    };
    assert!(matches!(
        refuse(vec![SinkConfig::new(SinkKind::Stdout), second_stdout]),
        SinkError::SecondStdout
    ));
    assert!(matches!(
        refuse(vec![SinkConfig {
            queue_capacity: 0,
            ..webhook(secret)
        }]),
        SinkError::ZeroCapacity(_)
    ));
    let err = refuse(vec![webhook("file:///etc/very-secret")]);
    assert!(matches!(err, SinkError::InvalidUrl { .. }));
    assert!(!err.to_string().contains("very-secret"), "{err}");
    let debug = format!("{:?}", webhook(secret));
    assert!(!debug.contains("very-secret"), "{debug}");
    assert!(debug.contains("hooks.example"), "{debug}");
}
