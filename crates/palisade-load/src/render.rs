//! Helm charts and Kustomize directories, rendered by the tools their users already trust.
//!
//! We shell out to `helm template` and `kubectl kustomize` / `kustomize build` instead of
//! re-implementing either: their output is, by definition, what reaches the cluster.

use std::path::Path;
use std::process::Command;

/// Options passed through to `helm template`.
#[derive(Clone, Debug, Default)]
pub struct HelmOptions {
    pub values: Vec<String>,
    pub set: Vec<String>,
    pub release_name: Option<String>,
    pub namespace: Option<String>,
    pub kube_version: Option<String>,
}

/// Why a directory could not be rendered.
#[derive(Debug)]
pub enum RenderError {
    /// No suitable binary on `PATH`; the text says what to install.
    ToolMissing(String),
    /// The tool ran and failed; its stderr.
    Failed(String),
}

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenderError::ToolMissing(msg) | RenderError::Failed(msg) => f.write_str(msg),
        }
    }
}

/// The name a rendered directory's output is registered under: `<dir> (<tool>)`.
pub fn output_name(dir: &str, tool: &str) -> String {
    format!("{dir} ({tool})")
}

/// The directory whose output is registered as `name` by `tool` (see [`output_name`]).
pub fn output_dir<'n>(name: &'n str, tool: &str) -> Option<&'n str> {
    name.strip_suffix(&format!(" ({tool})"))
}

pub fn is_helm_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

pub fn kustomization_file(dir: &Path) -> Option<&'static str> {
    ["kustomization.yaml", "kustomization.yml", "Kustomization"]
        .into_iter()
        .find(|name| dir.join(name).is_file())
}

fn run(mut command: Command, tool: &str) -> Result<String, RenderError> {
    let output = command.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            RenderError::ToolMissing(format!("`{tool}` is not installed or not on PATH"))
        } else {
            RenderError::Failed(format!("could not run `{tool}`: {e}"))
        }
    })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(RenderError::Failed(format!(
            "`{tool}` failed: {}",
            stderr.trim()
        )));
    }
    String::from_utf8(output.stdout)
        .map_err(|_| RenderError::Failed(format!("`{tool}` printed output that is not UTF-8")))
}

/// Renders a chart with `helm template`.
pub fn helm_template(chart: &Path, options: &HelmOptions) -> Result<String, RenderError> {
    let helm = std::env::var("PALISADE_HELM").unwrap_or_else(|_| "helm".into());
    let mut command = Command::new(&helm);
    command
        .arg("template")
        .arg(options.release_name.as_deref().unwrap_or("release"))
        .arg(chart);
    for file in &options.values {
        command.arg("--values").arg(file);
    }
    for assignment in &options.set {
        command.arg("--set").arg(assignment);
    }
    if let Some(ns) = &options.namespace {
        command.arg("--namespace").arg(ns);
    }
    if let Some(version) = &options.kube_version {
        command.arg("--kube-version").arg(version);
    }
    run(command, &helm).map_err(|e| match e {
        RenderError::ToolMissing(msg) => RenderError::ToolMissing(format!(
            "{msg}; install Helm 3 (https://helm.sh/docs/intro/install/) to scan charts, or set PALISADE_HELM to its path"
        )),
        other => other,
    })
}

/// A built Kustomize directory.
pub struct Kustomized {
    pub text: String,
    /// Where the files behind each rendered object are: `config.kubernetes.io/origin` paths
    /// are relative to this directory.
    pub origin_root: tempfile::TempDir,
}

/// Origin annotation Kustomize adds with `buildMetadata: [originAnnotations]`.
pub const ORIGIN_ANNOTATION: &str = "config.kubernetes.io/origin";

/// Builds a Kustomize directory with `kubectl kustomize`, or `kustomize build` when kubectl is
/// missing.
///
/// The directory is built through a wrapper kustomization in a temporary directory that asks
/// for origin annotations, so every object says which file it came from and findings can point
/// at that file rather than at the build output. The user's files are not touched.
pub fn kustomize_build(dir: &Path) -> Result<Kustomized, RenderError> {
    let wrapper = wrapper_kustomization(dir)
        .map_err(|e| RenderError::Failed(format!("cannot prepare the Kustomize build: {e}")))?;
    let mut kubectl = Command::new("kubectl");
    kubectl.arg("kustomize").arg(wrapper.path());
    let text = match run(kubectl, "kubectl kustomize") {
        Err(RenderError::ToolMissing(_)) => {
            let mut kustomize = Command::new("kustomize");
            kustomize.arg("build").arg(wrapper.path());
            run(kustomize, "kustomize build").map_err(|e| match e {
                RenderError::ToolMissing(_) => RenderError::ToolMissing(
                    "neither `kubectl` nor `kustomize` is on PATH; install kubectl (it includes kustomize) to scan Kustomize directories".into(),
                ),
                other => other,
            })
        }
        other => other,
    }?;
    Ok(Kustomized {
        text,
        origin_root: wrapper,
    })
}

fn wrapper_kustomization(dir: &Path) -> std::io::Result<tempfile::TempDir> {
    let wrapper = tempfile::Builder::new()
        .prefix("palisade-kustomize-")
        .tempdir()?;
    let target = std::path::absolute(dir)?;
    let relative = relative_path(wrapper.path(), &target);
    // Kustomize refuses absolute resource paths; a relative one with `..` is fine.
    let text = format!(
        "resources:\n  - {}\nbuildMetadata: [originAnnotations]\n",
        serde_json::to_string(&relative.to_string_lossy()).unwrap_or_default()
    );
    std::fs::write(wrapper.path().join("kustomization.yaml"), text)?;
    Ok(wrapper)
}

/// `to` written relative to the directory `from` (both absolute).
fn relative_path(from: &Path, to: &Path) -> std::path::PathBuf {
    let from: Vec<_> = from.components().collect();
    let to: Vec<_> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut out = std::path::PathBuf::new();
    for _ in common..from.len() {
        out.push("..");
    }
    for part in &to[common..] {
        out.push(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative_path(Path::new("/tmp/a/b"), Path::new("/srv/x")),
            Path::new("../../../srv/x")
        );
        assert_eq!(
            relative_path(Path::new("/tmp/a"), Path::new("/tmp/a/c")),
            Path::new("c")
        );
    }
}
