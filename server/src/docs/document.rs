//! One open document of either kind, with what its changes mean for the summary rows.

use crate::db::{DerivedRows, Facility, InspectionRows, ProblemRow};
use zhigai_shared::summary::summarize;
use zhigai_shared::sync::DocKind;
use zhigai_shared::{
    AcceptedChange, DocError, Inspection, Refusal, Review, SyncDoc, SyncState, Template, UserId,
    Writer, Year,
};

/// An inspection or a review.
pub enum Doc {
    /// A facility's self-inspection.
    Inspection(Inspection),
    /// The county's review.
    Review(Review),
}

impl Doc {
    /// The deterministic skeleton of `kind` for `facility` and `year`: the same genesis every device builds.
    ///
    /// # Errors
    /// Only if Automerge fails.
    pub fn genesis(kind: DocKind, facility: &Facility, year: Year) -> Result<Self, DocError> {
        Ok(match kind {
            DocKind::Inspection => Doc::Inspection(Inspection::create(
                &facility.id,
                year,
                Template::national(),
            )?),
            DocKind::Review => Doc::Review(Review::create(&facility.id, year)?),
        })
    }

    /// Loads stored parts (snapshot then chunks).
    ///
    /// # Errors
    /// [`DocError`] for damaged data.
    pub fn load(kind: DocKind, parts: &[Vec<u8>]) -> Result<Self, DocError> {
        let mut bytes = Vec::new();
        for part in parts {
            bytes.extend_from_slice(part);
        }
        Ok(match kind {
            DocKind::Inspection => Doc::Inspection(Inspection::load(&bytes)?),
            DocKind::Review => Doc::Review(Review::load(&bytes)?),
        })
    }

    /// The inspection, if this is one.
    pub fn as_inspection(&self) -> Option<&Inspection> {
        match self {
            Doc::Inspection(d) => Some(d),
            Doc::Review(_) => None,
        }
    }

    /// The review, if this is one.
    pub fn as_review(&self) -> Option<&Review> {
        match self {
            Doc::Review(d) => Some(d),
            Doc::Inspection(_) => None,
        }
    }

    /// Whether the document holds the change with this hash.
    pub fn has_change(&self, hash: &[u8; 32]) -> bool {
        match self {
            Doc::Inspection(d) => d.has_change(hash),
            Doc::Review(d) => d.has_change(hash),
        }
    }

    /// Checks the changes after `since` against the connected writer.
    ///
    /// # Errors
    /// The first [`Refusal`] met.
    pub fn check_changes_since(
        &self,
        since: &[String],
        writer: &Writer,
    ) -> Result<Vec<AcceptedChange>, Refusal> {
        match self {
            Doc::Inspection(d) => d.check_changes_since(since, writer),
            Doc::Review(d) => d.check_changes_since(since, writer),
        }
    }

    /// Returns the document to `heads`.
    ///
    /// # Errors
    /// [`DocError`] if a head is unknown.
    pub fn rollback(&mut self, heads: &[String]) -> Result<(), DocError> {
        match self {
            Doc::Inspection(d) => d.rollback(heads),
            Doc::Review(d) => d.rollback(heads),
        }
    }

    /// Who first wrote with `actor` in this document.
    pub fn first_author_of(&self, actor: &[u8]) -> Option<UserId> {
        match self {
            Doc::Inspection(d) => d.first_author_of(actor),
            Doc::Review(d) => d.first_author_of(actor),
        }
    }

    /// The heads.
    pub fn heads(&self) -> Vec<String> {
        match self {
            Doc::Inspection(d) => d.heads(),
            Doc::Review(d) => d.heads(),
        }
    }

    /// The changes since the last save, as a chunk.
    pub fn save_incremental(&mut self) -> Vec<u8> {
        match self {
            Doc::Inspection(d) => d.save_incremental(),
            Doc::Review(d) => d.save_incremental(),
        }
    }

    /// Everything, compacted.
    pub fn save(&mut self) -> Vec<u8> {
        match self {
            Doc::Inspection(d) => d.save(),
            Doc::Review(d) => d.save(),
        }
    }

    /// The rows the dashboard reads, for this document's current state.
    pub fn derived(&self, facility: &Facility) -> DerivedRows {
        match self {
            Doc::Inspection(d) => {
                let template = d
                    .template()
                    .and_then(|(id, version)| Template::find(id.as_str(), version))
                    .unwrap_or_else(|| Template::national());
                let summary = summarize(d, template, &facility.profile());
                let problems = d
                    .problems()
                    .iter()
                    .map(|p| ProblemRow {
                        problem_id: p.id.to_string(),
                        item_id: p.item.as_ref().map(ToString::to_string),
                        description: p.description.clone(),
                        owner_name: p.owner.as_ref().map(|o| o.name.clone()),
                        deadline: p.deadline.map(|d| d.to_string()),
                        status: p.status.code().to_owned(),
                        measure: p.measure.clone(),
                    })
                    .collect();
                DerivedRows::Inspection(InspectionRows { summary, problems })
            }
            Doc::Review(d) => DerivedRows::Review(d.state().state.code().to_owned()),
        }
    }
}

impl SyncDoc for Doc {
    fn generate_sync_message(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        match self {
            Doc::Inspection(d) => d.generate_sync_message(state),
            Doc::Review(d) => d.generate_sync_message(state),
        }
    }

    fn receive_sync_message(&mut self, state: &mut SyncState, data: &[u8]) -> Result<(), DocError> {
        match self {
            Doc::Inspection(d) => d.receive_sync_message(state, data),
            Doc::Review(d) => d.receive_sync_message(state, data),
        }
    }

    fn peer_has_all(&self, state: &SyncState) -> bool {
        match self {
            Doc::Inspection(d) => d.peer_has_all(state),
            Doc::Review(d) => d.peer_has_all(state),
        }
    }

    fn unsynced_changes(&self, state: &SyncState) -> usize {
        match self {
            Doc::Inspection(d) => d.unsynced_changes(state),
            Doc::Review(d) => d.unsynced_changes(state),
        }
    }
}
