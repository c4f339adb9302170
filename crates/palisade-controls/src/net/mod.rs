use crate::control::Control;

pub(crate) const CONTROLS: &[&dyn Control] = &[];
