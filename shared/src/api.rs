//! The REST API's request and response bodies, shared by the server and the clinic app.

use crate::access::{Level, Rights, Role, Scope};
use crate::doc::{Date, ReviewState};
use crate::summary::AreaCounts;
use crate::{FacilityId, FacilityProfile, FacilityType, ItemId, ProblemId, Service, UserId};
use serde::{Deserialize, Serialize};

/// A province (省).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Province {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A city (市): its quality-control centre (市级质控中心) follows every facility in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct City {
    /// Its id.
    pub id: String,
    /// Its province.
    pub province_id: String,
    /// Its name.
    pub name: String,
}

/// Whether a county-level place is a rural county (县) or an urban district (区): the words the screens use
/// follow it (县/区, 医共体/区社一体).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountyKind {
    /// 县: medical communities are 紧密型县域医共体.
    #[default]
    County,
    /// 区 (市辖区): communities are 区社一体 (a district hospital with its community health centres).
    District,
}

impl CountyKind {
    /// The code stored and sent.
    pub fn code(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::District => "district",
        }
    }

    /// 县 or 区.
    pub fn word_zh(self) -> &'static str {
        match self {
            Self::County => "县",
            Self::District => "区",
        }
    }

    /// What a medical community is called here.
    pub fn community_zh(self) -> &'static str {
        match self {
            Self::County => "医共体",
            Self::District => "区社一体",
        }
    }

    /// The same in English.
    pub fn community_en(self) -> &'static str {
        match self {
            Self::County => "medical community",
            Self::District => "district–community alliance",
        }
    }
}

impl std::str::FromStr for CountyKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "county" | "县" => Ok(Self::County),
            "district" | "区" => Ok(Self::District),
            _ => Err(format!("unknown county kind '{s}': use county or district")),
        }
    }
}

/// A county or urban district.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct County {
    /// Its id.
    pub id: String,
    /// Its name (某某县, 某某区).
    pub name: String,
    /// Its city, if the directory has one.
    #[serde(default)]
    pub city_id: Option<String>,
    /// County or district.
    #[serde(default)]
    pub kind: CountyKind,
    /// Whether review has two steps here (医共体 初审, then county 审核); one step is the default.
    #[serde(default)]
    pub two_step: bool,
}

impl County {
    /// A county with nothing above it, one-step review.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            city_id: None,
            kind: CountyKind::County,
            two_step: false,
        }
    }
}

/// A medical community (医共体, or 区社一体 in a district).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Community {
    /// Its id.
    pub id: String,
    /// Its county.
    pub county_id: String,
    /// Its name.
    pub name: String,
    /// The lead hospital's name (牵头医院).
    pub lead_hospital: String,
    /// The lead hospital as a facility of the directory, when it is one (its staff may own problems).
    #[serde(default)]
    pub lead_facility_id: Option<FacilityId>,
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
    /// The township or community centre that guides it (乡村一体化), for a village clinic or station.
    #[serde(default)]
    pub guided_by: Option<FacilityId>,
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
    /// Where it belongs: its facility, or the place at its level.
    pub scope: Scope,
}

impl User {
    /// The facility of a facility account.
    pub fn facility_id(&self) -> Option<&FacilityId> {
        match &self.scope {
            Scope::Facility(f) => Some(f),
            _ => None,
        }
    }

    /// The county of a county account.
    pub fn county_id(&self) -> Option<&str> {
        match &self.scope {
            Scope::County(c) => Some(c),
            _ => None,
        }
    }
}

/// The place a user belongs to, named for the screens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceName {
    /// Its level.
    pub level: Level,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// County or district, for the words of a county, a community or a facility (县/区, 医共体/区社一体).
    #[serde(default)]
    pub county_kind: CountyKind,
    /// Whether its county reviews in two steps.
    #[serde(default)]
    pub two_step: bool,
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
    /// Its indicator figures this year.
    #[serde(default)]
    pub figures: Vec<crate::summary::ItemFigure>,
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
            alliance: self.community_id.is_some(),
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
    /// The place they belong to, named.
    #[serde(default)]
    pub place: Option<PlaceName>,
}

/// Who the caller is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeResponse {
    /// The user.
    pub user: User,
    /// Their scope.
    pub scope: Scope,
    /// The place they belong to, named.
    pub place: Option<PlaceName>,
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
    /// Which parts (for a review: comment, first step, final step, verify, findings).
    #[serde(default)]
    pub rights: Rights,
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
    /// The checklist version the year's inspection is pinned to, once the server has settled it (this
    /// year and earlier; next year from 1 December): the device starts the inspection on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<crate::template::TemplateRef>,
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
    /// The published versions its years are pinned to (when it is fetched alone).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<crate::Template>,
}

/// The caller's facilities and their communities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FacilitiesResponse {
    /// Facilities, by community.
    pub facilities: Vec<FacilityEntry>,
    /// The communities they belong to.
    pub communities: Vec<Community>,
    /// The published versions (below the nation) the listed years are pinned to.
    #[serde(default)]
    pub templates: Vec<crate::Template>,
}

/// The overview of a county or a medical community for one year: one row per facility (from the summary
/// rows; facilities that never synced count their applicable items from the template), the communities,
/// and coverage per wave.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountySummary {
    /// The level of the place: county (county or district) or community.
    #[serde(default = "county_level")]
    pub level: Level,
    /// The place: the county, or the community.
    pub county_id: String,
    /// Its name.
    #[serde(default)]
    pub county_name: String,
    /// County or district (the words: 县/区, 医共体/区社一体).
    #[serde(default)]
    pub county_kind: CountyKind,
    /// Whether review has two steps here.
    #[serde(default)]
    pub two_step: bool,
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
    /// The items most often 部分符合/不符合 here (共性问题).
    #[serde(default)]
    pub common_items: Vec<CommonItem>,
    /// How each indicator spreads across the facilities that gave it.
    #[serde(default)]
    pub figures: Vec<FigureSpread>,
    /// What the checklist versions in use here allow comparing.
    #[serde(default)]
    pub versions: VersionsInUse,
}

/// The checklist versions a place's facilities are pinned to in a year. Where they differ, comparisons
/// across facilities (the common problems) count only the item ids every version shares, and say so.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionsInUse {
    /// The versions, each once.
    pub versions: Vec<crate::template::TemplateRef>,
    /// With more than one version: how many item ids they all share.
    pub shared_items: Option<u32>,
}

/// How one indicator spreads across the facilities of a place that gave it this year.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FigureSpread {
    /// The item, such as `T5.01`.
    pub item: String,
    /// Facilities that gave the figure.
    pub facilities: i64,
    /// The lowest figure.
    pub min: f64,
    /// The mean, rounded to one decimal.
    pub mean: f64,
    /// The highest figure.
    pub max: f64,
}

fn county_level() -> Level {
    Level::County
}

/// One county's figures for a year, as a city's or province's overview lists them (from summary rows by SQL).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RollupRow {
    /// The county or district.
    pub county_id: String,
    /// Its name.
    pub county_name: String,
    /// County or district.
    pub county_kind: CountyKind,
    /// Its city.
    pub city_id: Option<String>,
    /// The city's name.
    pub city_name: Option<String>,
    /// Its facilities.
    pub facilities: u32,
    /// Per coverage wave.
    pub coverage: Vec<WaveCoverage>,
    /// Compliance per area this year.
    pub areas: Vec<AreaRate>,
    /// Problems not rectified.
    pub open_problems: i64,
    /// Problems past their deadline and not rectified.
    pub overdue_problems: i64,
}

impl RollupRow {
    /// Adds another row's figures (facilities, coverage per wave, compliance per area, problems) to this
    /// one: a city's total from its counties, a place's from all of them.
    pub fn absorb(&mut self, other: &RollupRow) {
        self.facilities += other.facilities;
        self.open_problems += other.open_problems;
        self.overdue_problems += other.overdue_problems;
        add_coverage(&mut self.coverage, &other.coverage);
        add_areas(&mut self.areas, &other.areas);
    }
}

/// Adds coverage figures wave by wave.
pub fn add_coverage(into: &mut Vec<WaveCoverage>, from: &[WaveCoverage]) {
    for c in from {
        match into.iter_mut().find(|t| t.wave == c.wave) {
            Some(t) => {
                t.total += c.total;
                t.submitted += c.submitted;
                t.approved += c.approved;
            }
            None => into.push(c.clone()),
        }
    }
}

/// Adds compliance figures area by area.
pub fn add_areas(into: &mut Vec<AreaRate>, from: &[AreaRate]) {
    for a in from {
        match into.iter_mut().find(|t| t.area == a.area) {
            Some(t) => {
                t.compliant += a.compliant;
                t.judged += a.judged;
            }
            None => into.push(a.clone()),
        }
    }
}

impl AreaRate {
    /// Compliance % of the judged answers, if any were judged (rounded down, as the facility heatmap).
    pub fn percent(&self) -> Option<u32> {
        (self.judged > 0).then(|| self.compliant * 100 / self.judged)
    }
}

/// One area's compliance over many facilities: 符合 answers of those judged (answered, not 不适用).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaRate {
    /// `T1` … `T9`.
    pub area: String,
    /// 符合 answers.
    pub compliant: u32,
    /// Answers judged.
    pub judged: u32,
}

/// A city's or a province's overview for one year: its counties as rows, totals, and common problems.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RollupSummary {
    /// City or province.
    pub level: Level,
    /// The place.
    pub place_id: String,
    /// Its name.
    pub place_name: String,
    /// The year.
    pub year: i64,
    /// The date overdue is counted against (China Standard Time).
    pub today: String,
    /// One row per county or district, by city.
    pub counties: Vec<RollupRow>,
    /// Coverage per wave over all of them.
    pub coverage: Vec<WaveCoverage>,
    /// Compliance per area over all of them.
    pub areas: Vec<AreaRate>,
    /// The items most often 部分符合/不符合 (共性问题).
    pub common_items: Vec<CommonItem>,
    /// The years to offer, newest first.
    pub years: Vec<u16>,
    /// How each indicator spreads across the facilities that gave it.
    #[serde(default)]
    pub figures: Vec<FigureSpread>,
    /// What the checklist versions in use here allow comparing.
    #[serde(default)]
    pub versions: VersionsInUse,
}

/// A facility that answered an item 部分符合 or 不符合: the drill-down of a common problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFacility {
    /// The facility.
    pub facility_id: FacilityId,
    /// Its name.
    pub facility_name: String,
    /// Its county.
    pub county_id: String,
    /// The county's name.
    pub county_name: String,
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

/// A checklist version as lists show it: the national baselines and the versions provinces, cities and
/// counties published.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInfo {
    /// Its id.
    pub id: crate::TemplateId,
    /// Its version.
    pub version: u32,
    /// Its title.
    pub title_zh: String,
    /// Who published it; `None` for a national baseline.
    pub publisher: Option<Scope>,
    /// The version it refines; `None` for a national baseline.
    pub parent: Option<crate::template::TemplateRef>,
    /// When it was published (ms); `None` for a baseline built into zhigai.
    pub published_at: Option<i64>,
    /// The first year it applies to.
    pub applies_from: u16,
}

/// `GET /api/templates/{id}/{version}`: a version, whole, and what differs from its parent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TemplateDetail {
    /// What lists show of it.
    pub info: TemplateInfo,
    /// The checklist.
    pub template: crate::Template,
    /// What differs from its parent (empty for a national baseline).
    pub differences: Vec<crate::template::Difference>,
}
