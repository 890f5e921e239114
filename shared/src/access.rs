//! Who may read and write which document: the permission rules the server enforces on every request and
//! sync message (the app uses the same rules only to hide what a role cannot do).

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
    /// 第一责任人: the facility's head; also submits the inspection.
    Head,
    /// 质控/审核: county reviewers.
    Reviewer,
    /// County IT / bureau: manages the directory.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Member, Role::Head, Role::Reviewer, Role::Admin];

    /// The code used in the database and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::Head => "head",
            Self::Reviewer => "reviewer",
            Self::Admin => "admin",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Member => "成员",
            Self::Head => "第一责任人",
            Self::Reviewer => "审核人员",
            Self::Admin => "管理员",
        }
    }

    /// Whether the role belongs to one facility (rather than a county).
    pub fn is_facility_role(self) -> bool {
        matches!(self, Self::Member | Self::Head)
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| format!("unknown role '{s}': use member, head, reviewer or admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Where a user belongs: one facility, or one county.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    /// Facility staff.
    Facility(FacilityId),
    /// County reviewers and admins.
    County(String),
}

/// What a user may do with one document.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    /// May receive it.
    pub read: bool,
    /// May change it.
    pub write: bool,
}

impl Access {
    const NONE: Access = Access {
        read: false,
        write: false,
    };
    const READ: Access = Access {
        read: true,
        write: false,
    };
    const WRITE: Access = Access {
        read: true,
        write: true,
    };
}

/// The access a user with `role` in `scope` has to the `kind` document of a facility `facility` in county
/// `county`.
pub fn access(
    role: Role,
    scope: &Scope,
    kind: DocKind,
    facility: &FacilityId,
    county: &str,
) -> Access {
    match (role, scope, kind) {
        (Role::Member | Role::Head, Scope::Facility(own), DocKind::Inspection)
            if own == facility =>
        {
            Access::WRITE
        }
        (Role::Member | Role::Head, Scope::Facility(own), DocKind::Review) if own == facility => {
            Access::READ
        }
        (Role::Reviewer, Scope::County(own), DocKind::Inspection) if own == county => Access::READ,
        (Role::Reviewer, Scope::County(own), DocKind::Review) if own == county => Access::WRITE,
        (Role::Admin, Scope::County(own), _) if own == county => Access::READ,
        _ => Access::NONE,
    }
}

/// Where `user` belongs: their facility for facility roles, else their county.
pub fn scope_of(user: &crate::api::User) -> Scope {
    match (&user.facility_id, user.role.is_facility_role()) {
        (Some(f), true) => Scope::Facility(f.clone()),
        _ => Scope::County(user.county_id.clone()),
    }
}

/// Whether someone in `scope` may see facility `facility` of county `county` at all (its directory
/// entry, its staff list).
pub fn sees_facility(scope: &Scope, facility: &FacilityId, county: &str) -> bool {
    match scope {
        Scope::Facility(own) => own == facility,
        Scope::County(own) => own == county,
    }
}

/// The access `user` has to the `kind` document of `facility`: the one function the REST directory and
/// the sync server both ask.
pub fn document_access(
    user: &crate::api::User,
    kind: DocKind,
    facility: &crate::api::Facility,
) -> Access {
    access(
        user.role,
        &scope_of(user),
        kind,
        &facility.id,
        &facility.county_id,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_permission_matrix() {
        let f1 = FacilityId::from("f1");
        let f2 = FacilityId::from("f2");
        let staff = Scope::Facility(f1.clone());
        let county = Scope::County("c1".into());
        let other_county = Scope::County("c2".into());
        let i = DocKind::Inspection;
        let r = DocKind::Review;
        for role in [Role::Member, Role::Head] {
            assert_eq!(access(role, &staff, i, &f1, "c1"), Access::WRITE);
            assert_eq!(access(role, &staff, r, &f1, "c1"), Access::READ);
            assert_eq!(
                access(role, &staff, i, &f2, "c1"),
                Access::NONE,
                "another facility"
            );
            assert_eq!(access(role, &staff, r, &f2, "c1"), Access::NONE);
        }
        assert_eq!(access(Role::Reviewer, &county, i, &f1, "c1"), Access::READ);
        assert_eq!(access(Role::Reviewer, &county, r, &f1, "c1"), Access::WRITE);
        assert_eq!(
            access(Role::Reviewer, &other_county, i, &f1, "c1"),
            Access::NONE
        );
        assert_eq!(
            access(Role::Reviewer, &other_county, r, &f1, "c1"),
            Access::NONE
        );
        assert_eq!(access(Role::Admin, &county, i, &f1, "c1"), Access::READ);
        assert_eq!(access(Role::Admin, &county, r, &f1, "c1"), Access::READ);
        assert_eq!(
            access(Role::Admin, &other_county, r, &f1, "c1"),
            Access::NONE
        );
        // A facility role with a county scope (a damaged account) gets nothing.
        assert_eq!(access(Role::Member, &county, i, &f1, "c1"), Access::NONE);
    }

    #[test]
    fn a_user_is_scoped_by_role_and_sees_only_their_facility_or_county() {
        use crate::api::{Facility, User};
        let user = |role, facility: Option<&str>| User {
            id: "u".into(),
            username: "u".into(),
            display_name: "u".into(),
            role,
            county_id: "c1".into(),
            facility_id: facility.map(FacilityId::from),
        };
        let staff = user(Role::Member, Some("f1"));
        let reviewer = user(Role::Reviewer, None);
        // A reviewer row that still carries a facility is scoped by role, to the county.
        let moved = user(Role::Reviewer, Some("f1"));
        assert_eq!(scope_of(&staff), Scope::Facility("f1".into()));
        assert_eq!(scope_of(&reviewer), Scope::County("c1".into()));
        assert_eq!(scope_of(&moved), Scope::County("c1".into()));
        let f1 = FacilityId::from("f1");
        assert!(sees_facility(&scope_of(&staff), &f1, "c1"));
        assert!(!sees_facility(&scope_of(&staff), &"f2".into(), "c1"));
        assert!(sees_facility(&scope_of(&reviewer), &"f2".into(), "c1"));
        assert!(!sees_facility(&scope_of(&reviewer), &"f9".into(), "c2"));
        let facility = Facility {
            id: f1,
            county_id: "c1".into(),
            community_id: None,
            name: "f1".into(),
            facility_type: crate::FacilityType::VillageClinic,
            open_beds: 0,
            services: vec![],
        };
        assert_eq!(
            document_access(&staff, DocKind::Inspection, &facility),
            Access::WRITE
        );
        assert_eq!(
            document_access(&reviewer, DocKind::Review, &facility),
            Access::WRITE
        );
        assert_eq!(
            document_access(&reviewer, DocKind::Inspection, &facility),
            Access::READ
        );
    }
}
