//! Extractors: the logged-in user from the `Authorization: Bearer` header, and JSON bodies whose
//! rejection is our error type.

use super::AppState;
use super::error::ApiError;
use crate::db::{Session, User};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The user of a valid session; using it slides the session's expiry.
pub struct AuthUser {
    /// The user.
    pub user: User,
    /// The session.
    pub session: Session,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::Unauthorized)?;
        state.authenticate(token.trim()).await
    }
}

/// A JSON body; malformed JSON is a 400 with our error body.
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        axum::Json::<T>::from_request(req, state)
            .await
            .map(|axum::Json(v)| JsonBody(v))
            .map_err(|e| ApiError::BadRequest(e.body_text()))
    }
}
