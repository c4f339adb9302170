//! Delivery over HTTP, shared by every sink that POSTs JSON; only the body differs.
//!
//! One worker per sink sends its events one at a time, in order, so a receiver never sees a
//! resolution before the opening it resolves. Failures the receiver may recover from
//! (connection errors, timeouts, 5xx, 429) are retried with capped exponential backoff; a
//! receiver that rejects the request (any other 4xx, or a redirect, which is not followed) would
//! reject it again, so the event is given up at once.

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{RetryPolicy, SinkError};
use crate::event::FindingEvent;
use crate::metrics::SinkCounters;

pub(super) type Format = fn(&FindingEvent) -> Vec<u8>;

pub(super) struct Target {
    pub client: reqwest::Client,
    pub url: reqwest::Url,
    pub format: Format,
    pub policy: RetryPolicy,
    pub counters: SinkCounters,
    /// For logs: the URL may be a credential and is never logged.
    pub sink: String,
}

/// One client for every HTTP sink: connections are pooled per host. rustls with the ring
/// provider (reqwest's `rustls-tls-*` features choose it), trusting both the bundled web roots
/// and the system's store so receivers behind a private CA work too.
pub(super) fn client() -> Result<reqwest::Client, SinkError> {
    reqwest::Client::builder()
        .user_agent(concat!("palisade/", env!("CARGO_PKG_VERSION")))
        // A redirect would turn the POST into a GET elsewhere; better to report it.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(SinkError::Client)
}

pub(super) fn parse_url(sink: &str, url: &str) -> Result<reqwest::Url, SinkError> {
    let invalid = |reason: String| SinkError::InvalidUrl {
        sink: sink.to_owned(),
        reason,
    };
    let url = reqwest::Url::parse(url).map_err(|e| invalid(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => Ok(url),
        other => Err(invalid(format!("scheme `{other}` is not http or https"))),
    }
}

pub(super) fn spawn(
    mut queue: mpsc::Receiver<Arc<FindingEvent>>,
    target: Target,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(event) = queue.recv().await {
            target.deliver(&event).await;
        }
    })
}

enum Outcome {
    Delivered,
    /// Worth trying again, after the receiver's `Retry-After` when it sent one.
    Retry {
        reason: String,
        after: Option<Duration>,
    },
    Rejected(String),
}

impl Target {
    async fn deliver(&self, event: &FindingEvent) {
        let body = (self.format)(event);
        let mut attempt = 1;
        loop {
            let reason = match self.attempt(body.clone()).await {
                Outcome::Delivered => {
                    self.counters.delivered.inc();
                    return;
                }
                Outcome::Rejected(reason) => reason,
                Outcome::Retry { reason, after } if attempt < self.policy.max_attempts => {
                    self.counters.retries.inc();
                    let delay = after.map_or_else(
                        || self.policy.backoff(attempt),
                        |after| after.min(self.policy.max_delay),
                    );
                    tracing::debug!(sink = %self.sink, attempt, ?delay, %reason, "retrying a finding event");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                    continue;
                }
                Outcome::Retry { reason, .. } => reason,
            };
            self.counters.errors.inc();
            tracing::warn!(
                sink = %self.sink,
                attempts = attempt,
                fingerprint = %event.fingerprint,
                %reason,
                "gave up delivering a finding event"
            );
            return;
        }
    }

    async fn attempt(&self, body: Vec<u8>) -> Outcome {
        let sent = self
            .client
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/json")
            .timeout(self.policy.attempt_timeout)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return Outcome::Retry {
                    reason: e.without_url().to_string(),
                    after: None,
                };
            }
        };
        let status = response.status();
        if status.is_success() {
            return Outcome::Delivered;
        }
        let reason = format!("receiver answered {status}");
        if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
            Outcome::Retry {
                reason,
                after: retry_after(response.headers()),
            }
        } else {
            Outcome::Rejected(reason)
        }
    }
}

/// `Retry-After` in its delay-seconds form; the HTTP-date form is rare on webhooks and falls
/// back to our own backoff.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1 for the first retry): the initial delay
    /// doubled per retry and capped, then "equal jitter": half of it fixed, half random, so
    /// retries spread out but never come sooner than half the nominal delay.
    fn backoff(&self, attempt: u32) -> Duration {
        let doubling = 1u32 << attempt.saturating_sub(1).min(31);
        let nominal = self
            .initial_delay
            .saturating_mul(doubling)
            .min(self.max_delay);
        let half = nominal / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_stays_capped_and_jitters_within_half() {
        let policy = RetryPolicy {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for (attempt, nominal) in [
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1000),
            (40, 1000),
        ] {
            for _ in 0..50 {
                let delay = policy.backoff(attempt).as_millis();
                assert!(
                    (nominal / 2..=nominal).contains(&delay),
                    "attempt {attempt}: {delay} ms outside {}..={nominal}",
                    nominal / 2
                );
            }
        }
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn only_http_urls_are_accepted_and_errors_do_not_echo_them() {
        assert!(parse_url("hook", "https://hooks.example/T0/B0/secret").is_ok());
        let err = parse_url("hook", "ftp://hooks.example/secret").unwrap_err();
        assert!(!err.to_string().contains("secret"), "{err}");
        assert!(parse_url("hook", "not a url").is_err());
    }
}
