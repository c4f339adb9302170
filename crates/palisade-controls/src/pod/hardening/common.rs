//! Helpers the hardening checks share: capability names and hostPath volumes.

use std::fmt::Display;

use palisade_core::{Node, ObjectPath, Resource, TypeError, Violation};

use crate::control::{Context, Skip, Verdict};
use crate::workload::{Container, PodSpec, pod_spec};

/// Whether `name`, as written in a manifest, names capability `cap` (written bare and in upper
/// case, e.g. `NET_RAW`). Container runtimes accept any case and an optional `CAP_` prefix.
pub(super) fn is_capability(name: &str, cap: &str) -> bool {
    let bare = match name.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("CAP_") => &name[4..],
        _ => name,
    };
    bare.eq_ignore_ascii_case(cap)
}

/// The `capabilities.add` and `capabilities.drop` lists of a container (empty when unset),
/// with every entry checked to be a string.
pub(super) struct Capabilities<'a> {
    pub add: Vec<&'a str>,
    pub drop: Vec<&'a str>,
}

pub(super) fn capabilities<'a>(container: &Container<'a>) -> Result<Capabilities<'a>, TypeError> {
    let mut out = Capabilities {
        add: Vec::new(),
        drop: Vec::new(),
    };
    let Some(sc) = container.security_context()? else {
        return Ok(out);
    };
    let Some(caps) = sc.map_field("capabilities")? else {
        return Ok(out);
    };
    for (field, list) in [("add", &mut out.add), ("drop", &mut out.drop)] {
        for entry in caps.seq_field(field)? {
            list.push(entry.expect_str(field)?);
        }
    }
    Ok(out)
}

/// A `hostPath` volume of a pod.
pub(super) struct HostPathVolume<'a> {
    pub name: &'a str,
    /// The path as written.
    pub host_path: &'a str,
    /// Where `hostPath.path` is in the object.
    pub path: ObjectPath,
    /// Where the volume is in the object.
    pub volume: ObjectPath,
}

/// The pod's `hostPath` volumes, in order. A volume whose `hostPath` has no `path` is skipped:
/// the API server rejects it.
pub(super) fn host_path_volumes<'a>(
    pod: &PodSpec<'a>,
) -> Result<Vec<HostPathVolume<'a>>, TypeError> {
    let mut out = Vec::new();
    for (volume, path) in pod.volumes()? {
        let Some(host_path) = volume.map_field("hostPath")? else {
            continue;
        };
        let Some(text) = host_path.str_field("path")? else {
            continue;
        };
        out.push(HostPathVolume {
            name: volume_name(volume)?,
            host_path: text,
            path: path.keys(&["hostPath", "path"]),
            volume: path,
        });
    }
    Ok(out)
}

/// The check of the controls that judge hostPath volumes by their path: one violation for each
/// hostPath volume that `judge` flags, saying why.
pub(super) fn judge_host_paths<Why: Display>(
    cx: &Context<'_>,
    resource: &Resource,
    judge: impl Fn(&[&str]) -> Option<Why>,
) -> Result<Verdict, Skip> {
    let Some(pod) = pod_spec(cx, resource)? else {
        return Ok(Verdict::NotApplicable);
    };
    let mut violations = Vec::new();
    for volume in host_path_volumes(&pod)? {
        let components = path_components(volume.host_path);
        if let Some(why) = judge(&components) {
            violations.push(
                Violation::new(
                    volume.path.clone(),
                    format!(
                        "volume `{}` mounts host path {}, {why}",
                        volume.name,
                        display_path(&components)
                    ),
                )
                .with_fix(crate::pod::host_path_to_empty_dir(&volume.volume)),
            );
        }
    }
    Ok(Verdict::Checked(violations))
}

fn volume_name(volume: &Node) -> Result<&str, TypeError> {
    Ok(volume.str_field("name")?.unwrap_or("<unnamed>"))
}

/// The components of a host path, with empty and `.` components removed and `..` resolved, so
/// `/var/run/`, `//var/run` and `/var/./run` all read as `["var", "run"]`. Relative paths are
/// read from the root, as the kubelet would have nothing else to resolve them against.
pub(super) fn path_components(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            _ => out.push(part),
        }
    }
    out
}

/// `/` followed by the components joined with `/`: the normalised spelling for messages.
pub(super) fn display_path(components: &[&str]) -> String {
    format!("/{}", components.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capability_names_ignore_case_and_prefix() {
        assert!(is_capability("NET_RAW", "NET_RAW"));
        assert!(is_capability("net_raw", "NET_RAW"));
        assert!(is_capability("CAP_NET_RAW", "NET_RAW"));
        assert!(is_capability("cap_net_raw", "NET_RAW"));
        assert!(!is_capability("NET_RAWX", "NET_RAW"));
        assert!(!is_capability("CAP", "NET_RAW"));
        assert!(!is_capability("ÄÄNET_RAW", "NET_RAW"));
    }

    #[test]
    fn host_paths_normalise() {
        assert_eq!(path_components("/var/run/"), vec!["var", "run"]);
        assert_eq!(path_components("//var/./run//"), vec!["var", "run"]);
        assert_eq!(path_components("/var/lib/../run"), vec!["var", "run"]);
        assert!(path_components("/").is_empty());
        assert!(path_components("/..").is_empty());
        assert_eq!(display_path(&path_components("/etc/")), "/etc");
        assert_eq!(display_path(&[]), "/");
    }
}
