//! `palisade scan --cluster`: read each cluster, evaluate it with its own version, merge.

use indicatif::ProgressBar;
use palisade_cluster::{Cluster, CollectOptions, Collected};
use palisade_controls::KubeVersion;
use palisade_core::{ClusterSummary, Diagnostic, ScanResult};
use palisade_engine::Plan;

use crate::cli::ScanArgs;

pub struct ClusterScan {
    pub result: ScanResult,
    /// No cluster could be read at all.
    pub all_failed: bool,
}

/// A runtime for the kube client; small, as listing waits on the network, not the CPU.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

pub fn collect_options(namespaces: &[String], exclude: &[String]) -> CollectOptions {
    CollectOptions {
        namespaces: namespaces.to_vec(),
        exclude_namespaces: exclude.to_vec(),
        ..CollectOptions::default()
    }
}

/// Adapts the plan to one cluster: its own Kubernetes version (unless the user fixed one), and
/// a complete inventory unless the scan was narrowed.
pub fn plan_for(
    plan: &mut Plan,
    cluster: &Cluster,
    fixed_version: Option<KubeVersion>,
    narrowed: bool,
) {
    plan.settings.kube_version = fixed_version
        .or_else(|| cluster.version.git_version.parse().ok())
        .unwrap_or(KubeVersion::LATEST);
    plan.settings.inventory_complete = !narrowed;
}

pub fn scan(args: &ScanArgs, plan: &mut Plan, bar: &ProgressBar) -> Result<ClusterScan, String> {
    let runtime = runtime()?;
    let targets = runtime.block_on(palisade_cluster::targets(&args.clusters.target_options()))?;
    let options = collect_options(&args.namespaces, &args.exclude_namespaces);
    bar.set_message(format!("reading {} cluster(s)", targets.len()));
    // Clusters are read concurrently; each is evaluated on its own, so cross-resource checks
    // never relate objects of different clusters.
    let read: Vec<Result<(Cluster, Collected, String), String>> =
        runtime.block_on(futures::future::join_all(targets.iter().map(|target| {
            let options = &options;
            async move {
                let cluster = palisade_cluster::connect(target).await?;
                let collected = palisade_cluster::collect(&cluster, options).await;
                let read_at = jiff::Timestamp::now().to_string();
                Ok((cluster, collected, read_at))
            }
        })));
    // Every cluster is read. The runtime's threads allocated the objects, and an allocator
    // reclaims memory freed by other threads only when the owning thread runs again; ending
    // the threads now lets the objects' memory be reused once they are dropped below.
    drop(runtime);
    // The version a user named (flag or config) wins over each cluster's own.
    let fixed_version = (args.kube_version.is_some()).then_some(plan.settings.kube_version);
    let narrowed = !args.namespaces.is_empty() || !args.exclude_namespaces.is_empty();
    let mut merged = ScanResult::default();
    let mut failed = 0;
    for outcome in read {
        let (cluster, collected, read_at) = match outcome {
            Ok(read) => read,
            Err(message) => {
                failed += 1;
                merged.diagnostics.push(Diagnostic::error(message));
                continue;
            }
        };
        plan_for(plan, &cluster, fixed_version, narrowed);
        bar.set_message(format!(
            "evaluating {} resources of {}",
            collected.inventory.resources.len(),
            cluster.name
        ));
        let judged = palisade_engine::judge(&collected.inventory, plan);
        let unavailable = collected.inventory.unavailable;
        // Findings hold no reference into the objects: free them before the findings are
        // laid out, which briefly holds them twice.
        drop(collected.inventory.resources);
        crate::release_freed_memory();
        let mut result = judged.into_result(Vec::new());
        result.clusters.push(ClusterSummary {
            name: cluster.name.to_string(),
            server: cluster.server.clone(),
            version: cluster.version.git_version.clone(),
            read_at,
            resources: result.resources_scanned,
            findings: result.findings.len(),
            unavailable,
        });
        merged.merge(result);
    }
    // Each cluster's scores were computed from its own counts; the report scores the sum.
    merged.frameworks = palisade_engine::score_frameworks(&plan.frameworks, &merged.controls);
    Ok(ClusterScan {
        all_failed: failed == targets.len(),
        result: merged,
    })
}
