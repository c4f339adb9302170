//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "palisade",
    version,
    about = "Kubernetes security posture: scan manifests, explain and fix findings",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan manifests: files, directories (recursive), `-` for stdin, Helm charts, Kustomize directories.
    Scan(Box<ScanArgs>),
    /// Watch live clusters: judge every change as it happens and alert on findings opened,
    /// resolved or changed (JSON lines on stdout, webhooks, Slack), with Prometheus metrics.
    Watch(Box<WatchArgs>),
    /// List the built-in controls.
    Controls(ControlsArgs),
    /// List the compliance frameworks, or show one's requirements and how each is decided.
    Frameworks(FrameworksArgs),
    /// Compare two JSON reports (`scan --format json`): findings new and resolved, the count per
    /// severity, and each framework's score when the reports have them.
    Diff(DiffArgs),
    /// Fix findings in manifest files (YAML or JSON), Helm values and Kustomize overlays,
    /// keeping comments and layout: safe fixes by default, unsafe ones with --unsafe-fixes;
    /// --diff shows the changes without writing them. With --cluster: print a `kubectl patch`
    /// command per live object, or --apply the patches.
    Fix(Box<FixArgs>),
    /// Print the documentation of a control (by ID or by another tool's ID).
    Explain {
        /// A control ID (POD-001) or an alias (C-0057, KSV-0017, CKV_K8S_16, privileged-container).
        control: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan; `-` reads stdin.
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    pub paths: Vec<PathBuf>,

    /// Scan a live cluster (the current kubeconfig context, or --context/--all-contexts)
    /// instead of files. Secrets are read as metadata only.
    #[arg(long)]
    pub cluster: bool,
    #[command(flatten)]
    pub clusters: ClusterArgs,
    /// With --cluster: do not read or judge this namespace; repeatable.
    #[arg(
        long = "exclude-namespace",
        value_name = "NAMESPACE",
        requires = "cluster"
    )]
    pub exclude_namespaces: Vec<String>,

    /// Output format; repeat for several: text, json, sarif, junit, markdown, html, csv,
    /// openreports (OpenReports objects), policyreport (wgpolicyk8s.io PolicyReport objects),
    /// prometheus (text exposition for a textfile collector).
    #[arg(short, long = "format", value_name = "FORMAT", default_value = "text")]
    pub formats: Vec<String>,
    /// Write the report to this file instead of stdout (one format only).
    #[arg(short, long, value_name = "FILE", conflicts_with = "output_dir")]
    pub output: Option<PathBuf>,
    /// Write each format to its own file in this directory (palisade.json, palisade.sarif, …).
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Exit with status 1 when a finding is at or above this severity (critical, high, medium,
    /// low, info), or `none` to never fail on findings. Default: any finding.
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// An earlier JSON report of Palisade (`--format json`) to compare with: each finding is
    /// marked new or existing. Findings are matched by fingerprint, so moved lines and
    /// reordered files or documents do not make a finding new.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: exit with status 1 only when a finding at or above this severity is
    /// new since the baseline (the default --fail-on no longer applies; an explicit one still
    /// does).
    #[arg(long, value_name = "SEVERITY", requires = "baseline")]
    pub fail_on_new: Option<String>,

    /// Run exactly the Pod Security Standards checks of this level (baseline, restricted).
    #[arg(long, value_name = "LEVEL")]
    pub pss_level: Option<String>,
    #[command(flatten)]
    pub selection: Selection,
    /// Score this compliance framework (an ID or alias from `palisade frameworks`: cis-1.12,
    /// nsa, pci-dss-4.0, …) and run only the controls that serve the frameworks named;
    /// repeatable. Adds to the config file's `frameworks`.
    #[arg(long = "framework", value_name = "FRAMEWORK")]
    pub frameworks: Vec<String>,
    /// Target Kubernetes version for deprecated-API controls (default: latest, 1.37). Also passed to `helm template`.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// The files hold every object of a cluster (a GitOps repository, say): also report what is
    /// missing, such as roles no binding uses or bindings to roles that do not exist. Always on
    /// for a --cluster scan of all namespaces.
    #[arg(long, conflicts_with = "cluster")]
    pub complete_inventory: bool,
    /// Allow images from this registry (IMG-004); repeatable. Adds to the config file's list.
    #[arg(long = "allowed-registry", value_name = "REGISTRY")]
    pub allowed_registries: Vec<String>,

    /// Configuration file (default: `.palisade.yaml` found upward from the first path).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore `palisade.dev/ignore` and other tools' ignore annotations.
    #[arg(long)]
    pub no_inline_ignores: bool,

    /// Helm: values file; repeatable.
    #[arg(long = "values", value_name = "FILE")]
    pub values: Vec<String>,
    /// Helm: set a value (key=value); repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Helm: release name (default: release).
    #[arg(long, value_name = "NAME")]
    pub release_name: Option<String>,
    /// With --cluster: judge only this namespace (repeatable; cluster-scoped objects are still
    /// read as context). For Helm charts: the namespace to render into.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,

    /// Skip files larger than this many bytes (default 32 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// When to colour terminal output.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files or directories to fix (directories recursively).
    #[arg(
        required_unless_present = "cluster",
        conflicts_with = "cluster",
        value_name = "PATH"
    )]
    pub paths: Vec<PathBuf>,
    /// Print a unified diff of the fixes and change nothing. Exits with status 1 when there is
    /// something to fix, so CI can fail on fixable findings.
    #[arg(long, conflicts_with = "cluster")]
    pub diff: bool,
    #[command(flatten)]
    pub live: LiveFixArgs,
    /// With --cluster: fix only this namespace (repeatable). For a Helm chart: the namespace
    /// to render into (the first one given), as for `scan`.
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Also apply fixes that may change how the application behaves (runAsNonRoot,
    /// readOnlyRootFilesystem, removing host namespaces or hostPath volumes, …).
    #[arg(long)]
    pub unsafe_fixes: bool,
    #[command(flatten)]
    pub selection: Selection,
    /// Configuration file (default: `.palisade.yaml` found upward from the first path, or from
    /// the current directory with --cluster); its control selection, settings and exceptions
    /// apply as in `scan`.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub rendered: crate::fix_rendered::RenderedArgs,
}

/// `palisade fix --cluster`: patches for live objects instead of edits of files.
#[derive(Debug, Args)]
pub struct LiveFixArgs {
    /// Fix the objects of a live cluster (the current kubeconfig context, or --context):
    /// print one `kubectl patch` command per object a person edits (the Deployment, not its
    /// Pods), exiting with status 1 when there is something to patch.
    #[arg(long)]
    pub cluster: bool,
    #[command(flatten)]
    pub clusters: ClusterArgs,
    /// With --cluster: neither read nor fix this namespace; repeatable.
    #[arg(
        long = "exclude-namespace",
        value_name = "NAMESPACE",
        requires = "cluster",
        conflicts_with = "paths"
    )]
    pub exclude_namespaces: Vec<String>,
    /// With --cluster: apply the patches. Each is first sent as a server-side dry run and what
    /// it would change is shown; then you confirm (y/N) unless --yes.
    #[arg(long, requires = "cluster", conflicts_with = "paths")]
    pub apply: bool,
    /// With --apply: do not ask for confirmation.
    #[arg(long, short = 'y', requires = "apply")]
    pub yes: bool,
    /// With --cluster: also patch objects managed by Argo CD or Flux. Without it their patches
    /// are shown for reference only, as the tool would undo them on its next sync.
    #[arg(long, requires = "cluster", conflicts_with = "paths")]
    pub include_gitops: bool,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub clusters: ClusterArgs,
    /// Judge only this namespace; repeatable (cluster-scoped objects are still read as context).
    #[arg(long = "namespace", short = 'n', value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Neither read nor judge this namespace; repeatable.
    #[arg(long = "exclude-namespace", value_name = "NAMESPACE")]
    pub exclude_namespaces: Vec<String>,

    /// POST each event as JSON to this URL; repeatable.
    #[arg(long = "alert-webhook", value_name = "URL")]
    pub webhooks: Vec<String>,
    /// Least severity sent to --alert-webhook receivers (default: info, i.e. everything).
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    pub webhook_min_severity: String,
    /// Post each event to this Slack-compatible incoming webhook; repeatable.
    #[arg(long = "slack-webhook", value_name = "URL")]
    pub slack_webhooks: Vec<String>,
    /// Least severity sent to Slack (default: high).
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub slack_min_severity: String,
    /// Least severity written to stdout as JSON lines (default: info).
    #[arg(long, value_name = "SEVERITY", default_value = "info")]
    pub stdout_min_severity: String,
    /// Do not write events to stdout.
    #[arg(long)]
    pub no_stdout: bool,
    /// Serve /metrics, /healthz and /readyz on this address, e.g. 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,

    #[command(flatten)]
    pub selection: Selection,
    /// Judge as this Kubernetes version instead of each cluster's own.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Configuration file (default: `.palisade.yaml` in the current directory or above).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Which controls run; shared by `scan` and `watch`.
#[derive(Debug, Args)]
pub struct Selection {
    /// Only run these controls (IDs, aliases or families); repeatable, comma-separated.
    #[arg(long, value_name = "CONTROLS", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Do not run these controls (IDs, aliases or families); repeatable, comma-separated.
    #[arg(long, value_name = "CONTROLS", value_delimiter = ',')]
    pub skip: Vec<String>,
}

/// Which clusters to talk to; shared by `scan --cluster` and `watch`.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: KUBECONFIG, then ~/.kube/config; in a pod, its service account).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use; repeatable for several clusters in one report.
    #[arg(long = "context", value_name = "NAME")]
    pub contexts: Vec<String>,
    /// Every context of the kubeconfig.
    #[arg(long, conflicts_with = "contexts")]
    pub all_contexts: bool,
}

impl ClusterArgs {
    pub fn target_options(&self) -> palisade_cluster::TargetOptions {
        palisade_cluster::TargetOptions {
            kubeconfig: self.kubeconfig.clone(),
            contexts: self.contexts.clone(),
            all_contexts: self.all_contexts,
        }
    }
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier JSON report.
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The later JSON report.
    #[arg(value_name = "AFTER")]
    pub after: PathBuf,
    /// text, json or markdown.
    #[arg(short, long, default_value = "text")]
    pub format: String,
    /// Write the delta to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ControlsArgs {
    /// Only controls of this family (POD, IMG, SEC, RES, RBAC, NET, NS, API).
    #[arg(long)]
    pub family: Option<String>,
    /// Only controls that serve this framework (an ID or alias from `palisade frameworks`).
    #[arg(long)]
    pub framework: Option<String>,
    /// text, json or markdown.
    #[arg(long, default_value = "text")]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct FrameworksArgs {
    #[command(subcommand)]
    pub action: Option<FrameworksAction>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CatalogFormat::Text, global = true)]
    pub format: CatalogFormat,
}

#[derive(Debug, Subcommand)]
pub enum FrameworksAction {
    /// Print a framework's sections and requirements, what decides each, and its coverage.
    Show {
        /// A framework ID or alias (cis-1.12, cis, nsa, mitre, pss-restricted, pci-dss-4.0, …).
        framework: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CatalogFormat {
    Text,
    Json,
    Markdown,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
