//! The API's one error type: each variant maps to a status code and a message in Chinese and English;
//! internal detail is logged, never sent.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// What an API request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No valid session.
    #[error("not logged in")]
    Unauthorized,
    /// The session expired or was revoked.
    #[error("session expired")]
    SessionExpired,
    /// Wrong username or password.
    #[error("wrong credentials")]
    BadCredentials,
    /// Too many failed logins.
    #[error("throttled")]
    Throttled(u64),
    /// The role or scope does not allow it.
    #[error("forbidden")]
    Forbidden,
    /// No such thing (or not visible to this user).
    #[error("not found")]
    NotFound,
    /// The request itself is wrong.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// A photo over the size limit (bytes).
    #[error("photo too large")]
    PhotoTooLarge(usize),
    /// Bytes that are not a JPEG, PNG or WebP image, whatever the file was called.
    #[error("not an image")]
    NotAnImage,
    /// Bytes that do not hash to the address they were sent to.
    #[error("hash mismatch")]
    HashMismatch,
    /// A photo for a facility the user may not write.
    #[error("photo for another facility")]
    PhotoForbidden,
    /// Too many photo uploads at once, or one too slow to arrive.
    #[error("uploads busy")]
    UploadBusy,
    /// A photo a document references whose bytes its device has not uploaded yet.
    #[error("photo not uploaded yet")]
    PhotoNotUploaded,
    /// Something failed inside the server.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    /// An internal failure, its source kept for the log.
    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::db::DbError> for ApiError {
    fn from(e: crate::db::DbError) -> Self {
        ApiError::internal(e)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::internal(e)
    }
}

/// An error with every source after it, for the log.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, zh, en) = match &self {
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "请先登录。".to_owned(),
                "Please log in.".to_owned(),
            ),
            ApiError::SessionExpired => (
                StatusCode::UNAUTHORIZED,
                "session_expired",
                "登录已过期或已被注销，请重新登录。".to_owned(),
                "Your session has expired or was revoked; please log in again.".to_owned(),
            ),
            ApiError::BadCredentials => (
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "用户名或密码错误。".to_owned(),
                "Wrong username or password.".to_owned(),
            ),
            ApiError::Throttled(secs) => (
                StatusCode::TOO_MANY_REQUESTS,
                "throttled",
                format!("登录失败次数过多，请 {secs} 秒后再试。"),
                format!("Too many failed logins; try again in {secs} seconds."),
            ),
            ApiError::Forbidden => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "您没有权限进行此操作。".to_owned(),
                "Your role does not allow this.".to_owned(),
            ),
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                "not_found",
                "未找到。".to_owned(),
                "Not found.".to_owned(),
            ),
            ApiError::BadRequest(why) => (
                StatusCode::BAD_REQUEST,
                "bad_request",
                format!("请求有误：{why}"),
                format!("Bad request: {why}"),
            ),
            ApiError::PhotoTooLarge(max) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "photo_too_large",
                format!(
                    "照片超过 {:.1} MB，未上传。请重新拍摄或选择较小的照片。",
                    *max as f64 / 1_048_576.0
                ),
                format!(
                    "The photo is larger than {:.1} MB and was not uploaded; take it again or pick a smaller one.",
                    *max as f64 / 1_048_576.0
                ),
            ),
            ApiError::NotAnImage => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "not_an_image",
                "该文件不是照片（只接受 JPEG、PNG、WebP 图片），未上传。".to_owned(),
                "The file is not a photo (JPEG, PNG or WebP only) and was not uploaded.".to_owned(),
            ),
            ApiError::HashMismatch => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "hash_mismatch",
                "照片数据与校验值不符（可能在传输中损坏），未保存；应用会重新上传。".to_owned(),
                "The photo's bytes do not match its hash (damaged in transit?) and were not kept; the app uploads it again.".to_owned(),
            ),
            ApiError::PhotoForbidden => (
                StatusCode::FORBIDDEN,
                "photo_forbidden",
                "您不能为该机构上传照片：只有本机构的人员可以上传本机构的照片。".to_owned(),
                "You may not upload photos for that facility: only its own staff can.".to_owned(),
            ),
            ApiError::UploadBusy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "upload_busy",
                "服务器正忙或网络太慢，照片未上传完；应用会稍后自动重传，已拍的照片保存在本机。".to_owned(),
                "The server is busy or the network too slow; the photo was not uploaded. The app sends it again later; it stays on the device.".to_owned(),
            ),
            ApiError::PhotoNotUploaded => (
                StatusCode::NOT_FOUND,
                "photo_not_uploaded",
                "该照片尚未从拍摄的设备上传，请等该设备联网后再看。".to_owned(),
                "This photo has not been uploaded from the device that took it yet; look again once that device is online.".to_owned(),
            ),
            ApiError::Internal(source) => {
                tracing::error!(error = chain(source.as_ref()), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "服务器出错，请稍后重试。".to_owned(),
                    "The server failed; please try again later.".to_owned(),
                )
            }
        };
        let mut response = (
            status,
            Json(json!({ "error": code, "message": zh, "message_en": en })),
        )
            .into_response();
        if let ApiError::Throttled(secs) = self
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
