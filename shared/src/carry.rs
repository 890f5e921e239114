//! Problems that outlive their year. A problem lives in the inspection of the year it was found, and only
//! there: year N's problem list is its own problems followed by every problem of an earlier year that is
//! not yet rectified-and-verified (上年遗留). Nothing is copied, so two devices that cross New Year offline
//! cannot each "carry over" a copy, and every update to a carried problem lands in its one origin document,
//! with its history and the county's verification.

use crate::access::Level;
use crate::doc::{Inspection, ProblemStatus, ProblemView, Review, Verdict, VerificationView};
use crate::ids::Year;

/// One line of a year's problem list.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedProblem {
    /// The problem, as its origin document has it.
    pub problem: ProblemView,
    /// The year it was found in (its document's year).
    pub origin: Year,
    /// The county's verdict on it, from the origin year's review.
    pub verification: Option<VerificationView>,
    /// The level whose check found it (a finding in the review), or `None` for the facility's own problem.
    pub finding: Option<Level>,
}

impl ListedProblem {
    /// Whether it came from an earlier year than `year` (上年遗留).
    pub fn carried_into(&self, year: Year) -> bool {
        self.origin < year
    }
}

/// Whether a problem still belongs on later years' lists: everything but rectified-and-verified.
pub fn carries_over(problem: &ProblemView, verification: Option<&VerificationView>) -> bool {
    let verified = verification.is_some_and(|v| v.verdict == Verdict::Verified);
    !(problem.status == ProblemStatus::Rectified && verified)
}

/// One year's documents as the list reads them.
#[derive(Clone, Copy)]
pub struct YearDocs<'a> {
    /// The year.
    pub year: Year,
    /// Its inspection.
    pub inspection: &'a Inspection,
    /// Its review.
    pub review: &'a Review,
}

/// Year `year`'s problem list from the documents of that year and any earlier ones (later ones are
/// ignored): its own problems, then the earlier years' that carry over, oldest year first.
pub fn problem_list(year: Year, docs: &[YearDocs<'_>]) -> Vec<ListedProblem> {
    let mut docs: Vec<&YearDocs<'_>> = docs.iter().filter(|d| d.year <= year).collect();
    // This year first, then earlier years from the oldest.
    docs.sort_by_key(|d| (d.year != year, d.year));
    let mut out = Vec::new();
    for d in docs {
        let verifications = d.review.verifications();
        let own = d.inspection.problems().into_iter().map(|p| (p, None));
        let found = findings_of(d.inspection, d.review)
            .into_iter()
            .map(|(p, level)| (p, Some(level)));
        for (problem, finding) in own.chain(found) {
            let verification = verifications.get(&problem.id).cloned();
            if d.year == year || carries_over(&problem, verification.as_ref()) {
                out.push(ListedProblem {
                    problem,
                    origin: d.year,
                    verification,
                    finding,
                });
            }
        }
    }
    out
}

/// The reviewers' findings of one facility-year as problems: item, description and deadline from the
/// review (the reviewer's), measure, owner and status from the inspection (the facility's), and the level
/// that found each.
pub fn findings_of(inspection: &Inspection, review: &Review) -> Vec<(ProblemView, Level)> {
    review
        .findings()
        .into_iter()
        .map(|f| {
            let response = inspection.response(&f.id);
            (
                ProblemView {
                    id: f.id,
                    item: f.item,
                    description: f.description,
                    measure: response.measure,
                    owner: response.owner,
                    deadline: f.deadline,
                    status: response.status,
                    created_by: f.by,
                    created_at: f.at.unwrap_or(crate::doc::Timestamp(0)),
                },
                f.level,
            )
        })
        .collect()
}
