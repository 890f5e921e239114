//! Where a place of the directory sits: its ancestors (community → county → city → province), and whether a
//! user's scope holds it. The overview endpoints ask this once per request.

use crate::db::{DbError, Store};
use zhigai_shared::access::Scope;

/// The place itself and every place above it, bottom up; empty for a place that does not exist.
///
/// # Errors
/// The store's.
pub async fn ancestry(store: &dyn Store, place: &Scope) -> Result<Vec<Scope>, DbError> {
    let mut out = Vec::new();
    let mut county = match place {
        Scope::Facility(id) => {
            let Some(f) = store.fetch_facility(id).await? else {
                return Ok(out);
            };
            out.push(place.clone());
            if let Some(c) = f.community_id {
                out.push(Scope::Community(c));
            }
            Some(f.county_id)
        }
        Scope::Community(id) => {
            let Some(c) = store.fetch_community(id).await? else {
                return Ok(out);
            };
            out.push(place.clone());
            Some(c.county_id)
        }
        Scope::County(id) => Some(id.clone()),
        Scope::City(_) | Scope::Province(_) => None,
    };
    let mut city = match place {
        Scope::City(id) => Some(id.clone()),
        _ => None,
    };
    if let Some(id) = county.take() {
        let Some(c) = store.fetch_county(&id).await? else {
            return Ok(Vec::new());
        };
        out.push(Scope::County(id));
        city = c.city_id;
    }
    let province = match city {
        Some(id) => {
            let Some(c) = store.fetch_city(&id).await? else {
                return Ok(Vec::new());
            };
            out.push(Scope::City(id));
            Some(c.province_id)
        }
        None => match place {
            Scope::Province(id) => Some(id.clone()),
            _ => None,
        },
    };
    if let Some(id) = province {
        if store.fetch_province(&id).await?.is_none() {
            return Ok(Vec::new());
        }
        out.push(Scope::Province(id));
    }
    Ok(out)
}

/// Whether `place` lies within `scope` (is it, or below it).
///
/// # Errors
/// The store's.
pub async fn within(store: &dyn Store, place: &Scope, scope: &Scope) -> Result<bool, DbError> {
    Ok(ancestry(store, place).await?.contains(scope))
}
