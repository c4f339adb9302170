//! Helpers shared by the integration tests: findings, and reading the metrics exposition.

#![allow(dead_code)] // each test binary uses its own subset

use std::sync::Arc;

use palisade_core::{Finding, ObjectPath, ResourceId, Risk, RiskFactors, Severity};

pub fn finding(control: &'static str, severity: Severity, name: &str) -> Finding {
    Finding {
        control,
        title: "Container runs privileged",
        severity,
        resource: Arc::new(ResourceId {
            cluster: None,
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: name.into(),
        }),
        path: ObjectPath::parse("spec.template.spec.containers[0].securityContext.privileged"),
        location: None,
        message: "container `app` sets privileged: true".into(),
        remediation: "Drop privileged: true from the container's securityContext.",
        aliases: &[],
        fix: None,
        risk: Risk::new(severity, RiskFactors::NONE),
    }
}

/// The value of the sample line that starts with `series` (name and labels exactly as
/// exposed), or `None` when there is no such line.
pub fn sample(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        Some(value.parse().expect("sample value is a number"))
    })
}
