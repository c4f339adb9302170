//! Which findings `palisade fix` may repair in a file, and why the others are left.

use std::fmt;

use palisade_core::{Finding, FixAvailability, FixSafety, Origin, Source};

/// Why a finding is not fixed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotFixed {
    /// Its object came out of `helm template` or `kubectl kustomize`: it is fixed through the
    /// chart's values or a Kustomize patch (`helm.rs`, `kustomize.rs`), never in the output.
    Rendered,
    /// A chart template writes the field itself (no value drives it): templates are not edited.
    Template,
    /// Rendered by Kustomize, and `--kustomize-patch` was not given.
    KustomizePatch,
    /// Read from standard input: there is no file to write back.
    Stdin,
    /// The fix needs a value only the user knows (a registry, a limit, a probe).
    NeedsInput,
    /// The control has no machine fix for this finding.
    NoFix,
    /// The fix may change how the application behaves; `--unsafe-fixes` applies it.
    Unsafe,
    /// The fix was tried and refused; the reason says why.
    Refused(String),
}

impl fmt::Display for NotFixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotFixed::Rendered => f.write_str("rendered from a chart/kustomization"),
            NotFixed::Template => {
                f.write_str("written in a chart template: edit the template (lines above)")
            }
            NotFixed::KustomizePatch => {
                f.write_str("rendered by Kustomize: rerun with --kustomize-patch")
            }
            NotFixed::Stdin => f.write_str("read from standard input"),
            NotFixed::NeedsInput => f.write_str("needs a value only you know"),
            NotFixed::NoFix => f.write_str("no machine fix"),
            NotFixed::Unsafe => f.write_str("unsafe: rerun with --unsafe-fixes"),
            NotFixed::Refused(reason) => f.write_str(reason),
        }
    }
}

/// Whether `finding` (of an object with `origin`, loaded from `source`) is to be fixed.
/// `availability` is the control's declared fix, which tells a finding without a fix that
/// needs the user's input from one that has none.
pub fn decide(
    finding: &Finding,
    availability: FixAvailability,
    origin: &Origin,
    source: Option<&Source>,
    unsafe_fixes: bool,
) -> Result<(), NotFixed> {
    let rendered = origin.authored_in.is_some() || source.is_some_and(|s| s.rendered_by.is_some());
    if rendered {
        return Err(NotFixed::Rendered);
    }
    if finding.fix.is_some() && source.is_none_or(|s| s.path.as_ref() == "<stdin>") {
        return Err(NotFixed::Stdin);
    }
    decide_fix(finding, availability, unsafe_fixes)
}

/// Whether the fix of `finding` may be applied, wherever it is written (a file, a chart's
/// values, a Kustomize patch): it has one, and it is safe or unsafe fixes were asked for.
pub fn decide_fix(
    finding: &Finding,
    availability: FixAvailability,
    unsafe_fixes: bool,
) -> Result<(), NotFixed> {
    let Some(fix) = &finding.fix else {
        return Err(match availability {
            FixAvailability::NeedsInput => NotFixed::NeedsInput,
            _ => NotFixed::NoFix,
        });
    };
    if fix.safety == FixSafety::Unsafe && !unsafe_fixes {
        return Err(NotFixed::Unsafe);
    }
    Ok(())
}
