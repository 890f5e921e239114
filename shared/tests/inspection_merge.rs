//! Two devices, one checklist: edits made offline on each merge, and nothing is lost.

mod common;

use common::{li, new_inspection, stamp, sync_pair, wang};
use zhigai_shared::Document;
use zhigai_shared::{
    FacilityId, FieldValue, Inspection, InspectionField, ItemId, NewProblem, Op, Owner,
    ProblemChange, ProblemStatus, Status, Template,
};

fn item(id: &str) -> ItemId {
    ItemId::from(id)
}

#[test]
fn two_replicas_started_offline_from_nothing_share_one_skeleton() {
    let a = new_inspection();
    let b = new_inspection();
    assert_eq!(
        a.heads(),
        b.heads(),
        "the genesis change is built byte for byte alike"
    );
    assert_ne!(a.actor(), b.actor(), "each device writes as its own actor");
    let other =
        Inspection::create(&FacilityId::from("fac-002"), 2026, Template::national()).unwrap();
    assert_ne!(
        a.heads(),
        other.heads(),
        "another facility gets another document"
    );
}

#[test]
fn offline_edits_to_one_item_from_two_replicas_all_survive_merging_both_ways() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    let x = item("T5.04");

    a.set_status(&x, Some(Status::NonCompliant), &wang())
        .unwrap();
    b.edit_note(&x, 0, 0, "专册登记缺两页", &li()).unwrap();
    let problem = b
        .add_problem(
            NewProblem {
                item: Some(x.clone()),
                description: "麻醉药品专册登记不全".into(),
                measure: "补登并双人核对".into(),
                owner: Some(Owner {
                    user: "u-li".into(),
                    name: "李护士".into(),
                }),
                deadline: Some("2026-03-31".parse().unwrap()),
            },
            &li(),
        )
        .unwrap();

    // Merge both ways, as two devices coming back online would.
    let mut a2 = Inspection::load(&a.save()).unwrap();
    let mut b2 = Inspection::load(&b.save()).unwrap();
    a.merge(&mut b2).unwrap();
    b.merge(&mut a2).unwrap();

    for doc in [&a, &b] {
        let view = doc.item(&x).unwrap();
        assert_eq!(view.status, Some(Status::NonCompliant));
        assert_eq!(view.note, "专册登记缺两页");
        let problems = doc.problems();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].id, problem);
        assert_eq!(problems[0].item, Some(x.clone()));
        assert_eq!(problems[0].status, ProblemStatus::Open);
        assert!(doc.conflicts().is_empty());
    }
    assert_eq!(a.view(), b.view());
}

#[test]
fn the_same_holds_over_the_sync_protocol() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    a.set_status(&item("T1.01"), Some(Status::Compliant), &wang())
        .unwrap();
    b.edit_note(&item("T1.01"), 0, 0, "文件齐全", &li())
        .unwrap();
    let sent = sync_pair(&mut a, &mut b);
    assert!(sent >= 2);
    assert_eq!(a.view(), b.view());
    assert_eq!(a.item(&item("T1.01")).unwrap().note, "文件齐全");
    assert_eq!(
        b.item(&item("T1.01")).unwrap().status,
        Some(Status::Compliant)
    );
}

#[test]
fn an_empty_replica_receives_the_whole_document_by_sync() {
    let mut clinic = new_inspection();
    clinic
        .set_status(&item("T8.02"), Some(Status::Partial), &wang())
        .unwrap();
    let mut server = Inspection::empty();
    sync_pair(&mut clinic, &mut server);
    assert_eq!(server.view(), clinic.view());
    assert_eq!(server.facility(), Some(FacilityId::from("fac-001")));
}

#[test]
fn notes_typed_concurrently_merge_character_by_character() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    let x = item("T3.10");
    a.set_note(&x, "抽查50份", &wang()).unwrap();
    sync_pair(&mut a, &mut b);
    a.edit_note(&x, 0, 0, "3月", &wang()).unwrap();
    b.edit_note(&x, 5, 0, "，合格46份", &li()).unwrap();
    sync_pair(&mut a, &mut b);
    assert_eq!(a.item(&x).unwrap().note, "3月抽查50份，合格46份");
    assert_eq!(b.item(&x).unwrap().note, a.item(&x).unwrap().note);
}

#[test]
fn concurrent_different_statuses_are_a_conflict_with_both_values_and_authors_until_resolved() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    let x = item("T8.02");
    a.set_status(&x, Some(Status::Compliant), &wang()).unwrap();
    b.set_status(&x, Some(Status::NonCompliant), &li()).unwrap();
    sync_pair(&mut a, &mut b);

    for doc in [&a, &b] {
        let conflicts = doc.conflicts();
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        let c = &conflicts[0];
        assert_eq!(c.field, InspectionField::Status { item: x.clone() });
        let mut pairs: Vec<(String, String)> = c
            .values
            .iter()
            .map(|v| (v.author.as_ref().unwrap().name.clone(), v.value.label_zh()))
            .collect();
        pairs.sort();
        assert_eq!(
            pairs,
            [
                ("李护士".to_owned(), "不符合".to_owned()),
                ("王医生".to_owned(), "符合".to_owned())
            ]
        );
        // The value shown is listed first and is the same on both replicas.
        assert_eq!(
            FieldValue::Status(doc.item(&x).unwrap().status.unwrap()),
            c.values[0].value
        );
        assert!(doc.item(&x).unwrap().conflicted);
    }
    assert_eq!(a.conflicts(), b.conflicts());

    b.resolve(
        &InspectionField::Status { item: x.clone() },
        FieldValue::Status(Status::Partial),
        &stamp("u-head", "张院长", 1_767_300_000_000),
    )
    .unwrap();
    sync_pair(&mut a, &mut b);
    for doc in [&a, &b] {
        assert!(doc.conflicts().is_empty());
        assert_eq!(doc.item(&x).unwrap().status, Some(Status::Partial));
        assert!(!doc.item(&x).unwrap().conflicted);
    }
    let last = a.history(x.as_str()).pop().unwrap();
    assert_eq!(
        (last.op, last.author.name.as_str()),
        (Op::Resolve, "张院长")
    );
}

#[test]
fn the_same_value_set_twice_concurrently_is_no_conflict() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    a.set_status(&item("T2.01"), Some(Status::Compliant), &wang())
        .unwrap();
    b.set_status(&item("T2.01"), Some(Status::Compliant), &li())
        .unwrap();
    sync_pair(&mut a, &mut b);
    assert!(a.conflicts().is_empty());
    assert!(!a.item(&item("T2.01")).unwrap().conflicted);
}

#[test]
fn concurrent_problem_edits_conflict_per_field_and_resolve_to_a_typed_value() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    let id = a
        .add_problem(
            NewProblem {
                description: "手卫生设施不足".into(),
                ..Default::default()
            },
            &wang(),
        )
        .unwrap();
    sync_pair(&mut a, &mut b);
    a.update_problem(
        &id,
        ProblemChange::Deadline(Some("2026-04-30".parse().unwrap())),
        &wang(),
    )
    .unwrap();
    b.update_problem(
        &id,
        ProblemChange::Deadline(Some("2026-05-15".parse().unwrap())),
        &li(),
    )
    .unwrap();
    b.update_problem(
        &id,
        ProblemChange::Measure("每诊室配速干手消毒剂".into()),
        &li(),
    )
    .unwrap();
    sync_pair(&mut a, &mut b);
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1);
    let field = conflicts[0].field.clone();
    assert!(matches!(
        &field,
        InspectionField::Problem {
            part: zhigai_shared::ProblemField::Deadline,
            ..
        }
    ));
    assert_eq!(a.problem(&id).unwrap().measure, "每诊室配速干手消毒剂");
    // A value of the wrong kind is refused.
    assert!(
        a.resolve(&field, FieldValue::Status(Status::Compliant), &wang())
            .is_err()
    );
    a.resolve(
        &field,
        FieldValue::Date("2026-05-15".parse().unwrap()),
        &wang(),
    )
    .unwrap();
    sync_pair(&mut a, &mut b);
    assert!(b.conflicts().is_empty());
    assert_eq!(
        b.problem(&id).unwrap().deadline.unwrap().to_string(),
        "2026-05-15"
    );
}

#[test]
fn history_says_who_changed_what_and_when_including_offline_edits_from_others() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    let x = item("T5.09");
    a.set_status(&x, Some(Status::Partial), &wang()).unwrap();
    b.edit_note(&x, 0, 0, "上报3例", &li()).unwrap();
    sync_pair(&mut a, &mut b);
    let history = a.history(x.as_str());
    assert_eq!(history.len(), 2);
    let mut seen: Vec<(Op, &str, i64)> = history
        .iter()
        .map(|h| (h.op, h.author.name.as_str(), h.at.0))
        .collect();
    seen.sort_by_key(|s| s.2);
    assert_eq!(
        seen,
        [
            (Op::SetStatus, "王医生", wang().at.0),
            (Op::EditNote, "李护士", li().at.0)
        ]
    );
    assert_eq!(
        history
            .iter()
            .find(|h| h.op == Op::SetStatus)
            .unwrap()
            .value
            .as_deref(),
        Some("partial")
    );
    let last = a.item(&x).unwrap().last_change.unwrap();
    assert!(last.author.name == "王医生" || last.author.name == "李护士");
    assert_eq!(
        a.view().items[&x].last_change,
        a.item(&x).unwrap().last_change
    );
}

#[test]
fn problems_move_through_their_statuses_and_know_when_they_are_overdue() {
    let mut doc = new_inspection();
    let id = doc
        .add_problem(
            NewProblem {
                item: Some(item("T8.07")),
                description: "医疗废物交接登记缺失".into(),
                deadline: Some("2026-03-31".parse().unwrap()),
                ..Default::default()
            },
            &wang(),
        )
        .unwrap();
    let today = "2026-04-10".parse().unwrap();
    assert_eq!(doc.problem(&id).unwrap().days_overdue(today), Some(10));
    doc.update_problem(
        &id,
        ProblemChange::Status(ProblemStatus::InProgress),
        &wang(),
    )
    .unwrap();
    assert_eq!(doc.problem(&id).unwrap().days_overdue(today), Some(10));
    doc.update_problem(
        &id,
        ProblemChange::Status(ProblemStatus::Rectified),
        &wang(),
    )
    .unwrap();
    assert_eq!(doc.problem(&id).unwrap().days_overdue(today), None);
    let ops: Vec<Op> = doc.history(id.as_str()).iter().map(|h| h.op).collect();
    assert_eq!(
        ops,
        [Op::AddProblem, Op::SetProblemStatus, Op::SetProblemStatus]
    );

    doc.delete_problem(&id, &wang()).unwrap();
    assert!(doc.problems().is_empty());
    assert!(
        doc.problem(&id).is_some(),
        "a withdrawn problem stays in the audit trail"
    );
}

#[test]
fn bad_writes_are_refused_and_change_nothing() {
    let mut doc = new_inspection();
    let heads = doc.heads();
    assert!(
        doc.set_status(&item("T99.01"), Some(Status::Compliant), &wang())
            .is_err()
    );
    assert!(doc.edit_note(&item("T1.01"), 1, 0, "x", &wang()).is_err());
    assert!(
        doc.edit_note(&item("T1.01"), 0, usize::MAX, "", &wang())
            .is_err()
    );
    assert!(
        doc.set_note(&item("T1.01"), &"长".repeat(5000), &wang())
            .is_err()
    );
    assert!(
        doc.add_problem(
            NewProblem {
                description: "  ".into(),
                ..Default::default()
            },
            &wang()
        )
        .is_err()
    );
    assert!(
        doc.add_problem(
            NewProblem {
                description: "x".into(),
                item: Some(item("T0.00")),
                ..Default::default()
            },
            &wang()
        )
        .is_err()
    );
    assert!(
        doc.set_metric(&item("T5.01"), Some(f64::NAN), &wang())
            .is_err()
    );
    assert!(
        doc.update_problem(
            &zhigai_shared::ProblemId::from("nope"),
            ProblemChange::Measure("m".into()),
            &wang()
        )
        .is_err()
    );
    assert_eq!(doc.heads(), heads);
}

#[test]
fn submission_records_who_submitted() {
    let mut doc = new_inspection();
    assert_eq!(doc.submission().state, zhigai_shared::Submission::Draft);
    doc.submit(&stamp("u-head", "张院长", 1_767_400_000_000))
        .unwrap();
    let s = doc.submission();
    assert_eq!(s.state, zhigai_shared::Submission::Submitted);
    assert_eq!(s.by.unwrap().name, "张院长");
    doc.withdraw(&wang()).unwrap();
    assert_eq!(doc.submission().state, zhigai_shared::Submission::Draft);
}

#[test]
fn every_template_item_has_its_place_in_the_document() {
    let doc = new_inspection();
    let view = doc.view();
    assert_eq!(view.items.len(), Template::national().items().count());
    assert_eq!(
        view.template.as_ref().map(|t| (t.0.as_str(), t.1)),
        Some(("national-2026", Template::national().version))
    );
    assert_eq!(view.year, Some(2026));
    assert!(
        view.items
            .values()
            .all(|i| i.status.is_none() && i.note.is_empty())
    );
}

#[test]
fn one_pass_over_the_log_gives_each_items_last_change_as_item_does() {
    let mut a = new_inspection();
    let mut b = new_inspection();
    a.set_status(
        &item("T1.01"),
        Some(Status::Compliant),
        &stamp("u1", "王", 10),
    )
    .unwrap();
    b.set_note(&item("T1.01"), "已核实", &stamp("u2", "李", 20))
        .unwrap();
    b.set_status(&item("T2.01"), Some(Status::Partial), &stamp("u2", "李", 5))
        .unwrap();
    a.set_note(&item("T2.01"), "见会议纪要", &stamp("u1", "王", 30))
        .unwrap();
    sync_pair(&mut a, &mut b);
    let last = a.last_changes();
    for id in ["T1.01", "T2.01"] {
        let view = a.item(&item(id)).unwrap();
        assert_eq!(last.get(id), view.last_change.as_ref(), "{id}");
        let state = a.item_state(&item(id)).unwrap();
        assert_eq!((state.status, &state.note), (view.status, &view.note));
        assert!(state.last_change.is_none());
    }
    assert_eq!(last["T1.01"].author.name, "李");
    assert_eq!(last["T2.01"].author.name, "王");
    assert!(!last.contains_key("T3.01"));
}
