//! The task that owns one open document.

use super::{ConnId, Doc, DocCmd, DocMeta, Outbound};
use crate::db::{DocWrite, Store};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use zhigai_shared::{SyncDoc, SyncState, sync_message_change_count};

/// How many commands one batch takes at most.
const BATCH: usize = 64;
/// Chunks stored after a snapshot before the document is compacted.
const COMPACT_AFTER: usize = 100;

struct Peer {
    state: SyncState,
    out: mpsc::Sender<Outbound>,
}

pub(super) async fn run(
    meta: DocMeta,
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<DocCmd>,
    idle: Duration,
) {
    let doc_id = meta.id.to_string();
    let (mut doc, mut chunks) = match open(&meta, store.as_ref()).await {
        Ok(opened) => opened,
        Err(message) => {
            tracing::error!(doc = %doc_id, %message, "document cannot be opened");
            while let Some(cmd) = rx.recv().await {
                if let DocCmd::Sync { out, .. } = cmd {
                    let _ = out
                        .send(Outbound::Error {
                            doc: meta.id,
                            message: message.clone(),
                        })
                        .await;
                }
            }
            return;
        }
    };
    let mut peers: HashMap<ConnId, Peer> = HashMap::new();

    loop {
        let first = match tokio::time::timeout(idle, rx.recv()).await {
            Ok(Some(cmd)) => cmd,
            Ok(None) => break,
            Err(_) if peers.is_empty() => break,
            Err(_) => continue,
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(cmd) => batch.push(cmd),
                Err(_) => break,
            }
        }

        let heads_before = doc.heads();
        let mut refusals: Vec<(mpsc::Sender<Outbound>, String)> = Vec::new();
        for cmd in batch {
            match cmd {
                DocCmd::Detach { conn } => {
                    peers.remove(&conn);
                }
                DocCmd::Sync {
                    conn,
                    data,
                    may_write,
                    out,
                } => {
                    let peer = peers.entry(conn).or_insert_with(|| Peer {
                        state: SyncState::new(),
                        out: out.clone(),
                    });
                    if !may_write {
                        match sync_message_change_count(&data) {
                            Ok(0) => {}
                            // A reader may resend changes the server already has; only new ones are refused.
                            Ok(_) if !doc.would_change(&peer.state, &data) => {}
                            Ok(_) => {
                                refusals.push((out, "你对此文档只有查看权限，修改未被接受。You may only read this document; the changes were refused.".to_owned()));
                                continue;
                            }
                            Err(e) => {
                                refusals.push((out, e.to_string()));
                                continue;
                            }
                        }
                    }
                    if let Err(e) = doc.receive_sync_message(&mut peer.state, &data) {
                        tracing::warn!(doc = %doc_id, error = %e, "sync message refused");
                        refusals.push((out, e.to_string()));
                    }
                }
            }
        }

        if doc.heads() != heads_before {
            let write = DocWrite {
                doc_id: doc_id.clone(),
                kind: meta.kind.code().to_owned(),
                facility_id: meta.facility.id.clone(),
                year: i64::from(meta.year),
                chunk: doc.save_incremental(),
                derived: doc.derived(&meta.facility),
                now: now_ms(),
            };
            if let Err(e) = store.append_document(&write).await {
                tracing::error!(doc = %doc_id, error = %e, "storing a change failed; reloading the document");
                // Nothing unstored may be acknowledged: return to what the database holds and let every
                // peer sync again from scratch.
                match open(&meta, store.as_ref()).await {
                    Ok((fresh, n)) => {
                        doc = fresh;
                        chunks = n;
                    }
                    Err(message) => tracing::error!(doc = %doc_id, %message, "reload failed"),
                }
                for peer in peers.values_mut() {
                    peer.state = SyncState::new();
                    let _ = peer
                        .out
                        .send(Outbound::Error { doc: meta.id, message: "服务器暂时无法保存，请稍后重试。The server could not store the change; it will be retried.".to_owned() })
                        .await;
                }
                continue;
            }
            chunks += 1;
            if chunks > COMPACT_AFTER {
                let snapshot = doc.save();
                match store.compact_document(&doc_id, &snapshot, now_ms()).await {
                    Ok(()) => chunks = 0,
                    Err(e) => {
                        tracing::warn!(doc = %doc_id, error = %e, "compaction failed; will retry later")
                    }
                }
            }
        }

        for (out, message) in refusals {
            let _ = out
                .send(Outbound::Error {
                    doc: meta.id,
                    message,
                })
                .await;
        }
        let mut gone = Vec::new();
        for (conn, peer) in &mut peers {
            if let Some(data) = doc.generate_sync_message(&mut peer.state)
                && peer
                    .out
                    .send(Outbound::Sync { doc: meta.id, data })
                    .await
                    .is_err()
            {
                gone.push(*conn);
            }
        }
        for conn in gone {
            peers.remove(&conn);
        }
    }
    tracing::debug!(doc = %doc_id, "document left memory");
}

/// Loads the document from the database, or builds its deterministic skeleton if it was never stored.
async fn open(meta: &DocMeta, store: &dyn Store) -> Result<(Doc, usize), String> {
    let stored = store
        .fetch_document(&meta.id.to_string())
        .await
        .map_err(|e| format!("服务器读取文档失败。The server could not read the document: {e}"))?;
    match stored {
        Some(parts) => {
            let chunks = parts.len().saturating_sub(1);
            let doc = Doc::load(meta.kind, &parts).map_err(|e| e.to_string())?;
            Ok((doc, chunks))
        }
        // Never stored: the first chunk will carry the genesis change along with the first edits.
        None => Doc::genesis(meta.kind, &meta.facility, meta.year)
            .map(|doc| (doc, 0))
            .map_err(|e| e.to_string()),
    }
}

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
