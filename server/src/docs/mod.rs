//! The document hub: one task owns each open document. It applies incoming sync messages in batches,
//! commits the changes to the database, and only then answers the sender and forwards to the other
//! peers, so an acknowledged change survives a crash. Idle documents leave memory.

mod document;
mod task;

pub use document::Stored;
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
}

impl Default for DocLimits {
    fn default() -> Self {
        Self {
            max_doc_bytes: 16 * 1024 * 1024,
            message: zhigai_shared::sync::guard::Limits::default(),
        }
    }
}

impl Hub {
    /// A hub storing through `store`; documents without peers leave memory after `idle`.
    pub fn new(store: Arc<dyn Store>, idle: Duration, limits: DocLimits) -> Self {
        Self {
            inner: Arc::new(HubInner {
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
        let handle = match meta.kind {
            DocKind::Inspection => tokio::spawn(task::run::<zhigai_shared::Inspection>(
                meta.clone(),
                store,
                rx,
                idle,
                limits,
            )),
            DocKind::Review => tokio::spawn(task::run::<zhigai_shared::Review>(
                meta.clone(),
                store,
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
