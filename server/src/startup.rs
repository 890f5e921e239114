//! Building and running the server: bind, connect and migrate the store, assemble the router.

use crate::auth::LoginThrottle;
use crate::config::Settings;
use crate::db::{self, Store};
use crate::docs::Hub;
use crate::http::{self, AppState};
use anyhow::Context;
use axum::Router;
use axum::http::Request;
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
        let listener = TcpListener::bind((settings.host.as_str(), settings.port))
            .await
            .with_context(|| format!("binding {}:{}", settings.host, settings.port))?;
        let hub = Hub::new(store.clone(), Duration::from_secs(settings.idle_seconds));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let state = AppState {
            store: store.clone(),
            hub: hub.clone(),
            throttle: Arc::new(LoginThrottle::new(Duration::from_secs(15 * 60), 5, 30)),
            shutdown: shutdown_rx,
            peer_id: format!("zhigai-server-{}", &crate::auth::new_secret()[..8]),
            settings: Arc::new(settings.clone()),
        };
        let mut router = http::router(state);
        if settings.static_dir.join("index.html").is_file() {
            // The clinic app: files by name, every other path falls back to index.html (client routes).
            let index = settings.static_dir.join("index.html");
            router = router.fallback_service(
                ServeDir::new(&settings.static_dir).fallback(ServeFile::new(index)),
            );
        }
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
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(async move {
                stop.await;
                tracing::info!("shutting down: closing connections, finishing writes");
                let _ = shutdown.send(true);
            })
            .await
            .context("serving")?;
        self.hub.shutdown().await;
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
