use palisade_core::{Family, FixAvailability, ObjectPath, Resource, Severity, Violation};

use super::releases::{BEFORE_TABLE, RELEASES, release};
use crate::control::{Check, Context, Skip, Verdict};
use crate::settings::KubeVersion;

/// The API group and kind of the object a cluster scan adds to describe the API server.
const GROUP: &str = "palisade.dev";
const KIND: &str = "ClusterVersion";

/// Releases older than the table that Palisade still recognises, to say how they ended.
const FIRST_IN_TABLE: u32 = 19;

declare_control! {
    /// ## What it checks
    /// The Kubernetes version of the API server, against the upstream end-of-life date of its
    /// minor release, on the day of the scan. A cluster scan reads the API server's `/version`
    /// endpoint and adds one object that describes it:
    /// ```yaml
    /// apiVersion: palisade.dev/v1
    /// kind: ClusterVersion
    /// metadata:
    ///   name: prod-eu          # the cluster (kubeconfig context) name
    /// gitVersion: v1.29.3      # as /version reports it, with any vendor suffix
    /// major: "1"
    /// minor: "29"              # some providers append "+"
    /// platform: linux/amd64
    /// ```
    /// The minor version is read from `gitVersion` (`v1.29.3`, `v1.29.3-eks-adc7111`,
    /// `v1.30.1+k3s1`), or from `major` and `minor` when `gitVersion` is missing. The object
    /// is reported when the release's end of life lies before the scan's day. Palisade's
    /// table covers releases 1.19 to 1.37 with the dates of the Kubernetes release history;
    /// the dates of releases that had not ended when the table was written are the scheduled
    /// ones, and the message says so. Every release older than 1.19 had ended by 2021-06-18.
    /// A release newer than the table passes.
    ///
    /// Managed distributions are out of scope: EKS, GKE and AKS (and vendors such as
    /// OpenShift) support some releases longer than upstream does, under their own calendars
    /// and sometimes for a fee. The dates here are the upstream project's; for a provider that
    /// still supports the release, suppress the finding until the provider's date, and record
    /// that date in the suppression.
    ///
    /// ## Why it matters
    /// After its end of life a Kubernetes release gets no patches: vulnerabilities found later
    /// in the API server, the kubelet or kube-proxy (privilege escalations, authentication
    /// bypasses, container escapes through volume handling) stay open on the cluster for as
    /// long as it runs that release, and are published for anyone to read. Upgrades also get
    /// harder with every release skipped, because each one removes deprecated APIs (API-001).
    ///
    /// ## Example
    /// Failing (scanned on 2025-06-01):
    /// ```yaml
    /// apiVersion: palisade.dev/v1
    /// kind: ClusterVersion
    /// metadata:
    ///   name: prod-eu
    /// gitVersion: v1.29.3
    /// ```
    /// Fixed (upgraded one minor release at a time to a supported one):
    /// ```yaml
    /// apiVersion: palisade.dev/v1
    /// kind: ClusterVersion
    /// metadata:
    ///   name: prod-eu
    /// gitVersion: v1.33.1
    /// ```
    ///
    /// ## How to fix
    /// Upgrade the control plane one minor release at a time, then the nodes, until the
    /// cluster runs a supported release; check the removed APIs of each step first (`palisade
    /// scan --kube-version <next>` on your manifests). The message names the oldest release
    /// still supported on the day of the scan. An upgrade cannot be written into a manifest,
    /// so Palisade offers no automatic fix.
    ///
    /// ## References
    /// - Kubernetes documentation: Releases (release history, end-of-life dates); Version Skew
    ///   Policy; Upgrading kubeadm clusters
    /// - NSA-CISA Kubernetes Hardening Guide: upgrading and application security practices
    /// - MITRE ATT&CK T1068 (Exploitation for Privilege Escalation), T1190 (Exploit
    ///   Public-Facing Application)
    pub struct EndOfLifeVersion {
        id: "API-002",
        title: "Kubernetes version past its end of life",
        severity: Severity::High,
        family: Family::Api,
        pss: None,
        aliases: &[],
        remediation: "Upgrade the cluster, one minor release at a time, to a Kubernetes release that still receives patches.",
        fix: FixAvailability::None,
    }
}

/// The minor version the object describes, and the field it was read from.
fn version_of(resource: &Resource) -> Result<(KubeVersion, &'static str, String), Skip> {
    let root = &resource.root;
    if let Some(git) = root.str_field("gitVersion")? {
        let version = git.parse::<KubeVersion>().map_err(|_| Skip {
            reason: format!(
                "gitVersion `{git}` is not a Kubernetes version (expected e.g. v1.29.3)"
            )
            .into(),
            span: root.get("gitVersion").map(|n| n.span),
        })?;
        return Ok((version, "gitVersion", git.to_string()));
    }
    let (Some(major), Some(minor)) = (root.str_field("major")?, root.str_field("minor")?) else {
        return Err(Skip::new(
            "the ClusterVersion object has no gitVersion, and no major and minor, to read the version from",
        ));
    };
    let shown = format!("{major}.{minor}");
    let version = shown.parse::<KubeVersion>().map_err(|_| Skip {
        reason: format!("major `{major}` and minor `{minor}` are not a Kubernetes version").into(),
        span: root.get("minor").map(|n| n.span),
    })?;
    Ok((version, "minor", shown))
}

impl Check for EndOfLifeVersion {
    fn check(&self, cx: &Context<'_>, resource: &Resource) -> Result<Verdict, Skip> {
        if resource.kind() != KIND || resource.id.group() != GROUP {
            return Ok(Verdict::NotApplicable);
        }
        let (version, field, shown) = version_of(resource)?;
        if version.major != 1 {
            return Err(Skip::new(format!(
                "Kubernetes {shown} has major version {}, which no release has",
                version.major
            )));
        }
        let today = cx.settings.today;
        let (ended, scheduled) = match release(version) {
            Some(r) => (r.end_of_life, r.scheduled),
            None if version.minor < FIRST_IN_TABLE => (BEFORE_TABLE, false),
            // Newer than every release Palisade knows: not past its end.
            None => return Ok(Verdict::pass()),
        };
        if today <= ended {
            return Ok(Verdict::pass());
        }
        let days = today
            .since(ended)
            .map(|span| span.get_days())
            .unwrap_or_default();
        let when = if version.minor < FIRST_IN_TABLE {
            format!("ended by {ended} at the latest")
        } else if scheduled {
            format!("ended on {ended} (the scheduled date)")
        } else {
            format!("ended on {ended}")
        };
        let mut message = format!(
            "the API server runs Kubernetes {version} ({shown}), whose upstream support {when}, {days} days before this scan: it gets no more security fixes"
        );
        match RELEASES.iter().find(|r| r.end_of_life >= today) {
            Some(oldest) => message.push_str(&format!(
                "; the oldest release still supported is {}",
                oldest.version
            )),
            None => message.push_str("; upgrade to the newest release"),
        }
        let lower = shown.to_ascii_lowercase();
        if lower.contains("-eks-") || lower.contains("-gke.") {
            message.push_str(
                "; the provider may support this release longer than upstream, which this control does not judge",
            );
        }
        Ok(Verdict::Checked(vec![Violation::new(
            ObjectPath::root().key(field),
            message,
        )]))
    }
}
