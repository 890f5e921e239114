//! Clients editing one inspection: live, offline, and with random disconnects.

use crate::both;
use crate::helpers::*;
use std::time::Duration;
use zhigai_shared::{Author, ItemId, NewProblem, Stamp, Status, Timestamp};

fn stamp(name: &str) -> Stamp {
    Stamp::new(
        Author::new(format!("u-{name}"), name),
        Timestamp(1_767_225_600_000),
    )
}

async fn two_connected_clients_see_each_others_edits_live(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("shiqiao", 2027);
    let mut a = app.client("shiqiao-head").await;
    let mut b = app.client("shiqiao-member").await;
    a.open(id, genesis_inspection("shiqiao", 2027))
        .await
        .unwrap();
    b.open(id, genesis_inspection("shiqiao", 2027))
        .await
        .unwrap();
    assert!(a.wait_acked(id, WAIT).await.unwrap());
    assert!(b.wait_acked(id, WAIT).await.unwrap());

    let x = ItemId::from("T1.01");
    a.inspection_mut(id)
        .set_status(&x, Some(Status::Compliant), &stamp("shiqiao-head"))
        .unwrap();
    // A keeps its side of the exchange going until the server has the edit (a real device always listens);
    // B does nothing but listen: the edit arrives by itself.
    assert!(a.wait_acked(id, WAIT).await.unwrap());
    assert!(
        b.wait_for(WAIT, |c| c.inspection(id).status(&x)
            == Some(Status::Compliant))
            .await
            .unwrap()
    );

    b.inspection_mut(id)
        .edit_note(&x, 0, 0, "制度文件齐全", &stamp("shiqiao-member"))
        .unwrap();
    assert!(b.wait_acked(id, WAIT).await.unwrap());
    assert!(
        a.wait_for(WAIT, |c| c.inspection(id).item(&x).unwrap().note
            == "制度文件齐全")
            .await
            .unwrap()
    );
    a.wait_acked(id, WAIT).await.unwrap();
    b.wait_acked(id, WAIT).await.unwrap();
    assert_eq!(a.inspection(id).view(), b.inspection(id).view());
    let stored = app.stored_inspection("shiqiao", 2027).await.unwrap();
    assert_eq!(stored.view(), a.inspection(id).view());
    app.stop().await;
}
both!(two_connected_clients_see_each_others_edits_live);

async fn edits_made_while_disconnected_merge_on_reconnect(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("nanhe", 2027);
    let mut online = app.client("nanhe-head").await;
    let mut offline = app.client("nanhe-member").await;
    online
        .open(id, genesis_inspection("nanhe", 2027))
        .await
        .unwrap();
    offline
        .open(id, genesis_inspection("nanhe", 2027))
        .await
        .unwrap();
    offline.wait_acked(id, WAIT).await.unwrap();

    offline.disconnect();
    let x = ItemId::from("T8.02");
    offline
        .inspection_mut(id)
        .set_status(&x, Some(Status::NonCompliant), &stamp("nanhe-member"))
        .unwrap();
    offline
        .inspection_mut(id)
        .add_problem(
            NewProblem {
                item: Some(x.clone()),
                description: "手卫生依从率低".into(),
                ..Default::default()
            },
            &stamp("nanhe-member"),
        )
        .unwrap();
    online
        .inspection_mut(id)
        .set_note(&ItemId::from("T8.01"), "消毒记录完整", &stamp("nanhe-head"))
        .unwrap();
    online.push(id).await.unwrap();
    online.wait_acked(id, WAIT).await.unwrap();

    offline.connect().await.unwrap();
    assert!(offline.wait_acked(id, WAIT).await.unwrap());
    assert!(
        offline
            .wait_for(WAIT, |c| c
                .inspection(id)
                .item(&ItemId::from("T8.01"))
                .unwrap()
                .note
                == "消毒记录完整")
            .await
            .unwrap()
    );
    assert!(
        online
            .wait_for(WAIT, |c| c.inspection(id).problems().len() == 1)
            .await
            .unwrap()
    );
    assert_eq!(online.inspection(id).status(&x), Some(Status::NonCompliant));
    online.wait_acked(id, WAIT).await.unwrap();
    assert_eq!(online.inspection(id).view(), offline.inspection(id).view());
    app.stop().await;
}
both!(edits_made_while_disconnected_merge_on_reconnect);

async fn three_clients_with_random_disconnects_converge(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("xicheng", 2027);
    let mut clients = vec![
        app.client("xicheng-head").await,
        app.client("xicheng-member").await,
        app.client("xicheng-member").await,
    ];
    for c in &mut clients {
        c.open(id, genesis_inspection("xicheng", 2027))
            .await
            .unwrap();
    }
    let items: Vec<ItemId> = zhigai_shared::Template::national()
        .items()
        .take(12)
        .map(|i| i.id.clone())
        .collect();
    let mut seed = 7u64;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        (seed >> 33) % n
    };
    let mut notes = Vec::new();
    for round in 0..40 {
        let who = next(3) as usize;
        let c = &mut clients[who];
        let st = c.stamp();
        match next(4) {
            0 if c.is_connected() => c.disconnect(),
            0 => c.connect().await.unwrap(),
            1 => {
                let text = format!("[{round}]");
                let item = items[next(items.len() as u64) as usize].clone();
                c.inspection_mut(id)
                    .edit_note(&item, 0, 0, &text, &st)
                    .unwrap();
                notes.push(text);
            }
            _ => {
                let item = items[next(items.len() as u64) as usize].clone();
                let status = Status::ALL[next(4) as usize];
                c.inspection_mut(id)
                    .set_status(&item, Some(status), &st)
                    .unwrap();
            }
        }
        c.push(id).await.unwrap();
        for c in &mut clients {
            c.pump(Duration::from_millis(5)).await.unwrap();
        }
    }
    for c in &mut clients {
        if !c.is_connected() {
            c.connect().await.unwrap();
        }
    }
    // Everyone settles: the server has all, and everyone has the server's.
    for _ in 0..3 {
        for c in &mut clients {
            assert!(c.wait_acked(id, WAIT).await.unwrap());
            c.pump(Duration::from_millis(100)).await.unwrap();
        }
    }
    let view = clients[0].inspection(id).view();
    for c in &clients[1..] {
        assert_eq!(c.inspection(id).view(), view);
    }
    let all_notes: String = view.items.values().map(|i| i.note.clone()).collect();
    for text in notes {
        assert!(all_notes.contains(&text), "{text} was lost");
    }
    assert_eq!(
        app.stored_inspection("xicheng", 2027).await.unwrap().view(),
        view
    );
    app.stop().await;
}
both!(three_clients_with_random_disconnects_converge);

async fn storage_compacts_many_small_changes_into_one_snapshot(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("beipo", 2028);
    let mut client = app.client("beipo-member").await;
    client
        .open(id, genesis_inspection("beipo", 2028))
        .await
        .unwrap();
    let item = ItemId::from("T2.02");
    for n in 0..130 {
        client
            .inspection_mut(id)
            .edit_note(&item, 0, 0, "字", &stamp("beipo-member"))
            .unwrap();
        // One acknowledged change per round trip: one stored chunk each.
        assert!(client.wait_acked(id, WAIT).await.unwrap(), "edit {n}");
    }
    assert!(client.wait_acked(id, WAIT).await.unwrap());
    let parts = app
        .store
        .fetch_document(&id.to_string())
        .await
        .unwrap()
        .unwrap();
    assert!(
        parts.len() < 60,
        "{} stored parts: storage was not compacted",
        parts.len()
    );
    let stored = app.stored_inspection("beipo", 2028).await.unwrap();
    assert_eq!(stored.item(&item).unwrap().note.chars().count(), 130);
    assert_eq!(stored.view(), client.inspection(id).view());
    app.stop().await;
}
both!(storage_compacts_many_small_changes_into_one_snapshot);

async fn idle_documents_leave_memory_and_shutdown_closes_them(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.idle_seconds = 1).await;
    let id = inspection_id("zhaocun", 2027);
    let mut client = app.client("zhaocun-head").await;
    client
        .open(id, genesis_inspection("zhaocun", 2027))
        .await
        .unwrap();
    client
        .inspection_mut(id)
        .set_status(
            &ItemId::from("T1.01"),
            Some(Status::Compliant),
            &stamp("zhaocun-head"),
        )
        .unwrap();
    assert!(client.wait_acked(id, WAIT).await.unwrap());
    assert_eq!(app.hub.open_documents(), 1);
    client.disconnect();
    let evicted = async {
        while app.hub.open_documents() > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    assert!(
        tokio::time::timeout(Duration::from_secs(10), evicted)
            .await
            .is_ok(),
        "the idle document stayed in memory"
    );

    // A stop closes the connections and waits for every open document's task to end.
    client.connect().await.unwrap();
    client
        .inspection_mut(id)
        .set_status(
            &ItemId::from("T1.02"),
            Some(Status::Partial),
            &stamp("zhaocun-head"),
        )
        .unwrap();
    assert!(client.wait_acked(id, WAIT).await.unwrap());
    assert_eq!(app.hub.open_documents(), 1);
    let hub = app.hub.clone();
    app.stop().await;
    assert_eq!(hub.open_documents(), 0);
    client.pump(Duration::from_millis(500)).await.unwrap();
    assert!(
        client
            .notices
            .iter()
            .any(|n| matches!(n, zhigai_server::client::Notice::Closed(Some(1001), _))),
        "clients are told the server is going away: {:?}",
        client.notices
    );
}
both!(idle_documents_leave_memory_and_shutdown_closes_them);

// A document compacts inside its writes' transactions: the chunks never pile up, every acknowledged edit of
// both writers is in what the database holds, and the summary rows written in the same transactions agree.
async fn compaction_rides_on_the_writes_and_loses_nothing(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.compact_after = 2;
        s.compact_growth_percent = 0;
    })
    .await;
    let (mut head, id) = app.with_inspection("liuhe-head", "liuhe", 2026).await;
    let (mut member, _) = app.with_inspection("liuhe-member", "liuhe", 2026).await;
    let items = first_items(30);
    for (n, item) in items.iter().enumerate() {
        let client = if n % 2 == 0 { &mut head } else { &mut member };
        set_acked(client, id, item, Status::Compliant).await;
    }
    let stored = app.stored_parts(id).await;
    assert!(
        stored.generation >= 8,
        "compacted {} times",
        stored.generation
    );
    assert!(
        stored.chunk_ids.len() <= 3,
        "{} chunks",
        stored.chunk_ids.len()
    );
    let doc = app.stored_inspection("liuhe", 2026).await.unwrap();
    for item in &items {
        assert_eq!(doc.status(item), Some(Status::Compliant), "{item} lost");
    }
    let row = app.summary_row("liuhe", 2026).await;
    let facility = app.facility("liuhe").await;
    let zhigai_server::db::DerivedRows::Inspection(derived) =
        zhigai_server::docs::Stored::derived(&doc, &facility)
    else {
        panic!("an inspection's rows")
    };
    assert_eq!(row.answered, i64::from(derived.summary.answered));
    assert_eq!(row.areas, derived.summary.areas);
    app.stop().await;
}
both!(compaction_rides_on_the_writes_and_loses_nothing);

// A compaction saves the whole document, so a long history compacts only after its chunks grew to the
// snapshot's size (the default 100 %), not every `compact_after` chunks: a big document is not saved over
// and over for a few small edits, storage stays within about twice the compact size, and nothing is lost.
async fn a_big_document_compacts_after_growing_by_its_own_size(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.compact_after = 2).await;
    let (mut head, id) = app.with_inspection("liuhe-head", "liuhe", 2026).await;
    let items = first_items(40);
    let (mut held_back, mut edits) = (false, 0usize);
    // The chunk and snapshot bytes stored after the last write that did not compact again.
    let mut before_compaction = (0usize, 0usize);
    let mut last = Vec::new();
    for round in 0..40 {
        for item in &items {
            let status = Status::ALL[(round + edits) % Status::ALL.len()];
            set_acked(&mut head, id, item, status).await;
            last.push((item.clone(), status));
            edits += 1;
            let stored = app.stored_parts(id).await;
            let snapshot = stored.parts[0].len();
            let chunks: Vec<usize> = stored.parts[1..].iter().map(Vec::len).collect();
            if stored.generation == 1 {
                // Without a snapshot the document compacted after `compact_after` chunks; with one, the
                // chunks before the latest (what the last write saw) stayed under the snapshot's size.
                let before_last: usize = chunks[..chunks.len() - 1].iter().sum();
                assert!(
                    before_last < snapshot,
                    "{before_last} chunk bytes over a {snapshot}-byte snapshot did not compact"
                );
                held_back |= chunks.len() > 2;
                before_compaction = (chunks.iter().sum(), snapshot);
            }
            if stored.generation >= 2 {
                let (chunk_bytes, snapshot) = before_compaction;
                assert!(
                    chunk_bytes >= snapshot,
                    "compacted again with {chunk_bytes} chunk bytes over a {snapshot}-byte snapshot"
                );
                break;
            }
        }
        if app.stored_parts(id).await.generation >= 2 {
            break;
        }
    }
    let stored = app.stored_parts(id).await;
    assert!(
        held_back,
        "more than compact_after chunks waited for the growth"
    );
    assert_eq!(stored.generation, 2, "compacted again after {edits} edits");
    let doc = app.stored_inspection("liuhe", 2026).await.unwrap();
    let mut expected = std::collections::HashMap::new();
    for (item, status) in last {
        expected.insert(item, status);
    }
    for (item, status) in expected {
        assert_eq!(doc.status(&item), Some(status), "{item} lost");
    }
    app.stop().await;
}
both!(a_big_document_compacts_after_growing_by_its_own_size);

// Near its size limit a document compacts every `compact_after` chunks again: the chunks' overhead must not
// get edits refused that a compact document has room for.
async fn a_document_near_its_size_limit_compacts_without_waiting_for_growth(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.compact_after = 2;
        s.max_doc_bytes = 12_000;
    })
    .await;
    let (mut head, id) = app.with_inspection("liuhe-head", "liuhe", 2026).await;
    let items = first_items(30);
    for item in &items {
        set_acked(&mut head, id, item, Status::Compliant).await;
        let stored = app.stored_parts(id).await;
        let (snapshot, chunks) = (
            stored.parts[0].len(),
            stored.parts[1..].iter().map(Vec::len).sum::<usize>(),
        );
        assert!(
            snapshot == 0 || chunks < snapshot,
            "{chunks} chunk bytes piled up over a {snapshot}-byte snapshot near the limit"
        );
    }
    assert!(app.stored_parts(id).await.generation >= 5);
    let doc = app.stored_inspection("liuhe", 2026).await.unwrap();
    for item in &items {
        assert_eq!(doc.status(item), Some(Status::Compliant), "{item} lost");
    }
    app.stop().await;
}
both!(a_document_near_its_size_limit_compacts_without_waiting_for_growth);
