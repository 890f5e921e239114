//! Login, logout, `me`, the user's sessions (revocable: a lost tablet) and one-time sync tickets.

use super::error::ApiError;
use super::extract::{AuthUser, JsonBody};
use super::{AppState, now_ms, ticket_ttl};
use crate::auth::{
    account_delay_ms, address_delay_ms, client_addr, new_secret, secret_hash,
    verify_password_queued,
};
use crate::db::Session;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use std::net::SocketAddr;
use zhigai_shared::api::{LoginRequest, LoginResponse, MeResponse, TicketResponse};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/logout", post(logout))
        .route("/api/me", get(me))
        .route("/api/sessions", get(list_sessions))
        .route("/api/sessions/{id}", delete(revoke_session))
        .route("/api/sync-ticket", post(create_ticket))
}

async fn login(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let forwarded = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok());
    let ip = client_addr(addr.ip(), forwarded, &state.settings.trusted_proxies).to_string();
    let username = req.username.trim().to_owned();
    // Each attempt is reserved (counted as failed) before its password is checked, in the database that
    // every instance shares: concurrent guesses cannot all slip through one check.
    let account = format!("u:{username}");
    let address = format!("ip:{ip}");
    let now = now_ms();
    let by_account = match state
        .store
        .reserve_login(&account, now, account_delay_ms)
        .await?
    {
        Ok(reserved) => reserved,
        Err(wait) => {
            tracing::warn!(%username, %ip, "login throttled (account)");
            return Err(ApiError::Throttled(wait_secs(wait)));
        }
    };
    let by_address = match state
        .store
        .reserve_login(&address, now, address_delay_ms)
        .await?
    {
        Ok(reserved) => reserved,
        Err(wait) => {
            // Never checked: the account's counter returns to what it was.
            state
                .store
                .undo_login(&by_account, now, account_delay_ms)
                .await?;
            tracing::warn!(%username, %ip, "login throttled (address)");
            return Err(ApiError::Throttled(wait_secs(wait)));
        }
    };
    let found = state.store.fetch_user_by_username(&username).await?;
    let ok = match found {
        Some((user, hash)) => verify_password_queued(req.password, hash)
            .await?
            .then_some(user),
        None => None,
    };
    let Some(user) = ok else {
        tracing::info!(%username, %ip, "login failed");
        return Err(ApiError::BadCredentials);
    };
    state.store.clear_login(&account).await?;
    // A success is no failure of the address either (colleagues behind one NAT keep their free tries).
    state
        .store
        .undo_login(&by_address, now, address_delay_ms)
        .await?;
    let token = new_secret();
    let now = now_ms();
    let session = Session {
        id: new_secret()[..16].to_owned(),
        user_id: user.id.clone(),
        created_at: now,
        last_seen_at: now,
        expires_at: now + state.settings.session_ttl().as_millis() as i64,
        revoked_at: None,
        device: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
    };
    state
        .store
        .insert_session(&session, &secret_hash(&token))
        .await?;
    tracing::info!(username = %user.username, "login");
    let place = state.store.fetch_place(&user.scope).await?;
    Ok(Json(LoginResponse {
        token,
        session_id: session.id,
        expires_at: session.expires_at,
        user,
        place,
    }))
}

/// Whole seconds to wait, at least one.
fn wait_secs(ms: i64) -> u64 {
    u64::try_from(ms.max(1)).unwrap_or(1).div_ceil(1000)
}

async fn logout(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_session(&auth.session.id, &auth.user.id, now_ms())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(State(state): State<AppState>, auth: AuthUser) -> Result<Json<MeResponse>, ApiError> {
    let place = state.store.fetch_place(&auth.user.scope).await?;
    Ok(Json(MeResponse {
        scope: auth.user.scope.clone(),
        place,
        session_id: auth.session.id,
        user: auth.user,
    }))
}

async fn list_sessions(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<Session>>, ApiError> {
    Ok(Json(state.store.fetch_sessions(&auth.user.id).await?))
}

async fn revoke_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if state
        .store
        .revoke_session(&id, &auth.user.id, now_ms())
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

async fn create_ticket(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<TicketResponse>, ApiError> {
    let ticket = new_secret();
    let expires_at = now_ms() + ticket_ttl(&state.settings).as_millis() as i64;
    state
        .store
        .insert_ticket(
            &secret_hash(&ticket),
            &auth.session.id,
            &auth.user.id,
            expires_at,
        )
        .await?;
    let url = format!("/api/sync?ticket={ticket}");
    Ok(Json(TicketResponse {
        ticket,
        expires_at,
        url,
    }))
}
