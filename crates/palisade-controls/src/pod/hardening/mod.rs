//! Pod and container hardening beyond the Pod Security Standards.

use crate::control::Control;

pub(crate) const CONTROLS: &[&dyn Control] = &[];
