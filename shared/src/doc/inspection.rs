//! The inspection document: one per facility-year, written by the facility's staff. Per item a status, an
//! optional figure and a collaborative note; the rectification list (问题清单); the submission state.

use super::core::{DocCore, Entry, RawConflict, put_fresh};
use super::stamp::Target;
use super::{
    Author, Conflict, ConflictValue, Date, DocError, Document, FieldValue, HistoryEntry,
    MAX_TEXT_CHARS, Migration, Op, Owner, ProblemStatus, SCHEMA_VERSION, Stamp, Status, Submission,
    Timestamp, check_text, migrate, typed_document,
};
use crate::ids::{FacilityId, ItemId, PhotoId, ProblemId, TemplateId, Year};
use crate::photo::{ImageType, MAX_CAPTION_CHARS, MAX_PHOTOS_PER_SUBJECT, PhotoHash, PhotoSubject};
use crate::template::Template;
use automerge::transaction::Transactable;
use automerge::{ObjId, ObjType, ROOT, ScalarValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `kind` of an inspection document.
pub const INSPECTION_KIND: &str = "zhigai/inspection";

const ITEMS: &str = "items";
const PROBLEMS: &str = "problems";
const SUBMISSION: &str = "submission";
const STATUS: &str = "status";
const METRIC: &str = "metric";
/// A rate's numerator and denominator, beside the item's figure: the app computes the rate from them.
const NUMERATOR: &str = "numerator";
const DENOMINATOR: &str = "denominator";
const NOTE: &str = "note";
const DELETED: &str = "deleted";
const CREATED_AT: &str = "created_at";

/// Schema steps after version 1 (none yet).
const MIGRATIONS: &[Migration] = &[];

/// A facility's self-inspection for one year.
#[derive(Debug)]
pub struct Inspection {
    core: DocCore,
}

typed_document!(Inspection, INSPECTION_KIND, inspection_rule);

/// Where staff may write in an inspection: items' status, figure and note; problems; the submission (heads
/// only). The skeleton and identity fields are written once, by the genesis change.
impl Document for Inspection {
    const KIND: crate::sync::DocKind = crate::sync::DocKind::Inspection;

    /// The inspection on the checklist new inspections start on ([`Template::current`]).
    fn genesis(facility: &FacilityId, year: Year) -> Result<Self, DocError> {
        Self::create(facility, year, Template::current())
    }

    fn load(bytes: &[u8]) -> Result<Self, DocError> {
        let mut core = DocCore::load(bytes, INSPECTION_KIND)?;
        migrate(&mut core, MIGRATIONS, SCHEMA_VERSION)?;
        Ok(Self { core })
    }
}

fn inspection_rule(path: &[String], key: Option<&str>) -> super::guard::Rule {
    use super::guard::Rule;
    use crate::access::Rights;
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match (p.as_slice(), key) {
        ([], Some(SUBMISSION)) => Rule::Needs(Rights::SUBMIT),
        (["items", _], Some(STATUS | METRIC | NUMERATOR | DENOMINATOR)) => {
            Rule::Needs(Rights::EDIT)
        }
        // Inside an item's note, and inside a status or figure a stock client wrote as a text object.
        (
            [
                "items",
                _,
                NOTE | STATUS | METRIC | NUMERATOR | DENOMINATOR,
                ..,
            ],
            _,
        ) => Rule::Needs(Rights::EDIT),
        (["problems"], Some(_)) => Rule::Needs(Rights::EDIT),
        (["problems", _], Some(k)) if PROBLEM_KEYS.contains(&k) => Rule::Needs(Rights::EDIT),
        (["problems", _, k, ..], _) if PROBLEM_KEYS.contains(k) => Rule::Needs(Rights::EDIT),
        // The facility's handling of a reviewer's finding: measure, owner, status.
        ([], Some(k)) if response_key(k).is_some() => Rule::Needs(Rights::EDIT),
        // Photo references: one map per photo at the root, under a key of its own.
        ([], Some(k)) if photo_key(k).is_some() => Rule::Needs(Rights::EDIT),
        ([p], Some(k)) if photo_key(p).is_some() && PHOTO_KEYS.contains(&k) => {
            Rule::Needs(Rights::EDIT)
        }
        _ => Rule::Never,
    }
}

/// The keys of a problem.
const PROBLEM_KEYS: [&str; 8] = [
    "item",
    "description",
    "measure",
    "owner",
    "deadline",
    "status",
    CREATED_AT,
    DELETED,
];

/// The keys of a photo reference.
const PHOTO_KEYS: [&str; 8] = [
    "hash", "size", "type", "subject", "caption", "location", DELETED, CREATED_AT,
];

/// The root keys holding photo references: `photo:<id>`, each a map of [`PHOTO_KEYS`]. At the root under
/// keys of their own, so documents made before photos need no migration and two devices adding photos
/// offline never compete for one key.
const PHOTO_PREFIX: &str = "photo:";

fn photo_key(key: &str) -> Option<&str> {
    key.strip_prefix(PHOTO_PREFIX).filter(|id| !id.is_empty())
}

/// A photo reference: the bytes live apart, by their hash; the document says what, where, who and when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhotoView {
    /// The reference.
    pub id: PhotoId,
    /// The item or problem (before / after) it belongs to.
    pub subject: PhotoSubject,
    /// The bytes' SHA-256.
    pub hash: PhotoHash,
    /// Bytes.
    pub size: u64,
    /// The image format.
    pub mime: ImageType,
    /// What it shows, in the taker's words.
    pub caption: String,
    /// Where it was taken (latitude, longitude), only when the taker chose to keep it.
    #[serde(default)]
    pub location: Option<(f64, f64)>,
    /// Who attached it.
    pub by: Option<Author>,
    /// When.
    pub at: Timestamp,
}

/// A photo to attach (its bytes already kept on the device under `hash`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewPhoto {
    /// The bytes' SHA-256.
    pub hash: PhotoHash,
    /// Bytes.
    pub size: u64,
    /// The image format.
    pub mime: ImageType,
    /// What it shows.
    pub caption: String,
    /// Where it was taken, if the taker keeps it (the bytes never carry it).
    #[serde(default)]
    pub location: Option<(f64, f64)>,
}

/// The root keys holding the facility's handling of a reviewer's finding (the finding itself is in the
/// review, which the facility cannot write): `finding:<id>:measure|owner|status`. Scalars at the root, so
/// documents made before findings need no migration.
const RESPONSE_PREFIX: &str = "finding:";

/// The finding and field a response key names.
fn response_key(key: &str) -> Option<(&str, ProblemField)> {
    let rest = key.strip_prefix(RESPONSE_PREFIX)?;
    let (id, field) = rest.rsplit_once(':')?;
    let field = [
        ProblemField::Measure,
        ProblemField::Owner,
        ProblemField::Status,
    ]
    .into_iter()
    .find(|f| f.key() == field)?;
    (!id.is_empty()).then_some((id, field))
}

/// What the facility has set on a reviewer's finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingResponse {
    /// The improvement measure.
    pub measure: String,
    /// Who rectifies it.
    pub owner: Option<Owner>,
    /// Where it stands.
    pub status: ProblemStatus,
}

/// A field of a problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemField {
    /// The check item it was found under.
    Item,
    /// What is wrong.
    Description,
    /// The improvement measure (整改措施).
    Measure,
    /// Who rectifies it.
    Owner,
    /// By when.
    Deadline,
    /// 待整改 / 整改中 / 已整改.
    Status,
}

impl ProblemField {
    fn key(self) -> &'static str {
        match self {
            Self::Item => "item",
            Self::Description => "description",
            Self::Measure => "measure",
            Self::Owner => "owner",
            Self::Deadline => "deadline",
            Self::Status => "status",
        }
    }

    const ALL: [ProblemField; 6] = [
        Self::Item,
        Self::Description,
        Self::Measure,
        Self::Owner,
        Self::Deadline,
        Self::Status,
    ];
}

/// A field of an inspection that can hold conflicting values.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "field", rename_all = "snake_case")]
pub enum InspectionField {
    /// An item's status.
    Status {
        /// The item.
        item: ItemId,
    },
    /// An item's figure.
    Metric {
        /// The item.
        item: ItemId,
    },
    /// A rate's numerator or denominator.
    Fraction {
        /// The item.
        item: ItemId,
        /// Which of the two.
        part: FractionPart,
    },
    /// A field of a problem.
    Problem {
        /// The problem.
        problem: ProblemId,
        /// Which field.
        part: ProblemField,
    },
    /// The submission state.
    Submission,
}

/// The two counts a rate is computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FractionPart {
    /// Above the line (合格处方数).
    Numerator,
    /// Below the line (抽查处方数).
    Denominator,
}

impl FractionPart {
    fn key(self) -> &'static str {
        match self {
            Self::Numerator => NUMERATOR,
            Self::Denominator => DENOMINATOR,
        }
    }
}

/// What one item of the checklist says now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemView {
    /// The item.
    pub id: ItemId,
    /// Its status, if answered.
    pub status: Option<Status>,
    /// Its figure, if the item asks for one and it was given: for a rate, computed from its numerator and
    /// denominator.
    pub metric: Option<f64>,
    /// A rate's numerator, if given.
    #[serde(default)]
    pub numerator: Option<f64>,
    /// A rate's denominator, if given.
    #[serde(default)]
    pub denominator: Option<f64>,
    /// The note.
    pub note: String,
    /// Whether some field of the item holds conflicting values.
    pub conflicted: bool,
    /// The latest change to the item: who, when, what.
    pub last_change: Option<HistoryEntry>,
}

/// One problem of the rectification list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemView {
    /// The problem.
    pub id: ProblemId,
    /// The item it was found under, if any.
    pub item: Option<ItemId>,
    /// What is wrong.
    pub description: String,
    /// The improvement measure.
    pub measure: String,
    /// Who rectifies it.
    pub owner: Option<Owner>,
    /// By when.
    pub deadline: Option<Date>,
    /// Where it stands.
    pub status: ProblemStatus,
    /// Who recorded it.
    pub created_by: Option<Author>,
    /// When it was recorded.
    pub created_at: Timestamp,
}

impl ProblemView {
    /// Days past the deadline on `today` for a problem not yet rectified, else `None`.
    pub fn days_overdue(&self, today: Date) -> Option<i64> {
        super::days_overdue(self.status, self.deadline, today)
    }
}

/// A problem to add.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProblem {
    /// The item it was found under, if any.
    pub item: Option<ItemId>,
    /// What is wrong (required).
    pub description: String,
    /// The improvement measure.
    pub measure: String,
    /// Who rectifies it.
    pub owner: Option<Owner>,
    /// By when.
    pub deadline: Option<Date>,
}

/// A change to one field of a problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "field", content = "value", rename_all = "snake_case")]
pub enum ProblemChange {
    /// Link to another item, or to none.
    Item(Option<ItemId>),
    /// New description.
    Description(String),
    /// New measure.
    Measure(String),
    /// New owner.
    Owner(Option<Owner>),
    /// New deadline.
    Deadline(Option<Date>),
    /// New status.
    Status(ProblemStatus),
}

impl ProblemChange {
    fn field(&self) -> ProblemField {
        match self {
            Self::Item(_) => ProblemField::Item,
            Self::Description(_) => ProblemField::Description,
            Self::Measure(_) => ProblemField::Measure,
            Self::Owner(_) => ProblemField::Owner,
            Self::Deadline(_) => ProblemField::Deadline,
            Self::Status(_) => ProblemField::Status,
        }
    }

    fn value(&self) -> FieldValue {
        match self {
            Self::Item(i) => i.clone().map_or(FieldValue::None, FieldValue::Item),
            Self::Description(t) | Self::Measure(t) => FieldValue::Text(t.clone()),
            Self::Owner(o) => o.clone().map_or(FieldValue::None, FieldValue::Owner),
            Self::Deadline(d) => d.map_or(FieldValue::None, FieldValue::Date),
            Self::Status(s) => FieldValue::ProblemStatus(*s),
        }
    }
}

/// Whether and when the inspection was submitted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmissionView {
    /// Draft or submitted.
    pub state: Submission,
    /// Who set it last.
    pub by: Option<Author>,
    /// When.
    pub at: Option<Timestamp>,
}

/// The whole inspection as plain data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InspectionView {
    /// The facility.
    pub facility: Option<FacilityId>,
    /// The year.
    pub year: Option<Year>,
    /// The template the inspection is pinned to.
    pub template: Option<(TemplateId, u32)>,
    /// Every item of the pinned template, by id.
    pub items: BTreeMap<ItemId, ItemView>,
    /// The rectification list, oldest first (withdrawn problems left out).
    pub problems: Vec<ProblemView>,
    /// The submission state.
    pub submission: SubmissionView,
}

/// An item's figure from what it holds: a rate from its two counts when both are there, else the figure
/// entered as it is (read only then).
fn figure(
    numerator: Option<f64>,
    denominator: Option<f64>,
    metric: impl FnOnce() -> Option<f64>,
) -> Option<f64> {
    match (numerator, denominator) {
        (Some(n), Some(d)) => crate::template::Metric::rate(n, d),
        _ => metric(),
    }
}

impl Inspection {
    /// Starts the inspection of `facility` for `year` on `template`. Every replica that calls this with the
    /// same arguments builds the same genesis change, so documents started offline merge into one.
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    pub fn create(
        facility: &FacilityId,
        year: Year,
        template: &Template,
    ) -> Result<Self, DocError> {
        let core = DocCore::genesis(INSPECTION_KIND, SCHEMA_VERSION, |tx| {
            tx.put(ROOT, "facility", facility.as_str())?;
            tx.put(ROOT, "year", u64::from(year))?;
            tx.put(ROOT, "template", template.id.as_str())?;
            tx.put(ROOT, "template_version", u64::from(template.version))?;
            tx.put(ROOT, SUBMISSION, Submission::Draft.code())?;
            let items = tx.put_object(ROOT, ITEMS, ObjType::Map)?;
            for item in template.items() {
                let obj = tx.put_object(&items, item.id.as_str(), ObjType::Map)?;
                tx.put_object(&obj, NOTE, ObjType::Text)?;
            }
            tx.put_object(ROOT, PROBLEMS, ObjType::Map)?;
            Ok(())
        })?;
        Ok(Self { core })
    }

    // ───────────── reads ─────────────

    fn items_obj(&self) -> Option<ObjId> {
        self.core.get_obj(&ROOT, ITEMS)
    }

    fn item_obj(&self, item: &ItemId) -> Result<ObjId, DocError> {
        self.items_obj()
            .and_then(|items| self.core.get_obj(&items, item.as_str()))
            .ok_or_else(|| DocError::UnknownItem(item.clone()))
    }

    fn problem_obj(&self, id: &ProblemId) -> Result<ObjId, DocError> {
        self.core
            .get_obj(&ROOT, PROBLEMS)
            .and_then(|problems| self.core.get_obj(&problems, id.as_str()))
            .ok_or_else(|| DocError::UnknownProblem(id.clone()))
    }

    /// The facility this inspection belongs to.
    pub fn facility(&self) -> Option<FacilityId> {
        self.core.get_str(&ROOT, "facility").map(FacilityId::new)
    }

    /// The year.
    pub fn year(&self) -> Option<Year> {
        self.core
            .get_f64(&ROOT, "year")
            .and_then(|y| Year::try_from(y as i64).ok())
    }

    /// The template id and version the inspection is pinned to.
    pub fn template(&self) -> Option<(TemplateId, u32)> {
        let id = self.core.get_str(&ROOT, "template")?;
        let version = self.core.get_f64(&ROOT, "template_version")?;
        Some((TemplateId::new(id), version as u32))
    }

    /// The checklist this inspection is pinned to, from the template registry.
    ///
    /// # Errors
    /// [`DocError::UnknownTemplate`] for a pin this build does not know, [`DocError::Corrupt`] for a
    /// document without one.
    pub fn checklist(&self) -> Result<&'static Template, DocError> {
        let (id, version) = self
            .template()
            .ok_or_else(|| DocError::Corrupt("the inspection names no checklist".to_owned()))?;
        Template::find(id.as_str(), version).ok_or_else(|| DocError::UnknownTemplate {
            id: id.to_string(),
            version,
        })
    }

    /// An item's status alone (cheaper than [`Self::item`], which also reads the history).
    pub fn status(&self, item: &ItemId) -> Option<Status> {
        let obj = self.item_obj(item).ok()?;
        self.core.get_str(&obj, STATUS).and_then(|s| s.parse().ok())
    }

    /// Every item's status and figure, read in one pass over the items (what the server's summary rows need
    /// on every commit; [`Self::status`] and [`Self::metric`] seek each item anew).
    pub fn answers(&self) -> crate::summary::Answers {
        let Some(items) = self.items_obj() else {
            return BTreeMap::new();
        };
        self.core
            .entries(&items)
            .into_iter()
            .filter_map(|(key, entry)| {
                let Entry::Object(ObjType::Map, obj) = entry else {
                    return None;
                };
                Some((key, self.answer_at(&obj)))
            })
            .collect()
    }

    /// One item's status and figure, from one pass over its fields.
    fn answer_at(&self, obj: &ObjId) -> (Option<Status>, Option<f64>) {
        let (mut status, mut metric, mut numerator, mut denominator) = (None, None, None, None);
        for (field, value) in self.core.entries(obj) {
            match field.as_str() {
                STATUS => status = self.core.entry_str(&value).and_then(|s| s.parse().ok()),
                METRIC => metric = value.f64(),
                NUMERATOR => numerator = value.f64(),
                DENOMINATOR => denominator = value.f64(),
                _ => {}
            }
        }
        (status, figure(numerator, denominator, || metric))
    }

    /// Brings `answers` up to date after changes that wrote `touched`: rereads only the items written, or
    /// everything when more than items was written.
    pub fn refresh_answers(&self, answers: &mut crate::summary::Answers, touched: &super::Touched) {
        if touched.other || answers.is_empty() {
            *answers = self.answers();
            return;
        }
        let Some(items) = self.items_obj() else {
            return;
        };
        for id in &touched.items {
            if let Some(obj) = self.core.get_obj(&items, id) {
                answers.insert(id.clone(), self.answer_at(&obj));
            }
        }
    }

    /// An item's figure alone: for a rate, computed from its numerator and denominator.
    pub fn metric(&self, item: &ItemId) -> Option<f64> {
        let obj = self.item_obj(item).ok()?;
        self.figure_at(&obj)
    }

    fn figure_at(&self, obj: &ObjId) -> Option<f64> {
        figure(
            self.core.get_f64(obj, NUMERATOR),
            self.core.get_f64(obj, DENOMINATOR),
            || self.core.get_f64(obj, METRIC),
        )
    }

    /// One item, or `None` if the template has no such item.
    pub fn item(&self, item: &ItemId) -> Option<ItemView> {
        let obj = self.item_obj(item).ok()?;
        let last = self.history(item.as_str()).into_iter().max_by(latest_first);
        Some(self.item_view(item, &obj, last))
    }

    /// What one item says now, without its last change (which needs the change log): for views that
    /// render many items and take the last changes from one [`Self::last_changes`] pass.
    pub fn item_state(&self, item: &ItemId) -> Option<ItemView> {
        let obj = self.item_obj(item).ok()?;
        Some(self.item_view(item, &obj, None))
    }

    /// The latest change of every subject (item or problem id), from one pass over the change log.
    pub fn last_changes(&self) -> BTreeMap<String, HistoryEntry> {
        let mut last: BTreeMap<String, HistoryEntry> = BTreeMap::new();
        for entry in self.core.history(|note| note.subject().is_some()) {
            let Some(subject) = entry.subject.clone() else {
                continue;
            };
            match last.get(&subject) {
                Some(seen) if latest_first(seen, &entry).is_ge() => {}
                _ => {
                    last.insert(subject, entry);
                }
            }
        }
        last
    }

    fn item_view(&self, id: &ItemId, obj: &ObjId, last_change: Option<HistoryEntry>) -> ItemView {
        ItemView {
            id: id.clone(),
            status: self.core.get_str(obj, STATUS).and_then(|s| s.parse().ok()),
            metric: self.figure_at(obj),
            numerator: self.core.get_f64(obj, NUMERATOR),
            denominator: self.core.get_f64(obj, DENOMINATOR),
            note: self.core.get_text(obj, NOTE),
            conflicted: [STATUS, METRIC, NUMERATOR, DENOMINATOR]
                .into_iter()
                .any(|key| self.core.has_conflict(obj, key)),
            last_change,
        }
    }

    /// Every problem not withdrawn, oldest first.
    pub fn problems(&self) -> Vec<ProblemView> {
        let Some(problems) = self.core.get_obj(&ROOT, PROBLEMS) else {
            return Vec::new();
        };
        let mut list: Vec<ProblemView> = self
            .core
            .keys(&problems)
            .into_iter()
            .filter_map(|key| {
                let obj = self.core.get_obj(&problems, &key)?;
                (!self.core.get_bool(&obj, DELETED)).then(|| self.problem_view(key, &obj))
            })
            .collect();
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        list
    }

    /// One problem (also a withdrawn one).
    pub fn problem(&self, id: &ProblemId) -> Option<ProblemView> {
        let obj = self.problem_obj(id).ok()?;
        Some(self.problem_view(id.to_string(), &obj))
    }

    fn problem_view(&self, id: String, obj: &ObjId) -> ProblemView {
        let read = |field: ProblemField| {
            decode_problem(
                field,
                self.core.get_scalar(obj, field.key()).map(|(v, _)| v),
            )
        };
        let created = self.core.stamp_of(obj);
        ProblemView {
            id: ProblemId::new(id),
            item: match read(ProblemField::Item) {
                FieldValue::Item(i) => Some(i),
                _ => None,
            },
            description: text_of(read(ProblemField::Description)),
            measure: text_of(read(ProblemField::Measure)),
            owner: match read(ProblemField::Owner) {
                FieldValue::Owner(o) => Some(o),
                _ => None,
            },
            deadline: match read(ProblemField::Deadline) {
                FieldValue::Date(d) => Some(d),
                _ => None,
            },
            status: match read(ProblemField::Status) {
                FieldValue::ProblemStatus(s) => s,
                _ => ProblemStatus::Open,
            },
            created_at: created
                .as_ref()
                .map(|(_, at)| *at)
                .or_else(|| {
                    self.core
                        .get_f64(obj, CREATED_AT)
                        .map(|t| Timestamp(t as i64))
                })
                .unwrap_or(Timestamp(0)),
            created_by: created.map(|(author, _)| author),
        }
    }

    /// The submission state and who set it.
    pub fn submission(&self) -> SubmissionView {
        let scalar = self.core.get_scalar(&ROOT, SUBMISSION);
        let state = scalar
            .as_ref()
            .and_then(|(v, _)| v.as_str())
            .and_then(|s| s.parse().ok())
            .unwrap_or(Submission::Draft);
        let stamp = scalar.and_then(|(_, id)| self.core.stamp_of(&id));
        SubmissionView {
            state,
            by: stamp.as_ref().map(|(a, _)| a.clone()),
            at: stamp.map(|(_, at)| at),
        }
    }

    /// The whole document as plain data.
    pub fn view(&self) -> InspectionView {
        let mut last: BTreeMap<String, HistoryEntry> = BTreeMap::new();
        for entry in self.core.history(|_| true) {
            if let Some(subject) = entry.subject.clone() {
                match last.get(&subject) {
                    Some(seen) if latest_first(seen, &entry).is_ge() => {}
                    _ => {
                        last.insert(subject, entry);
                    }
                }
            }
        }
        let items = self
            .items_obj()
            .map(|items| {
                self.core
                    .keys(&items)
                    .into_iter()
                    .filter_map(|key| {
                        let obj = self.core.get_obj(&items, &key)?;
                        let id = ItemId::new(key);
                        let view = self.item_view(&id, &obj, last.remove(id.as_str()));
                        Some((id, view))
                    })
                    .collect()
            })
            .unwrap_or_default();
        InspectionView {
            facility: self.facility(),
            year: self.year(),
            template: self.template(),
            items,
            problems: self.problems(),
            submission: self.submission(),
        }
    }

    /// Who changed what of `subject` (an item id or a problem id) and when, oldest first; edits made
    /// offline on other devices appear once they have merged.
    pub fn history(&self, subject: &str) -> Vec<HistoryEntry> {
        self.core.history(|note| note.subject() == Some(subject))
    }

    /// When the newest change was made (by its writer's clock), if anyone has written yet.
    pub fn last_edit_at(&self) -> Option<Timestamp> {
        self.core.latest_stamp()
    }

    /// Every stamped change of the document, oldest first.
    pub fn full_history(&self) -> Vec<HistoryEntry> {
        self.core.history(|note| note.op() != Op::Genesis)
    }

    /// What changed after the inspection stood at `heads` (an approval's heads): the changes made since,
    /// oldest first; `None` while this replica has not yet received the approved state itself.
    pub fn changes_since(&self, heads: &[String]) -> Option<Vec<HistoryEntry>> {
        self.core
            .history_since(heads, |note| note.op() != Op::Genesis)
    }

    /// Every field that concurrent writes left with different values.
    pub fn conflicts(&self) -> Vec<Conflict<InspectionField>> {
        let mut out = Vec::new();
        if let Some(items) = self.items_obj() {
            for key in self.core.keys(&items) {
                let Some(obj) = self.core.get_obj(&items, &key) else {
                    continue;
                };
                let item = ItemId::new(key);
                push_conflict(
                    &mut out,
                    InspectionField::Status { item: item.clone() },
                    self.core.conflicts_at(&obj, STATUS),
                    decode_status,
                );
                push_conflict(
                    &mut out,
                    InspectionField::Metric { item: item.clone() },
                    self.core.conflicts_at(&obj, METRIC),
                    decode_metric,
                );
                for part in [FractionPart::Numerator, FractionPart::Denominator] {
                    push_conflict(
                        &mut out,
                        InspectionField::Fraction {
                            item: item.clone(),
                            part,
                        },
                        self.core.conflicts_at(&obj, part.key()),
                        decode_metric,
                    );
                }
            }
        }
        if let Some(problems) = self.core.get_obj(&ROOT, PROBLEMS) {
            for key in self.core.keys(&problems) {
                let Some(obj) = self.core.get_obj(&problems, &key) else {
                    continue;
                };
                if self.core.get_bool(&obj, DELETED) {
                    continue;
                }
                for part in ProblemField::ALL {
                    let field = InspectionField::Problem {
                        problem: ProblemId::new(key.clone()),
                        part,
                    };
                    push_conflict(
                        &mut out,
                        field,
                        self.core.conflicts_at(&obj, part.key()),
                        |v| decode_problem(part, v),
                    );
                }
            }
        }
        push_conflict(
            &mut out,
            InspectionField::Submission,
            self.core.conflicts_at(&ROOT, SUBMISSION),
            |v| match v.and_then(|v| v.as_str().and_then(|s| s.parse().ok())) {
                Some(s) => FieldValue::Submission(s),
                None => FieldValue::None,
            },
        );
        out
    }

    // ───────────── writes ─────────────

    /// Sets (or clears) an item's status.
    ///
    /// # Errors
    /// [`DocError::UnknownItem`] if the item is not in this checklist.
    pub fn set_status(
        &mut self,
        item: &ItemId,
        status: Option<Status>,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let obj = self.item_obj(item)?;
        let value = status.map(Status::code);
        self.core.write(
            stamp,
            Op::SetStatus,
            Target::subject(item.as_str()),
            value,
            |tx| put_opt(tx, &obj, STATUS, value.map(ScalarValue::from)),
        )
    }

    /// Sets (or clears) an item's figure (a rate in per cent, a count).
    ///
    /// # Errors
    /// [`DocError::UnknownItem`]; [`DocError::WrongValue`] for a figure that is not finite.
    pub fn set_metric(
        &mut self,
        item: &ItemId,
        metric: Option<f64>,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let obj = self.item_obj(item)?;
        if metric.is_some_and(|m| !m.is_finite()) {
            return Err(DocError::WrongValue {
                field: format!("{item} metric"),
                value: format!("{metric:?}"),
            });
        }
        let text = metric.map(|m| m.to_string());
        self.core.write(
            stamp,
            Op::SetMetric,
            Target::subject(item.as_str()),
            text.as_deref(),
            |tx| put_opt(tx, &obj, METRIC, metric.map(ScalarValue::F64)),
        )
    }

    /// Sets (or clears) a rate's numerator or denominator: whole numbers, the numerator never above the
    /// denominator, the denominator never zero. The rate is computed on reading ([`ItemView::metric`]).
    ///
    /// # Errors
    /// [`DocError::UnknownItem`]; [`DocError::WrongValue`] for a negative, fractional or non-finite count, a
    /// zero denominator, or a numerator above the denominator (either way round).
    pub fn set_fraction_part(
        &mut self,
        item: &ItemId,
        part: FractionPart,
        value: Option<f64>,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let obj = self.item_obj(item)?;
        let wrong = || DocError::WrongValue {
            field: format!("{item} {}", part.key()),
            value: format!("{value:?}"),
        };
        if let Some(v) = value {
            if !v.is_finite() || v < 0.0 || v.fract() != 0.0 {
                return Err(wrong());
            }
            let (numerator, denominator) = match part {
                FractionPart::Numerator => (v, self.core.get_f64(&obj, DENOMINATOR)),
                FractionPart::Denominator => {
                    if v == 0.0 {
                        return Err(wrong());
                    }
                    (self.core.get_f64(&obj, NUMERATOR).unwrap_or(0.0), Some(v))
                }
            };
            if denominator.is_some_and(|d| numerator > d) {
                return Err(wrong());
            }
        }
        let text = match (part, value) {
            (FractionPart::Numerator, Some(v)) => format!("{v}/"),
            (FractionPart::Denominator, Some(v)) => format!("/{v}"),
            (_, None) => String::new(),
        };
        self.core.write(
            stamp,
            Op::SetMetric,
            Target::subject(item.as_str()),
            (!text.is_empty()).then_some(text.as_str()),
            |tx| put_opt(tx, &obj, part.key(), value.map(ScalarValue::F64)),
        )
    }

    /// Edits an item's note where the person typed: deletes `delete` characters at `pos` and inserts
    /// `insert` (positions count Unicode characters). Concurrent edits merge character by character.
    ///
    /// # Errors
    /// [`DocError::UnknownItem`]; [`DocError::OutOfRange`] for an edit outside the note;
    /// [`DocError::TooLong`] if the note would exceed [`MAX_TEXT_CHARS`].
    pub fn edit_note(
        &mut self,
        item: &ItemId,
        pos: usize,
        delete: usize,
        insert: &str,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let obj = self.item_obj(item)?;
        let note = self.note_obj(&obj)?;
        let len = self.core.get_text(&obj, NOTE).chars().count();
        if pos.checked_add(delete).is_none_or(|end| end > len) {
            return Err(DocError::OutOfRange { pos, delete, len });
        }
        if len - delete + insert.chars().count() > MAX_TEXT_CHARS {
            return Err(DocError::TooLong {
                what: "note",
                max: MAX_TEXT_CHARS,
            });
        }
        let delete =
            isize::try_from(delete).map_err(|_| DocError::OutOfRange { pos, delete, len })?;
        self.core.write(
            stamp,
            Op::EditNote,
            Target::subject(item.as_str()),
            Some(insert),
            |tx| {
                tx.splice_text(&note, pos, delete, insert)?;
                Ok(())
            },
        )
    }

    /// Replaces an item's note with `text`, writing only the difference so colleagues' concurrent edits
    /// elsewhere in the note survive. For a text box that reports whole values rather than keystrokes.
    ///
    /// # Errors
    /// [`DocError::UnknownItem`]; [`DocError::TooLong`].
    pub fn set_note(&mut self, item: &ItemId, text: &str, stamp: &Stamp) -> Result<(), DocError> {
        let obj = self.item_obj(item)?;
        check_text("note", text, false)?;
        let note = self.note_obj(&obj)?;
        if self.core.get_text(&obj, NOTE) == text {
            return Ok(());
        }
        self.core.write(
            stamp,
            Op::EditNote,
            Target::subject(item.as_str()),
            Some(text),
            |tx| {
                tx.update_text(&note, text)?;
                Ok(())
            },
        )
    }

    fn note_obj(&self, item_obj: &ObjId) -> Result<ObjId, DocError> {
        self.core
            .get_obj(item_obj, NOTE)
            .ok_or_else(|| DocError::Corrupt("an item has no note object".to_owned()))
    }

    /// Adds a problem to the rectification list; it starts as 待整改.
    ///
    /// # Errors
    /// [`DocError::Empty`] without a description; [`DocError::UnknownItem`] for a link to an item not in
    /// this checklist; [`DocError::TooLong`].
    pub fn add_problem(
        &mut self,
        problem: NewProblem,
        stamp: &Stamp,
    ) -> Result<ProblemId, DocError> {
        check_text("description", &problem.description, true)?;
        check_text("measure", &problem.measure, false)?;
        if let Some(item) = &problem.item {
            self.item_obj(item)?;
        }
        let problems = self
            .core
            .get_obj(&ROOT, PROBLEMS)
            .ok_or_else(|| DocError::Corrupt("the problem list is missing".to_owned()))?;
        let id = ProblemId::random();
        self.core.write(
            stamp,
            Op::AddProblem,
            Target::subject(id.as_str()),
            Some(&problem.description),
            |tx| {
                let obj = tx.put_object(&problems, id.as_str(), ObjType::Map)?;
                let item = problem.item.map_or(FieldValue::None, FieldValue::Item);
                tx.put(&obj, ProblemField::Item.key(), encode(&item))?;
                tx.put(
                    &obj,
                    ProblemField::Description.key(),
                    problem.description.as_str(),
                )?;
                tx.put(&obj, ProblemField::Measure.key(), problem.measure.as_str())?;
                let owner = problem.owner.map_or(FieldValue::None, FieldValue::Owner);
                tx.put(&obj, ProblemField::Owner.key(), encode(&owner))?;
                let deadline = problem.deadline.map_or(FieldValue::None, FieldValue::Date);
                tx.put(&obj, ProblemField::Deadline.key(), encode(&deadline))?;
                tx.put(&obj, ProblemField::Status.key(), ProblemStatus::Open.code())?;
                tx.put(&obj, CREATED_AT, stamp.at.0)?;
                Ok(())
            },
        )?;
        Ok(id)
    }

    /// Changes one field of a problem.
    ///
    /// # Errors
    /// [`DocError::UnknownProblem`]; [`DocError::UnknownItem`]; [`DocError::Empty`]; [`DocError::TooLong`].
    pub fn update_problem(
        &mut self,
        id: &ProblemId,
        change: ProblemChange,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let obj = self.problem_obj(id)?;
        match &change {
            ProblemChange::Description(t) => check_text("description", t, true)?,
            ProblemChange::Measure(t) => check_text("measure", t, false)?,
            ProblemChange::Item(Some(item)) => {
                self.item_obj(item)?;
            }
            _ => {}
        }
        let op = match change {
            ProblemChange::Status(_) => Op::SetProblemStatus,
            _ => Op::UpdateProblem,
        };
        let field = change.field();
        let value = change.value();
        let label = value.label_zh();
        self.core.write(
            stamp,
            op,
            Target::field(id.as_str(), field.key()),
            Some(&label),
            |tx| {
                put_fresh(tx, &obj, field.key(), encode(&value))?;
                Ok(())
            },
        )
    }

    /// Sets the facility's measure, owner or status on a reviewer's finding `finding` (the finding's item,
    /// description and deadline are the reviewer's, in the review).
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for any other change; [`DocError::TooLong`] for a measure over the limit.
    pub fn respond(
        &mut self,
        finding: &ProblemId,
        change: ProblemChange,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        match &change {
            ProblemChange::Measure(t) => check_text("measure", t, false)?,
            ProblemChange::Owner(_) | ProblemChange::Status(_) => {}
            other => {
                return Err(DocError::WrongValue {
                    field: format!("finding {finding}"),
                    value: format!(
                        "{:?} (a finding's item, description and deadline are the reviewer's)",
                        other.field()
                    ),
                });
            }
        }
        let op = match change {
            ProblemChange::Status(_) => Op::SetProblemStatus,
            _ => Op::UpdateProblem,
        };
        let field = change.field();
        let value = change.value();
        let label = value.label_zh();
        let key = format!("{RESPONSE_PREFIX}{finding}:{}", field.key());
        self.core.write(
            stamp,
            op,
            Target::field(finding.as_str(), field.key()),
            Some(&label),
            |tx| {
                put_fresh(tx, &ROOT, &key, encode(&value))?;
                Ok(())
            },
        )
    }

    /// Every finding the facility has set something on, with what it set.
    pub fn responses(&self) -> Vec<(ProblemId, FindingResponse)> {
        let mut ids: Vec<String> = self
            .core
            .keys(&ROOT)
            .iter()
            .filter_map(|k| response_key(k).map(|(id, _)| id.to_owned()))
            .collect();
        ids.sort();
        ids.dedup();
        ids.into_iter()
            .map(|id| {
                let id = ProblemId::new(id);
                let response = self.response(&id);
                (id, response)
            })
            .collect()
    }

    /// What the facility has set on the finding `finding` (defaults when nothing yet).
    pub fn response(&self, finding: &ProblemId) -> FindingResponse {
        let read = |field: ProblemField| {
            let key = format!("{RESPONSE_PREFIX}{finding}:{}", field.key());
            decode_problem(field, self.core.get_scalar(&ROOT, &key).map(|(v, _)| v))
        };
        FindingResponse {
            measure: text_of(read(ProblemField::Measure)),
            owner: match read(ProblemField::Owner) {
                FieldValue::Owner(o) => Some(o),
                _ => None,
            },
            status: match read(ProblemField::Status) {
                FieldValue::ProblemStatus(s) => s,
                _ => ProblemStatus::Open,
            },
        }
    }

    // ───────────── photos ─────────────

    /// Every photo reference not taken off, oldest first. References a hostile or broken peer wrote badly
    /// (no valid hash, type or subject) are left out.
    pub fn photos(&self) -> Vec<PhotoView> {
        let mut list: Vec<PhotoView> = self
            .core
            .keys(&ROOT)
            .into_iter()
            .filter_map(|key| {
                let id = photo_key(&key)?;
                let obj = self.core.get_obj(&ROOT, &key)?;
                if self.core.get_bool(&obj, DELETED) {
                    return None;
                }
                self.photo_view(id, &obj)
            })
            .collect();
        list.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        list
    }

    /// The photos of one item or problem phase, oldest first.
    pub fn photos_of(&self, subject: &PhotoSubject) -> Vec<PhotoView> {
        self.photos()
            .into_iter()
            .filter(|p| &p.subject == subject)
            .collect()
    }

    fn photo_view(&self, id: &str, obj: &ObjId) -> Option<PhotoView> {
        let stamp = self.core.stamp_of(obj);
        Some(PhotoView {
            id: PhotoId::new(id),
            subject: PhotoSubject::parse(&self.core.get_str(obj, "subject")?)?,
            hash: self.core.get_str(obj, "hash")?.parse().ok()?,
            size: self.core.get_f64(obj, "size").unwrap_or(0.0).max(0.0) as u64,
            mime: self.core.get_str(obj, "type")?.parse().ok()?,
            caption: self.core.get_str(obj, "caption").unwrap_or_default(),
            location: self
                .core
                .get_str(obj, "location")
                .and_then(|text| parse_location(&text)),
            at: stamp
                .as_ref()
                .map(|(_, at)| *at)
                .or_else(|| {
                    self.core
                        .get_f64(obj, CREATED_AT)
                        .map(|t| Timestamp(t as i64))
                })
                .unwrap_or(Timestamp(0)),
            by: stamp.map(|(author, _)| author),
        })
    }

    fn photo_obj(&self, id: &PhotoId) -> Result<ObjId, DocError> {
        self.core
            .get_obj(&ROOT, &format!("{PHOTO_PREFIX}{id}"))
            .ok_or_else(|| DocError::WrongValue {
                field: "photo".to_owned(),
                value: id.to_string(),
            })
    }

    /// Attaches a photo whose bytes are kept under `photo.hash` to an item or a problem (before or after).
    ///
    /// # Errors
    /// [`DocError::UnknownItem`] for an item not in this checklist; [`DocError::WrongValue`] for an empty
    /// photo or one more than [`MAX_PHOTOS_PER_SUBJECT`] on one subject; [`DocError::TooLong`] for a long
    /// caption.
    pub fn add_photo(
        &mut self,
        subject: PhotoSubject,
        photo: NewPhoto,
        stamp: &Stamp,
    ) -> Result<PhotoId, DocError> {
        check_caption(&photo.caption)?;
        if photo.location.is_some_and(|(lat, lon)| {
            !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon)
        }) {
            return Err(DocError::WrongValue {
                field: "photo location".to_owned(),
                value: format!("{:?}", photo.location),
            });
        }
        if let PhotoSubject::Item { item } = &subject {
            self.item_obj(item)?;
        }
        if photo.size == 0 || self.photos_of(&subject).len() >= MAX_PHOTOS_PER_SUBJECT {
            return Err(DocError::WrongValue {
                field: format!("{} photo", subject.id()),
                value: format!(
                    "{} bytes, at most {MAX_PHOTOS_PER_SUBJECT} photos each",
                    photo.size
                ),
            });
        }
        let id = PhotoId::random();
        let key = format!("{PHOTO_PREFIX}{id}");
        self.core.write(
            stamp,
            Op::AddPhoto,
            Target::subject(subject.id()),
            Some(&photo.caption),
            |tx| {
                let obj = tx.put_object(ROOT, &key, ObjType::Map)?;
                tx.put(&obj, "hash", photo.hash.as_str())?;
                tx.put(&obj, "size", photo.size)?;
                tx.put(&obj, "type", photo.mime.mime())?;
                tx.put(&obj, "subject", subject.code())?;
                tx.put(&obj, "caption", photo.caption.as_str())?;
                if let Some((lat, lon)) = photo.location {
                    tx.put(&obj, "location", format!("{lat:.5},{lon:.5}"))?;
                }
                tx.put(&obj, CREATED_AT, stamp.at.0)?;
                Ok(())
            },
        )?;
        Ok(id)
    }

    /// Changes a photo's caption.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for an unknown photo; [`DocError::TooLong`].
    pub fn caption_photo(
        &mut self,
        id: &PhotoId,
        caption: &str,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        check_caption(caption)?;
        let obj = self.photo_obj(id)?;
        let subject = self.core.get_str(&obj, "subject").unwrap_or_default();
        let subject = PhotoSubject::parse(&subject);
        self.core.write(
            stamp,
            Op::CaptionPhoto,
            Target {
                subject: subject.as_ref().map(PhotoSubject::id),
                field: None,
            },
            Some(caption),
            |tx| {
                put_fresh(tx, &obj, "caption", caption)?;
                Ok(())
            },
        )
    }

    /// Takes a photo off its item or problem. The reference stays in the history; the server drops the
    /// bytes once no document refers to them.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for an unknown photo.
    pub fn remove_photo(&mut self, id: &PhotoId, stamp: &Stamp) -> Result<(), DocError> {
        let obj = self.photo_obj(id)?;
        let subject = self.core.get_str(&obj, "subject").unwrap_or_default();
        let subject = PhotoSubject::parse(&subject);
        self.core.write(
            stamp,
            Op::RemovePhoto,
            Target {
                subject: subject.as_ref().map(PhotoSubject::id),
                field: None,
            },
            None,
            |tx| {
                tx.put(&obj, DELETED, true)?;
                Ok(())
            },
        )
    }

    /// Withdraws a problem recorded by mistake. It stays in the document and its history.
    ///
    /// # Errors
    /// [`DocError::UnknownProblem`].
    pub fn delete_problem(&mut self, id: &ProblemId, stamp: &Stamp) -> Result<(), DocError> {
        let obj = self.problem_obj(id)?;
        self.core.write(
            stamp,
            Op::DeleteProblem,
            Target::subject(id.as_str()),
            None,
            |tx| {
                tx.put(&obj, DELETED, true)?;
                Ok(())
            },
        )
    }

    /// Submits the inspection for county review (the facility head's act; the server checks the role).
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    pub fn submit(&mut self, stamp: &Stamp) -> Result<(), DocError> {
        self.set_submission(Submission::Submitted, Op::Submit, stamp)
    }

    /// Takes a submission back into draft.
    ///
    /// # Errors
    /// [`DocError::Automerge`] only if Automerge itself fails.
    pub fn withdraw(&mut self, stamp: &Stamp) -> Result<(), DocError> {
        self.set_submission(Submission::Draft, Op::Withdraw, stamp)
    }

    fn set_submission(&mut self, state: Submission, op: Op, stamp: &Stamp) -> Result<(), DocError> {
        self.core.write(
            stamp,
            op,
            Target::subject(SUBMISSION),
            Some(state.code()),
            |tx| {
                put_fresh(tx, &ROOT, SUBMISSION, state.code())?;
                Ok(())
            },
        )
    }

    /// Settles a conflict by writing `value` over every value standing in `field`; once synced, every
    /// replica shows `value` alone.
    ///
    /// # Errors
    /// [`DocError::WrongValue`] for a value of another kind than the field holds; [`DocError::UnknownItem`],
    /// [`DocError::UnknownProblem`].
    pub fn resolve(
        &mut self,
        field: &InspectionField,
        value: FieldValue,
        stamp: &Stamp,
    ) -> Result<(), DocError> {
        let wrong = || DocError::WrongValue {
            field: format!("{field:?}"),
            value: value.label_zh(),
        };
        let (obj, key, subject, part) = match field {
            InspectionField::Status { item } => {
                if !matches!(value, FieldValue::Status(_) | FieldValue::None) {
                    return Err(wrong());
                }
                (self.item_obj(item)?, STATUS, item.to_string(), None)
            }
            InspectionField::Metric { item } => {
                if !matches!(value, FieldValue::Number(n) if n.is_finite())
                    && value != FieldValue::None
                {
                    return Err(wrong());
                }
                (self.item_obj(item)?, METRIC, item.to_string(), None)
            }
            InspectionField::Fraction { item, part } => {
                if !matches!(value, FieldValue::Number(n) if n.is_finite() && n >= 0.0)
                    && value != FieldValue::None
                {
                    return Err(wrong());
                }
                (self.item_obj(item)?, part.key(), item.to_string(), None)
            }
            InspectionField::Problem { problem, part } => {
                let fits = matches!(
                    (part, &value),
                    (ProblemField::Item, FieldValue::Item(_) | FieldValue::None)
                        | (
                            ProblemField::Description | ProblemField::Measure,
                            FieldValue::Text(_)
                        )
                        | (ProblemField::Owner, FieldValue::Owner(_) | FieldValue::None)
                        | (
                            ProblemField::Deadline,
                            FieldValue::Date(_) | FieldValue::None
                        )
                        | (ProblemField::Status, FieldValue::ProblemStatus(_))
                );
                if !fits {
                    return Err(wrong());
                }
                (
                    self.problem_obj(problem)?,
                    part.key(),
                    problem.to_string(),
                    Some(part.key()),
                )
            }
            InspectionField::Submission => {
                if !matches!(value, FieldValue::Submission(_)) {
                    return Err(wrong());
                }
                (ROOT, SUBMISSION, SUBMISSION.to_owned(), None)
            }
        };
        let target = Target {
            subject: Some(&subject),
            field: part,
        };
        let label = value.label_zh();
        self.core
            .write(stamp, Op::Resolve, target, Some(&label), |tx| {
                put_fresh(tx, &obj, key, encode(&value))?;
                Ok(())
            })
    }
}

/// Orders history entries by time, then change hash: the same "latest" on every replica even when
/// concurrent changes arrived in different orders.
fn latest_first(a: &HistoryEntry, b: &HistoryEntry) -> std::cmp::Ordering {
    (a.at, &a.change).cmp(&(b.at, &b.change))
}

fn put_opt(
    tx: &mut automerge::transaction::Transaction<'_>,
    obj: &ObjId,
    key: &str,
    value: Option<ScalarValue>,
) -> Result<(), DocError> {
    put_fresh(tx, obj, key, value.unwrap_or(ScalarValue::Null))?;
    Ok(())
}

/// The stored form of a field value.
pub(super) fn encode(value: &FieldValue) -> ScalarValue {
    match value {
        FieldValue::None => ScalarValue::Null,
        FieldValue::Status(s) => s.code().into(),
        FieldValue::Number(n) => ScalarValue::F64(*n),
        FieldValue::Text(t) => t.as_str().into(),
        FieldValue::Date(d) => d.to_string().into(),
        FieldValue::Owner(o) => serde_json::to_string(o).unwrap_or_default().into(),
        FieldValue::Item(i) => i.as_str().into(),
        FieldValue::ProblemStatus(s) => s.code().into(),
        FieldValue::Submission(s) => s.code().into(),
        FieldValue::ReviewState(s) => s.code().into(),
        FieldValue::Verdict(v) => v.code().into(),
    }
}

fn decode_status(value: Option<ScalarValue>) -> FieldValue {
    value
        .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
        .map_or(FieldValue::None, FieldValue::Status)
}

fn decode_metric(value: Option<ScalarValue>) -> FieldValue {
    match value {
        Some(ScalarValue::F64(n)) => FieldValue::Number(n),
        _ => FieldValue::None,
    }
}

fn decode_problem(field: ProblemField, value: Option<ScalarValue>) -> FieldValue {
    let Some(text) = value.as_ref().and_then(|v| v.as_str()) else {
        return match field {
            ProblemField::Description | ProblemField::Measure => FieldValue::Text(String::new()),
            _ => FieldValue::None,
        };
    };
    let parsed = match field {
        ProblemField::Item => Some(FieldValue::Item(ItemId::new(text))),
        ProblemField::Description | ProblemField::Measure => {
            Some(FieldValue::Text(text.to_owned()))
        }
        ProblemField::Owner => serde_json::from_str(text).ok().map(FieldValue::Owner),
        ProblemField::Deadline => text.parse().ok().map(FieldValue::Date),
        ProblemField::Status => text.parse().ok().map(FieldValue::ProblemStatus),
    };
    parsed.unwrap_or(FieldValue::None)
}

fn parse_location(text: &str) -> Option<(f64, f64)> {
    let (lat, lon) = text.split_once(',')?;
    let (lat, lon): (f64, f64) = (lat.trim().parse().ok()?, lon.trim().parse().ok()?);
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

fn check_caption(caption: &str) -> Result<(), DocError> {
    if caption.chars().count() > MAX_CAPTION_CHARS {
        return Err(DocError::TooLong {
            what: "caption",
            max: MAX_CAPTION_CHARS,
        });
    }
    Ok(())
}

fn text_of(value: FieldValue) -> String {
    match value {
        FieldValue::Text(t) => t,
        _ => String::new(),
    }
}

/// Adds a conflict for `field` if `raw` holds more than one distinct value.
pub(super) fn push_conflict<F>(
    out: &mut Vec<Conflict<F>>,
    field: F,
    raw: Vec<RawConflict>,
    decode: impl Fn(Option<ScalarValue>) -> FieldValue,
) {
    let values: Vec<ConflictValue> = raw
        .into_iter()
        .map(|c| ConflictValue {
            value: decode(Some(c.value)),
            author: c.stamp.as_ref().map(|(a, _)| a.clone()),
            at: c.stamp.map(|(_, at)| at),
        })
        .collect();
    let distinct = values.iter().any(|v| v.value != values[0].value);
    if distinct {
        out.push(Conflict { field, values });
    }
}
