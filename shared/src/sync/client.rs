//! The client side of an automerge-repo session with one server: the handshake, and one Automerge sync
//! state per document. It produces and consumes messages; the caller owns the socket and the documents.

use super::{DocumentId, PROTOCOL_VERSION, PeerMetadata, RepoMessage};
use crate::doc::{DocError, Document, SyncState};
use std::collections::HashMap;

/// What an incoming message means for the caller.
#[derive(Debug, PartialEq)]
pub enum ClientEvent {
    /// The handshake completed.
    Connected {
        /// The server's peer id.
        server_id: String,
    },
    /// Sync data for a document: pass it to [`RepoClient::receive`] with the document.
    Sync {
        /// Which document.
        document_id: DocumentId,
        /// The Automerge sync message.
        data: Vec<u8>,
    },
    /// The server does not have the document or will not share it with this user.
    Unavailable {
        /// Which document.
        document_id: DocumentId,
    },
    /// The server reported an error.
    Error {
        /// Its words.
        message: String,
    },
    /// Nothing for the caller to do.
    Ignored,
}

/// One client's session with the sync server.
#[derive(Debug)]
pub struct RepoClient {
    peer_id: String,
    server_id: Option<String>,
    states: HashMap<DocumentId, SyncState>,
    requested: HashMap<DocumentId, bool>,
}

impl RepoClient {
    /// A client that calls itself `peer_id`.
    pub fn new(peer_id: impl Into<String>) -> Self {
        Self {
            peer_id: peer_id.into(),
            server_id: None,
            states: HashMap::new(),
            requested: HashMap::new(),
        }
    }

    /// This client's peer id.
    pub fn peer_id(&self) -> &str {
        &self.peer_id
    }

    /// The handshake to send first.
    pub fn join(&self) -> RepoMessage {
        RepoMessage::Join {
            sender_id: self.peer_id.clone(),
            peer_metadata: PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
            },
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_owned()],
        }
    }

    /// Whether the handshake has completed.
    pub fn is_connected(&self) -> bool {
        self.server_id.is_some()
    }

    /// Interprets a message from the server.
    pub fn handle(&mut self, message: RepoMessage) -> ClientEvent {
        match message {
            RepoMessage::Peer { sender_id, .. } => {
                self.server_id = Some(sender_id.clone());
                ClientEvent::Connected {
                    server_id: sender_id,
                }
            }
            RepoMessage::Sync {
                document_id, data, ..
            }
            | RepoMessage::Request {
                document_id, data, ..
            } => ClientEvent::Sync { document_id, data },
            RepoMessage::DocUnavailable { document_id, .. } => {
                ClientEvent::Unavailable { document_id }
            }
            RepoMessage::Error { message, .. } => ClientEvent::Error { message },
            _ => ClientEvent::Ignored,
        }
    }

    /// The next message to send for `document_id`, if the server may lack something (`request` the first
    /// time, `sync` after). `None` before the handshake or when there is nothing to say.
    pub fn sync_message(
        &mut self,
        document_id: DocumentId,
        doc: &impl Document,
    ) -> Option<RepoMessage> {
        let server = self.server_id.clone()?;
        let state = self.states.entry(document_id).or_default();
        let data = doc.generate_sync_message(state)?;
        let first = !self.requested.insert(document_id, true).unwrap_or(false);
        let (sender_id, target_id) = (self.peer_id.clone(), server);
        Some(if first {
            RepoMessage::Request {
                sender_id,
                target_id,
                document_id,
                data,
            }
        } else {
            RepoMessage::Sync {
                sender_id,
                target_id,
                document_id,
                data,
            }
        })
    }

    /// Applies sync data from the server to `doc` and returns the reply to send, if any.
    ///
    /// # Errors
    /// [`DocError::BadSyncMessage`] if the data does not apply; the document is unchanged then.
    pub fn receive(
        &mut self,
        document_id: DocumentId,
        doc: &mut impl Document,
        data: &[u8],
    ) -> Result<Option<RepoMessage>, DocError> {
        let state = self.states.entry(document_id).or_default();
        doc.receive_sync_message(state, data)?;
        self.requested.insert(document_id, true);
        Ok(self.sync_message(document_id, doc))
    }

    /// Whether the server has acknowledged every change `doc` holds (it told us its heads include ours).
    pub fn is_in_sync(&self, document_id: DocumentId, doc: &impl Document) -> bool {
        self.states
            .get(&document_id)
            .is_some_and(|state| doc.peer_has_all(state))
    }

    /// The sync state of `document_id`, to keep on the device between sessions.
    pub fn state(&self, document_id: DocumentId) -> Option<&SyncState> {
        self.states.get(&document_id)
    }

    /// Restores a state kept with [`RepoClient::state`] (before the first message for the document).
    pub fn restore(&mut self, document_id: DocumentId, state: SyncState) {
        self.states.insert(document_id, state);
    }

    /// How many changes of `doc` the server is not known to have.
    pub fn unsynced_changes(&self, document_id: DocumentId, doc: &impl Document) -> usize {
        match self.states.get(&document_id) {
            Some(state) => doc.unsynced_changes(state),
            None => doc.unsynced_changes(&SyncState::new()),
        }
    }

    /// The connection dropped: forget the handshake and keep only what both sides are known to share, as
    /// Automerge advises for a new connection.
    pub fn disconnected(&mut self) {
        self.server_id = None;
        self.requested.clear();
        for state in self.states.values_mut() {
            *state = SyncState::decode(&state.encode()).unwrap_or_default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doc::{Author, Inspection, Stamp, Status, Timestamp};
    use crate::ids::{FacilityId, ItemId};
    use crate::sync::DocKind;
    use crate::template::Template;

    #[test]
    fn a_session_handshakes_requests_then_syncs() {
        let facility = FacilityId::from("f");
        let id = DocumentId::for_doc(DocKind::Inspection, &facility, 2026);
        let mut doc = Inspection::create(&facility, 2026, Template::national()).unwrap();
        let stamp = Stamp::new(Author::new("u", "王"), Timestamp(0));
        doc.set_status(&ItemId::from("T1.01"), Some(Status::Compliant), &stamp)
            .unwrap();

        let mut client = RepoClient::new("device-1");
        assert!(
            client.sync_message(id, &doc).is_none(),
            "nothing before the handshake"
        );
        assert!(
            matches!(client.join(), RepoMessage::Join { ref supported_protocol_versions, .. } if supported_protocol_versions == &["1"])
        );
        let event = client.handle(RepoMessage::Peer {
            sender_id: "server".into(),
            peer_metadata: PeerMetadata::default(),
            selected_protocol_version: "1".into(),
            target_id: "device-1".into(),
        });
        assert_eq!(
            event,
            ClientEvent::Connected {
                server_id: "server".into()
            }
        );
        let first = client.sync_message(id, &doc).unwrap();
        assert!(
            matches!(first, RepoMessage::Request { ref target_id, document_id, .. } if target_id == "server" && document_id == id)
        );

        // A server replica answers through the same codec.
        let mut server_doc = Inspection::empty();
        let mut server_state = SyncState::new();
        let mut next = Some(first);
        let mut rounds = 0;
        while let Some(message) = next.take() {
            rounds += 1;
            assert!(rounds < 20);
            let data = match message {
                RepoMessage::Request { data, .. } | RepoMessage::Sync { data, .. } => data,
                other => panic!("unexpected {other:?}"),
            };
            server_doc
                .receive_sync_message(&mut server_state, &data)
                .unwrap();
            if let Some(reply) = server_doc.generate_sync_message(&mut server_state) {
                let event = client.handle(RepoMessage::Sync {
                    sender_id: "server".into(),
                    target_id: "device-1".into(),
                    document_id: id,
                    data: reply,
                });
                let ClientEvent::Sync { data, .. } = event else {
                    panic!("{event:?}")
                };
                next = client.receive(id, &mut doc, &data).unwrap();
            }
        }
        assert_eq!(server_doc.view(), doc.view());
        assert!(client.is_in_sync(id, &doc));
        assert_eq!(client.unsynced_changes(id, &doc), 0);
        doc.set_status(&ItemId::from("T1.02"), Some(Status::Partial), &stamp)
            .unwrap();
        doc.set_status(&ItemId::from("T1.03"), Some(Status::Partial), &stamp)
            .unwrap();
        assert_eq!(client.unsynced_changes(id, &doc), 2, "two local edits");
        // Kept on the device and restored after a reload, the state still knows what the server has.
        let kept = client.state(id).unwrap().encode();
        let mut reloaded = RepoClient::new("device-1");
        reloaded.restore(id, SyncState::decode(&kept).unwrap());
        assert_eq!(reloaded.unsynced_changes(id, &doc), 2);
        client.disconnected();
        assert!(!client.is_connected());
    }
}
