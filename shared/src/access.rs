//! Who may read and write which document: the permission rules the server enforces on every request and
//! sync message (the app uses the same rules only to hide what a role cannot do).
//!
//! The directory has levels (plan section 三): province → city → county or urban district → medical
//! community (医共体, 区社一体 in a district) → facility, and a village clinic or station may be guided by its
//! township or community centre. A user belongs to one place at one level ([`Scope`]); what they may do with
//! a facility's documents follows from their role, their scope and where the facility sits ([`Placement`]).

use crate::ids::FacilityId;
use crate::sync::DocKind;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 成员: doctors, nurses, pharmacists, village doctors of one facility.
    Member,
    /// 第一责任人: the facility's head; also submits the inspection. A township or community centre's head
    /// also guides the village clinics and stations linked to it (reads, comments).
    Head,
    /// 医共体质控: the lead hospital's QC staff: the first review step (初审) of its member facilities.
    CommunityReviewer,
    /// 县级审核: county or district reviewers: the final review step (审核).
    Reviewer,
    /// 市级质控中心: reads every facility of the city, comments, adds findings.
    CityReviewer,
    /// 省级: dashboards and roll-ups of the province; writes nothing.
    ProvinceViewer,
    /// The directory's administrators at one level; read everything below it.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 7] = [
        Role::Member,
        Role::Head,
        Role::CommunityReviewer,
        Role::Reviewer,
        Role::CityReviewer,
        Role::ProvinceViewer,
        Role::Admin,
    ];

    /// The code used in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Head => "head",
            Self::CommunityReviewer => "community_reviewer",
            Self::Reviewer => "reviewer",
            Self::CityReviewer => "city_reviewer",
            Self::ProvinceViewer => "province_viewer",
            Self::Admin => "admin",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Member => "成员",
            Self::Head => "第一责任人",
            Self::CommunityReviewer => "医共体质控（初审）",
            Self::Reviewer => "县（区）级审核人员",
            Self::CityReviewer => "市级质控中心",
            Self::ProvinceViewer => "省级查看",
            Self::Admin => "管理员",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Member => "Member",
            Self::Head => "Head",
            Self::CommunityReviewer => "Medical community QC (first review)",
            Self::Reviewer => "County or district reviewer",
            Self::CityReviewer => "City QC centre",
            Self::ProvinceViewer => "Province viewer",
            Self::Admin => "Administrator",
        }
    }

    /// Whether the role belongs to one facility (rather than a level of the directory).
    pub fn is_facility_role(self) -> bool {
        matches!(self, Self::Member | Self::Head)
    }

    /// The level a user of this role belongs to; `None` for admins, who may belong to any.
    pub fn level(self) -> Option<Level> {
        match self {
            Self::Member | Self::Head => Some(Level::Facility),
            Self::CommunityReviewer => Some(Level::Community),
            Self::Reviewer => Some(Level::County),
            Self::CityReviewer => Some(Level::City),
            Self::ProvinceViewer => Some(Level::Province),
            Self::Admin => None,
        }
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| {
                format!(
                    "unknown role '{s}': use one of {}",
                    Self::ALL.map(Role::code).join(", ")
                )
            })
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A level of the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 省.
    Province,
    /// 市.
    City,
    /// 县 or 区.
    County,
    /// 医共体 or 区社一体.
    Community,
    /// One facility.
    Facility,
}

impl Level {
    /// Every level, top down.
    pub const ALL: [Level; 5] = [
        Level::Province,
        Level::City,
        Level::County,
        Level::Community,
        Level::Facility,
    ];

    /// The code used in the database, the API and the command line.
    pub fn code(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::City => "city",
            Self::County => "county",
            Self::Community => "community",
            Self::Facility => "facility",
        }
    }
}

impl FromStr for Level {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.code() == s)
            .ok_or_else(|| {
                format!("unknown level '{s}': use province, city, county, community or facility")
            })
    }
}

/// Where a user belongs: one place at one level.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Facility staff.
    Facility(FacilityId),
    /// A medical community's QC staff.
    Community(String),
    /// County or district reviewers and admins.
    County(String),
    /// A city's QC centre.
    City(String),
    /// A province.
    Province(String),
}

impl Scope {
    /// A scope from its level and id.
    pub fn new(level: Level, id: impl Into<String>) -> Self {
        let id = id.into();
        match level {
            Level::Facility => Self::Facility(FacilityId::new(id)),
            Level::Community => Self::Community(id),
            Level::County => Self::County(id),
            Level::City => Self::City(id),
            Level::Province => Self::Province(id),
        }
    }

    /// Its level.
    pub fn level(&self) -> Level {
        match self {
            Self::Facility(_) => Level::Facility,
            Self::Community(_) => Level::Community,
            Self::County(_) => Level::County,
            Self::City(_) => Level::City,
            Self::Province(_) => Level::Province,
        }
    }

    /// The id of the place.
    pub fn id(&self) -> &str {
        match self {
            Self::Facility(f) => f.as_str(),
            Self::Community(id) | Self::County(id) | Self::City(id) | Self::Province(id) => id,
        }
    }

    /// Whether a facility placed at `place` lies within this scope (itself, for a facility scope).
    pub fn contains(&self, place: &Placement) -> bool {
        match self {
            Self::Facility(own) => own == &place.facility,
            Self::Community(own) => place.community.as_deref() == Some(own),
            Self::County(own) => own == &place.county,
            Self::City(own) => place.city.as_deref() == Some(own),
            Self::Province(own) => place.province.as_deref() == Some(own),
        }
    }
}

/// Where a facility sits in the directory: what the access rules need to know of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement {
    /// The facility.
    pub facility: FacilityId,
    /// Its medical community, if any.
    pub community: Option<String>,
    /// Its county or district.
    pub county: String,
    /// The county's city, if the directory has one.
    pub city: Option<String>,
    /// The city's province.
    pub province: Option<String>,
    /// The township or community centre that guides it (a village clinic or station).
    pub guided_by: Option<FacilityId>,
    /// Whether its county reviews in two steps (医共体 初审, then county 审核).
    pub two_step: bool,
}

impl Placement {
    /// A facility directly in a county, nothing above or beside it (tests, one-county installs).
    pub fn in_county(facility: impl Into<FacilityId>, county: impl Into<String>) -> Self {
        Self {
            facility: facility.into(),
            community: None,
            county: county.into(),
            city: None,
            province: None,
            guided_by: None,
            two_step: false,
        }
    }
}

/// What a writer may change, as a set of rights: the guard maps each field of a document to the right it
/// needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Rights(u8);

impl Rights {
    /// Nothing.
    pub const NONE: Rights = Rights(0);
    /// The inspection's content: statuses, figures, notes, problems.
    pub const EDIT: Rights = Rights(1);
    /// Submit or withdraw the inspection (the head).
    pub const SUBMIT: Rights = Rights(1 << 1);
    /// Comment on items (guidance).
    pub const COMMENT: Rights = Rights(1 << 2);
    /// The first review step: pass on or return (医共体 初审).
    pub const FIRST_STEP: Rights = Rights(1 << 3);
    /// The final review step: approve or return (county 审核).
    pub const FINAL_STEP: Rights = Rights(1 << 4);
    /// Verify rectified problems.
    pub const VERIFY: Rights = Rights(1 << 5);
    /// Add findings from checks (核查).
    pub const FINDING: Rights = Rights(1 << 6);

    /// Whether every right of `other` is here.
    pub fn has(self, other: Rights) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether there is no right at all.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for Rights {
    type Output = Rights;

    fn bitor(self, rhs: Rights) -> Rights {
        Rights(self.0 | rhs.0)
    }
}

/// What a user may do with one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// May receive it.
    pub read: bool,
    /// May change it (some of it: see `rights`).
    pub write: bool,
    /// Which parts.
    #[serde(default)]
    pub rights: Rights,
}

impl Access {
    const NONE: Access = Access {
        read: false,
        write: false,
        rights: Rights::NONE,
    };
    const READ: Access = Access {
        read: true,
        write: false,
        rights: Rights::NONE,
    };

    fn writing(rights: Rights) -> Access {
        Access {
            read: true,
            write: !rights.is_empty(),
            rights,
        }
    }
}

/// The access a user with `role` in `scope` has to the `kind` document of the facility at `place`.
pub fn access(role: Role, scope: &Scope, kind: DocKind, place: &Placement) -> Access {
    use DocKind::{Inspection, Review};
    let inside = scope.contains(place);
    // Every reviewing level: comments and findings, and the verdict on rectified problems.
    let reviewing = Rights::COMMENT | Rights::FINDING | Rights::VERIFY;
    match (role, scope, kind) {
        // Staff write their own facility's inspection and read its review.
        (Role::Member, Scope::Facility(_), Inspection) if inside => Access::writing(Rights::EDIT),
        (Role::Head, Scope::Facility(_), Inspection) if inside => {
            Access::writing(Rights::EDIT | Rights::SUBMIT)
        }
        (Role::Member | Role::Head, Scope::Facility(_), Review) if inside => Access::READ,
        // A township or community centre's head guides the clinics linked to it: reads, comments.
        (Role::Head, Scope::Facility(own), Inspection) if place.guided_by.as_ref() == Some(own) => {
            Access::READ
        }
        (Role::Head, Scope::Facility(own), Review) if place.guided_by.as_ref() == Some(own) => {
            Access::writing(Rights::COMMENT)
        }
        (Role::CommunityReviewer, Scope::Community(_), Inspection) if inside => Access::READ,
        (Role::CommunityReviewer, Scope::Community(_), Review) if inside => {
            if place.two_step {
                Access::writing(reviewing | Rights::FIRST_STEP)
            } else {
                Access::writing(reviewing)
            }
        }
        (Role::Reviewer, Scope::County(_), Inspection) if inside => Access::READ,
        (Role::Reviewer, Scope::County(_), Review) if inside => {
            Access::writing(reviewing | Rights::FINAL_STEP)
        }
        (Role::CityReviewer, Scope::City(_), Inspection) if inside => Access::READ,
        (Role::CityReviewer, Scope::City(_), Review) if inside => Access::writing(reviewing),
        (Role::ProvinceViewer, Scope::Province(_), _) if inside => Access::READ,
        (Role::Admin, scope, _) if inside && !matches!(scope, Scope::Facility(_)) => Access::READ,
        _ => Access::NONE,
    }
}

/// Whether someone in `scope` with `role` may see the facility at `place` at all (its directory entry, its
/// staff list): whenever they may read its documents.
pub fn sees_facility(role: Role, scope: &Scope, place: &Placement) -> bool {
    access(role, scope, DocKind::Inspection, place).read
}

/// The access `user` has to the `kind` document of the facility at `place`: the one function the REST
/// directory and the sync server both ask.
pub fn document_access(user: &crate::api::User, kind: DocKind, place: &Placement) -> Access {
    access(user.role, &user.scope, kind, place)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(facility: &str) -> Placement {
        Placement {
            facility: facility.into(),
            community: Some("m1".into()),
            county: "c1".into(),
            city: Some("city1".into()),
            province: Some("p1".into()),
            guided_by: None,
            two_step: true,
        }
    }

    /// Every role against the facility inside and outside its scope, for both documents.
    #[test]
    fn the_permission_matrix() {
        let i = DocKind::Inspection;
        let r = DocKind::Review;
        let f1 = place("f1");
        let mut village = place("v1");
        village.guided_by = Some("f1".into());
        let mut elsewhere = place("f9");
        elsewhere.community = Some("m2".into());
        elsewhere.county = "c2".into();
        elsewhere.city = Some("city2".into());
        elsewhere.province = Some("p2".into());
        let staff = Scope::Facility("f1".into());
        let w = |rights| Access::writing(rights);
        let reviewing = Rights::COMMENT | Rights::FINDING | Rights::VERIFY;
        let cases: Vec<(Role, Scope, DocKind, &Placement, Access)> = vec![
            (Role::Member, staff.clone(), i, &f1, w(Rights::EDIT)),
            (Role::Member, staff.clone(), r, &f1, Access::READ),
            (
                Role::Head,
                staff.clone(),
                i,
                &f1,
                w(Rights::EDIT | Rights::SUBMIT),
            ),
            (Role::Head, staff.clone(), r, &f1, Access::READ),
            // The township head over its village clinic: reads, comments, nothing else.
            (Role::Head, staff.clone(), i, &village, Access::READ),
            (Role::Head, staff.clone(), r, &village, w(Rights::COMMENT)),
            // A member of the township does not guide.
            (Role::Member, staff.clone(), i, &village, Access::NONE),
            (Role::Member, staff.clone(), r, &village, Access::NONE),
            (Role::Head, staff.clone(), i, &elsewhere, Access::NONE),
            (
                Role::CommunityReviewer,
                Scope::Community("m1".into()),
                i,
                &f1,
                Access::READ,
            ),
            (
                Role::CommunityReviewer,
                Scope::Community("m1".into()),
                r,
                &f1,
                w(reviewing | Rights::FIRST_STEP),
            ),
            (
                Role::CommunityReviewer,
                Scope::Community("m1".into()),
                r,
                &elsewhere,
                Access::NONE,
            ),
            (
                Role::Reviewer,
                Scope::County("c1".into()),
                i,
                &f1,
                Access::READ,
            ),
            (
                Role::Reviewer,
                Scope::County("c1".into()),
                r,
                &f1,
                w(reviewing | Rights::FINAL_STEP),
            ),
            (
                Role::Reviewer,
                Scope::County("c1".into()),
                r,
                &elsewhere,
                Access::NONE,
            ),
            (
                Role::CityReviewer,
                Scope::City("city1".into()),
                i,
                &f1,
                Access::READ,
            ),
            (
                Role::CityReviewer,
                Scope::City("city1".into()),
                r,
                &f1,
                w(reviewing),
            ),
            (
                Role::CityReviewer,
                Scope::City("city1".into()),
                r,
                &elsewhere,
                Access::NONE,
            ),
            (
                Role::ProvinceViewer,
                Scope::Province("p1".into()),
                i,
                &f1,
                Access::READ,
            ),
            (
                Role::ProvinceViewer,
                Scope::Province("p1".into()),
                r,
                &f1,
                Access::READ,
            ),
            (
                Role::ProvinceViewer,
                Scope::Province("p1".into()),
                r,
                &elsewhere,
                Access::NONE,
            ),
            (
                Role::Admin,
                Scope::City("city1".into()),
                r,
                &f1,
                Access::READ,
            ),
            (
                Role::Admin,
                Scope::Community("m2".into()),
                i,
                &f1,
                Access::NONE,
            ),
            // Damaged accounts: a role at the wrong level gets nothing.
            (
                Role::Member,
                Scope::County("c1".into()),
                i,
                &f1,
                Access::NONE,
            ),
            (Role::Reviewer, staff.clone(), r, &f1, Access::NONE),
            (
                Role::CommunityReviewer,
                Scope::County("c1".into()),
                r,
                &f1,
                Access::NONE,
            ),
            (Role::Admin, staff.clone(), i, &f1, Access::NONE),
        ];
        for (role, scope, kind, place, want) in cases {
            assert_eq!(
                access(role, &scope, kind, place),
                want,
                "{role:?} in {scope:?} on {kind:?} of {}",
                place.facility
            );
        }
    }

    #[test]
    fn the_first_step_exists_only_where_the_county_reviews_in_two_steps() {
        let mut one_step = place("f1");
        one_step.two_step = false;
        let community = Scope::Community("m1".into());
        let got = access(
            Role::CommunityReviewer,
            &community,
            DocKind::Review,
            &one_step,
        );
        assert!(got.write);
        assert!(!got.rights.has(Rights::FIRST_STEP));
        assert!(got.rights.has(Rights::COMMENT));
        let county = access(
            Role::Reviewer,
            &Scope::County("c1".into()),
            DocKind::Review,
            &one_step,
        );
        assert!(county.rights.has(Rights::FINAL_STEP));
    }

    #[test]
    fn a_facility_without_a_city_is_outside_every_city_and_province() {
        let lone = Placement::in_county("f1", "c1");
        assert!(!Scope::City("city1".into()).contains(&lone));
        assert!(!Scope::Province("p1".into()).contains(&lone));
        assert!(!Scope::Community("m1".into()).contains(&lone));
        assert!(Scope::County("c1".into()).contains(&lone));
        assert!(sees_facility(
            Role::Reviewer,
            &Scope::County("c1".into()),
            &lone
        ));
        assert!(!sees_facility(
            Role::Reviewer,
            &Scope::County("c2".into()),
            &lone
        ));
    }

    #[test]
    fn roles_and_levels_parse_from_their_codes() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        for level in Level::ALL {
            assert_eq!(level.code().parse::<Level>(), Ok(level));
        }
        assert!(
            "boss"
                .parse::<Role>()
                .unwrap_err()
                .contains("city_reviewer")
        );
        let scope = Scope::new(Level::City, "city1");
        assert_eq!(scope.level(), Level::City);
        assert_eq!(scope.id(), "city1");
        assert_eq!(
            serde_json::to_string(&scope).unwrap(),
            r#"{"kind":"city","id":"city1"}"#
        );
    }
}
