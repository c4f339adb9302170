//! RES: resources and reliability.
//!
//! Requests and limits (`requirements` holds what RES-001 to RES-004 share), probes (`probes`
//! holds what RES-005 and RES-006 share), unmanaged pods and single replicas.

use crate::control::Control;

mod cpu_limit;
mod cpu_request;
mod liveness_probe;
mod memory_limit;
mod memory_request;
mod naked_pod;
mod probes;
mod readiness_probe;
mod requirements;
mod single_replica;

pub(crate) const CONTROLS: &[&dyn Control] = &[
    &cpu_request::CpuRequestMissing,
    &cpu_limit::CpuLimitMissing,
    &memory_request::MemoryRequestMissing,
    &memory_limit::MemoryLimitMissing,
    &liveness_probe::LivenessProbeMissing,
    &readiness_probe::ReadinessProbeMissing,
    &naked_pod::NakedPod,
    &single_replica::SingleReplica,
];
