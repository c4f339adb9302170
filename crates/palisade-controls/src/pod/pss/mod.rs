//! The Pod Security Standards checks (baseline and restricted), one control per check.

use crate::control::Control;

mod privileged;

pub(crate) const CONTROLS: &[&dyn Control] = &[&privileged::Privileged];
