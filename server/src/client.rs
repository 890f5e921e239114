//! A native sync client over the same protocol code as the browser: log in, take a ticket, open the
//! WebSocket, and keep documents in sync. Used by the tests and the load tool.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use zhigai_shared::sync::{self, ClientEvent, DocumentId, RepoClient, RepoMessage};
use zhigai_shared::{Document, Inspection, Review};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The documents a client holds, per kind.
#[derive(Default)]
pub struct Held {
    inspections: HashMap<DocumentId, Inspection>,
    reviews: HashMap<DocumentId, Review>,
}

/// A document kind a [`SyncClient`] can hold.
pub trait Holdable: Document {
    /// Where the client keeps documents of this kind.
    fn slot(held: &Held) -> &HashMap<DocumentId, Self>;
    /// The same, to change.
    fn slot_mut(held: &mut Held) -> &mut HashMap<DocumentId, Self>;
}

impl Holdable for Inspection {
    fn slot(held: &Held) -> &HashMap<DocumentId, Self> {
        &held.inspections
    }
    fn slot_mut(held: &mut Held) -> &mut HashMap<DocumentId, Self> {
        &mut held.inspections
    }
}

impl Holdable for Review {
    fn slot(held: &Held) -> &HashMap<DocumentId, Self> {
        &held.reviews
    }
    fn slot_mut(held: &mut Held) -> &mut HashMap<DocumentId, Self> {
        &mut held.reviews
    }
}

impl Held {
    fn ids(&self) -> Vec<DocumentId> {
        self.inspections
            .keys()
            .chain(self.reviews.keys())
            .copied()
            .collect()
    }

    fn sync_message(&self, repo: &mut RepoClient, id: DocumentId) -> Option<RepoMessage> {
        match (self.inspections.get(&id), self.reviews.get(&id)) {
            (Some(d), _) => repo.sync_message(id, d),
            (_, Some(d)) => repo.sync_message(id, d),
            _ => None,
        }
    }

    fn receive(
        &mut self,
        repo: &mut RepoClient,
        id: DocumentId,
        data: &[u8],
    ) -> Option<Result<Option<RepoMessage>, zhigai_shared::DocError>> {
        if let Some(d) = self.inspections.get_mut(&id) {
            return Some(repo.receive(id, d, data));
        }
        self.reviews.get_mut(&id).map(|d| repo.receive(id, d, data))
    }

    fn unsynced(&self, repo: &RepoClient, id: DocumentId) -> usize {
        match (self.inspections.get(&id), self.reviews.get(&id)) {
            (Some(d), _) => repo.unsynced_changes(id, d),
            (_, Some(d)) => repo.unsynced_changes(id, d),
            _ => 0,
        }
    }

    fn in_sync(&self, repo: &RepoClient, id: DocumentId) -> bool {
        match (self.inspections.get(&id), self.reviews.get(&id)) {
            (Some(d), _) => repo.is_in_sync(id, d),
            (_, Some(d)) => repo.is_in_sync(id, d),
            _ => false,
        }
    }
}

/// What the server said besides sync data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// `doc-unavailable` for a document.
    Unavailable(DocumentId),
    /// An `error` message.
    Error(String),
    /// The server closed the connection, with its code and reason.
    Closed(Option<u16>, String),
}

/// One user's device.
pub struct SyncClient {
    base: String,
    http: reqwest::Client,
    token: String,
    socket: Option<Socket>,
    repo: RepoClient,
    docs: Held,
    /// Everything the server said besides sync data, oldest first.
    pub notices: Vec<Notice>,
    /// The signed-in user, as every change this client writes must be stamped.
    author: zhigai_shared::Author,
}

impl SyncClient {
    /// Logs in at `base` (`http://host:port`).
    ///
    /// # Errors
    /// If the login is refused or the server cannot be reached.
    pub async fn login(base: &str, username: &str, password: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::new();
        let response = http
            .post(format!("{base}/api/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("login of {username} refused: {}", response.status());
        }
        let body: serde_json::Value = response.json().await?;
        let token = body["token"].as_str().context("no token")?.to_owned();
        let author = zhigai_shared::Author::new(
            body["user"]["id"]
                .as_str()
                .context("no user id")?
                .to_owned(),
            body["user"]["display_name"]
                .as_str()
                .unwrap_or(username)
                .to_owned(),
        );
        Ok(Self {
            base: base.to_owned(),
            http,
            token,
            socket: None,
            repo: RepoClient::new(format!(
                "native-{username}-{}",
                &crate::auth::new_secret()[..6]
            )),
            docs: Held::default(),
            notices: Vec::new(),
            author,
        })
    }

    /// Sends this client's next connections to another server of the same deployment (what a load
    /// balancer does when an instance is gone); the session stays valid there.
    pub fn move_to(&mut self, base: &str) {
        base.clone_into(&mut self.base);
    }

    /// A stamp for a change by the signed-in user, now.
    pub fn stamp(&self) -> zhigai_shared::Stamp {
        zhigai_shared::Stamp::new(
            self.author.clone(),
            zhigai_shared::Timestamp(crate::clock::now_ms()),
        )
    }

    /// The session token.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A fresh one-time sync ticket.
    ///
    /// # Errors
    /// If the server refuses.
    pub async fn ticket(&self) -> anyhow::Result<String> {
        let response = self
            .http
            .post(format!("{}/api/sync-ticket", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("ticket refused: {}", response.status());
        }
        let body: serde_json::Value = response.json().await?;
        Ok(body["ticket"].as_str().context("no ticket")?.to_owned())
    }

    /// Opens the sync WebSocket with a fresh ticket and completes the handshake.
    ///
    /// # Errors
    /// If the ticket or the connection is refused.
    pub async fn connect(&mut self) -> anyhow::Result<()> {
        let ticket = self.ticket().await?;
        self.connect_with_ticket(&ticket).await
    }

    /// Opens the sync WebSocket with `ticket`.
    ///
    /// # Errors
    /// If the server refuses the ticket or the handshake.
    pub async fn connect_with_ticket(&mut self, ticket: &str) -> anyhow::Result<()> {
        let url = format!(
            "{}/api/sync?ticket={ticket}",
            self.base.replacen("http", "ws", 1)
        );
        self.connect_url(&url).await
    }

    /// A client without an account, for a plain automerge-repo sync server (the benchmark's side-by-side
    /// with the stock Node server); connect it with [`Self::connect_url`].
    pub fn anonymous(name: &str) -> Self {
        Self {
            base: String::new(),
            http: reqwest::Client::new(),
            token: String::new(),
            socket: None,
            repo: RepoClient::new(format!("native-{name}-{}", &crate::auth::new_secret()[..6])),
            docs: Held::default(),
            notices: Vec::new(),
            author: zhigai_shared::Author::new(name.to_owned(), name.to_owned()),
        }
    }

    /// Opens a sync WebSocket at `url` and completes the automerge-repo handshake.
    ///
    /// # Errors
    /// If the connection or the handshake fails.
    pub async fn connect_url(&mut self, url: &str) -> anyhow::Result<()> {
        // As the server: a small read buffer (it is zero-filled before each read) and no Nagle delay.
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(crate::http::WS_READ_BUFFER_BYTES);
        let (mut socket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .context("opening the sync socket")?;
        socket
            .send(Message::Binary(sync::encode(&self.repo.join()).into()))
            .await?;
        self.socket = Some(socket);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.repo.is_connected() {
            if Instant::now() > deadline || self.socket.is_none() {
                bail!("no handshake from the server");
            }
            self.pump(Duration::from_millis(50)).await?;
        }
        // Resume every document we hold.
        let ids: Vec<DocumentId> = self.docs.ids();
        for id in ids {
            self.push(id).await?;
        }
        Ok(())
    }

    /// Whether the socket is open and the handshake done.
    pub fn is_connected(&self) -> bool {
        self.socket.is_some() && self.repo.is_connected()
    }

    /// Drops the connection (as a phone losing its network).
    pub fn disconnect(&mut self) {
        self.socket = None;
        self.repo.disconnected();
    }

    /// Sends a raw frame (for bad-input tests).
    ///
    /// # Errors
    /// If the socket is closed.
    pub async fn send_raw(&mut self, frame: Message) -> anyhow::Result<()> {
        self.socket
            .as_mut()
            .context("not connected")?
            .send(frame)
            .await?;
        Ok(())
    }

    /// Starts holding `doc` under `id` and asks the server for it.
    ///
    /// # Errors
    /// If sending fails.
    pub async fn open<D: Holdable>(&mut self, id: DocumentId, doc: D) -> anyhow::Result<()> {
        D::slot_mut(&mut self.docs).insert(id, doc);
        self.push(id).await
    }

    /// The document of kind `D` held under `id`.
    ///
    /// # Panics
    /// If none is held there (a test's mistake).
    pub fn doc<D: Holdable>(&self, id: DocumentId) -> &D {
        D::slot(&self.docs)
            .get(&id)
            .unwrap_or_else(|| panic!("no such document held under {id}"))
    }

    /// The document of kind `D` held under `id`, to edit; call [`Self::push`] after.
    ///
    /// # Panics
    /// If none is held there.
    pub fn doc_mut<D: Holdable>(&mut self, id: DocumentId) -> &mut D {
        D::slot_mut(&mut self.docs)
            .get_mut(&id)
            .unwrap_or_else(|| panic!("no such document held under {id}"))
    }

    /// The inspection held under `id`.
    ///
    /// # Panics
    /// If no inspection is held there (a test's mistake).
    pub fn inspection(&self, id: DocumentId) -> &Inspection {
        self.doc(id)
    }

    /// The inspection held under `id`, to edit; call [`Self::push`] after.
    ///
    /// # Panics
    /// If no inspection is held there.
    pub fn inspection_mut(&mut self, id: DocumentId) -> &mut Inspection {
        self.doc_mut(id)
    }

    /// The review held under `id`.
    ///
    /// # Panics
    /// If no review is held there.
    pub fn review(&self, id: DocumentId) -> &Review {
        self.doc(id)
    }

    /// The review held under `id`, to edit; call [`Self::push`] after.
    ///
    /// # Panics
    /// If no review is held there.
    pub fn review_mut(&mut self, id: DocumentId) -> &mut Review {
        self.doc_mut(id)
    }

    /// Sends what the server may lack of `id` (nothing while disconnected).
    ///
    /// # Errors
    /// If sending fails.
    pub async fn push(&mut self, id: DocumentId) -> anyhow::Result<()> {
        if self.socket.is_none() {
            return Ok(());
        }
        if let Some(message) = self.docs.sync_message(&mut self.repo, id) {
            self.send(&message).await?;
        }
        Ok(())
    }

    async fn send(&mut self, message: &RepoMessage) -> anyhow::Result<()> {
        if let Some(socket) = self.socket.as_mut()
            && socket
                .send(Message::Binary(sync::encode(message).into()))
                .await
                .is_err()
        {
            self.disconnect();
        }
        Ok(())
    }

    /// Handles what arrives for `duration`.
    ///
    /// # Errors
    /// Only for failures of this client itself; a closed connection is a [`Notice::Closed`].
    pub async fn pump(&mut self, duration: Duration) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + duration;
        while self.pump_one(deadline).await? {}
        Ok(())
    }

    /// Handles the next frame to arrive before `deadline`; false if none came (or the connection is
    /// closed), so a caller can look at the documents after every frame.
    ///
    /// # Errors
    /// As [`Self::pump`].
    pub async fn pump_one(&mut self, deadline: tokio::time::Instant) -> anyhow::Result<bool> {
        let Some(socket) = self.socket.as_mut() else {
            return Ok(false);
        };
        let Ok(next) = tokio::time::timeout_at(deadline, socket.next()).await else {
            return Ok(false);
        };
        match next {
            None | Some(Err(_)) => {
                self.notices.push(Notice::Closed(None, String::new()));
                self.disconnect();
            }
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame.map_or((None, String::new()), |f| {
                    (Some(u16::from(f.code)), f.reason.to_string())
                });
                self.notices.push(Notice::Closed(code, reason));
                self.disconnect();
            }
            Some(Ok(Message::Binary(frame))) => self.on_frame(&frame).await?,
            Some(Ok(_)) => {}
        }
        Ok(true)
    }

    async fn on_frame(&mut self, frame: &[u8]) -> anyhow::Result<()> {
        let message = sync::decode(frame).context("the server sent a malformed frame")?;
        match self.repo.handle(message) {
            ClientEvent::Sync { document_id, data } => {
                match self.docs.receive(&mut self.repo, document_id, &data) {
                    Some(Ok(Some(reply))) => self.send(&reply).await?,
                    Some(Ok(None)) | None => {}
                    Some(Err(e)) => self.notices.push(Notice::Error(e.to_string())),
                }
            }
            ClientEvent::Unavailable { document_id } => {
                self.notices.push(Notice::Unavailable(document_id))
            }
            ClientEvent::Error { message } => self.notices.push(Notice::Error(message)),
            ClientEvent::Connected { .. } | ClientEvent::Ignored => {}
        }
        Ok(())
    }

    /// Pumps until `done` holds, `timeout` passes or the connection closes; returns whether it held.
    ///
    /// # Errors
    /// As [`Self::pump`].
    pub async fn wait_for(
        &mut self,
        timeout: Duration,
        done: impl Fn(&Self) -> bool,
    ) -> anyhow::Result<bool> {
        let deadline = Instant::now() + timeout;
        while !done(self) {
            // Closed: nothing more will arrive (and pumping a closed socket returns at once).
            if Instant::now() > deadline || self.socket.is_none() {
                return Ok(false);
            }
            self.pump(Duration::from_millis(20)).await?;
        }
        Ok(true)
    }

    /// How many changes of `id` the server has not acknowledged yet.
    pub fn unacknowledged(&self, id: DocumentId) -> usize {
        self.docs.unsynced(&self.repo, id)
    }

    /// Pumps until the server has acknowledged every change of `id` (it stores before it answers). Like a
    /// stock automerge-repo client it never reconnects by itself: the server must answer every change.
    ///
    /// # Errors
    /// As [`Self::pump`].
    pub async fn wait_acked(&mut self, id: DocumentId, timeout: Duration) -> anyhow::Result<bool> {
        self.push(id).await?;
        self.wait_for(timeout, |c| c.docs.in_sync(&c.repo, id))
            .await
    }
}
