//! The session the device keeps from its one online login: token, user, facilities and staff. Plain data;
//! `services::session` keeps it in localStorage.

use serde::{Deserialize, Serialize};
use zhigai_shared::Template;
use zhigai_shared::access::Role;
use zhigai_shared::api::{
    Community, CountyKind, FacilitiesResponse, FacilityEntry, PlaceName, User,
};

/// The session kept on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    /// The bearer token.
    pub token: String,
    /// Who is logged in.
    pub user: User,
    /// Their facilities (one for facility staff, the county's for reviewers).
    pub facilities: Vec<FacilityEntry>,
    /// The medical communities of the county.
    pub communities: Vec<Community>,
    /// Staff per facility id, for choosing a problem's owner offline.
    pub staff: Vec<(String, Vec<User>)>,
    /// The place the user belongs to, named (the words of the screens follow its county's kind).
    #[serde(default)]
    pub place: Option<PlaceName>,
    /// The published checklist versions (below the nation) the user's facility-years are pinned to: kept
    /// so the device starts an inspection offline on the same checklist as the server.
    #[serde(default)]
    pub templates: Vec<Template>,
}

/// The words a place's screens use: 县/区, 医共体/区社一体, and whether review has two steps there.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaceWords {
    /// 医共体 or 区社一体.
    pub community_zh: &'static str,
    /// The same in English.
    pub community_en: &'static str,
    /// 县级审核 or 区级审核.
    pub county_review_zh: String,
    /// County review or District review.
    pub county_review_en: String,
    /// Whether review has two steps.
    pub two_step: bool,
}

impl PlaceWords {
    /// The words of a county of `kind`.
    pub fn of(kind: CountyKind, two_step: bool) -> Self {
        Self {
            community_zh: kind.community_zh(),
            community_en: kind.community_en(),
            county_review_zh: format!("{}级审核", kind.word_zh()),
            county_review_en: match kind {
                CountyKind::County => "County review".to_owned(),
                CountyKind::District => "District review".to_owned(),
            },
            two_step,
        }
    }
}

impl Default for PlaceWords {
    fn default() -> Self {
        Self::of(CountyKind::County, false)
    }
}

impl SavedSession {
    /// The facility entry for `id`, if the user's list has it.
    pub fn facility(&self, id: &str) -> Option<&FacilityEntry> {
        self.facilities
            .iter()
            .find(|f| f.facility.id.as_str() == id)
    }

    /// The staff of facility `id` as last fetched.
    pub fn staff_of(&self, id: &str) -> &[User] {
        self.staff
            .iter()
            .find(|(f, _)| f == id)
            .map_or(&[], |(_, users)| users.as_slice())
    }

    /// The facility the user works at, or the first one they may see.
    pub fn home_facility(&self) -> Option<String> {
        self.user
            .facility_id()
            .map(ToString::to_string)
            .or_else(|| self.facilities.first().map(|f| f.facility.id.to_string()))
    }

    /// Whether the user works above the facilities (reviewers, viewers and administrators at any level):
    /// they start on their place's overview.
    pub fn is_county(&self) -> bool {
        !self.user.role.is_facility_role()
    }

    /// Whether the user is a facility head who guides village clinics or stations.
    pub fn guides(&self) -> Vec<&FacilityEntry> {
        let own = self.user.facility_id();
        if self.user.role != Role::Head {
            return Vec::new();
        }
        self.facilities
            .iter()
            .filter(|f| f.facility.guided_by.as_ref() == own && own.is_some())
            .collect()
    }

    /// The words of the user's place.
    pub fn place_words(&self) -> PlaceWords {
        self.place
            .as_ref()
            .map(|p| PlaceWords::of(p.county_kind, p.two_step))
            .unwrap_or_default()
    }

    /// Adds (or replaces) one facility's entry: a city or province user opening a facility from a dashboard.
    pub fn with_facility(&self, entry: FacilityEntry) -> Self {
        let mut next = self.clone();
        next.facilities
            .retain(|f| f.facility.id != entry.facility.id);
        next.facilities.push(entry);
        next
    }

    /// The session with the directory as the server lists it now (pins settled since login, a version
    /// published since); entries fetched one by one that the list lacks are kept. `None` when nothing
    /// changed.
    pub fn with_directory(&self, directory: FacilitiesResponse) -> Option<Self> {
        let mut next = self.clone();
        let listed: Vec<String> = directory
            .facilities
            .iter()
            .map(|f| f.facility.id.to_string())
            .collect();
        next.facilities
            .retain(|f| !listed.contains(&f.facility.id.to_string()));
        next.facilities.splice(0..0, directory.facilities);
        next.communities = directory.communities;
        next.templates = directory.templates;
        (next != *self).then_some(next)
    }

    /// Makes the published versions this session keeps known to the app, so the documents pinned to them
    /// find their checklist.
    pub fn register_templates(&self) {
        for template in self
            .templates
            .iter()
            .chain(self.facilities.iter().flat_map(|f| f.templates.iter()))
        {
            if Template::find(template.id.as_str(), template.version).is_none() {
                Template::register(template.clone());
            }
        }
    }
}

/// The path of the same page in the other app: from the clinic app (`in_review_app` false) under `base`
/// (`/county` → `/review/county`; the root, which is the clinic's home, → the overview), and from the review
/// app back to the clinic app (`/review/f/x` → `/f/x`).
pub fn other_app_path(path: &str, in_review_app: bool, base: &str) -> String {
    if in_review_app {
        // Only a path under the base, and never one a browser reads as another origin (`//host`).
        match path.strip_prefix(base) {
            Some(rest) if rest.starts_with('/') && !rest.starts_with("//") => rest.to_owned(),
            _ => "/".to_owned(),
        }
    } else {
        match path {
            "" | "/" => format!("{base}/county"),
            rest => format!("{base}{rest}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::other_app_path;

    #[test]
    fn each_app_hands_over_at_the_same_page() {
        assert_eq!(
            other_app_path("/county", false, "/review"),
            "/review/county"
        );
        assert_eq!(other_app_path("/", false, "/review"), "/review/county");
        assert_eq!(
            other_app_path("/f/abc/area/T3", false, "/review"),
            "/review/f/abc/area/T3"
        );
        assert_eq!(other_app_path("/review/f/abc", true, "/review"), "/f/abc");
        assert_eq!(other_app_path("/review", true, "/review"), "/");
        assert_eq!(other_app_path("/review/", true, "/review"), "/");
        // Never a path outside this origin, whatever the address bar holds.
        assert_eq!(other_app_path("/reviewx", true, "/review"), "/");
        assert_eq!(other_app_path("//evil.example", true, "/review"), "/");
        assert_eq!(
            other_app_path("/review//evil.example", true, "/review"),
            "/"
        );
    }
}
