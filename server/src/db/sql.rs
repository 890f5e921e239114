//! The SQL behind [`Store`], written once with `$n` placeholders that SQLite and PostgreSQL both accept,
//! and instantiated for each database by `sql_store!`.

use super::{
    Appended, BlobMeta, City, Community, Compaction, County, CountyProblem, DbError, DerivedRows,
    DocNews, DocTarget, DocWrite, Facility, InspectionRows, ItemFacility, LoginReservation,
    PhotoCount, PlaceName, ProblemRow, Province, PublishedTemplate, ReviewRows, RollupRow, Session,
    Store, StoredDoc, SummaryRow, User,
};
use async_trait::async_trait;
use sqlx::Row;
use std::str::FromStr;
use std::time::Duration;
use zhigai_shared::access::{Level, Placement, Scope};
use zhigai_shared::api::{
    AreaRate, CommonItem, CountyKind, FigureSpread, TemplateInfo, WaveCoverage,
};
use zhigai_shared::doc::ReviewState;
use zhigai_shared::photo::PhotoHash;
use zhigai_shared::summary::{AreaCounts, ItemFigure};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::template::TemplateRef;
use zhigai_shared::{FacilityId, FacilityType, ItemId, ProblemId, Service, TemplateId, UserId};

/// SQLite: the default, one file next to the binary.
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    /// The database file, for the instance lock beside it.
    path: Option<std::path::PathBuf>,
    /// The lock file held while this store serves (an open descriptor with an exclusive `flock`).
    instance: std::sync::Mutex<Option<std::fs::File>>,
}

/// PostgreSQL: for a province, several server instances on one database. Each commit is announced on
/// [`super::CHANGES_CHANNEL`] so the other instances bring their open copies up to date.
pub struct PgStore {
    pool: sqlx::PgPool,
    url: String,
    /// This store's name in the announcements (random per process start).
    name: String,
}

/// The problems of the facilities `f` meeting `$cond` whose `year` meets `$year`: the facility's own and the
/// reviewers' findings (with what the facility set on them), as one row set with `found_by` (the finding's
/// level, NULL for the facility's own). Each branch filters on its own indexed columns.
macro_rules! problem_union {
    ($cond:literal, $year:literal) => {
        concat!(
            "(SELECT p.facility_id, p.year, p.problem_id, p.item_id, p.description, p.owner_name, p.deadline, \
             p.status, p.measure, CAST(NULL AS TEXT) AS found_by \
             FROM facilities f CROSS JOIN problems p WHERE p.facility_id = f.id AND ",
            $cond,
            " AND p.",
            $year,
            " UNION ALL SELECT g.facility_id, g.year, g.finding_id, g.item_id, g.description, r.owner_name, \
             g.deadline, COALESCE(r.status, 'open'), COALESCE(r.measure, ''), g.level \
             FROM facilities f CROSS JOIN findings g LEFT JOIN finding_responses r \
             ON r.facility_id = g.facility_id AND r.year = g.year AND r.finding_id = g.finding_id \
             WHERE g.facility_id = f.id AND ",
            $cond,
            " AND g.",
            $year,
            ")"
        )
    };
}

/// Problems within `$cond` and `$year` with their facility and the verdict; `$tail` adds conditions and the
/// order (a macro, so each query stays one static string).
macro_rules! county_problems {
    ($cond:literal, $year:literal, $tail:literal) => {
        concat!(
            "SELECT f.id, f.name, p.year, p.problem_id, p.item_id, p.description, p.owner_name, \
             p.deadline, p.status, p.measure, v.verdict FROM ",
            problem_union!($cond, $year),
            " p JOIN facilities f ON f.id = p.facility_id \
             LEFT JOIN verifications v ON v.facility_id = p.facility_id AND v.year = p.year \
             AND v.problem_id = p.problem_id",
            $tail
        )
    };
}

/// Open and overdue problems per county within `$cond` in year `$2`; `$3` is today.
macro_rules! rollup_problems {
    ($cond:literal) => {
        concat!(
            "SELECT f.county_id, COUNT(*) AS open_count, \
             CAST(SUM(CASE WHEN p.deadline IS NOT NULL AND p.deadline < $3 THEN 1 ELSE 0 END) AS BIGINT) AS overdue \
             FROM ",
            problem_union!($cond, "year = $2"),
            " p JOIN facilities f ON f.id = p.facility_id WHERE p.status <> 'rectified' GROUP BY f.county_id"
        )
    };
}

/// Compliance per county and area in year `$2`, within the place bound as `$1`.
macro_rules! areas_by_county {
    ($cond:literal) => {
        concat!(
            "SELECT a.county_id, a.area, CAST(SUM(a.compliant) AS BIGINT) AS compliant, \
             CAST(SUM(a.answered - a.not_applicable) AS BIGINT) AS judged FROM area_counts a \
             WHERE a.year = $2 AND ",
            $cond,
            " GROUP BY a.county_id, a.area ORDER BY a.area"
        )
    };
}
const AREAS_BY_COUNTY_OF_FACILITY: &str = areas_by_county!("a.facility_id = $1");
const AREAS_BY_COUNTY_OF_COMMUNITY: &str =
    areas_by_county!("a.facility_id IN (SELECT id FROM facilities WHERE community_id = $1)");
const AREAS_BY_COUNTY_OF_COUNTY: &str = areas_by_county!("a.county_id = $1");
const AREAS_BY_COUNTY_OF_CITY: &str =
    areas_by_county!("a.county_id IN (SELECT id FROM counties WHERE city_id = $1)");
const AREAS_BY_COUNTY_OF_PROVINCE: &str = areas_by_county!(
    "a.county_id IN (SELECT c.id FROM counties c JOIN cities ci ON ci.id = c.city_id WHERE ci.province_id = $1)"
);

/// The rows of a place bound as `$1` in a table that keeps each row's facility and county (alias `g`): by
/// facility or community through the facility, by county, city or province through the county (a covering
/// index read in order, as `areas_by_county!`).
macro_rules! by_place {
    ($select:literal, $tail:literal) => {
        [
            concat!($select, " WHERE g.year = $2 AND g.facility_id = $1", $tail),
            concat!(
                $select,
                " WHERE g.year = $2 AND g.facility_id IN (SELECT id FROM facilities WHERE community_id = $1)",
                $tail
            ),
            concat!($select, " WHERE g.year = $2 AND g.county_id = $1", $tail),
            concat!(
                $select,
                " WHERE g.year = $2 AND g.county_id IN (SELECT id FROM counties WHERE city_id = $1)",
                $tail
            ),
            concat!(
                $select,
                " WHERE g.year = $2 AND g.county_id IN (SELECT c.id FROM counties c JOIN cities ci ON ci.id = c.city_id WHERE ci.province_id = $1)",
                $tail
            ),
        ]
    };
}
const SPREAD: [&str; 5] = by_place!(
    "SELECT g.item_id, COUNT(*) AS n, MIN(g.value) AS lo, AVG(g.value) AS mean, MAX(g.value) AS hi FROM item_figures g",
    " GROUP BY g.item_id ORDER BY g.item_id"
);
const PINS: [&str; 5] = by_place!(
    "SELECT DISTINCT g.template_id, g.template_version FROM template_pins g",
    " ORDER BY g.template_id, g.template_version"
);
const PINS_OF_EACH: [&str; 5] = by_place!(
    "SELECT g.facility_id, g.template_id, g.template_version FROM template_pins g",
    ""
);

/// The query of `by_place!`'s five for a place at `level`.
fn for_level(queries: &[&'static str; 5], level: Level) -> &'static str {
    queries[match level {
        Level::Facility => 0,
        Level::Community => 1,
        Level::County => 2,
        Level::City => 3,
        Level::Province => 4,
    }]
}

impl SqliteStore {
    /// Opens (creating if missing) the SQLite file and migrates it.
    ///
    /// # Errors
    /// [`DbError`] if it cannot be opened or migrated.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        use sqlx::sqlite::{
            SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
        };
        let url = if url.starts_with("sqlite:") {
            url.to_owned()
        } else {
            format!("sqlite://{url}")
        };
        let options = SqliteConnectOptions::from_str(&url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // An acknowledged change must survive a crash or a power cut.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            // SQLite's temporary files (a statement's rollback journal past 64 KiB, large sorts) in memory:
            // on disk each was a file created, unlinked and written in /var/tmp, ~30 a second under load.
            .pragma("temp_store", "memory")
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A file on this machine: a connection does not break between uses as a network one can, and
            // the test before each use is one more call to the connection's thread (two thread switches).
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .map(|p| p.split('?').next().unwrap_or(p))
            .filter(|p| !p.is_empty() && !p.contains(":memory:"))
            .map(std::path::PathBuf::from);
        Ok(Self {
            pool,
            path,
            instance: std::sync::Mutex::new(None),
        })
    }
}

impl PgStore {
    /// Connects to PostgreSQL and migrates the database.
    ///
    /// # Errors
    /// [`DbError`] if it cannot connect or migrate.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            pool,
            url: url.to_owned(),
            name: crate::auth::new_secret()[..12].to_owned(),
        })
    }
}

impl SqliteStore {
    async fn claim(&self) -> Result<(), DbError> {
        use std::os::fd::AsRawFd;
        let Some(path) = &self.path else {
            return Ok(());
        };
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".instance-lock");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| DbError::Corrupt(format!("cannot open the lock file: {e}")))?;
        // SAFETY: flock on a descriptor we own; the lock goes with the descriptor (or the process).
        let held = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0;
        if !held {
            return Err(DbError::InstanceRunning);
        }
        *self.instance.lock().unwrap_or_else(|p| p.into_inner()) = Some(file);
        Ok(())
    }

    #[allow(clippy::unused_async)] // one shape with PgStore::release for the shared impl macro
    async fn release(&self) {
        // Closing the descriptor drops the flock at once.
        drop(
            self.instance
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take(),
        );
    }
}

impl PgStore {
    /// Several instances may serve one PostgreSQL database: nothing to claim.
    #[allow(clippy::unused_async)] // one shape with SqliteStore::claim for the shared impl macro
    async fn claim(&self) -> Result<(), DbError> {
        Ok(())
    }

    #[allow(clippy::unused_async)]
    async fn release(&self) {}

    /// The announcement of a commit of `doc_id`.
    fn announcement(&self, doc_id: &str) -> Option<String> {
        Some(format!("{} {doc_id}", self.name))
    }

    fn feed(&self) -> Option<super::ChangeFeed> {
        Some(super::ChangeFeed {
            url: self.url.clone(),
            instance: self.name.clone(),
        })
    }
}

impl SqliteStore {
    /// One instance serves a SQLite file: nobody to tell.
    #[allow(clippy::unused_self)]
    fn announcement(&self, _doc_id: &str) -> Option<String> {
        None
    }

    #[allow(clippy::unused_self)]
    fn feed(&self) -> Option<super::ChangeFeed> {
        None
    }
}

/// A stored code or date read back as its domain type.
fn parse<T: FromStr>(text: &str) -> Result<T, DbError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| DbError::Corrupt(format!("{text:?}: {e}")))
}

/// A pinned version, from its row.
fn pin_of<R: Row>(r: &R) -> Result<TemplateRef, DbError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(TemplateRef {
        id: TemplateId::new(r.try_get::<String, _>("template_id")?),
        version: u32::try_from(r.try_get::<i64, _>("template_version")?)
            .map_err(|e| DbError::Corrupt(e.to_string()))?,
    })
}

/// What lists show of a published version, from its row.
fn template_info<R: Row>(r: &R) -> Result<TemplateInfo, DbError>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    let number = |name: &str| -> Result<u32, DbError> {
        u32::try_from(r.try_get::<i64, _>(name)?).map_err(|e| DbError::Corrupt(e.to_string()))
    };
    let level: Level = parse(&r.try_get::<String, _>("publisher_level")?)?;
    Ok(TemplateInfo {
        id: TemplateId::new(r.try_get::<String, _>("id")?),
        version: number("version")?,
        title_zh: r.try_get("title_zh")?,
        publisher: Some(Scope::new(level, r.try_get::<String, _>("publisher_id")?)),
        parent: Some(TemplateRef {
            id: TemplateId::new(r.try_get::<String, _>("parent_id")?),
            version: number("parent_version")?,
        }),
        published_at: Some(r.try_get("published_at")?),
        applies_from: u16::try_from(r.try_get::<i64, _>("applies_from")?)
            .map_err(|e| DbError::Corrupt(e.to_string()))?,
    })
}

fn duplicate(what: &str, e: sqlx::Error) -> DbError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            DbError::Duplicate(what.to_owned())
        }
        _ => DbError::Sqlx(e),
    }
}

fn services_text(services: &[Service]) -> String {
    services
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(",")
}

fn parse_services(text: &str) -> Result<Vec<Service>, DbError> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .map_err(|e: zhigai_shared::facility::ParseError| DbError::Corrupt(e.to_string()))
        })
        .collect()
}

// Column lists as macros, so that every statement stays a string literal (sqlx only runs audited SQL).
macro_rules! user_columns {
    () => {
        "u.id, u.username, u.display_name, u.role, u.scope_level, u.scope_id"
    };
}
macro_rules! facility_columns {
    () => {
        "f.id, f.county_id, f.community_id, f.name, f.facility_type, f.open_beds, f.services, f.guided_by"
    };
}
/// Facilities with what their placement needs (`placement_of`); queries add WHERE and ORDER BY.
macro_rules! placed_facilities {
    () => {
        concat!(
            "SELECT ",
            facility_columns!(),
            ", c.city_id, ci.province_id, c.two_step FROM facilities f \
             JOIN counties c ON c.id = f.county_id LEFT JOIN cities ci ON ci.id = c.city_id"
        )
    };
}
/// One static statement per level: `head`, then the condition that a facility `f` lies within the scope
/// bound as `$1`, then `tail`.
macro_rules! scoped {
    ($scope:expr, [$($head:tt)*], [$($tail:tt)*]) => {
        match $scope.level() {
            Level::Facility => concat!($($head)*, "f.id = $1", $($tail)*),
            Level::Community => concat!($($head)*, "f.community_id = $1", $($tail)*),
            Level::County => concat!($($head)*, "f.county_id = $1", $($tail)*),
            Level::City => concat!(
                $($head)*,
                "f.county_id IN (SELECT sc.id FROM counties sc WHERE sc.city_id = $1)",
                $($tail)*
            ),
            Level::Province => concat!(
                $($head)*,
                "f.county_id IN (SELECT sc.id FROM counties sc JOIN cities sp ON sp.id = sc.city_id \
                 WHERE sp.province_id = $1)",
                $($tail)*
            ),
        }
    };
}
/// The condition that a facility `f` lies within the scope bound as `$1`, handed as a literal to `$build!`
/// with the remaining arguments, for statements that need it more than once.
macro_rules! scoped_with {
    ($scope:expr, $build:ident $(, $rest:tt)*) => {
        match $scope.level() {
            Level::Facility => $build!("f.id = $1" $(, $rest)*),
            Level::Community => $build!("f.community_id = $1" $(, $rest)*),
            Level::County => $build!("f.county_id = $1" $(, $rest)*),
            Level::City => $build!(
                "f.county_id IN (SELECT sc.id FROM counties sc WHERE sc.city_id = $1)"
                $(, $rest)*
            ),
            Level::Province => $build!(
                "f.county_id IN (SELECT sc.id FROM counties sc JOIN cities sp ON sp.id = sc.city_id \
                 WHERE sp.province_id = $1)"
                $(, $rest)*
            ),
        }
    };
}
/// Counties within a scope bound as `$1` (a facility's or community's: their county).
macro_rules! scoped_counties {
    ($scope:expr, [$($head:tt)*], [$($tail:tt)*]) => {
        match $scope.level() {
            Level::Facility => concat!($($head)*, "c.id = (SELECT county_id FROM facilities WHERE id = $1)", $($tail)*),
            Level::Community => concat!($($head)*, "c.id = (SELECT county_id FROM communities WHERE id = $1)", $($tail)*),
            Level::County => concat!($($head)*, "c.id = $1", $($tail)*),
            Level::City => concat!($($head)*, "c.city_id = $1", $($tail)*),
            Level::Province => concat!($($head)*, "ci.province_id = $1", $($tail)*),
        }
    };
}
macro_rules! session_columns {
    () => {
        "s.id AS session_id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.revoked_at, s.device"
    };
}

macro_rules! sql_store {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Appends one document's chunk and updates its derived rows within `tx`: only the row sets that
            /// differ from `w.previous` (all of them without it).
            /// Announces a commit of `doc_id` to the other instances (PostgreSQL): delivered when, and only
            /// if, `tx` commits.
            async fn announce(&self, tx: &mut sqlx::Transaction<'static, $db>, doc_id: &str) -> Result<(), DbError> {
                if let Some(payload) = self.announcement(doc_id) {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(super::CHANGES_CHANNEL)
                        .bind(payload)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            /// Stores `writes` (of distinct documents) within `tx`: one statement each for their document rows,
            /// chunks and summary rows together (under load one transaction carries many documents, and each
            /// statement is a round trip to the database), then each write's other row sets where they differ
            /// from its previous write, and its compaction. Returns what each write stored, in order.
            async fn append_in(&self, tx: &mut sqlx::Transaction<'static, $db>, writes: &[&DocWrite]) -> Result<Vec<Appended>, DbError> {
                let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO documents (doc_id, kind, facility_id, year, snapshot, updated_at) ");
                q.push_values(writes, |mut row, w| {
                    row.push_bind(w.doc_id.as_str())
                        .push_bind(w.kind.as_str())
                        .push_bind(w.facility_id.as_str())
                        .push_bind(w.year)
                        .push_bind(Vec::<u8>::new())
                        .push_bind(w.now);
                });
                q.push(" ON CONFLICT (doc_id) DO UPDATE SET updated_at = excluded.updated_at");
                q.build().execute(&mut **tx).await?;

                // An empty chunk: rows alone, rewritten after merging what another instance stored.
                let chunks: Vec<&DocWrite> = writes.iter().copied().filter(|w| !w.chunk.is_empty()).collect();
                let mut chunk_ids: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
                if !chunks.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO doc_chunks (doc_id, data, created_at) ");
                    q.push_values(&chunks, |mut row, w| {
                        row.push_bind(w.doc_id.as_str()).push_bind(w.chunk.as_slice()).push_bind(w.now);
                    });
                    q.push(" RETURNING doc_id, id");
                    for r in q.build().fetch_all(&mut **tx).await? {
                        chunk_ids.insert(r.try_get("doc_id")?, r.try_get("id")?);
                    }
                }

                let inspections: Vec<(&DocWrite, &InspectionRows)> = writes
                    .iter()
                    .filter_map(|w| match &w.derived {
                        DerivedRows::Inspection(rows) => Some((*w, rows)),
                        DerivedRows::Review(_) => None,
                    })
                    .collect();
                if !inspections.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO summaries (facility_id, year, applicable, answered, areas, open_problems, submitted, last_edit_at, updated_at, figures) ",
                    );
                    q.push_values(&inspections, |mut row, (w, rows)| {
                        let s = &rows.summary;
                        row.push_bind(w.facility_id.as_str())
                            .push_bind(w.year)
                            .push_bind(i64::from(s.applicable))
                            .push_bind(i64::from(s.answered))
                            .push_bind(serde_json::to_string(&s.areas).unwrap_or_else(|_| "[]".to_owned()))
                            .push_bind(i64::from(s.open_problems))
                            .push_bind(i64::from(s.submitted))
                            .push_bind(s.last_edit_at)
                            .push_bind(w.now)
                            .push_bind(serde_json::to_string(&s.figures).unwrap_or_else(|_| "[]".to_owned()));
                    });
                    q.push(
                        " ON CONFLICT (facility_id, year) DO UPDATE SET applicable = excluded.applicable, \
                         answered = excluded.answered, areas = excluded.areas, open_problems = excluded.open_problems, \
                         submitted = excluded.submitted, last_edit_at = excluded.last_edit_at, updated_at = excluded.updated_at, \
                         figures = excluded.figures",
                    );
                    q.build().execute(&mut **tx).await?;
                }

                let mut stored = Vec::with_capacity(writes.len());
                for w in writes {
                    self.rows_in(tx, w).await?;
                    let chunk = if w.chunk.is_empty() {
                        None
                    } else {
                        Some(*chunk_ids.get(&w.doc_id).ok_or_else(|| DbError::Corrupt(format!("no chunk id returned for {}", w.doc_id)))?)
                    };
                    let generation = match &w.compact {
                        Some(c) => self.compact_in(tx, &w.doc_id, c, w.now).await?,
                        None => None,
                    };
                    if chunk.is_some() || generation.is_some() {
                        self.announce(tx, &w.doc_id).await?;
                    }
                    stored.push(Appended { chunk, generation });
                }
                Ok(stored)
            }

            /// Makes compaction `c` of `doc_id` within `tx`; the new generation, or `None` (nothing changed)
            /// if the stored snapshot is no longer of `c.generation`.
            async fn compact_in(&self, tx: &mut sqlx::Transaction<'static, $db>, doc_id: &str, c: &Compaction, now: i64) -> Result<Option<i64>, DbError> {
                // Compare and swap: the snapshot is replaced only if it is still the one this instance
                // merged; a concurrent compaction holds the row until it commits, then this finds its
                // generation moved on.
                let replaced = sqlx::query("UPDATE documents SET snapshot = $1, updated_at = $2, generation = generation + 1 WHERE doc_id = $3 AND generation = $4")
                    .bind(c.snapshot.as_slice())
                    .bind(now)
                    .bind(doc_id)
                    .bind(c.generation)
                    .execute(&mut **tx)
                    .await?
                    .rows_affected();
                if replaced == 0 {
                    return Ok(None);
                }
                // Only the chunks this snapshot holds: another writer's newer chunks stay. A few hundred ids
                // a statement.
                for ids in c.merged.chunks(500) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("DELETE FROM doc_chunks WHERE doc_id = ");
                    q.push_bind(doc_id).push(" AND id IN (");
                    let mut list = q.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(Some(c.generation + 1))
            }

            /// A write's row sets other than its document, chunk and summary rows: only those that differ
            /// from `w.previous` (all of them without it).
            async fn rows_in(&self, tx: &mut sqlx::Transaction<'static, $db>, w: &DocWrite) -> Result<(), DbError> {
                match &w.derived {
                    DerivedRows::Inspection(rows) => {
                        let s = &rows.summary;
                        let prev = match &w.previous {
                            Some(DerivedRows::Inspection(p)) => Some(p),
                            _ => None,
                        };
                        if let Some(t) = &rows.template
                            && prev.is_none_or(|p| p.template != rows.template)
                        {
                            sqlx::query(
                                "INSERT INTO template_pins (facility_id, county_id, year, template_id, template_version) \
                                 VALUES ($1, (SELECT county_id FROM facilities WHERE id = $1), $2, $3, $4) \
                                 ON CONFLICT (facility_id, year) DO NOTHING",
                            )
                            .bind(w.facility_id.as_str())
                            .bind(w.year)
                            .bind(t.id.as_str())
                            .bind(i64::from(t.version))
                            .execute(&mut **tx)
                            .await?;
                        }
                        // Figures by item: after a previous write only the ones set, changed or cleared since.
                        let (set, cleared): (Vec<&ItemFigure>, Vec<&str>) = match prev {
                            None => {
                                sqlx::query("DELETE FROM item_figures WHERE facility_id = $1 AND year = $2")
                                    .bind(w.facility_id.as_str())
                                    .bind(w.year)
                                    .execute(&mut **tx)
                                    .await?;
                                (s.figures.iter().collect(), Vec::new())
                            }
                            Some(p) => (
                                s.figures.iter().filter(|f| !p.summary.figures.contains(f)).collect(),
                                p.summary
                                    .figures
                                    .iter()
                                    .filter(|old| !s.figures.iter().any(|f| f.item == old.item))
                                    .map(|old| old.item.as_str())
                                    .collect(),
                            ),
                        };
                        for item in cleared {
                            sqlx::query("DELETE FROM item_figures WHERE facility_id = $1 AND year = $2 AND item_id = $3")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(item)
                                .execute(&mut **tx)
                                .await?;
                        }
                        if !set.is_empty() {
                            let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO item_figures (facility_id, county_id, year, item_id, value) ");
                            q.push_values(&set, |mut row, f| {
                                row.push_bind(w.facility_id.as_str())
                                    .push("(SELECT county_id FROM facilities WHERE id = ")
                                    .push_bind_unseparated(w.facility_id.as_str())
                                    .push_unseparated(")")
                                    .push_bind(w.year)
                                    .push_bind(f.item.as_str())
                                    .push_bind(f.value);
                            });
                            q.push(" ON CONFLICT (facility_id, year, item_id) DO UPDATE SET value = excluded.value");
                            q.build().execute(&mut **tx).await?;
                        }
                        for (i, a) in s.areas.iter().enumerate() {
                            if prev.is_some_and(|p| p.summary.areas.get(i) == Some(a)) {
                                continue;
                            }
                            sqlx::query(
                                "INSERT INTO area_counts (facility_id, county_id, year, area, applicable, answered, compliant, partial, non_compliant, not_applicable) \
                                 VALUES ($1, (SELECT county_id FROM facilities WHERE id = $1), $2, $3, $4, $5, $6, $7, $8, $9) \
                                 ON CONFLICT (facility_id, year, area) DO UPDATE SET \
                                 applicable = excluded.applicable, answered = excluded.answered, compliant = excluded.compliant, \
                                 partial = excluded.partial, non_compliant = excluded.non_compliant, not_applicable = excluded.not_applicable",
                            )
                            .bind(w.facility_id.as_str())
                            .bind(w.year)
                            .bind(&a.area)
                            .bind(i64::from(a.applicable))
                            .bind(i64::from(a.answered))
                            .bind(i64::from(a.compliant))
                            .bind(i64::from(a.partial))
                            .bind(i64::from(a.non_compliant))
                            .bind(i64::from(a.not_applicable))
                            .execute(&mut **tx)
                            .await?;
                        }
                        if prev.is_none_or(|p| p.responses != rows.responses) {
                            sqlx::query("DELETE FROM finding_responses WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for (id, owner, status, measure) in &rows.responses {
                                sqlx::query(
                                    "INSERT INTO finding_responses (facility_id, year, finding_id, owner_name, status, measure) \
                                     VALUES ($1, $2, $3, $4, $5, $6)",
                                )
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(id.as_str())
                                .bind(owner)
                                .bind(status.code())
                                .bind(measure)
                                .execute(&mut **tx)
                                .await?;
                            }
                        }
                        if prev.is_none_or(|p| p.photos != rows.photos) {
                            sqlx::query("DELETE FROM photo_refs WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for r in &rows.photos {
                                sqlx::query(
                                    "INSERT INTO photo_refs (facility_id, year, photo_id, hash, subject) \
                                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                                )
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(&r.photo_id)
                                .bind(r.hash.as_str())
                                .bind(&r.subject)
                                .execute(&mut **tx)
                                .await?;
                            }
                        }
                        if prev.is_none_or(|p| p.summary.weak_items != s.weak_items) {
                            sqlx::query("DELETE FROM weak_items WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for item in &s.weak_items {
                                sqlx::query("INSERT INTO weak_items (facility_id, year, item_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                                    .bind(w.facility_id.as_str())
                                    .bind(w.year)
                                    .bind(item)
                                    .execute(&mut **tx)
                                    .await?;
                            }
                        }
                        if prev.is_none_or(|p| p.problems != rows.problems) {
                            sqlx::query("DELETE FROM problems WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for p in &rows.problems {
                                sqlx::query(
                                    "INSERT INTO problems (facility_id, year, problem_id, item_id, description, owner_name, deadline, status, measure) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                                )
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(p.problem_id.as_str())
                                .bind(p.item_id.as_ref().map(ItemId::as_str))
                                .bind(&p.description)
                                .bind(&p.owner_name)
                                // ISO dates compare as text, which the overdue queries rely on.
                                .bind(p.deadline.map(|d| d.to_string()))
                                .bind(p.status.code())
                                .bind(&p.measure)
                                .execute(&mut **tx)
                                .await?;
                            }
                        }
                    }
                    DerivedRows::Review(ReviewRows { state, verdicts, findings }) => {
                        let prev = match &w.previous {
                            Some(DerivedRows::Review(p)) => Some(p),
                            _ => None,
                        };
                        if prev.is_none_or(|p| &p.findings != findings) {
                            sqlx::query("DELETE FROM findings WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for f in findings {
                                sqlx::query(
                                    "INSERT INTO findings (facility_id, year, finding_id, item_id, description, deadline, level) \
                                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                                )
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(f.id.as_str())
                                .bind(f.item_id.as_ref().map(ItemId::as_str))
                                .bind(&f.description)
                                .bind(f.deadline.map(|d| d.to_string()))
                                .bind(f.level.code())
                                .execute(&mut **tx)
                                .await?;
                            }
                        }
                        if prev.is_none_or(|p| &p.verdicts != verdicts) {
                            sqlx::query("DELETE FROM verifications WHERE facility_id = $1 AND year = $2")
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .execute(&mut **tx)
                                .await?;
                            for (problem, verdict) in verdicts {
                                sqlx::query(
                                    "INSERT INTO verifications (facility_id, year, problem_id, verdict) VALUES ($1, $2, $3, $4)",
                                )
                                .bind(w.facility_id.as_str())
                                .bind(w.year)
                                .bind(problem.as_str())
                                .bind(verdict.code())
                                .execute(&mut **tx)
                                .await?;
                            }
                        }
                        if prev.is_none_or(|p| &p.state != state) {
                            sqlx::query(
                                "INSERT INTO summaries (facility_id, year, review_state, updated_at) VALUES ($1, $2, $3, $4) \
                                 ON CONFLICT (facility_id, year) DO UPDATE SET review_state = excluded.review_state, \
                                 updated_at = excluded.updated_at",
                            )
                            .bind(w.facility_id.as_str())
                            .bind(w.year)
                            .bind(state.code())
                            .bind(w.now)
                            .execute(&mut **tx)
                            .await?;
                        }
                    }
                }
                Ok(())
            }

            fn user(row: &<$db as sqlx::Database>::Row) -> Result<User, DbError> {
                let role: String = row.try_get("role")?;
                Ok(User {
                    id: UserId::new(row.try_get::<String, _>("id")?),
                    username: row.try_get("username")?,
                    display_name: row.try_get("display_name")?,
                    role: role.parse().map_err(DbError::Corrupt)?,
                    scope: Scope::new(
                        parse::<Level>(&row.try_get::<String, _>("scope_level")?)?,
                        row.try_get::<String, _>("scope_id")?,
                    ),
                })
            }

            fn facility(row: &<$db as sqlx::Database>::Row) -> Result<Facility, DbError> {
                let facility_type: String = row.try_get("facility_type")?;
                let services: String = row.try_get("services")?;
                Ok(Facility {
                    id: FacilityId::new(row.try_get::<String, _>("id")?),
                    county_id: row.try_get("county_id")?,
                    community_id: row.try_get("community_id")?,
                    name: row.try_get("name")?,
                    facility_type: FacilityType::from_str(&facility_type)
                        .map_err(|e| DbError::Corrupt(e.to_string()))?,
                    open_beds: u32::try_from(row.try_get::<i64, _>("open_beds")?).unwrap_or(0),
                    services: parse_services(&services)?,
                    guided_by: row.try_get::<Option<String>, _>("guided_by")?.map(FacilityId::new),
                })
            }

            /// A row of `placed_facilities!`.
            fn placed(row: &<$db as sqlx::Database>::Row) -> Result<(Facility, Placement), DbError> {
                let facility = Self::facility(row)?;
                let placement = Placement {
                    facility: facility.id.clone(),
                    community: facility.community_id.clone(),
                    county: facility.county_id.clone(),
                    city: row.try_get("city_id")?,
                    province: row.try_get("province_id")?,
                    guided_by: facility.guided_by.clone(),
                    two_step: row.try_get::<i64, _>("two_step")? != 0,
                };
                Ok((facility, placement))
            }

            fn county(row: &<$db as sqlx::Database>::Row) -> Result<County, DbError> {
                Ok(County {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    city_id: row.try_get("city_id")?,
                    kind: parse::<CountyKind>(&row.try_get::<String, _>("kind")?)?,
                    two_step: row.try_get::<i64, _>("two_step")? != 0,
                })
            }

            fn community(r: &<$db as sqlx::Database>::Row) -> Result<Community, DbError> {
                Ok(Community {
                    id: r.try_get("id")?,
                    county_id: r.try_get("county_id")?,
                    name: r.try_get("name")?,
                    lead_hospital: r.try_get("lead_hospital")?,
                    lead_facility_id: r.try_get::<Option<String>, _>("lead_facility_id")?.map(FacilityId::new),
                })
            }

            fn session(row: &<$db as sqlx::Database>::Row) -> Result<Session, DbError> {
                Ok(Session {
                    id: row.try_get("session_id")?,
                    user_id: UserId::new(row.try_get::<String, _>("user_id")?),
                    created_at: row.try_get("created_at")?,
                    last_seen_at: row.try_get("last_seen_at")?,
                    expires_at: row.try_get("expires_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                    device: row.try_get("device")?,
                })
            }
        }

        impl $store {
            /// A row of the `county_problems!` query.
            fn county_problem(r: &<$db as sqlx::Database>::Row) -> Result<CountyProblem, DbError> {
                let deadline: Option<String> = r.try_get("deadline")?;
                let verdict: Option<String> = r.try_get("verdict")?;
                Ok(CountyProblem {
                    year: r.try_get("year")?,
                    verdict: verdict.as_deref().map(parse).transpose()?,
                    facility_id: FacilityId::new(r.try_get::<String, _>("id")?),
                    facility_name: r.try_get("name")?,
                    problem: ProblemRow {
                        problem_id: ProblemId::new(r.try_get::<String, _>("problem_id")?),
                        item_id: r.try_get::<Option<String>, _>("item_id")?.map(ItemId::new),
                        description: r.try_get("description")?,
                        owner_name: r.try_get("owner_name")?,
                        deadline: deadline.as_deref().map(parse).transpose()?,
                        status: parse(&r.try_get::<String, _>("status")?)?,
                        measure: r.try_get("measure")?,
                    },
                })
            }
        }

        #[async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                <$db as sqlx::Database>::NAME
            }

            async fn claim_instance(&self) -> Result<(), DbError> {
                self.claim().await
            }

            async fn release_instance(&self) {
                self.release().await;
            }

            async fn insert_template(&self, t: &PublishedTemplate) -> Result<(), DbError> {
                let (Some(publisher), Some(parent)) = (&t.info.publisher, &t.info.parent) else {
                    return Err(DbError::Corrupt("a published version names its publisher and parent".to_owned()));
                };
                sqlx::query(
                    "INSERT INTO templates (id, version, publisher_level, publisher_id, parent_id, parent_version, \
                     title_zh, body, published_at, applies_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(t.info.id.as_str())
                .bind(i64::from(t.info.version))
                .bind(publisher.level().code())
                .bind(publisher.id())
                .bind(parent.id.as_str())
                .bind(i64::from(parent.version))
                .bind(&t.info.title_zh)
                .bind(&t.body)
                .bind(t.info.published_at.unwrap_or_default())
                .bind(i64::from(t.info.applies_from))
                .execute(&self.pool)
                .await
                .map_err(|e| duplicate(&format!("checklist {}@{}", t.info.id, t.info.version), e))?;
                Ok(())
            }

            async fn fetch_template_infos(&self) -> Result<Vec<TemplateInfo>, DbError> {
                let rows = sqlx::query(
                    "SELECT id, version, publisher_level, publisher_id, parent_id, parent_version, title_zh, \
                     published_at, applies_from FROM templates ORDER BY id, version",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(template_info).collect()
            }

            async fn fetch_template(&self, id: &str, version: u32) -> Result<Option<PublishedTemplate>, DbError> {
                let row = sqlx::query(
                    "SELECT id, version, publisher_level, publisher_id, parent_id, parent_version, title_zh, \
                     published_at, applies_from, body FROM templates WHERE id = $1 AND version = $2",
                )
                .bind(id)
                .bind(i64::from(version))
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok(PublishedTemplate { info: template_info(&r)?, body: r.try_get("body")? }))
                    .transpose()
            }

            async fn fetch_pin(&self, facility: &FacilityId, year: i64) -> Result<Option<TemplateRef>, DbError> {
                let row = sqlx::query("SELECT template_id, template_version FROM template_pins WHERE facility_id = $1 AND year = $2")
                    .bind(facility.as_str())
                    .bind(year)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| pin_of(&r)).transpose()
            }

            async fn insert_pin(&self, facility: &FacilityId, year: i64, t: &TemplateRef) -> Result<(), DbError> {
                sqlx::query(
                    "INSERT INTO template_pins (facility_id, county_id, year, template_id, template_version) \
                     VALUES ($1, (SELECT county_id FROM facilities WHERE id = $1), $2, $3, $4) \
                     ON CONFLICT (facility_id, year) DO NOTHING",
                )
                .bind(facility.as_str())
                .bind(year)
                .bind(t.id.as_str())
                .bind(i64::from(t.version))
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn fetch_pins_in(&self, scope: &Scope, year: i64) -> Result<Vec<(FacilityId, TemplateRef)>, DbError> {
                let rows = sqlx::query(for_level(&PINS_OF_EACH, scope.level()))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((FacilityId::new(r.try_get::<String, _>("facility_id")?), pin_of(r)?)))
                    .collect()
            }

            async fn fetch_pinned_versions(&self, scope: &Scope, year: i64) -> Result<Vec<TemplateRef>, DbError> {
                let rows = sqlx::query(for_level(&PINS, scope.level()))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(pin_of).collect()
            }

            async fn insert_province(&self, p: &Province) -> Result<(), DbError> {
                sqlx::query("INSERT INTO provinces (id, name) VALUES ($1, $2)")
                    .bind(&p.id)
                    .bind(&p.name)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| duplicate(&format!("province {}", p.id), e))?;
                Ok(())
            }

            async fn insert_city(&self, c: &City) -> Result<(), DbError> {
                sqlx::query("INSERT INTO cities (id, province_id, name) VALUES ($1, $2, $3)")
                    .bind(&c.id)
                    .bind(&c.province_id)
                    .bind(&c.name)
                    .execute(&self.pool)
                    .await
                    .map_err(|e| duplicate(&format!("city {}", c.id), e))?;
                Ok(())
            }

            async fn fetch_province(&self, id: &str) -> Result<Option<Province>, DbError> {
                let row = sqlx::query("SELECT id, name FROM provinces WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok(Province { id: r.try_get("id")?, name: r.try_get("name")? })).transpose()
            }

            async fn fetch_city(&self, id: &str) -> Result<Option<City>, DbError> {
                let row = sqlx::query("SELECT id, province_id, name FROM cities WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok(City { id: r.try_get("id")?, province_id: r.try_get("province_id")?, name: r.try_get("name")? }))
                    .transpose()
            }

            async fn fetch_cities(&self, province_id: &str) -> Result<Vec<City>, DbError> {
                let rows = sqlx::query("SELECT id, province_id, name FROM cities WHERE province_id = $1 ORDER BY id")
                    .bind(province_id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| Ok(City { id: r.try_get("id")?, province_id: r.try_get("province_id")?, name: r.try_get("name")? }))
                    .collect()
            }

            async fn insert_county(&self, county: &County) -> Result<(), DbError> {
                sqlx::query("INSERT INTO counties (id, name, city_id, kind, two_step) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&county.id)
                    .bind(&county.name)
                    .bind(&county.city_id)
                    .bind(county.kind.code())
                    .bind(i64::from(county.two_step))
                    .execute(&self.pool)
                    .await
                    .map_err(|e| duplicate(&format!("county {}", county.id), e))?;
                Ok(())
            }

            async fn fetch_county(&self, id: &str) -> Result<Option<County>, DbError> {
                let row = sqlx::query("SELECT id, name, city_id, kind, two_step FROM counties WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::county).transpose()
            }

            async fn fetch_counties_in(&self, scope: &Scope) -> Result<Vec<(County, Option<String>)>, DbError> {
                let sql = scoped_counties!(scope, [
                    "SELECT c.id, c.name, c.city_id, c.kind, c.two_step, ci.name AS city_name \
                     FROM counties c LEFT JOIN cities ci ON ci.id = c.city_id WHERE "
                ], [" ORDER BY c.city_id, c.id"]);
                let rows = sqlx::query(sql).bind(scope.id()).fetch_all(&self.pool).await?;
                rows.iter().map(|r| Ok((Self::county(r)?, r.try_get("city_name")?))).collect()
            }

            async fn set_two_step(&self, county_id: &str, two_step: bool) -> Result<bool, DbError> {
                let done = sqlx::query("UPDATE counties SET two_step = $1 WHERE id = $2")
                    .bind(i64::from(two_step))
                    .bind(county_id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn fetch_place(&self, scope: &Scope) -> Result<Option<PlaceName>, DbError> {
                // The name of the place, and the county whose kind and setting apply to it.
                let sql = match scope.level() {
                    Level::Province => "SELECT name, NULL AS county_id FROM provinces WHERE id = $1",
                    Level::City => "SELECT name, NULL AS county_id FROM cities WHERE id = $1",
                    Level::County => "SELECT name, id AS county_id FROM counties WHERE id = $1",
                    Level::Community => "SELECT name, county_id FROM communities WHERE id = $1",
                    Level::Facility => "SELECT name, county_id FROM facilities WHERE id = $1",
                };
                let Some(row) = sqlx::query(sql).bind(scope.id()).fetch_optional(&self.pool).await? else {
                    return Ok(None);
                };
                let county_id: Option<String> = row.try_get("county_id")?;
                let county = match county_id {
                    Some(id) => self.fetch_county(&id).await?,
                    None => None,
                };
                Ok(Some(PlaceName {
                    level: scope.level(),
                    id: scope.id().to_owned(),
                    name: row.try_get("name")?,
                    county_kind: county.as_ref().map(|c| c.kind).unwrap_or_default(),
                    two_step: county.is_some_and(|c| c.two_step),
                }))
            }

            async fn insert_community(&self, c: &Community) -> Result<(), DbError> {
                sqlx::query("INSERT INTO communities (id, county_id, name, lead_hospital, lead_facility_id) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&c.id)
                    .bind(&c.county_id)
                    .bind(&c.name)
                    .bind(&c.lead_hospital)
                    .bind(c.lead_facility_id.as_ref().map(|f| f.as_str().to_owned()))
                    .execute(&self.pool)
                    .await
                    .map_err(|e| duplicate(&format!("community {}", c.id), e))?;
                Ok(())
            }

            async fn fetch_community(&self, id: &str) -> Result<Option<Community>, DbError> {
                let row = sqlx::query("SELECT id, county_id, name, lead_hospital, lead_facility_id FROM communities WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::community).transpose()
            }

            async fn fetch_communities(&self, county_id: &str) -> Result<Vec<Community>, DbError> {
                let rows = sqlx::query(
                    "SELECT id, county_id, name, lead_hospital, lead_facility_id FROM communities WHERE county_id = $1 ORDER BY id",
                )
                .bind(county_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::community).collect()
            }

            async fn insert_facility(&self, f: &Facility, years: &[u16]) -> Result<(), DbError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query(
                    "INSERT INTO facilities (id, county_id, community_id, name, facility_type, open_beds, services, guided_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(f.id.as_str())
                .bind(&f.county_id)
                .bind(&f.community_id)
                .bind(&f.name)
                .bind(f.facility_type.code())
                .bind(i64::from(f.open_beds))
                .bind(services_text(&f.services))
                .bind(f.guided_by.as_ref().map(|g| g.as_str().to_owned()))
                .execute(&mut *tx)
                .await
                .map_err(|e| duplicate(&format!("facility {}", f.id), e))?;
                for &year in years {
                    for kind in [DocKind::Inspection, DocKind::Review] {
                        sqlx::query("INSERT INTO document_ids (doc_id, facility_id, kind, year) VALUES ($1, $2, $3, $4) ON CONFLICT (doc_id) DO NOTHING")
                            .bind(DocumentId::for_doc(kind, &f.id, year).to_string())
                            .bind(f.id.as_str())
                            .bind(kind.code())
                            .bind(i64::from(year))
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn fetch_facility(&self, id: &FacilityId) -> Result<Option<Facility>, DbError> {
                let row = sqlx::query(concat!("SELECT ", facility_columns!(), " FROM facilities f WHERE f.id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::facility).transpose()
            }

            async fn fetch_placement(&self, id: &FacilityId) -> Result<Option<(Facility, Placement)>, DbError> {
                let row = sqlx::query(concat!(placed_facilities!(), " WHERE f.id = $1"))
                    .bind(id.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref().map(Self::placed).transpose()
            }

            async fn fetch_facilities_in(&self, scope: &Scope) -> Result<Vec<(Facility, Placement)>, DbError> {
                let sql = scoped!(scope, [placed_facilities!(), " WHERE "], [" ORDER BY f.community_id, f.id"]);
                let rows = sqlx::query(sql).bind(scope.id()).fetch_all(&self.pool).await?;
                rows.iter().map(Self::placed).collect()
            }

            async fn fetch_guided(&self, guide: &FacilityId) -> Result<Vec<(Facility, Placement)>, DbError> {
                let rows = sqlx::query(concat!(placed_facilities!(), " WHERE f.guided_by = $1 ORDER BY f.id"))
                    .bind(guide.as_str())
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(Self::placed).collect()
            }

            async fn fetch_document_target(&self, doc_id: &str) -> Result<Option<DocTarget>, DbError> {
                let row = sqlx::query(concat!(
                    "SELECT d.kind, d.year, placed.* FROM document_ids d JOIN (",
                    placed_facilities!(),
                    ") placed ON placed.id = d.facility_id WHERE d.doc_id = $1"
                ))
                .bind(doc_id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(row) = row else { return Ok(None) };
                let kind = match row.try_get::<String, _>("kind")?.as_str() {
                    "inspection" => DocKind::Inspection,
                    "review" => DocKind::Review,
                    other => return Err(DbError::Corrupt(format!("document kind {other:?}"))),
                };
                let year = u16::try_from(row.try_get::<i64, _>("year")?)
                    .map_err(|e| DbError::Corrupt(e.to_string()))?;
                let (facility, placement) = Self::placed(&row)?;
                Ok(Some(DocTarget { kind, year, facility, placement }))
            }

            async fn ensure_document_ids(&self, years: &[u16]) -> Result<u64, DbError> {
                let mut added = 0;
                for &year in years {
                    let missing = sqlx::query(
                        "SELECT f.id FROM facilities f WHERE NOT EXISTS \
                         (SELECT 1 FROM document_ids d WHERE d.facility_id = f.id AND d.year = $1 AND d.kind = 'review')",
                    )
                    .bind(i64::from(year))
                    .fetch_all(&self.pool)
                    .await?;
                    let mut tx = self.pool.begin().await?;
                    for row in &missing {
                        let id = FacilityId::new(row.try_get::<String, _>("id")?);
                        for kind in [DocKind::Inspection, DocKind::Review] {
                            added += sqlx::query("INSERT INTO document_ids (doc_id, facility_id, kind, year) VALUES ($1, $2, $3, $4) ON CONFLICT (doc_id) DO NOTHING")
                                .bind(DocumentId::for_doc(kind, &id, year).to_string())
                                .bind(id.as_str())
                                .bind(kind.code())
                                .bind(i64::from(year))
                                .execute(&mut *tx)
                                .await?
                                .rows_affected();
                        }
                    }
                    tx.commit().await?;
                }
                Ok(added)
            }

            async fn insert_user(&self, u: &User, password_hash: &str, now: i64) -> Result<(), DbError> {
                sqlx::query(
                    "INSERT INTO users (id, username, display_name, password_hash, role, scope_level, scope_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(u.id.as_str())
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(password_hash)
                .bind(u.role.code())
                .bind(u.scope.level().code())
                .bind(u.scope.id())
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(|e| duplicate(&format!("user {}", u.username), e))?;
                Ok(())
            }

            async fn fetch_user_by_username(&self, username: &str) -> Result<Option<(User, String)>, DbError> {
                let row = sqlx::query(concat!("SELECT ", user_columns!(), ", u.password_hash FROM users u WHERE u.username = $1"))
                .bind(username)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((Self::user(&r)?, r.try_get("password_hash")?))).transpose()
            }

            async fn update_password(&self, username: &str, password_hash: &str) -> Result<bool, DbError> {
                let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
                    .bind(password_hash)
                    .bind(username)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn fetch_users_at(&self, scope: &Scope) -> Result<Vec<User>, DbError> {
                let rows = sqlx::query(concat!("SELECT ", user_columns!(), " FROM users u WHERE u.scope_level = $1 AND u.scope_id = $2 ORDER BY u.display_name"))
                .bind(scope.level().code())
                .bind(scope.id())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::user).collect()
            }

            async fn insert_session(&self, s: &Session, token_hash: &str) -> Result<(), DbError> {
                sqlx::query(
                    "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, revoked_at, device) \
                     VALUES ($1, $2, $3, $4, $5, $6, NULL, $7)",
                )
                .bind(&s.id)
                .bind(token_hash)
                .bind(s.user_id.as_str())
                .bind(s.created_at)
                .bind(s.last_seen_at)
                .bind(s.expires_at)
                .bind(&s.device)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn fetch_session(&self, token_hash: &str) -> Result<Option<(Session, User)>, DbError> {
                let row = sqlx::query(concat!("SELECT ", session_columns!(), ", ", user_columns!(), " FROM sessions s JOIN users u ON u.id = s.user_id \
                     WHERE s.token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((Self::session(&r)?, Self::user(&r)?))).transpose()
            }

            async fn fetch_session_by_id(&self, id: &str) -> Result<Option<(Session, User)>, DbError> {
                let row = sqlx::query(concat!("SELECT ", session_columns!(), ", ", user_columns!(), " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| Ok((Self::session(&r)?, Self::user(&r)?))).transpose()
            }

            async fn touch_session(&self, id: &str, now: i64, expires_at: i64) -> Result<(), DbError> {
                sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id = $3 AND revoked_at IS NULL")
                    .bind(now)
                    .bind(expires_at)
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_session(&self, id: &str, user: &UserId, now: i64) -> Result<bool, DbError> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(id)
                .bind(user.as_str())
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn revoke_user_sessions(&self, username: &str, now: i64) -> Result<u64, DbError> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 WHERE revoked_at IS NULL \
                     AND user_id = (SELECT id FROM users WHERE username = $2)",
                )
                .bind(now)
                .bind(username)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected())
            }

            async fn fetch_sessions(&self, user: &UserId) -> Result<Vec<Session>, DbError> {
                let rows = sqlx::query(concat!("SELECT ", session_columns!(), " FROM sessions s WHERE s.user_id = $1 ORDER BY s.created_at DESC"))
                .bind(user.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::session).collect()
            }

            async fn insert_ticket(&self, ticket_hash: &str, session_id: &str, user: &UserId, expires_at: i64) -> Result<(), DbError> {
                sqlx::query(
                    "INSERT INTO sync_tickets (ticket_hash, session_id, user_id, expires_at, used_at) VALUES ($1, $2, $3, $4, NULL)",
                )
                .bind(ticket_hash)
                .bind(session_id)
                .bind(user.as_str())
                .bind(expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn consume_ticket(&self, ticket_hash: &str, now: i64) -> Result<Option<(String, UserId)>, DbError> {
                let row = sqlx::query(
                    "UPDATE sync_tickets SET used_at = $1 \
                     WHERE ticket_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING session_id, user_id",
                )
                .bind(now)
                .bind(ticket_hash)
                .fetch_optional(&self.pool)
                .await?;
                row.map(|r| Ok((r.try_get("session_id")?, UserId::new(r.try_get::<String, _>("user_id")?))))
                    .transpose()
            }

            async fn fetch_document_chunks(&self, doc_id: &str) -> Result<Option<StoredDoc>, DbError> {
                let mut tx = self.pool.begin().await?;
                let Some(row) = sqlx::query("SELECT snapshot, generation FROM documents WHERE doc_id = $1")
                    .bind(doc_id)
                    .fetch_optional(&mut *tx)
                    .await?
                else {
                    return Ok(None);
                };
                let mut stored = StoredDoc {
                    parts: vec![row.try_get("snapshot")?],
                    chunk_ids: Vec::new(),
                    generation: row.try_get("generation")?,
                };
                let chunks = sqlx::query("SELECT id, data FROM doc_chunks WHERE doc_id = $1 ORDER BY id")
                    .bind(doc_id)
                    .fetch_all(&mut *tx)
                    .await?;
                for chunk in chunks {
                    stored.parts.push(chunk.try_get("data")?);
                    stored.chunk_ids.push(chunk.try_get("id")?);
                }
                tx.commit().await?;
                Ok(Some(stored))
            }

            async fn append_documents(&self, writes: &[&DocWrite]) -> Result<Vec<Appended>, DbError> {
                let mut tx = self.pool.begin().await?;
                // A multi-row upsert may touch a row once: a document (or facility-year) twice in one
                // transaction, which the group commit never sends, goes one write at a time.
                let docs: std::collections::HashSet<&str> = writes.iter().map(|w| w.doc_id.as_str()).collect();
                let kinds: std::collections::HashSet<(&str, &str, i64)> =
                    writes.iter().map(|w| (w.kind.as_str(), w.facility_id.as_str(), w.year)).collect();
                let ids = if docs.len() == writes.len() && kinds.len() == writes.len() {
                    self.append_in(&mut tx, writes).await?
                } else {
                    let mut ids = Vec::with_capacity(writes.len());
                    for w in writes {
                        ids.extend(self.append_in(&mut tx, &[*w]).await?);
                    }
                    ids
                };
                tx.commit().await?;
                Ok(ids)
            }

            async fn compact_document(&self, doc_id: &str, snapshot: &[u8], merged: &[i64], generation: i64, now: i64) -> Result<Option<i64>, DbError> {
                let mut tx = self.pool.begin().await?;
                let c = Compaction { snapshot: snapshot.to_vec(), merged: merged.to_vec(), generation };
                let Some(generation) = self.compact_in(&mut tx, doc_id, &c, now).await? else {
                    tx.rollback().await?;
                    return Ok(None);
                };
                self.announce(&mut tx, doc_id).await?;
                tx.commit().await?;
                Ok(Some(generation))
            }

            async fn fetch_document_news(&self, doc_id: &str, generation: i64, known: &[i64]) -> Result<Option<DocNews>, DbError> {
                let mut tx = self.pool.begin().await?;
                // The snapshot only if it was replaced since `generation`.
                let Some(row) = sqlx::query(
                    "SELECT generation, CASE WHEN generation <> $2 THEN snapshot ELSE NULL END AS snapshot \
                     FROM documents WHERE doc_id = $1",
                )
                .bind(doc_id)
                .bind(generation)
                .fetch_optional(&mut *tx)
                .await?
                else {
                    return Ok(None);
                };
                let ids: Vec<i64> = sqlx::query("SELECT id FROM doc_chunks WHERE doc_id = $1 ORDER BY id")
                    .bind(doc_id)
                    .fetch_all(&mut *tx)
                    .await?
                    .iter()
                    .map(|r| r.try_get("id"))
                    .collect::<Result<_, _>>()?;
                let unknown: Vec<i64> = ids.iter().copied().filter(|id| !known.contains(id)).collect();
                let mut chunks = Vec::new();
                if let Some(first) = unknown.first() {
                    // One read from the oldest unknown chunk on (the unknown ones are the newest, as a rule);
                    // a chunk compacted away meanwhile is in the new snapshot, read next time.
                    for r in sqlx::query("SELECT id, data FROM doc_chunks WHERE doc_id = $1 AND id >= $2 ORDER BY id")
                        .bind(doc_id)
                        .bind(first)
                        .fetch_all(&mut *tx)
                        .await?
                    {
                        let id: i64 = r.try_get("id")?;
                        if unknown.contains(&id) {
                            chunks.push((id, r.try_get("data")?));
                        }
                    }
                }
                tx.commit().await?;
                Ok(Some(DocNews {
                    generation: row.try_get("generation")?,
                    snapshot: row.try_get("snapshot")?,
                    chunks,
                    ids,
                }))
            }

            fn change_feed(&self) -> Option<super::ChangeFeed> {
                self.feed()
            }

            async fn bind_actor(&self, actor: &str, user: &UserId, now: i64) -> Result<UserId, DbError> {
                sqlx::query("INSERT INTO actors (actor, user_id, first_seen_at) VALUES ($1, $2, $3) ON CONFLICT (actor) DO NOTHING")
                    .bind(actor)
                    .bind(user.as_str())
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                let owner: String = sqlx::query("SELECT user_id FROM actors WHERE actor = $1")
                    .bind(actor)
                    .fetch_one(&self.pool)
                    .await?
                    .try_get("user_id")?;
                Ok(UserId::new(owner))
            }

            async fn reserve_login(&self, key: &str, now: i64, delay: fn(i64) -> i64) -> Result<Result<LoginReservation, i64>, DbError> {
                sqlx::query("INSERT INTO login_throttle (throttle_key, failures, next_at, updated_at) VALUES ($1, 0, 0, $2) ON CONFLICT (throttle_key) DO NOTHING")
                    .bind(key)
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                // Compare and swap: of concurrent attempts exactly one moves the counter from what it read.
                for _ in 0..8 {
                    let row = sqlx::query("SELECT failures, next_at FROM login_throttle WHERE throttle_key = $1")
                        .bind(key)
                        .fetch_one(&self.pool)
                        .await?;
                    let failures: i64 = row.try_get("failures")?;
                    let next_at: i64 = row.try_get("next_at")?;
                    if next_at > now {
                        return Ok(Err(next_at - now));
                    }
                    let done = sqlx::query("UPDATE login_throttle SET failures = $1, next_at = $2, updated_at = $3 WHERE throttle_key = $4 AND failures = $5 AND next_at = $6")
                        .bind(failures + 1)
                        .bind(now + delay(failures + 1))
                        .bind(now)
                        .bind(key)
                        .bind(failures)
                        .bind(next_at)
                        .execute(&self.pool)
                        .await?;
                    if done.rows_affected() == 1 {
                        return Ok(Ok(LoginReservation { key: key.to_owned(), failures, next_at }));
                    }
                }
                // Heavy contention on one key is itself a sign of guessing.
                Ok(Err(1000))
            }

            async fn undo_login(&self, r: &LoginReservation, now: i64, delay: fn(i64) -> i64) -> Result<(), DbError> {
                for _ in 0..8 {
                    let Some(row) = sqlx::query("SELECT failures, next_at FROM login_throttle WHERE throttle_key = $1")
                        .bind(&r.key)
                        .fetch_optional(&self.pool)
                        .await?
                    else {
                        return Ok(());
                    };
                    let failures: i64 = row.try_get("failures")?;
                    let next_at: i64 = row.try_get("next_at")?;
                    // Still the latest reservation: back to exactly what was. Otherwise one failure fewer, and
                    // no wait longer than that count earns.
                    let (to_failures, to_next) = if failures == r.failures + 1 {
                        (r.failures, r.next_at)
                    } else {
                        let fewer = (failures - 1).max(0);
                        (fewer, next_at.min(now + delay(fewer)))
                    };
                    let done = sqlx::query("UPDATE login_throttle SET failures = $1, next_at = $2, updated_at = $3 WHERE throttle_key = $4 AND failures = $5 AND next_at = $6")
                        .bind(to_failures)
                        .bind(to_next)
                        .bind(now)
                        .bind(&r.key)
                        .bind(failures)
                        .bind(next_at)
                        .execute(&self.pool)
                        .await?;
                    if done.rows_affected() == 1 {
                        break;
                    }
                }
                Ok(())
            }

            async fn clear_login(&self, key: &str) -> Result<(), DbError> {
                sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn fetch_summary(&self, scope: &Scope, year: i64, today: &str) -> Result<Vec<SummaryRow>, DbError> {
                // The overdue count is `zhigai_shared::doc::days_overdue` in SQL: not rectified, deadline
                // before today (ISO dates compare as text).
                let sql = scoped!(scope, [
                    "SELECT f.id, f.name, f.facility_type, f.open_beds, f.community_id, \
                     s.applicable, s.answered, s.areas, s.submitted, s.review_state, s.last_edit_at, s.updated_at, s.figures, \
                     (SELECT COUNT(*) FROM problems p WHERE p.facility_id = f.id AND p.year = $2 \
                        AND p.status <> 'rectified') + \
                     (SELECT COUNT(*) FROM findings g LEFT JOIN finding_responses r ON r.facility_id = g.facility_id \
                        AND r.year = g.year AND r.finding_id = g.finding_id WHERE g.facility_id = f.id AND g.year = $2 \
                        AND COALESCE(r.status, 'open') <> 'rectified') AS open_count, \
                     (SELECT COUNT(*) FROM problems p WHERE p.facility_id = f.id AND p.year = $2 \
                        AND p.status <> 'rectified' AND p.deadline IS NOT NULL AND p.deadline < $3) + \
                     (SELECT COUNT(*) FROM findings g LEFT JOIN finding_responses r ON r.facility_id = g.facility_id \
                        AND r.year = g.year AND r.finding_id = g.finding_id WHERE g.facility_id = f.id AND g.year = $2 \
                        AND COALESCE(r.status, 'open') <> 'rectified' AND g.deadline IS NOT NULL AND g.deadline < $3) AS overdue \
                     FROM facilities f LEFT JOIN summaries s ON s.facility_id = f.id AND s.year = $2 WHERE "
                ], [" ORDER BY f.community_id, f.id"]);
                let rows = sqlx::query(sql)
                .bind(scope.id())
                .bind(year)
                .bind(today)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        let areas: Option<String> = r.try_get("areas")?;
                        let areas: Vec<AreaCounts> = match areas {
                            Some(text) => serde_json::from_str(&text).map_err(|e| DbError::Corrupt(e.to_string()))?,
                            None => Vec::new(),
                        };
                        let figures = match r.try_get::<Option<String>, _>("figures")? {
                            Some(text) => serde_json::from_str(&text).map_err(|e| DbError::Corrupt(e.to_string()))?,
                            None => Vec::new(),
                        };
                        Ok(SummaryRow {
                            figures,
                            facility_id: FacilityId::new(r.try_get::<String, _>("id")?),
                            facility_name: r.try_get("name")?,
                            facility_type: parse(&r.try_get::<String, _>("facility_type")?)?,
                            open_beds: u32::try_from(r.try_get::<i64, _>("open_beds")?).unwrap_or(0),
                            community_id: r.try_get("community_id")?,
                            // The API fills the wave in from the facility's profile.
                            wave: 0,
                            year,
                            applicable: r.try_get::<Option<i64>, _>("applicable")?.unwrap_or(0),
                            answered: r.try_get::<Option<i64>, _>("answered")?.unwrap_or(0),
                            areas,
                            open_problems: r.try_get::<i64, _>("open_count")?,
                            overdue_problems: r.try_get::<i64, _>("overdue")?,
                            submitted: r.try_get::<Option<i64>, _>("submitted")?.unwrap_or(0) != 0,
                            review_state: match r.try_get::<Option<String>, _>("review_state")? {
                                Some(code) => parse(&code)?,
                                None => ReviewState::NotSubmitted,
                            },
                            last_edit_at: r.try_get("last_edit_at")?,
                            updated_at: r.try_get("updated_at")?,
                            // Filled in by `crate::county` from the carried problems and the year before.
                            carried_problems: 0,
                            carried_overdue: 0,
                            last_year: None,
                        })
                    })
                    .collect()
            }

            async fn fetch_rollup(&self, scope: &Scope, year: i64, today: &str) -> Result<Vec<RollupRow>, DbError> {
                use std::collections::HashMap;
                // Coverage: facilities grouped by county and by what decides their wave (type, and whether
                // a community centre opens enough beds); the rule itself stays in `zhigai_shared::wave`.
                let groups = sqlx::query(scoped!(scope, [
                    "SELECT f.county_id, f.facility_type, CAST(CASE WHEN f.open_beds >= $3 THEN 1 ELSE 0 END AS BIGINT) AS big, \
                     COUNT(*) AS n, \
                     CAST(COALESCE(SUM(CASE WHEN s.submitted <> 0 OR COALESCE(s.review_state, 'not_submitted') <> 'not_submitted' \
                        THEN 1 ELSE 0 END), 0) AS BIGINT) AS submitted, \
                     CAST(COALESCE(SUM(CASE WHEN s.review_state = 'approved' THEN 1 ELSE 0 END), 0) AS BIGINT) AS approved \
                     FROM facilities f LEFT JOIN summaries s ON s.facility_id = f.id AND s.year = $2 WHERE "
                ], [" GROUP BY f.county_id, f.facility_type, big"]))
                .bind(scope.id())
                .bind(year)
                .bind(i64::from(zhigai_shared::facility::WAVE_2026_COMMUNITY_BEDS))
                .fetch_all(&self.pool);
                // By the county kept on each row (a covering index read in order), not by joining facilities.
                let areas_sql = match scope.level() {
                    Level::Facility => AREAS_BY_COUNTY_OF_FACILITY,
                    Level::Community => AREAS_BY_COUNTY_OF_COMMUNITY,
                    Level::County => AREAS_BY_COUNTY_OF_COUNTY,
                    Level::City => AREAS_BY_COUNTY_OF_CITY,
                    Level::Province => AREAS_BY_COUNTY_OF_PROVINCE,
                };
                let areas = sqlx::query(areas_sql)
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool);
                // `zhigai_shared::doc::days_overdue` in SQL, as in fetch_summary.
                let overdue = sqlx::query(scoped_with!(scope, rollup_problems))
                .bind(scope.id())
                .bind(year)
                .bind(today)
                .fetch_all(&self.pool);
                // Independent reads, on as many connections at once.
                let (counties, groups, areas, overdue) =
                    tokio::try_join!(self.fetch_counties_in(scope), async { Ok(groups.await?) }, async { Ok(areas.await?) }, async { Ok(overdue.await?) })?;
                let mut rows: Vec<RollupRow> = counties
                    .into_iter()
                    .map(|(c, city_name)| RollupRow {
                        county_id: c.id,
                        county_name: c.name,
                        county_kind: c.kind,
                        city_id: c.city_id,
                        city_name,
                        facilities: 0,
                        coverage: [2026, 2027, 2028]
                            .map(|wave| WaveCoverage { wave, total: 0, submitted: 0, approved: 0 })
                            .to_vec(),
                        areas: Vec::new(),
                        open_problems: 0,
                        overdue_problems: 0,
                    })
                    .collect();
                let index: HashMap<String, usize> =
                    rows.iter().enumerate().map(|(i, r)| (r.county_id.clone(), i)).collect();
                let at = |county: &str| index.get(county).copied();
                for r in &groups {
                    let Some(i) = at(&r.try_get::<String, _>("county_id")?) else { continue };
                    let kind: zhigai_shared::FacilityType = parse(&r.try_get::<String, _>("facility_type")?)?;
                    let beds = if r.try_get::<i64, _>("big")? != 0 {
                        zhigai_shared::facility::WAVE_2026_COMMUNITY_BEDS
                    } else {
                        0
                    };
                    let wave = zhigai_shared::facility::wave(kind, beds).deadline_year();
                    let n = u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0);
                    let row = &mut rows[i];
                    row.facilities += n;
                    if let Some(c) = row.coverage.iter_mut().find(|c| c.wave == wave) {
                        c.total += n;
                        c.submitted += u32::try_from(r.try_get::<i64, _>("submitted")?).unwrap_or(0);
                        c.approved += u32::try_from(r.try_get::<i64, _>("approved")?).unwrap_or(0);
                    }
                }
                for r in &areas {
                    let Some(i) = at(&r.try_get::<String, _>("county_id")?) else { continue };
                    rows[i].areas.push(AreaRate {
                        area: r.try_get("area")?,
                        compliant: u32::try_from(r.try_get::<i64, _>("compliant")?).unwrap_or(0),
                        judged: u32::try_from(r.try_get::<i64, _>("judged")?).unwrap_or(0),
                    });
                }
                for r in &overdue {
                    let Some(i) = at(&r.try_get::<String, _>("county_id")?) else { continue };
                    rows[i].open_problems = r.try_get("open_count")?;
                    rows[i].overdue_problems = r.try_get("overdue")?;
                }
                Ok(rows)
            }

            async fn fetch_common_items(&self, scope: &Scope, year: i64, most: i64) -> Result<Vec<CommonItem>, DbError> {
                let rows = sqlx::query(scoped!(scope, [
                    "SELECT w.item_id, COUNT(*) AS n FROM facilities f CROSS JOIN weak_items w \
                     WHERE w.facility_id = f.id AND w.year = $2 AND "
                ], [" GROUP BY w.item_id HAVING COUNT(*) > 1 ORDER BY n DESC, w.item_id LIMIT $3"]))
                .bind(scope.id())
                .bind(year)
                .bind(most)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok(CommonItem {
                        item_id: r.try_get("item_id")?,
                        facilities: u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(0),
                    }))
                    .collect()
            }

            async fn fetch_figure_spread(&self, scope: &Scope, year: i64) -> Result<Vec<FigureSpread>, DbError> {
                let rows = sqlx::query(for_level(&SPREAD, scope.level()))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok(FigureSpread {
                        item: r.try_get("item_id")?,
                        facilities: r.try_get("n")?,
                        min: r.try_get("lo")?,
                        mean: (r.try_get::<f64, _>("mean")? * 10.0).round() / 10.0,
                        max: r.try_get("hi")?,
                    }))
                    .collect()
            }

            async fn fetch_item_facilities(&self, scope: &Scope, year: i64, item: &str) -> Result<Vec<ItemFacility>, DbError> {
                let rows = sqlx::query(scoped!(scope, [
                    "SELECT f.id, f.name, f.county_id, c.name AS county_name FROM facilities f \
                     CROSS JOIN weak_items w JOIN counties c ON c.id = f.county_id \
                     WHERE w.facility_id = f.id AND w.year = $2 AND w.item_id = $3 AND "
                ], [" ORDER BY f.county_id, f.id"]))
                .bind(scope.id())
                .bind(year)
                .bind(item)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok(ItemFacility {
                        facility_id: FacilityId::new(r.try_get::<String, _>("id")?),
                        facility_name: r.try_get("name")?,
                        county_id: r.try_get("county_id")?,
                        county_name: r.try_get("county_name")?,
                    }))
                    .collect()
            }

            async fn fetch_years(&self, scope: &Scope) -> Result<Vec<i64>, DbError> {
                let rows = sqlx::query(scoped!(scope, [
                    "SELECT DISTINCT s.year FROM facilities f CROSS JOIN summaries s WHERE s.facility_id = f.id AND "
                ], [" ORDER BY s.year"]))
                .bind(scope.id())
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(r.try_get::<i64, _>("year")?)).collect()
            }

            async fn fetch_problems(&self, scope: &Scope, year: i64) -> Result<Vec<CountyProblem>, DbError> {
                let rows = sqlx::query(scoped_with!(
                    scope,
                    county_problems,
                    "year = $2",
                    " ORDER BY f.community_id, f.id, p.deadline, p.problem_id"
                ))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::county_problem).collect()
            }

            async fn fetch_carried_problems(&self, scope: &Scope, year: i64) -> Result<Vec<CountyProblem>, DbError> {
                // `zhigai_shared::carry::carries_over` in SQL: found earlier, and not (rectified and verified).
                let rows = sqlx::query(scoped_with!(
                    scope,
                    county_problems,
                    "year < $2",
                    " WHERE NOT (p.status = 'rectified' AND COALESCE(v.verdict, '') = 'verified') \
                     ORDER BY f.community_id, f.id, p.year, p.deadline, p.problem_id"
                ))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(Self::county_problem).collect()
            }

            async fn insert_blob(&self, m: &BlobMeta) -> Result<bool, DbError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("INSERT INTO blob_owners (hash, facility_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(m.hash.as_str())
                    .bind(m.facility_id.as_str())
                    .execute(&mut *tx)
                    .await?;
                let done = sqlx::query(
                    "INSERT INTO blobs (hash, size, mime, facility_id, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (hash) DO NOTHING",
                )
                .bind(m.hash.as_str())
                .bind(m.size)
                .bind(m.mime.mime())
                .bind(m.facility_id.as_str())
                .bind(m.uploaded_by.as_str())
                .bind(m.uploaded_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn fetch_blob(&self, hash: &PhotoHash) -> Result<Option<BlobMeta>, DbError> {
                let row = sqlx::query("SELECT hash, size, mime, facility_id, uploaded_by, uploaded_at FROM blobs WHERE hash = $1")
                    .bind(hash.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| {
                    Ok(BlobMeta {
                        hash: parse(&r.try_get::<String, _>("hash")?)?,
                        size: r.try_get("size")?,
                        mime: r.try_get::<String, _>("mime")?.parse().map_err(DbError::Corrupt)?,
                        facility_id: FacilityId::new(r.try_get::<String, _>("facility_id")?),
                        uploaded_by: UserId::new(r.try_get::<String, _>("uploaded_by")?),
                        uploaded_at: r.try_get("uploaded_at")?,
                    })
                })
                .transpose()
            }

            async fn delete_blob(&self, hash: &PhotoHash) -> Result<(), DbError> {
                let mut tx = self.pool.begin().await?;
                sqlx::query("DELETE FROM blob_owners WHERE hash = $1").bind(hash.as_str()).execute(&mut *tx).await?;
                sqlx::query("DELETE FROM blobs WHERE hash = $1").bind(hash.as_str()).execute(&mut *tx).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn fetch_blob_facilities(&self, hash: &PhotoHash) -> Result<Vec<(FacilityId, bool)>, DbError> {
                let rows = sqlx::query(
                    "SELECT DISTINCT r.facility_id, o.facility_id AS owner FROM photo_refs r LEFT JOIN blob_owners o \
                     ON o.hash = r.hash AND o.facility_id = r.facility_id WHERE r.hash = $1 ORDER BY r.facility_id",
                )
                .bind(hash.as_str())
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok((
                            FacilityId::new(r.try_get::<String, _>("facility_id")?),
                            r.try_get::<Option<String>, _>("owner")?.is_some(),
                        ))
                    })
                    .collect()
            }

            async fn fetch_unreferenced_blobs(&self, before: i64, limit: i64) -> Result<Vec<PhotoHash>, DbError> {
                let rows = sqlx::query(
                    "SELECT b.hash FROM blobs b WHERE b.uploaded_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM photo_refs r WHERE r.hash = b.hash) \
                     ORDER BY b.uploaded_at LIMIT $2",
                )
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| parse(&r.try_get::<String, _>("hash")?)).collect()
            }

            async fn forget_unreferenced_blob(&self, hash: &PhotoHash, before: i64) -> Result<bool, DbError> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "DELETE FROM blobs WHERE hash = $1 AND uploaded_at < $2 \
                     AND NOT EXISTS (SELECT 1 FROM photo_refs r WHERE r.hash = $1)",
                )
                .bind(hash.as_str())
                .bind(before)
                .execute(&mut *tx)
                .await?;
                let forgotten = done.rows_affected() > 0;
                if forgotten {
                    sqlx::query("DELETE FROM blob_owners WHERE hash = $1").bind(hash.as_str()).execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(forgotten)
            }

            async fn put_blob_data(&self, hash: &PhotoHash, bytes: &[u8]) -> Result<(), DbError> {
                sqlx::query("INSERT INTO blob_data (hash, data) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING")
                    .bind(hash.as_str())
                    .bind(bytes)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn fetch_blob_data(&self, hash: &PhotoHash) -> Result<Option<Vec<u8>>, DbError> {
                let row = sqlx::query("SELECT data FROM blob_data WHERE hash = $1")
                    .bind(hash.as_str())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.try_get("data")).transpose()?)
            }

            async fn delete_blob_data(&self, hash: &PhotoHash) -> Result<(), DbError> {
                sqlx::query("DELETE FROM blob_data WHERE hash = $1").bind(hash.as_str()).execute(&self.pool).await?;
                Ok(())
            }

            async fn fetch_photo_counts(&self, scope: &Scope, year: i64) -> Result<Vec<PhotoCount>, DbError> {
                let rows = sqlx::query(scoped!(
                    scope,
                    ["SELECT r.facility_id, r.subject, COUNT(*) AS n FROM photo_refs r \
                      JOIN facilities f ON f.id = r.facility_id WHERE r.year = $2 AND "],
                    [" GROUP BY r.facility_id, r.subject ORDER BY r.facility_id, r.subject"]
                ))
                .bind(scope.id())
                .bind(year)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(PhotoCount {
                            facility_id: FacilityId::new(r.try_get::<String, _>("facility_id")?),
                            subject: r.try_get("subject")?,
                            count: r.try_get("n")?,
                        })
                    })
                    .collect()
            }

        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite);
sql_store!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::SqliteStore;

    /// Every connection of the pool (not only the first) keeps an acknowledged change through a power cut
    /// (WAL, fsync at each commit) and keeps SQLite's temporary files in memory.
    #[tokio::test]
    async fn every_sqlite_connection_is_durable_and_keeps_temporary_files_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::connect(&dir.path().join("t.db").display().to_string())
            .await
            .unwrap();
        // Held at once, so they are distinct connections.
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(store.pool.acquire().await.unwrap());
        }
        for conn in &mut held {
            let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let temp_store: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(journal, "wal");
            assert_eq!(synchronous, 2, "synchronous = FULL");
            assert_eq!(temp_store, 2, "temp_store = MEMORY");
        }
    }
}
