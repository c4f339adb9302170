//! The `palisade` binary: parses the command line and wires the stages together.

mod catalog_view;
mod cli;
mod cluster;
mod diff;
mod fix;
mod fix_cluster;
mod fix_rendered;
mod framework_view;
mod scan;
mod watch;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

/// glibc's allocator fragments badly under the millions of small, long-lived allocations of a
/// large inventory (a 100,000-object scan spent a third of its time in malloc); mimalloc keeps
/// that flat.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Hands memory freed in bulk (a scan's objects, once judged) back before the next large
/// allocation. mimalloc otherwise returns it after a delay, and the findings laid out right
/// after would be counted on top of it.
#[allow(unsafe_code)]
pub(crate) fn release_freed_memory() {
    // SAFETY: `mi_collect` only walks the allocator's own free lists; it takes no pointers.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

/// Exit status when the scan could not run (bad flags, bad config, no readable input).
const EXIT_ERROR: u8 = 2;

/// Writes to stdout; a closed pipe (`palisade … | head`) is not an error.
pub(crate) fn emit(text: &str) -> Result<(), String> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Scan(args) => scan::run(*args),
        Command::Watch(args) => watch::run(*args),
        Command::Controls(args) => catalog_view::list(&args),
        Command::Frameworks(args) => framework_view::run(&args),
        Command::Explain { control } => catalog_view::explain(&control),
        Command::Diff(args) => diff::run(&args),
        Command::Fix(args) => fix::run(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
