//! The session the device keeps from its one online login: token, user, facilities and staff. Plain data;
//! `services::session` keeps it in localStorage.

use serde::{Deserialize, Serialize};
use zhigai_shared::api::{Community, FacilityEntry, User};

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
            .facility_id
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| self.facilities.first().map(|f| f.facility.id.to_string()))
    }

    /// Whether the user works at the county level (reviewers and administrators).
    pub fn is_county(&self) -> bool {
        use zhigai_shared::access::Role;
        matches!(self.user.role, Role::Reviewer | Role::Admin)
    }
}
