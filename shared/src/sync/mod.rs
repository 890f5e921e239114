//! The automerge-repo v1 sync protocol as the stock packages speak it: message types, their CBOR framing,
//! document ids, and the client side of a session. The server and the browser use this same code.

mod client;
mod document_id;
pub mod guard;
mod message;

pub use client::{ClientEvent, RepoClient};
pub use document_id::{DocKind, DocumentId, DocumentIdError};
pub use message::{CodecError, PeerMetadata, RepoMessage, decode, encode};

/// The protocol version this implementation speaks.
pub const PROTOCOL_VERSION: &str = "1";
