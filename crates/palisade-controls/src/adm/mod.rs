//! ADM: admission configuration.
//!
//! PodSecurityPolicies that no longer protect anything, and admission webhooks that fail open
//! or that the requester can step around. `webhook` holds what the webhook checks share.

use crate::control::Control;

mod psp_unenforced;
mod webhook;
mod webhook_bypass;
mod webhook_fail_open;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &psp_unenforced::PspUnenforced,
    &webhook_fail_open::WebhookFailOpen,
    &webhook_bypass::WebhookBypass,
];
