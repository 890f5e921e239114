//! Photo bytes: `PUT /api/blobs/{hash}?facility=…` uploads one photo for a facility the user writes;
//! `GET /api/blobs/{hash}` serves it to whoever may read a document that references it.
//!
//! An upload is checked in the order that costs the server least: the address is a SHA-256, the user may
//! write that facility's inspection, the declared length is within the limit, then the bytes themselves —
//! read under the limit, an image by their magic numbers (not the file name or Content-Type), and hashing
//! to the address. A refused upload stores nothing.

use super::AppState;
use super::error::ApiError;
use super::extract::AuthUser;
use crate::clock::now_ms;
use crate::db::BlobMeta;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use zhigai_shared::FacilityId;
use zhigai_shared::access::{Rights, document_access};
use zhigai_shared::photo::{ImageType, PhotoHash};
use zhigai_shared::sync::DocKind;

/// The routes. Uploads read their body themselves under the configured limit, so axum's default body
/// limit does not apply to them.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/blobs/{hash}",
        get(download)
            .put(upload)
            .layer(axum::extract::DefaultBodyLimit::disable()),
    )
}

#[derive(Deserialize)]
struct UploadQuery {
    facility: Option<String>,
}

/// What an upload answers.
#[derive(Serialize)]
struct Uploaded {
    hash: String,
    size: usize,
    #[serde(rename = "type")]
    mime: &'static str,
    /// Whether the server had these bytes already.
    existed: bool,
}

fn hash_of(text: &str) -> Result<PhotoHash, ApiError> {
    text.parse()
        .map_err(|e: zhigai_shared::photo::BadHash| ApiError::BadRequest(e.to_string()))
}

async fn upload(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(hash): Path<String>,
    query: Result<Query<UploadQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let hash = hash_of(&hash)?;
    let facility = query
        .ok()
        .and_then(|Query(q)| q.facility)
        .filter(|f| !f.is_empty())
        .ok_or_else(|| {
            ApiError::BadRequest("facility=<机构编码> is required / is required".to_owned())
        })?;
    let facility = FacilityId::new(facility);
    // A facility the user cannot see at all answers the same as one they may see but not write.
    let place = state
        .facility_for(&auth.user, &facility)
        .await
        .map_err(|_| ApiError::PhotoForbidden)?
        .1;
    if !document_access(&auth.user, DocKind::Inspection, &place)
        .rights
        .has(Rights::EDIT)
    {
        return Err(ApiError::PhotoForbidden);
    }
    let max = state.settings.max_photo_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(ApiError::PhotoTooLarge(max));
    }
    // One permit per upload being received; a flood waits briefly, then is told to come back.
    let _permit = tokio::time::timeout(
        Duration::from_secs(5),
        state.uploads.clone().acquire_owned(),
    )
    .await
    .map_err(|_| ApiError::UploadBusy)?
    .map_err(|_| ApiError::UploadBusy)?;
    let limit = Duration::from_secs(state.settings.upload_seconds);
    let bytes = match tokio::time::timeout(limit, axum::body::to_bytes(body, max)).await {
        Err(_) => return Err(ApiError::UploadBusy),
        Ok(Err(_)) => return Err(ApiError::PhotoTooLarge(max)),
        Ok(Ok(bytes)) => bytes,
    };
    let mime = ImageType::sniff(&bytes).ok_or(ApiError::NotAnImage)?;
    if PhotoHash::of(&bytes) != hash {
        return Err(ApiError::HashMismatch);
    }
    let meta = BlobMeta {
        hash: hash.clone(),
        size: bytes.len() as i64,
        mime,
        facility_id: facility,
        uploaded_by: auth.user.id.clone(),
        uploaded_at: now_ms(),
    };
    let fresh = state.store.insert_blob(&meta).await?;
    // Bytes are kept again even for a known hash: a first upload whose bytes were lost (a crash between
    // the record and the write) is repaired by the device's next attempt.
    if let Err(e) = state.blobs.put(&hash, &bytes).await {
        if fresh {
            let _ = state.store.delete_blob(&hash).await;
        }
        return Err(e.into());
    }
    let status = if fresh {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(Uploaded {
            hash: hash.to_string(),
            size: bytes.len(),
            mime: mime.mime(),
            existed: !fresh,
        }),
    )
        .into_response())
}

async fn download(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let hash = hash_of(&hash)?;
    // Whether a document the user may read references it, and whether that facility uploaded it.
    let mut referenced = false;
    let mut readable = false;
    for (facility, uploaded) in state.store.fetch_blob_facilities(&hash).await? {
        if let Ok((_, place)) = state.facility_for(&auth.user, &facility).await
            && document_access(&auth.user, DocKind::Inspection, &place).read
        {
            referenced = true;
            readable |= uploaded;
        }
    }
    // Unreferenced, unknown and not-yours all look the same: a hash says nothing about other facilities.
    if !referenced {
        return Err(ApiError::NotFound);
    }
    // Referenced, but the facility's device has not sent the bytes (or a device wrote a hash it never had).
    if !readable {
        return Err(ApiError::PhotoNotUploaded);
    }
    let meta = state
        .store
        .fetch_blob(&hash)
        .await?
        .ok_or(ApiError::PhotoNotUploaded)?;
    let bytes = state
        .blobs
        .get(&hash)
        .await?
        .ok_or(ApiError::PhotoNotUploaded)?;
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(meta.mime.mime()),
    );
    // The bytes under a hash never change; only this user's device may keep them.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok(response)
}
