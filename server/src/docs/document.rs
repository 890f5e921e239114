//! What a document's changes mean for the rows the dashboard reads: the server's one addition to the
//! shared [`Document`] trait, so the hub, the demo data and the tools handle either kind generically.

use crate::db::{
    DerivedRows, Facility, FindingRow, InspectionRows, PhotoRefRow, ProblemRow, ReviewRows,
};
use zhigai_shared::summary::{Answers, summarize_from};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{DocError, Document, FacilityId, Inspection, Review, Template, Touched, Year};

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

impl Stored for Inspection {
    /// Every item's status and figure.
    type Memo = Answers;

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
        memo: &mut Answers,
        touched: &Touched,
    ) -> DerivedRows {
        self.refresh_answers(memo, touched);
        // A checklist this build does not know has no counts here; its problems still list.
        let summary = self
            .checklist()
            .map(|template| summarize_from(self, template, &facility.profile(), memo))
            .unwrap_or_default();
        let problems = self.problems().iter().map(ProblemRow::from).collect();
        let responses = self
            .responses()
            .into_iter()
            .map(|(id, r)| (id, r.owner.map(|o| o.name), r.status, r.measure))
            .collect();
        DerivedRows::Inspection(InspectionRows {
            summary,
            problems,
            responses,
            template: self
                .template()
                .map(|(id, version)| TemplateRef { id, version }),
            photos: self
                .photos()
                .into_iter()
                .map(|p| PhotoRefRow {
                    photo_id: p.id.to_string(),
                    hash: p.hash,
                    subject: p.subject.code(),
                })
                .collect(),
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
