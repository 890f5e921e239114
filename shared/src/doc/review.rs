//! The review document: one per facility-year, written by reviewers. The county's decision (with the reason
//! for a return and the inspection heads an approval covers), the medical community's first step where the
//! county reviews in two steps (pass on or return, with the heads it saw), comments per item, and the
//! verification of problems the facility reports rectified. Each part needs its own right
//! (`crate::access::Rights`), which the server checks per field.

use super::core::{DocCore, put_fresh};
use super::inspection::{encode, push_conflict};
use super::stamp::Target;
use super::{
    Author, Conflict, DocError, Document, FieldValue, HistoryEntry, Migration, Op, ReviewState,
    SCHEMA_VERSION, Stamp, Timestamp, Verdict, check_text, migrate, typed_document,
};
use crate::access::Level;
use crate::doc::Date;
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
/// The first step's decision (`passed_on` or `returned`); absent until a first step was taken. Scalars at
/// the root, so documents made before two-step review need no migration.
const FIRST_STATE: &str = "first_state";
const FIRST_REASON: &str = "first_reason";
const FIRST_HEADS: &str = "first_heads";
/// A reviewer's finding from a check (核查): `finding:<id>` holding its JSON ([`FindingRecord`]). A scalar at
/// the root, so documents made before findings need no migration.
const FINDING_PREFIX: &str = "finding:";
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
    use crate::access::Rights;
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match (p.as_slice(), key) {
        ([], Some(STATE | REASON | APPROVED_HEADS)) => Rule::Needs(Rights::FINAL_STEP),
        ([STATE | REASON | APPROVED_HEADS, ..], _) => Rule::Needs(Rights::FINAL_STEP),
        ([], Some(FIRST_STATE | FIRST_REASON | FIRST_HEADS)) => Rule::Needs(Rights::FIRST_STEP),
        ([], Some(k)) if k.starts_with(FINDING_PREFIX) => Rule::Needs(Rights::FINDING),
        ([FIRST_STATE | FIRST_REASON | FIRST_HEADS, ..], _) => Rule::Needs(Rights::FIRST_STEP),
        ([COMMENTS], _) => Rule::Needs(Rights::COMMENT),
        ([COMMENTS, _], Some("id" | "item" | "text")) => Rule::Needs(Rights::COMMENT),
        ([COMMENTS, _, "id" | "item" | "text", ..], _) => Rule::Needs(Rights::COMMENT),
        ([VERIFICATIONS], Some(_)) => Rule::Needs(Rights::VERIFY),
        ([VERIFICATIONS, _, ..], _) => Rule::Needs(Rights::VERIFY),
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

/// One review step's decision: who decided what, when, on which version of the inspection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepView {
    /// 初审通过 or 退回修改 for the first step; 已通过, 退回修改 (or 已提交, set by the server) for the county's.
    pub state: ReviewState,
    /// Why it was returned (empty unless returned).
    pub reason: String,
    /// The inspection heads the decision saw.
    pub heads: Vec<String>,
    /// Who.
    pub by: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// The review state with who set it: the later of the two steps' decisions.
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
    /// The first step's last decision (two-step review), if one was taken.
    #[serde(default)]
    pub first: Option<StepView>,
    /// The county's last decision, if one was taken.
    #[serde(default)]
    pub county: Option<StepView>,
}

/// A finding to add: what a reviewer found in a check (核查).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFinding {
    /// The check item, if any.
    pub item: Option<ItemId>,
    /// What is wrong (required).
    pub description: String,
    /// By when it must be rectified.
    pub deadline: Option<Date>,
    /// The level that found it (community, county, city, province).
    pub level: Level,
}

/// A finding as stored: one JSON value, written whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct FindingRecord {
    item: Option<ItemId>,
    description: String,
    deadline: Option<Date>,
    level: Level,
    /// Withdrawn by a reviewer (recorded by mistake); kept for the history.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    withdrawn: bool,
}

/// A reviewer's finding: it appears in the facility's problem list, marked with its level.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingView {
    /// Its id (a problem id: the facility's response and the verdict are keyed by it).
    pub id: ProblemId,
    /// The check item, if any.
    pub item: Option<ItemId>,
    /// What is wrong.
    pub description: String,
    /// By when.
    pub deadline: Option<Date>,
    /// The level that found it.
    pub level: Level,
    /// Who.
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

    /// The review state, the return reason and the approved heads: the later of the county's decision
    /// and the first step's (a tie goes to the county).
    pub fn state(&self) -> StateView {
        let county = self.county_step();
        let first = self.first_step();
        let later = match (&county, &first) {
            (Some(c), Some(f)) if f.at > c.at => Some(f),
            (Some(c), _) => Some(c),
            (None, f) => f.as_ref(),
        };
        let (state, reason, approved_heads, by, at) = match later {
            Some(step) => (
                step.state,
                step.reason.clone(),
                match step.state {
                    ReviewState::Approved => step.heads.clone(),
                    _ => Vec::new(),
                },
                step.by.clone(),
                step.at,
            ),
            None => (
                ReviewState::NotSubmitted,
                String::new(),
                Vec::new(),
                None,
                None,
            ),
        };
        StateView {
            state,
            reason,
            approved_heads,
            by,
            at,
            first,
            county,
        }
    }

    /// The county's decision (the root state), unless it is still the genesis's 未提交.
    fn county_step(&self) -> Option<StepView> {
        self.step(STATE, REASON, APPROVED_HEADS)
            .filter(|s| s.state != ReviewState::NotSubmitted || s.by.is_some())
    }

    /// The first step's decision, if one was taken.
    fn first_step(&self) -> Option<StepView> {
        self.step(FIRST_STATE, FIRST_REASON, FIRST_HEADS)
    }

    fn step(&self, state_key: &str, reason_key: &str, heads_key: &str) -> Option<StepView> {
        let (value, id) = self.core.get_scalar(&ROOT, state_key)?;
        let state: ReviewState = value.as_str()?.parse().ok()?;
        let stamp = self.core.stamp_of(&id);
        let heads = self.core.get_str(&ROOT, heads_key).unwrap_or_default();
        Some(StepView {
            state,
            reason: match state {
                ReviewState::Returned => self.core.get_str(&ROOT, reason_key).unwrap_or_default(),
                _ => String::new(),
            },
            heads: heads
                .split(',')
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect(),
            by: stamp.as_ref().map(|(a, _)| a.clone()),
            at: stamp.map(|(_, at)| at),
        })
    }

    /// Every finding, oldest first.
    pub fn findings(&self) -> Vec<FindingView> {
        let mut out: Vec<FindingView> = self
            .core
            .keys(&ROOT)
            .into_iter()
            .filter_map(|key| {
                let id = key.strip_prefix(FINDING_PREFIX)?;
                let (value, obj) = self.core.get_scalar(&ROOT, &key)?;
                let record: FindingRecord = serde_json::from_str(value.as_str()?).ok()?;
                if record.withdrawn {
                    return None;
                }
                let stamp = self.core.stamp_of(&obj);
                Some(FindingView {
                    id: ProblemId::new(id),
                    item: record.item,
                    description: record.description,
                    deadline: record.deadline,
                    level: record.level,
                    by: stamp.as_ref().map(|(a, _)| a.clone()),
                    at: stamp.map(|(_, at)| at),
                })
            })
            .collect();
        out.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        out
    }

    /// One finding.
    pub fn finding(&self, id: &ProblemId) -> Option<FindingView> {
        self.findings().into_iter().find(|f| &f.id == id)
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
        let heads = checked_heads(inspection_heads)?;
        self.write_state(ReviewState::Approved, Some(("", &heads)), stamp)
    }

    /// The first step (医共体 初审) passes the inspection on to the county, as it stands at
    /// `inspection_heads`.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for heads that are not 64 hex digits.
    pub fn pass_on(&mut self, inspection_heads: &[String], stamp: &Stamp) -> Result<(), DocError> {
        let heads = checked_heads(inspection_heads)?;
        self.write_first(ReviewState::PassedOn, "", &heads, stamp)
    }

    /// The first step returns the inspection for changes, saying why; it records the heads it saw.
    ///
    /// # Errors
    /// [`DocError::Empty`] without a reason; [`DocError::TooLong`]; [`DocError::WrongValue`] for bad heads.
    pub fn return_first(
        &mut self,
        reason: &str,
        inspection_heads: &[String],
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        check_text("reason", reason, true)?;
        let heads = checked_heads(inspection_heads)?;
        self.write_first(ReviewState::Returned, reason, &heads, stamp)
    }

    fn write_first(
        &mut self,
        state: ReviewState,
        reason: &str,
        heads: &str,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        self.core.write(
            stamp,
            Op::FirstReview,
            Target::subject(FIRST_STATE),
            Some(state.code()),
            |tx| {
                put_fresh(tx, &ROOT, FIRST_STATE, state.code())?;
                tx.put(ROOT, FIRST_REASON, reason)?;
                tx.put(ROOT, FIRST_HEADS, heads)?;
                Ok(())
            },
        )
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

    /// Adds a finding from a check (核查): it reaches the facility's problem list, where the facility sets
    /// measure, owner and status; the reviewer verifies it like any problem.
    ///
    /// # Errors
    /// [`DocError::Empty`] without a description; [`DocError::TooLong`].
    pub fn add_finding(
        &mut self,
        finding: NewFinding,
        stamp: &Stamp,
    ) -> Result<ProblemId, DocError> {
        check_text("description", &finding.description, true)?;
        let id = ProblemId::random();
        let record = FindingRecord {
            item: finding.item,
            description: finding.description,
            deadline: finding.deadline,
            level: finding.level,
            withdrawn: false,
        };
        let json = serde_json::to_string(&record)
            .map_err(|e| DocError::Corrupt(format!("finding: {e}")))?;
        let key = format!("{FINDING_PREFIX}{id}");
        self.core.write(
            stamp,
            Op::AddFinding,
            Target::subject(id.as_str()),
            Some(&record.description),
            |tx| {
                tx.put(ROOT, key.as_str(), json.as_str())?;
                Ok(())
            },
        )?;
        Ok(id)
    }

    /// Withdraws a finding recorded by mistake: it leaves the facility's list; the history keeps it.
    ///
    /// # Errors
    /// [`DocError::UnknownProblem`] for a finding the review does not hold.
    pub fn withdraw_finding(&mut self, id: &ProblemId, stamp: &Stamp) -> Result<(), DocError> {
        let key = format!("{FINDING_PREFIX}{id}");
        let record = self
            .core
            .get_str(&ROOT, &key)
            .and_then(|json| serde_json::from_str::<FindingRecord>(&json).ok())
            .ok_or_else(|| DocError::UnknownProblem(id.clone()))?;
        let json = serde_json::to_string(&FindingRecord {
            withdrawn: true,
            ..record
        })
        .map_err(|e| DocError::Corrupt(format!("finding: {e}")))?;
        self.core.write(
            stamp,
            Op::DeleteProblem,
            Target::subject(id.as_str()),
            None,
            |tx| {
                tx.put(ROOT, key.as_str(), json.as_str())?;
                Ok(())
            },
        )
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

/// Inspection heads as stored: 64 hex digits each, comma-separated.
fn checked_heads(heads: &[String]) -> Result<String, DocError> {
    if let Some(bad) = heads
        .iter()
        .find(|h| h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(DocError::WrongValue {
            field: "inspection heads".to_owned(),
            value: bad.clone(),
        });
    }
    Ok(heads.join(","))
}
