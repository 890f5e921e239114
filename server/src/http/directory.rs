//! The directory as a user sees it: their facilities with the automerge URLs of each year's documents,
//! a facility's staff and the template.

use super::error::ApiError;
use super::extract::AuthUser;
use super::{AppState, action_years};
use crate::db::{Facility, User};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use zhigai_shared::access::{document_access, scope_of, sees_facility};
use zhigai_shared::api::{DocRef, FacilitiesResponse, FacilityEntry, YearDocs};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::{FacilityId, Template};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities", get(list_facilities))
        .route("/api/facilities/{id}/staff", get(list_staff))
        .route("/api/template", get(template))
}

fn doc_ref(user: &User, kind: DocKind, facility: &Facility, year: u16) -> DocRef {
    let id = DocumentId::for_doc(kind, &facility.id, year);
    let writable = document_access(user, kind, facility).write;
    DocRef {
        document_id: id.to_string(),
        url: id.url(),
        writable,
    }
}

async fn list_facilities(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<FacilitiesResponse>, ApiError> {
    let user = &auth.user;
    let facilities = state.visible_facilities(user).await?;
    let communities = state.store.fetch_communities(&user.county_id).await?;
    let entries = facilities
        .into_iter()
        .map(|facility| FacilityEntry {
            wave: facility.profile().wave().deadline_year(),
            documents: action_years()
                .map(|year| YearDocs {
                    year,
                    inspection: doc_ref(user, DocKind::Inspection, &facility, year),
                    review: doc_ref(user, DocKind::Review, &facility, year),
                })
                .collect(),
            facility,
        })
        .collect();
    Ok(Json(FacilitiesResponse {
        facilities: entries,
        communities,
    }))
}

async fn list_staff(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<User>>, ApiError> {
    let id = FacilityId::new(id);
    let facility = state
        .store
        .fetch_facility(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !sees_facility(&scope_of(&auth.user), &facility.id, &facility.county_id) {
        // Another county's or facility's staff list does not exist for this caller.
        return Err(ApiError::NotFound);
    }
    Ok(Json(state.store.fetch_facility_users(&id).await?))
}

/// The checklist new inspections start on.
async fn template(_auth: AuthUser) -> Json<&'static Template> {
    Json(Template::current())
}
