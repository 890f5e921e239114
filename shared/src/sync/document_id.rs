//! automerge-repo document ids: 16 bytes, bs58check-encoded; zhigai derives them from the document's kind,
//! facility and year, so every device and server finds the same document without asking.

use crate::ids::{FacilityId, Year};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Which of a facility-year's two documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// The facility's self-inspection.
    Inspection,
    /// The county's review.
    Review,
}

impl DocKind {
    /// The code used in ids and the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::Inspection => "inspection",
            Self::Review => "review",
        }
    }
}

/// An automerge-repo document id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

/// A document id that does not decode.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("'{0}' is not a document id (bs58check of 16 bytes)")]
pub struct DocumentIdError(String);

impl DocumentId {
    /// The id of `kind` for `facility` in `year`.
    pub fn for_doc(kind: DocKind, facility: &FacilityId, year: Year) -> Self {
        let digest =
            Sha256::digest(format!("zhigai:{}:{}:{}", kind.code(), facility, year).as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        Self(bytes)
    }

    /// The raw 16 bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL of the document.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&bs58::encode(self.0).with_check().into_string())
    }
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl FromStr for DocumentId {
    type Err = DocumentIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.strip_prefix("automerge:").unwrap_or(s);
        let bytes = bs58::decode(text)
            .with_check(None)
            .into_vec()
            .map_err(|_| DocumentIdError(s.to_owned()))?;
        let bytes: [u8; 16] = bytes
            .try_into()
            .map_err(|_| DocumentIdError(s.to_owned()))?;
        Ok(Self(bytes))
    }
}

impl Serialize for DocumentId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DocumentId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_deterministic_distinct_and_round_trip() {
        let f = FacilityId::from("fac-001");
        let a = DocumentId::for_doc(DocKind::Inspection, &f, 2026);
        assert_eq!(a, DocumentId::for_doc(DocKind::Inspection, &f, 2026));
        assert_ne!(a, DocumentId::for_doc(DocKind::Review, &f, 2026));
        assert_ne!(a, DocumentId::for_doc(DocKind::Inspection, &f, 2027));
        assert_eq!(a.to_string().parse::<DocumentId>(), Ok(a));
        assert_eq!(a.url().parse::<DocumentId>(), Ok(a));
        assert!(a.url().starts_with("automerge:"));
    }

    #[test]
    fn a_checksum_error_or_wrong_length_is_refused() {
        let good = DocumentId::for_doc(DocKind::Review, &FacilityId::from("x"), 2026).to_string();
        let mut bad = good.clone().into_bytes();
        bad[3] = if bad[3] == b'2' { b'3' } else { b'2' };
        assert!(
            String::from_utf8(bad)
                .unwrap()
                .parse::<DocumentId>()
                .is_err()
        );
        let short = bs58::encode([1u8; 8]).with_check().into_string();
        assert!(short.parse::<DocumentId>().is_err());
        assert!("0OIl".parse::<DocumentId>().is_err());
    }
}
