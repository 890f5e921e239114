//! The county overview's view logic: compliance per area as a heatmap level, filters and sorting.

use zhigai_shared::FacilityType;
use zhigai_shared::api::{LastYearRow, SummaryRow};
use zhigai_shared::doc::ReviewState;
use zhigai_shared::summary::AreaCounts;

/// Compliance of an area in per cent: 符合 of the items judged (answered and applicable), if any.
pub fn compliance(a: &AreaCounts) -> Option<u32> {
    let judged = a.answered.saturating_sub(a.not_applicable);
    (judged > 0).then(|| a.compliant * 100 / judged)
}

/// The heatmap class of a compliance figure.
pub fn heat(pct: Option<u32>) -> &'static str {
    match pct {
        None => "heat-none",
        Some(90..) => "heat-4",
        Some(70..=89) => "heat-3",
        Some(50..=69) => "heat-2",
        Some(_) => "heat-1",
    }
}

/// Completion in per cent.
pub fn completion(row: &SummaryRow) -> i64 {
    if row.applicable == 0 {
        0
    } else {
        row.answered * 100 / row.applicable
    }
}

/// Completion of the year before, in per cent.
pub fn last_completion(last: &LastYearRow) -> i64 {
    (last.answered * 100)
        .checked_div(last.applicable)
        .unwrap_or(0)
}

/// The columns the table sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    /// Facility name.
    Name,
    /// Completion.
    Completion,
    /// Non-compliant items.
    NonCompliant,
    /// Overdue problems.
    Overdue,
    /// Last sync.
    LastSync,
}

/// What the table shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filter {
    /// One medical community, or all.
    pub community: Option<String>,
    /// One facility type, or all.
    pub facility_type: Option<FacilityType>,
    /// One review state, or all.
    pub review_state: Option<ReviewState>,
    /// Only facilities with overdue problems.
    pub overdue_only: bool,
    /// The sort column and whether descending.
    pub sort: (SortBy, bool),
}

impl Default for Filter {
    fn default() -> Self {
        Self {
            community: None,
            facility_type: None,
            review_state: None,
            overdue_only: false,
            sort: (SortBy::Name, false),
        }
    }
}

fn non_compliant(row: &SummaryRow) -> u32 {
    row.areas.iter().map(|a| a.non_compliant).sum()
}

/// The rows `filter` keeps, in its order.
pub fn apply(rows: &[SummaryRow], filter: &Filter) -> Vec<SummaryRow> {
    let mut out: Vec<SummaryRow> = rows
        .iter()
        .filter(|r| {
            filter
                .community
                .as_ref()
                .is_none_or(|c| r.community_id.as_ref() == Some(c))
                && filter.facility_type.is_none_or(|t| r.facility_type == t)
                && filter.review_state.is_none_or(|s| r.review_state == s)
                && (!filter.overdue_only || r.overdue_problems > 0)
        })
        .cloned()
        .collect();
    let (by, desc) = filter.sort;
    out.sort_by(|a, b| {
        let order = match by {
            SortBy::Name => a.facility_name.cmp(&b.facility_name),
            SortBy::Completion => completion(a).cmp(&completion(b)),
            SortBy::NonCompliant => non_compliant(a).cmp(&non_compliant(b)),
            SortBy::Overdue => a.overdue_problems.cmp(&b.overdue_problems),
            SortBy::LastSync => a.updated_at.cmp(&b.updated_at),
        };
        let order = order.then_with(|| a.facility_id.cmp(&b.facility_id));
        if desc { order.reverse() } else { order }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, community: &str, answered: i64, overdue: i64) -> SummaryRow {
        SummaryRow {
            facility_id: id.into(),
            facility_name: id.into(),
            facility_type: FacilityType::VillageClinic,
            open_beds: 0,
            community_id: Some(community.into()),
            wave: 2028,
            year: 2026,
            applicable: 40,
            answered,
            areas: vec![AreaCounts {
                area: "T1".into(),
                applicable: 8,
                answered: 6,
                compliant: 3,
                partial: 1,
                non_compliant: 1,
                not_applicable: 1,
            }],
            open_problems: overdue,
            overdue_problems: overdue,
            submitted: false,
            review_state: ReviewState::NotSubmitted,
            last_edit_at: None,
            updated_at: None,
            carried_problems: 0,
            carried_overdue: 0,
            last_year: None,
            figures: Vec::new(),
        }
    }

    #[test]
    fn compliance_counts_judged_items_and_maps_to_heat() {
        let r = row("a", "c1", 10, 0);
        assert_eq!(compliance(&r.areas[0]), Some(60));
        assert_eq!(heat(Some(60)), "heat-2");
        assert_eq!(heat(None), "heat-none");
        assert_eq!(compliance(&AreaCounts::default()), None);
    }

    #[test]
    fn filters_and_sorting() {
        let rows = vec![
            row("a", "c1", 10, 0),
            row("b", "c2", 30, 2),
            row("c", "c1", 20, 1),
        ];
        let by_completion = apply(
            &rows,
            &Filter {
                sort: (SortBy::Completion, true),
                ..Filter::default()
            },
        );
        let ids: Vec<_> = by_completion
            .iter()
            .map(|r| r.facility_id.as_str())
            .collect();
        assert_eq!(ids, ["b", "c", "a"]);
        let c1 = apply(
            &rows,
            &Filter {
                community: Some("c1".into()),
                overdue_only: true,
                ..Filter::default()
            },
        );
        assert_eq!(c1.len(), 1);
        assert_eq!(c1[0].facility_id.as_str(), "c");
        assert_eq!(completion(&rows[1]), 75);
        let last = LastYearRow {
            year: 2026,
            applicable: 40,
            answered: 10,
            areas: vec![],
            open_problems: 0,
            overdue_problems: 0,
        };
        assert_eq!(last_completion(&last), 25);
    }
}
