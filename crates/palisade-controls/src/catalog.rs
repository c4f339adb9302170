//! The catalog: every built-in control, in ID order.

use std::sync::LazyLock;

use palisade_core::{Family, PssLevel};

use crate::control::Control;

static CATALOG: LazyLock<Vec<&'static dyn Control>> = LazyLock::new(|| {
    let mut all: Vec<&'static dyn Control> = [
        crate::pod::pss::CONTROLS,
        crate::pod::hardening::CONTROLS,
        crate::img::CONTROLS,
        crate::sec::CONTROLS,
        crate::res::CONTROLS,
        crate::rbac::CONTROLS,
        crate::net::CONTROLS,
        crate::ns::CONTROLS,
        crate::api::CONTROLS,
        crate::adm::CONTROLS,
    ]
    .concat();
    all.sort_by_key(|c| c.meta().id);
    all
});

/// Every built-in control, sorted by ID.
pub fn all() -> &'static [&'static dyn Control] {
    &CATALOG
}

/// The control with this ID, or the first one answering to this alias.
pub fn find(name: &str) -> Option<&'static dyn Control> {
    let name = name.trim();
    all()
        .iter()
        .find(|c| c.meta().id.eq_ignore_ascii_case(name))
        .or_else(|| all().iter().find(|c| c.meta().answers_to(name)))
        .copied()
}

/// Baseline checks that Pod Security Admission replaces with a stricter restricted check at the
/// restricted level: (replaced, replacement).
const RESTRICTED_REPLACES: &[(&str, &str)] = &[
    ("POD-003", "POD-013"),
    ("POD-005", "POD-018"),
    ("POD-008", "POD-019"),
    ("POD-009", "POD-017"),
];

/// Exactly the checks Pod Security Admission runs at `level`: every baseline check, and at
/// restricted every restricted check in place of the baseline checks it replaces. (Running
/// both would double-report, and would flag Windows pods that restricted deliberately exempts.)
pub fn pss_controls(level: PssLevel) -> Vec<&'static dyn Control> {
    all()
        .iter()
        .copied()
        .filter(|c| {
            let meta = c.meta();
            match (meta.pss, level) {
                (None, _) | (Some(PssLevel::Restricted), PssLevel::Baseline) => false,
                (Some(PssLevel::Restricted), PssLevel::Restricted) => true,
                (Some(PssLevel::Baseline), PssLevel::Baseline) => true,
                (Some(PssLevel::Baseline), PssLevel::Restricted) => !RESTRICTED_REPLACES
                    .iter()
                    .any(|(replaced, _)| *replaced == meta.id),
            }
        })
        .collect()
}

/// The controls a selector names: an ID (`POD-001`), an alias (`C-0057`, `KSV-0017`,
/// `privileged-container`) or a family (`RBAC`). Unknown selectors are an error, never
/// silently ignored.
pub fn resolve_selector(selector: &str) -> Result<Vec<&'static dyn Control>, String> {
    let selector = selector.trim();
    if let Ok(family) = selector.parse::<Family>() {
        let members: Vec<_> = all()
            .iter()
            .filter(|c| c.meta().family == family)
            .copied()
            .collect();
        if !members.is_empty() {
            return Ok(members);
        }
    }
    let matched: Vec<_> = all()
        .iter()
        .filter(|c| c.meta().answers_to(selector))
        .copied()
        .collect();
    if matched.is_empty() {
        Err(format!(
            "unknown control `{selector}`: not a Palisade control ID, family, or alias of one (see `palisade controls`)"
        ))
    } else {
        Ok(matched)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_match_their_family() {
        let mut seen = HashSet::new();
        for control in all() {
            let meta = control.meta();
            assert!(seen.insert(meta.id), "duplicate control ID {}", meta.id);
            let (prefix, number) = meta.id.split_once('-').expect("ID has a dash");
            assert_eq!(
                prefix,
                meta.family.prefix(),
                "{} is in the wrong family",
                meta.id
            );
            assert!(
                number.len() == 3 && number.parse::<u32>().is_ok(),
                "{} has a malformed number",
                meta.id
            );
        }
    }

    #[test]
    fn every_control_is_documented() {
        for control in all() {
            let meta = control.meta();
            let doc = meta.doc_text();
            for section in [
                "## What it checks",
                "## Why it matters",
                "## Example",
                "## How to fix",
                "## References",
            ] {
                assert!(doc.contains(section), "{} doc lacks `{section}`", meta.id);
            }
            assert!(
                !meta.title.is_empty() && !meta.remediation.is_empty(),
                "{}",
                meta.id
            );
        }
    }

    #[test]
    fn restricted_replaces_four_baseline_checks_with_restricted_ones() {
        let ids = |level| {
            pss_controls(level)
                .iter()
                .map(|c| c.meta().id)
                .collect::<Vec<_>>()
        };
        let baseline = ids(PssLevel::Baseline);
        let restricted = ids(PssLevel::Restricted);
        for (replaced, replacement) in RESTRICTED_REPLACES {
            assert!(baseline.contains(replaced) && !restricted.contains(replaced));
            assert!(restricted.contains(replacement) && !baseline.contains(replacement));
            assert_eq!(
                find(replacement).unwrap().meta().pss,
                Some(PssLevel::Restricted)
            );
        }
        assert!(restricted.contains(&"POD-001") && restricted.contains(&"POD-014"));
    }

    #[test]
    fn selectors_accept_ids_aliases_and_families_and_reject_unknowns() {
        assert_eq!(resolve_selector("pod-001").unwrap()[0].meta().id, "POD-001");
        assert_eq!(resolve_selector("C-0057").unwrap()[0].meta().id, "POD-001");
        assert!(resolve_selector("POD").unwrap().len() > 10);
        assert!(resolve_selector("NOPE-999").is_err());
    }
}
