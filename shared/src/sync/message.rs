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

/// One protocol message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    ciborium::from_reader(frame).map_err(|e| CodecError::Malformed(e.to_string()))
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
        assert!(decode(&frame).is_err());
    }
}
