//! The review document: one per facility-year, written by county reviewers. The review state (with the
//! reason for a return and the inspection heads an approval covers), comments per item, and the
//! verification of problems the facility reports rectified.

use super::core::{DocCore, put_fresh};
use super::inspection::{encode, push_conflict};
use super::stamp::Target;
use super::{
    Author, Conflict, DocError, Document, FieldValue, HistoryEntry, Migration, Op, ReviewState,
    SCHEMA_VERSION, Stamp, Timestamp, Verdict, check_text, migrate, typed_document,
};
use crate::ids::{CommentId, FacilityId, ItemId, ProblemId, Year};
use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `kind` of a review document.
pub const REVIEW_KIND: &str = "zhigai/review";

const STATE: &str = "state";
const REASON: &str = "reason";
const APPROVED_HEADS: &str = "approved_heads";
const COMMENTS: &str = "comments";
const VERIFICATIONS: &str = "verifications";

/// Schema steps after version 1 (none yet).
const MIGRATIONS: &[Migration] = &[];

/// The county's review of one facility-year.
#[derive(Debug)]
pub struct Review {
    core: DocCore,
}

typed_document!(Review, REVIEW_KIND, review_rule);

/// Where reviewers may write in a review: the state with its reason and approved heads, comments (added
/// to the list), verifications. The skeleton and identity fields are written once, by the genesis change.
impl Document for Review {
    const KIND: crate::sync::DocKind = crate::sync::DocKind::Review;

    fn genesis(facility: &FacilityId, year: Year) -> Result<Self, DocError> {
        Self::create(facility, year)
    }

    fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let mut core = DocCore::load(bytes, REVIEW_KIND)?;
        migrate(&mut core, MIGRATIONS, SCHEMA_VERSION)?;
        Ok(Self { core })
    }
}

fn review_rule(path: &[String], key: Option<&str>) -> super::guard::Rule {
    use super::guard::Rule;
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match (p.as_slice(), key) {
        ([], Some(STATE | REASON | APPROVED_HEADS)) => Rule::Writer,
        ([STATE | REASON | APPROVED_HEADS, ..], _) => Rule::Writer,
        ([COMMENTS], _) => Rule::Writer,
        ([COMMENTS, _], Some("id" | "item" | "text")) => Rule::Writer,
        ([COMMENTS, _, "id" | "item" | "text", ..], _) => Rule::Writer,
        ([VERIFICATIONS], Some(_)) => Rule::Writer,
        ([VERIFICATIONS, _, ..], _) => Rule::Writer,
        _ => Rule::Never,
    }
}

/// A field of a review that can hold conflicting values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum ReviewField {
    /// The review state.
    State,
    /// The verdict on one problem.
    Verification {
        /// The problem.
        problem: ProblemId,
    },
}

/// The review state with who set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateView {
    /// The state.
    pub state: ReviewState,
    /// Why it was returned (empty unless returned).
    pub reason: String,
    /// The inspection heads the approval covers (empty unless approved).
    pub approved_heads: Vec<String>,
    /// Who set the state.
    pub by: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// A reviewer's comment on an item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentView {
    /// The comment.
    pub id: CommentId,
    /// The item it is about.
    pub item: ItemId,
    /// What the reviewer wrote.
    pub text: String,
    /// Who.
    pub author: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// A reviewer's verdict on a rectified problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationView {
    /// 已核实 or 未通过.
    pub verdict: Verdict,
    /// Who.
    pub by: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// The whole review as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    /// The facility.
    pub facility: Option<FacilityId>,
    /// The year.
    pub year: Option<Year>,
    /// The review state.
    pub state: StateView,
    /// Comments, oldest first.
    pub comments: Vec<CommentView>,
    /// Verdicts by problem.
    pub verifications: BTreeMap<ProblemId, VerificationView>,
}

impl Review {
    /// Starts the review of `facility` for `year`; deterministic like [`super::Inspection::create`].
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    pub fn create(facility: &FacilityId, year: Year) -> Result<Self, DocError> {
        let core = DocCore::genesis(REVIEW_KIND, SCHEMA_VERSION, |tx| {
            tx.put(ROOT, "facility", facility.as_str())?;
            tx.put(ROOT, "year", u64::from(year))?;
            tx.put(ROOT, STATE, ReviewState::NotSubmitted.code())?;
            tx.put(ROOT, REASON, "")?;
            tx.put(ROOT, APPROVED_HEADS, "")?;
            tx.put_object(ROOT, COMMENTS, ObjType::List)?;
            tx.put_object(ROOT, VERIFICATIONS, ObjType::Map)?;
            Ok(())
        })?;
        Ok(Self { core })
    }

    // ───────────── reads ─────────────

    /// The review state, the return reason and the approved heads.
    pub fn state(&self) -> StateView {
        let scalar = self.core.get_scalar(&ROOT, STATE);
        let state = scalar
            .as_ref()
            .and_then(|(v, _)| v.as_str())
            .and_then(|s| s.parse().ok())
            .unwrap_or(ReviewState::NotSubmitted);
        let stamp = scalar.and_then(|(_, id)| self.core.stamp_of(&id));
        let heads = self.core.get_str(&ROOT, APPROVED_HEADS).unwrap_or_default();
        StateView {
            state,
            reason: match state {
                ReviewState::Returned => self.core.get_str(&ROOT, REASON).unwrap_or_default(),
                _ => String::new(),
            },
            approved_heads: match state {
                ReviewState::Approved => heads
                    .split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            },
            by: stamp.as_ref().map(|(a, _)| a.clone()),
            at: stamp.map(|(_, at)| at),
        }
    }

    /// Every comment, oldest first.
    pub fn comments(&self) -> Vec<CommentView> {
        let Some(list) = self.core.get_obj(&ROOT, COMMENTS) else {
            return Vec::new();
        };
        let doc = self.core.doc();
        (0..doc.length(&list))
            .filter_map(|i| {
                let (value, obj) = doc.get(&list, i).ok().flatten()?;
                if !matches!(value, automerge::Value::Object(ObjType::Map)) {
                    return None;
                }
                let stamp = self.core.stamp_of(&obj);
                Some(CommentView {
                    id: CommentId::new(self.core.get_str(&obj, "id")?),
                    item: ItemId::new(self.core.get_str(&obj, "item")?),
                    text: self.core.get_str(&obj, "text").unwrap_or_default(),
                    author: stamp.as_ref().map(|(a, _)| a.clone()),
                    at: stamp.map(|(_, at)| at),
                })
            })
            .collect()
    }

    /// Comments on one item.
    pub fn comments_on(&self, item: &ItemId) -> Vec<CommentView> {
        self.comments()
            .into_iter()
            .filter(|c| &c.item == item)
            .collect()
    }

    /// Verdicts by problem.
    pub fn verifications(&self) -> BTreeMap<ProblemId, VerificationView> {
        let Some(map) = self.core.get_obj(&ROOT, VERIFICATIONS) else {
            return BTreeMap::new();
        };
        self.core
            .keys(&map)
            .into_iter()
            .filter_map(|key| {
                let (value, id) = self.core.get_scalar(&map, &key)?;
                let verdict = value.as_str()?.parse().ok()?;
                let stamp = self.core.stamp_of(&id);
                Some((
                    ProblemId::new(key),
                    VerificationView {
                        verdict,
                        by: stamp.as_ref().map(|(a, _)| a.clone()),
                        at: stamp.map(|(_, at)| at),
                    },
                ))
            })
            .collect()
    }

    /// The whole review as plain data.
    pub fn view(&self) -> ReviewView {
        ReviewView {
            facility: self.core.get_str(&ROOT, "facility").map(FacilityId::new),
            year: self
                .core
                .get_f64(&ROOT, "year")
                .and_then(|y| Year::try_from(y as i64).ok()),
            state: self.state(),
            comments: self.comments(),
            verifications: self.verifications(),
        }
    }

    /// Every stamped change of the review, oldest first.
    pub fn history(&self) -> Vec<HistoryEntry> {
        self.core.history(|note| note.op() != Op::Genesis)
    }

    /// Fields that concurrent reviewers left with different values.
    pub fn conflicts(&self) -> Vec<Conflict<ReviewField>> {
        let mut out = Vec::new();
        push_conflict(
            &mut out,
            ReviewField::State,
            self.core.conflicts_at(&ROOT, STATE),
            |v| {
                v.and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .map_or(FieldValue::None, FieldValue::ReviewState)
            },
        );
        if let Some(map) = self.core.get_obj(&ROOT, VERIFICATIONS) {
            for key in self.core.keys(&map) {
                let field = ReviewField::Verification {
                    problem: ProblemId::new(key.clone()),
                };
                push_conflict(&mut out, field, self.core.conflicts_at(&map, &key), |v| {
                    v.and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
                        .map_or(FieldValue::None, FieldValue::Verdict)
                });
            }
        }
        out
    }

    // ───────────── writes ─────────────

    /// Sets the review state (for example 已提交 when the server sees a submission).
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    pub fn set_state(&mut self, state: ReviewState, stamp: &Stamp) -> Result<(), DocError> {
        self.write_state(state, None, stamp)
    }

    /// Returns the inspection for changes, saying why.
    ///
    /// # Errors
    /// [`DocError::Empty`] without a reason; [`DocError::TooLong`].
    pub fn return_for_changes(&mut self, reason: &str, stamp: &Stamp) -> Result<(), DocError> {
        check_text("reason", reason, true)?;
        self.write_state(ReviewState::Returned, Some((reason, "")), stamp)
    }

    /// Approves the inspection as it stands at `inspection_heads` (from `Inspection::heads`), so later
    /// edits show as changed since approval.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for heads that are not 64 hex digits.
    pub fn approve(&mut self, inspection_heads: &[String], stamp: &Stamp) -> Result<(), DocError> {
        if let Some(bad) = inspection_heads
            .iter()
            .find(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(DocError::WrongValue {
                field: "approved heads".to_owned(),
                value: bad.clone(),
            });
        }
        let heads = inspection_heads.join(",");
        self.write_state(ReviewState::Approved, Some(("", &heads)), stamp)
    }

    /// Writes the state and, with `details`, the return reason and approved heads that go with it.
    fn write_state(
        &mut self,
        state: ReviewState,
        details: Option<(&str, &str)>,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let target = Target::subject(STATE);
        self.core.write(
            stamp,
            Op::SetReviewState,
            target,
            Some(state.code()),
            |tx| {
                put_fresh(tx, &ROOT, STATE, state.code())?;
                if let Some((reason, heads)) = details {
                    tx.put(ROOT, REASON, reason)?;
                    tx.put(ROOT, APPROVED_HEADS, heads)?;
                }
                Ok(())
            },
        )
    }

    /// Adds a comment on an item.
    ///
    /// # Errors
    /// [`DocError::Empty`]; [`DocError::TooLong`].
    pub fn add_comment(
        &mut self,
        item: &ItemId,
        text: &str,
        stamp: &Stamp,
    ) -> Result<CommentId, DocError> {
        check_text("comment", text, true)?;
        let list = self.list_obj()?;
        let id = CommentId::random();
        let at = self.core.doc().length(&list);
        self.core.write(
            stamp,
            Op::Comment,
            Target::subject(item.as_str()),
            Some(text),
            |tx| {
                let obj = tx.insert_object(&list, at, ObjType::Map)?;
                tx.put(&obj, "id", id.as_str())?;
                tx.put(&obj, "item", item.as_str())?;
                tx.put(&obj, "text", text)?;
                Ok(())
            },
        )?;
        Ok(id)
    }

    fn list_obj(&self) -> Result<ObjId, DocError> {
        self.core
            .get_obj(&ROOT, COMMENTS)
            .ok_or_else(|| DocError::Corrupt("the comment list is missing".to_owned()))
    }

    /// Records the verdict on a problem the facility reports rectified.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if the document lost its verification map.
    pub fn verify(
        &mut self,
        problem: &ProblemId,
        verdict: Verdict,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let map = self
            .core
            .get_obj(&ROOT, VERIFICATIONS)
            .ok_or_else(|| DocError::Corrupt("the verification map is missing".to_owned()))?;
        self.core.write(
            stamp,
            Op::Verify,
            Target::subject(problem.as_str()),
            Some(verdict.code()),
            |tx| {
                put_fresh(tx, &map, problem.as_str(), verdict.code())?;
                Ok(())
            },
        )
    }

    /// Settles a conflict by writing `value` over every value standing in `field`.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for a value of another kind than the field holds.
    pub fn resolve(
        &mut self,
        field: &ReviewField,
        value: FieldValue,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let (obj, key): (ObjId, String) = match (field, &value) {
            (ReviewField::State, FieldValue::ReviewState(_)) => (ROOT, STATE.to_owned()),
            (ReviewField::Verification { problem }, FieldValue::Verdict(_)) => (
                self.core.get_obj(&ROOT, VERIFICATIONS).ok_or_else(|| {
                    DocError::Corrupt("the verification map is missing".to_owned())
                })?,
                problem.to_string(),
            ),
            _ => {
                return Err(DocError::WrongValue {
                    field: format!("{field:?}"),
                    value: value.label_zh(),
                });
            }
        };
        let scalar: ScalarValue = encode(&value);
        self.core.write(
            stamp,
            Op::Resolve,
            Target::subject(&key),
            Some(&value.label_zh()),
            |tx| {
                put_fresh(tx, &obj, key.as_str(), scalar)?;
                Ok(())
            },
        )
    }
}
