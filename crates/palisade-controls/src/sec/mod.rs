//! SEC: secrets exposure.

use crate::control::Control;

mod configmap_credentials;
mod literal_env_credentials;
mod patterns;
mod secret_in_env;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &literal_env_credentials::LiteralEnvCredentials,
    &configmap_credentials::ConfigMapCredentials,
    &secret_in_env::SecretInEnv,
];
