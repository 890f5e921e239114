//! Typed Automerge documents: the [`Inspection`] a facility's staff fill in and the [`Review`] county
//! reviewers write. This is the only module that imports automerge; everything outside it sees plain Rust
//! views, typed writes that carry a [`Stamp`], and opaque bytes for storage and sync.
//!
//! Skeletons are deterministic: [`Inspection::create`] and [`Review::create`] build a genesis change that
//! every replica builds byte for byte alike, so two devices that start the same facility-year offline share
//! every object (Automerge would otherwise keep only one of two maps created concurrently under one key).

mod core;
pub(crate) mod guard;
mod inspection;
mod review;
mod stamp;
mod values;

pub use guard::{AcceptedChange, MAX_OPS_PER_CHANGE, Refusal, Touched, Writer};
pub use inspection::{
    FindingResponse, FractionPart, INSPECTION_KIND, Inspection, InspectionField, InspectionView,
    ItemView, NewPhoto, NewProblem, PhotoView, ProblemChange, ProblemField, ProblemView,
    SubmissionView,
};
pub use review::{
    CommentView, FindingView, NewFinding, REVIEW_KIND, Review, ReviewField, ReviewView, StateView,
    StepView, VerificationView,
};
pub use stamp::{Author, HistoryEntry, Op, Stamp, Timestamp};
pub use values::{
    BadValue, Date, Owner, ProblemStatus, ReviewState, Status, Submission, Verdict, days_overdue,
};

use crate::ids::{FacilityId, ItemId, ProblemId, UserId, Year};
use crate::sync::DocKind;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The schema version this build writes. Documents of an older schema are migrated on load.
pub const SCHEMA_VERSION: u64 = 1;

/// The longest text accepted in one field (a note, a problem description), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// What can go wrong reading or writing a document.
#[derive(Debug, Error)]
pub enum DocError {
    /// The bytes are not a readable Automerge document (truncated, corrupt, not Automerge at all).
    #[error("the document data is damaged or not an Automerge document: {0}")]
    Corrupt(String),
    /// The document is of another kind (a review loaded as an inspection, or a foreign document).
    #[error("expected a {expected} document, found '{found}'")]
    WrongKind {
        /// The kind asked for.
        expected: String,
        /// The kind found.
        found: String,
    },
    /// Written by a newer zhigai: this version must not touch it.
    #[error(
        "the document has schema {found}; this version of zhigai reads up to {supported}: please update the app"
    )]
    NewerSchema {
        /// The document's schema.
        found: u64,
        /// The newest this build knows.
        supported: u64,
    },
    /// A sync message that cannot be decoded or applied.
    #[error("bad sync message: {0}")]
    BadSyncMessage(String),
    /// A sync state that cannot be decoded.
    #[error("bad sync state: {0}")]
    BadSyncState(String),
    /// The inspection is pinned to a checklist this build does not know (a newer zhigai made it).
    #[error(
        "checklist {id} version {version} is unknown to this version of zhigai: please update the app"
    )]
    UnknownTemplate {
        /// The pinned template's id.
        id: String,
        /// Its version.
        version: u32,
    },
    /// The item is not in this document's template.
    #[error("item {0} is not in this checklist")]
    UnknownItem(ItemId),
    /// No problem with this id.
    #[error("problem {0} does not exist")]
    UnknownProblem(ProblemId),
    /// A note edit outside the note.
    #[error("edit at {pos} deleting {delete} characters is outside a note of {len} characters")]
    OutOfRange {
        /// Position asked for.
        pos: usize,
        /// Characters to delete.
        delete: usize,
        /// The note's length.
        len: usize,
    },
    /// A text longer than [`MAX_TEXT_CHARS`].
    #[error("{what} is longer than {max} characters")]
    TooLong {
        /// Which text.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// A required text left empty.
    #[error("{0} must not be empty")]
    Empty(&'static str),
    /// A value of the wrong kind for a field (a date given for a status).
    #[error("{value} cannot be written to {field}")]
    WrongValue {
        /// The field.
        field: String,
        /// The value offered.
        value: String,
    },
    /// Automerge refused an operation (a document whose structure was damaged by a foreign writer).
    #[error(transparent)]
    Automerge(#[from] automerge::AutomergeError),
}

/// The state of syncing one document with one peer.
#[derive(Debug, Default, Clone)]
pub struct SyncState(automerge::sync::State);

impl SyncState {
    /// A fresh state: the peer is assumed to have nothing.
    pub fn new() -> Self {
        Self::default()
    }

    /// A fresh state that tells the peer, with its next message, to forget what it believes it sent, so it
    /// sends again every change the document lacks (after the server lost unstored changes, or refused a
    /// message whose changes the peer still holds).
    pub fn reset() -> Self {
        let mut state = automerge::sync::State::new();
        state.needs_reset = true;
        Self(state)
    }

    /// Makes the next generated message go out even when automerge believes the peer knows our heads (it
    /// takes a peer that reports our heads as knowing them, though the peer may still wait to hear them).
    pub fn answer_next(&mut self) {
        self.0.last_sent_heads.clear();
    }

    /// The part worth keeping across connections (the heads both sides share).
    pub fn encode(&self) -> Vec<u8> {
        self.0.encode()
    }

    /// Restores a state saved with [`SyncState::encode`].
    ///
    /// # Errors
    /// [`DocError::BadSyncState`] for bytes that are not an encoded sync state.
    pub fn decode(bytes: &[u8]) -> Result<Self, DocError> {
        automerge::sync::State::decode(bytes)
            .map(Self)
            .map_err(|e| DocError::BadSyncState(e.to_string()))
    }
}

/// A value written to a field, as shown in a conflict and chosen to resolve one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    /// No value (a cleared field).
    None,
    /// An item status.
    Status(Status),
    /// A figure.
    Number(f64),
    /// A text.
    Text(String),
    /// A date.
    Date(Date),
    /// A problem's owner.
    Owner(Owner),
    /// A problem's linked item.
    Item(ItemId),
    /// A problem's status.
    ProblemStatus(ProblemStatus),
    /// The submission state.
    Submission(Submission),
    /// The review state.
    ReviewState(ReviewState),
    /// A verification verdict.
    Verdict(Verdict),
}

impl FieldValue {
    /// The value as Chinese text for a conflict banner.
    pub fn label_zh(&self) -> String {
        match self {
            Self::None => "（空）".to_owned(),
            Self::Status(s) => s.label_zh().to_owned(),
            Self::Number(n) => n.to_string(),
            Self::Text(t) => t.clone(),
            Self::Date(d) => d.to_string(),
            Self::Owner(o) => o.name.clone(),
            Self::Item(i) => i.to_string(),
            Self::ProblemStatus(s) => s.label_zh().to_owned(),
            Self::Submission(s) => s.label_zh().to_owned(),
            Self::ReviewState(s) => s.label_zh().to_owned(),
            Self::Verdict(v) => v.label_zh().to_owned(),
        }
    }
}

/// One of the values standing in a conflict, with who wrote it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value.
    pub value: FieldValue,
    /// Who wrote it (absent for changes not written by zhigai).
    pub author: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// A field that concurrent writes left with several values. Automerge shows one (the same on every replica)
/// and keeps the others; a person settles it with `resolve`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Conflict<F> {
    /// Which field.
    pub field: F,
    /// Every value standing, the one currently shown first.
    pub values: Vec<ConflictValue>,
}

fn check_text(what: &'static str, text: &str, required: bool) -> Result<(), DocError> {
    if required && text.trim().is_empty() {
        return Err(DocError::Empty(what));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(DocError::TooLong {
            what,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(())
}

/// A step from one schema version to the next. Migrations may only put scalars or edit objects that
/// already exist: objects created by two replicas migrating concurrently would compete under one key.
pub(crate) struct Migration {
    pub(crate) to: u64,
    pub(crate) apply: fn(&mut automerge::transaction::Transaction<'_>) -> Result<(), DocError>,
}

/// Brings a loaded document up to `current` with `steps`, refusing one newer than this build.
pub(crate) fn migrate(
    core: &mut core::DocCore,
    steps: &[Migration],
    current: u64,
) -> Result<bool, DocError> {
    use automerge::transaction::Transactable;
    let Some(found) = core.schema() else {
        return Ok(false);
    };
    if found > current {
        return Err(DocError::NewerSchema {
            found,
            supported: current,
        });
    }
    let mut changed = false;
    for step in steps.iter().filter(|s| s.to > found && s.to <= current) {
        let stamp = Stamp::new(Author::new("zhigai", "zhigai"), Timestamp(0));
        let to = step.to;
        core.write(
            &stamp,
            Op::Migrate,
            stamp::Target::none(),
            Some(&to.to_string()),
            |tx| {
                (step.apply)(tx)?;
                tx.put(automerge::ROOT, core::SCHEMA_KEY, to)?;
                Ok(())
            },
        )?;
        changed = true;
    }
    Ok(changed)
}

/// A typed document of either kind ([`Inspection`], [`Review`]): how it starts, loads, stores, merges and
/// syncs, and how a peer's changes to it are checked. The server's hub, the sync client and the app are
/// generic over it; the kinds differ only in their schema, their write rule and their reads and writes.
pub trait Document: sealed::Typed + Sized {
    /// Which kind of document this is.
    const KIND: DocKind;

    /// The deterministic skeleton for `facility` and `year`: the same genesis on every replica.
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    fn genesis(facility: &FacilityId, year: Year) -> Result<Self, DocError>;

    /// Loads a saved document (snapshot, optionally followed by chunks) and migrates it.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] for damaged bytes, [`DocError::WrongKind`] for another kind of document,
    /// [`DocError::NewerSchema`] for one written by a newer zhigai.
    fn load(bytes: &[u8]) -> Result<Self, DocError>;

    /// A document with no changes, to be filled by sync.
    fn empty() -> Self {
        Self::from_core(core::DocCore::empty())
    }

    /// An independent copy (with its own actor) to try changes on.
    fn fork(&self) -> Self {
        Self::from_core(self.core().fork())
    }

    /// Everything, compacted: the snapshot to store.
    fn save(&mut self) -> Vec<u8> {
        self.core_mut().save()
    }

    /// The changes since the last save or incremental save: a small chunk to append to storage.
    fn save_incremental(&mut self) -> Vec<u8> {
        self.core_mut().save_incremental()
    }

    /// Adds a chunk written by [`Self::save_incremental`] (or a whole save) to this document.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] for damaged bytes, [`DocError::WrongKind`] for another kind's data.
    fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocError> {
        self.core_mut().load_incremental(bytes, Self::NAME)
    }

    /// Takes in every change `other` has that this document lacks.
    ///
    /// # Errors
    /// [`DocError::Automerge`] if the two documents cannot be merged.
    fn merge(&mut self, other: &mut Self) -> Result<(), DocError> {
        self.core_mut().merge(other.core_mut())
    }

    /// The current heads (hex change hashes): what a reviewer approves, what a peer has.
    fn heads(&self) -> Vec<String> {
        self.core().heads()
    }

    /// How many changes the document holds.
    fn change_count(&self) -> usize {
        self.core().change_count()
    }

    /// Whether the document holds the change with this hash.
    fn has_change(&self, hash: &[u8; 32]) -> bool {
        self.core().has_change(hash)
    }

    /// Checks the changes after `since` (the heads before a peer's message was applied) against the
    /// connected writer: stamps, fields, head-only acts, text lengths, change size.
    ///
    /// # Errors
    /// The first [`Refusal`] met.
    fn check_changes_since(
        &self,
        since: &[String],
        writer: &Writer,
    ) -> Result<Vec<AcceptedChange>, Refusal> {
        self.core().check_changes_since(since, writer, Self::RULE)
    }

    /// [`Self::check_changes_since`] for the changes in `chunks` (whole uncompressed change chunks, as
    /// [`crate::sync::guard::ChangeInfo::chunk`] keeps them): the caller knows these are exactly the
    /// changes a message added, and the check need not read them out of the document's history.
    ///
    /// # Errors
    /// The first [`Refusal`] met.
    fn check_chunks<'a>(
        &self,
        chunks: impl IntoIterator<Item = &'a [u8]>,
        writer: &Writer,
    ) -> Result<Vec<AcceptedChange>, Refusal> {
        self.core().check_chunks(chunks, writer, Self::RULE)
    }

    /// Returns the document to `heads`, dropping every change after them.
    ///
    /// # Errors
    /// [`DocError::Automerge`] if a head is not in the document.
    fn rollback(&mut self, heads: &[String]) -> Result<(), DocError> {
        self.core_mut().rollback(heads)
    }

    /// The account that stamped the first change written with `actor`, if there is one.
    fn first_author_of(&self, actor: &[u8]) -> Option<UserId> {
        self.core().first_author_of(actor)
    }

    /// Sets this device's actor id (16 bytes kept by the device, so its changes have one origin).
    fn set_actor(&mut self, actor: &[u8]) {
        self.core_mut().set_actor(actor);
    }

    /// This device's actor id.
    fn actor(&self) -> Vec<u8> {
        self.core().actor()
    }

    /// The document's schema version, if it has one yet.
    fn schema(&self) -> Option<u64> {
        self.core().schema()
    }

    /// The next sync message for a peer, or `None` when the peer is known to be up to date.
    fn generate_sync_message(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.core().generate_sync_message(state)
    }

    /// Applies a sync message from a peer.
    ///
    /// # Errors
    /// [`DocError::BadSyncMessage`] for bytes that are not a valid sync message or carry changes that
    /// cannot be applied; the document is unchanged then.
    fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<(), DocError> {
        self.core_mut().receive_sync_message(state, bytes)
    }

    /// Whether the peer is known to hold every change this document holds.
    fn peer_has_all(&self, state: &SyncState) -> bool {
        self.core().peer_has_all(state)
    }

    /// How many changes this document holds that the peer is not known to have: what a device shows as
    /// "not yet synced".
    fn unsynced_changes(&self, state: &SyncState) -> usize {
        self.core().unsynced_changes(state)
    }
}

/// The part of [`Document`] only this module implements: the Automerge core and the kind's write rule.
pub(crate) mod sealed {
    use super::core::DocCore;
    use super::guard::FieldRule;

    /// A document kind built on a [`DocCore`].
    pub trait Typed {
        /// The kind's name inside the document (`zhigai.inspection`).
        const NAME: &'static str;
        /// Where writers may write.
        const RULE: FieldRule;
        /// The core.
        fn core(&self) -> &DocCore;
        /// The core, to change.
        fn core_mut(&mut self) -> &mut DocCore;
        /// Wraps a core.
        fn from_core(core: DocCore) -> Self;
    }
}

/// Implements [`sealed::Typed`] for a document struct with a `core` field.
macro_rules! typed_document {
    ($doc:ident, $name:expr, $rule:expr) => {
        impl $crate::doc::sealed::Typed for $doc {
            const NAME: &'static str = $name;
            const RULE: $crate::doc::guard::FieldRule = $rule;
            fn core(&self) -> &$crate::doc::core::DocCore {
                &self.core
            }
            fn core_mut(&mut self) -> &mut $crate::doc::core::DocCore {
                &mut self.core
            }
            fn from_core(core: $crate::doc::core::DocCore) -> Self {
                Self { core }
            }
        }
    };
}
pub(crate) use typed_document;

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;

    fn add_flag(tx: &mut automerge::transaction::Transaction<'_>) -> Result<(), DocError> {
        tx.put(automerge::ROOT, "migrated", true)?;
        Ok(())
    }

    #[test]
    fn an_older_document_is_migrated_step_by_step_and_the_step_is_in_its_history() {
        let mut core = core::DocCore::genesis(INSPECTION_KIND, 1, |_| Ok(())).unwrap();
        let steps = [Migration {
            to: 2,
            apply: add_flag,
        }];
        assert!(migrate(&mut core, &steps, 2).unwrap());
        assert_eq!(core.schema(), Some(2));
        assert!(core.get_bool(&automerge::ROOT, "migrated"));
        let history = core.history(|n| n.op() == Op::Migrate);
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].value.as_deref(), Some("2"));
        // Already current: nothing more to do.
        assert!(!migrate(&mut core, &steps, 2).unwrap());
    }

    #[test]
    fn a_document_from_a_newer_zhigai_is_refused_untouched() {
        let mut core =
            core::DocCore::genesis(INSPECTION_KIND, SCHEMA_VERSION + 1, |_| Ok(())).unwrap();
        let bytes = core.save();
        let err = Inspection::load(&bytes).unwrap_err();
        assert!(matches!(err, DocError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 1));
        assert!(err.to_string().contains("update"));
    }
}
