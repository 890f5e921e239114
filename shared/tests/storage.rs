//! Saving and loading: round trips keep everything; damaged or foreign bytes give an error, never a panic.

mod common;

use common::{li, new_inspection, wang};
use proptest::prelude::*;
use zhigai_shared::Document;
use zhigai_shared::{
    DocError, FacilityId, Inspection, ItemId, NewProblem, Review, Status, SyncState,
};

fn filled() -> Inspection {
    let mut doc = new_inspection();
    doc.set_status(&ItemId::from("T1.01"), Some(Status::Compliant), &wang())
        .unwrap();
    doc.set_metric(&ItemId::from("T5.01"), Some(92.5), &wang())
        .unwrap();
    doc.edit_note(&ItemId::from("T1.01"), 0, 0, "会议纪要齐全", &li())
        .unwrap();
    doc.add_problem(
        NewProblem {
            description: "未定期召开专题会议".into(),
            ..Default::default()
        },
        &li(),
    )
    .unwrap();
    doc
}

#[test]
fn save_and_load_round_trip_to_an_equal_document() {
    let mut doc = filled();
    let bytes = doc.save();
    let loaded = Inspection::load(&bytes).unwrap();
    assert_eq!(loaded.view(), doc.view());
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(loaded.full_history(), doc.full_history());
}

#[test]
fn incremental_chunks_after_a_snapshot_rebuild_the_document() {
    let mut doc = new_inspection();
    let mut stored = doc.save();
    let mut chunks = Vec::new();
    for (i, item) in ["T2.01", "T2.02", "T2.03"].iter().enumerate() {
        doc.set_status(&ItemId::from(*item), Some(Status::ALL[i]), &wang())
            .unwrap();
        chunks.push(doc.save_incremental());
    }
    assert!(chunks.iter().all(|c| !c.is_empty()));
    assert!(
        doc.save_incremental().is_empty(),
        "nothing new, nothing to write"
    );
    // Snapshot followed by the chunks, as storage holds them.
    for chunk in &chunks {
        stored.extend_from_slice(chunk);
    }
    let loaded = Inspection::load(&stored).unwrap();
    assert_eq!(loaded.view(), doc.view());
    // The same chunks applied one by one to the snapshot.
    let mut replay = Inspection::load(&new_inspection().save()).unwrap();
    for chunk in &chunks {
        replay.load_incremental(chunk).unwrap();
    }
    assert_eq!(replay.view(), doc.view());
}

#[test]
fn a_review_is_not_an_inspection() {
    let mut review = Review::create(&FacilityId::from("fac-001"), 2026).unwrap();
    let err = Inspection::load(&review.save()).unwrap_err();
    assert!(matches!(err, DocError::WrongKind { .. }), "{err}");
    let mut inspection = new_inspection();
    assert!(matches!(
        Review::load(&inspection.save()),
        Err(DocError::WrongKind { .. })
    ));
}

#[test]
fn empty_and_garbage_bytes_are_refused() {
    assert!(matches!(Inspection::load(b""), Err(DocError::Corrupt(_))));
    let err = Inspection::load(b"not an automerge document").unwrap_err();
    assert!(matches!(err, DocError::Corrupt(_)));
    assert!(err.to_string().contains("damaged"));
}

#[test]
fn a_bad_sync_message_is_refused_and_changes_nothing() {
    let mut doc = filled();
    let heads = doc.heads();
    let mut state = SyncState::new();
    let err = doc
        .receive_sync_message(&mut state, &[0x42, 0x00, 0xff, 0x13])
        .unwrap_err();
    assert!(matches!(err, DocError::BadSyncMessage(_)));
    assert_eq!(doc.heads(), heads);
    assert!(SyncState::decode(&[0xde, 0xad]).is_err());
}

#[test]
fn sync_state_survives_encoding_so_a_returning_peer_resumes() {
    let mut a = filled();
    let mut b = new_inspection();
    common::sync_pair(&mut a, &mut b);
    let mut state = SyncState::new();
    while let Some(m) = a.generate_sync_message(&mut state) {
        let mut other = SyncState::new();
        b.receive_sync_message(&mut other, &m).unwrap();
        match b.generate_sync_message(&mut other) {
            Some(reply) => a.receive_sync_message(&mut state, &reply).unwrap(),
            None => break,
        }
    }
    let restored = SyncState::decode(&state.encode()).unwrap();
    assert_eq!(restored.encode(), state.encode());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn truncated_saves_are_refused(cut in 1usize..10_000) {
        let bytes = filled().save();
        let cut = cut % bytes.len();
        prop_assume!(cut > 0);
        prop_assert!(Inspection::load(&bytes[..cut]).is_err());
        prop_assert!(Review::load(&bytes[..cut]).is_err());
    }

    #[test]
    fn random_bytes_are_refused(bytes in proptest::collection::vec(any::<u8>(), 1..512)) {
        prop_assert!(Inspection::load(&bytes).is_err());
        let mut doc = new_inspection();
        let heads = doc.heads();
        prop_assert!(doc.load_incremental(&bytes).is_err() || doc.heads() == heads);
        prop_assert!(doc.receive_sync_message(&mut SyncState::new(), &bytes).is_err() || doc.heads() == heads);
    }

    #[test]
    fn corrupted_saves_are_refused(pos in any::<usize>(), flip in 1u8..=255) {
        let mut bytes = filled().save();
        let pos = pos % bytes.len();
        bytes[pos] ^= flip;
        // A flipped byte is caught by the checksum, or at worst yields a readable document: never a panic.
        if let Ok(doc) = Inspection::load(&bytes) {
            let _ = doc.view();
        }
    }
}

/// The sync guard reads real automerge messages as automerge does: the hashes it computes are the
/// changes' hashes, and their dependencies are the changes' dependencies.
#[test]
fn the_sync_guard_reads_real_messages_with_the_right_hashes() {
    use zhigai_shared::sync::guard::{Limits, inspect};
    use zhigai_shared::{
        Author, FacilityId, Inspection, ItemId, Stamp, Status, SyncState, Template, Timestamp,
    };
    let mut genesis =
        Inspection::create(&FacilityId::from("f"), 2026, Template::national()).unwrap();
    // Enough shared history that two new changes travel as changes, not as a whole document.
    let earlier = Stamp::new(Author::new("u-0", "李护士"), Timestamp(0));
    for item in Template::national().items().take(12) {
        genesis
            .set_status(&item.id, Some(Status::Partial), &earlier)
            .unwrap();
    }
    let mut device = genesis.fork();
    let stamp = Stamp::new(Author::new("u-1", "王医生"), Timestamp(0));
    device
        .set_status(&ItemId::from("T1.01"), Some(Status::Compliant), &stamp)
        .unwrap();
    device
        .edit_note(&ItemId::from("T1.01"), 0, 0, "制度齐全", &stamp)
        .unwrap();
    let mut server = genesis.fork();
    let (mut to_server, mut to_device) = (SyncState::new(), SyncState::new());
    let mut seen = 0;
    for _ in 0..6 {
        if let Some(m) = device.generate_sync_message(&mut to_server) {
            let inspected = inspect(&m, &Limits::default()).expect("a real message passes");
            for change in &inspected.changes {
                assert!(
                    device.has_change(&change.hash),
                    "a hash the device does not know"
                );
                assert!(change.deps.iter().all(|d| device.has_change(d)));
                assert!(change.message.contains("u-1"));
                seen += 1;
            }
            assert!(inspected.documents.is_empty());
            server.receive_sync_message(&mut to_device, &m).unwrap();
        }
        if let Some(m) = server.generate_sync_message(&mut to_device) {
            inspect(&m, &Limits::default()).expect("a real message passes");
            device.receive_sync_message(&mut to_server, &m).unwrap();
        }
    }
    assert!(
        seen >= 2,
        "the device's two changes were never read ({seen})"
    );
    assert_eq!(server.heads(), device.heads());
}
