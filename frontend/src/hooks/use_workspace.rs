//! The open facility-year for the pages of one facility: [`WorkspaceProvider`] runs the
//! [`WorkspaceState`] machine and carries out its effects (IndexedDB writes, the sync socket); pages call
//! [`use_workspace`] for a [`WorkspaceHandle`] with reads that return plain values and edits by name. The
//! state lives in one `RefCell` owned here, borrowed only inside this module and never across a call out,
//! so no view can hold a borrow or trip over one.

use crate::hooks::use_session::use_session;
use crate::i18n::Msg;
use crate::services::clock::now_ms;
use crate::services::network::NetworkListener;
use crate::services::session::{device_actor, to_hex};
use crate::services::socket::{self, SocketCmd, SocketEvent};
use crate::services::store::{DB_NAME, DocStore};
use crate::state::problems::conflicts_in;
use crate::state::workspace::{Action, Edit, Effect, Net, UiError, WorkspaceState};
use futures::channel::mpsc::UnboundedSender;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use zhigai_shared::access::Rights;
use zhigai_shared::api::User;
use zhigai_shared::carry::ListedProblem;
use zhigai_shared::doc::{
    CommentView, Conflict, DocError, FieldValue, HistoryEntry, InspectionField, ItemView,
    NewFinding, NewProblem, ProblemChange, ProblemView, ReviewField, StateView, SubmissionView,
};
use zhigai_shared::doc::{NewPhoto, PhotoView};
use zhigai_shared::photo::PhotoSubject;
use zhigai_shared::summary::{InspectionSummary, summarize};
use zhigai_shared::sync::encode;
use zhigai_shared::{
    FacilityProfile, FractionPart, ItemId, PhotoId, ProblemId, Status, Template, Verdict, Year,
};

/// The running workspace: the state and the services it drives.
struct Runtime {
    state: RefCell<WorkspaceState>,
    store: RefCell<Option<Rc<DocStore>>>,
    socket: RefCell<Option<UnboundedSender<SocketCmd>>>,
    revision: Cell<u64>,
    closed: Cell<bool>,
    notify: Callback<()>,
}

impl Runtime {
    /// Applies an action and carries out its effects; views re-render.
    fn dispatch(self: &Rc<Self>, action: Action) -> Result<(), UiError> {
        if self.closed.get() {
            return Ok(());
        }
        let result = self.state.borrow_mut().reduce(action);
        self.revision.set(self.revision.get() + 1);
        self.notify.emit(());
        for effect in result? {
            self.run(effect);
        }
        Ok(())
    }

    fn run(self: &Rc<Self>, effect: Effect) {
        match effect {
            Effect::Persist { key, chunk, sync } => {
                let store = self.store.borrow().clone();
                let Some(store) = store else { return };
                let rt = self.clone();
                spawn_local(async move {
                    let mut result = store.append(&key, &chunk).await;
                    if let Some(sync) = sync {
                        result = result.and(store.save_sync_state(&key, &sync).await);
                    }
                    // Stored is never refused: reduce answers every action but an edit with Ok.
                    rt.dispatch(Action::Stored(result.map_err(|e| e.0))).ok();
                });
            }
            Effect::Compact {
                key,
                snapshot,
                upto,
            } => {
                let store = self.store.borrow().clone();
                let Some(store) = store else { return };
                spawn_local(async move {
                    // A failed compaction loses nothing: the chunks stay and the next load tries again.
                    store.compact(&key, &snapshot, &upto).await.ok();
                });
            }
            Effect::Send(messages) => {
                for message in messages {
                    self.command(SocketCmd::Send(encode(&message)));
                }
            }
            Effect::Reconnect => self.command(SocketCmd::Reconnect),
        }
    }

    fn command(&self, cmd: SocketCmd) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            // A closed channel means the socket task ended (stopped or session expired): nothing to tell.
            socket.unbounded_send(cmd).ok();
        }
    }

    fn socket_event(self: &Rc<Self>, event: SocketEvent) {
        let at = now_ms();
        let action = match event {
            SocketEvent::Opened => Action::SocketOpened(at),
            SocketEvent::Frame(bytes) => Action::Frame(bytes, at),
            SocketEvent::Closed => Action::SocketClosed,
            SocketEvent::SessionExpired => Action::SessionExpired,
            SocketEvent::Tick => Action::Tick(at),
        };
        // Only edits are ever refused.
        self.dispatch(action).ok();
    }

    /// Reads the stored documents, then connects.
    async fn start(self: Rc<Self>, token: String, actor: Vec<u8>) {
        let keys = self.state.borrow().storage_keys();
        let action = match DocStore::open(DB_NAME).await {
            Ok(store) => {
                let mut docs = Vec::with_capacity(keys.len());
                for key in keys {
                    let stored = store.load(&key).await.map_err(|e| e.0);
                    docs.push((key, stored));
                }
                *self.store.borrow_mut() = Some(Rc::new(store));
                Action::Loaded { docs, actor }
            }
            Err(e) => Action::StorageUnavailable { why: e.0, actor },
        };
        self.dispatch(action).ok();
        if self.closed.get() {
            return;
        }
        let rt = Rc::downgrade(&self);
        let events = Callback::from(move |event| {
            if let Some(rt) = rt.upgrade() {
                rt.socket_event(event);
            }
        });
        *self.socket.borrow_mut() = Some(socket::start(token, events));
    }

    fn close(&self) {
        self.closed.set(true);
        self.command(SocketCmd::Stop);
    }
}

/// The workspace as the pages see it: reads return plain values, edits are named.
#[derive(Clone)]
pub struct WorkspaceHandle {
    rt: Rc<Runtime>,
    revision: u64,
}

impl PartialEq for WorkspaceHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.rt, &other.rt) && self.revision == other.revision
    }
}

impl WorkspaceHandle {
    fn read<T>(&self, f: impl FnOnce(&WorkspaceState) -> T) -> T {
        f(&self.rt.state.borrow())
    }

    // ───────────── reads ─────────────

    /// The facility id.
    pub fn facility_id(&self) -> String {
        self.read(|s| s.facility_id().to_string())
    }

    /// The facility's name.
    pub fn facility_name(&self) -> String {
        self.read(WorkspaceState::facility_name)
    }

    /// The facility's profile, when the user's directory has it.
    pub fn profile(&self) -> Option<FacilityProfile> {
        self.read(|s| s.profile().cloned())
    }

    /// The year.
    pub fn year(&self) -> Year {
        self.read(WorkspaceState::year)
    }

    /// The user.
    pub fn user(&self) -> User {
        self.read(|s| s.user().clone())
    }

    /// The facility's staff.
    pub fn staff(&self) -> Vec<User> {
        self.read(|s| s.staff().to_vec())
    }

    /// The checklist the inspection is pinned to.
    ///
    /// # Errors
    /// [`DocError::UnknownTemplate`] when the app must be updated to open it.
    pub fn template(&self) -> Result<&'static Template, DocError> {
        self.read(WorkspaceState::template)
    }

    /// Whether both documents were read from the device.
    pub fn loaded(&self) -> bool {
        self.read(WorkspaceState::loaded)
    }

    /// Whether the server refused the facility to this user.
    pub fn refused(&self) -> bool {
        self.read(WorkspaceState::refused)
    }

    /// Whether the user may edit the inspection's content now.
    pub fn editable(&self) -> bool {
        self.read(WorkspaceState::editable)
    }

    /// Whether the user may write the inspection at all.
    pub fn writable(&self) -> bool {
        self.read(WorkspaceState::writable)
    }

    /// Whether the user may write any of the review.
    pub fn review_writable(&self) -> bool {
        self.read(WorkspaceState::review_writable)
    }

    /// What the user may write in the review (comment, first step, final step, verify).
    pub fn review_rights(&self) -> Rights {
        self.read(WorkspaceState::review_rights)
    }

    /// The connection.
    pub fn net(&self) -> Net {
        self.read(WorkspaceState::net)
    }

    /// Changes the server has not acknowledged.
    pub fn unsynced(&self) -> usize {
        self.read(WorkspaceState::unsynced)
    }

    /// Writes to the device not yet finished.
    pub fn pending_writes(&self) -> u32 {
        self.read(WorkspaceState::pending_writes)
    }

    /// The last problem worth showing.
    pub fn error(&self) -> Option<(Msg, String)> {
        self.read(|s| s.error().cloned())
    }

    /// One item's state.
    pub fn item(&self, id: &ItemId) -> Option<ItemView> {
        self.read(|s| s.inspection().item_state(id))
    }

    /// The year's own problems, oldest first.
    pub fn problems(&self) -> Vec<ProblemView> {
        self.read(|s| s.inspection().problems())
    }

    /// One of the year's own problems.
    pub fn problem(&self, id: &ProblemId) -> Option<ProblemView> {
        self.read(|s| s.inspection().problem(id))
    }

    /// The year's problem list: its own problems and earlier years' that carry over (上年遗留).
    pub fn problem_list(&self) -> Vec<ListedProblem> {
        self.read(WorkspaceState::problem_list)
    }

    /// One line of the problem list.
    pub fn listed_problem(&self, id: &ProblemId) -> Option<ListedProblem> {
        self.read(|s| s.listed_problem(id))
    }

    /// Whether the user may update problems found in `origin` (rectification outlives the review).
    pub fn can_update_problems(&self, origin: Year) -> bool {
        self.read(|s| s.can_update_problems(origin))
    }

    /// Whether the user may verify problems found in `origin`.
    pub fn can_verify(&self, origin: Year) -> bool {
        self.read(|s| s.can_verify(origin))
    }

    /// Last year's answer to an item, when the device has last year.
    pub fn last_year_item(&self, id: &ItemId) -> Option<(Year, ItemView)> {
        self.read(|s| {
            let last = s.last_year()?;
            Some((last.year(), last.inspection().item_state(id)?))
        })
    }

    /// Last year's progress per area, when the device has last year.
    pub fn last_year_summary(&self) -> Option<(Year, InspectionSummary)> {
        self.read(|s| {
            let last = s.last_year()?;
            let template = last.inspection().checklist().ok()?;
            let profile = s.profile_or_smallest();
            // Nothing answered: the device has not received last year (or it was never filled in).
            let summary = summarize(last.inspection(), template, &profile);
            (summary.answered > 0).then_some((last.year(), summary))
        })
    }

    /// The submission.
    pub fn submission(&self) -> SubmissionView {
        self.read(|s| s.inspection().submission())
    }

    /// Progress per area for the facility (every item counted when its profile is unknown).
    pub fn summary(&self) -> Option<InspectionSummary> {
        self.read(|s| {
            let template = s.template().ok()?;
            let profile = s.profile_or_smallest();
            Some(summarize(s.inspection(), template, &profile))
        })
    }

    /// The conflicts of the inspection, of one area's items or all.
    pub fn conflicts(&self, area: Option<&str>) -> Vec<Conflict<InspectionField>> {
        self.read(|s| match s.template() {
            Ok(template) => conflicts_in(s.inspection(), template, area),
            Err(_) => Vec::new(),
        })
    }

    /// Who changed `subject` last.
    pub fn last_change(&self, subject: &str) -> Option<HistoryEntry> {
        self.read(|s| s.last_change(subject))
    }

    /// The history of an item or problem.
    pub fn history(&self, subject: &str) -> Vec<HistoryEntry> {
        self.read(|s| s.inspection().history(subject))
    }

    /// The photos of an item (this year) or a problem phase (the year it was found in), oldest first.
    pub fn photos_of(&self, subject: &PhotoSubject) -> Vec<PhotoView> {
        self.read(|s| s.photos_of(subject))
    }

    /// Whether the user may attach photos to `subject` now (items: while the content is editable;
    /// problems: while their rectification may be updated).
    pub fn can_attach(&self, subject: &PhotoSubject) -> bool {
        self.read(|s| match subject {
            PhotoSubject::Item { .. } => s.editable(),
            PhotoSubject::Problem { problem, .. } => s
                .listed_problem(problem)
                .is_some_and(|p| s.can_update_problems(p.origin)),
        })
    }

    /// The review's state.
    pub fn review_state(&self) -> StateView {
        self.read(|s| s.review().state())
    }

    /// Every review comment.
    pub fn comments(&self) -> Vec<CommentView> {
        self.read(|s| s.review().comments())
    }

    /// The comments on one item.
    pub fn comments_on(&self, item: &ItemId) -> Vec<CommentView> {
        self.read(|s| s.review().comments_on(item))
    }

    /// Conflicting review decisions.
    pub fn review_conflicts(&self) -> Vec<Conflict<ReviewField>> {
        self.read(|s| s.review().conflicts())
    }

    /// What changed in the inspection since the review approved it (`None` when this device lacks the
    /// approved version); only meaningful once approved.
    pub fn changes_since_approval(&self) -> Option<Vec<HistoryEntry>> {
        self.read(|s| {
            s.inspection()
                .changes_since(&s.review().state().approved_heads)
        })
    }

    // ───────────── edits ─────────────
    // Each edit is stamped with the user and the time, written to the device, then sent. A refused edit
    // changes nothing; the refusal is returned for a form to show and also reaches the banner.

    fn edit(&self, edit: Edit) -> Result<(), UiError> {
        let result = self.rt.dispatch(Action::Edit(edit, now_ms()));
        if let Err(e) = &result {
            self.rt.state.borrow_mut().report(e);
            self.rt.revision.set(self.rt.revision.get() + 1);
            self.rt.notify.emit(());
        }
        result
    }

    /// Sets an item's status.
    pub fn set_status(&self, item: &ItemId, status: Option<Status>) -> Result<(), UiError> {
        self.edit(Edit::SetStatus(item.clone(), status))
    }

    /// Sets an item's note.
    pub fn set_note(&self, item: &ItemId, text: String) -> Result<(), UiError> {
        self.edit(Edit::SetNote(item.clone(), text))
    }

    /// Sets an item's figure.
    pub fn set_metric(&self, item: &ItemId, value: Option<f64>) -> Result<(), UiError> {
        self.edit(Edit::SetMetric(item.clone(), value))
    }

    /// Sets a rate's numerator or denominator.
    pub fn set_fraction_part(
        &self,
        item: &ItemId,
        part: FractionPart,
        value: Option<f64>,
    ) -> Result<(), UiError> {
        self.edit(Edit::SetFraction(item.clone(), part, value))
    }

    /// Records a problem.
    pub fn add_problem(&self, problem: NewProblem) -> Result<(), UiError> {
        self.edit(Edit::AddProblem(problem))
    }

    /// Changes a problem.
    pub fn update_problem(&self, id: &ProblemId, change: ProblemChange) -> Result<(), UiError> {
        self.edit(Edit::UpdateProblem(id.clone(), change))
    }

    /// Deletes a problem.
    pub fn delete_problem(&self, id: &ProblemId) -> Result<(), UiError> {
        self.edit(Edit::DeleteProblem(id.clone()))
    }

    /// Submits the inspection for review.
    pub fn submit(&self) -> Result<(), UiError> {
        self.edit(Edit::Submit)
    }

    /// Withdraws the submission.
    pub fn withdraw(&self) -> Result<(), UiError> {
        self.edit(Edit::Withdraw)
    }

    /// Keeps one value of a conflicting inspection field.
    pub fn resolve(&self, field: InspectionField, value: FieldValue) -> Result<(), UiError> {
        self.edit(Edit::Resolve(field, value))
    }

    /// Adds a reviewer's comment on an item.
    pub fn comment(&self, item: &ItemId, text: String) -> Result<(), UiError> {
        self.edit(Edit::Comment(item.clone(), text))
    }

    /// Records a verdict on a rectified problem.
    pub fn verify(&self, problem: &ProblemId, verdict: Verdict) -> Result<(), UiError> {
        self.edit(Edit::Verify(problem.clone(), verdict))
    }

    /// Returns the inspection for changes.
    pub fn return_for_changes(&self, reason: String) -> Result<(), UiError> {
        self.edit(Edit::ReturnForChanges(reason))
    }

    /// Approves the inspection as it stands.
    pub fn approve(&self) -> Result<(), UiError> {
        self.edit(Edit::Approve)
    }

    /// Adds a finding from a check (核查) to the facility's problem list.
    pub fn add_finding(&self, finding: NewFinding) -> Result<(), UiError> {
        self.edit(Edit::AddFinding(finding))
    }

    /// Withdraws a finding recorded by mistake.
    pub fn withdraw_finding(&self, id: &ProblemId) -> Result<(), UiError> {
        self.edit(Edit::WithdrawFinding(id.clone()))
    }

    /// The first review step passes the inspection on to the county.
    pub fn pass_on(&self) -> Result<(), UiError> {
        self.edit(Edit::PassOn)
    }

    /// The first review step returns the inspection for changes.
    pub fn return_first(&self, reason: String) -> Result<(), UiError> {
        self.edit(Edit::ReturnFirst(reason))
    }

    /// Attaches photos kept on the device to an item or a problem, in one go; stops at the first refusal.
    pub fn add_photos(&self, subject: &PhotoSubject, photos: Vec<NewPhoto>) -> Result<(), UiError> {
        for photo in photos {
            self.edit(Edit::AddPhoto(subject.clone(), photo))?;
        }
        Ok(())
    }

    /// Changes a photo's caption.
    pub fn caption_photo(&self, id: &PhotoId, caption: String) -> Result<(), UiError> {
        self.edit(Edit::CaptionPhoto(id.clone(), caption))
    }

    /// Takes a photo off.
    pub fn remove_photo(&self, id: &PhotoId) -> Result<(), UiError> {
        self.edit(Edit::RemovePhoto(id.clone()))
    }

    /// Keeps one value of a conflicting review field.
    pub fn resolve_review(&self, field: ReviewField, value: FieldValue) -> Result<(), UiError> {
        self.edit(Edit::ResolveReview(field, value))
    }
}

/// Props of [`WorkspaceProvider`].
#[derive(Properties, PartialEq)]
pub struct WorkspaceProviderProps {
    /// The facility id.
    pub fid: AttrValue,
    /// The year.
    pub year: Year,
    /// The facility's pages.
    pub children: Html,
}

/// Opens the facility-year (documents from IndexedDB, the sync socket) while mounted and provides it.
#[component]
pub fn WorkspaceProvider(props: &WorkspaceProviderProps) -> Html {
    let session = use_session();
    let force = use_force_update();
    let runtime = use_state(|| None::<Rc<Runtime>>);
    let saved = session.session().cloned();
    // A city or province user opens facilities from a dashboard: their entry (documents and rights) is
    // fetched once and kept in the session; the workspace starts again when it arrives.
    let listed = saved
        .as_ref()
        .is_some_and(|s| s.facility(&props.fid).is_some());
    {
        let (session, fid) = (session.clone(), props.fid.to_string());
        let above = saved
            .as_ref()
            .is_some_and(|s| !s.user.role.is_facility_role());
        use_effect_with((fid, listed), move |(fid, listed)| {
            if !*listed && above {
                session.fetch_facility(fid.clone());
            }
        });
    }
    {
        let runtime = runtime.clone();
        let token = saved.as_ref().map(|s| s.token.clone());
        use_effect_with(
            (props.fid.clone(), props.year, token, listed),
            move |(fid, year, _, _)| {
                let started = saved.and_then(|saved| {
                    let actor = device_actor(saved.user.id.as_str());
                    let device = to_hex(&actor[..6]);
                    let state = WorkspaceState::new(&saved, fid, *year, &device).ok()?;
                    let rt = Rc::new(Runtime {
                        state: RefCell::new(state),
                        store: RefCell::new(None),
                        socket: RefCell::new(None),
                        revision: Cell::new(0),
                        closed: Cell::new(false),
                        notify: Callback::from(move |()| force.force_update()),
                    });
                    spawn_local(rt.clone().start(saved.token.clone(), actor));
                    Some(rt)
                });
                let network = started.as_ref().map(|rt| {
                    let rt = Rc::downgrade(rt);
                    NetworkListener::new(Callback::from(move |online: bool| {
                        if let Some(rt) = rt.upgrade() {
                            rt.command(if online {
                                SocketCmd::Online
                            } else {
                                SocketCmd::Offline
                            });
                        }
                    }))
                });
                runtime.set(started.clone());
                move || {
                    drop(network);
                    if let Some(rt) = started {
                        rt.close();
                    }
                }
            },
        );
    }
    let Some(rt) = (*runtime).clone() else {
        return html! { <main class="page"><p role="status">{ session.t(Msg::Loading) }</p></main> };
    };
    let handle = WorkspaceHandle {
        revision: rt.revision.get(),
        rt,
    };
    html! {
        <ContextProvider<WorkspaceHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<WorkspaceHandle>>
    }
}

/// The open workspace.
///
/// # Panics
/// Outside a [`WorkspaceProvider`]: the app renders facility pages only inside one (see `app.rs`), so
/// this is a programming error caught by the browser tests, not a user's.
#[hook]
pub fn use_workspace() -> WorkspaceHandle {
    use_context::<WorkspaceHandle>()
        .expect("facility pages are rendered inside a WorkspaceProvider")
}
