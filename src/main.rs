//! The `originguard` binary: parse the command line, set up logging, run.

use clap::Parser;

/// mimalloc rather than the system allocator: under load, glibc's malloc showed up in
/// profiles of the service as arena lock contention and consolidation (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = originguard::config::Cli::parse();
    originguard::run::init_tracing(cli.log_format);
    match originguard::run::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("originguard: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
