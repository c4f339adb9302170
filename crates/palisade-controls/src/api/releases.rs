//! Upstream Kubernetes minor releases and the day each stops receiving patches (API-002).
//!
//! Facts from the Kubernetes release history (kubernetes.io/releases and the website's
//! `data/releases/eol.yaml`): for a release that has reached end of life, the date the project
//! recorded; for one that had not when this table was written, the end-of-life date its
//! release page schedules, marked `scheduled`. A scheduled date can move by a few weeks (1.30
//! was scheduled for 2025-06-28 and ended on 2025-07-15), so messages say when a date is one.

use jiff::civil::{Date, date};

use crate::settings::KubeVersion;

/// One minor release.
#[derive(Clone, Copy, Debug)]
pub(super) struct Release {
    pub version: KubeVersion,
    pub end_of_life: Date,
    /// The date is the one scheduled when the release came out, not one recorded after the
    /// fact.
    pub scheduled: bool,
}

const fn recorded(minor: u32, end_of_life: Date) -> Release {
    Release {
        version: KubeVersion::new(1, minor),
        end_of_life,
        scheduled: false,
    }
}

const fn scheduled(minor: u32, end_of_life: Date) -> Release {
    Release {
        version: KubeVersion::new(1, minor),
        end_of_life,
        scheduled: true,
    }
}

/// Releases 1.19 to 1.37, oldest first.
pub(super) const RELEASES: &[Release] = &[
    recorded(19, date(2021, 10, 28)),
    recorded(20, date(2022, 2, 28)),
    recorded(21, date(2022, 6, 28)),
    recorded(22, date(2022, 12, 8)),
    recorded(23, date(2023, 2, 28)),
    recorded(24, date(2023, 7, 28)),
    recorded(25, date(2023, 10, 28)),
    recorded(26, date(2024, 2, 28)),
    recorded(27, date(2024, 7, 16)),
    recorded(28, date(2024, 10, 22)),
    recorded(29, date(2025, 2, 28)),
    recorded(30, date(2025, 7, 15)),
    recorded(31, date(2025, 11, 11)),
    recorded(32, date(2026, 2, 28)),
    scheduled(33, date(2026, 6, 28)),
    scheduled(34, date(2026, 10, 27)),
    scheduled(35, date(2027, 2, 28)),
    scheduled(36, date(2027, 6, 28)),
    scheduled(37, date(2027, 10, 28)),
];

/// The end of life of 1.18, the newest release older than the table: every older release
/// had reached its end by then.
pub(super) const BEFORE_TABLE: Date = date(2021, 6, 18);

/// The release with this minor version, if the table has it.
pub(super) fn release(version: KubeVersion) -> Option<&'static Release> {
    RELEASES.iter().find(|r| r.version == version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_ordered_and_complete() {
        for pair in RELEASES.windows(2) {
            assert_eq!(pair[0].version.minor + 1, pair[1].version.minor);
            assert!(pair[0].end_of_life < pair[1].end_of_life);
        }
        assert_eq!(RELEASES.first().unwrap().version, KubeVersion::new(1, 19));
        assert_eq!(RELEASES.last().unwrap().version, KubeVersion::LATEST);
        assert!(BEFORE_TABLE < RELEASES[0].end_of_life);
        // Once a scheduled date appears, every later one is scheduled too.
        let first = RELEASES.iter().position(|r| r.scheduled).unwrap();
        assert!(RELEASES[first..].iter().all(|r| r.scheduled));
    }
}
