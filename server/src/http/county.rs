//! The overview endpoints of every level (`/api/{communities,counties,cities,provinces}/{id}/…`): the
//! overview, the overdue rectifications, the annual report, common problems with their drill-down, and the
//! exports (Excel workbook, CSV with a BOM for Excel on Chinese Windows), computed by `crate::county` and
//! `crate::export`. Only reviewers, viewers and admins whose scope holds the place get any of it (the
//! [`PlaceScope`] extractor).

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
use zhigai_shared::access::{Level, Role, Scope};
use zhigai_shared::api::{AnnualReport, CommonItem, ItemFacility, OverdueRow};

/// The path segment of each level's overview endpoints.
const PLACES: [(&str, Level); 4] = [
    ("communities", Level::Community),
    ("counties", Level::County),
    ("cities", Level::City),
    ("provinces", Level::Province),
];

pub(super) fn router() -> Router<AppState> {
    let mut router = Router::new();
    for (segment, _) in PLACES {
        router = router
            .route(&format!("/api/{segment}/{{id}}/summary"), get(summary))
            .route(&format!("/api/{segment}/{{id}}/overdue"), get(overdue))
            .route(&format!("/api/{segment}/{{id}}/annual"), get(annual))
            .route(&format!("/api/{segment}/{{id}}/common"), get(common))
            .route(
                &format!("/api/{segment}/{{id}}/common/{{item}}"),
                get(common_item),
            )
            .route(
                &format!("/api/{segment}/{{id}}/export.xlsx"),
                get(export_xlsx),
            )
            .route(
                &format!("/api/{segment}/{{id}}/export.csv"),
                get(export_csv),
            );
    }
    router
}

#[derive(Deserialize)]
struct YearQuery {
    year: Option<i64>,
    table: Option<String>,
}

/// The place in the path (a community, county, city or province), once the caller is known to reach it:
/// a reviewing or viewing role whose scope is that place or above it (an admin: its subtree). Every
/// overview endpoint takes it, so none can forget the check. A place outside the caller's reach is 403,
/// whether it exists or not.
pub struct PlaceScope(Scope);

impl FromRequestParts<AppState> for PlaceScope {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let auth = AuthUser::from_request_parts(parts, state).await?;
        let level = parts
            .uri
            .path()
            .strip_prefix("/api/")
            .and_then(|rest| rest.split('/').next())
            .and_then(|segment| PLACES.iter().find(|(s, _)| *s == segment))
            .map(|(_, level)| *level)
            .ok_or(ApiError::NotFound)?;
        let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let id = params
            .into_iter()
            .find(|(k, _)| k == "id")
            .map(|(_, v)| v)
            .ok_or(ApiError::NotFound)?;
        let place = Scope::new(level, id);
        let user = &auth.user;
        let reviewing = matches!(
            user.role,
            Role::CommunityReviewer
                | Role::Reviewer
                | Role::CityReviewer
                | Role::ProvinceViewer
                | Role::Admin
        );
        if reviewing && crate::places::within(state.store.as_ref(), &place, &user.scope).await? {
            Ok(Self(place))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

async fn summary(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    Ok(if county::lists_facilities(&place) {
        Json(county::county_summary(store, &place, q.year).await?).into_response()
    } else {
        Json(county::rollup_summary(store, &place, q.year).await?).into_response()
    })
}

async fn annual(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<AnnualReport>, ApiError> {
    if !county::lists_facilities(&place) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(
        county::annual_report(state.store.as_ref(), &place, q.year).await?,
    ))
}

async fn overdue(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<OverdueRow>>, ApiError> {
    if !county::lists_facilities(&place) {
        return Err(ApiError::NotFound);
    }
    Ok(Json(
        county::county_overdue(state.store.as_ref(), &place, q.year).await?,
    ))
}

/// The common problems (共性问题) within the place: items by how many facilities answered them
/// 部分符合 or 不符合.
async fn common(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<CommonItem>>, ApiError> {
    let year = q.year.unwrap_or(i64::from(today_cst().year()));
    Ok(Json(
        state
            .store
            .fetch_common_items(&place, year, county::COMMON_ITEMS)
            .await?,
    ))
}

/// The facilities within the place behind one common problem.
async fn common_item(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Path(params): Path<Vec<(String, String)>>,
    Query(q): Query<YearQuery>,
) -> Result<Json<Vec<ItemFacility>>, ApiError> {
    let year = q.year.unwrap_or(i64::from(today_cst().year()));
    let item = params
        .into_iter()
        .find(|(k, _)| k == "item")
        .map(|(_, v)| v)
        .ok_or(ApiError::NotFound)?;
    Ok(Json(
        state
            .store
            .fetch_item_facilities(&place, year, &item)
            .await?,
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
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let (bytes, name, year) = if county::lists_facilities(&place) {
        let data = county::county_summary(store, &place, q.year).await?;
        let problems = county::year_problems(store, &place, data.year).await?;
        let annual = county::annual_report_of(store, &place, &data).await?;
        let photos = export::PhotoTally::new(&store.fetch_photo_counts(&place, data.year).await?);
        let bytes =
            export::workbook(&data, &problems, &photos, &annual).map_err(ApiError::internal)?;
        (bytes, data.county_name, data.year)
    } else {
        let data = county::rollup_summary(store, &place, q.year).await?;
        let bytes = export::rollup_workbook(&data).map_err(ApiError::internal)?;
        (bytes, data.place_name, data.year)
    };
    let title = format!("{name}-{year}年-自查整改汇总.xlsx");
    Ok(download(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &title,
        &format!("zhigai-{}-{year}.xlsx", place.id()),
    ))
}

async fn export_csv(
    State(state): State<AppState>,
    PlaceScope(place): PlaceScope,
    Query(q): Query<YearQuery>,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    let table = q
        .table
        .as_deref()
        .unwrap_or(if county::lists_facilities(&place) {
            "facilities"
        } else {
            "counties"
        });
    let (table, name, year) = if county::lists_facilities(&place) {
        let data = county::county_summary(store, &place, q.year).await?;
        let table = match table {
            "facilities" => export::facilities_table(&data),
            "areas" => export::areas_table(&data),
            "problems" | "photos" => {
                let problems = county::year_problems(store, &place, data.year).await?;
                let photos =
                    export::PhotoTally::new(&store.fetch_photo_counts(&place, data.year).await?);
                if table == "problems" {
                    export::problems_table(&problems, &photos, today_cst())
                } else {
                    export::photos_table(&data, &problems, &photos)
                }
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown table {other:?}: use facilities, areas, problems or photos"
                )));
            }
        };
        (table, data.county_name, data.year)
    } else {
        let data = county::rollup_summary(store, &place, q.year).await?;
        let table = match table {
            "counties" => export::counties_table(&data),
            "common" => export::common_table(&data),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown table {other:?}: use counties or common"
                )));
            }
        };
        (table, data.place_name, data.year)
    };
    let bytes = export::csv(&table).map_err(ApiError::internal)?;
    let title = format!("{name}-{year}年-{}.csv", table.title);
    let ascii = format!("zhigai-{}-{year}.csv", place.id());
    Ok(download(bytes, "text/csv; charset=utf-8", &title, &ascii))
}
