//! What reviewers follow at every level, computed from the summary rows (by SQL, never by loading
//! documents): a county's or a medical community's overview of every facility, coverage per wave, overdue
//! rectifications, the annual report; a city's or province's counties as rows; common problems (共性问题)
//! at each. The HTTP layer and the exports call this; it knows nothing of either.

use crate::clock::today_cst;
use crate::db::{CountyProblem, DbError, Facility, Store};
use crate::templates::{RuleAnswers, checklist, county_rule};
use std::collections::HashMap;
use zhigai_shared::access::{Level, Scope};
use zhigai_shared::api::{
    AnnualReport, AreaRate, AreaYear, CommonItem, CountySummary, LastYearRow, OverdueRow,
    ProblemTally, RollupSummary, SummaryRow, VersionsInUse, WaveCoverage, WaveTarget, add_areas,
    add_coverage,
};
use zhigai_shared::doc::{Date, ReviewState, Verdict};
use zhigai_shared::summary::AreaCounts;
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{FacilityId, ItemId, Template, Wave};

/// Fills a never-synced facility's row from the checklist new inspections start on: what applies to
/// it, nothing answered. Every row gets the facility's coverage wave.
pub fn fill_from_template(row: &mut SummaryRow, facility: &Facility, template: &Template) {
    let profile = facility.profile();
    row.wave = profile.wave().deadline_year();
    if row.updated_at.is_some() {
        return;
    }
    row.areas = template
        .areas
        .iter()
        .map(|area| AreaCounts {
            area: area.id.to_string(),
            applicable: area
                .items
                .iter()
                .filter(|i| i.applies_to.matches(&profile))
                .count() as u32,
            ..AreaCounts::default()
        })
        .collect();
    row.applicable = row.areas.iter().map(|a| i64::from(a.applicable)).sum();
}

/// Coverage per wave from the rows: submitted (including returned and approved) and approved.
pub fn coverage(rows: &[SummaryRow]) -> Vec<WaveCoverage> {
    [Wave::W2026, Wave::W2027, Wave::W2028]
        .into_iter()
        .map(|wave| {
            let year = wave.deadline_year();
            let of_wave: Vec<_> = rows.iter().filter(|r| r.wave == year).collect();
            WaveCoverage {
                wave: year,
                total: of_wave.len() as u32,
                submitted: of_wave
                    .iter()
                    .filter(|r| r.submitted || r.review_state != ReviewState::NotSubmitted)
                    .count() as u32,
                approved: of_wave
                    .iter()
                    .filter(|r| r.review_state == ReviewState::Approved)
                    .count() as u32,
            }
        })
        .collect()
}

/// Problems past their deadline on `today` ([`zhigai_shared::doc::days_overdue`]), most overdue first.
pub fn overdue_rows(problems: &[CountyProblem], today: Date) -> Vec<OverdueRow> {
    let mut rows: Vec<OverdueRow> = problems
        .iter()
        .filter_map(|p| {
            let days = p.problem.days_overdue(today)?;
            Some(OverdueRow {
                origin_year: p.year,
                facility_id: p.facility_id.clone(),
                facility_name: p.facility_name.clone(),
                item_id: p.problem.item_id.clone(),
                problem_id: p.problem.problem_id.clone(),
                description: p.problem.description.clone(),
                owner_name: p.problem.owner_name.clone(),
                deadline: p.problem.deadline?,
                days_overdue: days,
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.facility_id.cmp(&b.facility_id))
    });
    rows
}

/// The overview of a county or a medical community (`scope`) for `year` (this year when `None`).
///
/// # Errors
/// The store's.
pub async fn county_summary(
    store: &dyn Store,
    scope: &Scope,
    year: Option<i64>,
) -> Result<CountySummary, DbError> {
    let today = today_cst();
    let year = year.unwrap_or(i64::from(today.year()));
    let today_text = today.to_string();
    let (mut rows, facilities, place, stored_years, common_items, figures) = tokio::try_join!(
        store.fetch_summary(scope, year, &today_text),
        store.fetch_facilities_in(scope),
        store.fetch_place(scope),
        store.fetch_years(scope),
        store.fetch_common_items(scope, year, COMMON_ITEMS),
        store.fetch_figure_spread(scope, year),
    )?;
    let (versions, common_items) = comparable(store, scope, year, common_items).await?;
    let (before, carried) = tokio::try_join!(
        store.fetch_summary(scope, year - 1, &today_text),
        store.fetch_carried_problems(scope, year),
    )?;
    let county_id = facilities.first().map(|(f, _)| f.county_id.clone());
    let communities = match (scope, county_id) {
        (Scope::County(id), _) => store.fetch_communities(id).await?,
        (Scope::Community(id), _) => store.fetch_community(id).await?.into_iter().collect(),
        (_, Some(county)) => store.fetch_communities(&county).await?,
        (_, None) => Vec::new(),
    };
    add_year_over_year(&mut rows, &before, &carried, today);
    let by_id: HashMap<&str, &Facility> =
        facilities.iter().map(|(f, _)| (f.id.as_str(), f)).collect();
    // A facility that never synced this year counts what its version asks: its pin where the year is
    // settled, else the version the rule gives its county (cached per county).
    let pins: HashMap<FacilityId, TemplateRef> = store
        .fetch_pins_in(scope, year)
        .await?
        .into_iter()
        .collect();
    let mut asked = RuleAnswers::new();
    for row in &mut rows {
        let Some(facility) = by_id.get(row.facility_id.as_str()) else {
            continue;
        };
        let template = if row.updated_at.is_some() {
            Template::current()
        } else {
            unsynced_checklist(store, facility, pins.get(&facility.id), year, &mut asked).await?
        };
        fill_from_template(row, facility, template);
    }
    Ok(CountySummary {
        level: scope.level(),
        county_id: scope.id().to_owned(),
        county_name: place.as_ref().map(|p| p.name.clone()).unwrap_or_default(),
        county_kind: place.as_ref().map(|p| p.county_kind).unwrap_or_default(),
        two_step: place.is_some_and(|p| p.two_step),
        year,
        today: today_text,
        coverage: coverage(&rows),
        facilities: rows,
        communities,
        years: year_choice(&stored_years, today.year()),
        common_items,
        figures,
        versions,
    })
}

/// The checklist a facility that never synced `year` would answer: its pin, else its county's by the rule.
async fn unsynced_checklist(
    store: &dyn Store,
    facility: &Facility,
    pinned: Option<&TemplateRef>,
    year: i64,
    asked: &mut RuleAnswers,
) -> Result<&'static Template, DbError> {
    let wanted = match pinned {
        Some(pinned) => pinned.clone(),
        None => {
            let year = u16::try_from(year).unwrap_or_default();
            county_rule(store, &facility.county_id, year, asked).await?
        }
    };
    Ok(checklist(store, &wanted).await?)
}

/// The versions the facilities within `scope` use in `year`, and the common problems restricted to the
/// item ids all of them share where they differ (an item one version adds or retires is not comparable).
async fn comparable(
    store: &dyn Store,
    scope: &Scope,
    year: i64,
    common_items: Vec<CommonItem>,
) -> Result<(VersionsInUse, Vec<CommonItem>), DbError> {
    let versions = store.fetch_pinned_versions(scope, year).await?;
    if versions.len() < 2 {
        return Ok((
            VersionsInUse {
                versions,
                shared_items: None,
            },
            common_items,
        ));
    }
    let mut shared: Option<Vec<ItemId>> = None;
    for version in &versions {
        let template = checklist(store, version).await?;
        shared = Some(match shared {
            None => template.items().map(|i| i.id.clone()).collect(),
            Some(ids) => ids
                .into_iter()
                .filter(|id| template.item(id).is_some())
                .collect(),
        });
    }
    let shared = shared.unwrap_or_default();
    let common_items = common_items
        .into_iter()
        .filter(|c| shared.iter().any(|id| id.as_str() == c.item_id))
        .collect();
    Ok((
        VersionsInUse {
            versions,
            shared_items: u32::try_from(shared.len()).ok(),
        },
        common_items,
    ))
}

/// A city's or a province's overview (`scope`) for `year` (this year when `None`): its counties as rows,
/// totals, the most common problems.
///
/// # Errors
/// The store's.
pub async fn rollup_summary(
    store: &dyn Store,
    scope: &Scope,
    year: Option<i64>,
) -> Result<RollupSummary, DbError> {
    let today = today_cst();
    let year = year.unwrap_or(i64::from(today.year()));
    let today_text = today.to_string();
    let (counties, place, common_items, stored_years, figures) = tokio::try_join!(
        store.fetch_rollup(scope, year, &today_text),
        store.fetch_place(scope),
        store.fetch_common_items(scope, year, COMMON_ITEMS),
        store.fetch_years(scope),
        store.fetch_figure_spread(scope, year),
    )?;
    let (versions, common_items) = comparable(store, scope, year, common_items).await?;
    let mut coverage: Vec<WaveCoverage> = Vec::new();
    let mut areas: Vec<AreaRate> = Vec::new();
    for row in &counties {
        add_coverage(&mut coverage, &row.coverage);
        add_areas(&mut areas, &row.areas);
    }
    areas.sort_by(|a, b| a.area.cmp(&b.area));
    Ok(RollupSummary {
        level: scope.level(),
        place_id: scope.id().to_owned(),
        place_name: place.map(|p| p.name).unwrap_or_default(),
        year,
        today: today_text,
        counties,
        coverage,
        areas,
        common_items,
        years: year_choice(&stored_years, today.year()),
        figures,
        versions,
    })
}

/// How many common problems an overview and the annual report list.
pub const COMMON_ITEMS: i64 = 20;

/// Whether `scope` is a place whose overview lists facilities (a community or a county) rather than
/// counties (a city or a province).
pub fn lists_facilities(scope: &Scope) -> bool {
    matches!(scope.level(), Level::Community | Level::County)
}

/// Adds to each row the facility's figures of the year before (when it synced anything then) and the
/// problems carried over into the year, open and overdue.
pub fn add_year_over_year(
    rows: &mut [SummaryRow],
    before: &[SummaryRow],
    carried: &[CountyProblem],
    today: Date,
) {
    for row in rows {
        row.last_year = before
            .iter()
            .find(|b| b.facility_id == row.facility_id && b.updated_at.is_some())
            .map(|b| LastYearRow {
                year: b.year,
                applicable: b.applicable,
                answered: b.answered,
                areas: b.areas.clone(),
                open_problems: b.open_problems,
                overdue_problems: b.overdue_problems,
            });
        let mine = carried.iter().filter(|p| p.facility_id == row.facility_id);
        row.carried_problems = mine.clone().count() as i64;
        row.carried_overdue = mine
            .filter(|p| p.problem.days_overdue(today).is_some())
            .count() as i64;
    }
}

/// The county's 年度评估 report for `year` (this year when `None`): coverage per wave against its target,
/// compliance per area this year and last, the items most often 部分符合/不符合, and the year's problems
/// (found, rectified, verified, still open and overdue, and those carried over).
///
/// # Errors
/// The store's.
pub async fn annual_report(
    store: &dyn Store,
    scope: &Scope,
    year: Option<i64>,
) -> Result<AnnualReport, DbError> {
    let summary = county_summary(store, scope, year).await?;
    annual_report_of(store, scope, &summary).await
}

/// [`annual_report`] from an overview already computed (the workbook has one).
///
/// # Errors
/// The store's.
pub async fn annual_report_of(
    store: &dyn Store,
    scope: &Scope,
    summary: &CountySummary,
) -> Result<AnnualReport, DbError> {
    let year = summary.year;
    let today: Date = summary.today.parse().unwrap_or_else(|_| today_cst());
    let (common_items, problems) = tokio::try_join!(
        store.fetch_common_items(scope, year, 10),
        store.fetch_problems(scope, year),
    )?;
    Ok(AnnualReport {
        county_id: summary.county_id.clone(),
        county_name: summary.county_name.clone(),
        year,
        today: summary.today.clone(),
        facilities: summary.facilities.len() as u32,
        coverage: summary
            .coverage
            .iter()
            .map(|c| WaveTarget {
                due: i64::from(c.wave) <= year,
                coverage: c.clone(),
            })
            .collect(),
        areas: area_years(&summary.facilities),
        common_items,
        problems: tally(&problems, &summary.facilities, today),
    })
}

/// Compliance per area over all rows, this year and (where a facility had data) last year.
pub fn area_years(rows: &[SummaryRow]) -> Vec<AreaYear> {
    let mut out: Vec<AreaYear> = Vec::new();
    let mut add = |area: &AreaCounts, last: bool| {
        let entry = match out.iter_mut().position(|a| a.area == area.area) {
            Some(i) => &mut out[i],
            None => {
                out.push(AreaYear {
                    area: area.area.clone(),
                    compliant: 0,
                    judged: 0,
                    last_compliant: 0,
                    last_judged: 0,
                });
                out.last_mut().expect("just pushed")
            }
        };
        let judged = area.answered.saturating_sub(area.not_applicable);
        if last {
            entry.last_compliant += area.compliant;
            entry.last_judged += judged;
        } else {
            entry.compliant += area.compliant;
            entry.judged += judged;
        }
    };
    for row in rows {
        for area in &row.areas {
            add(area, false);
        }
        for area in row.last_year.iter().flat_map(|l| &l.areas) {
            add(area, true);
        }
    }
    out
}

/// The year's own problems in numbers, and those carried over into it.
pub fn tally(problems: &[CountyProblem], rows: &[SummaryRow], today: Date) -> ProblemTally {
    let count =
        |f: &dyn Fn(&CountyProblem) -> bool| problems.iter().filter(|p| f(p)).count() as u32;
    ProblemTally {
        found: problems.len() as u32,
        rectified: count(&|p| !p.problem.status.is_open()),
        verified: count(&|p| p.verdict == Some(Verdict::Verified)),
        open: count(&|p| p.problem.status.is_open()),
        overdue: count(&|p| p.problem.days_overdue(today).is_some()),
        carried: rows.iter().map(|r| r.carried_problems).sum::<i64>() as u32,
    }
}

/// The years to offer: those with data and this year, newest first.
pub fn year_choice(stored: &[i64], this_year: u16) -> Vec<u16> {
    let mut years: Vec<u16> = stored
        .iter()
        .filter_map(|y| u16::try_from(*y).ok())
        .chain(std::iter::once(this_year))
        .collect();
    years.sort_unstable_by(|a, b| b.cmp(a));
    years.dedup();
    years
}

/// The overdue rectifications within `scope` in `year` (this year when `None`).
///
/// # Errors
/// The store's.
pub async fn county_overdue(
    store: &dyn Store,
    scope: &Scope,
    year: Option<i64>,
) -> Result<Vec<OverdueRow>, DbError> {
    let today = today_cst();
    let year = year.unwrap_or(i64::from(today.year()));
    let problems = year_problems(store, scope, year).await?;
    Ok(overdue_rows(&problems, today))
}

/// The problems within `scope` on `year`'s list: the year's own and those carried over from earlier years.
///
/// # Errors
/// The store's.
pub async fn year_problems(
    store: &dyn Store,
    scope: &Scope,
    year: i64,
) -> Result<Vec<CountyProblem>, DbError> {
    let (mut problems, carried) = tokio::try_join!(
        store.fetch_problems(scope, year),
        store.fetch_carried_problems(scope, year),
    )?;
    problems.extend(carried);
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::ProblemRow;
    use zhigai_shared::doc::ProblemStatus;
    use zhigai_shared::{FacilityId, FacilityType, ProblemId};

    fn problem(facility: &str, id: &str, deadline: &str, status: ProblemStatus) -> CountyProblem {
        CountyProblem {
            year: 2026,
            verdict: None,
            facility_id: FacilityId::from(facility),
            facility_name: facility.to_owned(),
            problem: ProblemRow {
                problem_id: ProblemId::from(id),
                item_id: None,
                description: id.to_owned(),
                owner_name: None,
                deadline: Some(deadline.parse().unwrap()),
                status,
                measure: String::new(),
            },
        }
    }

    #[test]
    fn overdue_rows_follow_the_one_rule_most_overdue_first() {
        let today: Date = "2026-11-23".parse().unwrap();
        let rows = overdue_rows(
            &[
                problem("b", "late-3", "2026-11-20", ProblemStatus::Open),
                problem("a", "late-10", "2026-11-13", ProblemStatus::InProgress),
                problem("a", "done", "2026-11-01", ProblemStatus::Rectified),
                problem("a", "today", "2026-11-23", ProblemStatus::Open),
            ],
            today,
        );
        let got: Vec<(&str, i64)> = rows
            .iter()
            .map(|r| (r.problem_id.as_str(), r.days_overdue))
            .collect();
        assert_eq!(got, [("late-10", 10), ("late-3", 3)]);
    }

    #[test]
    fn coverage_counts_submitted_and_approved_per_wave() {
        let row = |wave: u16, submitted: bool, state: ReviewState| SummaryRow {
            facility_id: FacilityId::from("f"),
            facility_name: "f".into(),
            facility_type: FacilityType::VillageClinic,
            open_beds: 0,
            community_id: None,
            wave,
            year: 2026,
            applicable: 0,
            answered: 0,
            areas: vec![],
            open_problems: 0,
            overdue_problems: 0,
            submitted,
            review_state: state,
            last_edit_at: None,
            updated_at: None,
            carried_problems: 0,
            carried_overdue: 0,
            last_year: None,
            figures: Vec::new(),
        };
        let waves = coverage(&[
            row(2026, true, ReviewState::Submitted),
            row(2026, false, ReviewState::Approved),
            row(2026, false, ReviewState::NotSubmitted),
            row(2028, false, ReviewState::Returned),
        ]);
        assert_eq!(
            (waves[0].total, waves[0].submitted, waves[0].approved),
            (3, 2, 1)
        );
        assert_eq!((waves[1].total, waves[1].submitted), (0, 0));
        assert_eq!(
            (waves[2].total, waves[2].submitted, waves[2].approved),
            (1, 1, 0)
        );
    }
}
