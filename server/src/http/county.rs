//! The county endpoints: the overview, the overdue rectifications and the exports (Excel workbook, CSV
//! with a BOM for Excel on Chinese Windows), computed by `crate::county` and `crate::export`. Only that
//! county's reviewers and admins get any of it (the [`CountyScope`] extractor).

use super::AppState;
use super::error::ApiError;
use super::extract::AuthUser;
use crate::clock::today_cst;
use crate::{county, export};
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use zhigai_shared::access::Role;
use zhigai_shared::api::{AnnualReport, CountySummary, OverdueRow};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/counties/{id}/summary", get(summary))
        .route("/api/counties/{id}/overdue", get(overdue))
        .route("/api/counties/{id}/annual", get(annual))
        .route("/api/counties/{id}/export.xlsx", get(export_xlsx))
        .route("/api/counties/{id}/export.csv", get(export_csv))
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i64>,
    table: Option<String>,
}

/// The county in the path, once the caller is known to be one of its reviewers or admins: every county
/// endpoint takes it, so none can forget the check.
pub struct CountyScope(String);

impl FromRequestParts<AppState> for CountyScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = AuthUser::from_request_parts(parts, state).await?;
        let Path(county) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let user = &auth.user;
        if matches!(user.role, Role::Reviewer | Role::Admin) && user.county_id == county {
            Ok(Self(county))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

async fn summary(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<CountySummary>, ApiError> {
    Ok(Json(
        county::county_summary(state.store.as_ref(), &county, q.year).await?,
    ))
}

async fn annual(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<AnnualReport>, ApiError> {
    Ok(Json(
        county::annual_report(state.store.as_ref(), &county, q.year).await?,
    ))
}

async fn overdue(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<OverdueRow>>, ApiError> {
    Ok(Json(
        county::county_overdue(state.store.as_ref(), &county, q.year).await?,
    ))
}

/// A download with a Chinese file name (RFC 6266 `filename*`) and an ASCII fallback.
fn download(body: Vec<u8>, content_type: &'static str, name: &str, ascii: &str) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

async fn export_xlsx(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let data = county::county_summary(state.store.as_ref(), &county, q.year).await?;
    let problems = county::year_problems(state.store.as_ref(), &county, data.year).await?;
    let annual = county::annual_report_of(state.store.as_ref(), &data).await?;
    let bytes = export::workbook(&data, &problems, &annual).map_err(ApiError::internal)?;
    let name = format!("{}-{}年-自查整改汇总.xlsx", data.county_name, data.year);
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &name,
        &format!("zhigai-{county}-{}.xlsx", data.year),
    ))
}

async fn export_csv(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let table = q.table.as_deref().unwrap_or("facilities");
    let data = county::county_summary(state.store.as_ref(), &county, q.year).await?;
    let table = match table {
        "facilities" => export::facilities_table(&data),
        "areas" => export::areas_table(&data),
        "problems" => {
            let problems = county::year_problems(state.store.as_ref(), &county, data.year).await?;
            export::problems_table(&problems, today_cst())
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown table {other:?}: use facilities, areas or problems"
            )));
        }
    };
    let bytes = export::csv(&table).map_err(ApiError::internal)?;
    let name = format!("{}-{}年-{}.csv", data.county_name, data.year, table.title);
    let ascii = format!("zhigai-{county}-{}.csv", data.year);
    Ok(download(bytes, "text/csv; charset=utf-8", &name, &ascii))
}
