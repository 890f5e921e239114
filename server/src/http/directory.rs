//! The directory as a user sees it: their facilities with the automerge URLs of each year's documents,
//! a facility's staff and the template.

use super::error::ApiError;
use super::extract::AuthUser;
use super::{AppState, action_years};
use crate::db::{Facility, User};
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};

use crate::templates::{self, PublishError};
use zhigai_shared::access::{Placement, Scope, document_access};
use zhigai_shared::api::{
    DocRef, FacilitiesResponse, FacilityEntry, TemplateDetail, TemplateInfo, YearDocs,
};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{FacilityId, Template};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/facilities", get(list_facilities))
        .route("/api/facilities/{id}", get(one_facility))
        .route("/api/facilities/{id}/staff", get(list_staff))
        .route("/api/template", get(template))
        .route("/api/templates", get(list_templates))
        .route("/api/templates/{id}/{version}", get(one_template))
}

fn doc_ref(
    user: &User,
    kind: DocKind,
    facility: &Facility,
    place: &Placement,
    year: u16,
) -> DocRef {
    let id = DocumentId::for_doc(kind, &facility.id, year);
    let access = document_access(user, kind, place);
    DocRef {
        document_id: id.to_string(),
        url: id.url(),
        writable: access.write,
        rights: access.rights,
    }
}

fn entry(
    user: &User,
    facility: Facility,
    place: &Placement,
    pins: &[(FacilityId, u16, TemplateRef)],
) -> FacilityEntry {
    let pin_of = |year: u16| {
        pins.iter()
            .find(|(f, y, _)| *f == facility.id && *y == year)
            .map(|(_, _, t)| t.clone())
    };
    FacilityEntry {
        wave: facility.profile().wave().deadline_year(),
        documents: action_years()
            .map(|year| YearDocs {
                year,
                inspection: doc_ref(user, DocKind::Inspection, &facility, place, year),
                review: doc_ref(user, DocKind::Review, &facility, place, year),
                template: pin_of(year),
            })
            .collect(),
        templates: Vec::new(),
        facility,
    }
}

/// The pins of `facilities`' settled years and the published versions among them.
async fn pins(
    state: &AppState,
    facilities: &[&Facility],
) -> Result<(Vec<(FacilityId, u16, TemplateRef)>, Vec<Template>), ApiError> {
    let years: Vec<u16> = action_years().collect();
    match templates::pins_for(
        state.store.as_ref(),
        facilities,
        &years,
        crate::clock::today_cst(),
    )
    .await
    {
        Ok(found) => Ok(found),
        Err(PublishError::Db(e)) => Err(e.into()),
        Err(e) => Err(ApiError::internal(e)),
    }
}

async fn list_facilities(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<FacilitiesResponse>, ApiError> {
    let user = &auth.user;
    let facilities = state.visible_facilities(user).await?;
    // The communities the listed facilities belong to (their counties' communities).
    let mut counties: Vec<&str> = facilities
        .iter()
        .map(|(f, _)| f.county_id.as_str())
        .collect();
    counties.sort_unstable();
    counties.dedup();
    let mut communities = Vec::new();
    for county in counties {
        communities.extend(state.store.fetch_communities(county).await?);
    }
    let listed: Vec<&Facility> = facilities.iter().map(|(f, _)| f).collect();
    let (pinned, templates) = pins(&state, &listed).await?;
    let entries = facilities
        .iter()
        .map(|(facility, place)| entry(user, facility.clone(), place, &pinned))
        .collect();
    Ok(Json(FacilitiesResponse {
        facilities: entries,
        communities,
        templates,
    }))
}

/// One facility with its documents: how a city or province user (whose list is empty) opens a facility
/// from a dashboard.
async fn one_facility(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<FacilityEntry>, ApiError> {
    let (facility, place) = state.facility_for(&auth.user, &FacilityId::new(id)).await?;
    let (pinned, templates) = pins(&state, &[&facility]).await?;
    let mut found = entry(&auth.user, facility, &place, &pinned);
    found.templates = templates;
    Ok(Json(found))
}

/// A facility's staff, for choosing a problem's owner; for a member of a medical community, the lead
/// hospital's staff follow — the community's QC reviewers (lead-hospital staff) and, where the community
/// names its lead hospital as a facility of the directory, that facility's staff. The app offers them as
/// owners only under the items the plan gives to the lead hospital (`Item::lead_hospital`).
async fn list_staff(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<User>>, ApiError> {
    // Another county's or facility's staff list does not exist for this caller.
    let (facility, _) = state.facility_for(&auth.user, &FacilityId::new(id)).await?;
    let mut staff = state.store.fetch_facility_users(&facility.id).await?;
    if let Some(community) = &facility.community_id {
        staff.extend(
            state
                .store
                .fetch_users_at(&Scope::Community(community.clone()))
                .await?,
        );
        let lead = state.store.fetch_community(community).await?;
        if let Some(lead) = lead
            .and_then(|c| c.lead_facility_id)
            .filter(|l| *l != facility.id)
        {
            staff.extend(state.store.fetch_facility_users(&lead).await?);
        }
    }
    Ok(Json(staff))
}

/// The checklist versions the user sees: the national baselines, those published at or above their place
/// and those published below it.
async fn list_templates(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<TemplateInfo>>, ApiError> {
    let store = state.store.as_ref();
    let place = &auth.user.scope;
    let above = crate::places::ancestry(store, place).await?;
    let mut out = Vec::new();
    for info in templates::infos(store).await? {
        if templates::visible_from(store, place, &above, &info).await? {
            out.push(info);
        }
    }
    Ok(Json(out))
}

/// One version, whole, with what differs from its parent; 404 for one the user does not see.
async fn one_template(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, version)): Path<(String, u32)>,
) -> Result<Json<TemplateDetail>, ApiError> {
    let store = state.store.as_ref();
    let wanted = TemplateRef {
        id: zhigai_shared::TemplateId::new(id),
        version,
    };
    let (info, template, differences) = match templates::detail(store, &wanted).await {
        Ok(found) => found,
        Err(PublishError::Unknown(_)) => return Err(ApiError::NotFound),
        Err(PublishError::Db(e)) => return Err(e.into()),
        Err(e) => return Err(ApiError::internal(e)),
    };
    if !templates::visible(store, &auth.user.scope, &info).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(TemplateDetail {
        info,
        template,
        differences,
    }))
}

/// The checklist new inspections start on.
async fn template(_auth: AuthUser) -> Json<&'static Template> {
    Json(Template::current())
}
