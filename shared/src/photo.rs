//! Photo evidence: what a photo is to both sides. The bytes travel apart from the documents, by their
//! SHA-256 ([`PhotoHash`]); a document holds only references ([`crate::doc::PhotoView`]). The server and the
//! app agree here on what counts as an image ([`ImageType::sniff`]) and how big a photo may be.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// The longest side of a photo after the app shrinks it on the device, in pixels.
pub const MAX_LONG_SIDE: u32 = 1600;

/// The size the server refuses photos above unless configured otherwise (5 MB).
pub const DEFAULT_MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// Photos one item or one problem phase may hold: enough to prove anything, few enough that a hostile
/// device cannot bloat the document with references.
pub const MAX_PHOTOS_PER_SUBJECT: usize = 20;

/// The characters a caption may have.
pub const MAX_CAPTION_CHARS: usize = 200;

/// A photo's content address: the SHA-256 of its bytes, as 64 lower-case hex digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhotoHash(String);

impl PhotoHash {
    /// The hash of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        let digest = Sha256::digest(bytes);
        Self(digest.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The hash as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Text that is not a SHA-256 in hex.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("“{0}”不是照片的校验值（64 位十六进制）。'{0}' is not a photo hash (64 hex digits).")]
pub struct BadHash(pub String);

impl FromStr for PhotoHash {
    type Err = BadHash;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let ok = s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
        if ok {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(BadHash(s.chars().take(80).collect()))
        }
    }
}

impl TryFrom<String> for PhotoHash {
    type Error = BadHash;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<PhotoHash> for String {
    fn from(h: PhotoHash) -> Self {
        h.0
    }
}

/// The image formats zhigai keeps: what the app's shrinking writes (JPEG, or WebP where the browser
/// encodes it) and PNG for screenshots of registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ImageType {
    /// `image/jpeg`.
    #[serde(rename = "image/jpeg")]
    Jpeg,
    /// `image/webp`.
    #[serde(rename = "image/webp")]
    Webp,
    /// `image/png`.
    #[serde(rename = "image/png")]
    Png,
}

impl ImageType {
    /// What the bytes are, by their leading magic numbers (never by a file name or a declared type).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Webp => "image/webp",
            Self::Png => "image/png",
        }
    }
}

impl FromStr for ImageType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "image/jpeg" => Ok(Self::Jpeg),
            "image/webp" => Ok(Self::Webp),
            "image/png" => Ok(Self::Png),
            other => Err(other.chars().take(40).collect()),
        }
    }
}

/// Where a photo belongs: an item, or a problem before or after rectification.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PhotoSubject {
    /// A check item: evidence of what the answer says.
    Item {
        /// The item.
        item: crate::ItemId,
    },
    /// A problem of the rectification list, or a reviewer's finding the facility answers.
    Problem {
        /// The problem or finding.
        problem: crate::ProblemId,
        /// Before rectification (the problem as found) or after (the proof of the fix).
        phase: PhotoPhase,
    },
}

/// When a problem's photo was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhotoPhase {
    /// 整改前: the problem as found.
    Before,
    /// 整改后: the proof of the rectification.
    After,
}

impl PhotoPhase {
    /// `before` or `after`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Before => "before",
            Self::After => "after",
        }
    }

    /// 整改前 / 整改后.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Before => "整改前",
            Self::After => "整改后",
        }
    }
}

impl PhotoSubject {
    /// The stored form: `item:T1.01`, `problem:<id>:before`.
    pub fn code(&self) -> String {
        match self {
            Self::Item { item } => format!("item:{item}"),
            Self::Problem { problem, phase } => format!("problem:{problem}:{}", phase.code()),
        }
    }

    /// Reads the stored form; `None` for anything else.
    pub fn parse(code: &str) -> Option<Self> {
        if let Some(item) = code.strip_prefix("item:") {
            return (!item.is_empty()).then(|| Self::Item {
                item: crate::ItemId::new(item),
            });
        }
        let rest = code.strip_prefix("problem:")?;
        let (problem, phase) = rest.rsplit_once(':')?;
        let phase = match phase {
            "before" => PhotoPhase::Before,
            "after" => PhotoPhase::After,
            _ => return None,
        };
        (!problem.is_empty()).then(|| Self::Problem {
            problem: crate::ProblemId::new(problem),
            phase,
        })
    }

    /// The item or problem id the photo is filed under (the history's subject).
    pub fn id(&self) -> &str {
        match self {
            Self::Item { item } => item.as_str(),
            Self::Problem { problem, .. } => problem.as_str(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_known_by_their_bytes_not_their_names() {
        assert_eq!(
            ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(
            ImageType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        assert_eq!(ImageType::sniff(b"%PDF-1.7"), None);
        assert_eq!(ImageType::sniff(b"RIFF\x10\0\0\0WAVEfmt "), None);
        assert_eq!(ImageType::sniff(b""), None);
    }

    #[test]
    fn hashes_are_sha256_hex_and_nothing_else() {
        let h = PhotoHash::of(b"abc");
        assert_eq!(
            h.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(h.as_str().parse::<PhotoHash>().unwrap(), h);
        assert_eq!(
            h.as_str().to_uppercase().parse::<PhotoHash>().unwrap(),
            h,
            "upper-case hex is the same hash"
        );
        for bad in [
            "",
            "abc",
            "../../etc/passwd",
            &"g".repeat(64),
            &"a".repeat(65),
        ] {
            assert!(bad.parse::<PhotoHash>().is_err(), "{bad}");
        }
    }

    #[test]
    fn subjects_read_back_what_they_wrote() {
        for s in [
            PhotoSubject::Item {
                item: "T1.01".into(),
            },
            PhotoSubject::Problem {
                problem: "ab12".into(),
                phase: PhotoPhase::After,
            },
        ] {
            assert_eq!(PhotoSubject::parse(&s.code()), Some(s));
        }
        for bad in [
            "",
            "item:",
            "problem:x",
            "problem::after",
            "problem:x:later",
            "x:y",
        ] {
            assert_eq!(PhotoSubject::parse(bad), None, "{bad}");
        }
    }
}
