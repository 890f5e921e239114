//! The permission matrix: role × level × document kind × read/write, plus other facilities, communities,
//! counties and cities. Refused writes are not applied, not stored, not forwarded; the connection carries on.

use crate::both;
use crate::helpers::*;
use zhigai_server::client::{Notice, SyncClient};
use zhigai_shared::Document;
use zhigai_shared::sync::{DocKind, DocumentId};
use zhigai_shared::{Author, Inspection, ItemId, Review, Stamp, Status, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    None,
    Read,
    Write,
}

/// User, facility, its inspection, its review ("write" on a review: a comment). liuhe is a township
/// centre of the gc-east medical community in demo-county (demo-city, demo-province); wangzhuang is a
/// village clinic it guides.
const MATRIX: &[(&str, &str, Expect, Expect)] = &[
    ("liuhe-member", "liuhe", Expect::Write, Expect::Read),
    ("liuhe-head", "liuhe", Expect::Write, Expect::Read),
    ("reviewer", "liuhe", Expect::Read, Expect::Write),
    ("admin", "liuhe", Expect::Read, Expect::Read),
    ("shiqiao-member", "liuhe", Expect::None, Expect::None),
    ("other-reviewer", "liuhe", Expect::None, Expect::None),
    ("other-head", "liuhe", Expect::None, Expect::None),
    // The levels: the medical community, the city's QC centre, the province, another district.
    ("gc-east-reviewer", "liuhe", Expect::Read, Expect::Write),
    ("gc-west-reviewer", "liuhe", Expect::None, Expect::None),
    ("city-reviewer", "liuhe", Expect::Read, Expect::Write),
    ("province-viewer", "liuhe", Expect::Read, Expect::Read),
    ("district-reviewer", "liuhe", Expect::None, Expect::None),
    // The township head guides its village clinic: reads it, comments on it; its members do not.
    ("liuhe-head", "wangzhuang", Expect::Read, Expect::Write),
    ("liuhe-member", "wangzhuang", Expect::None, Expect::None),
    ("shiqiao-head", "wangzhuang", Expect::None, Expect::None),
    ("wangzhuang-head", "liuhe", Expect::None, Expect::None),
];

fn stamp(user: &str) -> Stamp {
    Stamp::new(
        Author::new(format!("u-{user}"), user),
        Timestamp(1_767_225_600_000),
    )
}

async fn check(app: &TestApp, user: &str, facility: &str, kind: DocKind, expect: Expect) {
    let id = DocumentId::for_doc(kind, &zhigai_shared::FacilityId::from(facility), 2026);
    let mut client: SyncClient = app.client(user).await;
    match kind {
        DocKind::Inspection => client.open(id, Inspection::empty()).await.unwrap(),
        DocKind::Review => client.open(id, Review::empty()).await.unwrap(),
    }
    let readable = client
        .wait_for(WAIT, |c| {
            c.notices.contains(&Notice::Unavailable(id))
                || match kind {
                    DocKind::Inspection => c.inspection(id).facility().is_some(),
                    DocKind::Review => c.review(id).view().facility.is_some(),
                }
        })
        .await
        .unwrap();
    assert!(readable, "{user}: no answer for {kind:?}");
    let can_read = !client.notices.contains(&Notice::Unavailable(id));
    assert_eq!(
        can_read,
        expect != Expect::None,
        "{user} reading the {kind:?} of {facility}"
    );

    // Now try to change it (a user who cannot read it edits the skeleton every device can build).
    let marker = format!("{user} 写入");
    let item = ItemId::from("T2.02");
    if !can_read {
        match kind {
            DocKind::Inspection => client.open(id, genesis_inspection(facility, 2026)).await,
            DocKind::Review => client.open(id, genesis_review(facility, 2026)).await,
        }
        .unwrap();
    }
    match kind {
        DocKind::Inspection => client
            .inspection_mut(id)
            .set_note(&item, &marker, &stamp(user))
            .unwrap(),
        DocKind::Review => {
            client
                .review_mut(id)
                .add_comment(&item, &marker, &stamp(user))
                .unwrap();
        }
    }
    client.notices.clear();
    // A permitted write is waited for as long as any; a refused one gets a few seconds to prove it never lands.
    let patience = if expect == Expect::Write {
        WAIT
    } else {
        std::time::Duration::from_secs(3)
    };
    let acked = client.wait_acked(id, patience).await.unwrap();
    let stored_has_marker = match kind {
        DocKind::Inspection => app
            .stored_inspection(facility, 2026)
            .await
            .and_then(|i| i.item(&item))
            .is_some_and(|i| i.note.contains(&marker)),
        DocKind::Review => app
            .stored_review(facility, 2026)
            .await
            .map(|r| r.comments().iter().any(|c| c.text == marker))
            .unwrap_or(false),
    };
    match expect {
        Expect::Write => {
            assert!(
                acked,
                "{user} writing the {kind:?} of {facility} was not acknowledged"
            );
            assert!(
                stored_has_marker,
                "{user}'s write to the {kind:?} was not stored"
            );
        }
        Expect::Read => {
            assert!(!acked, "{user} may only read the {kind:?}");
            assert!(
                !stored_has_marker,
                "{user}'s refused write to the {kind:?} was stored"
            );
            assert!(
                client
                    .notices
                    .iter()
                    .any(|n| matches!(n, Notice::Error(m) if m.contains("read"))),
                "{user}: {:?}",
                client.notices
            );
            assert!(
                client.is_connected(),
                "a refused write must not end the connection"
            );
        }
        Expect::None => {
            assert!(!acked);
            assert!(
                !stored_has_marker,
                "{user} wrote to a document they cannot see"
            );
            assert!(client.notices.contains(&Notice::Unavailable(id)));
            assert!(client.is_connected());
        }
    }
}

async fn the_permission_matrix_holds_for_every_role_and_document(backend: Backend) {
    let app = spawn_app(backend).await;
    for (user, facility, inspection, review) in MATRIX {
        check(&app, user, facility, DocKind::Inspection, *inspection).await;
        check(&app, user, facility, DocKind::Review, *review).await;
    }
    app.stop().await;
}
both!(the_permission_matrix_holds_for_every_role_and_document);

async fn a_refused_write_is_not_forwarded_to_other_peers(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = inspection_id("liuhe", 2026);
    let mut staff = app.client("liuhe-member").await;
    staff.open(id, Inspection::empty()).await.unwrap();
    assert!(
        staff
            .wait_for(WAIT, |c| c.inspection(id).facility().is_some())
            .await
            .unwrap()
    );
    let mut reviewer = app.client("reviewer").await;
    reviewer.open(id, Inspection::empty()).await.unwrap();
    assert!(
        reviewer
            .wait_for(WAIT, |c| c.inspection(id).facility().is_some())
            .await
            .unwrap()
    );
    let item = ItemId::from("T1.02");
    let before = staff.inspection(id).status(&item);
    reviewer
        .inspection_mut(id)
        .set_status(&item, Some(Status::NotApplicable), &stamp("reviewer"))
        .unwrap();
    reviewer.push(id).await.unwrap();
    // The reviewer's side runs until the server has refused the change…
    let refused = reviewer
        .wait_for(WAIT, |c| {
            c.notices.iter().any(|n| matches!(n, Notice::Error(_)))
        })
        .await
        .unwrap();
    assert!(refused, "the change was never sent and refused");
    // …and the facility's device hears nothing of it.
    staff.pump(std::time::Duration::from_secs(1)).await.unwrap();
    assert_eq!(
        staff.inspection(id).status(&item),
        before,
        "the refused change reached another peer"
    );
    // The facility keeps syncing normally.
    staff
        .inspection_mut(id)
        .set_status(&item, Some(Status::Compliant), &stamp("liuhe-member"))
        .unwrap();
    assert!(staff.wait_acked(id, WAIT).await.unwrap());
    app.stop().await;
}
both!(a_refused_write_is_not_forwarded_to_other_peers);
