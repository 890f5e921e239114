//! The test harness: a server on a random port over a fresh database — a SQLite file in a temporary folder
//! or a throw-away database on the real PostgreSQL — seeded with the demo county and a second county.

use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use zhigai_server::client::SyncClient;
use zhigai_server::config::Settings;
use zhigai_server::db::{County, Facility, Store, User};
use zhigai_server::startup::Application;
use zhigai_shared::Document;
use zhigai_shared::access::{Role, Scope};
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::{FacilityId, FacilityType, Inspection, Review, Template, UserId};

pub const PASSWORD: &str = zhigai_server::demo::PASSWORD;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once against SQLite and once against PostgreSQL.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::helpers::Backend::Postgres).await;
            }
        }
    };
}

/// A fresh database of `backend`: its URL and what to keep alive while it is used.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDb {
    /// Drops a PostgreSQL test database (a SQLite folder goes with the value).
    pub async fn remove(&self) {
        use sqlx::Connection;
        if let Some(name) = &self.postgres_name
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_admin_url()).await
        {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await;
        }
    }
}

/// The PostgreSQL server the tests use (`ZHIGAI_TEST_POSTGRES`, else the local one on 127.0.0.1:5432).
pub fn postgres_admin_url() -> String {
    std::env::var("ZHIGAI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

pub async fn fresh_db(backend: Backend) -> TestDb {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("zhigai.db").display());
            TestDb {
                url,
                _dir: Some(dir),
                postgres_name: None,
            }
        }
        Backend::Postgres => {
            use sqlx::Connection;
            let admin = postgres_admin_url();
            let name = format!("zhigai_test_{}", &zhigai_server::auth::new_secret()[..12]);
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("PostgreSQL must run on 127.0.0.1:5432 (or set ZHIGAI_TEST_POSTGRES)");
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .unwrap();
            let base = admin
                .rsplit_once('/')
                .map_or(admin.as_str(), |(b, _)| b)
                .to_owned();
            TestDb {
                url: format!("{base}/{name}"),
                _dir: None,
                postgres_name: Some(name),
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub hub: zhigai_server::docs::Hub,
    _db: TestDb,
    stop: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let db = fresh_db(backend).await;
    let mut settings = Settings::for_tests(&db.url);
    tweak(&mut settings);
    let app = Application::build(settings).await.expect("server builds");
    seed(app.store().as_ref()).await;
    serve(app, db)
}

/// Another instance on the database `first` serves (several instances share one PostgreSQL database);
/// stopping it leaves the database to `first`.
pub async fn spawn_instance(first: &TestApp, tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let url = first.database_url();
    let mut settings = Settings::for_tests(&url);
    tweak(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("another instance builds");
    serve(
        app,
        TestDb {
            url,
            _dir: None,
            postgres_name: None,
        },
    )
}

/// A server on a database another test server used (a restart).
pub async fn spawn_existing(db: TestDb) -> TestApp {
    let app = Application::build(Settings::for_tests(&db.url))
        .await
        .expect("server builds");
    serve(app, db)
}

fn serve(app: Application, db: TestDb) -> TestApp {
    let store = app.store();
    let hub = app.hub();
    let base = format!("http://127.0.0.1:{}", app.port());
    let (stop, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        hub,
        base,
        store,
        _db: db,
        stop: Some(stop),
        handle: Some(handle),
    }
}

/// The demo county, plus a second county with one facility, one head and one reviewer.
pub async fn seed(store: &dyn Store) {
    zhigai_server::demo::seed(store).await.unwrap();
    store
        .insert_county(&County::new("other-county", "邻县"))
        .await
        .unwrap();
    store
        .insert_facility(
            &Facility {
                id: FacilityId::from("other-clinic"),
                county_id: "other-county".into(),
                community_id: None,
                name: "邻县某村卫生室".into(),
                facility_type: FacilityType::VillageClinic,
                open_beds: 0,
                services: vec![],
                guided_by: None,
            },
            &[2026, 2027, 2028],
        )
        .await
        .unwrap();
    let hash = zhigai_server::auth::hash_password(PASSWORD).unwrap();
    for (username, role, facility) in [
        ("other-head", Role::Head, Some("other-clinic")),
        ("other-reviewer", Role::Reviewer, None),
    ] {
        let user = User {
            id: UserId::new(format!("u-{username}")),
            username: username.into(),
            display_name: username.into(),
            role,
            scope: match facility {
                Some(f) => Scope::Facility(FacilityId::from(f)),
                None => Scope::County("other-county".into()),
            },
        };
        store.insert_user(&user, &hash, 0).await.unwrap();
    }
}

impl TestApp {
    pub async fn client(&self, username: &str) -> SyncClient {
        let mut client = SyncClient::login(&self.base, username, PASSWORD)
            .await
            .unwrap();
        client.connect().await.unwrap();
        client
    }

    /// `username` connected, with the inspection of `facility` for `year` open (from its genesis).
    pub async fn with_inspection(
        &self,
        username: &str,
        facility: &str,
        year: u16,
    ) -> (SyncClient, DocumentId) {
        let id = inspection_id(facility, year);
        let mut client = self.client(username).await;
        client
            .open(id, genesis_inspection(facility, year))
            .await
            .unwrap();
        (client, id)
    }

    /// The database URL this server uses.
    pub fn database_url(&self) -> String {
        self._db.url.clone()
    }

    /// Stops the server and hands back its database, kept for a restart.
    pub async fn stop_keeping_database(mut self) -> TestDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
        std::mem::replace(
            &mut self._db,
            TestDb {
                url: String::new(),
                _dir: None,
                postgres_name: None,
            },
        )
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(handle) = self.handle.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), handle).await;
        }
        self._db.remove().await;
    }

    /// A facility as the server stored it.
    pub async fn facility(&self, id: &str) -> zhigai_shared::api::Facility {
        self.store
            .fetch_facility(&id.into())
            .await
            .unwrap()
            .unwrap()
    }

    /// What the database holds of a document: its parts, chunk ids and snapshot generation.
    pub async fn stored_parts(&self, id: DocumentId) -> zhigai_server::db::StoredDoc {
        self.store
            .fetch_document_chunks(&id.to_string())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{id} is not stored"))
    }

    /// A facility's summary row of `year`, as its county's overview reads it.
    pub async fn summary_row(&self, facility: &str, year: u16) -> zhigai_shared::api::SummaryRow {
        let county = self.facility(facility).await.county_id;
        self.store
            .fetch_summary(
                &Scope::County(county),
                i64::from(year),
                &format!("{year}-06-01"),
            )
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.facility_id.as_str() == facility)
            .unwrap_or_else(|| panic!("no summary row of {facility}"))
    }

    /// The inspection as the server stored it.
    pub async fn stored_inspection(&self, facility: &str, year: u16) -> Option<Inspection> {
        let id = inspection_id(facility, year);
        let parts = self.store.fetch_document(&id.to_string()).await.unwrap()?;
        Some(Inspection::load(&parts.concat()).unwrap())
    }

    /// The review as the server stored it.
    pub async fn stored_review(&self, facility: &str, year: u16) -> Option<Review> {
        let id = review_id(facility, year);
        let parts = self.store.fetch_document(&id.to_string()).await.unwrap()?;
        Some(Review::load(&parts.concat()).unwrap())
    }
}

pub fn inspection_id(facility: &str, year: u16) -> DocumentId {
    DocumentId::for_doc(DocKind::Inspection, &FacilityId::from(facility), year)
}

pub fn review_id(facility: &str, year: u16) -> DocumentId {
    DocumentId::for_doc(DocKind::Review, &FacilityId::from(facility), year)
}

pub fn genesis_inspection(facility: &str, year: u16) -> Inspection {
    Inspection::create(&FacilityId::from(facility), year, Template::national()).unwrap()
}

pub fn genesis_review(facility: &str, year: u16) -> Review {
    Review::create(&FacilityId::from(facility), year).unwrap()
}

pub const WAIT: Duration = Duration::from_secs(15);

/// The errors the server sent a client.
pub fn errors(c: &zhigai_server::client::SyncClient) -> Vec<String> {
    c.notices
        .iter()
        .filter_map(|n| match n {
            zhigai_server::client::Notice::Error(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// Waits for the server's refusal and returns every error it sent, joined.
pub async fn refusal(c: &mut zhigai_server::client::SyncClient) -> String {
    assert!(
        c.wait_for(WAIT, |c| !errors(c).is_empty()).await.unwrap(),
        "no refusal came"
    );
    errors(c).join(" ")
}

/// A session token of `user` (the demo password).
pub async fn token(app: &TestApp, user: &str) -> String {
    zhigai_server::client::SyncClient::login(&app.base, user, PASSWORD)
        .await
        .unwrap()
        .token()
        .to_owned()
}

/// `GET path` with a bearer token: the status and the JSON body (null when there is none).
pub async fn get(app: &TestApp, token: &str, path: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

/// The first `n` items of the national checklist.
pub fn first_items(n: usize) -> Vec<zhigai_shared::ItemId> {
    Template::national()
        .items()
        .take(n)
        .map(|i| i.id.clone())
        .collect()
}

/// Sets `item` to `status` through `client` and waits for the acknowledgement.
pub async fn set_acked(
    client: &mut SyncClient,
    id: zhigai_shared::sync::DocumentId,
    item: &zhigai_shared::ItemId,
    status: zhigai_shared::Status,
) {
    let stamp = client.stamp();
    client
        .inspection_mut(id)
        .set_status(item, Some(status), &stamp)
        .unwrap();
    assert!(
        client.wait_acked(id, WAIT).await.unwrap(),
        "{item} acknowledged"
    );
}
