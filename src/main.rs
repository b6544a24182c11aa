//! The `originguard` binary: parse the command line, set up logging, run.

use clap::Parser;

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
