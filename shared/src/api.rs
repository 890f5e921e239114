//! The REST API's request and response bodies, shared by the server and the clinic app.

use crate::access::{Role, Scope};
use crate::doc::{Date, ReviewState};
use crate::summary::AreaCounts;
use crate::{FacilityId, FacilityProfile, FacilityType, ItemId, ProblemId, Service, UserId};
use serde::{Deserialize, Serialize};

/// A county.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct County {
    /// Its id.
    pub id: String,
    /// Its name (某某县).
    pub name: String,
}

/// A medical community (医共体).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    /// Its id.
    pub id: String,
    /// Its county.
    pub county_id: String,
    /// Its name.
    pub name: String,
    /// The lead hospital (牵头医院).
    pub lead_hospital: String,
}

/// A facility.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facility {
    /// Its id.
    pub id: FacilityId,
    /// Its county.
    pub county_id: String,
    /// Its medical community, if any.
    pub community_id: Option<String>,
    /// Its name.
    pub name: String,
    /// Its type.
    pub facility_type: FacilityType,
    /// Beds actually open.
    pub open_beds: u32,
    /// Services offered.
    pub services: Vec<Service>,
}

/// A user account (without its password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id.
    pub id: UserId,
    /// The login name.
    pub username: String,
    /// The name colleagues know.
    pub display_name: String,
    /// Its role.
    pub role: Role,
    /// Its county (facility staff: the facility's county).
    pub county_id: String,
    /// Its facility, for facility roles.
    pub facility_id: Option<FacilityId>,
}

/// A login session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Its id (not the token).
    pub id: String,
    /// Its user.
    pub user_id: UserId,
    /// Created (ms).
    pub created_at: i64,
    /// Last used (ms).
    pub last_seen_at: i64,
    /// Expires unless used again (ms).
    pub expires_at: i64,
    /// Revoked (ms), if it was.
    pub revoked_at: Option<i64>,
    /// What device it was opened on (the browser's user agent).
    pub device: String,
}

/// One facility-year as the county dashboard shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    /// The facility.
    pub facility_id: FacilityId,
    /// Its name.
    pub facility_name: String,
    /// Its type.
    pub facility_type: FacilityType,
    /// Beds actually open.
    pub open_beds: u32,
    /// Its medical community, if any.
    pub community_id: Option<String>,
    /// Its coverage wave (2026, 2027 or 2028).
    #[serde(default)]
    pub wave: u16,
    /// The year.
    pub year: i64,
    /// Applicable items.
    pub applicable: i64,
    /// Answered applicable items.
    pub answered: i64,
    /// Per area.
    pub areas: Vec<AreaCounts>,
    /// Problems not rectified.
    pub open_problems: i64,
    /// Problems not rectified and past their deadline.
    pub overdue_problems: i64,
    /// Whether submitted.
    pub submitted: bool,
    /// The review state.
    pub review_state: ReviewState,
    /// Last edit (ms), if any.
    pub last_edit_at: Option<i64>,
    /// When the row was last written (ms): the last sync that changed it.
    pub updated_at: Option<i64>,
    /// Problems found in earlier years and not yet rectified-and-verified (上年遗留).
    #[serde(default)]
    pub carried_problems: i64,
    /// Of those, past their deadline.
    #[serde(default)]
    pub carried_overdue: i64,
    /// The same facility the year before, when it had synced anything then.
    #[serde(default)]
    pub last_year: Option<LastYearRow>,
}

/// A facility's figures of the year before, for the year-over-year columns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastYearRow {
    /// That year.
    pub year: i64,
    /// Applicable items.
    pub applicable: i64,
    /// Answered applicable items.
    pub answered: i64,
    /// Per area.
    pub areas: Vec<AreaCounts>,
    /// Problems of that year not rectified.
    pub open_problems: i64,
    /// Of those, past their deadline today.
    pub overdue_problems: i64,
}

impl Facility {
    /// What the template needs to know of it.
    pub fn profile(&self) -> FacilityProfile {
        FacilityProfile {
            facility_type: self.facility_type,
            open_beds: self.open_beds,
            services: self.services.clone(),
        }
    }
}

/// `POST /api/login`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The login name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A login's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    /// The session token: send it as `Authorization: Bearer <token>`.
    pub token: String,
    /// The session's id (to list and revoke it).
    pub session_id: String,
    /// When it expires unless used (ms).
    pub expires_at: i64,
    /// Who logged in.
    pub user: User,
}

/// Who the caller is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeResponse {
    /// The user.
    pub user: User,
    /// Their scope.
    pub scope: Scope,
    /// Their county's name.
    pub county_name: Option<String>,
    /// This session's id.
    pub session_id: String,
}

/// A one-time ticket for opening the sync WebSocket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TicketResponse {
    /// The ticket.
    pub ticket: String,
    /// Valid until (ms).
    pub expires_at: i64,
    /// The WebSocket path to open.
    pub url: String,
}

/// Where one document is, and what the caller may do with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DocRef {
    /// The automerge-repo document id.
    pub document_id: String,
    /// `automerge:<document_id>`.
    pub url: String,
    /// Whether the caller may change it.
    pub writable: bool,
}

/// One year's two documents of a facility.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct YearDocs {
    /// The year.
    pub year: u16,
    /// The self-inspection.
    pub inspection: DocRef,
    /// The county's review.
    pub review: DocRef,
}

/// A facility with its documents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FacilityEntry {
    /// The facility.
    #[serde(flatten)]
    pub facility: Facility,
    /// Its coverage wave (2026, 2027 or 2028).
    pub wave: u16,
    /// Its documents per year.
    pub documents: Vec<YearDocs>,
}

/// The caller's facilities and their communities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FacilitiesResponse {
    /// Facilities, by community.
    pub facilities: Vec<FacilityEntry>,
    /// The communities they belong to.
    pub communities: Vec<Community>,
}

/// A county's overview for one year: one row per facility (from the summary rows; facilities that never
/// synced count their applicable items from the template), the communities, and coverage per wave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountySummary {
    /// The county.
    pub county_id: String,
    /// Its name.
    #[serde(default)]
    pub county_name: String,
    /// The year.
    pub year: i64,
    /// The date overdue is counted against (China Standard Time).
    pub today: String,
    /// One row per facility, by community.
    pub facilities: Vec<SummaryRow>,
    /// The county's medical communities.
    #[serde(default)]
    pub communities: Vec<Community>,
    /// Per coverage wave: how many facilities have submitted and been approved.
    #[serde(default)]
    pub coverage: Vec<WaveCoverage>,
    /// The years the county has data for, and this year: newest first (the year choice).
    #[serde(default)]
    pub years: Vec<u16>,
}

/// One coverage wave's progress.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveCoverage {
    /// The wave's deadline year (2026, 2027, 2028).
    pub wave: u16,
    /// Facilities in the wave.
    pub total: u32,
    /// Of those, submitted (including returned and approved).
    pub submitted: u32,
    /// Of those, approved.
    pub approved: u32,
}

/// A rectification past its deadline, county-wide.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueRow {
    /// The facility.
    pub facility_id: FacilityId,
    /// Its name.
    pub facility_name: String,
    /// The check item, if linked.
    pub item_id: Option<ItemId>,
    /// The problem.
    pub problem_id: ProblemId,
    /// What is wrong.
    pub description: String,
    /// Who rectifies it.
    pub owner_name: Option<String>,
    /// The deadline.
    pub deadline: Date,
    /// Days past it.
    pub days_overdue: i64,
    /// The year it was found in (earlier than the list's year when carried over).
    #[serde(default)]
    pub origin_year: i64,
}

/// The body of every API error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    /// A stable code (`unauthorized`, `session_expired`, `forbidden`, …).
    pub error: String,
    /// What to tell the user, in Chinese.
    pub message: String,
    /// The same in English.
    pub message_en: String,
}

/// One county's totals for a year: what a province-level roll-up lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountyRollup {
    /// The county.
    pub county_id: String,
    /// Its facilities.
    pub facilities: i64,
    /// Applicable items over all its facilities that synced.
    pub applicable: i64,
    /// Answered items.
    pub answered: i64,
    /// Facilities that submitted.
    pub submitted: i64,
    /// Facilities approved.
    pub approved: i64,
    /// Problems not rectified.
    pub open_problems: i64,
    /// Problems past their deadline and not rectified.
    pub overdue_problems: i64,
}

/// A county's 年度评估 report for one year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReport {
    /// The county.
    pub county_id: String,
    /// Its name.
    pub county_name: String,
    /// The year.
    pub year: i64,
    /// The date the figures are counted against.
    pub today: String,
    /// Facilities in the county.
    pub facilities: u32,
    /// Coverage per wave against its target.
    pub coverage: Vec<WaveTarget>,
    /// Compliance per area over all facilities, this year and last.
    pub areas: Vec<AreaYear>,
    /// The items most often 部分符合 or 不符合, most frequent first.
    pub common_items: Vec<CommonItem>,
    /// The year's problems: found, rectified, verified, still open.
    pub problems: ProblemTally,
}

/// One coverage wave against its target: every facility of a wave submitted and approved by the end of its
/// deadline year.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaveTarget {
    /// The coverage figures.
    pub coverage: WaveCoverage,
    /// Whether the target falls due by the end of the report's year.
    pub due: bool,
}

/// One area's compliance over the county.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaYear {
    /// `T1` … `T9`.
    pub area: String,
    /// 符合 answers this year.
    pub compliant: u32,
    /// Answers judged (answered, not 不适用) this year.
    pub judged: u32,
    /// 符合 answers last year.
    pub last_compliant: u32,
    /// Answers judged last year.
    pub last_judged: u32,
}

/// A check item answered 部分符合 or 不符合 in several facilities.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommonItem {
    /// The item.
    pub item_id: String,
    /// How many facilities answered it 部分符合 or 不符合.
    pub facilities: u32,
}

/// The year's problems in numbers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemTally {
    /// Found this year.
    pub found: u32,
    /// Of those, rectified.
    pub rectified: u32,
    /// Of those, verified by the county.
    pub verified: u32,
    /// Of those, still open.
    pub open: u32,
    /// Of those, past their deadline.
    pub overdue: u32,
    /// Found in earlier years and still carried over.
    pub carried: u32,
}
