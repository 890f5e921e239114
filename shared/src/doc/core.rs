//! The Automerge document underneath both typed documents: a deterministic genesis, stamped writes,
//! history and authorship read back from change messages, storage and sync.

use super::stamp::{ChangeNote, HistoryEntry, Op, Stamp, Target, Timestamp};
use super::{DocError, SyncState};
use automerge::sync::SyncDoc;
use automerge::transaction::{CommitOptions, Transaction};
use automerge::{
    ActorId, Automerge, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value,
};

/// What a map key shows, as [`DocCore::entries`] reads it.
pub(crate) enum Entry {
    /// A scalar value.
    Scalar(ScalarValue),
    /// An object, by kind and id.
    Object(ObjType, ObjId),
}

impl Entry {
    fn of(value: Value<'_>, id: ObjId) -> Self {
        match value {
            Value::Scalar(s) => Entry::Scalar(s.into_owned()),
            Value::Object(kind) => Entry::Object(kind, id),
        }
    }

    /// The number, if the value is one.
    pub(crate) fn f64(&self) -> Option<f64> {
        match self {
            Entry::Scalar(ScalarValue::F64(n)) => Some(*n),
            Entry::Scalar(ScalarValue::Int(n)) => Some(*n as f64),
            Entry::Scalar(ScalarValue::Uint(n)) => Some(*n as f64),
            _ => None,
        }
    }
}

/// The actor of every genesis change. With a fixed actor, time and content, every replica builds the
/// genesis change byte for byte alike, so replicas that start offline share one skeleton.
const GENESIS_ACTOR: [u8; 16] = *b"zhigai-genesis.1";

/// The root key naming what a document is.
pub(crate) const KIND_KEY: &str = "kind";
/// The root key holding the schema version.
pub(crate) const SCHEMA_KEY: &str = "schema";

/// Writes `value` at `key` as a new operation that replaces every value this replica sees there.
///
/// A plain put of the value already shown records nothing (or, over a conflict, only deletes the losing
/// values and leaves the old winning operation in place), so a person's deliberate choice could vanish
/// under a concurrent change that had replaced that old operation. Deleting first makes every write an
/// operation of its own, which concurrent writes then meet as a conflict.
pub(crate) fn put_fresh(
    tx: &mut Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: impl Into<ScalarValue>,
) -> Result<(), automerge::AutomergeError> {
    use automerge::transaction::Transactable;
    tx.delete(obj, key)?;
    tx.put(obj, key, value)
}

/// An Automerge document with zhigai's conventions.
#[derive(Debug)]
pub struct DocCore {
    doc: Automerge,
    saved_heads: Vec<ChangeHash>,
}

/// A conflicting value with the author and time of the change that wrote it.
pub(crate) struct RawConflict {
    pub(crate) value: ScalarValue,
    pub(crate) stamp: Option<(super::Author, Timestamp)>,
}

impl DocCore {
    /// Builds the genesis change with `build`, then switches to a fresh random actor for this device.
    pub(crate) fn genesis(
        kind: &str,
        schema: u64,
        build: impl FnOnce(&mut Transaction<'_>) -> Result<(), automerge::AutomergeError>,
    ) -> Result<Self, DocError> {
        let mut doc = Automerge::new().with_actor(ActorId::from(GENESIS_ACTOR));
        doc.transact_with(
            |_| {
                CommitOptions::default()
                    .with_message("genesis")
                    .with_time(0)
            },
            |tx| {
                use automerge::transaction::Transactable;
                tx.put(ROOT, KIND_KEY, kind)?;
                tx.put(ROOT, SCHEMA_KEY, schema)?;
                build(tx)
            },
        )
        .map_err(|f| DocError::Automerge(f.error))?;
        doc.set_actor(ActorId::random());
        Ok(Self {
            doc,
            saved_heads: Vec::new(),
        })
    }

    /// Loads a saved document (full save, or a full save followed by incremental chunks) of `kind`.
    pub(crate) fn load(bytes: &[u8], kind: &str) -> Result<Self, DocError> {
        if bytes.is_empty() {
            return Err(DocError::Corrupt("no data".to_owned()));
        }
        let doc = Automerge::load(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        let core = Self {
            saved_heads: doc.get_heads(),
            doc,
        };
        core.check_kind(kind)?;
        Ok(core)
    }

    /// Refuses a document that is not of `kind` (an empty document is accepted: it fills by sync).
    pub(crate) fn check_kind(&self, kind: &str) -> Result<(), DocError> {
        match self.get_str(&ROOT, KIND_KEY) {
            Some(found) if found == kind => Ok(()),
            None if self.doc.get_heads().is_empty() => Ok(()),
            found => Err(DocError::WrongKind {
                expected: kind.to_owned(),
                found: found.unwrap_or_default(),
            }),
        }
    }

    pub(crate) fn schema(&self) -> Option<u64> {
        match self.doc.get(ROOT, SCHEMA_KEY).ok().flatten() {
            Some((Value::Scalar(s), _)) => match s.as_ref() {
                ScalarValue::Uint(n) => Some(*n),
                ScalarValue::Int(n) => u64::try_from(*n).ok(),
                _ => None,
            },
            _ => None,
        }
    }

    /// A document with no changes at all, to be filled by sync or incremental loads.
    pub(crate) fn empty() -> Self {
        Self {
            doc: Automerge::new(),
            saved_heads: Vec::new(),
        }
    }

    pub(crate) fn fork(&self) -> Self {
        Self {
            doc: self.doc.fork(),
            saved_heads: self.saved_heads.clone(),
        }
    }

    pub(crate) fn doc(&self) -> &Automerge {
        &self.doc
    }

    /// Puts `doc` in place of the current document (a rollback), keeping what was saved.
    pub(crate) fn replace(&mut self, doc: Automerge) {
        self.doc = doc;
    }

    /// Applies `f` as one change stamped with who, when and what.
    pub(crate) fn write<T>(
        &mut self,
        stamp: &Stamp,
        op: Op,
        target: Target<'_>,
        value: Option<&str>,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, DocError>,
    ) -> Result<T, DocError> {
        let message = ChangeNote::new(stamp, op, target, value).to_message();
        let seconds = stamp.at.0.div_euclid(1000);
        self.doc
            .transact_with(
                |_| {
                    CommitOptions::default()
                        .with_message(message)
                        .with_time(seconds)
                },
                f,
            )
            .map(|s| s.result)
            .map_err(|f| f.error)
    }

    /// Sets this device's actor id (persisted by the caller so a device keeps one identity).
    pub(crate) fn set_actor(&mut self, actor: &[u8]) {
        self.doc.set_actor(ActorId::from(actor));
    }

    pub(crate) fn actor(&self) -> Vec<u8> {
        self.doc.get_actor().to_bytes().to_vec()
    }

    // ---- reading helpers: absent or malformed data reads as "nothing", never as a panic ----

    pub(crate) fn get_obj(&self, parent: &ObjId, key: &str) -> Option<ObjId> {
        match self.doc.get(parent, key).ok().flatten() {
            Some((Value::Object(_), id)) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn get_scalar(&self, parent: &ObjId, key: &str) -> Option<(ScalarValue, ObjId)> {
        match self.doc.get(parent, key).ok().flatten() {
            Some((Value::Scalar(s), id)) => Some((s.into_owned(), id)),
            _ => None,
        }
    }

    /// What `key` of `parent` shows.
    fn get_entry(&self, parent: &ObjId, key: &str) -> Option<Entry> {
        let (value, id) = self.doc.get(parent, key).ok().flatten()?;
        Some(Entry::of(value, id))
    }

    /// A string at `key`. Stock Automerge JS writes plain strings as text objects, so those read as
    /// their text.
    pub(crate) fn get_str(&self, parent: &ObjId, key: &str) -> Option<String> {
        self.entry_str(&self.get_entry(parent, key)?)
    }

    pub(crate) fn get_f64(&self, parent: &ObjId, key: &str) -> Option<f64> {
        self.get_entry(parent, key)?.f64()
    }

    pub(crate) fn get_bool(&self, parent: &ObjId, key: &str) -> bool {
        matches!(
            self.get_scalar(parent, key),
            Some((ScalarValue::Boolean(true), _))
        )
    }

    pub(crate) fn get_text(&self, parent: &ObjId, key: &str) -> String {
        match self.doc.get(parent, key).ok().flatten() {
            Some((Value::Object(ObjType::Text), id)) => self.doc.text(&id).unwrap_or_default(),
            Some((Value::Scalar(s), _)) => s.as_str().unwrap_or_default().to_owned(),
            _ => String::new(),
        }
    }

    pub(crate) fn keys(&self, obj: &ObjId) -> Vec<String> {
        self.doc.keys(obj).collect()
    }

    /// Every key of the map `obj` with the value it shows, read in one pass over the map (a `get` per key
    /// seeks through the document each time): scalars as themselves, objects as their id.
    pub(crate) fn entries(&self, obj: &ObjId) -> Vec<(String, Entry)> {
        self.doc
            .map_range(obj, ..)
            .map(|item| {
                let id = item.id();
                (
                    item.key.into_owned(),
                    Entry::of(item.value.into_value(), id),
                )
            })
            .collect()
    }

    /// A map value's text: a plain string, or a text object's content (as stock Automerge JS writes strings).
    pub(crate) fn entry_str(&self, entry: &Entry) -> Option<String> {
        match entry {
            Entry::Scalar(s) => s.as_str().map(str::to_owned),
            Entry::Object(ObjType::Text, id) => self.doc.text(id).ok(),
            Entry::Object(..) => None,
        }
    }

    /// All values standing at `key` when concurrent writes left more than one, with their authors; the
    /// value Automerge shows comes first.
    pub(crate) fn conflicts_at(&self, parent: &ObjId, key: &str) -> Vec<RawConflict> {
        let mut all = self.doc.get_all(parent, key).unwrap_or_default();
        if all.len() < 2 {
            return Vec::new();
        }
        if let Some((_, shown)) = self.doc.get(parent, key).ok().flatten()
            && let Some(pos) = all.iter().position(|(_, id)| *id == shown)
        {
            all.swap(0, pos);
        }
        all.into_iter()
            .filter_map(|(value, id)| match value {
                Value::Scalar(s) => Some(RawConflict {
                    value: s.into_owned(),
                    stamp: self.stamp_of(&id),
                }),
                Value::Object(_) => None,
            })
            .collect()
    }

    /// Whether concurrent writes left different values at `key`.
    pub(crate) fn has_conflict(&self, parent: &ObjId, key: &str) -> bool {
        let raw = self.conflicts_at(parent, key);
        raw.iter().any(|c| c.value != raw[0].value)
    }

    /// Who wrote the operation `id`, and when, from its change message.
    pub(crate) fn stamp_of(&self, id: &ObjId) -> Option<(super::Author, Timestamp)> {
        let hash = self.doc.hash_for_opid(id)?;
        let meta = self.doc.get_change_meta_by_hash(&hash)?;
        let note = ChangeNote::parse(meta.message.as_deref()?)?;
        Some((note.author(), Timestamp(note.at)))
    }

    /// When the newest stamped change was made: the latest of the heads' stamps, read without walking the
    /// history.
    pub(crate) fn latest_stamp(&self) -> Option<Timestamp> {
        self.doc
            .get_heads()
            .iter()
            .filter_map(|h| self.doc.get_change_meta_by_hash(h))
            .filter_map(|meta| ChangeNote::parse(meta.message.as_deref()?))
            .map(|note| Timestamp(note.at))
            .max()
    }

    /// Every stamped change (oldest first, in causal order) whose note passes `keep`.
    pub(crate) fn history(&self, keep: impl Fn(&ChangeNoteView<'_>) -> bool) -> Vec<HistoryEntry> {
        self.history_after(&[], keep)
    }

    /// The stamped changes not in the past of `heads` (hex), or `None` if this replica lacks one of them.
    pub(crate) fn history_since(
        &self,
        heads: &[String],
        keep: impl Fn(&ChangeNoteView<'_>) -> bool,
    ) -> Option<Vec<HistoryEntry>> {
        let hashes: Vec<ChangeHash> = heads
            .iter()
            .map(|h| h.parse::<ChangeHash>().ok())
            .collect::<Option<_>>()?;
        if hashes
            .iter()
            .any(|h| self.doc.get_change_meta_by_hash(h).is_none())
        {
            return None;
        }
        Some(self.history_after(&hashes, keep))
    }

    fn history_after(
        &self,
        after: &[ChangeHash],
        keep: impl Fn(&ChangeNoteView<'_>) -> bool,
    ) -> Vec<HistoryEntry> {
        self.doc
            .get_changes_meta(after)
            .into_iter()
            .filter_map(|meta| {
                let note = ChangeNote::parse(meta.message.as_deref()?)?;
                keep(&ChangeNoteView { note: &note }).then(|| HistoryEntry {
                    author: note.author(),
                    at: Timestamp(note.at),
                    op: note.op,
                    subject: note.subject.clone(),
                    field: note.field.clone(),
                    value: note.value.clone(),
                    change: meta.hash.to_string(),
                })
            })
            .collect()
    }

    // ---- storage ----

    pub(crate) fn save(&mut self) -> Vec<u8> {
        self.saved_heads = self.doc.get_heads();
        // Changes whose dependencies never arrived are not part of the document: never store or send them.
        self.doc.save_with_options(automerge::SaveOptions {
            deflate: true,
            retain_orphans: false,
        })
    }

    pub(crate) fn save_incremental(&mut self) -> Vec<u8> {
        let bytes = self.doc.save_after(&self.saved_heads);
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    pub(crate) fn load_incremental(&mut self, bytes: &[u8], kind: &str) -> Result<usize, DocError> {
        let before = self.doc.get_heads();
        let applied = self
            .doc
            .load_incremental(bytes)
            .map_err(|e| DocError::Corrupt(e.to_string()))?;
        if before.is_empty() {
            self.check_kind(kind)?;
        }
        Ok(applied)
    }

    pub(crate) fn merge(&mut self, other: &mut DocCore) -> Result<(), DocError> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    pub(crate) fn heads(&self) -> Vec<String> {
        self.doc.get_heads().iter().map(|h| h.to_string()).collect()
    }

    pub(crate) fn change_count(&self) -> usize {
        // The change graph's length: no pass over the history.
        usize::try_from(self.doc.stats().num_changes).unwrap_or(usize::MAX)
    }

    // ---- sync ----

    pub(crate) fn generate_sync_message(&self, state: &mut SyncState) -> Option<Vec<u8>> {
        self.doc
            .generate_sync_message(&mut state.0)
            .map(|m| m.encode())
    }

    pub(crate) fn peer_has_all(&self, state: &SyncState) -> bool {
        let theirs = state.0.their_heads.as_deref().unwrap_or_default();
        self.doc
            .get_heads()
            .iter()
            .all(|h| theirs.contains(h) || state.0.shared_heads.contains(h))
    }

    pub(crate) fn unsynced_changes(&self, state: &SyncState) -> usize {
        let theirs = state.0.their_heads.as_deref().unwrap_or_default();
        let known: Vec<_> = theirs
            .iter()
            .chain(state.0.shared_heads.iter())
            .filter(|h| self.doc.get_change_meta_by_hash(h).is_some())
            .copied()
            .collect();
        self.doc.get_changes_meta(&known).len()
    }

    pub(crate) fn receive_sync_message(
        &mut self,
        state: &mut SyncState,
        bytes: &[u8],
    ) -> Result<(), DocError> {
        let message = automerge::sync::Message::decode(bytes)
            .map_err(|e| DocError::BadSyncMessage(e.to_string()))?;
        self.doc
            .receive_sync_message(&mut state.0, message)
            .map_err(|e| DocError::BadSyncMessage(e.to_string()))
    }
}

/// A read-only look at a change note, for history filters.
pub(crate) struct ChangeNoteView<'a> {
    note: &'a ChangeNote,
}

impl ChangeNoteView<'_> {
    pub(crate) fn op(&self) -> Op {
        self.note.op
    }

    pub(crate) fn subject(&self) -> Option<&str> {
        self.note.subject.as_deref()
    }
}
