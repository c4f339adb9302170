//! A generic webhook receives the event exactly as documented in `docs/watch-events.md`, the
//! same JSON the stdout sink writes, so one parser serves both.

use crate::event::FindingEvent;

pub(super) fn body(event: &FindingEvent) -> Vec<u8> {
    serde_json::to_vec(event).expect("an event always serialises")
}
