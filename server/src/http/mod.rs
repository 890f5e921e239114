//! The HTTP API: one router merged from a module per resource, sharing one [`AppState`].

mod blobs;
pub mod county;
mod directory;
pub mod error;
pub mod extract;
mod session;
mod sync_ws;
pub(crate) use sync_ws::READ_BUFFER_BYTES as WS_READ_BUFFER_BYTES;

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
use zhigai_shared::FacilityId;
use zhigai_shared::access::{Placement, Role, Scope, sees_facility};

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
    /// Photo bytes.
    pub blobs: Arc<dyn crate::blobs::BlobStore>,
    /// Photo uploads received at once: a flood of slow or large uploads cannot take the server's memory.
    pub uploads: Arc<tokio::sync::Semaphore>,
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

    /// The facilities `user` works with day to day, with where they sit: their own (and, for a township
    /// head, the clinics it guides), their community's or their county's. A city's or province's tens of
    /// thousands are never listed: those users browse by the dashboards and open one facility at a time
    /// ([`AppState::facility_for`]).
    ///
    /// # Errors
    /// [`ApiError::Internal`] if storage fails.
    pub async fn visible_facilities(
        &self,
        user: &User,
    ) -> Result<Vec<(Facility, Placement)>, ApiError> {
        let mut out = match &user.scope {
            Scope::City(_) | Scope::Province(_) => Vec::new(),
            scope => self.store.fetch_facilities_in(scope).await?,
        };
        if let (Role::Head, Scope::Facility(own)) = (user.role, &user.scope) {
            out.extend(self.store.fetch_guided(own).await?);
        }
        out.retain(|(_, place)| sees_facility(user.role, &user.scope, place));
        Ok(out)
    }

    /// One facility and where it sits, if `user` may see it; otherwise it does not exist for them.
    ///
    /// # Errors
    /// [`ApiError::NotFound`] for a facility that is unknown or outside the user's reach.
    pub async fn facility_for(
        &self,
        user: &User,
        id: &FacilityId,
    ) -> Result<(Facility, Placement), ApiError> {
        match self.store.fetch_placement(id).await? {
            Some((facility, place)) if sees_facility(user.role, &user.scope, &place) => {
                Ok((facility, place))
            }
            _ => Err(ApiError::NotFound),
        }
    }
}

pub use crate::clock::action_years;

/// The whole API.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(session::router())
        .merge(directory::router())
        .merge(county::router())
        .merge(sync_ws::router())
        .merge(blobs::router())
        .with_state(state)
}

/// How long a sync ticket lives.
pub(crate) fn ticket_ttl(settings: &Settings) -> Duration {
    Duration::from_secs(u64::from(settings.ticket_seconds))
}
