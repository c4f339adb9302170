//! Slack incoming-webhook messages (Mattermost and other Slack-compatible receivers read the
//! same payload): `text` for notifications and clients without Block Kit, `blocks` for the
//! readable message.
//!
//! Messages quote values from manifests, which anyone who can create an object controls, so
//! every text is escaped: a container named `<!channel>` must not page a whole channel.

use palisade_core::Severity;
use serde_json::{Value, json};

use crate::event::{Change, FindingEvent};

/// Slack's limits, in characters, for a header, a section's text and a section field.
const HEADER_MAX: usize = 150;
const TEXT_MAX: usize = 3000;
const FIELD_MAX: usize = 2000;

pub(super) fn body(event: &FindingEvent) -> Vec<u8> {
    serde_json::to_vec(&payload(event)).expect("a JSON value always serialises")
}

fn payload(event: &FindingEvent) -> Value {
    let f = &event.finding;
    let id = &f.resource;
    let verb = match event.change {
        Change::Opened => "New finding",
        Change::Resolved => "Resolved",
        Change::Changed => "Changed",
    };
    let severity = match event.previous_severity {
        Some(previous) => format!("{} (was {previous})", upper(f.severity)),
        None => upper(f.severity),
    };
    let resource = format!("{}/{}", id.kind, id.name);
    let namespace = id.namespace.as_deref().unwrap_or("(cluster-scoped)");
    let cluster = event.cluster.as_deref().unwrap_or("(unnamed)");

    let text = format!(
        "{verb}: [{severity}] {} {} on {resource} in {namespace}, cluster {cluster}",
        f.control, f.title
    );

    let mut details = match event.change {
        Change::Resolved => format!("No longer found. Last seen: {}", escape(&f.message)),
        _ => escape(&f.message),
    };
    if let Some(previous) = &event.previous_message {
        details.push_str("\n_Previously:_ ");
        details.push_str(&escape(previous));
    }
    let mut blocks = vec![
        json!({
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": truncate(&format!("{verb}: {} {}", f.control, f.title), HEADER_MAX),
            },
        }),
        json!({
            "type": "section",
            "fields": [
                field("Severity", &severity),
                field("Resource", &resource),
                field("Namespace", namespace),
                field("Cluster", cluster),
            ],
        }),
        json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": truncate(&details, TEXT_MAX) },
        }),
    ];
    if event.change != Change::Resolved {
        blocks.push(json!({
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": truncate(&format!("*How to fix*\n{}", escape(f.remediation)), TEXT_MAX),
            },
        }));
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{
            "type": "mrkdwn",
            "text": escape(&format!("{} · {} · fingerprint {}", f.path, event.at, event.fingerprint)),
        }],
    }));
    json!({ "text": escape(&text), "blocks": blocks })
}

fn upper(severity: Severity) -> String {
    severity.as_str().to_ascii_uppercase()
}

fn field(label: &str, value: &str) -> Value {
    json!({
        "type": "mrkdwn",
        "text": truncate(&format!("*{label}*\n{}", escape(value)), FIELD_MAX),
    })
}

/// The three characters Slack reads as markup for links and mentions.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars - 1) {
        Some((cut, _)) if text[cut..].chars().nth(1).is_some() => format!("{}…", &text[..cut]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::sample::finding;

    #[test]
    fn truncate_keeps_short_texts_and_cuts_long_ones_to_the_limit() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("ééééé", 4).chars().count(), 4);
    }

    #[test]
    fn manifest_text_cannot_inject_mentions() {
        let mut f = finding("POD-001", Severity::High, "web");
        f.message = "container `<!channel>` & <https://evil.example|click>".into();
        let body = String::from_utf8(super::body(&FindingEvent::opened(None, f))).unwrap();
        assert!(!body.contains("<!channel>"), "{body}");
        assert!(!body.contains("<https://"), "{body}");
        assert!(body.contains("&lt;!channel&gt;"), "{body}");
    }
}
