//! What a sink lets through: its severity threshold, and no event twice in a row.
//!
//! Watches re-list after a disconnect and the loop may then announce findings it already
//! announced; a receiver paging someone should not hear about them again. So each sink
//! remembers, per fingerprint, the last event it queued, and skips an identical one.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, PoisonError};

use palisade_core::Severity;

use crate::event::{Change, FindingEvent};

/// How many resolved fingerprints a sink remembers. Open findings are always remembered (they
/// are bounded by the cluster); resolved ones accumulate for as long as pods come and go, so
/// past this many they are forgotten together, and a repeated resolution of one of them would
/// be sent again.
const RESOLVED_REMEMBERED: usize = 65_536;

pub(super) struct Gate {
    min_severity: Severity,
    sent: Mutex<Sent>,
}

struct Sent {
    last: HashMap<String, Last>,
    resolved: usize,
    resolved_limit: usize,
    /// Only compared within this process, so a per-process random hasher is enough.
    hasher: RandomState,
}

#[derive(Clone, Copy)]
struct Last {
    /// Hash of change, severity and message: what makes two events about one finding the same.
    signature: u64,
    resolved: bool,
}

impl Gate {
    pub(super) fn new(min_severity: Severity) -> Self {
        Gate {
            min_severity,
            sent: Mutex::new(Sent {
                last: HashMap::new(),
                resolved: 0,
                resolved_limit: RESOLVED_REMEMBERED,
                hasher: RandomState::new(),
            }),
        }
    }

    /// A downgrade below the threshold still passes: the receiver heard about the finding at
    /// its old severity and would otherwise never learn it changed, nor that it was resolved.
    fn wants(&self, event: &FindingEvent) -> bool {
        event.finding.severity >= self.min_severity
            || (event.change == Change::Changed
                && event
                    .previous_severity
                    .is_some_and(|previous| previous >= self.min_severity))
    }

    /// Calls `enqueue` for an event this sink wants and did not just queue; the event is
    /// remembered only if `enqueue` reports it was taken, so one dropped on a full queue is
    /// sent when it comes again.
    pub(super) fn offer(&self, event: &FindingEvent, enqueue: impl FnOnce(&FindingEvent) -> bool) {
        if !self.wants(event) {
            return;
        }
        // The memory stays consistent across a panic in `enqueue`: it is updated after it.
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        let signature =
            sent.hasher
                .hash_one((event.change, event.finding.severity, &event.finding.message));
        let fingerprint = event.fingerprint.as_str();
        if sent
            .last
            .get(fingerprint)
            .is_some_and(|last| last.signature == signature)
        {
            return;
        }
        if enqueue(event) {
            sent.remember(
                fingerprint,
                Last {
                    signature,
                    resolved: event.change == Change::Resolved,
                },
            );
        }
    }
}

impl Sent {
    fn remember(&mut self, fingerprint: &str, new: Last) {
        let was_resolved = match self.last.get_mut(fingerprint) {
            Some(last) => std::mem::replace(last, new).resolved,
            None => {
                self.last.insert(fingerprint.to_owned(), new);
                false
            }
        };
        match (was_resolved, new.resolved) {
            (false, true) => self.resolved += 1,
            (true, false) => self.resolved -= 1,
            _ => {}
        }
        if self.resolved > self.resolved_limit {
            self.last.retain(|_, last| !last.resolved);
            self.resolved = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::sample::finding;

    /// The events the gate let through, by change and severity.
    fn passed(gate: &Gate, events: &[FindingEvent]) -> Vec<(Change, Severity)> {
        let mut out = Vec::new();
        for event in events {
            gate.offer(event, |e| {
                out.push((e.change, e.finding.severity));
                true
            });
        }
        out
    }

    #[test]
    fn threshold_filters_by_current_or_previous_severity() {
        let gate = Gate::new(Severity::High);
        let low = finding("RES-001", Severity::Low, "a");
        let high = finding("POD-001", Severity::High, "b");
        let critical = finding("POD-001", Severity::Critical, "c");
        let mut downgraded = critical.clone();
        downgraded.severity = Severity::Medium;
        let mut raised = low.clone();
        raised.severity = Severity::Critical;
        let events = [
            FindingEvent::opened(None, low.clone()),
            FindingEvent::opened(None, high.clone()),
            FindingEvent::resolved(None, low.clone()),
            FindingEvent::resolved(None, high),
            FindingEvent::changed(None, &critical, downgraded.clone()).unwrap(),
            FindingEvent::changed(None, &low, raised).unwrap(),
            FindingEvent::resolved(None, downgraded),
        ];
        assert_eq!(
            passed(&gate, &events),
            [
                (Change::Opened, Severity::High),
                (Change::Resolved, Severity::High),
                (Change::Changed, Severity::Medium),
                (Change::Changed, Severity::Critical),
            ]
        );
    }

    #[test]
    fn repeats_are_suppressed_until_something_differs() {
        let gate = Gate::new(Severity::Info);
        let f = finding("POD-001", Severity::High, "web");
        let mut reworded = f.clone();
        reworded.message = "container `app` sets privileged: yes".into();
        let events = [
            FindingEvent::opened(None, f.clone()),
            FindingEvent::opened(None, f.clone()),
            FindingEvent::changed(None, &f, reworded.clone()).unwrap(),
            FindingEvent::changed(None, &f, reworded.clone()).unwrap(),
            FindingEvent::resolved(None, reworded.clone()),
            FindingEvent::resolved(None, reworded.clone()),
            FindingEvent::opened(None, f.clone()),
            // Another resource: its own memory.
            FindingEvent::opened(None, finding("POD-001", Severity::High, "api")),
        ];
        let changes: Vec<Change> = passed(&gate, &events).into_iter().map(|p| p.0).collect();
        assert_eq!(
            changes,
            [
                Change::Opened,
                Change::Changed,
                Change::Resolved,
                Change::Opened,
                Change::Opened
            ]
        );
    }

    #[test]
    fn an_event_the_queue_refused_is_not_remembered() {
        let gate = Gate::new(Severity::Info);
        let event = FindingEvent::opened(None, finding("POD-001", Severity::High, "web"));
        gate.offer(&event, |_| false);
        let mut offered = false;
        gate.offer(&event, |_| {
            offered = true;
            true
        });
        assert!(offered);
    }

    #[test]
    fn resolved_memory_is_bounded_and_open_findings_are_kept() {
        let gate = Gate::new(Severity::Info);
        gate.sent.lock().unwrap().resolved_limit = 3;
        let open = FindingEvent::opened(None, finding("POD-001", Severity::High, "kept"));
        assert_eq!(passed(&gate, std::slice::from_ref(&open)).len(), 1);
        for name in ["a", "b", "c", "d"] {
            let f = finding("POD-001", Severity::High, name);
            passed(&gate, &[FindingEvent::opened(None, f.clone())]);
            passed(&gate, &[FindingEvent::resolved(None, f)]);
        }
        let sent = gate.sent.lock().unwrap();
        assert_eq!(sent.resolved, 0);
        assert_eq!(sent.last.len(), 1);
        drop(sent);
        assert!(passed(&gate, &[open]).is_empty(), "open finding forgotten");
    }
}
