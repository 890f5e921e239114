//! The database failing while clients edit: nothing is acknowledged before it is stored, nothing is lost,
//! and every change is acknowledged once the database is back — to clients that, like a stock automerge-repo
//! client, never reconnect by themselves.

use crate::both;
use crate::helpers::*;
use sqlx::Connection;
use std::time::Duration;
use zhigai_server::client::Notice;
use zhigai_server::client::SyncClient;
use zhigai_shared::{Author, Document, Inspection, ItemId, Stamp, Status, Timestamp};

fn stamp(user: &str, at: i64) -> Stamp {
    Stamp::new(Author::new(format!("u-{user}"), user), Timestamp(at))
}

/// Makes every chunk insert fail (`on`) or work again, with a trigger: a real refusal by the database.
async fn refuse_writes(backend: Backend, url: &str, on: bool) {
    let sql = match (backend, on) {
        (Backend::Sqlite, true) => {
            "CREATE TRIGGER outage BEFORE INSERT ON doc_chunks BEGIN SELECT RAISE(ABORT, 'injected outage'); END"
        }
        (Backend::Sqlite, false) => "DROP TRIGGER outage",
        (Backend::Postgres, true) => {
            "CREATE FUNCTION outage() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected outage'; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER outage BEFORE INSERT ON doc_chunks FOR EACH ROW EXECUTE FUNCTION outage()"
        }
        (Backend::Postgres, false) => "DROP TRIGGER outage ON doc_chunks; DROP FUNCTION outage()",
    };
    match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        }
    }
}

async fn every_change_is_acknowledged_once_the_database_is_back(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut a, id) = app.with_inspection("shiqiao-head", "shiqiao", 2027).await;
    let (mut b, _) = app.with_inspection("shiqiao-member", "shiqiao", 2027).await;
    let items: Vec<ItemId> = ["T1.01", "T1.02", "T2.01", "T2.02"]
        .into_iter()
        .map(ItemId::from)
        .collect();
    // Each device's first edit binds its actor while the database works.
    a.inspection_mut(id)
        .set_metric(&items[0], Some(1.0), &stamp("shiqiao-head", 1))
        .unwrap();
    b.inspection_mut(id)
        .set_metric(&items[1], Some(1.0), &stamp("shiqiao-member", 1))
        .unwrap();
    assert!(a.wait_acked(id, WAIT).await.unwrap());
    assert!(b.wait_acked(id, WAIT).await.unwrap());

    refuse_writes(backend, &app.database_url(), true).await;
    for round in 2..6 {
        let value = f64::from(round);
        a.inspection_mut(id)
            .set_metric(&items[2], Some(value), &stamp("shiqiao-head", 2))
            .unwrap();
        a.push(id).await.unwrap();
        b.inspection_mut(id)
            .set_metric(&items[3], Some(value), &stamp("shiqiao-member", 2))
            .unwrap();
        b.push(id).await.unwrap();
        a.pump(Duration::from_millis(100)).await.unwrap();
        b.pump(Duration::from_millis(100)).await.unwrap();
    }
    // Not stored, so not acknowledged (a device keeps showing them as waiting to sync).
    assert!(!a.wait_acked(id, Duration::from_secs(2)).await.unwrap());
    assert!(!b.wait_acked(id, Duration::from_millis(500)).await.unwrap());
    assert!(
        errors(&a).iter().any(|e| e.contains("无法保存")),
        "the devices hear why: {:?}",
        a.notices
    );

    refuse_writes(backend, &app.database_url(), false).await;
    // Both listen; neither reconnects nor sends anything new.
    let (acked_a, acked_b) = tokio::join!(a.wait_acked(id, WAIT), b.wait_acked(id, WAIT));
    assert!(
        acked_a.unwrap(),
        "A's changes acknowledged after the outage"
    );
    assert!(
        acked_b.unwrap(),
        "B's changes acknowledged after the outage"
    );
    for c in [&a, &b] {
        assert!(
            !c.notices.iter().any(|n| matches!(n, Notice::Closed(..))),
            "no connection was closed: {:?}",
            c.notices
        );
    }
    // Each device's last value is what the database holds, and each sees the other's.
    let stored = app.stored_inspection("shiqiao", 2027).await.unwrap();
    assert_eq!(stored.metric(&items[2]), Some(5.0));
    assert_eq!(stored.metric(&items[3]), Some(5.0));
    assert!(
        b.wait_for(WAIT, |c| c.inspection(id).metric(&items[2]) == Some(5.0))
            .await
            .unwrap()
    );
    app.stop().await;
}
both!(every_change_is_acknowledged_once_the_database_is_back);

/// The server forwards a change to the other users' devices before its commit, so the commit is not on the
/// way from an edit to the colleagues' screens: with the database refusing every write, B still sees A's edit
/// live. No message to A may carry heads that cover its unstored change, not even on a new connection of A's
/// (a phone that reconnects is a new peer), or A would count it as saved.
async fn colleagues_see_an_edit_before_it_is_stored_and_its_sender_is_not_acknowledged(
    backend: Backend,
) {
    let app = spawn_app(backend).await;
    let (mut a, id) = app.with_inspection("shiqiao-head", "shiqiao", 2027).await;
    let (mut b, _) = app.with_inspection("shiqiao-member", "shiqiao", 2027).await;
    let first = ItemId::from("T1.01");
    let second = ItemId::from("T1.02");
    a.inspection_mut(id)
        .set_metric(&first, Some(1.0), &stamp("shiqiao-head", 1))
        .unwrap();
    assert!(a.wait_acked(id, WAIT).await.unwrap());
    assert!(
        b.wait_for(WAIT, |c| c.inspection(id).metric(&first) == Some(1.0))
            .await
            .unwrap()
    );

    refuse_writes(backend, &app.database_url(), true).await;
    a.inspection_mut(id)
        .set_metric(&second, Some(7.0), &stamp("shiqiao-head", 2))
        .unwrap();
    a.push(id).await.unwrap();
    assert!(
        b.wait_for(WAIT, |c| c.inspection(id).metric(&second) == Some(7.0))
            .await
            .unwrap(),
        "B sees A's edit while the database refuses it"
    );
    assert!(
        !a.wait_acked(id, Duration::from_secs(1)).await.unwrap(),
        "A's unstored edit is not acknowledged"
    );
    a.disconnect();
    a.connect().await.unwrap();
    assert!(
        !a.wait_acked(id, Duration::from_secs(2)).await.unwrap(),
        "nor to A's new connection"
    );

    refuse_writes(backend, &app.database_url(), false).await;
    assert!(
        a.wait_acked(id, WAIT).await.unwrap(),
        "acknowledged once stored"
    );
    let stored = app.stored_inspection("shiqiao", 2027).await.unwrap();
    assert_eq!(stored.metric(&second), Some(7.0));
    app.stop().await;
}
both!(colleagues_see_an_edit_before_it_is_stored_and_its_sender_is_not_acknowledged);

/// Holds the database's write lock from outside until the returned connection commits: the server's
/// commits wait for it (SQLite's busy timeout is 10 s; PostgreSQL waits as long as the lock is held).
enum Stall {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

impl Stall {
    async fn begin(backend: Backend, url: &str) -> Self {
        match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
                sqlx::raw_sql("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Self::Sqlite(conn)
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
                sqlx::raw_sql("BEGIN; LOCK TABLE doc_chunks IN SHARE MODE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                Self::Postgres(conn)
            }
        }
    }

    async fn release(self) {
        match self {
            Self::Sqlite(mut conn) => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.unwrap();
            }
            Self::Postgres(mut conn) => {
                sqlx::raw_sql("COMMIT").execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// A document's write stuck in a slow commit holds up no edit on its way to the other devices: while it
/// waits, the server goes on applying and forwarding the document's edits (a second user's edit reaches
/// the county reviewer well within SQLite's 10 s busy wait, and on PostgreSQL, where the wait has no end,
/// at all). Only the senders of the unstored changes hear nothing until their changes are stored.
async fn a_stalled_commit_holds_up_no_edit_on_its_way_to_the_others(backend: Backend) {
    let app = spawn_app(backend).await;
    let (mut a, id) = app.with_inspection("shiqiao-head", "shiqiao", 2027).await;
    let (mut b, _) = app.with_inspection("shiqiao-member", "shiqiao", 2027).await;
    let mut reviewer = app.client("reviewer").await;
    reviewer.open(id, Inspection::empty()).await.unwrap();
    let items = first_items(4);
    // Each device's first edit binds its actor while the database is free.
    set_acked(&mut a, id, &items[0], Status::Compliant).await;
    set_acked(&mut b, id, &items[1], Status::Compliant).await;

    let stall = Stall::begin(backend, &app.database_url()).await;
    let seen = |item: &ItemId| {
        let item = item.clone();
        move |c: &SyncClient| c.inspection(id).status(&item) == Some(Status::NonCompliant)
    };
    let (sa, sb) = (a.stamp(), b.stamp());
    a.inspection_mut(id)
        .set_status(&items[2], Some(Status::NonCompliant), &sa)
        .unwrap();
    a.push(id).await.unwrap();
    assert!(
        reviewer.wait_for(WAIT, seen(&items[2])).await.unwrap(),
        "the reviewer sees A's edit while its commit waits"
    );
    b.inspection_mut(id)
        .set_status(&items[3], Some(Status::NonCompliant), &sb)
        .unwrap();
    b.push(id).await.unwrap();
    assert!(
        reviewer
            .wait_for(Duration::from_secs(5), seen(&items[3]))
            .await
            .unwrap(),
        "B's edit is not held up behind A's waiting commit"
    );
    assert!(
        !a.wait_acked(id, Duration::from_millis(500)).await.unwrap(),
        "A's edit is not acknowledged before it is stored"
    );
    assert!(
        !b.wait_acked(id, Duration::from_millis(500)).await.unwrap(),
        "nor B's"
    );

    stall.release().await;
    let (acked_a, acked_b) = tokio::join!(a.wait_acked(id, WAIT), b.wait_acked(id, WAIT));
    assert!(
        acked_a.unwrap() && acked_b.unwrap(),
        "both acknowledged once stored"
    );
    assert!(
        a.wait_for(WAIT, seen(&items[3])).await.unwrap(),
        "and A hears B's edit"
    );
    let stored = app.stored_inspection("shiqiao", 2027).await.unwrap();
    assert_eq!(stored.status(&items[2]), Some(Status::NonCompliant));
    assert_eq!(stored.status(&items[3]), Some(Status::NonCompliant));
    for c in [&a, &b, &reviewer] {
        assert!(
            !c.notices.iter().any(|n| matches!(n, Notice::Closed(..))),
            "no connection was closed: {:?}",
            c.notices
        );
    }
    app.stop().await;
}
both!(a_stalled_commit_holds_up_no_edit_on_its_way_to_the_others);

/// A user who edits faster than a slow database commits still hears acknowledgements while editing: when
/// a write lands with that user's next changes already waiting, the server stores those before it takes
/// more, and answers. (Each chunk insert sleeps 150 ms here, past the 50 ms after which a document's task
/// goes on without its write; without the hold-back the user's next edit was always waiting when a write
/// landed, and nothing was acknowledged until the user stopped.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_editing_faster_than_the_database_commits_is_still_acknowledged() {
    let app = spawn_app(Backend::Postgres).await;
    let (mut a, id) = app.with_inspection("shiqiao-head", "shiqiao", 2027).await;
    let items = first_items(4);
    set_acked(&mut a, id, &items[0], Status::Compliant).await;
    {
        let mut conn = sqlx::PgConnection::connect(&app.database_url())
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE FUNCTION slow() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.15); RETURN NEW; END $$ \
             LANGUAGE plpgsql; \
             CREATE TRIGGER slow BEFORE INSERT ON doc_chunks FOR EACH ROW EXECUTE FUNCTION slow()",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let statuses = [Status::NonCompliant, Status::Partial, Status::Compliant];
    let started = tokio::time::Instant::now();
    let mut most = 0;
    let mut fell = false;
    for round in 0..120 {
        let stamp = a.stamp();
        a.inspection_mut(id)
            .set_status(
                &items[1 + round % 3],
                Some(statuses[round % statuses.len()]),
                &stamp,
            )
            .unwrap();
        a.push(id).await.unwrap();
        a.pump(Duration::from_millis(25)).await.unwrap();
        let waiting = a.unacknowledged(id);
        // Past the first second the count only falls if an acknowledgement came mid-run.
        if started.elapsed() > Duration::from_secs(1) && waiting < most {
            fell = true;
        }
        most = most.max(waiting);
    }
    assert!(
        fell,
        "no acknowledgement while the user kept editing (up to {most} changes waiting)"
    );
    assert!(a.wait_acked(id, WAIT).await.unwrap(), "all acknowledged");
    app.stop().await;
}
