//! What a document's changes mean for the rows the dashboard reads: the server's one addition to the
//! shared [`Document`] trait, so the hub, the demo data and the tools handle either kind generically.

use crate::db::{
    DerivedRows, Facility, FindingRow, InspectionRows, PhotoRefRow, ProblemRow, ReviewRows,
};
use zhigai_shared::summary::{Answers, InspectionSummary, count_open, summarize_answers};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{
    DocError, Document, FacilityId, Inspection, ProblemId, ProblemStatus, Review, Submission,
    Template, Touched, Year,
};

/// A document kind the server stores, with the rows its state derives.
pub trait Stored: Document + Send + 'static {
    /// What the rows need that is costly to read from the document, kept between commits.
    type Memo: Default + Send;

    /// The rows the dashboard reads, for this document's current state.
    fn derived(&self, facility: &Facility) -> DerivedRows {
        self.derived_since(facility, &mut Self::Memo::default(), &Touched::everything())
    }

    /// [`Self::derived`], rereading only what changes since the last call wrote (`memo` holds the rest).
    fn derived_since(
        &self,
        facility: &Facility,
        memo: &mut Self::Memo,
        touched: &Touched,
    ) -> DerivedRows;

    /// Loads stored parts (a snapshot, then chunks).
    ///
    /// # Errors
    /// [`DocError`] for damaged data.
    fn load_parts(parts: &[Vec<u8>]) -> Result<Self, DocError> {
        Self::load(&parts.concat())
    }

    /// Whether the document's skeleton depends on the facility-year's checklist version.
    const PINNED: bool = false;

    /// The skeleton of a document never stored, on `pin` where the kind is [`Self::PINNED`].
    ///
    /// # Errors
    /// [`DocError`] if Automerge fails to build it.
    fn skeleton(
        facility: &FacilityId,
        year: Year,
        _pin: Option<&Template>,
    ) -> Result<Self, DocError> {
        Self::genesis(facility, year)
    }
}

/// What the rows of an inspection need between commits: every item's answer, and what lies outside the
/// items, which only a write outside the items changes (most commits write items alone).
#[derive(Default)]
pub struct InspectionMemo {
    answers: Answers,
    outside: Option<Outside>,
}

/// The rows' part read from outside the items.
struct Outside {
    checklist: Option<&'static Template>,
    open_problems: u32,
    submitted: bool,
    problems: Vec<ProblemRow>,
    responses: Vec<(ProblemId, Option<String>, ProblemStatus, String)>,
    template: Option<TemplateRef>,
    photos: Vec<PhotoRefRow>,
}

impl Outside {
    fn read(doc: &Inspection) -> Self {
        let problems = doc.problems();
        Self {
            // A checklist this build does not know has no counts; its problems still list.
            checklist: doc.checklist().ok(),
            open_problems: count_open(&problems),
            submitted: doc.submission().state == Submission::Submitted,
            problems: problems.iter().map(ProblemRow::from).collect(),
            responses: doc
                .responses()
                .into_iter()
                .map(|(id, r)| (id, r.owner.map(|o| o.name), r.status, r.measure))
                .collect(),
            template: doc
                .template()
                .map(|(id, version)| TemplateRef { id, version }),
            photos: doc
                .photos()
                .into_iter()
                .map(|p| PhotoRefRow {
                    photo_id: p.id.to_string(),
                    hash: p.hash,
                    subject: p.subject.code(),
                })
                .collect(),
        }
    }
}

impl Stored for Inspection {
    type Memo = InspectionMemo;

    const PINNED: bool = true;

    fn skeleton(
        facility: &FacilityId,
        year: Year,
        pin: Option<&Template>,
    ) -> Result<Self, DocError> {
        match pin {
            Some(template) => Inspection::create(facility, year, template),
            None => Self::genesis(facility, year),
        }
    }

    fn derived_since(
        &self,
        facility: &Facility,
        memo: &mut InspectionMemo,
        touched: &Touched,
    ) -> DerivedRows {
        self.refresh_answers(&mut memo.answers, touched);
        if touched.other {
            memo.outside = None;
        }
        let outside = memo.outside.get_or_insert_with(|| Outside::read(self));
        let summary = outside
            .checklist
            .map(|template| InspectionSummary {
                open_problems: outside.open_problems,
                submitted: outside.submitted,
                last_edit_at: self.last_edit_at().map(|t| t.0),
                ..summarize_answers(template, &facility.profile(), &memo.answers)
            })
            .unwrap_or_default();
        DerivedRows::Inspection(InspectionRows {
            summary,
            problems: outside.problems.clone(),
            responses: outside.responses.clone(),
            template: outside.template.clone(),
            photos: outside.photos.clone(),
        })
    }
}

impl Stored for Review {
    type Memo = ();

    fn derived_since(&self, _facility: &Facility, (): &mut (), _: &Touched) -> DerivedRows {
        DerivedRows::Review(ReviewRows {
            state: self.state().state,
            verdicts: self
                .verifications()
                .into_iter()
                .map(|(problem, v)| (problem, v.verdict))
                .collect(),
            findings: self
                .findings()
                .into_iter()
                .map(|f| FindingRow {
                    id: f.id,
                    item_id: f.item,
                    description: f.description,
                    deadline: f.deadline,
                    level: f.level,
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zhigai_shared::{Author, FacilityType, ItemId, NewProblem, Stamp, Status, Timestamp};

    fn stamp(at: i64) -> Stamp {
        Stamp::new(Author::new("u-wang", "王医生"), Timestamp(at))
    }

    /// The rows kept between commits (answers and what lies outside the items) are the rows read afresh,
    /// through a write outside the items and then a write of one item alone.
    #[test]
    fn rows_kept_between_commits_are_the_rows_read_afresh() {
        let facility = Facility {
            id: FacilityId::new("f-memo"),
            county_id: "c".into(),
            community_id: None,
            name: "石桥卫生院".into(),
            facility_type: FacilityType::Township,
            open_beds: 20,
            services: vec![],
            guided_by: None,
        };
        let year = crate::clock::document_years()[0];
        let mut doc = Inspection::create(&facility.id, year, Template::current()).unwrap();
        let mut memo = InspectionMemo::default();
        let first = doc.derived_since(&facility, &mut memo, &Touched::everything());
        assert_eq!(first, doc.derived(&facility));

        doc.add_problem(
            NewProblem {
                description: "处方点评记录不全".into(),
                ..NewProblem::default()
            },
            &stamp(1),
        )
        .unwrap();
        let outside = Touched {
            items: Default::default(),
            other: true,
        };
        assert_eq!(
            doc.derived_since(&facility, &mut memo, &outside),
            doc.derived(&facility)
        );

        let item: ItemId = Template::current()
            .items()
            .find(|i| i.applies_to.matches(&facility.profile()))
            .map(|i| i.id.clone())
            .unwrap();
        doc.set_status(&item, Some(Status::NonCompliant), &stamp(2))
            .unwrap();
        let one_item = Touched {
            items: [item.to_string()].into(),
            other: false,
        };
        let rows = doc.derived_since(&facility, &mut memo, &one_item);
        assert_eq!(rows, doc.derived(&facility));
        let DerivedRows::Inspection(rows) = rows else {
            panic!("an inspection's rows");
        };
        assert_eq!(rows.problems.len(), 1, "the problem is still listed");
        assert_eq!(rows.summary.open_problems, 1);
        assert_eq!(rows.summary.weak_items, vec![item.to_string()]);
        assert_eq!(rows.summary.last_edit_at, Some(2));
    }
}
