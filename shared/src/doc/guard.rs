//! What the server checks of changes a peer sends, per document kind and per writer: every change is
//! stamped by the connected user, touches only the fields that user's role may write (only a head submits
//! or withdraws), keeps texts within the app's limits, and stays within an operation budget. Also the
//! repairs the server needs around that: rolling a document back to the heads it had before a refused
//! message, and reading who first wrote with an actor.

use super::core::DocCore;
use super::stamp::{ChangeNote, Op};
use super::{DocError, MAX_TEXT_CHARS};
use crate::access::Rights;
use crate::ids::UserId;
use automerge::legacy::{Key, ObjectId, OpType};
use automerge::{ChangeHash, Prop, ReadDoc, ScalarValue};
use std::collections::HashMap;
use thiserror::Error;

/// Operations one change may carry: a pasted note of the longest length replacing another is ~8,000.
pub const MAX_OPS_PER_CHANGE: usize = 10_000;

/// The connected user, as the server knows them from the session.
#[derive(Clone, Debug)]
pub struct Writer {
    /// The account.
    pub user: UserId,
    /// What the account may change in this document (from `crate::access::access`).
    pub rights: Rights,
}

/// A new change that passed the checks: what the server records about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AcceptedChange {
    /// The actor that wrote it.
    pub actor: Vec<u8>,
    /// Its size in bytes.
    pub bytes: usize,
    /// What it wrote, for readers that keep derived figures up to date without rereading the document.
    pub touched: Touched,
}

/// Which parts of a document changes wrote: items by id (any field of `items/<id>` or below), and whether
/// they wrote anything else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// The items written.
    pub items: std::collections::BTreeSet<String>,
    /// Whether anything outside a single item was written (the item map itself, problems, the root…).
    pub other: bool,
}

impl Touched {
    /// Everything: what a freshly loaded document counts as.
    pub fn everything() -> Self {
        Self {
            items: std::collections::BTreeSet::new(),
            other: true,
        }
    }

    /// Adds what `more` wrote.
    pub fn add(&mut self, more: &Touched) {
        self.items.extend(more.items.iter().cloned());
        self.other |= more.other;
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty() && !self.other
    }
}

/// Why a peer's change was refused. Messages are bilingual: they reach the person through the app.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum Refusal {
    /// No zhigai stamp, or a stamp naming someone else.
    #[error(
        "修改的作者不是当前登录的用户，未被接受。A change is not stamped by the signed-in user ({0}); refused."
    )]
    Author(String),
    /// A field this role may not write.
    #[error("无权修改“{0}”，修改未被接受。You may not change '{0}'; the change was refused.")]
    Field(String),
    /// A head-only act by someone else.
    #[error("只有机构负责人可以提交或撤回。Only the facility head may submit or withdraw.")]
    HeadOnly,
    /// A text over the app's limit.
    #[error(
        "“{0}”超过 {MAX_TEXT_CHARS} 字，未被接受。'{0}' is longer than {MAX_TEXT_CHARS} characters; refused."
    )]
    TooLong(String),
    /// Too many operations in one change.
    #[error("单次修改过大（{0} 项操作），未被接受。One change carries {0} operations; refused.")]
    TooBig(usize),
    /// A change that cannot be read back from its chunk.
    #[error("修改无法读取，未被接受。A change could not be read ({0}); refused.")]
    Unreadable(String),
}

/// Where a document kind lets writers write: the rule for a key at a path (keys from the root).
pub type FieldRule = fn(path: &[String], key: Option<&str>) -> Rule;

/// What a rule says about one operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// A writer holding these rights.
    Needs(Rights),
    /// Nobody (the skeleton, identity fields, unknown keys).
    Never,
}

impl DocCore {
    /// Whether the document holds the change with this hash.
    pub(crate) fn has_change(&self, hash: &[u8; 32]) -> bool {
        // A hash lookup (vendor/automerge/ZHIGAI-PATCH.md); `get_change_meta_by_hash` built the change's
        // metadata to answer this.
        self.doc().has_change(&ChangeHash(*hash))
    }

    /// Checks every change after `since` (the heads before a peer's message was applied) against the
    /// writer and `rule`.
    pub(crate) fn check_changes_since(
        &self,
        since: &[String],
        writer: &Writer,
        rule: FieldRule,
    ) -> Result<Vec<AcceptedChange>, Refusal> {
        let since = parse_heads(since);
        self.doc()
            .get_changes(&since)
            .iter()
            .map(|change| self.check_change(change, writer, rule))
            .collect()
    }

    /// Checks the changes in `chunks` (whole uncompressed change chunks, as a sync message carried them)
    /// against the writer and `rule`: the same checks as [`Self::check_changes_since`], without reading the
    /// changes back out of the document (which costs a pass over its whole history).
    pub(crate) fn check_chunks<'a>(
        &self,
        chunks: impl IntoIterator<Item = &'a [u8]>,
        writer: &Writer,
        rule: FieldRule,
    ) -> Result<Vec<AcceptedChange>, Refusal> {
        chunks
            .into_iter()
            .map(|chunk| {
                let change = automerge::Change::try_from(chunk)
                    .map_err(|e| Refusal::Unreadable(e.to_string()))?;
                self.check_change(&change, writer, rule)
            })
            .collect()
    }

    fn check_change(
        &self,
        change: &automerge::Change,
        writer: &Writer,
        rule: FieldRule,
    ) -> Result<AcceptedChange, Refusal> {
        if change.len() > MAX_OPS_PER_CHANGE {
            return Err(Refusal::TooBig(change.len()));
        }
        let note = change.message().and_then(ChangeNote::parse);
        let Some(note) = note.filter(|n| n.by == writer.user) else {
            return Err(Refusal::Author(writer.user.to_string()));
        };
        if matches!(note.op, Op::Submit | Op::Withdraw) && !writer.rights.has(Rights::SUBMIT) {
            return Err(Refusal::HeadOnly);
        }
        let expanded = change.decode();
        // One path lookup per object the change touches, not per operation (a pasted note is
        // thousands of operations on one text).
        let mut paths: HashMap<&ObjectId, Vec<String>> = HashMap::new();
        for op in &expanded.operations {
            let path = paths
                .entry(&op.obj)
                .or_insert_with(|| self.path_of(&op.obj));
            let key = match &op.key {
                Key::Map(k) => Some(k.as_str()),
                Key::Seq(_) => None,
            };
            let shown = || {
                path.iter()
                    .map(String::as_str)
                    .chain(key)
                    .collect::<Vec<_>>()
                    .join("/")
            };
            match rule(path, key) {
                Rule::Needs(needed) if writer.rights.has(needed) => {}
                Rule::Needs(Rights::SUBMIT) => return Err(Refusal::HeadOnly),
                Rule::Needs(_) | Rule::Never => return Err(Refusal::Field(shown())),
            }
            if let OpType::Put(value) = &op.action {
                let long = match value {
                    ScalarValue::Str(s) => s.chars().count() > MAX_TEXT_CHARS,
                    ScalarValue::Bytes(b) | ScalarValue::Unknown { bytes: b, .. } => {
                        b.len() > MAX_TEXT_CHARS
                    }
                    _ => false,
                };
                if long {
                    return Err(Refusal::TooLong(shown()));
                }
            }
        }
        let mut touched = Touched::default();
        for (obj, path) in &paths {
            if self.text_over_limit(obj) {
                return Err(Refusal::TooLong(path.join("/")));
            }
            match path.as_slice() {
                [items, id, ..] if items == "items" => {
                    touched.items.insert(id.clone());
                }
                _ => touched.other = true,
            }
        }
        Ok(AcceptedChange {
            actor: change.actor_id().to_bytes().to_vec(),
            bytes: change.raw_bytes().len(),
            touched,
        })
    }

    /// The keys from the root to an object (as of now); an object that cannot be found has a path no
    /// rule allows.
    fn path_of(&self, obj: &ObjectId) -> Vec<String> {
        let ObjectId::Id(id) = obj else {
            return Vec::new();
        };
        let unknown = vec!["?".to_owned()];
        let Ok(exid) = self.doc().import_obj(&id.to_string()) else {
            return unknown;
        };
        let Ok(parents) = self.doc().parents(&exid) else {
            return unknown;
        };
        parents
            .path()
            .into_iter()
            .map(|(_, prop)| match prop {
                Prop::Map(k) => k,
                Prop::Seq(i) => i.to_string(),
            })
            .collect()
    }

    /// Whether `obj` is a text object longer than the app allows.
    fn text_over_limit(&self, obj: &ObjectId) -> bool {
        let ObjectId::Id(id) = obj else {
            return false;
        };
        let Ok(exid) = self.doc().import_obj(&id.to_string()) else {
            return false;
        };
        self.doc().object_type(&exid) == Ok(automerge::ObjType::Text)
            && self.doc().length(&exid) > MAX_TEXT_CHARS
    }

    /// Returns the document to `heads`, dropping every change after them (a refused message).
    pub(crate) fn rollback(&mut self, heads: &[String]) -> Result<(), DocError> {
        let actor = self.doc().get_actor().clone();
        let forked = self.doc().fork_at(&parse_heads(heads))?;
        self.replace(forked.with_actor(actor));
        Ok(())
    }

    /// The account that stamped the first change written with `actor`, if the document has one.
    pub(crate) fn first_author_of(&self, actor: &[u8]) -> Option<UserId> {
        self.doc()
            .get_changes_meta(&[])
            .into_iter()
            .find(|meta| meta.actor.to_bytes() == actor)
            .map(|meta| {
                meta.message
                    .as_deref()
                    .and_then(ChangeNote::parse)
                    .map_or_else(|| UserId::new(""), |note| note.by)
            })
    }
}

fn parse_heads(heads: &[String]) -> Vec<ChangeHash> {
    heads.iter().filter_map(|h| h.parse().ok()).collect()
}
