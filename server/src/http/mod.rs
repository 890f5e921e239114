//! The HTTP API: one router merged from a module per resource, sharing one [`AppState`].

pub mod county;
mod directory;
pub mod error;
pub mod extract;
mod session;
mod sync_ws;

use crate::auth::secret_hash;
use crate::clock::now_ms;
use crate::config::Settings;
use crate::db::{Facility, Store, User};
use crate::docs::Hub;
use axum::Router;
use axum::routing::get;
use error::ApiError;
use extract::AuthUser;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use zhigai_shared::access::{Scope, scope_of};

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Open documents.
    pub hub: Hub,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Flips to true when the server shuts down; open WebSockets close.
    pub shutdown: watch::Receiver<bool>,
    /// This server's automerge-repo peer id.
    pub peer_id: String,
}

impl AppState {
    /// The user of a session token, sliding its expiry.
    ///
    /// # Errors
    /// [`ApiError::Unauthorized`] for an unknown token, [`ApiError::SessionExpired`] for an expired or
    /// revoked one.
    pub async fn authenticate(&self, token: &str) -> Result<AuthUser, ApiError> {
        let (session, user) = self
            .store
            .fetch_session(&secret_hash(token))
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let now = now_ms();
        if session.revoked_at.is_some() || session.expires_at <= now {
            return Err(ApiError::SessionExpired);
        }
        let expires_at = now + self.settings.session_ttl().as_millis() as i64;
        // Sliding expiry, written at most once a minute per session.
        if now - session.last_seen_at > 60_000 {
            self.store
                .touch_session(&session.id, now, expires_at)
                .await?;
        }
        Ok(AuthUser { user, session })
    }

    /// The facilities `user` may see.
    ///
    /// # Errors
    /// [`ApiError::Internal`] if storage fails.
    pub async fn visible_facilities(&self, user: &User) -> Result<Vec<Facility>, ApiError> {
        Ok(match scope_of(user) {
            Scope::Facility(id) => self.store.fetch_facility(&id).await?.into_iter().collect(),
            Scope::County(county) => self.store.fetch_facilities(&county).await?,
        })
    }
}

/// The years the action's documents exist for: 2026 to 2028, and each later year of routine work.
pub fn action_years() -> std::ops::RangeInclusive<u16> {
    2026..=crate::clock::today_cst().year().max(2028)
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(session::router())
        .merge(directory::router())
        .merge(county::router())
        .merge(sync_ws::router())
        .with_state(state)
}

/// How long a sync ticket lives.
pub(crate) fn ticket_ttl(settings: &Settings) -> Duration {
    Duration::from_secs(u64::from(settings.ticket_seconds))
}
