//! The device's document store in IndexedDB: per document a compacted snapshot, the incremental chunks
//! written since (one per local edit or received batch), and the sync state of the server connection.
//! Chunks are appended in their own transaction as soon as an edit is made; loading folds them into a new
//! snapshot once there are many.

use idb::{Database, DatabaseEvent, Factory, KeyRange, ObjectStoreParams, TransactionMode};
use js_sys::Uint8Array;
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};

pub use crate::state::workspace::StoredDoc as Stored;

/// The IndexedDB database the app keeps its documents in.
pub const DB_NAME: &str = "zhigai";

const VERSION: u32 = 1;
const SNAPSHOTS: &str = "snapshots";
const CHUNKS: &str = "chunks";
const SYNC: &str = "sync";

/// A storage failure, as text for the status line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl From<idb::Error> for StoreError {
    fn from(e: idb::Error) -> Self {
        Self(e.to_string())
    }
}

/// The IndexedDB database of documents.
pub struct DocStore {
    db: Database,
}

thread_local! {
    static SEQ: Cell<u32> = const { Cell::new(0) };
}

/// A key that sorts after every earlier chunk of `doc` written on this device.
fn chunk_key(doc: &str) -> String {
    let n = SEQ.with(|c| {
        let n = c.get().wrapping_add(1);
        c.set(n);
        n % 1000
    });
    let ms = js_sys::Date::now() as u64;
    format!("{doc}/{ms:015}{n:03}")
}

fn range_of(doc: &str, upto: Option<&str>) -> Result<KeyRange, StoreError> {
    let lower = JsValue::from_str(&format!("{doc}/"));
    let upper = match upto {
        Some(key) => JsValue::from_str(key),
        None => JsValue::from_str(&format!("{doc}/\u{ffff}")),
    };
    Ok(KeyRange::bound(&lower, &upper, None, None)?)
}

fn bytes_of(value: &JsValue) -> Option<Vec<u8>> {
    value
        .dyn_ref::<Uint8Array>()
        .map(Uint8Array::to_vec)
        .or_else(|| {
            value
                .dyn_ref::<js_sys::ArrayBuffer>()
                .map(|b| Uint8Array::new(b).to_vec())
        })
}

impl DocStore {
    /// Opens (creating on first use) the database `name`.
    ///
    /// # Errors
    /// IndexedDB unavailable (private mode on some browsers) or refused.
    pub async fn open(name: &str) -> Result<Self, StoreError> {
        let factory = Factory::new()?;
        let mut request = factory.open(name, Some(VERSION))?;
        request.on_upgrade_needed(|event| {
            let Ok(db) = event.database() else { return };
            let names = db.store_names();
            for store in [SNAPSHOTS, CHUNKS, SYNC] {
                if !names.iter().any(|n| n == store) {
                    let _ = db.create_object_store(store, ObjectStoreParams::new());
                }
            }
        });
        Ok(Self { db: request.await? })
    }

    /// Everything kept of `doc`.
    ///
    /// # Errors
    /// The read failed.
    pub async fn load(&self, doc: &str) -> Result<Stored, StoreError> {
        let tx = self
            .db
            .transaction(&[SNAPSHOTS, CHUNKS, SYNC], TransactionMode::ReadOnly)?;
        let key = JsValue::from_str(doc);
        let snapshot = tx.object_store(SNAPSHOTS)?.get(key.clone())?.await?;
        let sync_state = tx.object_store(SYNC)?.get(key)?.await?;
        let chunk_store = tx.object_store(CHUNKS)?;
        let range = range_of(doc, None)?;
        let keys = chunk_store
            .get_all_keys(Some(range.clone().into()), None)?
            .await?;
        let values = chunk_store.get_all(Some(range.into()), None)?.await?;
        let chunks = keys
            .iter()
            .zip(values.iter())
            .filter_map(|(k, v)| Some((k.as_string()?, bytes_of(v)?)))
            .collect();
        Ok(Stored {
            snapshot: snapshot.as_ref().and_then(bytes_of),
            chunks,
            sync_state: sync_state.as_ref().and_then(bytes_of),
        })
    }

    /// Appends an incremental chunk of `doc`.
    ///
    /// # Errors
    /// The write failed (storage full, database closed).
    pub async fn append(&self, doc: &str, bytes: &[u8]) -> Result<(), StoreError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let tx = self.db.transaction(&[CHUNKS], TransactionMode::ReadWrite)?;
        let key = JsValue::from_str(&chunk_key(doc));
        tx.object_store(CHUNKS)?
            .put(&Uint8Array::from(bytes).into(), Some(&key))?;
        Self::commit(tx).await
    }

    /// Replaces the chunks of `doc` up to and including `upto` with `snapshot`, in one transaction.
    ///
    /// # Errors
    /// The write failed; nothing changed then.
    pub async fn compact(&self, doc: &str, snapshot: &[u8], upto: &str) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[SNAPSHOTS, CHUNKS], TransactionMode::ReadWrite)?;
        tx.object_store(SNAPSHOTS)?.put(
            &Uint8Array::from(snapshot).into(),
            Some(&JsValue::from_str(doc)),
        )?;
        tx.object_store(CHUNKS)?
            .delete(range_of(doc, Some(upto))?)?;
        Self::commit(tx).await
    }

    /// Keeps the sync state of `doc`.
    ///
    /// # Errors
    /// The write failed.
    pub async fn save_sync_state(&self, doc: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.transaction(&[SYNC], TransactionMode::ReadWrite)?;
        tx.object_store(SYNC)?.put(
            &Uint8Array::from(bytes).into(),
            Some(&JsValue::from_str(doc)),
        )?;
        Self::commit(tx).await
    }

    async fn commit(tx: idb::Transaction) -> Result<(), StoreError> {
        match tx.await? {
            idb::TransactionResult::Committed => Ok(()),
            idb::TransactionResult::Aborted => {
                Err(StoreError("IndexedDB aborted the write".into()))
            }
        }
    }
}

/// Asks the browser to keep this site's storage under pressure (best effort; browsers may say no).
pub fn request_persistence() {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(promise) = window.navigator().storage().persist() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
        });
    }
}

#[cfg(all(test, target_arch = "wasm32"))]
mod browser_tests {
    use super::*;
    use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
    use zhigai_shared::doc::{Author, Document, Inspection, Stamp, Status, Timestamp};
    use zhigai_shared::{FacilityId, ItemId, Template};

    wasm_bindgen_test_configure!(run_in_browser);

    fn start() -> Inspection {
        Inspection::create(&FacilityId::from("f"), 2026, Template::national()).unwrap()
    }

    #[wasm_bindgen_test]
    async fn chunks_snapshots_and_sync_state_survive_reopening_indexeddb() {
        let name = format!("zhigai-test-{}", js_sys::Math::random());
        let stamp = Stamp::new(Author::new("u", "王"), Timestamp(1));
        let mut doc = start();
        let _ = doc.save_incremental();
        let store = DocStore::open(&name).await.unwrap();
        doc.set_status(&ItemId::from("T1.01"), Some(Status::Compliant), &stamp)
            .unwrap();
        store.append("d", &doc.save_incremental()).await.unwrap();
        doc.set_note(&ItemId::from("T1.01"), "已核实", &stamp)
            .unwrap();
        store.append("d", &doc.save_incremental()).await.unwrap();
        store.append("other", b"not ours").await.unwrap();
        store.save_sync_state("d", b"state").await.unwrap();

        // Reopened, the chunks of "d" (and only those) rebuild the document.
        drop(store);
        let store = DocStore::open(&name).await.unwrap();
        let stored = store.load("d").await.unwrap();
        assert_eq!(stored.chunks.len(), 2);
        assert!(stored.snapshot.is_none());
        assert_eq!(stored.sync_state.as_deref(), Some(&b"state"[..]));
        let mut rebuilt = start();
        for (_, chunk) in &stored.chunks {
            rebuilt.load_incremental(chunk).unwrap();
        }
        assert_eq!(rebuilt.view(), doc.view());

        // Compaction replaces the chunks with one snapshot; a chunk written after it stays.
        let last = stored.chunks.last().unwrap().0.clone();
        store.compact("d", &doc.save(), &last).await.unwrap();
        doc.set_status(&ItemId::from("T1.02"), Some(Status::Partial), &stamp)
            .unwrap();
        store.append("d", &doc.save_incremental()).await.unwrap();
        let stored = store.load("d").await.unwrap();
        assert_eq!(stored.chunks.len(), 1);
        let mut loaded = Inspection::load(stored.snapshot.as_deref().unwrap()).unwrap();
        loaded.load_incremental(&stored.chunks[0].1).unwrap();
        assert_eq!(loaded.view(), doc.view());
        assert_eq!(store.load("other").await.unwrap().chunks.len(), 1);
    }
}
