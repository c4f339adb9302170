//! Which clusters to read: kubeconfig contexts, or the service account a pod runs as.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};

/// The command line's choice of clusters.
#[derive(Clone, Debug, Default)]
pub struct TargetOptions {
    /// `--kubeconfig`; otherwise `KUBECONFIG` (several files merged), then `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`, repeatable; none means the current context.
    pub contexts: Vec<String>,
    /// `--all-contexts`.
    pub all_contexts: bool,
}

/// One cluster to read, with everything needed to reach it.
#[derive(Clone, Debug)]
pub struct Target {
    /// The context name (`in-cluster` inside a pod); reports name the cluster by it.
    pub name: String,
    pub config: kube::Config,
    /// Reached through the pod's service account rather than a kubeconfig context.
    pub in_cluster: bool,
}

fn read_kubeconfig(options: &TargetOptions) -> Result<Option<Kubeconfig>, String> {
    if let Some(path) = &options.kubeconfig {
        return Kubeconfig::read_from(path)
            .map(Some)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()));
    }
    match Kubeconfig::from_env() {
        Ok(Some(config)) => return Ok(Some(config)),
        Ok(None) => {}
        Err(e) => {
            return Err(format!(
                "cannot read the kubeconfig named by KUBECONFIG: {e}"
            ));
        }
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match home.map(|h| h.join(".kube").join("config")) {
        Some(path) if path.is_file() => Kubeconfig::read_from(&path)
            .map(Some)
            .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display())),
        _ => Ok(None),
    }
}

/// Resolves the options into clusters. Without any kubeconfig, and inside a pod, the pod's
/// service account is used.
pub async fn targets(options: &TargetOptions) -> Result<Vec<Target>, String> {
    let Some(kubeconfig) = read_kubeconfig(options)? else {
        if !options.contexts.is_empty() || options.all_contexts {
            return Err("no kubeconfig found (set --kubeconfig or KUBECONFIG)".into());
        }
        let config = kube::Config::incluster().map_err(|e| {
            format!(
                "no kubeconfig found and not running in a pod ({e}); set --kubeconfig or KUBECONFIG"
            )
        })?;
        return Ok(vec![Target {
            name: "in-cluster".into(),
            config,
            in_cluster: true,
        }]);
    };
    let names: Vec<String> = if options.all_contexts {
        kubeconfig.contexts.iter().map(|c| c.name.clone()).collect()
    } else if !options.contexts.is_empty() {
        for wanted in &options.contexts {
            if !kubeconfig.contexts.iter().any(|c| &c.name == wanted) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(format!(
                    "no context `{wanted}` in the kubeconfig (it has: {})",
                    known.join(", ")
                ));
            }
        }
        options.contexts.clone()
    } else {
        vec![
            kubeconfig
                .current_context
                .clone()
                .ok_or("the kubeconfig sets no current context; name one with --context")?,
        ]
    };
    if names.is_empty() {
        return Err("the kubeconfig has no contexts".into());
    }
    let mut targets = Vec::with_capacity(names.len());
    for name in names {
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig.clone(),
            &KubeConfigOptions {
                context: Some(name.clone()),
                ..KubeConfigOptions::default()
            },
        )
        .await
        .map_err(|e| format!("context `{name}`: {e}"))?;
        targets.push(Target {
            name,
            config,
            in_cluster: false,
        });
    }
    Ok(targets)
}
