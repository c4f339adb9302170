//! POD: pod and container hardening.
//!
//! `pss/` holds the Pod Security Standards checks, exactly as Pod Security Admission defines
//! them; `hardening/` holds the hardening controls beyond the standards.

pub(crate) mod hardening;
pub(crate) mod pss;
