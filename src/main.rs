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
    let code = match originguard::run::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            originguard::logging::write(format!("originguard: {error:#}\n").as_bytes());
            std::process::ExitCode::FAILURE
        }
    };
    originguard::logging::flush(std::time::Duration::from_secs(2));
    code
}
