//! Building and running the server: bind, connect and migrate the store, assemble the router.

use crate::config::Settings;
use crate::db::{self, Store};
use crate::docs::Hub;
use crate::http::{self, AppState};
use anyhow::Context;
use axum::Router;
use axum::http::{HeaderValue, Request, header};
use axum::response::Response;
use axum::serve::ListenerExt;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

/// A built server, bound and ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    store: Arc<dyn Store>,
    hub: Hub,
    shutdown: watch::Sender<bool>,
    blobs: Arc<dyn crate::blobs::BlobStore>,
    photo_grace: Duration,
}

impl Application {
    /// Opens the database (migrating it), binds the port and assembles the routes.
    ///
    /// # Errors
    /// If the database cannot be opened or the port bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let store = db::connect(&settings.database_url)
            .await
            .with_context(|| format!("opening the database {}", redact(&settings.database_url)))?;
        // A SQLite file is served by one instance: refuse a second. Several instances share a PostgreSQL
        // database (each commit is announced to the others; compaction is compare-and-swap).
        store
            .claim_instance()
            .await
            .context("claiming the database for this server")?;
        // The sync server finds a document's facility by its id: record the ids of any year not yet
        // recorded (a database made before levels, or the first start of a new year).
        let added = store
            .ensure_document_ids(&crate::clock::document_years())
            .await
            .context("recording the facilities' document ids")?;
        if added > 0 {
            tracing::info!(added, "document ids recorded");
        }
        // Documents pinned to a province's, city's or county's checklist find it from the first request.
        let versions = crate::templates::register_all(store.as_ref())
            .await
            .context("reading the published checklist versions")?;
        tracing::info!(versions, "published checklist versions read");
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let hub = Hub::new(
            store.clone(),
            Duration::from_secs(settings.idle_seconds),
            settings.doc_limits(),
        );
        let (shutdown, shutdown_rx) = watch::channel(false);
        let blobs = crate::blobs::open(
            &settings.database_url,
            settings.photo_dir.clone(),
            store.clone(),
        );
        tracing::info!(store = blobs.describe(), "photos");
        let state = AppState {
            blobs: blobs.clone(),
            uploads: Arc::new(tokio::sync::Semaphore::new(settings.max_uploads.max(1))),
            store: store.clone(),
            hub: hub.clone(),
            shutdown: shutdown_rx,
            peer_id: format!("zhigai-server-{}", &crate::auth::new_secret()[..8]),
            settings: Arc::new(settings.clone()),
        };
        let mut router = http::router(state);
        if settings.static_dir.join("index.html").is_file() {
            // The clinic app at `/` and the review app under `/review/` (when built): files by name, every
            // other path falls back to that app's index.html (client routes).
            let mut app = Router::new().fallback_service(single_page_app(&settings.static_dir));
            let review = settings.static_dir.join(REVIEW_DIR);
            if review.join("index.html").is_file() {
                app = app.nest_service("/review", single_page_app(&review));
            }
            router = router.merge(app.layer(axum::middleware::from_fn(cache_policy)));
        }
        let csp = content_security_policy(&[
            settings.static_dir.join("index.html"),
            settings.static_dir.join(REVIEW_DIR).join("index.html"),
        ]);
        let router = router.layer(axum::middleware::from_fn(move |req, next| {
            security_headers(csp.clone(), req, next)
        }));
        // Spans name the path only: the sync route's query string carries a ticket and is never logged.
        let router = router.layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }));
        Ok(Self {
            listener,
            router,
            store,
            hub,
            shutdown,
            blobs,
            photo_grace: settings.photo_grace(),
        })
    }

    /// The port bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The document hub, for inspection.
    pub fn hub(&self) -> Hub {
        self.hub.clone()
    }

    /// The photo store, for inspection.
    pub fn blobs(&self) -> Arc<dyn crate::blobs::BlobStore> {
        self.blobs.clone()
    }

    /// The store, for seeding and inspection.
    pub fn store(&self) -> Arc<dyn Store> {
        self.store.clone()
    }

    /// Serves until `stop` completes, then closes connections and lets every open document finish
    /// writing.
    ///
    /// # Errors
    /// If serving fails.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let shutdown = self.shutdown;
        // A server that runs across New Year records the new year's document ids without a restart.
        let refresh = {
            let store = self.store.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(6 * 3600));
                every.tick().await;
                loop {
                    every.tick().await;
                    match store
                        .ensure_document_ids(&crate::clock::document_years())
                        .await
                    {
                        Ok(0) => {}
                        Ok(added) => tracing::info!(added, "document ids recorded"),
                        Err(e) => tracing::warn!("recording document ids: {e}"),
                    }
                }
            })
        };
        // Photos no document references go once their grace period is over; referenced ones never do.
        let sweeper = {
            let (store, blobs, grace) = (self.store.clone(), self.blobs.clone(), self.photo_grace);
            tokio::spawn(async move {
                let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
                loop {
                    every.tick().await;
                    let before = crate::clock::now_ms() - grace.as_millis() as i64;
                    match crate::blobs::sweep(store.as_ref(), blobs.as_ref(), before).await {
                        Ok(s) if s.removed > 0 => {
                            tracing::info!(removed = s.removed, "unreferenced photos removed")
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!("sweeping photos: {e}"),
                    }
                }
            })
        };
        // Several instances on one PostgreSQL database: another instance's commits reach the peers here.
        let feed = tokio::spawn(crate::docs::listen_to_other_instances(
            self.store.change_feed(),
            self.hub.clone(),
            shutdown.subscribe(),
        ));
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        // Sync frames are small and must go out at once: without TCP_NODELAY a frame written while the
        // previous one is unacknowledged waits for the peer's delayed ACK (up to 40 ms on Linux).
        let listener = self.listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!("TCP_NODELAY: {e}");
            }
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(async move {
                stop.await;
                tracing::info!("shutting down: closing connections, finishing writes");
                let _ = shutdown.send(true);
            })
            .await
            .context("serving")?;
        refresh.abort();
        sweeper.abort();
        feed.abort();
        self.hub.shutdown().await;
        self.store.release_instance().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A database URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

/// The review app's folder inside the static folder, served under `/review/`.
const REVIEW_DIR: &str = "review";

/// A single-page app's folder: its files by name (precompressed copies when the client takes them), and its
/// `index.html` for every other path.
fn single_page_app(dir: &std::path::Path) -> ServeDir<tower_http::services::ServeFile> {
    ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(
            ServeFile::new(dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        )
}

/// Hashed build files never change and may be cached for a year; everything else (`index.html`, `sw.js`,
/// the client routes) is revalidated on every load, so a new version reaches devices.
async fn cache_policy(req: Request<axum::body::Body>, next: axum::middleware::Next) -> Response {
    let immutable = is_hashed_asset(req.uri().path());
    let mut response = next.run(req).await;
    let value = if immutable && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// Whether a path names a file Trunk fingerprinted (`name-<16 hex digits>[_bg].ext`).
fn is_hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let stem = name.split('.').next().unwrap_or("");
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The Content-Security-Policy of every response: only this origin's scripts (and the inline boot scripts
/// of the apps' `index.html` pages, by their SHA-256), wasm compilation, no frames around the app, no plugins.
pub fn content_security_policy(pages: &[std::path::PathBuf]) -> HeaderValue {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let html: Vec<String> = pages
        .iter()
        .map(|page| std::fs::read_to_string(page).unwrap_or_default())
        .collect();
    let mut scripts: Vec<&str> = html.iter().flat_map(|page| inline_scripts(page)).collect();
    scripts.sort_unstable();
    scripts.dedup();
    let hashes: String = scripts
        .into_iter()
        .map(|script| {
            let digest = Sha256::digest(script.as_bytes());
            format!(
                " 'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:; connect-src 'self'; worker-src 'self'; object-src 'none'; \
         base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// The bodies of the inline `<script>` elements of an HTML page (those without `src`).
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attrs, rest) = rest.split_once('>')?;
        let (body, _) = rest.split_once("</script>")?;
        (!attrs.contains("src=") && !body.is_empty()).then_some(body)
    })
}

/// Security headers on every response, the API's included.
async fn security_headers(
    csp: HeaderValue,
    req: Request<axum::body::Body>,
    next: axum::middleware::Next,
) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    res
}

#[cfg(test)]
mod tests {
    use super::is_hashed_asset;

    #[test]
    fn only_fingerprinted_files_count_as_immutable() {
        assert!(is_hashed_asset("/zhigai-frontend-3f2a1b4c5d6e7f80_bg.wasm"));
        assert!(is_hashed_asset("/style-0123456789abcdef.css"));
        assert!(!is_hashed_asset("/sw.js"));
        assert!(!is_hashed_asset("/index.html"));
        assert!(!is_hashed_asset("/f/village-01/area/T3"));
    }

    #[test]
    fn the_policy_names_each_inline_script_by_its_hash() {
        let dir = tempfile_dir();
        let index = dir.join("index.html");
        std::fs::write(
            &index,
            "<script>boot()</script><script type=\"module\" src=\"/a.js\"></script><script type=\"module\">init()</script>",
        )
        .unwrap();
        let review = dir.join("review.html");
        std::fs::write(
            &review,
            "<script>boot()</script><script type=\"module\">initReview()</script>",
        )
        .unwrap();
        let csp = super::content_security_policy(&[index, review, dir.join("missing.html")]);
        let csp = csp.to_str().unwrap();
        // boot() is in both pages and named once; init() and initReview() once each.
        assert_eq!(csp.matches("'sha256-").count(), 3, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"));
    }

    fn tempfile_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("zhigai-csp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
