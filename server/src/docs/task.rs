//! The task that owns one open document, and [`DocEngine`], its synchronous core: every peer message is
//! read by the sync guard first, a reader's changes are refused by hash and never applied, a writer's are
//! applied and then checked against the connected user (stamp, actor, fields, head-only acts, size), and
//! every call into automerge runs under `catch_unwind`, so a panic costs the offending peer its connection
//! and the document a reload from the database, never the server.

use super::commit::{Committer, Landing, Outcome};
use super::{ConnId, DocCmd, DocLimits, DocMeta, Outbound, PeerLink, PeerRole, Stored};
use crate::clock::now_ms;
use crate::db::{Compaction, DerivedRows, DocWrite, Store};
use std::collections::{HashMap, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zhigai_shared::sync::guard;
use zhigai_shared::{AcceptedChange, SyncState, Touched, UserId, Writer};

/// How many commands one batch takes at most.
const BATCH: usize = 64;

const READ_ONLY: &str = "你对此文档只有查看权限，修改未被接受。You may only read this document; the changes were refused.";
const PANICKED: &str = "服务器无法处理这条同步消息，连接已断开。The server could not process this sync message; the connection was closed.";
const UNREADABLE: &str = "服务器暂时无法打开此文档，请稍后重试；如持续出现请联系县级管理员。The server cannot open this document right now; try again later, and tell the county administrator if it persists.";
const STORE_FAILED: &str =
    "服务器暂时无法保存，请稍后重试。The server could not store the change; it will be retried.";
const ACTOR_TAKEN: &str = "此设备标识属于另一位用户，修改未被接受。This device id belongs to another user; the changes were refused.";

/// What became of one peer message.
#[derive(Debug, PartialEq)]
pub enum Handled {
    /// Applied (possibly nothing new). `new` lists the changes this message added, to be bound to the
    /// writer before they are stored; `before` is the heads to roll back to if binding fails.
    Applied {
        /// The new changes.
        new: Vec<AcceptedChange>,
        /// Their total size in bytes.
        bytes: usize,
        /// The heads before the message.
        before: Vec<String>,
    },
    /// Refused; nothing of it stays in the document.
    Refused {
        /// For the peer.
        message: String,
        /// Whether the peer is to be disconnected (hostile or broken input).
        close: bool,
    },
    /// The changes depend on a change neither the message nor the document holds: nothing of it was
    /// applied, and the peer's state was reset so that it sends again everything the document lacks. An
    /// honest peer gets here when a Bloom filter false positive made it take a change of its own for one the
    /// server has; there is nothing to tell its user.
    Resync,
    /// Automerge panicked: the document must be reloaded and the peer disconnected.
    Panicked,
}

/// One open document with the checks around automerge, without I/O: the task drives it, and the fuzz
/// harness and tests call it directly.
pub struct DocEngine<D> {
    /// The document.
    pub doc: D,
    limits: DocLimits,
    /// Bytes the document takes in storage (plus what this batch adds).
    pub stored_bytes: usize,
}

impl<D: Stored> DocEngine<D> {
    /// An engine around `doc`, which takes `stored_bytes` in storage.
    pub fn new(doc: D, limits: DocLimits, stored_bytes: usize) -> Self {
        Self {
            doc,
            limits,
            stored_bytes,
        }
    }

    /// A fresh sync state for a peer. Readers get an ordinary one: automerge's read-only mode would tell
    /// their devices to stop sending changes, and a reviewer who edits a facility's checklist by mistake
    /// must hear that the edit was refused. Their changes are refused by hash before automerge sees them.
    pub fn state_for(_role: &PeerRole) -> SyncState {
        SyncState::new()
    }

    /// Handles one sync message from a peer of `role`.
    pub fn receive(&mut self, state: &mut SyncState, role: &PeerRole, data: &[u8]) -> Handled {
        let inspected = match guard::inspect(data, &self.limits.message) {
            Ok(i) => i,
            // Damaged data may be a bug; out-of-bounds parameters are an attack: those peers are cut off.
            Err(e) => {
                let hostile = matches!(
                    e,
                    guard::GuardError::TooMany { .. }
                        | guard::GuardError::BadBloom(_)
                        | guard::GuardError::Inflation { .. }
                );
                return Handled::Refused {
                    message: format!("同步消息无法接受。The sync message was refused: {e}"),
                    close: hostile,
                };
            }
        };
        match &role.writer {
            None => self.receive_as_reader(state, data, &inspected),
            Some(writer) => {
                let writer = writer.clone();
                match catch_unwind(AssertUnwindSafe(|| {
                    self.receive_as_writer(state, &writer, data, &inspected)
                })) {
                    Ok(handled) => handled,
                    Err(_) => Handled::Panicked,
                }
            }
        }
    }

    fn receive_as_reader(
        &mut self,
        state: &mut SyncState,
        data: &[u8],
        inspected: &guard::Inspected,
    ) -> Handled {
        // Compared by hash, never applied: a reader may resend what the server has, nothing more.
        let new = !inspected.documents.is_empty()
            || inspected
                .changes
                .iter()
                .any(|c| !self.doc.has_change(&c.hash));
        if new {
            return Handled::Refused {
                message: READ_ONLY.to_owned(),
                close: false,
            };
        }
        // Any change data left is already in the document: applying it adds nothing.
        match catch_unwind(AssertUnwindSafe(|| {
            self.doc.receive_sync_message(state, data)
        })) {
            Ok(Ok(())) => Handled::Applied {
                new: Vec::new(),
                bytes: 0,
                before: Vec::new(),
            },
            Ok(Err(e)) => Handled::Refused {
                message: e.to_string(),
                close: false,
            },
            Err(_) => Handled::Panicked,
        }
    }

    fn receive_as_writer(
        &mut self,
        state: &mut SyncState,
        writer: &Writer,
        data: &[u8],
        inspected: &guard::Inspected,
    ) -> Handled {
        let sent: HashSet<&[u8; 32]> = inspected.changes.iter().map(|c| &c.hash).collect();
        let orphaned = inspected.changes.iter().any(|c| {
            c.deps
                .iter()
                .any(|d| !sent.contains(d) && !self.doc.has_change(d))
        });
        if orphaned {
            // Kept out of automerge's queue (where another peer's message could apply them unchecked). The
            // peer believes the server has the missing change; a reset makes it send everything the server
            // lacks (automerge's own answer, asking for the hash, would not bring back the refused ones).
            *state = SyncState::reset();
            return Handled::Resync;
        }
        // The changes the document lacks: once the message is applied these are exactly its new changes
        // (orphans never reach automerge's queue), unless it carried a whole document or a change twice.
        let fresh: Vec<&guard::ChangeInfo> = inspected
            .changes
            .iter()
            .filter(|c| !self.doc.has_change(&c.hash))
            .collect();
        let count_before = self.doc.change_count();
        let before = self.doc.heads();
        if let Err(e) = self.doc.receive_sync_message(state, data) {
            self.restore(&before);
            return Handled::Refused {
                message: e.to_string(),
                close: false,
            };
        }
        if self.doc.heads() == before {
            return Handled::Applied {
                new: Vec::new(),
                bytes: 0,
                before,
            };
        }
        let exactly_fresh = inspected.documents.is_empty()
            && self.doc.change_count() == count_before + fresh.len()
            && fresh.iter().all(|c| self.doc.has_change(&c.hash));
        let checked = if exactly_fresh {
            // From the message's own chunks: reading them back out of the document costs a pass over its
            // whole history.
            self.doc
                .check_chunks(fresh.iter().map(|c| c.chunk.as_slice()), writer)
        } else {
            self.doc.check_changes_since(&before, writer)
        };
        let new = match checked {
            Ok(new) => new,
            Err(refusal) => {
                self.restore(&before);
                return Handled::Refused {
                    message: refusal.to_string(),
                    close: true,
                };
            }
        };
        let bytes: usize = new.iter().map(|c| c.bytes).sum();
        if self.stored_bytes + bytes > self.limits.max_doc_bytes {
            self.restore(&before);
            return Handled::Refused {
                message: format!(
                    "文档已达存储上限（{} MB），修改未被接受；请联系管理员。The document reached its storage quota ({} MB); the change was refused — ask your administrator.",
                    self.limits.max_doc_bytes >> 20,
                    self.limits.max_doc_bytes >> 20
                ),
                close: true,
            };
        }
        self.stored_bytes += bytes;
        Handled::Applied { new, bytes, before }
    }

    /// Rolls the document back after a refusal (a failed rollback leaves the caller to reload).
    fn restore(&mut self, before: &[String]) {
        if self.doc.heads() != before
            && let Err(e) = self.doc.rollback(before)
        {
            tracing::error!(error = %e, "rollback failed");
        }
    }

    /// Undoes an applied message whose changes were refused later (an actor of another user).
    pub fn undo(&mut self, before: &[String], bytes: usize) {
        self.restore(before);
        self.stored_bytes = self.stored_bytes.saturating_sub(bytes);
    }

    /// The next message for a peer; `Err` if automerge panicked on this peer's state.
    #[allow(clippy::result_unit_err)]
    pub fn generate(&self, state: &mut SyncState) -> Result<Option<Vec<u8>>, ()> {
        catch_unwind(AssertUnwindSafe(|| self.doc.generate_sync_message(state))).map_err(|_| ())
    }
}

struct Peer {
    state: SyncState,
    role: PeerRole,
    link: PeerLink,
    /// Whether the peer sent a message since the last round of replies.
    heard: bool,
    /// The heads of the last message sent to it.
    told: Vec<String>,
    /// The heads when a message for it was last considered; `None` after its state was reset. With the
    /// same heads and nothing heard since, there is nothing to consider.
    checked: Option<Vec<String>>,
}

impl Peer {
    fn new<D: Stored>(role: PeerRole, link: PeerLink) -> Self {
        Self {
            state: DocEngine::<D>::state_for(&role),
            role,
            link,
            heard: false,
            told: Vec::new(),
            checked: None,
        }
    }
}

/// An opened document: the engine, and what of the database it holds.
struct Opened<D> {
    engine: DocEngine<D>,
    held: Held,
}

/// What of the stored document an open copy holds: the chunks merged into it and the generation of the
/// snapshot it read. It compacts only what it holds, and only over the snapshot it read.
#[derive(Default)]
struct Held {
    merged: Vec<i64>,
    generation: i64,
    /// Another instance replaced the snapshot and this copy has not read it yet: no compaction until then.
    stale: bool,
    /// Bytes of the snapshot, and of the chunks stored after it (as far as this copy knows).
    snapshot_bytes: usize,
    chunk_bytes: usize,
}

impl Held {
    /// Merges what another instance stored since this copy last read the database: a replaced snapshot,
    /// new chunks. Returns the bytes merged, `None` if nothing was new. The merged changes are not this
    /// task's to store again.
    async fn catch_up<D: Stored>(
        &mut self,
        store: &dyn Store,
        doc_id: &str,
        engine: &mut DocEngine<D>,
    ) -> anyhow::Result<Option<usize>> {
        use anyhow::Context;
        let Some(news) = store
            .fetch_document_news(doc_id, self.generation, &self.merged)
            .await
            .context("reading what other instances stored")?
        else {
            return Ok(None);
        };
        let mut bytes = 0;
        if let Some(snapshot) = &news.snapshot {
            engine
                .doc
                .load_incremental(snapshot)
                .context("merging another instance's snapshot")?;
            bytes += snapshot.len();
            self.snapshot_bytes = snapshot.len();
            self.chunk_bytes = 0;
        }
        for (id, data) in &news.chunks {
            engine
                .doc
                .load_incremental(data)
                .context("merging another instance's chunk")?;
            bytes += data.len();
            self.chunk_bytes += data.len();
            self.merged.push(*id);
        }
        let replaced = news.snapshot.is_some();
        if replaced {
            // The chunks the new snapshot took in are gone; every chunk stored now is merged here.
            self.merged = news.ids;
            self.stale = false;
        }
        self.generation = news.generation;
        // Already stored: the next incremental save starts after them.
        let _ = engine.doc.save_incremental();
        Ok((replaced || !news.chunks.is_empty()).then_some(bytes))
    }
}

/// How long the rows wait after merging another instance's changes when no change of this instance's comes
/// to carry them: the peers hear the merged changes at once, the rows follow.
const ROWS_DELAY: Duration = Duration::from_millis(200);

/// How long a write may take before the document's task goes on without it. A commit normally takes a few
/// ms, and the commands that queue meanwhile make the next batch: taking them one by one while every write
/// is in the air cost 7–10 % of the throughput past saturation (`docs/benchmarks.md`, 2026-11-25), so the
/// task waits that long first.
const STALL: Duration = Duration::from_millis(50);

/// The first wait before storing again after a failed commit; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// When to try the database again after it failed; until a write succeeds the changes it did not take
/// stay in memory, acknowledged to no one.
struct Retry {
    /// When to try again.
    at: tokio::time::Instant,
    /// The wait after the next failure.
    backoff: Duration,
}

impl Retry {
    /// After another failure: the next try after the current back-off, which then doubles.
    fn after(previous: Option<Retry>) -> Self {
        let wait = previous.map_or(RETRY_FIRST, |r| r.backoff);
        Self {
            at: tokio::time::Instant::now() + wait,
            backoff: (wait * 2).min(RETRY_MAX),
        }
    }

    fn due(&self) -> bool {
        tokio::time::Instant::now() >= self.at
    }
}

/// The write in the group commit (after [`STALL`] the task goes on with its peers without it).
struct Flight {
    landing: Landing,
    /// When it left.
    sent: tokio::time::Instant,
    /// The document's stored bytes (as the engine counts them) when the write left: what it grew by since
    /// is not in the write.
    bytes_at_submit: usize,
}

/// What the task does after waiting.
enum Next {
    /// Handle these commands; `timed_out` when the wait ended for a retry or the rows instead.
    Batch { cmds: Vec<DocCmd>, timed_out: bool },
    /// The write in the air committed or failed.
    Landed(Box<Outcome>),
    /// Nothing came and nothing is due.
    Idle,
    /// The hub dropped the document, or it has been idle without peers: the task ends.
    Stop,
}

/// What handling one batch of commands left to do.
#[derive(Default)]
struct BatchEnd {
    /// Automerge panicked: the document must be reloaded.
    poisoned: bool,
    /// Another instance stored something of this document.
    news: bool,
    /// A database failure while binding actors: nothing is stored until the retry.
    store_failed: bool,
}

/// One open document's task between batches: the engine, its peers, and what of the database it holds.
///
/// A write that has not landed after [`STALL`] no longer holds the document up: the task goes on applying
/// its peers' messages and forwarding their changes, and saves what they add for the next write, which
/// leaves when the first lands. A user whose changes are not stored yet hears nothing (any message carries
/// the server's heads, and heads that cover a change acknowledge it), so an acknowledged change is always
/// stored; the other peers hear everything at once. A database that stalls (a lock held by another
/// instance, a slow disk, SQLite's busy wait) thus never freezes the live editing of a document.
struct DocTask<D: Stored> {
    meta: DocMeta,
    doc_id: String,
    store: Arc<dyn Store>,
    committer: Committer,
    limits: DocLimits,
    engine: DocEngine<D>,
    held: Held,
    peers: HashMap<ConnId, Peer>,
    /// Who each actor belongs to, as far as this task has checked.
    actors: HashMap<Vec<u8>, UserId>,
    /// The users with changes in the document that no write has taken yet.
    pending: HashSet<UserId>,
    /// The users with changes in the write in the air.
    flying: HashSet<UserId>,
    /// Saved changes that no write has taken yet (or that a failed write gave back), oldest first.
    backlog: Vec<u8>,
    /// The write in the air.
    flight: Option<Flight>,
    /// A user had changes both in the write that just landed and in the next one: the task takes no
    /// commands until that one lands, so a user who edits faster than the database commits still hears
    /// the acknowledgement after two writes at most.
    hold_back: bool,
    /// The rows of the last committed write: the next write rewrites only what differs.
    committed: Option<DerivedRows>,
    /// Stored bytes as of the last commit.
    stored_base: usize,
    /// Set while the database fails: nothing is stored until it is due.
    retry: Option<Retry>,
    /// What the rows need from the document.
    memo: D::Memo,
    /// What changes wrote since the rows were last brought up to date.
    touched: Touched,
    /// Another instance's changes were merged and the rows not yet rewritten from the merged state.
    rows_due: bool,
    /// Another instance stored something; it is merged when no write is in the air (a write's outcome
    /// and the merged snapshot and chunks both change what this copy holds).
    news_due: bool,
}

pub(super) async fn run<D: Stored>(
    meta: DocMeta,
    store: Arc<dyn Store>,
    committer: Committer,
    mut rx: mpsc::Receiver<DocCmd>,
    idle: Duration,
    limits: DocLimits,
) {
    let opened = match open::<D>(&meta, store.as_ref(), limits).await {
        Ok(opened) => opened,
        Err(error) => {
            // The detail stays in the log; peers get a fixed message.
            tracing::error!(doc = %meta.id, error = format!("{error:#}"), "document cannot be opened");
            while let Some(cmd) = rx.recv().await {
                if let DocCmd::Sync { link, .. } = cmd {
                    link.offer(Outbound::Error {
                        doc: meta.id,
                        message: UNREADABLE.to_owned(),
                    });
                }
            }
            return;
        }
    };
    let mut task = DocTask::new(meta, store, committer, limits, opened);
    loop {
        match task.next(&mut rx, idle).await {
            Next::Batch { cmds, timed_out } => {
                let heads_before = task.engine.doc.heads();
                let mut end = BatchEnd::default();
                for cmd in cmds {
                    task.handle(cmd, &mut end).await;
                }
                if end.poisoned {
                    // What the write in the air stores, the reload reads back.
                    if let Some(flight) = task.flight.take() {
                        let _ = flight.landing.await;
                    }
                    if !task.reload().await {
                        break;
                    }
                }
                task.after_batch(&heads_before, &end, timed_out).await;
            }
            Next::Landed(outcome) => {
                if !task.land(*outcome).await {
                    break;
                }
            }
            Next::Idle => {}
            Next::Stop => {
                // The writes in the air (and what they leave to write) still land: a change applied here
                // is stored before the task ends.
                while let Some(flight) = task.flight.as_mut() {
                    let outcome = (&mut flight.landing).await;
                    if !task.land(outcome).await {
                        break;
                    }
                }
                break;
            }
        }
    }
    tracing::debug!(doc = %task.doc_id, "document left memory");
}

impl<D: Stored> DocTask<D> {
    fn new(
        meta: DocMeta,
        store: Arc<dyn Store>,
        committer: Committer,
        limits: DocLimits,
        opened: Opened<D>,
    ) -> Self {
        Self {
            doc_id: meta.id.to_string(),
            meta,
            store,
            committer,
            limits,
            stored_base: opened.engine.stored_bytes,
            engine: opened.engine,
            held: opened.held,
            peers: HashMap::new(),
            actors: HashMap::new(),
            pending: HashSet::new(),
            flying: HashSet::new(),
            backlog: Vec::new(),
            flight: None,
            hold_back: false,
            committed: None,
            retry: None,
            memo: D::Memo::default(),
            touched: Touched::everything(),
            rows_due: false,
            news_due: false,
        }
    }

    /// Waits for the write in the air to land, or for the next commands (up to [`BATCH`] of those already
    /// queued), a retry or the rows.
    async fn next(&mut self, rx: &mut mpsc::Receiver<DocCmd>, idle: Duration) -> Next {
        let mut wait = idle;
        if let (None, Some(retry)) = (&self.flight, &self.retry) {
            wait = retry
                .at
                .saturating_duration_since(tokio::time::Instant::now());
        }
        if self.rows_due {
            wait = wait.min(ROWS_DELAY);
        }
        let received = match self.flight.as_mut() {
            Some(flight) => {
                let stalled_at = flight.sent + STALL;
                let stalled = tokio::time::Instant::now() >= stalled_at;
                let taking = stalled && !self.hold_back;
                tokio::select! {
                    biased;
                    outcome = &mut flight.landing => return Next::Landed(Box::new(outcome)),
                    received = tokio::time::timeout(wait, rx.recv()), if taking => received,
                    () = tokio::time::sleep_until(stalled_at), if !stalled => return Next::Idle,
                }
            }
            None => tokio::time::timeout(wait, rx.recv()).await,
        };
        let first = match received {
            Ok(Some(cmd)) => cmd,
            Ok(None) => return Next::Stop,
            // Time to try storing again, or to write the rows.
            Err(_) if self.flight.is_none() && (self.retry.is_some() || self.rows_due) => {
                return Next::Batch {
                    cmds: Vec::new(),
                    timed_out: true,
                };
            }
            Err(_) if self.peers.is_empty() && self.flight.is_none() && self.backlog.is_empty() => {
                return Next::Stop;
            }
            Err(_) => return Next::Idle,
        };
        let mut cmds = vec![first];
        // The peer's message woke this task, and tokio runs a task woken that way next on the same worker,
        // ahead of the tasks already waiting there (other sockets' readers and writers, other documents).
        // Under load that let one busy document run again and again while the rest queued: going to the
        // back once halves the p99 edit-to-peer at 70–80 % of the peak throughput (`docs/benchmarks.md`,
        // 2026-11-25). It costs nothing measurable when idle: the queue is empty and the task resumes at once.
        tokio::task::yield_now().await;
        while cmds.len() < BATCH {
            match rx.try_recv() {
                Ok(cmd) => cmds.push(cmd),
                Err(_) => break,
            }
        }
        Next::Batch {
            cmds,
            timed_out: false,
        }
    }

    /// Handles one command of a batch: a peer's message is read, applied and its changes bound to the
    /// writer, or refused.
    async fn handle(&mut self, cmd: DocCmd, end: &mut BatchEnd) {
        let (conn, data, role, link) = match cmd {
            DocCmd::Detach { conn } => {
                self.peers.remove(&conn);
                return;
            }
            DocCmd::Refresh => {
                end.news = true;
                return;
            }
            DocCmd::Sync {
                conn,
                data,
                role,
                link,
            } => (conn, data, role, link),
        };
        if end.poisoned {
            // The document is being reloaded: this peer resyncs from the reset state.
            self.peers
                .entry(conn)
                .or_insert_with(|| Peer::new::<D>(role, link))
                .heard = true;
            return;
        }
        let doc_id = &self.doc_id;
        let peer = self
            .peers
            .entry(conn)
            .or_insert_with(|| Peer::new::<D>(role.clone(), link.clone()));
        peer.heard = true;
        match self.engine.receive(&mut peer.state, &peer.role, &data) {
            Handled::Applied { new, bytes, before } if !new.is_empty() => {
                let owned = match peer.role.writer.clone() {
                    Some(w) => {
                        bind_actors(
                            self.store.as_ref(),
                            &self.engine,
                            &new,
                            &w.user,
                            &mut self.actors,
                        )
                        .await
                    }
                    None => Ok(()),
                };
                for change in &new {
                    self.touched.add(&change.touched);
                }
                match owned {
                    Ok(()) => {
                        if let Some(w) = &peer.role.writer {
                            self.pending.insert(w.user.clone());
                        }
                    }
                    Err(Unbound::Taken) => {
                        tracing::warn!(doc = %doc_id, "changes refused: actor of another user");
                        self.engine.undo(&before, bytes);
                        refuse(&self.meta, &link, ACTOR_TAKEN.to_owned(), true);
                        self.peers.remove(&conn);
                    }
                    Err(Unbound::StoreFailed) => {
                        // Undone, and the peer told to send them again once the database is back.
                        self.engine.undo(&before, bytes);
                        peer.state = SyncState::reset();
                        peer.checked = None;
                        end.store_failed = true;
                    }
                }
            }
            Handled::Applied { .. } => {}
            Handled::Resync => {
                tracing::debug!(doc = %doc_id, conn = ?conn, "changes arrived without a change they depend on; the peer resyncs");
                peer.checked = None;
            }
            Handled::Refused { message, close } => {
                tracing::warn!(doc = %doc_id, %message, close, "sync message refused");
                refuse(&self.meta, &link, message, close);
                if close {
                    self.peers.remove(&conn);
                }
            }
            Handled::Panicked => {
                tracing::error!(doc = %doc_id, conn = ?conn, "automerge panicked on a peer's message; reloading the document");
                refuse(&self.meta, &link, PANICKED.to_owned(), true);
                self.peers.remove(&conn);
                end.poisoned = true;
            }
        }
    }

    /// Reloads the document from the database after automerge panicked; false if it cannot be (the task
    /// ends). Every peer then syncs again from scratch: the reset makes each resend what the server lost.
    async fn reload(&mut self) -> bool {
        match open::<D>(&self.meta, self.store.as_ref(), self.limits).await {
            Ok(fresh) => {
                self.engine = fresh.engine;
                self.held = fresh.held;
                self.stored_base = self.engine.stored_bytes;
                self.committed = None;
                self.retry = None;
                self.touched = Touched::everything();
            }
            Err(message) => {
                tracing::error!(doc = %self.doc_id, error = format!("{message:#}"), "reload failed; the task ends");
                return false;
            }
        }
        for peer in self.peers.values_mut() {
            peer.state = SyncState::reset();
            peer.checked = None;
        }
        // What was not stored is gone with the old copy; its senders were told nothing and send it again.
        self.pending.clear();
        self.flying.clear();
        self.backlog.clear();
        self.hold_back = false;
        self.news_due = false;
        true
    }

    /// Merges what another instance stored since this copy last read the database.
    async fn merge_news(&mut self) {
        self.news_due = false;
        match self
            .held
            .catch_up(self.store.as_ref(), &self.doc_id, &mut self.engine)
            .await
        {
            Ok(Some(bytes)) => {
                self.stored_base += bytes;
                self.engine.stored_bytes += bytes;
                // Another instance wrote the rows from its copy: this one rewrites them all from the
                // merged state (with its next change, or shortly), so whichever instance writes last
                // leaves rows of every change.
                self.committed = None;
                self.touched = Touched::everything();
                self.rows_due = true;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(doc = %self.doc_id, error = format!("{e:#}"), "merging another instance's changes failed; the next announcement retries");
            }
        }
    }

    /// After a batch: saves what it changed for the next write, merges what other instances stored, tells
    /// the peers what they may hear, and sends the next write if none is in the air.
    async fn after_batch(&mut self, heads_before: &[String], end: &BatchEnd, timed_out: bool) {
        // Reloaded: nothing of this batch is kept, and the reload read what other instances stored.
        if !end.poisoned {
            if self.engine.doc.heads() != heads_before {
                let mut own = self.engine.doc.save_incremental();
                self.backlog.append(&mut own);
            }
            self.news_due |= end.news;
        }
        if self.news_due && self.flight.is_none() {
            self.merge_news().await;
        }
        // The peers hear the changes now, before they are stored: no change is acknowledged by that (its
        // sender hears nothing until it is stored), and a crash loses nothing (the senders still hold their
        // changes, unacknowledged, and send them again).
        self.answer_peers();
        if end.store_failed {
            tracing::error!(doc = %self.doc_id, "binding an actor failed; the peer resends after the retry");
            self.retry = Some(Retry::after(self.retry.take()));
        }
        self.submit(timed_out).await;
    }

    /// Sends the backlog (with the rows, and a compaction when due) to the group commit, unless a write is
    /// in the air or the database is not to be tried yet. `timed_out`: the rows are due on their own.
    async fn submit(&mut self, timed_out: bool) {
        if self.flight.is_some() || self.retry.as_ref().is_some_and(|r| !r.due()) {
            return;
        }
        if self.backlog.is_empty() && self.retry.is_none() && !(self.rows_due && timed_out) {
            return;
        }
        let write = DocWrite {
            doc_id: self.doc_id.clone(),
            kind: self.meta.kind.code().to_owned(),
            facility_id: self.meta.facility.id.clone(),
            year: i64::from(self.meta.year),
            derived: self.engine.doc.derived_since(
                &self.meta.facility,
                &mut self.memo,
                &std::mem::take(&mut self.touched),
            ),
            previous: self.committed.take(),
            now: now_ms(),
            chunk: std::mem::take(&mut self.backlog),
            // Enough chunks since the snapshot: the write replaces them by the whole document, in the
            // same transaction (no second transaction to wait for, nor to hold the database).
            compact: self.compaction_due().then(|| Compaction {
                snapshot: self.engine.doc.save(),
                merged: self.held.merged.clone(),
                generation: self.held.generation,
            }),
        };
        self.flying = std::mem::take(&mut self.pending);
        self.flight = Some(Flight {
            landing: self.committer.submit(write).await,
            sent: tokio::time::Instant::now(),
            bytes_at_submit: self.engine.stored_bytes,
        });
    }

    /// Takes in the outcome of the write in the air: once stored, its senders hear the document's heads
    /// and the next write leaves; if it failed, its changes go back to the backlog for the retry. False if
    /// the writer is gone (shutdown): the task ends.
    async fn land(&mut self, outcome: Outcome) -> bool {
        let Some(flight) = self.flight.take() else {
            return true;
        };
        let doc_id = &self.doc_id;
        match (outcome.result, outcome.write) {
            (Ok(stored), write) => {
                if self.retry.take().is_some() {
                    tracing::info!(doc = %doc_id, "stored again after a failed commit");
                }
                self.rows_due = false;
                let size = write.as_ref().map_or(0, |w| w.chunk.len());
                let compaction = write.as_ref().and_then(|w| w.compact.as_ref());
                let base = match (compaction, stored.generation) {
                    (Some(c), Some(generation)) => {
                        self.held.merged.clear();
                        self.held.generation = generation;
                        self.held.snapshot_bytes = c.snapshot.len();
                        self.held.chunk_bytes = 0;
                        c.snapshot.len() + size
                    }
                    (Some(_), None) => {
                        // Another instance compacted first; its announcement brings its snapshot here,
                        // and this copy compacts over that one later.
                        tracing::debug!(doc = %doc_id, "another instance compacted first");
                        self.held.stale = true;
                        self.stored_base + size
                    }
                    (None, _) => self.stored_base + size,
                };
                self.held.merged.extend(stored.chunk);
                self.held.chunk_bytes += size;
                // What the document grew by while the write was in the air is still to be stored.
                let grown = self
                    .engine
                    .stored_bytes
                    .saturating_sub(flight.bytes_at_submit);
                self.stored_base = base;
                self.engine.stored_bytes = base + grown;
                self.committed = write.map(|w| w.derived);
                self.hold_back = self.flying.iter().any(|u| self.pending.contains(u));
                self.flying.clear();
            }
            (Err(e), Some(write)) => {
                let first = self.retry.is_none();
                let retry = Retry::after(self.retry.take());
                let retry_in_ms = retry
                    .at
                    .saturating_duration_since(tokio::time::Instant::now())
                    .as_millis();
                self.retry = Some(retry);
                let mut chunk = write.chunk;
                chunk.append(&mut self.backlog);
                self.backlog = chunk;
                self.pending.extend(self.flying.drain());
                self.hold_back = false;
                self.committed = write.previous;
                tracing::error!(doc = %doc_id, error = %e, retry_in_ms, "storing a change failed; kept in memory, will retry");
                if first {
                    for peer in self.peers.values() {
                        peer.link.offer(Outbound::Error {
                            doc: self.meta.id,
                            message: STORE_FAILED.to_owned(),
                        });
                    }
                }
                // Nothing unstored is acknowledged: its senders hear nothing until the retry stores it.
                return true;
            }
            (Err(e), None) => {
                // The writer is gone (shutdown): what was not stored is not acknowledged either.
                tracing::warn!(doc = %doc_id, error = %e, "the writer stopped; the document task ends");
                return false;
            }
        }
        if self.news_due {
            self.merge_news().await;
        }
        self.answer_peers();
        self.submit(false).await;
        true
    }

    /// Whether the next write compacts: enough chunks piled up since the snapshot, and they take at least
    /// [`DocLimits::compact_growth_percent`] of the snapshot's bytes (or the document nears its size limit,
    /// where the chunks' overhead would refuse changes a compact document has room for). A compaction saves
    /// the whole document, so its work grows with the history: a document that compacts after it grew by a
    /// share of its size does the same work per change however long its history, where compacting every
    /// so many chunks made each change cost more as the year went on (`docs/benchmarks.md`, 2026-11-25).
    fn compaction_due(&self) -> bool {
        let held = &self.held;
        let grown = held.chunk_bytes.saturating_mul(100)
            >= held
                .snapshot_bytes
                .saturating_mul(self.limits.compact_growth_percent);
        let crowded = self.engine.stored_bytes.saturating_mul(2) > self.limits.max_doc_bytes;
        held.merged.len() > self.limits.compact_after && (grown || crowded) && !held.stale
    }

    /// Sends each peer what it lacks of the document, and its heads — except the peers of users with
    /// changes not stored yet. Any message carries the server's heads, and heads that cover a change
    /// acknowledge it; a user's device that reconnected is a new peer, so the user, not the connection, is
    /// held back.
    fn answer_peers(&mut self) {
        let heads = self.engine.doc.heads();
        let mut gone = Vec::new();
        for (conn, peer) in &mut self.peers {
            if peer
                .role
                .writer
                .as_ref()
                .is_some_and(|w| self.pending.contains(&w.user) || self.flying.contains(&w.user))
            {
                continue;
            }
            // Under load most batches only carry peers' replies: the others have nothing new to hear, and
            // asking automerge would still build a bloom filter for each.
            if !peer.heard && peer.checked.as_ref() == Some(&heads) {
                continue;
            }
            peer.checked = Some(heads.clone());
            // A peer that spoke hears the current heads at least once: automerge stays silent when the
            // peer's heads equal ours, but the peer may not know ours yet (its own change, which it waits
            // to see acknowledged, arrived in the same batch as a message saying it has those heads).
            if std::mem::take(&mut peer.heard) && peer.told != heads {
                peer.state.answer_next();
            }
            match self.engine.generate(&mut peer.state) {
                Ok(Some(data)) => {
                    peer.told.clone_from(&heads);
                    if !peer.link.offer(Outbound::Sync {
                        doc: self.meta.id,
                        data,
                    }) {
                        gone.push(*conn);
                    }
                }
                Ok(None) => {}
                Err(()) => {
                    tracing::error!(doc = %self.doc_id, conn = ?conn, "automerge panicked generating a message; peer dropped");
                    refuse(&self.meta, &peer.link, PANICKED.to_owned(), true);
                    gone.push(*conn);
                }
            }
        }
        for conn in gone {
            self.peers.remove(&conn);
        }
    }
}

/// Tells a peer why its message was refused and, with `close`, ends its connection.
fn refuse(meta: &DocMeta, link: &PeerLink, message: String, close: bool) {
    link.offer(Outbound::Error {
        doc: meta.id,
        message,
    });
    if close {
        link.kill.notify_one();
    }
}

/// Why new changes could not be bound to their writer.
enum Unbound {
    /// An actor belongs to another user.
    Taken,
    /// The database failed.
    StoreFailed,
}

/// Binds each new change's actor to its writer: an actor belongs to the first user who wrote with it (as
/// the document's history and the database say) and to no one else.
async fn bind_actors<D: Stored>(
    store: &dyn Store,
    engine: &DocEngine<D>,
    new: &[AcceptedChange],
    user: &UserId,
    known: &mut HashMap<Vec<u8>, UserId>,
) -> Result<(), Unbound> {
    for change in new {
        if let Some(owner) = known.get(&change.actor) {
            if owner != user {
                return Err(Unbound::Taken);
            }
            continue;
        }
        // The document's own history names the first writer of an actor stored before actors were bound.
        let claim = engine
            .doc
            .first_author_of(&change.actor)
            .unwrap_or_else(|| user.clone());
        if &claim != user {
            return Err(Unbound::Taken);
        }
        let owner = store
            .bind_actor(&hex::encode(&change.actor), user, now_ms())
            .await
            .map_err(|e| {
                tracing::error!(error = format!("{e:#}"), "binding an actor failed");
                Unbound::StoreFailed
            })?;
        if &owner != user {
            return Err(Unbound::Taken);
        }
        known.insert(change.actor.clone(), owner);
    }
    Ok(())
}

/// Loads the document from the database, or builds its deterministic skeleton if it was never stored.
async fn open<D: Stored>(
    meta: &DocMeta,
    store: &dyn Store,
    limits: DocLimits,
) -> anyhow::Result<Opened<D>> {
    use anyhow::Context;
    let stored = store
        .fetch_document_chunks(&meta.id.to_string())
        .await
        .context("reading the document's chunks")?;
    Ok(match stored {
        Some(stored) => {
            let bytes = stored.parts.iter().map(Vec::len).sum();
            // The snapshot, if there is one, comes before the chunks.
            let snapshot_bytes = if stored.parts.len() > stored.chunk_ids.len() {
                stored.parts.first().map_or(0, Vec::len)
            } else {
                0
            };
            let doc = D::load_parts(&stored.parts).context("loading the stored document")?;
            Opened {
                engine: DocEngine::new(doc, limits, bytes),
                held: Held {
                    merged: stored.chunk_ids,
                    generation: stored.generation,
                    stale: false,
                    snapshot_bytes,
                    chunk_bytes: bytes - snapshot_bytes,
                },
            }
        }
        // Never stored: the first chunk will carry the genesis change along with the first edits. An
        // inspection starts on the facility-year's pinned checklist; a device that started on another is
        // refused (its genesis writes fields no peer may write).
        None => {
            let pin = if D::PINNED {
                Some(
                    crate::templates::pin(store, &meta.facility, meta.year)
                        .await
                        .context("deciding the facility-year's checklist")?,
                )
            } else {
                None
            };
            Opened {
                engine: DocEngine::new(
                    D::skeleton(&meta.facility.id, meta.year, pin)
                        .context("building the genesis")?,
                    limits,
                    0,
                ),
                held: Held::default(),
            }
        }
    })
}
