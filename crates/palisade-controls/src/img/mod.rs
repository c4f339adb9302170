//! IMG: images and supply chain.

use crate::control::Control;

mod digest_pinning;
mod mutable_tag;
mod pull_policy;
mod reference;
mod registry_allow_list;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &mutable_tag::MutableTag,
    &digest_pinning::DigestPinning,
    &pull_policy::PullPolicy,
    &registry_allow_list::RegistryAllowList,
];
