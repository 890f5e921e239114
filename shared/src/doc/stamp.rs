//! Who wrote a change and when: every write carries a [`Stamp`], stored in the Automerge change message, so
//! a document's change history is its audit trail.

use crate::ids::UserId;
use serde::{Deserialize, Serialize};

/// Milliseconds since 1970-01-01 UTC, as the writing device's clock said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// A person who writes to a document.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Author {
    /// The account.
    pub user: UserId,
    /// The name colleagues know them by (王医生), kept with the change so history reads well offline.
    pub name: String,
}

impl Author {
    /// An author from an account id and a display name.
    pub fn new(user: impl Into<UserId>, name: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            name: name.into(),
        }
    }
}

impl From<String> for UserId {
    fn from(id: String) -> Self {
        UserId::new(id)
    }
}

/// Who makes a write and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    /// The writer.
    pub author: Author,
    /// When, by the writer's device.
    pub at: Timestamp,
}

impl Stamp {
    /// A stamp for `author` at `at`.
    pub fn new(author: Author, at: Timestamp) -> Self {
        Self { author, at }
    }
}

/// What a change did, as recorded in its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// The deterministic skeleton every replica builds identically.
    Genesis,
    /// A schema migration.
    Migrate,
    /// An item's compliance status.
    SetStatus,
    /// An item's measured figure (a rate, a count).
    SetMetric,
    /// An item's note.
    EditNote,
    /// A new problem in the rectification list.
    AddProblem,
    /// A problem's description, linked item, measure, owner or deadline.
    UpdateProblem,
    /// A problem's rectification status.
    SetProblemStatus,
    /// A problem withdrawn from the list (kept for the audit trail).
    DeleteProblem,
    /// The inspection submitted for review.
    Submit,
    /// A submission withdrawn.
    Withdraw,
    /// A conflict settled by choosing one value.
    Resolve,
    /// The review state changed (returned, approved, …).
    SetReviewState,
    /// The first review step (医共体 初审): passed on or returned.
    FirstReview,
    /// A reviewer's finding from a check (核查).
    AddFinding,
    /// A reviewer's comment.
    Comment,
    /// A reviewer's verification of a rectified problem.
    Verify,
    /// A photo attached to an item or a problem.
    AddPhoto,
    /// A photo's caption changed.
    CaptionPhoto,
    /// A photo taken off (the reference stays in the history).
    RemovePhoto,
    /// Written by a newer version of zhigai, unknown to this one.
    #[serde(other)]
    Unknown,
}

/// The JSON stored as an Automerge change message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ChangeNote {
    pub(crate) by: UserId,
    pub(crate) name: String,
    pub(crate) at: i64,
    pub(crate) op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) value: Option<String>,
}

/// One entry of a document's history: who did what to which subject, and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// Who.
    pub author: Author,
    /// When, by the writer's device.
    pub at: Timestamp,
    /// What kind of change.
    pub op: Op,
    /// The item id, problem id or field the change concerned, if any.
    pub subject: Option<String>,
    /// The field of the subject, where a subject has several (a problem's `measure`, `deadline`, …).
    pub field: Option<String>,
    /// The value written, as text (a status code, a date, the first characters of a note edit).
    pub value: Option<String>,
    /// The change's hash (hex), unique across all replicas.
    pub change: String,
}

impl ChangeNote {
    pub(crate) fn new(stamp: &Stamp, op: Op, target: Target<'_>, value: Option<&str>) -> Self {
        Self {
            by: stamp.author.user.clone(),
            name: stamp.author.name.clone(),
            at: stamp.at.0,
            op,
            subject: target.subject.map(str::to_owned),
            field: target.field.map(str::to_owned),
            value: value.map(|v| truncate_chars(v, 80)),
        }
    }

    pub(crate) fn to_message(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a change message; `None` for messages not written by zhigai (stock clients, tools).
    pub(crate) fn parse(message: &str) -> Option<Self> {
        serde_json::from_str(message).ok()
    }

    pub(crate) fn author(&self) -> Author {
        Author {
            user: self.by.clone(),
            name: self.name.clone(),
        }
    }
}

fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// What a change is about: a subject (item or problem id) and, optionally, one of its fields.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Target<'a> {
    pub(crate) subject: Option<&'a str>,
    pub(crate) field: Option<&'a str>,
}

impl<'a> Target<'a> {
    pub(crate) fn none() -> Self {
        Self::default()
    }

    pub(crate) fn subject(subject: &'a str) -> Self {
        Self {
            subject: Some(subject),
            field: None,
        }
    }

    pub(crate) fn field(subject: &'a str, field: &'a str) -> Self {
        Self {
            subject: Some(subject),
            field: Some(field),
        }
    }
}
