//! Upgrading a database made before the directory had levels (migrations 1–4) to today's schema: accounts
//! keep their place, summaries' areas and weak items become rows, and the server then serves it.

use crate::both;
use crate::helpers::*;
use std::borrow::Cow;
use zhigai_shared::access::{Role, Scope};

/// Applies only the first four migrations of `backend` to `url`.
async fn migrate_to_four(backend: Backend, url: &str) {
    match backend {
        Backend::Sqlite => {
            let all = sqlx::migrate!("./migrations/sqlite");
            let four = sqlx::migrate::Migrator {
                migrations: Cow::Owned(all.migrations[..4].to_vec()),
                ..all
            };
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .unwrap()
                .create_if_missing(true)
                .foreign_keys(true);
            let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
            four.run(&pool).await.unwrap();
            for statement in OLD_ROWS {
                sqlx::raw_sql(*statement).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
        Backend::Postgres => {
            let all = sqlx::migrate!("./migrations/postgres");
            let four = sqlx::migrate::Migrator {
                migrations: Cow::Owned(all.migrations[..4].to_vec()),
                ..all
            };
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            four.run(&pool).await.unwrap();
            for statement in OLD_ROWS {
                sqlx::raw_sql(*statement).execute(&pool).await.unwrap();
            }
            pool.close().await;
        }
    }
}

/// A county, a facility, a head and a reviewer, a summary with areas and weak items, a session: as a
/// server of the previous version wrote them.
const OLD_ROWS: &[&str] = &[
    "INSERT INTO counties (id, name) VALUES ('c1', '旧县')",
    "INSERT INTO facilities (id, county_id, community_id, name, facility_type, open_beds, services) \
         VALUES ('f1', 'c1', NULL, '旧卫生院', 'township', 10, 'lab')",
    "INSERT INTO users (id, username, display_name, password_hash, role, county_id, facility_id, created_at) \
         VALUES ('u-head', 'old-head', '老院长', 'x', 'head', 'c1', 'f1', 0)",
    "INSERT INTO users (id, username, display_name, password_hash, role, county_id, facility_id, created_at) \
         VALUES ('u-rev', 'old-reviewer', '老审核', 'x', 'reviewer', 'c1', NULL, 0)",
    "INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, revoked_at, device) \
         VALUES ('s1', 'h1', 'u-head', 0, 0, 1, NULL, 'old')",
    "INSERT INTO summaries (facility_id, year, applicable, answered, areas, open_problems, submitted, \
         review_state, last_edit_at, updated_at, weak_items) VALUES ('f1', 2026, 10, 4, \
         '[{\"area\":\"T1\",\"applicable\":10,\"answered\":4,\"compliant\":2,\"partial\":1,\"non_compliant\":1,\"not_applicable\":0}]', \
         0, 0, 'not_submitted', 1, 1, '[\"T1.01\",\"T1.02\"]')",
];

async fn a_database_from_before_levels_upgrades_in_place(backend: Backend) {
    let db = fresh_db(backend).await;
    migrate_to_four(backend, &db.url).await;
    // Today's server migrates it at start.
    let app = spawn_existing(db).await;
    let (head, _) = app
        .store
        .fetch_user_by_username("old-head")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (head.role, head.scope),
        (Role::Head, Scope::Facility("f1".into()))
    );
    let (reviewer, _) = app
        .store
        .fetch_user_by_username("old-reviewer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reviewer.scope, Scope::County("c1".into()));
    // The session still belongs to its user (the rebuilt table kept the foreign keys' targets).
    let session = app.store.fetch_session_by_id("s1").await.unwrap();
    assert_eq!(
        session.map(|(_, u)| u.username),
        Some("old-head".to_owned())
    );
    // Areas and weak items became rows the level overviews aggregate.
    let county = Scope::County("c1".into());
    let common = app
        .store
        .fetch_common_items(&county, 2026, 10)
        .await
        .unwrap();
    assert!(common.is_empty(), "one facility: nothing common yet");
    let weak = app
        .store
        .fetch_item_facilities(&county, 2026, "T1.02")
        .await
        .unwrap();
    assert_eq!(weak.len(), 1);
    let rollup = app
        .store
        .fetch_rollup(&county, 2026, "2026-06-01")
        .await
        .unwrap();
    assert_eq!(rollup[0].areas[0].compliant, 2);
    assert_eq!(rollup[0].areas[0].judged, 4);
    // The document ids were recorded at start: the sync server finds the facility's documents.
    let target = app
        .store
        .fetch_document_target(&review_id("f1", 2027).to_string())
        .await
        .unwrap()
        .expect("the 2027 review of f1 is known");
    assert_eq!(target.facility.id.as_str(), "f1");
    assert_eq!(target.placement.county, "c1");
    app.stop().await;
}
both!(a_database_from_before_levels_upgrades_in_place);
