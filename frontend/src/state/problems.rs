//! The problem list's filters and the home page's "due soon or overdue" list, as plain functions.

use zhigai_shared::api::User;
use zhigai_shared::doc::{Conflict, Date, Inspection, InspectionField, ProblemStatus, ProblemView};
use zhigai_shared::{ItemId, Template, UserId};

/// Who may own a problem of facility `facility` under `item`: its own staff; under an item the plan gives to
/// the lead hospital (`Item::lead_hospital`), the lead hospital's staff the directory lists too.
pub fn owners_for<'a>(
    staff: &'a [User],
    facility: &str,
    item: Option<&ItemId>,
    template: &Template,
) -> Vec<&'a User> {
    let lead = item
        .and_then(|i| template.item(i))
        .is_some_and(|i| i.lead_hospital);
    staff
        .iter()
        .filter(|u| lead || u.facility_id().is_some_and(|f| f.as_str() == facility))
        .collect()
}

/// Days ahead a deadline counts as "due soon".
pub const DUE_SOON_DAYS: i64 = 7;

/// What the problem list is narrowed to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProblemFilter {
    /// `T1` … `T9`; `None` for all.
    pub area: Option<String>,
    /// An owner's user id; `None` for all.
    pub owner: Option<UserId>,
    /// A status; `None` for all.
    pub status: Option<ProblemStatus>,
    /// One item only (the list opened from an item).
    pub item: Option<String>,
}

impl ProblemFilter {
    /// Whether `problem` passes.
    pub fn accepts(&self, problem: &ProblemView, template: &Template) -> bool {
        let area_ok = self.area.as_deref().is_none_or(|area| {
            problem
                .item
                .as_ref()
                .and_then(|i| template.area_of(i))
                .is_some_and(|a| a.id.as_str() == area)
        });
        let owner_ok = self
            .owner
            .as_ref()
            .is_none_or(|o| problem.owner.as_ref().is_some_and(|p| &p.user == o));
        let status_ok = self.status.is_none_or(|s| problem.status == s);
        let item_ok = self
            .item
            .as_deref()
            .is_none_or(|i| problem.item.as_ref().is_some_and(|p| p.as_str() == i));
        area_ok && owner_ok && status_ok && item_ok
    }
}

/// Days until the deadline, for a problem not yet rectified (negative once past it; overdue itself is
/// `ProblemView::days_overdue`, the shared rule).
pub fn days_left(problem: &ProblemView, today: Date) -> Option<i64> {
    let deadline = problem.deadline?;
    problem
        .status
        .is_open()
        .then(|| deadline.days_since_epoch() - today.days_since_epoch())
}

/// Problems not rectified whose deadline has passed or falls within [`DUE_SOON_DAYS`], most urgent first.
pub fn due_soon(problems: &[ProblemView], today: Date) -> Vec<(ProblemView, i64)> {
    let mut due: Vec<_> = problems
        .iter()
        .filter_map(|p| {
            let left = days_left(p, today)?;
            (left <= DUE_SOON_DAYS).then(|| (p.clone(), left))
        })
        .collect();
    due.sort_by_key(|(p, left)| (*left, p.created_at.0));
    due
}

/// Orders the list as a clinic works through it: open problems by deadline (overdue first, those without a
/// deadline after), rectified ones last.
pub fn sort_for_list<T>(problems: &mut [T], view: impl Fn(&T) -> &ProblemView) {
    problems.sort_by_key(|p| {
        let p = view(p);
        (
            p.status == ProblemStatus::Rectified,
            p.deadline.map_or(i64::MAX, Date::days_since_epoch),
            p.created_at.0,
        )
    });
}

/// Which conflicts of `doc` concern `area` (all for `None`).
pub fn conflicts_in(
    doc: &Inspection,
    template: &Template,
    area: Option<&str>,
) -> Vec<Conflict<InspectionField>> {
    let in_area = |item: &ItemId| {
        area.is_none_or(|a| template.area_of(item).is_some_and(|x| x.id.as_str() == a))
    };
    doc.conflicts()
        .into_iter()
        .filter(|c| match &c.field {
            InspectionField::Status { item }
            | InspectionField::Metric { item }
            | InspectionField::Fraction { item, .. } => in_area(item),
            InspectionField::Problem { problem, .. } => area.is_none_or(|_| {
                doc.problem(problem)
                    .and_then(|p| p.item)
                    .is_some_and(|i| in_area(&i))
            }),
            InspectionField::Submission => area.is_none(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhigai_shared::doc::{Author, Inspection, NewProblem, Owner, Stamp, Timestamp};
    use zhigai_shared::{FacilityId, ItemId};

    fn problems() -> Vec<ProblemView> {
        let template = Template::national();
        let mut doc = Inspection::create(&FacilityId::from("f"), 2026, template).unwrap();
        let stamp = Stamp::new(Author::new("u1", "王"), Timestamp(1));
        let owner = |id: &str| {
            Some(Owner {
                user: id.into(),
                name: id.to_owned(),
            })
        };
        for (item, who, deadline) in [
            (Some("T3.02"), "u1", "2026-11-20"),
            (Some("T5.01"), "u2", "2026-11-27"),
            (None, "u2", "2026-12-31"),
        ] {
            doc.add_problem(
                NewProblem {
                    item: item.map(ItemId::from),
                    description: format!("问题 {deadline}"),
                    owner: owner(who),
                    deadline: Some(deadline.parse().unwrap()),
                    ..NewProblem::default()
                },
                &stamp,
            )
            .unwrap();
        }
        doc.problems()
    }

    #[test]
    fn filters_narrow_by_area_owner_status_and_item() {
        let all = problems();
        let t = Template::national();
        let by = |f: ProblemFilter| all.iter().filter(|p| f.accepts(p, t)).count();
        assert_eq!(by(ProblemFilter::default()), 3);
        assert_eq!(
            by(ProblemFilter {
                area: Some("T3".into()),
                ..Default::default()
            }),
            1
        );
        assert_eq!(
            by(ProblemFilter {
                owner: Some("u2".into()),
                ..Default::default()
            }),
            2
        );
        assert_eq!(
            by(ProblemFilter {
                status: Some(ProblemStatus::Rectified),
                ..Default::default()
            }),
            0
        );
        assert_eq!(
            by(ProblemFilter {
                item: Some("T5.01".into()),
                ..Default::default()
            }),
            1
        );
    }

    #[test]
    fn due_soon_lists_overdue_first_and_leaves_out_far_deadlines() {
        let today: Date = "2026-11-23".parse().unwrap();
        let due = due_soon(&problems(), today);
        let left: Vec<i64> = due.iter().map(|(_, d)| *d).collect();
        assert_eq!(left, vec![-3, 4]);
    }

    #[test]
    fn the_list_puts_the_most_urgent_first_and_rectified_last() {
        let mut list = problems();
        // The most overdue one is done: it goes last.
        for p in &mut list {
            if p.description.ends_with("11-20") {
                p.status = ProblemStatus::Rectified;
            }
        }
        sort_for_list(&mut list, |p| p);
        let order: Vec<&str> = list.iter().map(|p| p.description.as_str()).collect();
        assert_eq!(
            order,
            ["问题 2026-11-27", "问题 2026-12-31", "问题 2026-11-20"]
        );
    }
}

#[cfg(test)]
mod owner_tests {
    use super::*;
    use zhigai_shared::access::{Role, Scope};

    #[test]
    fn lead_hospital_staff_own_only_the_items_the_plan_gives_the_lead_hospital() {
        let user = |id: &str, scope: Scope| User {
            id: UserId::from(id),
            username: id.into(),
            display_name: id.into(),
            role: Role::Member,
            scope,
        };
        let staff = vec![
            user("wang", Scope::Facility("liuhe".into())),
            user("qian", Scope::Community("gc-east".into())),
        ];
        let template = Template::current();
        let names = |item: &str| -> Vec<String> {
            owners_for(&staff, "liuhe", Some(&ItemId::from(item)), template)
                .iter()
                .map(|u| u.username.clone())
                .collect()
        };
        assert_eq!(
            names("T5.06"),
            ["wang", "qian"],
            "alliance pharmacists' review"
        );
        assert_eq!(names("T1.01"), ["wang", "qian"]);
        assert_eq!(names("T1.02"), ["wang"]);
        assert_eq!(owners_for(&staff, "liuhe", None, template).len(), 1);
    }
}
