//! The `zhigai-server` binary: parse the command line and run it.

use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = zhigai_server::cli::Cli::parse();
    zhigai_server::cli::run(cli, &mut std::io::stdout().lock())
}
