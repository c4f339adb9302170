//! Which controls decide the risk factors of a finding.
//!
//! A factor is context about the resource a finding is on (reachable from outside, privileged,
//! running as a powerful ServiceAccount …). Rather than define those properties a second time,
//! each factor is decided by the controls that already judge it: the resource has the factor
//! when one of them reports a violation on it. The engine runs these controls on every resource
//! with a finding, whether or not the scan selected them, so a factor never depends on
//! `--only` or `--skip`; exceptions and ignore annotations do not hide a factor either (an
//! intended exposure is still an exposure).

use palisade_core::RiskFactors;

/// Each factor the controls decide, with the controls (by ID) whose violations show it.
/// `REPLICATED` is read from the object itself ([`crate::workload::runs_several_pods`]),
/// `CRITICAL_NAMESPACE` from the configuration.
pub const RISK_CONTROLS: &[(RiskFactors, &[&str])] = &[
    // A workload some Service, Ingress or route publishes; a Service published itself.
    (RiskFactors::EXPOSED, &["NET-009", "NET-001", "NET-002"]),
    // Privileged containers, host namespaces, hostPath volumes, Windows HostProcess, added
    // capabilities that reach into the kernel or the node.
    (
        RiskFactors::PRIVILEGED,
        &["POD-001", "POD-002", "POD-003", "POD-011", "POD-025"],
    ),
    (RiskFactors::DANGEROUS_SERVICE_ACCOUNT, &["RBAC-018"]),
    (RiskFactors::TOKEN_MOUNTED, &["POD-021"]),
    (RiskFactors::NO_NETWORK_POLICY, &["NET-005"]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_deciding_control_exists_and_decides_one_factor() {
        let mut seen = Vec::new();
        for (factor, controls) in RISK_CONTROLS {
            assert_eq!(factor.iter().count(), 1, "one factor per entry");
            for id in *controls {
                assert!(crate::find(id).is_some(), "{id} is not a control");
                assert!(!seen.contains(id), "{id} decides two factors");
                seen.push(*id);
            }
        }
    }
}
