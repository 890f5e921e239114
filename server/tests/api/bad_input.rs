//! Bad input on the sync socket: each gets a clear error or close reason, nothing is stored, and other
//! clients keep syncing.

use crate::both;
use crate::helpers::*;
use tokio_tungstenite::tungstenite::Message;
use zhigai_server::client::{Notice, SyncClient};
use zhigai_shared::Document;
use zhigai_shared::sync::{self, DocumentId, RepoMessage};
use zhigai_shared::{Author, ItemId, Stamp, Status, Timestamp};

async fn closed_with(client: &mut SyncClient) -> Option<(Option<u16>, String)> {
    client.wait_for(WAIT, |c| !c.is_connected()).await.unwrap();
    client.notices.iter().find_map(|n| match n {
        Notice::Closed(code, reason) => Some((*code, reason.clone())),
        _ => None,
    })
}

fn errors(client: &SyncClient) -> Vec<String> {
    client
        .notices
        .iter()
        .filter_map(|n| {
            if let Notice::Error(m) = n {
                Some(m.clone())
            } else {
                None
            }
        })
        .collect()
}

async fn malformed_frames_are_refused_and_others_keep_syncing(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.max_frame_bytes = 64 * 1024).await;
    let id = inspection_id("dongguan", 2027);
    let mut good = app.client("dongguan-head").await;
    good.open(id, genesis_inspection("dongguan", 2027))
        .await
        .unwrap();
    assert!(good.wait_acked(id, WAIT).await.unwrap());

    // Not CBOR.
    let mut bad = app.client("dongguan-member").await;
    bad.send_raw(Message::Binary(b"\xff\xfe not cbor".to_vec().into()))
        .await
        .unwrap();
    let (code, reason) = closed_with(&mut bad).await.expect("closed");
    assert_eq!(code, Some(1002));
    assert!(reason.contains("automerge-repo"), "{reason}");
    assert!(errors(&bad).iter().any(|e| e.contains("无法识别")));

    // CBOR, but an unknown message type.
    let mut bad = app.client("dongguan-member").await;
    let mut frame = Vec::new();
    ciborium::into_writer(
        &ciborium::Value::Map(vec![
            ("type".into(), "teleport".into()),
            ("senderId".into(), "x".into()),
        ]),
        &mut frame,
    )
    .unwrap();
    bad.send_raw(Message::Binary(frame.into())).await.unwrap();
    assert_eq!(closed_with(&mut bad).await.unwrap().0, Some(1002));

    // Text frames.
    let mut bad = app.client("dongguan-member").await;
    bad.send_raw(Message::Text("{\"type\":\"sync\"}".into()))
        .await
        .unwrap();
    assert_eq!(closed_with(&mut bad).await.unwrap().0, Some(1003));

    // A frame over the size limit.
    let mut bad = app.client("dongguan-member").await;
    bad.send_raw(Message::Binary(vec![0u8; 200 * 1024].into()))
        .await
        .unwrap();
    let closed = closed_with(&mut bad).await;
    assert!(
        matches!(closed, Some((Some(1009), _)) | Some((None, _))),
        "{closed:?}"
    );

    // Corrupt Automerge data inside a well-formed message: an error, the connection stays.
    let mut bad = app.client("dongguan-member").await;
    let corrupt = RepoMessage::Sync {
        sender_id: "bad".into(),
        target_id: "server".into(),
        document_id: id,
        data: vec![0x42, 0x13, 0x00, 0xff, 0x01],
    };
    bad.send_raw(Message::Binary(sync::encode(&corrupt).into()))
        .await
        .unwrap();
    assert!(bad.wait_for(WAIT, |c| !errors(c).is_empty()).await.unwrap());
    assert!(bad.is_connected());
    // Truncated sync data: the start of a real message.
    let mut doc = zhigai_shared::Inspection::create(
        &zhigai_shared::FacilityId::from("dongguan"),
        2027,
        zhigai_shared::Template::national(),
    )
    .unwrap();
    doc.set_status(
        &ItemId::from("T1.01"),
        Some(Status::Partial),
        &Stamp::new(Author::new("u", "x"), Timestamp(0)),
    )
    .unwrap();
    let full = doc
        .generate_sync_message(&mut zhigai_shared::SyncState::new())
        .unwrap();
    let truncated = RepoMessage::Sync {
        sender_id: "bad".into(),
        target_id: "s".into(),
        document_id: id,
        data: full[..full.len() / 2].to_vec(),
    };
    bad.notices.clear();
    bad.send_raw(Message::Binary(sync::encode(&truncated).into()))
        .await
        .unwrap();
    assert!(bad.wait_for(WAIT, |c| !errors(c).is_empty()).await.unwrap());

    // Guessed document ids are simply unavailable.
    let guessed: DocumentId = DocumentId::for_doc(
        zhigai_shared::sync::DocKind::Inspection,
        &zhigai_shared::FacilityId::from("no-such-place"),
        2026,
    );
    bad.open(guessed, genesis_inspection("no-such-place", 2026))
        .await
        .unwrap();
    assert!(
        bad.wait_for(WAIT, |c| c.notices.contains(&Notice::Unavailable(guessed)))
            .await
            .unwrap()
    );

    // The good client still syncs; nothing of the bad input was stored.
    good.inspection_mut(id)
        .set_status(
            &ItemId::from("T1.02"),
            Some(Status::Compliant),
            &Stamp::new(Author::new("u-dongguan-head", "陈院长"), Timestamp(0)),
        )
        .unwrap();
    assert!(good.wait_acked(id, WAIT).await.unwrap());
    let stored = app.stored_inspection("dongguan", 2027).await.unwrap();
    assert_eq!(
        stored.status(&ItemId::from("T1.02")),
        Some(Status::Compliant)
    );
    assert_eq!(
        stored.status(&ItemId::from("T1.01")),
        None,
        "the truncated message's change was not stored"
    );
    assert!(
        app.store
            .fetch_document(&guessed.to_string())
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}
both!(malformed_frames_are_refused_and_others_keep_syncing);

async fn messages_before_join_or_with_an_unknown_version_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let client = SyncClient::login(&app.base, "liuhe-member", PASSWORD)
        .await
        .unwrap();
    let ticket = client.ticket().await.unwrap();
    let url = format!(
        "{}/api/sync?ticket={ticket}",
        app.base.replacen("http", "ws", 1)
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    let join = RepoMessage::Join {
        sender_id: "old".into(),
        peer_metadata: Default::default(),
        supported_protocol_versions: vec!["0".into()],
    };
    socket
        .send(Message::Binary(sync::encode(&join).into()))
        .await
        .unwrap();
    let mut saw_error = false;
    while let Some(Ok(message)) = socket.next().await {
        match message {
            Message::Binary(frame) => {
                saw_error |= matches!(sync::decode(&frame), Ok(RepoMessage::Error { .. }))
            }
            Message::Close(frame) => {
                assert_eq!(frame.map(|f| u16::from(f.code)), Some(1002));
                break;
            }
            _ => {}
        }
    }
    assert!(saw_error);
    app.stop().await;
}
both!(messages_before_join_or_with_an_unknown_version_are_refused);

/// A document the server cannot read (damaged storage) is refused with a fixed bilingual message: the
/// database's or automerge's words stay in the server's log.
async fn an_unreadable_document_gets_a_fixed_message_without_internal_detail(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("liuhe", 2027);
    let facility = app.facility("liuhe").await;
    let derived =
        zhigai_server::docs::Stored::derived(&genesis_inspection("liuhe", 2027), &facility);
    app.store
        .append_document(&zhigai_server::db::DocWrite {
            doc_id: id.to_string(),
            kind: "inspection".into(),
            facility_id: "liuhe".into(),
            year: 2027,
            chunk: b"\x85\x6f\x4a\x83 not an automerge chunk".to_vec(),
            derived,
            previous: None,
            now: 1,
            compact: None,
        })
        .await
        .unwrap();
    let mut client = app.client("liuhe-head").await;
    client
        .open(id, genesis_inspection("liuhe", 2027))
        .await
        .unwrap();
    assert!(
        client
            .wait_for(WAIT, |c| !errors(c).is_empty())
            .await
            .unwrap()
    );
    let said = errors(&client).join(" | ");
    assert!(
        said.contains("无法打开此文档") && said.contains("cannot open this document"),
        "{said}"
    );
    for internal in ["automerge", "sqlx", "chunk", "loading", "database"] {
        assert!(
            !said.to_lowercase().contains(internal),
            "leaked {internal:?}: {said}"
        );
    }
    // The server keeps serving other documents.
    let other = inspection_id("liuhe", 2026);
    client
        .open(other, genesis_inspection("liuhe", 2026))
        .await
        .unwrap();
    assert!(client.wait_acked(other, WAIT).await.unwrap());
    app.stop().await;
}
both!(an_unreadable_document_gets_a_fixed_message_without_internal_detail);
