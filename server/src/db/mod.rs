//! Storage: the only module that mentions sqlx. One [`Store`] interface with a SQLite and a PostgreSQL
//! implementation built from the same SQL (`sql.rs`), and migrations for both applied at start.

mod sql;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use thiserror::Error;

use zhigai_shared::doc::{Date, ProblemStatus, ProblemView, ReviewState, Verdict};
use zhigai_shared::photo::{ImageType, PhotoHash};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{FacilityId, ItemId, ProblemId, UserId};

pub use sql::{PgStore, SqliteStore};
use zhigai_shared::access::{Placement, Scope};
/// The rows the API hands out are the shared crate's API types.
pub use zhigai_shared::api::{
    City, Community, County, Facility, ItemFacility, PlaceName, Province, RollupRow, Session,
    SummaryRow, User,
};
use zhigai_shared::api::{CommonItem, FigureSpread, TemplateInfo};
use zhigai_shared::sync::DocKind;

/// A storage failure.
#[derive(Debug, Error)]
pub enum DbError {
    /// The database refused or failed a statement.
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row with that key exists already.
    #[error("{0} already exists")]
    Duplicate(String),
    /// Another zhigai server already serves this SQLite database.
    #[error(
        "another zhigai server already serves this SQLite database; several instances need PostgreSQL — stop the other one first"
    )]
    InstanceRunning,
    /// A stored value this version cannot read.
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The writer is shutting down: the write was not carried out.
    #[error("the database writer is shutting down")]
    Unavailable,
}

/// One problem of a facility-year, as the dashboard lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemRow {
    /// The problem.
    pub problem_id: ProblemId,
    /// Its item.
    pub item_id: Option<ItemId>,
    /// What is wrong.
    pub description: String,
    /// Its owner's name.
    pub owner_name: Option<String>,
    /// Its deadline.
    pub deadline: Option<Date>,
    /// Where it stands.
    pub status: ProblemStatus,
    /// The improvement measure.
    pub measure: String,
}

impl ProblemRow {
    /// Days past the deadline on `today` ([`zhigai_shared::doc::days_overdue`]).
    pub fn days_overdue(&self, today: Date) -> Option<i64> {
        zhigai_shared::doc::days_overdue(self.status, self.deadline, today)
    }
}

impl From<&ProblemView> for ProblemRow {
    fn from(p: &ProblemView) -> Self {
        Self {
            problem_id: p.id.clone(),
            item_id: p.item.clone(),
            description: p.description.clone(),
            owner_name: p.owner.as_ref().map(|o| o.name.clone()),
            deadline: p.deadline,
            status: p.status,
            measure: p.measure.clone(),
        }
    }
}

/// A problem row with its facility, for the county's lists and exports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountyProblem {
    /// The year it was found in.
    pub year: i64,
    /// The county's verdict on it, if any.
    pub verdict: Option<Verdict>,
    /// The facility.
    pub facility_id: FacilityId,
    /// Its name.
    pub facility_name: String,
    /// The problem.
    pub problem: ProblemRow,
}

/// A checklist version a province, city or county published: what lists show, and the whole checklist
/// as JSON ([`zhigai_shared::Template::to_json`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedTemplate {
    /// What lists show.
    pub info: TemplateInfo,
    /// The checklist.
    pub body: String,
}

/// The summary of an inspection to store with a change.
#[derive(Clone, Debug, PartialEq)]
pub struct InspectionRows {
    /// Counts.
    pub summary: zhigai_shared::summary::InspectionSummary,
    /// Every problem not withdrawn.
    pub problems: Vec<ProblemRow>,
    /// What the facility set on reviewers' findings: the finding, the owner's name, status, measure.
    pub responses: Vec<(ProblemId, Option<String>, ProblemStatus, String)>,
    /// The checklist version the document started on: pins the facility-year if nothing did before.
    pub template: Option<TemplateRef>,
    /// The photos it references (not those taken off).
    pub photos: Vec<PhotoRefRow>,
}

/// A photo upload as the server records it (the bytes are in the [`crate::blobs::BlobStore`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobMeta {
    /// The bytes' SHA-256.
    pub hash: PhotoHash,
    /// Bytes.
    pub size: i64,
    /// The image format, from the bytes.
    pub mime: ImageType,
    /// The facility it was uploaded for.
    pub facility_id: FacilityId,
    /// Who uploaded it.
    pub uploaded_by: UserId,
    /// When (ms).
    pub uploaded_at: i64,
}

/// A photo reference of an inspection, as the rows keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoRefRow {
    /// The reference.
    pub photo_id: String,
    /// The bytes' hash.
    pub hash: PhotoHash,
    /// Its item or problem phase (`PhotoSubject::code`).
    pub subject: String,
}

/// How many photos one facility-year holds on one item or problem phase.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoCount {
    /// The facility.
    pub facility_id: FacilityId,
    /// `PhotoSubject::code`.
    pub subject: String,
    /// Photos.
    pub count: i64,
}

/// A reviewer's finding as the rows keep it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindingRow {
    /// The finding (a problem id).
    pub id: ProblemId,
    /// Its item.
    pub item_id: Option<ItemId>,
    /// What is wrong.
    pub description: String,
    /// By when.
    pub deadline: Option<Date>,
    /// The level that found it.
    pub level: zhigai_shared::access::Level,
}

/// What a review's state puts in the rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewRows {
    /// The review state.
    pub state: ReviewState,
    /// The verdicts by problem.
    pub verdicts: Vec<(ProblemId, Verdict)>,
    /// The reviewers' findings.
    pub findings: Vec<FindingRow>,
}

/// What a committed change updates besides the document.
#[derive(Clone, Debug, PartialEq)]
pub enum DerivedRows {
    /// An inspection changed.
    Inspection(InspectionRows),
    /// A review changed: its state and its verdicts on problems.
    Review(ReviewRows),
}

/// A change to store durably: the chunk and its derived rows, in one transaction.
#[derive(Clone, Debug)]
pub struct DocWrite {
    /// The document id.
    pub doc_id: String,
    /// `inspection` or `review`.
    pub kind: String,
    /// Its facility.
    pub facility_id: FacilityId,
    /// Its year.
    pub year: i64,
    /// The bytes to append (an incremental save).
    pub chunk: Vec<u8>,
    /// The rows it updates.
    pub derived: DerivedRows,
    /// The rows the document's previous write stored, when known: only the row sets that differ from them
    /// are rewritten. `None` rewrites every row set.
    pub previous: Option<DerivedRows>,
    /// Now (ms).
    pub now: i64,
    /// A compaction to make in the same transaction, if any.
    pub compact: Option<Compaction>,
}

/// A compaction riding on a write: the document's whole state replaces the stored snapshot and the chunks it
/// holds (`merged`), if the stored snapshot is still of `generation` — another instance may have compacted
/// first. Chunks another writer appended stay, and so does the write's own chunk (the snapshot holds it too).
#[derive(Clone, Debug)]
pub struct Compaction {
    /// The document saved whole.
    pub snapshot: Vec<u8>,
    /// The chunks it replaces.
    pub merged: Vec<i64>,
    /// The generation of the snapshot those chunks follow.
    pub generation: i64,
}

/// What one write stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The chunk's id (`None` for a write of rows alone).
    pub chunk: Option<i64>,
    /// The snapshot's new generation when the write's compaction was made; `None` without one, or when
    /// another instance had compacted first (nothing of the compaction is stored then).
    pub generation: Option<i64>,
}

/// A document id as the directory knows it: which document of which facility-year, and where the facility
/// sits (for the access rules).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocTarget {
    /// Inspection or review.
    pub kind: DocKind,
    /// The year.
    pub year: u16,
    /// The facility.
    pub facility: Facility,
    /// Where it sits.
    pub placement: Placement,
}

/// A reserved login attempt: the counter as it was before, so the reservation can be taken back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginReservation {
    /// `u:name` or `ip:address`.
    pub key: String,
    /// Failures before this attempt.
    pub failures: i64,
    /// The wait that stood before this attempt (ms since the epoch).
    pub next_at: i64,
}

/// A document as stored: the snapshot then the chunks, and the chunks' ids.
#[derive(Clone, Debug, Default)]
pub struct StoredDoc {
    /// Snapshot first, then chunks in order.
    pub parts: Vec<Vec<u8>>,
    /// The ids of the chunks, in order.
    pub chunk_ids: Vec<i64>,
    /// How many times the snapshot was replaced (see [`Store::compact_document`]).
    pub generation: i64,
}

/// What another instance stored of a document since this one last read it.
#[derive(Clone, Debug, Default)]
pub struct DocNews {
    /// The snapshot's generation now.
    pub generation: i64,
    /// The snapshot, if it was replaced since the generation asked about.
    pub snapshot: Option<Vec<u8>>,
    /// The chunks not among those named as known: id and bytes, in order.
    pub chunks: Vec<(i64, Vec<u8>)>,
    /// Every chunk id stored now.
    pub ids: Vec<i64>,
}

/// Where another instance's commits are announced: the PostgreSQL database every instance listens on, and
/// this store's own name in the announcements (so an instance ignores its own).
#[derive(Clone, Debug)]
pub struct ChangeFeed {
    /// The database URL to listen on.
    pub url: String,
    /// This instance's name in the announcements.
    pub instance: String,
}

/// The PostgreSQL channel on which every commit of a document announces `<instance> <doc id>`.
pub const CHANGES_CHANNEL: &str = "zhigai_docs";

/// Everything zhigai stores.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;

    /// Marks this process as the one server serving the database, for as long as the store lives.
    ///
    /// # Errors
    /// [`DbError::InstanceRunning`] if another server holds it.
    async fn claim_instance(&self) -> Result<(), DbError>;

    /// Gives the claim back at a clean shutdown, so a restarted server can claim it at once.
    async fn release_instance(&self);

    /// Stores a published checklist version.
    ///
    /// # Errors
    /// [`DbError::Duplicate`] when that id and version exist: a published version is never changed.
    async fn insert_template(&self, template: &PublishedTemplate) -> Result<(), DbError>;
    /// Every published version, without its body: by id, then version.
    async fn fetch_template_infos(&self) -> Result<Vec<TemplateInfo>, DbError>;
    /// One published version with its body.
    async fn fetch_template(
        &self,
        id: &str,
        version: u32,
    ) -> Result<Option<PublishedTemplate>, DbError>;

    /// The version a facility-year is pinned to, if decided.
    async fn fetch_pin(
        &self,
        facility: &FacilityId,
        year: i64,
    ) -> Result<Option<TemplateRef>, DbError>;
    /// Pins a facility-year to a version unless it is pinned already (the first decision stands).
    async fn insert_pin(
        &self,
        facility: &FacilityId,
        year: i64,
        template: &TemplateRef,
    ) -> Result<(), DbError>;
    /// The pins of the facilities within `scope` in `year`.
    async fn fetch_pins_in(
        &self,
        scope: &Scope,
        year: i64,
    ) -> Result<Vec<(FacilityId, TemplateRef)>, DbError>;
    /// The versions the facilities within `scope` are pinned to in `year`, each once.
    async fn fetch_pinned_versions(
        &self,
        scope: &Scope,
        year: i64,
    ) -> Result<Vec<TemplateRef>, DbError>;

    /// Adds a province.
    async fn insert_province(&self, province: &Province) -> Result<(), DbError>;
    /// Adds a city.
    async fn insert_city(&self, city: &City) -> Result<(), DbError>;
    /// A province by id.
    async fn fetch_province(&self, id: &str) -> Result<Option<Province>, DbError>;
    /// A city by id.
    async fn fetch_city(&self, id: &str) -> Result<Option<City>, DbError>;
    /// The cities of a province, by id.
    async fn fetch_cities(&self, province_id: &str) -> Result<Vec<City>, DbError>;
    /// Adds a county or district.
    async fn insert_county(&self, county: &County) -> Result<(), DbError>;
    /// A county by id.
    async fn fetch_county(&self, id: &str) -> Result<Option<County>, DbError>;
    /// The counties and districts within `scope` (a city's, a province's; a county itself), with their
    /// cities' names, by city then id.
    async fn fetch_counties_in(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(County, Option<String>)>, DbError>;
    /// Sets whether a county reviews in two steps; false if there is no such county.
    async fn set_two_step(&self, county_id: &str, two_step: bool) -> Result<bool, DbError>;
    /// The place of `scope` named, with its county's kind and review setting (for a facility or a
    /// community: those of its county); `None` if there is no such place.
    async fn fetch_place(&self, scope: &Scope) -> Result<Option<PlaceName>, DbError>;
    /// Adds a medical community.
    async fn insert_community(&self, community: &Community) -> Result<(), DbError>;
    /// A medical community by id.
    async fn fetch_community(&self, id: &str) -> Result<Option<Community>, DbError>;
    /// The medical communities of a county.
    async fn fetch_communities(&self, county_id: &str) -> Result<Vec<Community>, DbError>;
    /// Adds a facility and the ids of its documents for `years`.
    async fn insert_facility(&self, facility: &Facility, years: &[u16]) -> Result<(), DbError>;
    /// A facility by id.
    async fn fetch_facility(&self, id: &FacilityId) -> Result<Option<Facility>, DbError>;
    /// A facility and where it sits.
    async fn fetch_placement(
        &self,
        id: &FacilityId,
    ) -> Result<Option<(Facility, Placement)>, DbError>;
    /// The facilities within `scope` (one facility, a community, a county, a city, a province) with where
    /// they sit, by community then id. The REST directory asks this only for scopes a person browses
    /// (never a city's or province's tens of thousands).
    async fn fetch_facilities_in(
        &self,
        scope: &Scope,
    ) -> Result<Vec<(Facility, Placement)>, DbError>;
    /// The village clinics and stations a township or community centre guides, with where they sit.
    async fn fetch_guided(&self, guide: &FacilityId)
    -> Result<Vec<(Facility, Placement)>, DbError>;
    /// Which document `doc_id` is and where its facility sits: one indexed lookup.
    async fn fetch_document_target(&self, doc_id: &str) -> Result<Option<DocTarget>, DbError>;
    /// Records the document ids of every facility for each of `years` that lacks them; returns how many.
    async fn ensure_document_ids(&self, years: &[u16]) -> Result<u64, DbError>;

    /// Adds a user with a password hash.
    async fn insert_user(&self, user: &User, password_hash: &str, now: i64) -> Result<(), DbError>;
    /// A user and password hash by login name.
    async fn fetch_user_by_username(
        &self,
        username: &str,
    ) -> Result<Option<(User, String)>, DbError>;
    /// Replaces a user's password hash; false if no such user.
    async fn update_password(&self, username: &str, password_hash: &str) -> Result<bool, DbError>;
    /// The users of a facility (its staff).
    async fn fetch_facility_users(&self, facility: &FacilityId) -> Result<Vec<User>, DbError> {
        self.fetch_users_at(&Scope::Facility(facility.clone()))
            .await
    }
    /// The users who belong to exactly `scope` (a facility's staff, a community's reviewers), by name.
    async fn fetch_users_at(&self, scope: &Scope) -> Result<Vec<User>, DbError>;

    /// Adds a session.
    async fn insert_session(&self, session: &Session, token_hash: &str) -> Result<(), DbError>;
    /// A live or dead session and its user by token hash.
    async fn fetch_session(&self, token_hash: &str) -> Result<Option<(Session, User)>, DbError>;
    /// A session and its user by session id.
    async fn fetch_session_by_id(&self, id: &str) -> Result<Option<(Session, User)>, DbError>;
    /// Marks a session used, sliding its expiry.
    async fn touch_session(&self, id: &str, now: i64, expires_at: i64) -> Result<(), DbError>;
    /// Revokes one session of `user`; false if there is none such.
    async fn revoke_session(&self, id: &str, user: &UserId, now: i64) -> Result<bool, DbError>;
    /// Revokes every session of a user (a lost tablet); returns how many.
    async fn revoke_user_sessions(&self, username: &str, now: i64) -> Result<u64, DbError>;
    /// A user's sessions, newest first.
    async fn fetch_sessions(&self, user: &UserId) -> Result<Vec<Session>, DbError>;

    /// Adds a one-time sync ticket.
    async fn insert_ticket(
        &self,
        ticket_hash: &str,
        session_id: &str,
        user: &UserId,
        expires_at: i64,
    ) -> Result<(), DbError>;
    /// Uses a ticket up: its user and session if it was valid, unused and unexpired.
    async fn consume_ticket(
        &self,
        ticket_hash: &str,
        now: i64,
    ) -> Result<Option<(String, UserId)>, DbError>;

    /// A document's stored bytes (snapshot, then chunks in order), if stored.
    async fn fetch_document(&self, doc_id: &str) -> Result<Option<Vec<Vec<u8>>>, DbError> {
        Ok(self.fetch_document_chunks(doc_id).await?.map(|d| d.parts))
    }
    /// A document's stored bytes with the ids of its chunks, if stored.
    async fn fetch_document_chunks(&self, doc_id: &str) -> Result<Option<StoredDoc>, DbError>;
    /// Durably stores a change and its derived rows in one transaction; returns the chunk's id (`None` for
    /// a write of rows alone, with an empty chunk).
    async fn append_document(&self, write: &DocWrite) -> Result<Option<i64>, DbError> {
        Ok(self.append_one(write).await?.chunk)
    }
    /// [`Self::append_documents`] of one write (with its compaction, if it carries one).
    async fn append_one(&self, write: &DocWrite) -> Result<Appended, DbError> {
        self.append_documents(&[write])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| DbError::Corrupt("no chunk id returned".to_owned()))
    }
    /// Durably stores the changes of several documents and their derived rows in one transaction (the
    /// group commit: all or none), each with its compaction if it carries one; returns what each stored,
    /// in order. On PostgreSQL each write is announced on [`CHANGES_CHANNEL`] when the transaction commits.
    async fn append_documents(&self, writes: &[&DocWrite]) -> Result<Vec<Appended>, DbError>;
    /// Replaces a document's snapshot by `snapshot` and deletes the chunks `merged` (those the snapshot
    /// holds), if the stored snapshot is still of `generation`: returns the new generation, or `None` (and
    /// changes nothing) when another instance compacted meanwhile. Chunks another writer appended stay.
    async fn compact_document(
        &self,
        doc_id: &str,
        snapshot: &[u8],
        merged: &[i64],
        generation: i64,
        now: i64,
    ) -> Result<Option<i64>, DbError>;
    /// What is stored of a document beyond `known` chunks and the snapshot of `generation`; `None` if the
    /// document is not stored.
    async fn fetch_document_news(
        &self,
        doc_id: &str,
        generation: i64,
        known: &[i64],
    ) -> Result<Option<DocNews>, DbError>;
    /// Where other instances announce their commits, for a database several instances share (PostgreSQL);
    /// `None` for one that only one instance serves.
    fn change_feed(&self) -> Option<ChangeFeed> {
        None
    }

    /// Binds an Automerge actor (hex) to `user` unless it is bound already; returns its owner.
    async fn bind_actor(&self, actor: &str, user: &UserId, now: i64) -> Result<UserId, DbError>;

    /// Reserves a login attempt for `key` before its password is checked: `Ok(Ok(reservation))` if it may
    /// go ahead (counted as a failure until undone or cleared), `Ok(Err(ms))` to wait that long first.
    /// `delay` maps the number of failures to the wait before the next attempt.
    async fn reserve_login(
        &self,
        key: &str,
        now: i64,
        delay: fn(i64) -> i64,
    ) -> Result<Result<LoginReservation, i64>, DbError>;
    /// Takes a reservation back (the attempt was never checked, or it succeeded): the counter returns to
    /// what it was, its wait included; if other attempts were reserved since, one failure fewer and no
    /// longer wait than `delay` gives that count.
    async fn undo_login(
        &self,
        reservation: &LoginReservation,
        now: i64,
        delay: fn(i64) -> i64,
    ) -> Result<(), DbError>;
    /// Forgets every failure of `key` (an account after a successful login).
    async fn clear_login(&self, key: &str) -> Result<(), DbError>;

    /// The summary rows of the facilities within `scope` (a community or a county) for `year` (facilities
    /// never synced included, zeroed); `today` (YYYY-MM-DD) decides what is overdue.
    async fn fetch_summary(
        &self,
        scope: &Scope,
        year: i64,
        today: &str,
    ) -> Result<Vec<SummaryRow>, DbError>;

    /// Per county within `scope` (a city, a province): facilities, coverage per wave, compliance per area,
    /// open and overdue problems for `year`, all by SQL aggregates; `today` decides what is overdue.
    async fn fetch_rollup(
        &self,
        scope: &Scope,
        year: i64,
        today: &str,
    ) -> Result<Vec<RollupRow>, DbError>;

    /// The items answered 部分符合 or 不符合 by more than one facility within `scope` in `year`, most
    /// facilities first (ties by item id), at most `most`.
    async fn fetch_common_items(
        &self,
        scope: &Scope,
        year: i64,
        most: i64,
    ) -> Result<Vec<CommonItem>, DbError>;

    /// How each indicator spreads across the facilities within `scope` that gave it in `year`, by item id.
    async fn fetch_figure_spread(
        &self,
        scope: &Scope,
        year: i64,
    ) -> Result<Vec<FigureSpread>, DbError>;

    /// The facilities within `scope` that answered `item` 部分符合 or 不符合 in `year`.
    async fn fetch_item_facilities(
        &self,
        scope: &Scope,
        year: i64,
        item: &str,
    ) -> Result<Vec<ItemFacility>, DbError>;

    /// The problems within `scope` found before `year` that are not rectified-and-verified: they carry over
    /// into `year` (`zhigai_shared::carry::carries_over`).
    async fn fetch_carried_problems(
        &self,
        scope: &Scope,
        year: i64,
    ) -> Result<Vec<CountyProblem>, DbError>;
    /// The years any facility within `scope` has a summary row for (a synced document), ascending.
    async fn fetch_years(&self, scope: &Scope) -> Result<Vec<i64>, DbError>;
    /// Every problem within `scope` found in `year`, by facility then deadline.
    async fn fetch_problems(&self, scope: &Scope, year: i64)
    -> Result<Vec<CountyProblem>, DbError>;

    /// Records an upload; `false` if that hash was uploaded before (the first record stays).
    async fn insert_blob(&self, meta: &BlobMeta) -> Result<bool, DbError>;
    /// The record of an upload.
    async fn fetch_blob(&self, hash: &PhotoHash) -> Result<Option<BlobMeta>, DbError>;
    /// Forgets an upload whose bytes could not be kept.
    async fn delete_blob(&self, hash: &PhotoHash) -> Result<(), DbError>;
    /// The facilities whose inspections reference `hash`, each with whether its staff uploaded it: who may
    /// read it follows from those that did (a reference alone, which any device can write, opens nothing).
    async fn fetch_blob_facilities(
        &self,
        hash: &PhotoHash,
    ) -> Result<Vec<(FacilityId, bool)>, DbError>;
    /// Uploads older than `before` (ms) that no document references, at most `limit`.
    async fn fetch_unreferenced_blobs(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<PhotoHash>, DbError>;
    /// Forgets the upload of `hash` if it is older than `before` and still unreferenced, in one statement
    /// (a document referencing it meanwhile keeps it); `true` if it was forgotten.
    async fn forget_unreferenced_blob(
        &self,
        hash: &PhotoHash,
        before: i64,
    ) -> Result<bool, DbError>;
    /// Keeps bytes in the database (the store PostgreSQL deployments share).
    async fn put_blob_data(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<(), DbError>;
    /// Bytes kept in the database.
    async fn fetch_blob_data(&self, hash: &PhotoHash) -> Result<Option<Vec<u8>>, DbError>;
    /// Drops bytes kept in the database.
    async fn delete_blob_data(&self, hash: &PhotoHash) -> Result<(), DbError>;
    /// Photo counts per facility and item or problem phase within `scope` in `year`.
    async fn fetch_photo_counts(
        &self,
        scope: &Scope,
        year: i64,
    ) -> Result<Vec<PhotoCount>, DbError>;
}

/// Opens the store at `url` (`sqlite:…` or a path for SQLite, `postgres://…` for PostgreSQL) and applies
/// the migrations.
///
/// # Errors
/// [`DbError`] if the database cannot be opened or migrated.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, DbError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url).await?))
    } else {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    }
}

#[cfg(test)]
mod tests {
    /// Each migration exists in both flavours, and the two differ only in the types the databases name
    /// differently, unless both say at the top that the flavours differ here (and why).
    #[test]
    fn the_sqlite_and_postgres_migrations_say_the_same() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let names = |flavour: &str| -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(dir.join(flavour))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            names
        };
        assert_eq!(names("sqlite"), names("postgres"));
        for name in names("sqlite") {
            let declared = |flavour: &str| {
                std::fs::read_to_string(dir.join(flavour).join(&name))
                    .unwrap()
                    .lines()
                    .take(4)
                    .any(|l| l.contains("the flavours differ here"))
            };
            if declared("sqlite") && declared("postgres") {
                continue;
            }
            let body = |flavour: &str| {
                let text = std::fs::read_to_string(dir.join(flavour).join(&name)).unwrap();
                text.lines()
                    .filter(|l| !l.starts_with("--"))
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            let translated = body("sqlite")
                .replace("BLOB", "BYTEA")
                .replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY");
            assert_eq!(translated, body("postgres"), "{name}");
        }
    }
}
