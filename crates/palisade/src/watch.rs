//! `palisade watch`: connect, baseline, then judge every change until interrupted.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use palisade_core::Severity;
use palisade_engine::{Config, Plan, PlanOptions};
use palisade_watch::{
    Health, Metrics, Outputs, SinkConfig, SinkKind, SinkSet, WatchConfig, watch_cluster,
};

use crate::cli::WatchArgs;
use crate::cluster;

fn sink_configs(args: &WatchArgs) -> Result<Vec<SinkConfig>, String> {
    let severity = |s: &str| s.parse::<Severity>();
    let mut sinks = Vec::new();
    if !args.no_stdout {
        sinks.push(SinkConfig {
            min_severity: severity(&args.stdout_min_severity)?,
            ..SinkConfig::new(SinkKind::Stdout)
        });
    }
    for (i, url) in args.webhooks.iter().enumerate() {
        sinks.push(SinkConfig {
            name: format!("webhook-{}", i + 1),
            min_severity: severity(&args.webhook_min_severity)?,
            ..SinkConfig::new(SinkKind::Webhook { url: url.clone() })
        });
    }
    for (i, url) in args.slack_webhooks.iter().enumerate() {
        sinks.push(SinkConfig {
            name: format!("slack-{}", i + 1),
            min_severity: severity(&args.slack_min_severity)?,
            ..SinkConfig::new(SinkKind::Slack { url: url.clone() })
        });
    }
    Ok(sinks)
}

fn plan(args: &WatchArgs, config: &Config) -> Result<Plan, String> {
    Plan::new(
        config,
        &PlanOptions {
            only: args.selection.only.clone(),
            skip: args.selection.skip.clone(),
            kube_version: args.kube_version.clone(),
            ..PlanOptions::default()
        },
    )
}

/// Resolves on Ctrl-C or SIGTERM (how Kubernetes stops a pod).
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

pub fn run(args: WatchArgs) -> Result<ExitCode, String> {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PALISADE_LOG")
                .unwrap_or_else(|_| "palisade=info,palisade_watch=info,warn".into()),
        )
        .try_init();
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::discover(Path::new("."))
            .map_or_else(|| Ok(Config::default()), |p| Config::load(&p))?,
    };
    // Fail on bad flags before connecting to anything.
    let fixed_version = args
        .kube_version
        .is_some()
        .then(|| plan(&args, &config).map(|p| p.settings.kube_version))
        .transpose()?;
    let sinks = sink_configs(&args)?;
    let runtime = cluster::runtime()?;
    runtime.block_on(async move {
        let targets = palisade_cluster::targets(&args.clusters.target_options()).await?;
        let metrics = Metrics::new();
        let health = Health::new(&metrics);
        let sinks = Arc::new(SinkSet::new(sinks, &metrics).map_err(|e| e.to_string())?);
        let server = match args.metrics_addr {
            Some(addr) => {
                let server = palisade_watch::serve(addr, metrics.clone(), health.clone())
                    .await
                    .map_err(|e| format!("cannot serve metrics on {addr}: {e}"))?;
                eprintln!(
                    "palisade watch: metrics on http://{}/metrics",
                    server.local_addr()
                );
                Some(server)
            }
            None => None,
        };
        let outputs = Outputs {
            sinks: sinks.clone(),
            metrics,
            health,
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            interrupted().await;
            let _ = stop.send(true);
        });
        let narrowed = !args.namespaces.is_empty() || !args.exclude_namespaces.is_empty();
        let watch_config = WatchConfig {
            collect: cluster::collect_options(&args.namespaces, &args.exclude_namespaces),
            ..WatchConfig::default()
        };
        let watches = targets.iter().map(|target| {
            let (outputs, stopped, watch_config) =
                (outputs.clone(), stopped.clone(), watch_config.clone());
            let plan = plan(&args, &config);
            async move {
                let cluster = connect_until_up(target, stopped.clone()).await?;
                let mut plan = plan?;
                cluster::plan_for(&mut plan, &cluster, fixed_version, narrowed);
                watch_cluster(cluster, plan, watch_config, outputs, stopped).await
            }
        });
        let results = futures::future::join_all(watches).await;
        drop(outputs);
        if let Some(server) = server {
            let _ = server.shutdown().await;
        }
        if let Ok(sinks) = Arc::try_unwrap(sinks) {
            sinks.shutdown(Duration::from_secs(5)).await;
        }
        results.into_iter().collect::<Result<Vec<()>, String>>()?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Connects, retrying with backoff while the API server does not answer: a watcher started
/// with its cluster (or restarted while the control plane is down) waits instead of exiting.
async fn connect_until_up(
    target: &palisade_cluster::Target,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<palisade_cluster::Cluster, String> {
    let mut delay = Duration::from_millis(500);
    loop {
        match palisade_cluster::connect(target).await {
            Ok(cluster) => return Ok(cluster),
            Err(message) => {
                eprintln!("palisade watch: {message}; retrying in {delay:?}");
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = stopped.changed() => return Err(message),
                }
                delay = (delay * 2).min(Duration::from_secs(30));
            }
        }
    }
}
