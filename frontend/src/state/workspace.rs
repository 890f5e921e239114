//! One facility-year open on the device, as a pure state machine: its inspection and review documents, the
//! sync session with the server, the connection and what the user must be told. [`WorkspaceState::reduce`]
//! takes an [`Action`] (an edit, a socket frame, a finished write, a clock tick) and returns the
//! [`Effect`]s for the services to carry out (store a chunk, send messages, reconnect). No I/O happens here,
//! so the whole offline-first behaviour is tested natively (see the tests below).

use crate::i18n::Msg;
use crate::state::session::SavedSession;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use zhigai_shared::PhotoId;
use zhigai_shared::access::Level;
use zhigai_shared::access::Rights;
use zhigai_shared::api::User;
use zhigai_shared::carry::{ListedProblem, YearDocs, carries_over, findings_of, problem_list};
use zhigai_shared::doc::{
    Author, DocError, Document, FieldValue, HistoryEntry, Inspection, InspectionField, NewFinding,
    NewProblem, ProblemChange, ProblemView, Review, ReviewField, ReviewState, Stamp, Submission,
    SyncState, Timestamp, Verdict,
};
use zhigai_shared::doc::{NewPhoto, PhotoView};
use zhigai_shared::photo::PhotoSubject;
use zhigai_shared::sync::{ClientEvent, DocKind, DocumentId, RepoClient, RepoMessage, decode};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{
    FacilityId, FacilityProfile, FractionPart, ItemId, ProblemId, Status, Template, Year,
};

/// Chunks beyond which loading compacts a document into one snapshot.
pub const COMPACT_AFTER: usize = 32;

/// Changes sent this long ago (ms) with nothing heard from the server since: reconnect.
pub const STALL_MS: i64 = 5_000;

/// The connection to the server as the status line shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net {
    /// No connection (offline, or the server cannot be reached); edits stay on the device.
    Offline,
    /// Connecting or exchanging changes.
    Connecting,
    /// Connected.
    Online,
    /// The session is no longer valid: log in again (nothing on the device is lost).
    SessionExpired,
}

/// What the device holds of one document, as the store reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredDoc {
    /// The last compacted snapshot.
    pub snapshot: Option<Vec<u8>>,
    /// Incremental chunks written since, with their keys, oldest first.
    pub chunks: Vec<(String, Vec<u8>)>,
    /// The sync state kept for the server.
    pub sync_state: Option<Vec<u8>>,
}

/// A user's change, as the pages ask for it.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// An item's status.
    SetStatus(ItemId, Option<Status>),
    /// An item's note (the whole new text).
    SetNote(ItemId, String),
    /// An item's figure.
    SetMetric(ItemId, Option<f64>),
    /// A rate's numerator or denominator.
    SetFraction(ItemId, FractionPart, Option<f64>),
    /// Records a problem.
    AddProblem(NewProblem),
    /// Changes one field of a problem.
    UpdateProblem(ProblemId, ProblemChange),
    /// Deletes a problem.
    DeleteProblem(ProblemId),
    /// Submits the inspection (the head).
    Submit,
    /// Withdraws the submission (the head).
    Withdraw,
    /// Keeps one value of a conflicting inspection field.
    Resolve(InspectionField, FieldValue),
    /// A reviewer's comment on an item.
    Comment(ItemId, String),
    /// A reviewer's verdict on a rectified problem.
    Verify(ProblemId, Verdict),
    /// The county returns the inspection for changes, with a reason.
    ReturnForChanges(String),
    /// The county approves the inspection as it stands.
    Approve,
    /// The medical community's first step passes the inspection on to the county.
    PassOn,
    /// A reviewer's finding from a check (核查).
    AddFinding(NewFinding),
    /// A finding recorded by mistake, withdrawn.
    WithdrawFinding(ProblemId),
    /// The medical community's first step returns the inspection, with a reason.
    ReturnFirst(String),
    /// Keeps one value of a conflicting review field.
    ResolveReview(ReviewField, FieldValue),
    /// Attaches a photo (its bytes already on the device) to an item or a problem.
    AddPhoto(PhotoSubject, NewPhoto),
    /// Changes a photo's caption.
    CaptionPhoto(PhotoId, String),
    /// Takes a photo off.
    RemovePhoto(PhotoId),
}

impl Edit {
    fn document(&self) -> DocKind {
        match self {
            Edit::Comment(..)
            | Edit::Verify(..)
            | Edit::ReturnForChanges(_)
            | Edit::Approve
            | Edit::PassOn
            | Edit::ReturnFirst(_)
            | Edit::AddFinding(_)
            | Edit::WithdrawFinding(_)
            | Edit::ResolveReview(..) => DocKind::Review,
            _ => DocKind::Inspection,
        }
    }

    /// The right a review edit needs (`None` for inspection edits).
    fn review_right(&self) -> Option<Rights> {
        match self {
            Edit::Comment(..) => Some(Rights::COMMENT),
            Edit::AddFinding(_) | Edit::WithdrawFinding(_) => Some(Rights::FINDING),
            Edit::Verify(..) => Some(Rights::VERIFY),
            Edit::ReturnForChanges(_) | Edit::Approve => Some(Rights::FINAL_STEP),
            Edit::PassOn | Edit::ReturnFirst(_) => Some(Rights::FIRST_STEP),
            // Settling a conflict on the review state is a decision of a step; a verdict's, a verifier's.
            Edit::ResolveReview(ReviewField::State, _) => Some(Rights::FINAL_STEP),
            Edit::ResolveReview(ReviewField::Verification { .. }, _) => Some(Rights::VERIFY),
            _ => None,
        }
    }

    /// Submitting and withdrawing stay possible once the content is locked for review.
    fn is_submission(&self) -> bool {
        matches!(self, Edit::Submit | Edit::Withdraw)
    }
}

/// Why an edit was not made.
#[derive(Debug)]
pub enum UiError {
    /// The user may not change this now (another role, submitted, refused by the server, not loaded).
    ReadOnly,
    /// The document refused the value (an empty description, a text too long).
    Refused(DocError),
}

impl UiError {
    /// The message for the user.
    pub fn msg(&self) -> Msg {
        match self {
            UiError::ReadOnly => Msg::ReadOnlyRole,
            UiError::Refused(DocError::Empty(_)) => Msg::DescriptionRequired,
            UiError::Refused(_) => Msg::EditRefused,
        }
    }

    /// The detail, for the muted part of a banner.
    pub fn detail(&self) -> String {
        match self {
            UiError::ReadOnly => String::new(),
            UiError::Refused(e) => e.to_string(),
        }
    }
}

/// Something that happened to the workspace.
#[derive(Debug)]
pub enum Action {
    /// The device's copies of the documents were read (or could not be), by storage key
    /// ([`WorkspaceState::storage_keys`]).
    Loaded {
        /// Each document as stored, or why it could not be read.
        docs: Vec<(String, Result<StoredDoc, String>)>,
        /// This device's actor id for the user.
        actor: Vec<u8>,
    },
    /// The device has no usable storage: the app runs online only.
    StorageUnavailable {
        /// Why.
        why: String,
        /// This device's actor id for the user.
        actor: Vec<u8>,
    },
    /// The user changed something, at this time (ms).
    Edit(Edit, i64),
    /// A socket to the server opened, at this time.
    SocketOpened(i64),
    /// A frame arrived from the server, at this time.
    Frame(Vec<u8>, i64),
    /// The socket closed.
    SocketClosed,
    /// The server no longer accepts the session.
    SessionExpired,
    /// A second passed (the stall check).
    Tick(i64),
    /// A write to the device's storage finished.
    Stored(Result<(), String>),
}

/// What the services must do.
#[derive(Debug, PartialEq)]
pub enum Effect {
    /// Append `chunk` to document `key` in storage, then keep `sync` as its sync state.
    Persist {
        /// The document's storage key.
        key: String,
        /// The changes since the last write.
        chunk: Vec<u8>,
        /// The sync state to keep, if there is one.
        sync: Option<Vec<u8>>,
    },
    /// Replace the stored chunks of `key` up to `upto` with `snapshot`.
    Compact {
        /// The document's storage key.
        key: String,
        /// The whole document.
        snapshot: Vec<u8>,
        /// The last chunk folded into it.
        upto: String,
    },
    /// Send these messages to the server.
    Send(Vec<RepoMessage>),
    /// Close the socket and connect again.
    Reconnect,
}

/// One year's documents of the facility.
pub struct YearState {
    year: Year,
    writable: bool,
    review_rights: Rights,
    inspection: Inspection,
    review: Review,
    inspection_id: DocumentId,
    review_id: DocumentId,
    /// The checklist version the server pinned the year's inspection to, if it has said.
    pin: Option<TemplateRef>,
}

/// The inspection's skeleton on the year's pinned checklist, as the server builds it, so both start from
/// one genesis; without a pin (or with one this device cannot read), the newest national checklist.
fn inspection_skeleton(
    facility: &FacilityId,
    year: Year,
    pin: Option<&TemplateRef>,
) -> Result<Inspection, DocError> {
    match pin.and_then(|p| Template::find(p.id.as_str(), p.version)) {
        Some(template) => Inspection::create(facility, year, template),
        None => Inspection::genesis(facility, year),
    }
}

impl YearState {
    fn new(
        facility: &FacilityId,
        year: Year,
        writable: bool,
        review_rights: Rights,
        pin: Option<TemplateRef>,
    ) -> Result<Self, DocError> {
        Ok(Self {
            year,
            writable,
            review_rights,
            inspection: inspection_skeleton(facility, year, pin.as_ref())?,
            pin,
            review: Review::genesis(facility, year)?,
            inspection_id: DocumentId::for_doc(DocKind::Inspection, facility, year),
            review_id: DocumentId::for_doc(DocKind::Review, facility, year),
        })
    }

    /// The year.
    pub fn year(&self) -> Year {
        self.year
    }

    /// Its inspection.
    pub fn inspection(&self) -> &Inspection {
        &self.inspection
    }

    /// A reviewer's finding of this year as a problem, with the level that found it.
    fn finding(&self, id: &ProblemId) -> Option<(ProblemView, Level)> {
        self.review.finding(id)?;
        findings_of(&self.inspection, &self.review)
            .into_iter()
            .find(|(p, _)| &p.id == id)
    }

    fn as_docs(&self) -> YearDocs<'_> {
        YearDocs {
            year: self.year,
            inspection: &self.inspection,
            review: &self.review,
        }
    }
}

/// One facility-year on the device, with the facility's earlier years: their open problems carry over,
/// last year's answers show beside this year's, and all of them stay on the device for offline use.
pub struct WorkspaceState {
    facility_id: FacilityId,
    facility_name: Option<String>,
    profile: Option<FacilityProfile>,
    user: User,
    staff: Vec<User>,
    /// Ascending by year; the last is the year shown.
    years: Vec<YearState>,
    client: RepoClient,
    net: Net,
    loaded: bool,
    refused: bool,
    storage: bool,
    error: Option<(Msg, String)>,
    pending_writes: u32,
    /// When the oldest message not yet answered by any frame was sent.
    awaiting_since: Option<i64>,
    /// The latest change per item and problem, computed once per document change (one pass over the log).
    last_changes: OnceCell<BTreeMap<String, HistoryEntry>>,
}

impl WorkspaceState {
    /// A workspace for `facility` in `year` for the session's user on a device whose actor is `actor`,
    /// with every earlier year the user's directory lists for the facility; the documents arrive with
    /// [`Action::Loaded`].
    ///
    /// # Errors
    /// Only if Automerge fails to build the starting documents.
    pub fn new(
        session: &SavedSession,
        facility: &str,
        year: Year,
        device: &str,
    ) -> Result<Self, DocError> {
        let facility_id = FacilityId::from(facility);
        let entry = session.facility(facility);
        session.register_templates();
        let mut listed: Vec<(Year, bool, Rights, Option<TemplateRef>)> = entry
            .map(|e| {
                e.documents
                    .iter()
                    .filter(|d| d.year <= year)
                    .map(|d| {
                        (
                            d.year,
                            d.inspection.writable,
                            d.review.rights,
                            d.template.clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if !listed.iter().any(|(y, ..)| *y == year) {
            listed.push((year, false, Rights::NONE, None));
        }
        listed.sort_by_key(|(y, ..)| *y);
        let years = listed
            .into_iter()
            .map(|(y, w, rw, pin)| YearState::new(&facility_id, y, w, rw, pin))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            facility_name: entry.map(|e| e.facility.name.clone()),
            profile: entry.map(|e| e.facility.profile()),
            user: session.user.clone(),
            staff: session.staff_of(facility).to_vec(),
            years,
            facility_id,
            client: RepoClient::new(format!("zhigai-app-{device}")),
            net: Net::Offline,
            loaded: false,
            refused: false,
            storage: false,
            error: None,
            pending_writes: 0,
            awaiting_since: None,
            last_changes: OnceCell::new(),
        })
    }

    fn cur(&self) -> &YearState {
        self.years.last().expect("a workspace has its year")
    }

    /// The year before the one shown, when the device has it.
    pub fn last_year(&self) -> Option<&YearState> {
        let year = self.year();
        self.years.iter().rev().find(|y| y.year + 1 == year)
    }

    /// The shown year's problem list: its own problems and the earlier years' that carry over.
    pub fn problem_list(&self) -> Vec<ListedProblem> {
        let docs: Vec<YearDocs<'_>> = self.years.iter().map(YearState::as_docs).collect();
        problem_list(self.year(), &docs)
    }

    /// One line of the problem list.
    pub fn listed_problem(&self, id: &ProblemId) -> Option<ListedProblem> {
        // One lookup in its origin year, not the whole list: every problem card asks on every render.
        let year = self.year();
        let (origin, problem, finding) = self
            .years
            .iter()
            .rev()
            .filter(|y| y.year <= year)
            .find_map(|y| match y.inspection.problem(id) {
                Some(p) => Some((y, p, None)),
                None => y.finding(id).map(|(p, level)| (y, p, Some(level))),
            })?;
        let verification = origin.review.verifications().get(id).cloned();
        let keep = origin.year == year || carries_over(&problem, verification.as_ref());
        keep.then_some(ListedProblem {
            problem,
            origin: origin.year,
            verification,
            finding,
        })
    }

    /// The facility's profile for counting, or, outside the user's directory, the smallest facility's.
    pub fn profile_or_smallest(&self) -> FacilityProfile {
        self.profile.clone().unwrap_or(FacilityProfile {
            facility_type: zhigai_shared::FacilityType::VillageClinic,
            open_beds: 0,
            services: Vec::new(),
            alliance: false,
        })
    }

    /// Whether the user may update problems (rectification outlives submission and review).
    pub fn can_update_problems(&self, origin: Year) -> bool {
        self.loaded && !self.refused && self.years.iter().any(|y| y.year == origin && y.writable)
    }

    /// Whether the user may verify problems found in `origin`.
    pub fn can_verify(&self, origin: Year) -> bool {
        self.loaded
            && self
                .years
                .iter()
                .any(|y| y.year == origin && y.review_rights.has(Rights::VERIFY))
    }

    // ───────────── reads ─────────────

    /// The facility.
    pub fn facility_id(&self) -> &FacilityId {
        &self.facility_id
    }

    /// Its name, or its id when the user's directory does not have it.
    pub fn facility_name(&self) -> String {
        self.facility_name
            .clone()
            .unwrap_or_else(|| self.facility_id.to_string())
    }

    /// What the template needs to know of the facility (unknown outside the user's directory).
    pub fn profile(&self) -> Option<&FacilityProfile> {
        self.profile.as_ref()
    }

    /// The year shown.
    pub fn year(&self) -> Year {
        self.cur().year
    }

    /// The user.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// The facility's staff, for choosing owners.
    pub fn staff(&self) -> &[User] {
        &self.staff
    }

    /// The shown year's inspection.
    pub fn inspection(&self) -> &Inspection {
        &self.cur().inspection
    }

    /// The shown year's review.
    pub fn review(&self) -> &Review {
        &self.cur().review
    }

    /// The checklist the inspection is pinned to, if this build knows it.
    ///
    /// # Errors
    /// [`DocError::UnknownTemplate`] when a newer zhigai made the inspection: the app must be updated.
    pub fn template(&self) -> Result<&'static Template, DocError> {
        self.inspection().checklist()
    }

    /// The connection.
    pub fn net(&self) -> Net {
        self.net
    }

    /// Whether both documents were read from the device.
    pub fn loaded(&self) -> bool {
        self.loaded
    }

    /// Whether the server refused (or does not have) the inspection for this user.
    pub fn refused(&self) -> bool {
        self.refused
    }

    /// The last problem worth showing, and its detail.
    pub fn error(&self) -> Option<&(Msg, String)> {
        self.error.as_ref()
    }

    /// Writes to the device's storage not yet finished.
    pub fn pending_writes(&self) -> u32 {
        self.pending_writes
    }

    /// Whether the user may write the inspection at all (their role).
    pub fn writable(&self) -> bool {
        self.cur().writable
    }

    /// Whether the user may write any of the review (reviewers, a guiding township head).
    pub fn review_writable(&self) -> bool {
        !self.cur().review_rights.is_empty() && self.loaded
    }

    /// What the user may write in the review of the year shown (nothing until the documents are loaded).
    pub fn review_rights(&self) -> Rights {
        if self.loaded {
            self.cur().review_rights
        } else {
            Rights::NONE
        }
    }

    /// Changes not yet acknowledged by the server, over every document open.
    pub fn unsynced(&self) -> usize {
        self.years
            .iter()
            .map(|y| {
                self.client.unsynced_changes(y.inspection_id, &y.inspection)
                    + self.client.unsynced_changes(y.review_id, &y.review)
            })
            .sum()
    }

    /// Whether the user may edit the inspection's content now: allowed to write, and it is a draft or was
    /// returned after it was last submitted.
    pub fn editable(&self) -> bool {
        if !self.writable() || !self.loaded || self.refused {
            return false;
        }
        let submission = self.inspection().submission();
        if submission.state == Submission::Draft {
            return true;
        }
        let review = self.review().state();
        review.state == ReviewState::Returned && review.at >= submission.at
    }

    /// The storage keys of every document open, for loading.
    pub fn storage_keys(&self) -> Vec<String> {
        self.years
            .iter()
            .flat_map(|y| [y.inspection_id.to_string(), y.review_id.to_string()])
            .collect()
    }

    /// Puts a refused edit on the banner (a form shows it beside its fields too).
    pub fn report(&mut self, error: &UiError) {
        self.error = Some((error.msg(), error.detail()));
    }

    /// Who changed `subject` (an item or problem id) last, and when.
    pub fn last_change(&self, subject: &str) -> Option<HistoryEntry> {
        self.last_changes
            .get_or_init(|| self.inspection().last_changes())
            .get(subject)
            .cloned()
    }

    // ───────────── the state machine ─────────────

    /// Applies `action` and returns what the services must do, in order.
    ///
    /// # Errors
    /// For [`Action::Edit`] only: why the edit was not made; nothing changed then.
    pub fn reduce(&mut self, action: Action) -> Result<Vec<Effect>, UiError> {
        let sent_at = match &action {
            Action::Edit(_, at) | Action::SocketOpened(at) | Action::Frame(_, at) => Some(*at),
            _ => None,
        };
        let effects = self.apply(action)?;
        if let Some(at) = sent_at
            && self.awaiting_since.is_none()
            && effects.iter().any(|e| matches!(e, Effect::Send(_)))
        {
            self.awaiting_since = Some(at);
        }
        Ok(effects)
    }

    fn apply(&mut self, action: Action) -> Result<Vec<Effect>, UiError> {
        Ok(match action {
            Action::Loaded { docs, actor } => {
                self.storage = true;
                let mut effects = Vec::new();
                for (key, stored) in docs {
                    for i in 0..self.years.len() {
                        let (iid, rid) = (self.years[i].inspection_id, self.years[i].review_id);
                        let (facility, year) = (self.facility_id.clone(), self.years[i].year);
                        if key == iid.to_string() {
                            let pin = self.years[i].pin.clone();
                            let start = || inspection_skeleton(&facility, year, pin.as_ref());
                            if let Some(doc) = self.adopt(iid, stored, start, &mut effects) {
                                self.years[i].inspection = doc;
                            }
                            break;
                        }
                        if key == rid.to_string() {
                            let start = || Review::genesis(&facility, year);
                            if let Some(doc) = self.adopt(rid, stored, start, &mut effects) {
                                self.years[i].review = doc;
                            }
                            break;
                        }
                    }
                }
                self.finish_loading(&actor);
                effects
            }
            Action::StorageUnavailable { why, actor } => {
                self.error = Some((Msg::StorageUnavailable, why));
                self.finish_loading(&actor);
                Vec::new()
            }
            Action::Edit(edit, at) => self.edit(edit, at)?,
            Action::SocketOpened(_) => {
                self.awaiting_since = None;
                if self.net != Net::SessionExpired {
                    self.net = Net::Connecting;
                }
                vec![Effect::Send(vec![self.client.join()])]
            }
            Action::Frame(bytes, _) => {
                self.awaiting_since = None;
                self.frame(&bytes)
            }
            Action::SocketClosed => {
                self.awaiting_since = None;
                self.client.disconnected();
                if self.net != Net::SessionExpired {
                    self.net = Net::Offline;
                }
                Vec::new()
            }
            Action::SessionExpired => {
                self.client.disconnected();
                self.net = Net::SessionExpired;
                Vec::new()
            }
            Action::Tick(at) => {
                let stalled = self.client.is_connected()
                    && self
                        .awaiting_since
                        .is_some_and(|since| at - since > STALL_MS)
                    && self.unsynced() > 0;
                if stalled {
                    // Changes sent but not acknowledged and the server silent: start afresh.
                    self.awaiting_since = None;
                    self.client.disconnected();
                    self.net = Net::Connecting;
                    vec![Effect::Reconnect]
                } else {
                    Vec::new()
                }
            }
            Action::Stored(result) => {
                self.pending_writes = self.pending_writes.saturating_sub(1);
                if let Err(e) = result {
                    self.error = Some((Msg::SaveFailed, e));
                }
                Vec::new()
            }
        })
    }

    fn finish_loading(&mut self, actor: &[u8]) {
        for y in &mut self.years {
            y.inspection.set_actor(actor);
            y.review.set_actor(actor);
            // What was just loaded is stored already.
            y.inspection.save_incremental();
            y.review.save_incremental();
        }
        self.loaded = true;
        self.last_changes = OnceCell::new();
    }

    /// A document read from the device, with its sync state restored; `None` (and the reason on the
    /// banner) when it could not be read, so the server sends it again.
    fn adopt<D: Document>(
        &mut self,
        id: DocumentId,
        stored: Result<StoredDoc, String>,
        start: impl Fn() -> Result<D, DocError>,
        out: &mut Vec<Effect>,
    ) -> Option<D> {
        match rebuild(id, stored, start, out) {
            Ok((doc, sync)) => {
                if let Some(state) = sync {
                    self.client.restore(id, state);
                }
                Some(doc)
            }
            Err(e) => {
                self.error = Some((Msg::StorageUnreadable, e));
                None
            }
        }
    }

    fn stamp(&self, at: i64) -> Stamp {
        Stamp::new(
            Author::new(self.user.id.clone(), self.user.display_name.clone()),
            Timestamp(at),
        )
    }

    /// Which open year holds problem `id` (its origin): the facility's own, or a reviewer's finding.
    fn origin_of(&self, id: &ProblemId) -> Option<usize> {
        self.years
            .iter()
            .rposition(|y| y.inspection.problem(id).is_some() || y.finding(id).is_some())
    }

    /// Which open year holds photo `id`, and what it shows.
    fn photo_home(&self, id: &PhotoId) -> Option<(usize, PhotoSubject)> {
        self.years.iter().enumerate().rev().find_map(|(i, y)| {
            let photo = y.inspection.photos().into_iter().find(|p| &p.id == id)?;
            Some((i, photo.subject))
        })
    }

    /// The photos of an item (this year) or a problem phase (the year the problem was found in).
    pub fn photos_of(&self, subject: &PhotoSubject) -> Vec<PhotoView> {
        let shown = self.years.len() - 1;
        let index = match subject {
            PhotoSubject::Problem { problem, .. } => self.origin_of(problem).unwrap_or(shown),
            PhotoSubject::Item { .. } => shown,
        };
        self.years[index].inspection.photos_of(subject)
    }

    fn edit(&mut self, edit: Edit, at: i64) -> Result<Vec<Effect>, UiError> {
        let shown = self.years.len() - 1;
        // Problem updates and verdicts go to the year the problem was found in; so do a problem's photos.
        let subject = match &edit {
            Edit::AddPhoto(subject, _) => Some(subject.clone()),
            Edit::CaptionPhoto(id, _) | Edit::RemovePhoto(id) => {
                Some(self.photo_home(id).ok_or(UiError::ReadOnly)?.1)
            }
            _ => None,
        };
        let index = match (&edit, &subject) {
            (Edit::UpdateProblem(id, _) | Edit::Verify(id, _) | Edit::WithdrawFinding(id), _)
            | (_, Some(PhotoSubject::Problem { problem: id, .. })) => {
                self.origin_of(id).unwrap_or(shown)
            }
            _ => shown,
        };
        let kind = edit.document();
        let origin = self.years[index].year;
        let allowed = match (&edit, kind) {
            (Edit::Verify(..), _) => self.can_verify(origin),
            (e, DocKind::Review) => e
                .review_right()
                .is_some_and(|needed| self.review_rights().has(needed)),
            (Edit::UpdateProblem(..), _) => self.can_update_problems(origin),
            // A problem's photos (the proof after rectification above all) follow its rectification.
            _ if matches!(subject, Some(PhotoSubject::Problem { .. })) => {
                self.can_update_problems(origin)
            }
            (e, DocKind::Inspection) if e.is_submission() => {
                self.writable() && self.loaded && !self.refused
            }
            (_, DocKind::Inspection) => self.editable(),
        };
        if !allowed {
            return Err(UiError::ReadOnly);
        }
        let stamp = self.stamp(at);
        let target = &mut self.years[index];
        let (doc, review) = (&mut target.inspection, &mut target.review);
        match edit {
            Edit::SetStatus(item, status) => doc.set_status(&item, status, &stamp),
            Edit::SetNote(item, text) => doc.set_note(&item, &text, &stamp),
            Edit::SetMetric(item, value) => doc.set_metric(&item, value, &stamp),
            Edit::SetFraction(item, part, value) => {
                doc.set_fraction_part(&item, part, value, &stamp)
            }
            Edit::AddProblem(problem) => doc.add_problem(problem, &stamp).map(drop),
            Edit::AddPhoto(subject, photo) => doc.add_photo(subject, photo, &stamp).map(drop),
            Edit::CaptionPhoto(id, caption) => doc.caption_photo(&id, caption.trim(), &stamp),
            Edit::RemovePhoto(id) => doc.remove_photo(&id, &stamp),
            // A finding's measure, owner and status are the facility's, kept beside the reviewer's finding.
            Edit::UpdateProblem(id, change) if doc.problem(&id).is_none() => {
                doc.respond(&id, change, &stamp)
            }
            Edit::UpdateProblem(id, change) => doc.update_problem(&id, change, &stamp),
            Edit::AddFinding(finding) => review.add_finding(finding, &stamp).map(drop),
            Edit::WithdrawFinding(id) => review.withdraw_finding(&id, &stamp),
            Edit::DeleteProblem(id) => doc.delete_problem(&id, &stamp),
            Edit::Submit => doc.submit(&stamp),
            Edit::Withdraw => doc.withdraw(&stamp),
            Edit::Resolve(field, value) => doc.resolve(&field, value, &stamp),
            Edit::Comment(item, text) => review.add_comment(&item, text.trim(), &stamp).map(drop),
            Edit::Verify(problem, verdict) => review.verify(&problem, verdict, &stamp),
            Edit::ReturnForChanges(reason) => review.return_for_changes(reason.trim(), &stamp),
            Edit::Approve => review.approve(&doc.heads(), &stamp),
            Edit::PassOn => review.pass_on(&doc.heads(), &stamp),
            Edit::ReturnFirst(reason) => review.return_first(reason.trim(), &doc.heads(), &stamp),
            Edit::ResolveReview(field, value) => review.resolve(&field, value, &stamp),
        }
        .map_err(UiError::Refused)?;
        if kind == DocKind::Inspection {
            self.last_changes = OnceCell::new();
        }
        let mut effects = self.persist(index, kind).into_iter().collect::<Vec<_>>();
        effects.extend(self.outgoing());
        Ok(effects)
    }

    /// The changes of one document since its last write, for storage (nothing without storage).
    fn persist(&mut self, index: usize, kind: DocKind) -> Option<Effect> {
        let y = &mut self.years[index];
        let (id, chunk) = match kind {
            DocKind::Inspection => (y.inspection_id, y.inspection.save_incremental()),
            DocKind::Review => (y.review_id, y.review.save_incremental()),
        };
        if !self.storage {
            return None;
        }
        self.pending_writes += 1;
        Some(Effect::Persist {
            key: id.to_string(),
            chunk,
            sync: self.client.state(id).map(SyncState::encode),
        })
    }

    /// Sync messages for every document open, where the server may lack something.
    fn outgoing(&mut self) -> Option<Effect> {
        let mut messages = Vec::new();
        for y in &self.years {
            messages.extend(self.client.sync_message(y.inspection_id, &y.inspection));
            messages.extend(self.client.sync_message(y.review_id, &y.review));
        }
        (!messages.is_empty()).then_some(Effect::Send(messages))
    }

    fn frame(&mut self, bytes: &[u8]) -> Vec<Effect> {
        let Ok(message) = decode(bytes) else {
            self.error = Some((Msg::BadSyncData, "undecodable frame".to_owned()));
            return Vec::new();
        };
        match self.client.handle(message) {
            ClientEvent::Connected { .. } => {
                self.net = Net::Online;
                self.outgoing().into_iter().collect()
            }
            ClientEvent::Sync { document_id, data } => {
                let Some((index, kind)) = self.years.iter().enumerate().find_map(|(i, y)| {
                    if y.inspection_id == document_id {
                        Some((i, DocKind::Inspection))
                    } else if y.review_id == document_id {
                        Some((i, DocKind::Review))
                    } else {
                        None
                    }
                }) else {
                    return Vec::new();
                };
                let y = &mut self.years[index];
                let reply = match kind {
                    DocKind::Inspection => {
                        self.client.receive(document_id, &mut y.inspection, &data)
                    }
                    DocKind::Review => self.client.receive(document_id, &mut y.review, &data),
                };
                self.last_changes = OnceCell::new();
                let mut effects: Vec<Effect> = self.persist(index, kind).into_iter().collect();
                match reply {
                    Ok(Some(reply)) => effects.push(Effect::Send(vec![reply])),
                    Ok(None) => {}
                    Err(e) => self.error = Some((Msg::BadSyncData, e.to_string())),
                }
                effects
            }
            ClientEvent::Unavailable { document_id } => {
                if document_id == self.cur().inspection_id {
                    self.refused = true;
                }
                Vec::new()
            }
            ClientEvent::Error { message } => {
                self.error = Some((Msg::ServerSaid, message));
                Vec::new()
            }
            ClientEvent::Ignored => Vec::new(),
        }
    }
}

/// A document from what the device stored: the snapshot (or a fresh start when there is none or it is
/// damaged), then every chunk; a damaged chunk is skipped, since the server still has what it held. Asks for
/// compaction when the chunks have piled up.
fn rebuild<D: Document>(
    id: DocumentId,
    stored: Result<StoredDoc, String>,
    start: impl Fn() -> Result<D, DocError>,
    out: &mut Vec<Effect>,
) -> Result<(D, Option<SyncState>), String> {
    let stored = stored?;
    let fresh = || start().map_err(|e| e.to_string());
    let mut doc = match stored.snapshot.as_deref().map(D::load) {
        Some(Ok(doc)) => doc,
        Some(Err(_)) | None => fresh()?,
    };
    for (_, chunk) in &stored.chunks {
        // Skipped if damaged: the server sends what it held again.
        doc.load_incremental(chunk).ok();
    }
    if stored.chunks.len() > COMPACT_AFTER
        && let Some((last, _)) = stored.chunks.last()
    {
        out.push(Effect::Compact {
            key: id.to_string(),
            snapshot: doc.save(),
            upto: last.clone(),
        });
    }
    let sync = stored.sync_state.and_then(|b| SyncState::decode(&b).ok());
    Ok((doc, sync))
}

#[cfg(test)]
mod tests;
