//! `palisade-fakeapi`: serves a directory of JSON objects as a fake Kubernetes API server and
//! writes a kubeconfig for it, until killed. For benchmarks and manual testing only.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use palisade_fakeapi::FakeApiServer;

#[derive(Parser, Debug)]
#[command(
    name = "palisade-fakeapi",
    about = "Fake Kubernetes API server for tests and benchmarks"
)]
struct Args {
    /// Directory of `*.json` objects (kubectl get -o json shape) to serve.
    #[arg(long)]
    dir: PathBuf,
    /// Where to write the kubeconfig.
    #[arg(long)]
    kubeconfig: PathBuf,
    /// Port on 127.0.0.1 (0: an ephemeral one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Name of the kubeconfig context.
    #[arg(long, default_value = "fake")]
    context: String,
    /// Deny a resource: GROUP/PLURAL (`secrets`, `/secrets` or `core/secrets` for the core group).
    #[arg(long, value_name = "GROUP/PLURAL")]
    forbid: Vec<String>,
    /// Fail a resource with an HTTP code: GROUP/PLURAL=CODE.
    #[arg(long, value_name = "GROUP/PLURAL=CODE")]
    fail: Vec<String>,
    /// The gitVersion `/version` reports.
    #[arg(long, default_value = "v1.34.2")]
    version: String,
    /// Bearer token (default: random).
    #[arg(long)]
    token: Option<String>,
    /// Server-side maximum page size.
    #[arg(long)]
    page_size_cap: Option<usize>,
    /// Bookmark interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    bookmark_interval_ms: u64,
}

fn group_plural(text: &str) -> (String, String) {
    match text.rsplit_once('/') {
        Some(("core", plural)) => (String::new(), plural.to_string()),
        Some((group, plural)) => (group.to_string(), plural.to_string()),
        None => (String::new(), text.to_string()),
    }
}

fn run(args: Args) -> Result<(), String> {
    let mut builder = FakeApiServer::builder()
        .objects_from_dir(&args.dir)
        .map_err(|e| e.to_string())?
        .port(args.port)
        .version(args.version)
        .bookmark_interval(Duration::from_millis(args.bookmark_interval_ms));
    if let Some(token) = args.token {
        builder = builder.token(token);
    }
    if let Some(cap) = args.page_size_cap {
        builder = builder.page_size_cap(cap);
    }
    for f in &args.forbid {
        let (group, plural) = group_plural(f);
        builder = builder.forbid(&group, &plural, None);
    }
    for f in &args.fail {
        let (resource, code) = f
            .split_once('=')
            .ok_or_else(|| format!("--fail {f}: expected GROUP/PLURAL=CODE"))?;
        let code: u16 = code
            .parse()
            .map_err(|_| format!("--fail {f}: {code} is not an HTTP status code"))?;
        let (group, plural) = group_plural(resource);
        builder = builder.fail(&group, &plural, code);
    }
    let server = builder.start().map_err(|e| e.to_string())?;
    FakeApiServer::write_kubeconfig(&args.kubeconfig, &[(args.context.as_str(), &server)])
        .map_err(|e| format!("{}: cannot write: {e}", args.kubeconfig.display()))?;
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", server.url());
    let _ = out.flush();
    eprintln!(
        "serving {} objects at {} (kubeconfig {})",
        server.object_count(),
        server.url(),
        args.kubeconfig.display()
    );
    loop {
        std::thread::park();
    }
}

fn main() {
    if let Err(e) = run(Args::parse()) {
        eprintln!("palisade-fakeapi: {e}");
        std::process::exit(2);
    }
}
