//! Risk of one finding: the control's severity weighed by what the inventory shows about the
//! resource around it (is it reachable from outside, privileged, able to call the API …).
//!
//! The formula is in `docs/scoring.md`: a base per severity, multiplied by the weight of every
//! factor present, rounded, capped at 100. Integer arithmetic, so every platform agrees and a
//! person can redo it by hand.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

use crate::control::Severity;

/// One piece of context that makes a finding more urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RiskFactor {
    /// Stable, kebab-case name used in reports, e.g. `exposed`.
    pub name: &'static str,
    /// One line saying what the inventory showed.
    pub explanation: &'static str,
    /// Multiplier in percent: 160 multiplies the score by 1.6.
    pub weight: u16,
    bit: u16,
}

impl RiskFactor {
    /// The multiplier as a number, for display (`×1.6`).
    pub fn multiplier(&self) -> f64 {
        f64::from(self.weight) / 100.0
    }
}

/// Every factor, heaviest first; reports list a finding's factors in this order.
pub const RISK_FACTORS: [RiskFactor; 7] = [
    RiskFactor {
        name: "exposed",
        explanation: "reachable from outside the cluster: a LoadBalancer or NodePort Service, an Ingress or a Gateway route leads to it",
        weight: 160,
        bit: 1 << 0,
    },
    RiskFactor {
        name: "privileged",
        explanation: "runs privileged, shares a host namespace, mounts a host path or adds a dangerous capability",
        weight: 150,
        bit: 1 << 1,
    },
    RiskFactor {
        name: "dangerous-service-account",
        explanation: "its service account holds dangerous RBAC permissions (secrets, pods/exec, escalation, wildcards)",
        weight: 140,
        bit: 1 << 2,
    },
    RiskFactor {
        name: "critical-namespace",
        explanation: "its namespace is marked critical in the configuration",
        weight: 130,
        bit: 1 << 3,
    },
    RiskFactor {
        name: "no-network-policy",
        explanation: "no NetworkPolicy restricts the traffic that reaches its pods",
        weight: 120,
        bit: 1 << 4,
    },
    RiskFactor {
        name: "token-mounted",
        explanation: "its pods get a Kubernetes API token mounted automatically",
        weight: 110,
        bit: 1 << 5,
    },
    RiskFactor {
        name: "replicated",
        explanation: "runs more than one replica, so the weakness exists several times",
        weight: 110,
        bit: 1 << 6,
    },
];

/// A set of [`RiskFactor`]s in two bytes: a scan may hold hundreds of thousands of findings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RiskFactors(u16);

impl RiskFactors {
    pub const NONE: RiskFactors = RiskFactors(0);
    pub const EXPOSED: RiskFactors = RiskFactors(RISK_FACTORS[0].bit);
    pub const PRIVILEGED: RiskFactors = RiskFactors(RISK_FACTORS[1].bit);
    pub const DANGEROUS_SERVICE_ACCOUNT: RiskFactors = RiskFactors(RISK_FACTORS[2].bit);
    pub const CRITICAL_NAMESPACE: RiskFactors = RiskFactors(RISK_FACTORS[3].bit);
    pub const NO_NETWORK_POLICY: RiskFactors = RiskFactors(RISK_FACTORS[4].bit);
    pub const TOKEN_MOUNTED: RiskFactors = RiskFactors(RISK_FACTORS[5].bit);
    pub const REPLICATED: RiskFactors = RiskFactors(RISK_FACTORS[6].bit);

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every factor of `other` is in `self`.
    pub fn contains(self, other: RiskFactors) -> bool {
        self.0 & other.0 == other.0
    }

    /// Adds `other` when `present` holds; reads well where each factor is one test.
    pub fn set(&mut self, other: RiskFactors, present: bool) {
        if present {
            self.0 |= other.0;
        }
    }

    /// The factors present, heaviest first.
    pub fn iter(&self) -> impl Iterator<Item = RiskFactor> + use<> {
        let bits = self.0;
        RISK_FACTORS.into_iter().filter(move |f| bits & f.bit != 0)
    }

    /// The factor with this name, as reports write it.
    pub fn named(name: &str) -> Option<RiskFactors> {
        RISK_FACTORS
            .iter()
            .find(|f| f.name == name)
            .map(|f| RiskFactors(f.bit))
    }
}

impl std::ops::BitOr for RiskFactors {
    type Output = RiskFactors;
    fn bitor(self, other: RiskFactors) -> RiskFactors {
        RiskFactors(self.0 | other.0)
    }
}

impl std::ops::BitOrAssign for RiskFactors {
    fn bitor_assign(&mut self, other: RiskFactors) {
        self.0 |= other.0;
    }
}

impl fmt::Display for RiskFactors {
    /// The names, comma-separated: `exposed, privileged`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, factor) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(factor.name)?;
        }
        Ok(())
    }
}

impl Serialize for RiskFactors {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.count_ones() as usize))?;
        for factor in self.iter() {
            seq.serialize_element(factor.name)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for RiskFactors {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = RiskFactors;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of risk factor names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RiskFactors, A::Error> {
                let mut factors = RiskFactors::NONE;
                while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    factors |= RiskFactors::named(&name).ok_or_else(|| {
                        de::Error::custom(format!("unknown risk factor `{name}`"))
                    })?;
                }
                Ok(factors)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

/// How urgent one finding is, 0–100, and the context that made it so.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Risk {
    /// 0–100; reports sort by it (then by the usual order).
    pub score: u8,
    pub factors: RiskFactors,
}

impl Risk {
    pub const MAX: u8 = 100;

    /// The score before any factor: what a finding of this severity weighs on its own.
    pub fn base(severity: Severity) -> u8 {
        match severity {
            Severity::Critical => 40,
            Severity::High => 30,
            Severity::Medium => 20,
            Severity::Low => 10,
            Severity::Info => 5,
        }
    }

    /// `base(severity) × weight of each factor`, rounded half up, capped at [`Risk::MAX`].
    pub fn new(severity: Severity, factors: RiskFactors) -> Risk {
        // Exact: base × Π weight over 100ⁿ. Seven weights of at most 200 (a test holds them to
        // it) keep the numerator below 2⁵⁹.
        let (mut numerator, mut denominator) = (u64::from(Risk::base(severity)), 1u64);
        for factor in factors.iter() {
            numerator *= u64::from(factor.weight);
            denominator *= 100;
        }
        let score = ((numerator + denominator / 2) / denominator).min(u64::from(Risk::MAX));
        Risk {
            score: u8::try_from(score).unwrap_or(Risk::MAX),
            factors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_bits_are_distinct_and_weights_descend() {
        let mut seen = 0u16;
        for pair in RISK_FACTORS.windows(2) {
            assert!(pair[0].weight >= pair[1].weight, "{}", pair[1].name);
        }
        for factor in RISK_FACTORS {
            assert_eq!(factor.bit.count_ones(), 1);
            assert!((100..=200).contains(&factor.weight), "{}", factor.name);
            assert_eq!(seen & factor.bit, 0, "{}", factor.name);
            seen |= factor.bit;
        }
    }

    #[test]
    fn score_is_base_times_weights_rounded_and_capped() {
        assert_eq!(Risk::new(Severity::High, RiskFactors::NONE).score, 30);
        // 30 × 1.6 × 1.5 = 72
        let exposed_privileged = RiskFactors::EXPOSED | RiskFactors::PRIVILEGED;
        assert_eq!(Risk::new(Severity::High, exposed_privileged).score, 72);
        // 20 × 1.2 × 1.1 = 26.4 → 26
        let open = RiskFactors::NO_NETWORK_POLICY | RiskFactors::TOKEN_MOUNTED;
        assert_eq!(Risk::new(Severity::Medium, open).score, 26);
        // 5 × 1.1 = 5.5 → 6 (half up)
        assert_eq!(Risk::new(Severity::Info, RiskFactors::REPLICATED).score, 6);
        // 40 × 1.6 × 1.5 × 1.4 = 134.4 → 100
        let worst = exposed_privileged | RiskFactors::DANGEROUS_SERVICE_ACCOUNT;
        assert_eq!(Risk::new(Severity::Critical, worst).score, 100);
        let all = RISK_FACTORS
            .iter()
            .fold(RiskFactors::NONE, |acc, f| acc | RiskFactors(f.bit));
        assert_eq!(Risk::new(Severity::Critical, all).score, Risk::MAX);
    }

    #[test]
    fn serializes_as_names_heaviest_first_and_reads_them_back() {
        let risk = Risk::new(
            Severity::Low,
            RiskFactors::REPLICATED | RiskFactors::EXPOSED,
        );
        let json = serde_json::to_value(risk).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"score": 18, "factors": ["exposed", "replicated"]})
        );
        assert_eq!(serde_json::from_value::<Risk>(json).unwrap(), risk);
        assert!(
            serde_json::from_value::<Risk>(serde_json::json!({"score": 1, "factors": ["loud"]}))
                .is_err()
        );
        assert_eq!(risk.factors.to_string(), "exposed, replicated");
    }

    #[test]
    fn set_contains_and_names() {
        let mut factors = RiskFactors::NONE;
        factors.set(RiskFactors::PRIVILEGED, false);
        assert!(factors.is_empty());
        factors.set(RiskFactors::PRIVILEGED, true);
        assert!(factors.contains(RiskFactors::PRIVILEGED));
        assert!(!factors.contains(RiskFactors::PRIVILEGED | RiskFactors::EXPOSED));
        assert_eq!(
            RiskFactors::named("critical-namespace"),
            Some(RiskFactors::CRITICAL_NAMESPACE)
        );
        assert_eq!(RiskFactors::named("nope"), None);
    }
}
