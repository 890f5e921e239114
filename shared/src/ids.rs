//! Domain identifiers: one newtype per concept, so a facility id can never be passed where a user id belongs.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an identifier string.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }
    };
}

string_id!(
    /// A facility (township or community health centre, village clinic, …).
    FacilityId
);
string_id!(
    /// A user account.
    UserId
);
string_id!(
    /// A check item of a template, such as `T5.04`; stable across template versions.
    ItemId
);
string_id!(
    /// A template area (one of the plan's nine work tasks), such as `T5`.
    AreaId
);
string_id!(
    /// A checklist template, such as `national-2026`.
    TemplateId
);
string_id!(
    /// A problem of an inspection's rectification list: 32 random hex digits, unique without coordination.
    ProblemId
);
string_id!(
    /// A county reviewer's comment in a review document: 32 random hex digits.
    CommentId
);
string_id!(
    /// A photo reference of an inspection: 32 random hex digits (the bytes go by their hash).
    PhotoId
);

/// 32 lower-case hex digits from 16 random bytes.
///
/// # Panics
/// Only if the platform has no random source at all (no `crypto.getRandomValues`, no OS entropy), which
/// would make every offline device unusable anyway.
pub(crate) fn random_hex_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the platform provides a random source");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl ProblemId {
    /// A fresh random problem id.
    pub fn random() -> Self {
        Self(random_hex_id())
    }
}

impl PhotoId {
    /// A fresh random photo reference id.
    pub fn random() -> Self {
        Self(random_hex_id())
    }
}

impl CommentId {
    /// A fresh random comment id.
    pub fn random() -> Self {
        Self(random_hex_id())
    }
}

/// A calendar year of the action (2026, 2027, 2028, and later years of routine work).
pub type Year = u16;
