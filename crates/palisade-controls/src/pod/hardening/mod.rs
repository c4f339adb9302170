//! Pod and container hardening beyond the Pod Security Standards.

use crate::control::Control;

mod common;
mod dangerous_capabilities;
mod low_user_group_id;
mod net_raw_capability;
mod read_only_root_filesystem;
mod runtime_socket_mount;
mod sensitive_host_path;
mod service_account_token_automount;
mod writable_host_path;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &read_only_root_filesystem::ReadOnlyRootFilesystem,
    &service_account_token_automount::ServiceAccountTokenAutomount,
    &runtime_socket_mount::RuntimeSocketMount,
    &sensitive_host_path::SensitiveHostPath,
    &net_raw_capability::NetRawCapability,
    &dangerous_capabilities::DangerousCapabilities,
    &writable_host_path::WritableHostPath,
    &low_user_group_id::LowUserGroupId,
];
