//! Photo references in the inspection: two devices attach photos offline and both survive the merge; a
//! caption and a removal merge too; bad references are refused or left out; the guard holds photo
//! references to the editing right.

mod common;

use common::{li, new_inspection, sync_pair, wang, writer};
use zhigai_shared::access::Rights;
use zhigai_shared::doc::NewPhoto;
use zhigai_shared::photo::{
    ImageType, MAX_PHOTOS_PER_SUBJECT, PhotoHash, PhotoPhase, PhotoSubject,
};
use zhigai_shared::{DocError, Document, ItemId, NewProblem, Refusal};

fn photo(bytes: &[u8], caption: &str) -> NewPhoto {
    NewPhoto {
        hash: PhotoHash::of(bytes),
        size: bytes.len() as u64,
        mime: ImageType::Jpeg,
        caption: caption.to_owned(),
        location: None,
    }
}

fn item(id: &str) -> PhotoSubject {
    PhotoSubject::Item {
        item: ItemId::from(id),
    }
}

#[test]
fn photos_taken_offline_on_two_devices_both_survive_the_merge() {
    let mut a = new_inspection();
    let mut b = a.fork();
    let first = a
        .add_photo(item("T5.04"), photo(b"cabinet", "药柜已上锁"), &wang())
        .unwrap();
    let second = b
        .add_photo(item("T5.04"), photo(b"register", "登记本"), &li())
        .unwrap();
    sync_pair(&mut a, &mut b);
    for doc in [&a, &b] {
        let photos = doc.photos_of(&item("T5.04"));
        let ids: Vec<_> = photos.iter().map(|p| p.id.clone()).collect();
        assert_eq!(photos.len(), 2, "both photos, on both devices");
        assert!(ids.contains(&first) && ids.contains(&second));
        let wangs = photos.iter().find(|p| p.id == first).unwrap();
        assert_eq!(wangs.hash, PhotoHash::of(b"cabinet"));
        assert_eq!(wangs.caption, "药柜已上锁");
        assert_eq!(wangs.by.as_ref().unwrap().name, "王医生");
        assert_eq!(wangs.mime, ImageType::Jpeg);
        assert_eq!(wangs.size, 7);
    }
    // A caption changed on one side and the other photo removed on the other: both land.
    a.caption_photo(&first, "药柜已上锁（西药房）", &wang())
        .unwrap();
    b.remove_photo(&second, &li()).unwrap();
    sync_pair(&mut a, &mut b);
    for doc in [&a, &b] {
        let photos = doc.photos();
        assert_eq!(photos.len(), 1);
        assert_eq!(photos[0].caption, "药柜已上锁（西药房）");
    }
    let history = a.history("T5.04");
    assert!(
        history
            .iter()
            .any(|h| h.op == zhigai_shared::Op::RemovePhoto)
    );
}

#[test]
fn a_problem_has_photos_before_and_after_rectification() {
    let mut doc = new_inspection();
    let problem = doc
        .add_problem(
            NewProblem {
                description: "利器盒未封口".to_owned(),
                ..NewProblem::default()
            },
            &wang(),
        )
        .unwrap();
    let before = PhotoSubject::Problem {
        problem: problem.clone(),
        phase: PhotoPhase::Before,
    };
    let after = PhotoSubject::Problem {
        problem,
        phase: PhotoPhase::After,
    };
    doc.add_photo(before.clone(), photo(b"open", ""), &wang())
        .unwrap();
    doc.add_photo(after.clone(), photo(b"sealed", "已封口"), &li())
        .unwrap();
    assert_eq!(doc.photos_of(&before)[0].hash, PhotoHash::of(b"open"));
    assert_eq!(doc.photos_of(&after)[0].hash, PhotoHash::of(b"sealed"));
    // The document keeps references only: a photo adds well under a kilobyte, whatever its size.
    let bytes = doc.save().len();
    let mut bigger = doc.fork();
    bigger
        .add_photo(
            after,
            NewPhoto {
                size: 4_000_000,
                ..photo(b"huge", "")
            },
            &li(),
        )
        .unwrap();
    assert!(bigger.save().len() < bytes + 1024);
}

#[test]
fn bad_references_are_refused_at_the_source() {
    let mut doc = new_inspection();
    assert!(matches!(
        doc.add_photo(item("T99.99"), photo(b"x", ""), &wang()),
        Err(DocError::UnknownItem(_))
    ));
    assert!(matches!(
        doc.add_photo(item("T5.04"), photo(b"x", &"长".repeat(201)), &wang()),
        Err(DocError::TooLong { .. })
    ));
    assert!(matches!(
        doc.add_photo(
            item("T5.04"),
            NewPhoto {
                size: 0,
                ..photo(b"x", "")
            },
            &wang()
        ),
        Err(DocError::WrongValue { .. })
    ));
    assert!(matches!(
        doc.add_photo(
            item("T5.04"),
            NewPhoto {
                location: Some((91.0, 0.0)),
                ..photo(b"x", "")
            },
            &wang()
        ),
        Err(DocError::WrongValue { .. })
    ));
    // A place kept by choice reads back (to five decimals, about a metre).
    let kept = doc
        .add_photo(
            item("T5.05"),
            NewPhoto {
                location: Some((39.907_312_3, 116.391_421_9)),
                ..photo(b"x", "")
            },
            &wang(),
        )
        .unwrap();
    let view = doc.photos().into_iter().find(|p| p.id == kept).unwrap();
    assert_eq!(view.location, Some((39.90731, 116.39142)));
    doc.remove_photo(&kept, &wang()).unwrap();
    for n in 0..MAX_PHOTOS_PER_SUBJECT {
        doc.add_photo(
            item("T5.04"),
            photo(format!("p{n}").as_bytes(), ""),
            &wang(),
        )
        .unwrap();
    }
    assert!(
        doc.add_photo(item("T5.04"), photo(b"one more", ""), &wang())
            .is_err(),
        "a subject holds at most {MAX_PHOTOS_PER_SUBJECT} photos"
    );
    assert_eq!(doc.photos().len(), MAX_PHOTOS_PER_SUBJECT);
}

/// Photo references are the facility's to write: a reviewer's device that adds one is refused, a member's
/// is accepted.
#[test]
fn only_editors_attach_photos() {
    let mut doc = new_inspection();
    let before = doc.heads();
    let id = doc
        .add_photo(item("T1.01"), photo(b"x", "制度"), &wang())
        .unwrap();
    doc.caption_photo(&id, "制度汇编", &wang()).unwrap();
    doc.remove_photo(&id, &wang()).unwrap();
    let wangs = |rights| writer("u-wang", rights);
    assert!(
        doc.check_changes_since(&before, &wangs(Rights::EDIT))
            .is_ok()
    );
    assert!(matches!(
        doc.check_changes_since(&before, &wangs(Rights::COMMENT | Rights::VERIFY)),
        Err(Refusal::Field(f)) if f.starts_with("photo:")
    ));
    // Someone else's stamp is refused whatever the rights.
    assert!(matches!(
        doc.check_changes_since(&before, &writer("u-li", Rights::EDIT)),
        Err(Refusal::Author(_))
    ));
}
