//! The Pod Security Standards checks (baseline and restricted), one control per check, with
//! the semantics of Pod Security Admission at the newest policy version (older target versions
//! drop the checks and allowances that came later).
//!
//! At the restricted level Pod Security Admission replaces four baseline checks with stricter
//! ones: volume types (POD-013) replaces hostPath volumes (POD-003), restricted seccomp (POD-017)
//! replaces baseline seccomp (POD-009), restricted capabilities (POD-018) replace baseline
//! capabilities (POD-005), and restricted /proc mount (POD-019) replaces baseline /proc mount
//! (POD-008). Every restricted check is stricter than the baseline check it replaces, except for
//! the Windows exemptions of POD-017 and POD-018.

use crate::control::Control;

mod apparmor;
mod baseline_capabilities;
mod common;
mod host_namespaces;
mod host_path_volumes;
mod host_ports;
mod host_probes;
mod privilege_escalation;
mod privileged;
mod proc_mount;
mod proc_mount_restricted;
mod restricted_capabilities;
mod run_as_non_root;
mod run_as_root_user;
mod seccomp_required;
mod seccomp_unconfined;
mod selinux;
mod sysctls;
mod volume_types;
mod windows_host_process;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &privileged::Privileged,
    &host_namespaces::HostNamespaces,
    &host_path_volumes::HostPathVolumes,
    &host_ports::HostPorts,
    &baseline_capabilities::BaselineCapabilities,
    &apparmor::AppArmor,
    &selinux::SeLinuxOptions,
    &proc_mount::ProcMount,
    &seccomp_unconfined::SeccompUnconfined,
    &sysctls::UnsafeSysctls,
    &windows_host_process::WindowsHostProcess,
    &host_probes::HostProbes,
    &volume_types::VolumeTypes,
    &privilege_escalation::PrivilegeEscalation,
    &run_as_non_root::RunAsNonRoot,
    &run_as_root_user::RunAsRootUser,
    &seccomp_required::SeccompRequired,
    &restricted_capabilities::RestrictedCapabilities,
    &proc_mount_restricted::ProcMountRestricted,
];
