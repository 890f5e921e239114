//! The `zhigai-server` binary: logging, the command line, the runtime.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("ZHIGAI_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = zhigai_server::cli::Cli::parse();
    zhigai_server::cli::run(cli, &mut std::io::stdout()).await
}
