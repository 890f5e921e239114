//! Settings of the sync server: command-line flags with `ZHIGAI_*` environment overrides.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// How the server runs.
#[derive(Clone, Debug, Args)]
pub struct Settings {
    /// Address to listen on.
    #[arg(long, env = "ZHIGAI_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "ZHIGAI_PORT", default_value_t = 8080)]
    pub port: u16,
    /// `sqlite://zhigai.db` (default, in the working directory) or `postgres://user@host/db`.
    #[arg(
        long,
        env = "ZHIGAI_DATABASE_URL",
        default_value = "sqlite://zhigai.db"
    )]
    pub database_url: String,
    /// Largest WebSocket frame accepted, in bytes.
    #[arg(long, env = "ZHIGAI_MAX_FRAME_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub max_frame_bytes: usize,
    /// Days a session lasts since it was last used.
    #[arg(long, env = "ZHIGAI_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u32,
    /// Seconds a sync ticket stays valid.
    #[arg(long, env = "ZHIGAI_TICKET_SECONDS", default_value_t = 60)]
    pub ticket_seconds: u32,
    /// Folder of the built clinic app to serve (`dist/` from Trunk), if present.
    #[arg(long, env = "ZHIGAI_STATIC_DIR", default_value = "dist")]
    pub static_dir: PathBuf,
    /// Seconds an open document stays in memory without peers.
    #[arg(long, env = "ZHIGAI_IDLE_SECONDS", default_value_t = 60)]
    pub idle_seconds: u64,
}

impl Settings {
    /// Settings for tests: a free port on loopback and the given database.
    pub fn for_tests(database_url: &str) -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 0,
            database_url: database_url.to_owned(),
            max_frame_bytes: 8 * 1024 * 1024,
            session_days: 30,
            ticket_seconds: 60,
            static_dir: PathBuf::from("dist"),
            idle_seconds: 60,
        }
    }

    /// How long a session lives after its last use.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_days) * 86_400)
    }
}
