//! The document hub: one task owns each open document. It applies incoming sync messages in batches,
//! forwards the changes to the other peers at once, and answers a change's sender only once the change is
//! committed, so an acknowledged change survives a crash. Idle documents leave memory.

mod commit;
mod document;
mod feed;
mod task;

pub use document::Stored;
pub use feed::listen as listen_to_other_instances;
pub use task::{DocEngine, Handled};

use crate::db::{Facility, Store};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use zhigai_shared::Year;
use zhigai_shared::sync::{DocKind, DocumentId};

/// A connection's id within this server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConnId(u64);

impl ConnId {
    /// A fresh id.
    pub fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

/// Which document, of which facility and year.
#[derive(Clone, Debug)]
pub struct DocMeta {
    /// Its id.
    pub id: DocumentId,
    /// Inspection or review.
    pub kind: DocKind,
    /// Its facility.
    pub facility: Facility,
    /// Its year.
    pub year: Year,
}

/// How a document task reaches one connection: a bounded queue it never waits on, and a switch that
/// closes the connection (a peer too slow to drain its queue, or one that sent something hostile).
#[derive(Clone, Debug)]
pub struct PeerLink {
    /// Messages for the connection.
    pub out: mpsc::Sender<Outbound>,
    /// Notified when the connection must close; carries no message of its own (see [`Outbound::Error`]).
    pub kill: Arc<tokio::sync::Notify>,
}

impl PeerLink {
    /// A link with a queue of `capacity` messages, and its receiving end.
    pub fn new(capacity: usize) -> (Self, mpsc::Receiver<Outbound>) {
        let (out, rx) = mpsc::channel(capacity);
        (
            Self {
                out,
                kill: Arc::new(tokio::sync::Notify::new()),
            },
            rx,
        )
    }

    /// Queues `message` without waiting; a full queue closes the connection (its peer resyncs when it
    /// reconnects), so one slow reader never holds a document. False if the connection is gone or closed.
    pub fn offer(&self, message: Outbound) -> bool {
        match self.out.try_send(message) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.kill.notify_one();
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Who is on the other end of a connection, as the server knows it from the session.
#[derive(Clone, Debug)]
pub struct PeerRole {
    /// The writer the changes must come from, or `None` for a peer that may only read.
    pub writer: Option<zhigai_shared::Writer>,
}

/// What a document task sends a connection.
#[derive(Debug)]
pub enum Outbound {
    /// An Automerge sync message for the peer.
    Sync {
        /// Which document.
        doc: DocumentId,
        /// The message.
        data: Vec<u8>,
    },
    /// A refusal or failure concerning one document.
    Error {
        /// Which document.
        doc: DocumentId,
        /// What to tell the peer.
        message: String,
    },
}

/// A command for a document task.
pub(crate) enum DocCmd {
    Sync {
        conn: ConnId,
        data: Vec<u8>,
        role: PeerRole,
        link: PeerLink,
    },
    Detach {
        conn: ConnId,
    },
    /// Another instance stored something of this document: read it and tell the peers.
    Refresh,
}

/// Open documents: each one's command queue and task.
type OpenDocs = HashMap<DocumentId, (mpsc::Sender<DocCmd>, JoinHandle<()>)>;

/// The set of open documents.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<HubInner>,
}

struct HubInner {
    store: Arc<dyn Store>,
    committer: commit::Committer,
    idle: Duration,
    limits: DocLimits,
    docs: Mutex<OpenDocs>,
    closed: std::sync::atomic::AtomicBool,
}

/// What one document may hold and one message may carry.
#[derive(Clone, Copy, Debug)]
pub struct DocLimits {
    /// Bytes a document may take in storage; a change past it is refused.
    pub max_doc_bytes: usize,
    /// Bounds on one sync message, checked before automerge sees it.
    pub message: zhigai_shared::sync::guard::Limits,
    /// Chunks stored after a snapshot before the document is compacted into a new one.
    pub compact_after: usize,
    /// How big the chunks stored after a snapshot must be, in percent of the snapshot's bytes, before the
    /// document is compacted (besides [`Self::compact_after`]): storage stays within about twice the
    /// compact size, and compaction's work per change does not grow with the history.
    pub compact_growth_percent: usize,
}

impl Default for DocLimits {
    fn default() -> Self {
        Self {
            max_doc_bytes: 16 * 1024 * 1024,
            message: zhigai_shared::sync::guard::Limits::default(),
            compact_after: 100,
            compact_growth_percent: 100,
        }
    }
}

impl Hub {
    /// A hub storing through `store`; documents without peers leave memory after `idle`.
    pub fn new(store: Arc<dyn Store>, idle: Duration, limits: DocLimits) -> Self {
        Self {
            inner: Arc::new(HubInner {
                committer: commit::Committer::start(store.clone()),
                store,
                idle,
                limits,
                docs: Mutex::new(HashMap::new()),
                closed: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }

    /// Hands a peer's sync message to the document's task (starting it if needed). Replies and forwards
    /// arrive on `out`.
    pub async fn sync(
        &self,
        meta: &DocMeta,
        conn: ConnId,
        data: Vec<u8>,
        role: PeerRole,
        link: PeerLink,
    ) {
        let mut cmd = DocCmd::Sync {
            conn,
            data,
            role,
            link,
        };
        // A task that just went idle refuses the command; start a fresh one and try once more.
        for _ in 0..2 {
            let Some(sender) = self.sender(meta) else {
                return;
            };
            match sender.send(cmd).await {
                Ok(()) => return,
                Err(mpsc::error::SendError(back)) => {
                    self.forget(meta.id, &sender);
                    cmd = back;
                }
            }
        }
    }

    /// Tells the document's task that a connection is gone.
    pub async fn detach(&self, doc: DocumentId, conn: ConnId) {
        let sender = self.lock().get(&doc).map(|(s, _)| s.clone());
        if let Some(sender) = sender {
            let _ = sender.send(DocCmd::Detach { conn }).await;
        }
    }

    /// Tells the task of `doc`, if the document is open here, that another instance stored something of it.
    pub fn refresh(&self, doc: DocumentId) {
        let sender = self.lock().get(&doc).map(|(s, _)| s.clone());
        if let Some(sender) = sender {
            match sender.try_send(DocCmd::Refresh) {
                Ok(()) | Err(mpsc::error::TrySendError::Closed(_)) => {}
                // A busy document still hears it, after the commands queued before.
                Err(mpsc::error::TrySendError::Full(cmd)) => {
                    tokio::spawn(async move {
                        let _ = sender.send(cmd).await;
                    });
                }
            }
        }
    }

    /// [`Self::refresh`] for every open document: announcements may have been missed (the listening
    /// connection was lost).
    pub fn refresh_all(&self) {
        let open: Vec<DocumentId> = self.lock().keys().copied().collect();
        for doc in open {
            self.refresh(doc);
        }
    }

    /// How many documents are open (their tasks still running).
    pub fn open_documents(&self) -> usize {
        self.lock()
            .values()
            .filter(|(sender, _)| !sender.is_closed())
            .count()
    }

    /// Stops taking commands and waits for every document task to finish its current batch.
    pub async fn shutdown(&self) {
        self.inner.closed.store(true, Ordering::SeqCst);
        let handles: Vec<JoinHandle<()>> = self.lock().drain().map(|(_, (_, h))| h).collect();
        // Dropping the senders above ends each task once its queue is drained.
        for handle in handles {
            let _ = handle.await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OpenDocs> {
        self.inner.docs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn sender(&self, meta: &DocMeta) -> Option<mpsc::Sender<DocCmd>> {
        if self.inner.closed.load(Ordering::SeqCst) {
            return None;
        }
        let mut docs = self.lock();
        if let Some((sender, _)) = docs.get(&meta.id)
            && !sender.is_closed()
        {
            return Some(sender.clone());
        }
        // Tasks that went idle have ended: drop their entries before adding one.
        docs.retain(|_, (sender, _)| !sender.is_closed());
        let (tx, rx) = mpsc::channel(1024);
        let (store, idle, limits) = (self.inner.store.clone(), self.inner.idle, self.inner.limits);
        let committer = self.inner.committer.clone();
        let handle = match meta.kind {
            DocKind::Inspection => tokio::spawn(task::run::<zhigai_shared::Inspection>(
                meta.clone(),
                store,
                committer,
                rx,
                idle,
                limits,
            )),
            DocKind::Review => tokio::spawn(task::run::<zhigai_shared::Review>(
                meta.clone(),
                store,
                committer,
                rx,
                idle,
                limits,
            )),
        };
        docs.insert(meta.id, (tx.clone(), handle));
        Some(tx)
    }

    fn forget(&self, id: DocumentId, sender: &mpsc::Sender<DocCmd>) {
        let mut docs = self.lock();
        if docs.get(&id).is_some_and(|(s, _)| s.same_channel(sender)) {
            docs.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::{County, Facility, User};
    use zhigai_shared::access::{Rights, Role, Scope};
    use zhigai_shared::{
        Author, Document, FacilityId, FacilityType, Inspection, ItemId, Stamp, Status, SyncState,
        Timestamp, UserId, Writer,
    };

    /// A hub over a fresh SQLite file with one facility and its member.
    async fn hub_with_facility() -> (Hub, DocMeta, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("hub.db").display());
        let store = crate::db::connect(&url).await.unwrap();
        store.insert_county(&County::new("c", "县")).await.unwrap();
        let facility = Facility {
            id: FacilityId::from("f"),
            county_id: "c".into(),
            community_id: None,
            name: "卫生院".into(),
            facility_type: FacilityType::Township,
            open_beds: 10,
            services: vec![],
            guided_by: None,
        };
        store.insert_facility(&facility, &[2026]).await.unwrap();
        let user = User {
            id: UserId::new("u"),
            username: "u".into(),
            display_name: "员工".into(),
            role: Role::Member,
            scope: Scope::Facility(facility.id.clone()),
        };
        store.insert_user(&user, "x", 0).await.unwrap();
        let meta = DocMeta {
            id: DocumentId::for_doc(DocKind::Inspection, &facility.id, 2026),
            kind: DocKind::Inspection,
            facility,
            year: 2026,
        };
        let hub = Hub::new(store, Duration::from_secs(60), DocLimits::default());
        (hub, meta, dir)
    }

    /// Lets the hub's tasks run (this test runtime has one thread: nothing runs until the test yields).
    async fn let_run() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    /// Applies what the server sent; true if anything came.
    fn take_replies(
        rx: &mut mpsc::Receiver<Outbound>,
        doc: &mut Inspection,
        state: &mut SyncState,
    ) -> bool {
        let mut any = false;
        while let Ok(out) = rx.try_recv() {
            if let Outbound::Sync { data, .. } = out {
                doc.receive_sync_message(state, &data).unwrap();
                any = true;
            }
        }
        any
    }

    #[tokio::test]
    async fn a_change_and_a_heads_only_message_in_one_batch_are_still_acknowledged() {
        let (hub, meta, _dir) = hub_with_facility().await;
        let conn = ConnId::next();
        let role = PeerRole {
            writer: Some(Writer {
                user: UserId::new("u"),
                rights: Rights::EDIT,
            }),
        };
        let (link, mut rx) = PeerLink::new(64);
        let mut doc = Inspection::empty();
        let mut state = SyncState::new();
        // The device fetches the document and the exchange goes quiet.
        for _ in 0..10 {
            if let Some(m) = doc.generate_sync_message(&mut state) {
                hub.sync(&meta, conn, m, role.clone(), link.clone()).await;
            }
            let_run().await;
            take_replies(&mut rx, &mut doc, &mut state);
        }
        assert!(doc.peer_has_all(&state), "the first exchange completes");
        let stamp = Stamp::new(Author::new("u", "员工"), Timestamp(1));
        let item = ItemId::from("T1.01");

        // First change: sent and stored; the server's reply is on its way but not yet read.
        doc.set_status(&item, Some(Status::Compliant), &stamp)
            .unwrap();
        let first = doc.generate_sync_message(&mut state).unwrap();
        hub.sync(&meta, conn, first, role.clone(), link.clone())
            .await;
        let_run().await;
        // Second change, sent before that reply is read.
        doc.set_status(&item, Some(Status::Partial), &stamp)
            .unwrap();
        let second = doc.generate_sync_message(&mut state).unwrap();
        // The reply to the first arrives; the device answers with its heads alone (the second change is
        // in flight, so it is not sent again).
        assert!(take_replies(&mut rx, &mut doc, &mut state));
        let heads_only = doc
            .generate_sync_message(&mut state)
            .expect("the device answers the reply");
        // Both reach the server in one batch: the change, then a message saying the device has the heads
        // the change makes. Automerge alone would take the device to know those heads and say nothing.
        hub.sync(&meta, conn, second, role.clone(), link.clone())
            .await;
        hub.sync(&meta, conn, heads_only, role.clone(), link.clone())
            .await;
        // The answer comes after the batch's commit, which a busy machine may take longer than one
        // `let_run` over: read what arrives for up to 2 s. The device never speaks first (the stall was
        // both sides waiting); it only answers what the server sends, as a stock client does. Usually the
        // first answer acknowledges both changes. When the server's first Bloom filter happened to match
        // the first change (a false positive: a few runs in a hundred), the device did not send it, the
        // server asked for it, and the second change (which depends on it) came in the batch before it:
        // the server resets that peer and asks again, and the device's answer brings it.
        let mut answered = false;
        for _ in 0..40 {
            let_run().await;
            if take_replies(&mut rx, &mut doc, &mut state) {
                answered = true;
                if let Some(reply) = doc.generate_sync_message(&mut state) {
                    hub.sync(&meta, conn, reply, role.clone(), link.clone())
                        .await;
                }
            }
            if doc.peer_has_all(&state) {
                break;
            }
        }
        assert!(answered, "the server answers the batch");
        assert!(
            doc.peer_has_all(&state),
            "the device sees its second change acknowledged without sending anything but answers"
        );
    }

    /// The engine checks a message's new changes from the message's own chunks (not by reading them back
    /// out of the document's history): the result is what reading them back gives.
    #[test]
    fn new_changes_are_checked_from_the_message_as_from_the_history() {
        let facility = FacilityId::from("f");
        let template = zhigai_shared::Template::current();
        let mut server = Inspection::create(&facility, 2026, template).unwrap();
        // Some history first: a device that lacks more than a third of it gets a whole document instead.
        let earlier = Stamp::new(Author::new("u", "员工"), Timestamp(0));
        for item in template.items().skip(20).take(20) {
            server
                .set_status(&item.id, Some(Status::Compliant), &earlier)
                .unwrap();
        }
        let mut device = Inspection::load(&server.save()).unwrap();
        let mut engine = DocEngine::new(server, DocLimits::default(), 0);
        let writer = Writer {
            user: UserId::new("u"),
            rights: Rights::EDIT,
        };
        let role = PeerRole {
            writer: Some(writer.clone()),
        };
        let stamp = Stamp::new(Author::new("u", "员工"), Timestamp(1));
        for (n, item) in ["T1.01", "T5.01", "T3.02"].iter().enumerate() {
            device
                .set_status(&ItemId::from(*item), Some(Status::Partial), &stamp)
                .unwrap();
            if n == 1 {
                device
                    .set_metric(&ItemId::from(*item), Some(42.0), &stamp)
                    .unwrap();
            }
        }
        let (mut ours, mut theirs) = (SyncState::new(), SyncState::new());
        let mut applied = Vec::new();
        for _ in 0..6 {
            if let Some(message) = device.generate_sync_message(&mut theirs) {
                match engine.receive(&mut ours, &role, &message) {
                    Handled::Applied { new, before, .. } if !new.is_empty() => {
                        let read_back = engine.doc.check_changes_since(&before, &writer).unwrap();
                        assert_eq!(new, read_back);
                        applied.extend(new);
                    }
                    Handled::Applied { .. } => {}
                    other => panic!("{other:?}"),
                }
            }
            if let Ok(Some(reply)) = engine.generate(&mut ours) {
                device.receive_sync_message(&mut theirs, &reply).unwrap();
            }
        }
        assert_eq!(applied.len(), 4, "{applied:?}");
        assert_eq!(engine.doc.heads(), device.heads());
        let touched: std::collections::BTreeSet<String> = applied
            .iter()
            .flat_map(|c| c.touched.items.iter().cloned())
            .collect();
        assert_eq!(touched.len(), 3, "{touched:?}");
    }

    #[tokio::test]
    async fn a_full_peer_queue_closes_that_connection_without_waiting() {
        let (link, mut rx) = PeerLink::new(2);
        let doc = DocumentId::for_doc(DocKind::Review, &zhigai_shared::FacilityId::from("f"), 2026);
        let message = || Outbound::Sync { doc, data: vec![1] };
        assert!(link.offer(message()));
        assert!(link.offer(message()));
        // The third finds the queue full: refused at once, and the connection is told to close.
        assert!(!link.offer(message()));
        tokio::time::timeout(Duration::from_secs(1), link.kill.notified())
            .await
            .expect("the connection was not told to close");
        assert!(rx.try_recv().is_ok());
        drop(rx);
        assert!(!link.offer(message()), "a closed connection takes nothing");
    }
}
