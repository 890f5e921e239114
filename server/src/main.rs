//! The `zhigai-server` binary: logging, the command line, the runtime.

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    release_large_allocations();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_new(zhigai_server::config::log_filter(
                std::env::var("ZHIGAI_LOG").ok().as_deref(),
            ))
            .unwrap_or_else(|_| EnvFilter::new(zhigai_server::config::log_filter(None))),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = zhigai_server::cli::Cli::parse();
    zhigai_server::cli::run(cli, &mut std::io::stdout()).await
}

/// glibc raises its mmap threshold after large buffers are freed, after which every login's 19 MiB argon2
/// buffer stays in some thread's arena; a fixed threshold of 1 MiB hands them back to the OS at once.
fn release_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; it is called before any other thread starts allocating.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}
