//! automerge-repo messages and their CBOR encoding: one message per binary WebSocket frame, a CBOR map with
//! text keys and untagged byte strings, exactly as `cbor-x` writes it for the stock JS packages.

use super::DocumentId;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What a peer says about itself in `join` and `peer`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerMetadata {
    /// The peer's storage id, if it persists documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_id: Option<String>,
    /// Whether the peer keeps nothing.
    #[serde(default)]
    pub is_ephemeral: bool,
}

/// One protocol message. Encoded by serde (internally tagged, as the JS packages write it); decoded through
/// [`Wire`], a flat struct, because serde's internally tagged decoder buffers every message in a generic
/// tree first — slower, and 50 KB of code in the clinic app's wasm.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum RepoMessage {
    /// client → server: the handshake.
    #[serde(rename_all = "camelCase")]
    Join {
        /// The client's self-chosen peer id.
        sender_id: String,
        /// About the client.
        #[serde(default)]
        peer_metadata: PeerMetadata,
        /// Protocol versions the client speaks.
        #[serde(default)]
        supported_protocol_versions: Vec<String>,
    },
    /// server → client: the handshake answer.
    #[serde(rename_all = "camelCase")]
    Peer {
        /// The server's peer id.
        sender_id: String,
        /// About the server.
        #[serde(default)]
        peer_metadata: PeerMetadata,
        /// The version chosen.
        selected_protocol_version: String,
        /// The client's peer id.
        target_id: String,
    },
    /// A protocol error; stock peers close the connection after it.
    #[serde(rename_all = "camelCase")]
    Error {
        /// Who says it.
        sender_id: String,
        /// What went wrong.
        message: String,
        /// To whom.
        #[serde(default)]
        target_id: String,
    },
    /// A peer leaving.
    #[serde(rename_all = "camelCase")]
    Leave {
        /// Who leaves.
        sender_id: String,
    },
    /// "I want this document", with a first Automerge sync message.
    #[serde(rename_all = "camelCase")]
    Request {
        /// From.
        sender_id: String,
        /// To.
        target_id: String,
        /// Which document.
        document_id: DocumentId,
        /// An Automerge sync message.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// An Automerge sync message for a document.
    #[serde(rename_all = "camelCase")]
    Sync {
        /// From.
        sender_id: String,
        /// To.
        target_id: String,
        /// Which document.
        document_id: DocumentId,
        /// An Automerge sync message.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// The peer does not have the document or will not share it.
    #[serde(rename_all = "camelCase")]
    DocUnavailable {
        /// From.
        sender_id: String,
        /// To.
        target_id: String,
        /// Which document.
        document_id: DocumentId,
    },
    /// Presence and other data that is not stored.
    #[serde(rename_all = "camelCase")]
    Ephemeral {
        /// From.
        sender_id: String,
        /// To.
        target_id: String,
        /// The sender's message counter.
        count: u64,
        /// The sender's session.
        session_id: String,
        /// Which document.
        document_id: DocumentId,
        /// The payload.
        #[serde(with = "serde_bytes")]
        data: Vec<u8>,
    },
    /// Storage-id subscription changes; accepted and ignored (no remote-heads gossip here).
    #[serde(rename_all = "camelCase")]
    RemoteSubscriptionChange {
        /// From.
        sender_id: String,
        /// To.
        #[serde(default)]
        target_id: String,
    },
    /// Another peer's heads; accepted and ignored.
    #[serde(rename_all = "camelCase")]
    RemoteHeadsChanged {
        /// From.
        sender_id: String,
        /// To.
        #[serde(default)]
        target_id: String,
    },
}

/// A frame that is not a protocol message.
#[derive(Debug, Error)]
pub enum CodecError {
    /// Not CBOR, not a map, an unknown `type`, or a field missing or of the wrong kind.
    #[error("not an automerge-repo message: {0}")]
    Malformed(String),
}

/// Encodes a message as one CBOR map.
pub fn encode(message: &RepoMessage) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail, and every message serialises.
    let _ = ciborium::into_writer(message, &mut out);
    out
}

/// Decodes one frame.
///
/// # Errors
/// [`CodecError::Malformed`] for anything that is not a well-formed message.
pub fn decode(frame: &[u8]) -> Result<RepoMessage, CodecError> {
    let wire: Wire =
        ciborium::from_reader(frame).map_err(|e| CodecError::Malformed(e.to_string()))?;
    wire.into_message()
}

/// Every field any message has, as read off the wire: unknown fields are ignored, as by the JS packages.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(rename = "type")]
    kind: String,
    sender_id: Option<String>,
    target_id: Option<String>,
    document_id: Option<DocumentId>,
    #[serde(default, with = "serde_bytes")]
    data: Option<Vec<u8>>,
    peer_metadata: Option<PeerMetadata>,
    supported_protocol_versions: Option<Vec<String>>,
    selected_protocol_version: Option<String>,
    message: Option<String>,
    count: Option<u64>,
    session_id: Option<String>,
}

impl Wire {
    /// The message of this type, or which field it lacks.
    fn into_message(self) -> Result<RepoMessage, CodecError> {
        let kind = self.kind;
        let missing = |field: &str| {
            CodecError::Malformed(format!("missing field `{field}` in a `{kind}` message"))
        };
        let sender_id = self.sender_id.ok_or_else(|| missing("senderId"))?;
        let target = |t: Option<String>| t.ok_or_else(|| missing("targetId"));
        let document = |d: Option<DocumentId>| d.ok_or_else(|| missing("documentId"));
        let data = |d: Option<Vec<u8>>| d.ok_or_else(|| missing("data"));
        Ok(match kind.as_str() {
            "join" => RepoMessage::Join {
                sender_id,
                peer_metadata: self.peer_metadata.unwrap_or_default(),
                supported_protocol_versions: self.supported_protocol_versions.unwrap_or_default(),
            },
            "peer" => RepoMessage::Peer {
                sender_id,
                peer_metadata: self.peer_metadata.unwrap_or_default(),
                selected_protocol_version: self
                    .selected_protocol_version
                    .ok_or_else(|| missing("selectedProtocolVersion"))?,
                target_id: target(self.target_id)?,
            },
            "error" => RepoMessage::Error {
                sender_id,
                message: self.message.ok_or_else(|| missing("message"))?,
                target_id: self.target_id.unwrap_or_default(),
            },
            "leave" => RepoMessage::Leave { sender_id },
            "request" => RepoMessage::Request {
                sender_id,
                target_id: target(self.target_id)?,
                document_id: document(self.document_id)?,
                data: data(self.data)?,
            },
            "sync" => RepoMessage::Sync {
                sender_id,
                target_id: target(self.target_id)?,
                document_id: document(self.document_id)?,
                data: data(self.data)?,
            },
            "doc-unavailable" => RepoMessage::DocUnavailable {
                sender_id,
                target_id: target(self.target_id)?,
                document_id: document(self.document_id)?,
            },
            "ephemeral" => RepoMessage::Ephemeral {
                sender_id,
                target_id: target(self.target_id)?,
                count: self.count.ok_or_else(|| missing("count"))?,
                session_id: self.session_id.ok_or_else(|| missing("sessionId"))?,
                document_id: document(self.document_id)?,
                data: data(self.data)?,
            },
            "remote-subscription-change" => RepoMessage::RemoteSubscriptionChange {
                sender_id,
                target_id: self.target_id.unwrap_or_default(),
            },
            "remote-heads-changed" => RepoMessage::RemoteHeadsChanged {
                sender_id,
                target_id: self.target_id.unwrap_or_default(),
            },
            other => {
                return Err(CodecError::Malformed(format!(
                    "unknown message type `{other}`"
                )));
            }
        })
    }
}

impl RepoMessage {
    /// The sender's peer id.
    pub fn sender_id(&self) -> &str {
        match self {
            Self::Join { sender_id, .. }
            | Self::Peer { sender_id, .. }
            | Self::Error { sender_id, .. }
            | Self::Leave { sender_id }
            | Self::Request { sender_id, .. }
            | Self::Sync { sender_id, .. }
            | Self::DocUnavailable { sender_id, .. }
            | Self::Ephemeral { sender_id, .. }
            | Self::RemoteSubscriptionChange { sender_id, .. }
            | Self::RemoteHeadsChanged { sender_id, .. } => sender_id,
        }
    }

    /// The `type` as written on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Join { .. } => "join",
            Self::Peer { .. } => "peer",
            Self::Error { .. } => "error",
            Self::Leave { .. } => "leave",
            Self::Request { .. } => "request",
            Self::Sync { .. } => "sync",
            Self::DocUnavailable { .. } => "doc-unavailable",
            Self::Ephemeral { .. } => "ephemeral",
            Self::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Self::RemoteHeadsChanged { .. } => "remote-heads-changed",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::FacilityId;
    use crate::sync::DocKind;

    fn doc() -> DocumentId {
        DocumentId::for_doc(DocKind::Inspection, &FacilityId::from("f"), 2026)
    }

    #[test]
    fn messages_round_trip() {
        let messages = [
            RepoMessage::Join {
                sender_id: "client-1".into(),
                peer_metadata: PeerMetadata {
                    storage_id: Some("s1".into()),
                    is_ephemeral: false,
                },
                supported_protocol_versions: vec!["1".into()],
            },
            RepoMessage::Sync {
                sender_id: "a".into(),
                target_id: "b".into(),
                document_id: doc(),
                data: vec![1, 2, 3],
            },
            RepoMessage::DocUnavailable {
                sender_id: "a".into(),
                target_id: "b".into(),
                document_id: doc(),
            },
            RepoMessage::Error {
                sender_id: "s".into(),
                message: "no".into(),
                target_id: "c".into(),
            },
            RepoMessage::Peer {
                sender_id: "server".into(),
                peer_metadata: PeerMetadata::default(),
                selected_protocol_version: "1".into(),
                target_id: "client-1".into(),
            },
            RepoMessage::Leave {
                sender_id: "a".into(),
            },
            RepoMessage::Request {
                sender_id: "a".into(),
                target_id: "b".into(),
                document_id: doc(),
                data: vec![],
            },
            RepoMessage::Ephemeral {
                sender_id: "a".into(),
                target_id: "b".into(),
                count: 7,
                session_id: "s".into(),
                document_id: doc(),
                data: vec![4],
            },
            RepoMessage::RemoteSubscriptionChange {
                sender_id: "a".into(),
                target_id: "b".into(),
            },
            RepoMessage::RemoteHeadsChanged {
                sender_id: "a".into(),
                target_id: String::new(),
            },
        ];
        for m in messages {
            assert_eq!(decode(&encode(&m)).unwrap(), m);
        }
    }

    #[test]
    fn the_wire_form_is_a_map_with_text_keys_and_byte_strings() {
        let m = RepoMessage::Request {
            sender_id: "a".into(),
            target_id: "b".into(),
            document_id: doc(),
            data: vec![9, 8],
        };
        let value: ciborium::Value = ciborium::from_reader(encode(&m).as_slice()).unwrap();
        let map = value.as_map().unwrap();
        let get = |k: &str| {
            map.iter()
                .find(|(key, _)| key.as_text() == Some(k))
                .map(|(_, v)| v.clone())
        };
        assert_eq!(get("type").unwrap().as_text(), Some("request"));
        assert_eq!(get("senderId").unwrap().as_text(), Some("a"));
        assert_eq!(
            get("documentId").unwrap().as_text(),
            Some(doc().to_string().as_str())
        );
        assert_eq!(get("data").unwrap().as_bytes(), Some(&vec![9u8, 8]));
    }

    #[test]
    fn a_join_as_the_js_client_writes_it_decodes() {
        // {type:"join", senderId:"js", peerMetadata:{isEphemeral:true}, supportedProtocolVersions:["1"]}
        let value = ciborium::Value::Map(vec![
            ("type".into(), "join".into()),
            ("senderId".into(), "js".into()),
            (
                "peerMetadata".into(),
                ciborium::Value::Map(vec![("isEphemeral".into(), true.into())]),
            ),
            (
                "supportedProtocolVersions".into(),
                ciborium::Value::Array(vec!["1".into()]),
            ),
        ]);
        let mut frame = Vec::new();
        ciborium::into_writer(&value, &mut frame).unwrap();
        let m = decode(&frame).unwrap();
        assert!(
            matches!(m, RepoMessage::Join { ref sender_id, ref peer_metadata, .. } if sender_id == "js" && peer_metadata.is_ephemeral)
        );
    }

    #[test]
    fn garbage_and_unknown_types_are_malformed() {
        assert!(decode(b"\xff\x00garbage").is_err());
        assert!(decode(b"").is_err());
        let value = ciborium::Value::Map(vec![
            ("type".into(), "teleport".into()),
            ("senderId".into(), "x".into()),
        ]);
        let mut frame = Vec::new();
        ciborium::into_writer(&value, &mut frame).unwrap();
        let err = decode(&frame).unwrap_err();
        assert!(
            err.to_string().contains("teleport") || err.to_string().contains("variant"),
            "{err}"
        );
        // A sync without its document id.
        let value = ciborium::Value::Map(vec![
            ("type".into(), "sync".into()),
            ("senderId".into(), "x".into()),
        ]);
        let mut frame = Vec::new();
        ciborium::into_writer(&value, &mut frame).unwrap();
        let err = decode(&frame).unwrap_err();
        assert!(err.to_string().contains("missing field"), "{err}");
        // A type that is not text, a map without a type, a sender of the wrong type.
        for value in [
            ciborium::Value::Map(vec![
                ("type".into(), 3.into()),
                ("senderId".into(), "x".into()),
            ]),
            ciborium::Value::Map(vec![("senderId".into(), "x".into())]),
            ciborium::Value::Map(vec![
                ("type".into(), "leave".into()),
                ("senderId".into(), 5.into()),
            ]),
            ciborium::Value::Array(vec!["leave".into()]),
        ] {
            let mut frame = Vec::new();
            ciborium::into_writer(&value, &mut frame).unwrap();
            assert!(decode(&frame).is_err(), "{value:?}");
        }
    }
}
