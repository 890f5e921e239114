//! The REST API as the app calls it: JSON over fetch with the session's bearer token. Every failure becomes
//! an [`ApiError`] that says what happened and what to do, in both languages, and keeps which kind of
//! failure it was: no answer, an HTTP error status, or a success reply that could not be read.

use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zhigai_shared::access::{Level, Scope};
use zhigai_shared::api::{
    AnnualReport, ApiErrorBody, CountySummary, FacilitiesResponse, FacilityEntry, ItemFacility,
    LoginRequest, LoginResponse, OverdueRow, RollupSummary, TemplateDetail, TemplateInfo,
    TicketResponse, User,
};

/// Why an API call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum ApiError {
    /// No answer: the device is offline or the server is down.
    Network,
    /// The session is no longer valid: log in again.
    SessionExpired(ApiErrorBody),
    /// The server answered with an error status.
    Refused(u16, ApiErrorBody),
    /// The server said yes, but its reply could not be read (an app older than the server).
    Decode(String),
    /// The browser could not do its part (saving a download).
    Browser(String),
}

impl ApiError {
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
            Self::Decode(detail) => (
                format!("无法读取服务器的回答，请刷新页面以更新应用（{detail}）。"),
                format!(
                    "The server's reply could not be read; reload the page to update the app ({detail})."
                ),
            ),
            Self::Browser(detail) => (
                format!("浏览器无法保存文件，请换用其他浏览器重试（{detail}）。"),
                format!("The browser could not save the file; try another browser ({detail})."),
            ),
        }
    }
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let status = response.status();
    if (200..300).contains(&status) {
        return response
            .json::<T>()
            .await
            .map_err(|e| ApiError::Decode(e.to_string()));
    }
    Err(refusal(response).await)
}

/// The error an unsuccessful answer carries: the server's bilingual body, or a general one.
pub async fn refusal(response: Response) -> ApiError {
    let status = response.status();
    let body = response
        .json::<ApiErrorBody>()
        .await
        .unwrap_or_else(|_| ApiErrorBody {
            error: "unknown".to_owned(),
            message: format!("服务器返回错误 {status}，请稍后重试。"),
            message_en: format!("The server answered {status}; please try again later."),
        });
    if status == 401 {
        ApiError::SessionExpired(body)
    } else {
        ApiError::Refused(status, body)
    }
}

async fn get<T: DeserializeOwned>(path: &str, token: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    read(response).await
}

async fn post<B: Serialize, T: DeserializeOwned>(
    path: &str,
    token: Option<&str>,
    body: &B,
) -> Result<T, ApiError> {
    let mut request = Request::post(path);
    if let Some(token) = token {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let response = request
        .json(body)
        .map_err(|e| ApiError::Browser(e.to_string()))?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    read(response).await
}

/// `POST /api/login`.
pub async fn login(username: &str, password: &str) -> Result<LoginResponse, ApiError> {
    let body = LoginRequest {
        username: username.to_owned(),
        password: password.to_owned(),
    };
    post("/api/login", None, &body).await
}

/// `GET /api/facilities`: the caller's facilities with their documents.
pub async fn facilities(token: &str) -> Result<FacilitiesResponse, ApiError> {
    get("/api/facilities", token).await
}

/// `GET /api/facilities/{id}/staff`.
pub async fn staff(token: &str, facility: &str) -> Result<Vec<User>, ApiError> {
    get(&format!("/api/facilities/{facility}/staff"), token).await
}

/// `POST /api/sync-ticket`: a one-time ticket for the sync WebSocket.
pub async fn sync_ticket(token: &str) -> Result<TicketResponse, ApiError> {
    post("/api/sync-ticket", Some(token), &serde_json::json!({})).await
}

/// `POST /api/logout`; failures are ignored (the device forgets the session either way).
pub async fn logout(token: &str) {
    let _ = Request::post("/api/logout")
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await;
}

/// The API path of a place's overview endpoints (`/api/counties/c1`, …).
pub fn place_path(place: &Scope) -> String {
    let segment = match place.level() {
        Level::Community => "communities",
        Level::County => "counties",
        Level::City => "cities",
        Level::Province => "provinces",
        Level::Facility => "facilities",
    };
    format!("/api/{segment}/{}", place.id())
}

/// `GET /api/{communities,counties}/{id}/summary?year=`: the overview of every facility.
pub async fn place_summary(
    token: &str,
    place: &Scope,
    year: u16,
) -> Result<CountySummary, ApiError> {
    get(&format!("{}/summary?year={year}", place_path(place)), token).await
}

/// `GET /api/{cities,provinces}/{id}/summary?year=`: the counties as rows.
pub async fn rollup_summary(
    token: &str,
    place: &Scope,
    year: u16,
) -> Result<RollupSummary, ApiError> {
    get(&format!("{}/summary?year={year}", place_path(place)), token).await
}

/// `GET …/annual?year=`: the 年度评估 report of a county or community.
pub async fn place_annual(token: &str, place: &Scope, year: u16) -> Result<AnnualReport, ApiError> {
    get(&format!("{}/annual?year={year}", place_path(place)), token).await
}

/// `GET …/overdue?year=`: overdue rectifications.
pub async fn place_overdue(
    token: &str,
    place: &Scope,
    year: u16,
) -> Result<Vec<OverdueRow>, ApiError> {
    get(&format!("{}/overdue?year={year}", place_path(place)), token).await
}

/// `GET …/common/{item}?year=`: the facilities behind one common problem.
pub async fn common_item(
    token: &str,
    place: &Scope,
    year: u16,
    item: &str,
) -> Result<Vec<ItemFacility>, ApiError> {
    get(
        &format!("{}/common/{item}?year={year}", place_path(place)),
        token,
    )
    .await
}

/// `GET /api/templates`: the checklist versions the user's place sees.
pub async fn templates(token: &str) -> Result<Vec<TemplateInfo>, ApiError> {
    get("/api/templates", token).await
}

/// `GET /api/templates/{id}/{version}`: one version with what differs from its parent.
pub async fn template(token: &str, id: &str, version: u32) -> Result<TemplateDetail, ApiError> {
    get(&format!("/api/templates/{id}/{version}"), token).await
}

/// `GET /api/facilities/{id}`: one facility with its documents.
pub async fn facility(token: &str, id: &str) -> Result<FacilityEntry, ApiError> {
    get(&format!("/api/facilities/{id}"), token).await
}

/// Downloads an export with the session's token and hands it to the browser under the server's file name.
pub async fn download(token: &str, path: &str) -> Result<(), ApiError> {
    use wasm_bindgen::JsCast;
    let response = Request::get(path)
        .header("Authorization", &format!("Bearer {token}"))
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    if !response.ok() {
        return read::<()>(response).await;
    }
    let name = response
        .headers()
        .get("content-disposition")
        .and_then(|d| d.split("UTF-8''").nth(1).map(str::to_owned))
        .and_then(|n| js_sys::decode_uri_component(&n).ok())
        .map_or_else(|| "zhigai-export".to_owned(), String::from);
    let bytes = response.binary().await.map_err(|_| ApiError::Network)?;
    let browser = |e: wasm_bindgen::JsValue| ApiError::Browser(format!("{e:?}"));
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
    let blob = web_sys::Blob::new_with_u8_array_sequence(&parts).map_err(browser)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(browser)?;
    let anchor = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok());
    let Some(anchor) = anchor else {
        return Err(ApiError::Browser("no document to download into".to_owned()));
    };
    anchor.set_href(&url);
    anchor.set_download(&name);
    anchor.click();
    // The click has handed the file to the browser; a URL left unrevoked only costs memory.
    web_sys::Url::revoke_object_url(&url).ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_failure_says_what_to_do_in_both_languages() {
        let body = ApiErrorBody {
            error: "forbidden".into(),
            message: "您没有权限进行此操作。".into(),
            message_en: "Your role does not allow this.".into(),
        };
        let network = ApiError::Network.message();
        let decode = ApiError::Decode("missing field `wave`".into()).message();
        let refused = ApiError::Refused(403, body.clone()).message();
        assert!(network.0.contains("网络") && network.1.contains("network"));
        // A reply the app cannot read is not a network problem: the app needs updating.
        assert!(decode.0.contains("刷新") && decode.1.contains("reload"));
        assert!(decode.1.contains("missing field"));
        assert_ne!(network, decode);
        assert_eq!(refused, (body.message, body.message_en));
    }
}
