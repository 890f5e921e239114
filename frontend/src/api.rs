//! The REST API as the app calls it: JSON over fetch with the session's bearer token. Every failure becomes
//! an [`ApiFailure`] that says what happened and what to do, in both languages.

use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zhigai_shared::api::{
    ApiErrorBody, CountySummary, FacilitiesResponse, LoginRequest, LoginResponse, OverdueRow,
    TicketResponse, User,
};

/// Why an API call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiFailure {
    /// No answer: the device is offline or the server is down.
    Network,
    /// The session is no longer valid: log in again.
    SessionExpired(ApiErrorBody),
    /// The server answered with an error.
    Refused(u16, ApiErrorBody),
}

impl ApiFailure {
    /// What to tell the user, in Chinese and English.
    pub fn message(&self) -> (String, String) {
        match self {
            Self::Network => (
                "无法连接服务器：请检查网络后重试。".to_owned(),
                "Cannot reach the server: check the network and try again.".to_owned(),
            ),
            Self::SessionExpired(body) | Self::Refused(_, body) => {
                (body.message.clone(), body.message_en.clone())
            }
        }
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiFailure> {
    let status = response.status();
    if (200..300).contains(&status) {
        return response.json::<T>().await.map_err(|_| ApiFailure::Network);
    }
    let body = response
        .json::<ApiErrorBody>()
        .await
        .unwrap_or_else(|_| ApiErrorBody {
            error: "unknown".to_owned(),
            message: format!("服务器返回错误 {status}，请稍后重试。"),
            message_en: format!("The server answered {status}; please try again later."),
        });
    if status == 401 {
        Err(ApiFailure::SessionExpired(body))
    } else {
        Err(ApiFailure::Refused(status, body))
    }
}

async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, ApiFailure> {
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| ApiFailure::Network)?;
    read(response).await
}

async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, ApiFailure> {
    let mut request = Request::post(path);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .json(body)
        .map_err(|_| ApiFailure::Network)?
        .send()
        .await
        .map_err(|_| ApiFailure::Network)?;
    read(response).await
}

/// `POST /api/login`.
pub async fn login(username: &str, password: &str) -> Result<LoginResponse, ApiFailure> {
    let body = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    };
    post("/api/login", None, &body).await
}

/// `GET /api/facilities`: the caller's facilities with their documents.
pub async fn facilities(token: &str) -> Result<FacilitiesResponse, ApiFailure> {
    get("/api/facilities", token).await
}

/// `GET /api/facilities/{id}/staff`.
pub async fn staff(token: &str, facility: &str) -> Result<Vec<User>, ApiFailure> {
    get(&format!("/api/facilities/{facility}/staff"), token).await
}

/// `POST /api/sync-ticket`: a one-time ticket for the sync WebSocket.
pub async fn sync_ticket(token: &str) -> Result<TicketResponse, ApiFailure> {
    post("/api/sync-ticket", Some(token), &serde_json::json!({})).await
}

/// `POST /api/logout`; failures are ignored (the device forgets the session either way).
pub async fn logout(token: &str) {
    let _ = Request::post("/api/logout")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
}

/// `GET /api/counties/{id}/summary?year=`: the county overview.
pub async fn county_summary(
    token: &str,
    county: &str,
    year: u16,
) -> Result<CountySummary, ApiFailure> {
    get(
        &format!("/api/counties/{county}/summary?year={year}"),
        token,
    )
    .await
}

/// `GET /api/counties/{id}/overdue?year=`: overdue rectifications.
pub async fn county_overdue(
    token: &str,
    county: &str,
    year: u16,
) -> Result<Vec<OverdueRow>, ApiFailure> {
    get(
        &format!("/api/counties/{county}/overdue?year={year}"),
        token,
    )
    .await
}

/// Downloads an export with the session's token and hands it to the browser under the server's file name.
pub async fn download(token: &str, path: &str) -> Result<(), ApiFailure> {
    use wasm_bindgen::JsCast;
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| ApiFailure::Network)?;
    if !response.ok() {
        return read::<()>(response).await;
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|d| d.split("UTF-8''").nth(1).map(str::to_owned))
        .and_then(|n| js_sys::decode_uri_component(&n).ok())
        .map_or_else(|| "zhigai-export".to_owned(), String::from);
    let bytes = response.binary().await.map_err(|_| ApiFailure::Network)?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let blob =
        web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(|_| ApiFailure::Network)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| ApiFailure::Network)?;
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    if let Some(anchor) = anchor {
        anchor.set_href(&url);
        anchor.set_download(&name);
        anchor.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
