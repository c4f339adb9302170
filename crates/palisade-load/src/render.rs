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

/// Builds a Kustomize directory with `kubectl kustomize`, or `kustomize build` when kubectl is
/// missing.
pub fn kustomize_build(dir: &Path) -> Result<String, RenderError> {
    let mut kubectl = Command::new("kubectl");
    kubectl.arg("kustomize").arg(dir);
    match run(kubectl, "kubectl kustomize") {
        Err(RenderError::ToolMissing(_)) => {
            let mut kustomize = Command::new("kustomize");
            kustomize.arg("build").arg(dir);
            run(kustomize, "kustomize build").map_err(|e| match e {
                RenderError::ToolMissing(_) => RenderError::ToolMissing(
                    "neither `kubectl` nor `kustomize` is on PATH; install kubectl (it includes kustomize) to scan Kustomize directories".into(),
                ),
                other => other,
            })
        }
        other => other,
    }
}
