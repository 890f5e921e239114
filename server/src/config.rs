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
    /// Bytes one document may take in storage; changes past it are refused.
    #[arg(long, env = "ZHIGAI_MAX_DOC_BYTES", default_value_t = 16 * 1024 * 1024)]
    pub max_doc_bytes: usize,
    /// Chunks a document collects after its snapshot before it is compacted into a new snapshot.
    #[arg(long, env = "ZHIGAI_COMPACT_AFTER", default_value_t = 100)]
    pub compact_after: usize,
    /// Percent of the snapshot's size the chunks after it must also reach before a compaction (0: every
    /// `compact_after` chunks, however big the document).
    #[arg(long, env = "ZHIGAI_COMPACT_GROWTH_PERCENT", default_value_t = 100)]
    pub compact_growth_percent: usize,
    /// Seconds between WebSocket pings; a connection silent for three intervals is closed.
    #[arg(long, env = "ZHIGAI_PING_SECONDS", default_value_t = 20)]
    pub ping_seconds: u64,
    /// Seconds one WebSocket write may take before the connection is closed.
    #[arg(long, env = "ZHIGAI_WRITE_TIMEOUT_SECONDS", default_value_t = 10)]
    pub write_timeout_seconds: u64,
    /// Messages queued for one connection before it counts as too slow and is closed.
    #[arg(long, env = "ZHIGAI_PEER_QUEUE", default_value_t = 256)]
    pub peer_queue: usize,
    /// Addresses of reverse proxies whose X-Forwarded-For is believed (comma-separated); the client
    /// address is then the last one in that header that is not a trusted proxy.
    #[arg(long, env = "ZHIGAI_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest photo accepted, in bytes (the app shrinks photos to ~200–300 KB before upload).
    #[arg(long, env = "ZHIGAI_MAX_PHOTO_BYTES", default_value_t = zhigai_shared::photo::DEFAULT_MAX_PHOTO_BYTES)]
    pub max_photo_bytes: usize,
    /// Folder for photo files; by default a folder beside a SQLite database file (`zhigai.db.photos`),
    /// or the database itself for PostgreSQL, so every instance shares one store.
    #[arg(long, env = "ZHIGAI_PHOTO_DIR")]
    pub photo_dir: Option<PathBuf>,
    /// Photo uploads received at once; more wait a little, then are told to retry (the app does).
    #[arg(long, env = "ZHIGAI_MAX_UPLOADS", default_value_t = 8)]
    pub max_uploads: usize,
    /// Seconds one photo upload may take to arrive; a slower one is cut off (the app sends it again).
    #[arg(long, env = "ZHIGAI_UPLOAD_SECONDS", default_value_t = 120)]
    pub upload_seconds: u64,
    /// Days an uploaded photo no document references is kept before it is removed.
    #[arg(long, env = "ZHIGAI_PHOTO_GRACE_DAYS", default_value_t = 30)]
    pub photo_grace_days: u32,
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
            max_doc_bytes: 16 * 1024 * 1024,
            compact_after: 100,
            compact_growth_percent: 100,
            ping_seconds: 20,
            write_timeout_seconds: 10,
            peer_queue: 256,
            trusted_proxies: Vec::new(),
            max_photo_bytes: zhigai_shared::photo::DEFAULT_MAX_PHOTO_BYTES,
            photo_dir: None,
            max_uploads: 8,
            upload_seconds: 120,
            photo_grace_days: 30,
        }
    }

    /// What one document may hold and one sync message may carry.
    pub fn doc_limits(&self) -> crate::docs::DocLimits {
        crate::docs::DocLimits {
            max_doc_bytes: self.max_doc_bytes,
            compact_after: self.compact_after.max(1),
            compact_growth_percent: self.compact_growth_percent,
            ..crate::docs::DocLimits::default()
        }
    }

    /// How long an unreferenced photo is kept.
    pub fn photo_grace(&self) -> Duration {
        Duration::from_secs(u64::from(self.photo_grace_days) * 86_400)
    }

    /// How long a session lives after its last use.
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_days) * 86_400)
    }
}

/// The log filter for `ZHIGAI_LOG` (`info` when unset). Automerge's functions carry `#[instrument]` spans at
/// info level that record their arguments with `Debug` — on every incoming change, the whole change graph
/// formatted as text, most of a busy server's CPU — so Automerge and its column store log warnings only,
/// unless the setting names them itself.
pub fn log_filter(setting: Option<&str>) -> String {
    let setting = setting
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("info");
    let mut filter = setting.to_owned();
    for quiet in ["automerge", "hexane"] {
        if !setting.contains(quiet) {
            filter.push_str(&format!(",{quiet}=warn"));
        }
    }
    filter
}

#[cfg(test)]
mod tests {
    use super::log_filter;
    use tracing::Level;
    use tracing_subscriber::EnvFilter;

    #[test]
    fn automerge_spans_stay_off_unless_asked_for() {
        assert_eq!(log_filter(None), "info,automerge=warn,hexane=warn");
        assert_eq!(
            log_filter(Some("debug")),
            "debug,automerge=warn,hexane=warn"
        );
        assert_eq!(
            log_filter(Some("info,automerge=trace")),
            "info,automerge=trace,hexane=warn"
        );
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(log_filter(None)))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            assert!(!tracing::enabled!(target: "automerge::storage::load", Level::INFO));
            assert!(tracing::enabled!(target: "automerge::storage::load", Level::WARN));
            assert!(tracing::enabled!(target: "zhigai_server::docs", Level::INFO));
        });
    }
}
