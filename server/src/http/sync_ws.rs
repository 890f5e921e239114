//! The sync WebSocket: automerge-repo v1 over binary frames. The connection is authorised before the
//! upgrade by a one-time ticket; every `request` and `sync` is checked against the user's access to that
//! document. Peer ids are the peer's own claim and never authorise anything.
//!
//! How the access check stays bounded however large the user's scope: a facility, community or county
//! user's documents (at most a county's: ~500 facilities × years × 2) are loaded once per connection and
//! again after each periodic recheck; a city or province user's (tens of thousands of facilities) never
//! are — each document id they name is looked up alone (one indexed query on `document_ids`), at most
//! [`LOOKUPS_PER_SECOND`] a second per connection (a faster peer waits, no one else does), and the answers
//! are kept in a per-connection map of at most [`CACHE_LIMIT`] entries.

use super::error::ApiError;
use super::{AppState, action_years, now_ms};
use crate::auth::secret_hash;
use crate::db::User;
use crate::docs::{ConnId, DocMeta, Outbound, PeerLink, PeerRole};
use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use zhigai_shared::Writer;
use zhigai_shared::access::{Access, Scope, document_access};
use zhigai_shared::sync::{self, DocKind, DocumentId, PROTOCOL_VERSION, PeerMetadata, RepoMessage};

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/sync", get(upgrade))
}

#[derive(Deserialize)]
struct TicketQuery {
    ticket: Option<String>,
}

async fn upgrade(
    State(state): State<AppState>,
    Query(q): Query<TicketQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let ticket = q.ticket.ok_or(ApiError::Unauthorized)?;
    // A request that is no WebSocket upgrade must not use the ticket up.
    let ws = ws.map_err(|e| ApiError::BadRequest(e.body_text()))?;
    let (session_id, user_id) = state
        .store
        .consume_ticket(&secret_hash(&ticket), now_ms())
        .await?
        .ok_or(ApiError::SessionExpired)?;
    let user = session_user(&state, &session_id)
        .await?
        .ok_or(ApiError::SessionExpired)?;
    if user.id != user_id {
        return Err(ApiError::SessionExpired);
    }
    let limit = state.settings.max_frame_bytes;
    Ok(ws
        .max_message_size(limit)
        .max_frame_size(limit)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            Connection::new(state, user, session_id).run(socket).await;
        }))
}

/// Each socket's read buffer. tungstenite zero-fills the free part of it before every read (also the reads
/// that find nothing), so its default of 128 KiB cost a 128 KiB `memset` per small sync frame: ~5 % of the
/// server's CPU under load. Sync frames are small; a large one (a first upload) grows the buffer as it needs.
pub const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Whether a socket error is a frame over the size limit.
fn too_large(error: axum::Error) -> bool {
    use tokio_tungstenite::tungstenite::error::{CapacityError, Error};
    matches!(
        error.into_inner().downcast_ref::<Error>(),
        Some(Error::Capacity(CapacityError::MessageTooLong { .. }))
    )
}

/// The user of a live session, by session id.
async fn session_user(state: &AppState, session_id: &str) -> Result<Option<User>, ApiError> {
    let session = state.store.fetch_session_by_id(session_id).await?;
    let now = now_ms();
    Ok(session.and_then(|(s, u)| (s.revoked_at.is_none() && s.expires_at > now).then_some(u)))
}

struct Connection {
    state: AppState,
    user: User,
    session_id: String,
    id: ConnId,
    peer_id: Option<String>,
    /// The documents looked up (`None`: unknown or not readable), bounded by [`CACHE_LIMIT`].
    access: HashMap<DocumentId, Option<(DocMeta, Access)>>,
    /// Whether a small scope's documents are loaded (cleared by the periodic recheck).
    preloaded: bool,
    /// Single lookups allowed now (a token bucket refilled at [`LOOKUPS_PER_SECOND`]).
    lookup_tokens: f64,
    lookup_refilled: tokio::time::Instant,
    attached: HashSet<DocumentId>,
}

enum Flow {
    Continue,
    Close(u16, &'static str),
}

impl Connection {
    fn new(state: AppState, user: User, session_id: String) -> Self {
        Self {
            state,
            user,
            session_id,
            id: ConnId::next(),
            peer_id: None,
            access: HashMap::new(),
            preloaded: false,
            lookup_tokens: LOOKUPS_PER_SECOND,
            lookup_refilled: tokio::time::Instant::now(),
            attached: HashSet::new(),
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let (link, mut out_rx) = PeerLink::new(self.state.settings.peer_queue.max(1));
        let mut shutdown = self.state.shutdown.clone();
        let mut recheck = tokio::time::interval(Duration::from_secs(30));
        recheck.tick().await;
        let ping_every = Duration::from_secs(self.state.settings.ping_seconds.max(1));
        let mut ping = tokio::time::interval(ping_every);
        ping.tick().await;
        let mut last_heard = tokio::time::Instant::now();
        tracing::info!(user = %self.user.username, conn = ?self.id, "sync connection opened");
        let close = loop {
            tokio::select! {
                incoming = socket.recv() => {
                    last_heard = tokio::time::Instant::now();
                    match incoming {
                        None => break None,
                        Some(Err(e)) => {
                            tracing::info!(user = %self.user.username, error = %e, "sync connection failed");
                            break too_large(e).then_some((close_code::SIZE, "frame too large"));
                        }
                        Some(Ok(Message::Binary(frame))) => match self.on_frame(&frame, &link, &mut socket).await {
                            Flow::Continue => {}
                            Flow::Close(code, reason) => break Some((code, reason)),
                        },
                        Some(Ok(Message::Text(_))) => {
                            self.send_error(&mut socket, "只接受二进制 CBOR 帧。Binary CBOR frames only.").await;
                            break Some((close_code::UNSUPPORTED, "binary CBOR frames only"));
                        }
                        Some(Ok(Message::Close(_))) => break None,
                        Some(Ok(_)) => {}
                    }
                }
                Some(out) = out_rx.recv() => {
                    let message = match out {
                        Outbound::Sync { doc, data } => RepoMessage::Sync {
                            sender_id: self.state.peer_id.clone(),
                            target_id: self.peer_id.clone().unwrap_or_default(),
                            document_id: doc,
                            data,
                        },
                        Outbound::Error { doc, message } => RepoMessage::Error {
                            sender_id: self.state.peer_id.clone(),
                            message: format!("{doc}: {message}"),
                            target_id: self.peer_id.clone().unwrap_or_default(),
                        },
                    };
                    if !self.send(&mut socket, &message).await {
                        break None;
                    }
                }
                () = link.kill.notified() => {
                    // Flush what is queued (the refusal saying why) within the write timeout, then close.
                    while let Ok(Outbound::Error { doc, message }) = out_rx.try_recv() {
                        let error = RepoMessage::Error {
                            sender_id: self.state.peer_id.clone(),
                            message: format!("{doc}: {message}"),
                            target_id: self.peer_id.clone().unwrap_or_default(),
                        };
                        if !self.send(&mut socket, &error).await {
                            break;
                        }
                    }
                    break Some((close_code::POLICY, "refused or too slow: reconnect to sync again"));
                }
                _ = ping.tick() => {
                    if last_heard.elapsed() > ping_every * 3 {
                        tracing::info!(user = %self.user.username, conn = ?self.id, "sync connection silent; closing");
                        break Some((close_code::AWAY, "no answer to pings"));
                    }
                    if !self.write(&mut socket, Message::Ping(Vec::new().into())).await {
                        break None;
                    }
                }
                _ = recheck.tick() => {
                    if !matches!(session_user(&self.state, &self.session_id).await, Ok(Some(_))) {
                        break Some((close_code::POLICY, "session expired or revoked"));
                    }
                    // The directory may have changed (a facility moved, a county's review steps).
                    self.access.clear();
                    self.preloaded = false;
                }
                _ = shutdown.changed() => break Some((close_code::AWAY, "server shutting down")),
            }
        };
        if let Some((code, reason)) = close {
            let _ = self
                .write(
                    &mut socket,
                    Message::Close(Some(CloseFrame {
                        code,
                        reason: reason.into(),
                    })),
                )
                .await;
        }
        for doc in self.attached.drain() {
            self.state.hub.detach(doc, self.id).await;
        }
        tracing::info!(user = %self.user.username, conn = ?self.id, "sync connection closed");
    }

    /// Writes one frame, giving up after the write timeout (a phone that stopped reading).
    async fn write(&self, socket: &mut WebSocket, message: Message) -> bool {
        let limit = Duration::from_secs(self.state.settings.write_timeout_seconds.max(1));
        matches!(
            tokio::time::timeout(limit, socket.send(message)).await,
            Ok(Ok(()))
        )
    }

    async fn send(&self, socket: &mut WebSocket, message: &RepoMessage) -> bool {
        self.write(socket, Message::Binary(sync::encode(message).into()))
            .await
    }

    async fn send_error(&self, socket: &mut WebSocket, message: &str) {
        let error = RepoMessage::Error {
            sender_id: self.state.peer_id.clone(),
            message: message.to_owned(),
            target_id: self.peer_id.clone().unwrap_or_default(),
        };
        self.send(socket, &error).await;
    }

    async fn on_frame(&mut self, frame: &[u8], link: &PeerLink, socket: &mut WebSocket) -> Flow {
        let message = match sync::decode(frame) {
            Ok(m) => m,
            Err(e) => {
                tracing::info!(user = %self.user.username, error = %e, "malformed frame");
                self.send_error(socket, &format!("无法识别的消息。{e}"))
                    .await;
                return Flow::Close(close_code::PROTOCOL, "not an automerge-repo message");
            }
        };
        match (self.peer_id.is_some(), message) {
            (
                false,
                RepoMessage::Join {
                    sender_id,
                    supported_protocol_versions,
                    ..
                },
            ) => {
                if !supported_protocol_versions
                    .iter()
                    .any(|v| v == PROTOCOL_VERSION)
                {
                    self.send_error(
                        socket,
                        "只支持协议版本 1。Only protocol version 1 is supported.",
                    )
                    .await;
                    return Flow::Close(close_code::PROTOCOL, "unsupported protocol version");
                }
                self.peer_id = Some(sender_id.clone());
                let peer = RepoMessage::Peer {
                    sender_id: self.state.peer_id.clone(),
                    peer_metadata: PeerMetadata {
                        storage_id: None,
                        is_ephemeral: false,
                    },
                    selected_protocol_version: PROTOCOL_VERSION.to_owned(),
                    target_id: sender_id,
                };
                self.send(socket, &peer).await;
                Flow::Continue
            }
            (false, _) => {
                self.send_error(socket, "请先发送 join。Send join first.")
                    .await;
                Flow::Close(close_code::PROTOCOL, "join first")
            }
            (
                true,
                RepoMessage::Request {
                    document_id, data, ..
                }
                | RepoMessage::Sync {
                    document_id, data, ..
                },
            ) => {
                let Some((meta, access)) = self.lookup(document_id).await else {
                    let unavailable = RepoMessage::DocUnavailable {
                        sender_id: self.state.peer_id.clone(),
                        target_id: self.peer_id.clone().unwrap_or_default(),
                        document_id,
                    };
                    self.send(socket, &unavailable).await;
                    return Flow::Continue;
                };
                self.attached.insert(document_id);
                let role = PeerRole {
                    writer: access.write.then(|| Writer {
                        user: self.user.id.clone(),
                        rights: access.rights,
                    }),
                };
                self.state
                    .hub
                    .sync(&meta, self.id, data, role, link.clone())
                    .await;
                Flow::Continue
            }
            (true, RepoMessage::Leave { .. }) => Flow::Close(close_code::NORMAL, "bye"),
            (true, RepoMessage::Join { .. }) => {
                self.send_error(socket, "重复的 join。Join was already received.")
                    .await;
                Flow::Continue
            }
            // Ephemeral data, gossip about heads and subscriptions, and replies addressed to servers are not
            // needed here.
            (true, _) => Flow::Continue,
        }
    }

    /// The document and the caller's access to it, if the caller may read it.
    async fn lookup(&mut self, id: DocumentId) -> Option<(DocMeta, Access)> {
        if !self.preloaded
            && matches!(
                self.user.scope,
                Scope::Facility(_) | Scope::Community(_) | Scope::County(_)
            )
        {
            self.preload().await;
        }
        if let Some(known) = self.access.get(&id) {
            return known.clone();
        }
        self.take_lookup_token().await;
        let found = match self
            .state
            .store
            .fetch_document_target(&id.to_string())
            .await
        {
            Ok(found) => found,
            Err(e) => {
                // Not cached: the next message asks again.
                tracing::warn!(user = %self.user.username, error = %e, "document lookup failed");
                return None;
            }
        };
        let entry = found.and_then(|target| {
            let access = document_access(&self.user, target.kind, &target.placement);
            access.read.then_some((
                DocMeta {
                    id,
                    kind: target.kind,
                    facility: target.facility,
                    year: target.year,
                },
                access,
            ))
        });
        self.remember(id, entry.clone());
        entry
    }

    fn remember(&mut self, id: DocumentId, entry: Option<(DocMeta, Access)>) {
        if self.access.len() >= CACHE_LIMIT {
            self.access.clear();
            self.preloaded = false;
        }
        self.access.insert(id, entry);
    }

    /// Waits until a single lookup is allowed.
    async fn take_lookup_token(&mut self) {
        let now = tokio::time::Instant::now();
        let earned = now.duration_since(self.lookup_refilled).as_secs_f64() * LOOKUPS_PER_SECOND;
        self.lookup_tokens = (self.lookup_tokens + earned).min(LOOKUPS_PER_SECOND);
        self.lookup_refilled = now;
        if self.lookup_tokens < 1.0 {
            let wait = (1.0 - self.lookup_tokens) / LOOKUPS_PER_SECOND;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            self.lookup_tokens = 1.0;
            self.lookup_refilled = tokio::time::Instant::now();
        }
        self.lookup_tokens -= 1.0;
    }

    /// Loads every document of a small scope (a facility's with the clinics it guides, a community's, a
    /// county's) in one directory query.
    async fn preload(&mut self) {
        self.preloaded = true;
        let Ok(facilities) = self.state.visible_facilities(&self.user).await else {
            return;
        };
        for (facility, place) in facilities {
            for year in action_years() {
                for kind in [DocKind::Inspection, DocKind::Review] {
                    let access = document_access(&self.user, kind, &place);
                    if access.read {
                        let id = DocumentId::for_doc(kind, &facility.id, year);
                        let meta = DocMeta {
                            id,
                            kind,
                            facility: facility.clone(),
                            year,
                        };
                        self.remember(id, Some((meta, access)));
                    }
                }
            }
        }
    }
}

/// Single document lookups a connection may make per second (a city or province user, or ids outside a
/// small scope's preloaded set).
const LOOKUPS_PER_SECOND: f64 = 200.0;

/// Documents a connection remembers; past it the map starts again.
const CACHE_LIMIT: usize = 16_384;
