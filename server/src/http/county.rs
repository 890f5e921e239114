//! What county reviewers follow: the overview of every facility (from the summary rows, by SQL, never by
//! loading documents), coverage per wave, overdue rectifications, and the exports (Excel workbook, CSV with
//! a BOM for Excel on Chinese Windows). Only that county's reviewers and admins get any of it.

use super::error::ApiError;
use super::extract::AuthUser;
use super::{AppState, today_cst};
use crate::db::{CountyProblem, Facility};
use crate::export;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use std::collections::HashMap;
use zhigai_shared::access::Role;
use zhigai_shared::api::{CountySummary, OverdueRow, SummaryRow, WaveCoverage};
use zhigai_shared::doc::{Date, ProblemStatus, ReviewState};
use zhigai_shared::summary::AreaCounts;
use zhigai_shared::{Template, Wave};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/counties/{id}/summary", get(summary))
        .route("/api/counties/{id}/overdue", get(overdue))
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

/// Fills a never-synced facility's row from the template: what applies to it, nothing answered.
fn fill_from_template(row: &mut SummaryRow, facility: &Facility) {
    let template = Template::national();
    let profile = facility.profile();
    row.wave = profile.wave().deadline_year();
    if row.updated_at.is_some() {
        return;
    }
    row.areas = template
        .areas
        .iter()
        .map(|area| AreaCounts {
            area: area.id.to_string(),
            applicable: area
                .items
                .iter()
                .filter(|i| i.applies_to.matches(&profile))
                .count() as u32,
            ..AreaCounts::default()
        })
        .collect();
    row.applicable = row.areas.iter().map(|a| i64::from(a.applicable)).sum();
}

/// Coverage per wave from the rows.
pub fn coverage(rows: &[SummaryRow]) -> Vec<WaveCoverage> {
    [Wave::W2026, Wave::W2027, Wave::W2028]
        .into_iter()
        .map(|wave| {
            let year = wave.deadline_year();
            let of_wave: Vec<_> = rows.iter().filter(|r| r.wave == year).collect();
            let state = |r: &&SummaryRow| r.review_state.parse::<ReviewState>().ok();
            WaveCoverage {
                wave: year,
                total: of_wave.len() as u32,
                submitted: of_wave
                    .iter()
                    .filter(|r| {
                        r.submitted || state(r).is_some_and(|s| s != ReviewState::NotSubmitted)
                    })
                    .count() as u32,
                approved: of_wave
                    .iter()
                    .filter(|r| state(r) == Some(ReviewState::Approved))
                    .count() as u32,
            }
        })
        .collect()
}

/// The overview of `county` for `year`.
pub async fn county_summary(
    state: &AppState,
    county: &str,
    year: Option<i64>,
) -> Result<CountySummary, ApiError> {
    let today = today_cst();
    let year = year.unwrap_or(i64::from(today.year()));
    let today_text = today.to_string();
    let (rows, facilities, communities, name) = tokio::try_join!(
        state.store.fetch_county_summary(county, year, &today_text),
        state.store.fetch_facilities(county),
        state.store.fetch_communities(county),
        state.store.fetch_county(county),
    )?;
    let by_id: HashMap<&str, &Facility> = facilities.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut rows = rows;
    for row in &mut rows {
        if let Some(facility) = by_id.get(row.facility_id.as_str()) {
            fill_from_template(row, facility);
        }
    }
    Ok(CountySummary {
        county_id: county.to_owned(),
        county_name: name.map(|c| c.name).unwrap_or_default(),
        year,
        today: today_text,
        coverage: coverage(&rows),
        facilities: rows,
        communities,
    })
}

async fn summary(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<CountySummary>, ApiError> {
    Ok(Json(county_summary(&state, &county, q.year).await?))
}

/// Problems not rectified and past their deadline on `today`, most overdue first.
pub fn overdue_rows(problems: &[CountyProblem], today: Date) -> Vec<OverdueRow> {
    let mut rows: Vec<OverdueRow> = problems
        .iter()
        .filter(|p| p.problem.status != ProblemStatus::Rectified.code())
        .filter_map(|p| {
            let deadline: Date = p.problem.deadline.as_deref()?.parse().ok()?;
            let days = today.days_since_epoch() - deadline.days_since_epoch();
            (days > 0).then(|| OverdueRow {
                facility_id: p.facility_id.clone(),
                facility_name: p.facility_name.clone(),
                item_id: p.problem.item_id.clone(),
                problem_id: p.problem.problem_id.clone(),
                description: p.problem.description.clone(),
                owner_name: p.problem.owner_name.clone(),
                deadline: deadline.to_string(),
                days_overdue: days,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.facility_id.cmp(&b.facility_id))
    });
    rows
}

async fn overdue(
    State(state): State<AppState>,
    CountyScope(county): CountyScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<OverdueRow>>, ApiError> {
    let today = today_cst();
    let year = q.year.unwrap_or(i64::from(today.year()));
    let problems = state.store.fetch_county_problems(&county, year).await?;
    Ok(Json(overdue_rows(&problems, today)))
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
    let data = county_summary(&state, &county, q.year).await?;
    let problems = state
        .store
        .fetch_county_problems(&county, data.year)
        .await?;
    let bytes =
        export::workbook(&data, &problems).map_err(|e| ApiError::Internal(e.to_string()))?;
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
    let data = county_summary(&state, &county, q.year).await?;
    let table = match table {
        "facilities" => export::facilities_table(&data),
        "areas" => export::areas_table(&data),
        "problems" => {
            let problems = state
                .store
                .fetch_county_problems(&county, data.year)
                .await?;
            export::problems_table(&problems, today_cst())
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown table {other:?}: use facilities, areas or problems"
            )));
        }
    };
    let bytes = export::csv(&table).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!("{}-{}年-{}.csv", data.county_name, data.year, table.title);
    let ascii = format!("zhigai-{county}-{}.csv", data.year);
    Ok(download(bytes, "text/csv; charset=utf-8", &name, &ascii))
}
