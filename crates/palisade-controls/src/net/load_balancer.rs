use std::net::IpAddr;

use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::service::{describe_ports, is_service, ports, service_spec, to_cluster_ip};
use crate::control::{Check, Context, Skip, Verdict};
use crate::refs::*;

/// The annotation older cloud providers read instead of `spec.loadBalancerSourceRanges`.
const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// Annotations that ask a cloud provider for an internal load balancer, with the value that
/// does so (compared case-insensitively).
const INTERNAL_ANNOTATIONS: &[(&str, &str)] = &[
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        "true",
    ),
    (
        "service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type",
        "private",
    ),
    (
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-address-type",
        "intranet",
    ),
];

declare_control! {
    /// ## What it checks
    /// Every Service of `type: LoadBalancer`. The finding names the ports exposed and how far
    /// they reach:
    /// - to any address, when neither `spec.loadBalancerSourceRanges` nor the older
    ///   `service.beta.kubernetes.io/load-balancer-source-ranges` annotation restricts the
    ///   sources, or when a range is `0.0.0.0/0` or `::/0`;
    /// - to the listed source ranges, when they include public addresses;
    /// - to private source ranges only (RFC 1918, carrier-grade NAT, link-local, loopback,
    ///   IPv6 unique-local), or through an internal load balancer requested with a cloud
    ///   provider's annotation (AWS, GKE, Azure, OCI, OpenStack, IBM, Alibaba).
    ///
    /// The last two cases lower the risk but are still reported: the service is reachable
    /// from outside the cluster, from every machine in the surrounding network. A finding
    /// carries a single severity, so the message says which case applies. Suppress the finding
    /// where the exposure is intended.
    ///
    /// ## Why it matters
    /// On most clouds a LoadBalancer Service gets a public IP address. Anything it forwards to,
    /// including admin consoles, databases and metrics endpoints that were only meant for
    /// in-cluster use, is then open to the internet, where scanners find it within minutes.
    /// Exposing a service should be a decision, made once and behind an Ingress or gateway
    /// that terminates TLS and applies authentication, not a side effect of a Service type.
    ///
    /// ## Example
    /// Failing:
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   type: LoadBalancer
    ///   ports:
    ///     - port: 5432
    /// ```
    /// Fixed (reachable only inside the cluster):
    /// ```yaml
    /// kind: Service
    /// spec:
    ///   type: ClusterIP
    ///   ports:
    ///     - port: 5432
    /// ```
    /// Or, when it must be reachable from outside, restrict the sources:
    /// ```yaml
    /// spec:
    ///   type: LoadBalancer
    ///   loadBalancerSourceRanges:
    ///     - 203.0.113.0/24
    /// ```
    ///
    /// ## How to fix
    /// Use `type: ClusterIP` for anything only the cluster needs, and publish web traffic
    /// through an Ingress or Gateway. When a LoadBalancer is required, limit
    /// `loadBalancerSourceRanges` to the clients that need it, or ask the cloud provider for an
    /// internal load balancer. Changing the type changes who can reach the service, so the
    /// machine fix (`type: ClusterIP`, dropping node ports and the load balancer fields the API
    /// server would refuse) is unsafe: `palisade fix --unsafe-fixes` applies it.
    ///
    /// ## References
    /// - NSA-CISA Kubernetes Hardening Guide: network separation and hardening
    /// - MITRE ATT&CK T1133 (External Remote Services), T1190 (Exploit Public-Facing Application)
    /// - Kubernetes documentation: Service type LoadBalancer; Configure a Firewall (source ranges)
    pub struct LoadBalancerService {
        id: "NET-001",
        title: "Service exposed through a load balancer",
        severity: Severity::Medium,
        family: Family::Net,
        pss: None,
        aliases: &[kubescape("C-0256"), kube_linter("exposed-services")],
        remediation: "Use type ClusterIP unless the service must be reached from outside the cluster; otherwise restrict loadBalancerSourceRanges or use an internal load balancer.",
        fix: FixAvailability::Unsafe,
    }
}

/// Whether a CIDR (or a bare address) lies entirely inside a non-public block.
fn is_private_range(cidr: &str) -> bool {
    let (addr, prefix) = match cidr.trim().split_once('/') {
        Some((addr, prefix)) => match prefix.parse::<u8>() {
            Ok(prefix) => (addr, Some(prefix)),
            Err(_) => return false,
        },
        None => (cidr.trim(), None),
    };
    let Ok(addr) = addr.parse::<IpAddr>() else {
        return false;
    };
    match addr {
        IpAddr::V4(v4) => {
            let prefix = prefix.unwrap_or(32);
            let bits = u32::from(v4);
            // (network, block prefix length)
            const BLOCKS: &[(u32, u8)] = &[
                (0x0A00_0000, 8),  // 10.0.0.0/8
                (0xAC10_0000, 12), // 172.16.0.0/12
                (0xC0A8_0000, 16), // 192.168.0.0/16
                (0x6440_0000, 10), // 100.64.0.0/10, carrier-grade NAT
                (0x7F00_0000, 8),  // 127.0.0.0/8
                (0xA9FE_0000, 16), // 169.254.0.0/16
            ];
            BLOCKS.iter().any(|&(network, len)| {
                let mask = u32::MAX << (32 - u32::from(len));
                prefix >= len && bits & mask == network
            })
        }
        IpAddr::V6(v6) => {
            let prefix = prefix.unwrap_or(128);
            let bits = u128::from(v6);
            const BLOCKS: &[(u128, u8)] = &[
                (0xfc00 << 112, 7),  // fc00::/7, unique local
                (0xfe80 << 112, 10), // fe80::/10, link local
                (1, 128),            // ::1
            ];
            BLOCKS.iter().any(|&(network, len)| {
                let mask = if len == 128 {
                    u128::MAX
                } else {
                    !(u128::MAX >> len)
                };
                prefix >= len && bits & mask == network
            })
        }
    }
}

fn is_any_address(cidr: &str) -> bool {
    matches!(cidr.trim(), "0.0.0.0/0" | "::/0")
}

impl Check for LoadBalancerService {
    fn check(&self, _cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if !is_service(resource) {
            return Ok(Verdict::NotApplicable);
        }
        let Some(spec) = service_spec(resource)? else {
            return Ok(Verdict::pass());
        };
        if spec.str_field("type")? != Some("LoadBalancer") {
            return Ok(Verdict::pass());
        }
        let ports = ports(spec)?;
        let exposed = format!(
            "Service of type LoadBalancer exposes {} outside the cluster",
            describe_ports(&ports)
        );

        let mut ranges: Vec<&str> = Vec::new();
        for item in spec.seq_field("loadBalancerSourceRanges")? {
            ranges.push(item.expect_str("loadBalancerSourceRanges")?);
        }
        if ranges.is_empty() {
            if let Some(value) = resource.annotation(SOURCE_RANGES_ANNOTATION) {
                ranges.extend(value.split(',').map(str::trim).filter(|r| !r.is_empty()));
            }
        }
        let internal = INTERNAL_ANNOTATIONS
            .iter()
            .find(|(key, value)| {
                resource
                    .annotation(key)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(value))
            })
            .map(|(key, _)| *key);

        let message = if ranges.iter().any(|r| is_any_address(r)) {
            format!(
                "{exposed} to any address (source ranges include {})",
                ranges.join(", ")
            )
        } else if !ranges.is_empty() && ranges.iter().all(|r| is_private_range(r)) {
            format!(
                "{exposed}, but only to private source ranges {} (lower risk: reachable from the surrounding network)",
                ranges.join(", ")
            )
        } else if let Some(key) = internal {
            format!(
                "{exposed} through an internal load balancer (annotation {key}; lower risk: reachable from the surrounding network)"
            )
        } else if !ranges.is_empty() {
            format!("{exposed} to source ranges {}", ranges.join(", "))
        } else {
            format!("{exposed} to any address (no loadBalancerSourceRanges)")
        };
        let path = ObjectPath::root().keys(&["spec", "type"]);
        let fix = to_cluster_ip(spec, &ports);
        Ok(Verdict::Checked(vec![
            Violation::new(path, message).with_fix(fix),
        ]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_private_ranges() {
        for private in [
            "10.0.0.0/8",
            "10.1.2.0/24",
            "172.16.0.0/12",
            "172.31.255.0/24",
            "192.168.1.10",
            "100.64.0.0/16",
            "fd00::/8",
            "fe80::/64",
            "::1",
        ] {
            assert!(is_private_range(private), "{private}");
        }
        for public in [
            "0.0.0.0/0",
            "8.8.8.8/32",
            "172.32.0.0/16",
            "10.0.0.0/7",
            "203.0.113.0/24",
            "2001:db8::/32",
            "fc00::/6",
            "banana",
            "10.0.0.0/x",
        ] {
            assert!(!is_private_range(public), "{public}");
        }
    }
}
