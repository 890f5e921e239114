//! One facility-year open on the device: its inspection and review documents, loaded from IndexedDB and
//! kept in step with the server by the sync task. UI edits go through [`edit_inspection`], which stamps,
//! applies, stores and announces the change; every write reaches IndexedDB before anything waits on it.

use crate::i18n::Msg;
use crate::session::{self, SavedSession};
use crate::store::{COMPACT_AFTER, DocStore};
use futures::channel::mpsc::UnboundedSender;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use yew::Callback;
use zhigai_shared::api::User;
use zhigai_shared::doc::{
    Author, DocError, HistoryEntry, Inspection, Review, Stamp, SyncState, Timestamp,
};
use zhigai_shared::sync::{DocKind, DocumentId, RepoClient};
use zhigai_shared::{FacilityId, FacilityProfile, Template, Year};

/// The IndexedDB database the app keeps its documents in.
pub const DB_NAME: &str = "zhigai";

/// The latest change per subject.
type LastChanges = BTreeMap<String, HistoryEntry>;

/// The workspace as the UI and the sync task share it.
pub type Shared = Rc<RefCell<Workspace>>;

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

/// What wakes the sync task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// A local edit to send.
    Edit,
    /// The browser came back online.
    Online,
    /// The browser went offline.
    Offline,
    /// The workspace was closed.
    Stop,
}

/// One facility-year on the device.
pub struct Workspace {
    /// The facility.
    pub facility_id: FacilityId,
    /// Its name, when the user's directory has it.
    pub facility_name: Option<String>,
    /// What the template needs to know of it (unknown for a facility outside the user's directory).
    pub profile: Option<FacilityProfile>,
    /// The year.
    pub year: Year,
    /// Whether the user may change the inspection.
    pub writable: bool,
    /// Whether the user may write the review (the county's reviewers).
    pub review_writable: bool,
    /// The user.
    pub user: User,
    /// The session token.
    pub token: String,
    /// The facility's staff, for choosing owners.
    pub staff: Vec<User>,
    /// The self-inspection.
    pub inspection: Inspection,
    /// The county's review (read-only here).
    pub review: Review,
    /// The inspection's document id.
    pub inspection_id: DocumentId,
    /// The review's document id.
    pub review_id: DocumentId,
    /// The sync session with the server.
    pub client: RepoClient,
    /// The connection state.
    pub net: Net,
    /// Whether both documents were read from the device.
    pub loaded: bool,
    /// The server refused (or does not have) the inspection for this user.
    pub refused: bool,
    /// The last problem worth showing (storage failure, a refused change): what happened, and the detail.
    pub error: Option<(Msg, String)>,
    /// Writes to IndexedDB not yet finished.
    pub pending_writes: u32,
    /// Bumped on every change, so views re-render.
    pub revision: u64,
    /// False once closed: the sync task ends.
    pub alive: bool,
    /// The latest change per item and problem, computed once per revision (one pass over the log).
    last_changes: RefCell<Option<(u64, Rc<LastChanges>)>>,
    store: Option<Rc<DocStore>>,
    wake: Option<UnboundedSender<Wake>>,
    notify: Callback<()>,
}

impl Workspace {
    /// A workspace for `facility` in `year` for the logged-in user; documents load with [`open`].
    ///
    /// # Errors
    /// Only if Automerge fails to build the starting documents.
    pub fn new(
        session: &SavedSession,
        facility: &str,
        year: Year,
        notify: Callback<()>,
    ) -> Result<Self, DocError> {
        let facility_id = FacilityId::from(facility);
        let entry = session.facility(facility);
        let docs = entry.and_then(|e| e.documents.iter().find(|d| d.year == year));
        let writable = docs.is_some_and(|d| d.inspection.writable);
        let review_writable = docs.is_some_and(|d| d.review.writable);
        let template = Template::national();
        let client = RepoClient::new(format!(
            "zhigai-app-{}",
            session::to_hex(&session::device_actor(session.user.id.as_str())[..6])
        ));
        Ok(Self {
            facility_name: entry.map(|e| e.facility.name.clone()),
            profile: entry.map(|e| e.facility.profile()),
            year,
            writable,
            review_writable,
            user: session.user.clone(),
            token: session.token.clone(),
            staff: session.staff_of(facility).to_vec(),
            inspection: Inspection::create(&facility_id, year, template)?,
            review: Review::create(&facility_id, year)?,
            inspection_id: DocumentId::for_doc(DocKind::Inspection, &facility_id, year),
            review_id: DocumentId::for_doc(DocKind::Review, &facility_id, year),
            facility_id,
            client,
            net: Net::Offline,
            loaded: false,
            refused: false,
            error: None,
            pending_writes: 0,
            revision: 0,
            alive: true,
            last_changes: RefCell::new(None),
            store: None,
            wake: None,
            notify,
        })
    }

    /// A stamp for a change made now by the user.
    pub fn stamp(&self) -> Stamp {
        Stamp::new(
            Author::new(self.user.id.clone(), self.user.display_name.clone()),
            Timestamp(crate::clock::now_ms()),
        )
    }

    /// Who changed `subject` (an item or problem id) last, and when.
    pub fn last_change(&self, subject: &str) -> Option<HistoryEntry> {
        let mut cache = self.last_changes.borrow_mut();
        let fresh = match &*cache {
            Some((revision, map)) if *revision == self.revision => map.clone(),
            _ => {
                let map = Rc::new(self.inspection.last_changes());
                *cache = Some((self.revision, map.clone()));
                map
            }
        };
        fresh.get(subject).cloned()
    }

    /// Changes not yet acknowledged by the server, over both documents.
    pub fn unsynced(&self) -> usize {
        self.client
            .unsynced_changes(self.inspection_id, &self.inspection)
            + self.client.unsynced_changes(self.review_id, &self.review)
    }

    /// Whether the user may edit now: allowed to write, and the inspection is a draft or was returned
    /// after it was last submitted.
    pub fn editable(&self) -> bool {
        use zhigai_shared::doc::{ReviewState, Submission};
        if !self.writable || !self.loaded || self.refused {
            return false;
        }
        let submission = self.inspection.submission();
        if submission.state == Submission::Draft {
            return true;
        }
        let review = self.review.state();
        review.state == ReviewState::Returned && review.at >= submission.at
    }

    /// Sets the task's wake-up channel.
    pub fn set_wake(&mut self, wake: UnboundedSender<Wake>) {
        self.wake = Some(wake);
    }

    /// Wakes the sync task.
    pub fn wake(&self, why: Wake) {
        if let Some(wake) = &self.wake {
            let _ = wake.unbounded_send(why);
        }
    }

    /// Tells the views something changed (after the current borrow ends).
    pub fn changed(&mut self) {
        self.revision += 1;
        let notify = self.notify.clone();
        spawn_local(async move { notify.emit(()) });
    }

    /// Closes the workspace: the sync task ends.
    pub fn close(&mut self) {
        self.alive = false;
        self.wake(Wake::Stop);
    }

    /// Takes a document read from the device: restores its sync state and hands it back, or records why it
    /// could not be read (the server then sends it again).
    fn adopt<D>(
        &mut self,
        id: DocumentId,
        loaded: Result<(D, Option<SyncState>), String>,
    ) -> Option<D> {
        match loaded {
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
}

/// Loads the documents from IndexedDB (compacting many chunks into a snapshot) and marks the workspace
/// loaded. On a device without IndexedDB the app still runs, online only, and says so.
pub async fn open(ws: Shared) {
    let store = match DocStore::open(DB_NAME).await {
        Ok(store) => Some(Rc::new(store)),
        Err(e) => {
            ws.borrow_mut().error = Some((Msg::StorageUnavailable, e.0));
            None
        }
    };
    let (inspection_id, review_id, facility, year) = {
        let w = ws.borrow();
        (w.inspection_id, w.review_id, w.facility_id.clone(), w.year)
    };
    let actor = session::device_actor(ws.borrow().user.id.as_str());
    if let Some(store) = &store {
        let inspection = load_doc(store, inspection_id, |snapshot| match snapshot {
            Some(bytes) => Inspection::load(bytes),
            None => Inspection::create(&facility, year, Template::national()),
        })
        .await;
        let review = load_doc(store, review_id, |snapshot| match snapshot {
            Some(bytes) => Review::load(bytes),
            None => Review::create(&facility, year),
        })
        .await;
        let mut w = ws.borrow_mut();
        if let Some(doc) = w.adopt(inspection_id, inspection) {
            w.inspection = doc;
        }
        if let Some(doc) = w.adopt(review_id, review) {
            w.review = doc;
        }
    }
    let mut w = ws.borrow_mut();
    w.inspection.set_actor(&actor);
    w.review.set_actor(&actor);
    // What was just loaded is stored already.
    let _ = w.inspection.save_incremental();
    let _ = w.review.save_incremental();
    w.store = store;
    w.loaded = true;
    w.changed();
}

/// A document type as the store loads it.
trait Loadable: Sized {
    fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocError>;
    fn save(&mut self) -> Vec<u8>;
}

macro_rules! loadable {
    ($t:ty) => {
        impl Loadable for $t {
            fn load_incremental(&mut self, bytes: &[u8]) -> Result<usize, DocError> {
                <$t>::load_incremental(self, bytes)
            }
            fn save(&mut self) -> Vec<u8> {
                <$t>::save(self)
            }
        }
    };
}
loadable!(Inspection);
loadable!(Review);

async fn load_doc<D: Loadable>(
    store: &DocStore,
    id: DocumentId,
    start: impl Fn(Option<&[u8]>) -> Result<D, DocError>,
) -> Result<(D, Option<SyncState>), String> {
    let key = id.to_string();
    let stored = store.load(&key).await.map_err(|e| e.0)?;
    let mut doc = match start(stored.snapshot.as_deref()) {
        Ok(doc) => doc,
        // A damaged snapshot: start over from the chunks and the server rather than fail.
        Err(_) => start(None).map_err(|e| e.to_string())?,
    };
    for (_, chunk) in &stored.chunks {
        // A damaged chunk is skipped; the server still has what it held.
        let _ = doc.load_incremental(chunk);
    }
    if stored.chunks.len() > COMPACT_AFTER
        && let Some((last, _)) = stored.chunks.last()
    {
        let snapshot = doc.save();
        let _ = store.compact(&key, &snapshot, last).await;
    }
    let sync = stored.sync_state.and_then(|b| SyncState::decode(&b).ok());
    Ok((doc, sync))
}

/// Which document of the workspace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The inspection.
    Inspection,
    /// The review.
    Review,
}

/// Stores what changed in `which` since the last save, and the sync state, in IndexedDB.
pub fn persist(ws: &Shared, which: Which) {
    let (store, key, chunk, sync) = {
        let mut w = ws.borrow_mut();
        let Some(store) = w.store.clone() else { return };
        let (id, chunk) = match which {
            Which::Inspection => (w.inspection_id, w.inspection.save_incremental()),
            Which::Review => (w.review_id, w.review.save_incremental()),
        };
        let sync = w.client.state(id).map(|s| s.encode());
        w.pending_writes += 1;
        (store, id.to_string(), chunk, sync)
    };
    let ws = ws.clone();
    spawn_local(async move {
        let mut result = store.append(&key, &chunk).await;
        if let Some(sync) = sync {
            result = result.and(store.save_sync_state(&key, &sync).await);
        }
        let mut w = ws.borrow_mut();
        w.pending_writes -= 1;
        if let Err(e) = result {
            w.error = Some((Msg::SaveFailed, e.0));
        }
        w.changed();
    });
}

/// Applies a user's edit to the inspection: stamps it, stores it on the device, wakes the sync task and
/// re-renders. Returns the document's refusal (an empty description, a note too long) for the form to show.
///
/// # Errors
/// What the typed document refused; nothing changed then.
pub fn edit_inspection<T>(
    ws: &Shared,
    edit: impl FnOnce(&mut Inspection, &Stamp) -> Result<T, DocError>,
) -> Result<T, DocError> {
    let result = {
        let mut w = ws.borrow_mut();
        let stamp = w.stamp();
        edit(&mut w.inspection, &stamp)?
    };
    edited(ws, Which::Inspection);
    Ok(result)
}

/// After a local edit: store it, wake the sync task, re-render.
fn edited(ws: &Shared, which: Which) {
    persist(ws, which);
    let mut w = ws.borrow_mut();
    w.wake(Wake::Edit);
    w.changed();
}

/// Applies a reviewer's change to the review document, like [`edit_inspection`].
///
/// # Errors
/// What the typed document refused (an empty reason or comment); nothing changed then.
pub fn edit_review<T>(
    ws: &Shared,
    edit: impl FnOnce(&mut Review, &Inspection, &Stamp) -> Result<T, DocError>,
) -> Result<T, DocError> {
    let result = {
        let mut guard = ws.borrow_mut();
        let w = &mut *guard;
        let stamp = w.stamp();
        edit(&mut w.review, &w.inspection, &stamp)?
    };
    edited(ws, Which::Review);
    Ok(result)
}
