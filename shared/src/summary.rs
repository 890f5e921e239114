//! The relational summary of a facility-year: what the county dashboard shows without opening documents.

use crate::doc::{Inspection, ProblemView, Status};
use crate::facility::FacilityProfile;
use crate::template::{ResponseKind, Template};
use serde::{Deserialize, Serialize};

/// Counts for one area.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaCounts {
    /// `T1` … `T9`.
    pub area: String,
    /// Items that apply to the facility.
    pub applicable: u32,
    /// Applicable items with a status.
    pub answered: u32,
    /// 符合.
    pub compliant: u32,
    /// 部分符合.
    pub partial: u32,
    /// 不符合.
    pub non_compliant: u32,
    /// 不适用.
    pub not_applicable: u32,
}

impl AreaCounts {
    /// Applicable items still unanswered.
    pub fn unanswered(&self) -> u32 {
        self.applicable - self.answered
    }
}

/// One indicator's figure as a facility gave it (a rate computed from its counts, or a count).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemFigure {
    /// The item, such as `T5.01`.
    pub item: String,
    /// The figure, in the item's unit.
    pub value: f64,
}

/// A facility-year's inspection in numbers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InspectionSummary {
    /// Per area, in template order.
    pub areas: Vec<AreaCounts>,
    /// Applicable items in all.
    pub applicable: u32,
    /// Answered applicable items in all.
    pub answered: u32,
    /// Problems not yet rectified.
    pub open_problems: u32,
    /// Whether the inspection is submitted.
    pub submitted: bool,
    /// When anyone last changed it (milliseconds), if ever.
    pub last_edit_at: Option<i64>,
    /// Applicable items answered 部分符合 or 不符合: what the county's annual report counts as common problems.
    #[serde(default)]
    pub weak_items: Vec<String>,
    /// The figures of the applicable indicator items that have one, in template order.
    #[serde(default)]
    pub figures: Vec<ItemFigure>,
}

/// Every item's status and figure by item id, as [`Inspection::answers`] reads them.
pub type Answers = std::collections::BTreeMap<String, (Option<Status>, Option<f64>)>;

/// Sums up `doc` for a facility with `profile` on `template`. Reads statuses, problems and the heads only, so
/// it stays cheap on the server's write path however long the history grows.
pub fn summarize(
    doc: &Inspection,
    template: &Template,
    profile: &FacilityProfile,
) -> InspectionSummary {
    summarize_from(doc, template, profile, &doc.answers())
}

/// [`summarize`] with every item's status and figure read already ([`Inspection::answers`], kept up to date
/// by a reader that knows which items changed).
pub fn summarize_from(
    doc: &Inspection,
    template: &Template,
    profile: &FacilityProfile,
    answers: &Answers,
) -> InspectionSummary {
    let mut summary = summarize_answers(template, profile, answers);
    summary.open_problems = count_open(&doc.problems());
    summary.submitted = doc.submission().state == crate::doc::Submission::Submitted;
    summary.last_edit_at = doc.last_edit_at().map(|t| t.0);
    summary
}

/// The counts and figures of [`summarize_from`] alone, from the items' answers: what changes when only
/// items were written. The problems, the submission and the last edit are left at their defaults.
pub fn summarize_answers(
    template: &Template,
    profile: &FacilityProfile,
    answers: &Answers,
) -> InspectionSummary {
    let mut summary = InspectionSummary::default();
    for area in &template.areas {
        let mut counts = AreaCounts {
            area: area.id.to_string(),
            ..AreaCounts::default()
        };
        for item in area.items.iter().filter(|i| i.applies_to.matches(profile)) {
            counts.applicable += 1;
            let (status, figure) = answers.get(item.id.as_str()).copied().unwrap_or_default();
            if matches!(item.response, ResponseKind::StatusWithNumber { .. })
                && let Some(value) = figure
            {
                summary.figures.push(ItemFigure {
                    item: item.id.to_string(),
                    value,
                });
            }
            let Some(status) = status else {
                continue;
            };
            counts.answered += 1;
            match status {
                Status::Compliant => counts.compliant += 1,
                Status::Partial => counts.partial += 1,
                Status::NonCompliant => counts.non_compliant += 1,
                Status::NotApplicable => counts.not_applicable += 1,
            }
            if matches!(status, Status::Partial | Status::NonCompliant) {
                summary.weak_items.push(item.id.to_string());
            }
        }
        summary.applicable += counts.applicable;
        summary.answered += counts.answered;
        summary.areas.push(counts);
    }
    summary
}

/// How many of `problems` still need work ([`crate::ProblemStatus::is_open`]): the summary's open problems.
pub fn count_open(problems: &[ProblemView]) -> u32 {
    problems.iter().filter(|p| p.status.is_open()).count() as u32
}
