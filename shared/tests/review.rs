//! The county's review document: states, comments, approval heads and verification, merged like the rest.

mod common;

use common::{new_inspection, stamp, sync_pair, wang};
use zhigai_shared::Document;
use zhigai_shared::{
    FacilityId, FieldValue, ItemId, ProblemId, Review, ReviewField, ReviewState, SyncState, Verdict,
};

fn reviewer() -> zhigai_shared::Stamp {
    stamp("u-qc", "县质控中心赵", 1_767_500_000_000)
}

fn bureau() -> zhigai_shared::Stamp {
    stamp("u-bureau", "卫健局钱", 1_767_500_060_000)
}

fn new_review() -> Review {
    Review::create(&FacilityId::from("fac-001"), 2026).unwrap()
}

fn sync_reviews(a: &mut Review, b: &mut Review) {
    let (mut sa, mut sb) = (SyncState::new(), SyncState::new());
    loop {
        let m1 = a.generate_sync_message(&mut sa);
        if let Some(m) = &m1 {
            b.receive_sync_message(&mut sb, m).unwrap();
        }
        let m2 = b.generate_sync_message(&mut sb);
        if let Some(m) = &m2 {
            a.receive_sync_message(&mut sa, m).unwrap();
        }
        if m1.is_none() && m2.is_none() {
            break;
        }
    }
}

#[test]
fn a_review_starts_not_submitted_and_is_deterministic() {
    let a = new_review();
    let b = new_review();
    assert_eq!(a.heads(), b.heads());
    assert_eq!(a.state().state, ReviewState::NotSubmitted);
    assert!(a.comments().is_empty());
}

#[test]
fn return_with_reason_then_approve_the_heads_of_the_inspection() {
    let mut review = new_review();
    let mut inspection = new_inspection();
    let x = ItemId::from("T5.04");
    inspection
        .set_status(&x, Some(zhigai_shared::Status::Partial), &wang())
        .unwrap();

    review
        .add_comment(&x, "请补充专册登记照片", &reviewer())
        .unwrap();
    review
        .return_for_changes("T5.04 证据不足", &reviewer())
        .unwrap();
    let state = review.state();
    assert_eq!(state.state, ReviewState::Returned);
    assert_eq!(state.reason, "T5.04 证据不足");
    assert_eq!(state.by.unwrap().name, "县质控中心赵");
    let comments = review.comments_on(&x);
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0].text, "请补充专册登记照片");
    assert_eq!(comments[0].author.as_ref().unwrap().name, "县质控中心赵");

    let heads = inspection.heads();
    review.approve(&heads, &reviewer()).unwrap();
    let state = review.state();
    assert_eq!(state.state, ReviewState::Approved);
    assert_eq!(state.approved_heads, heads);
    assert!(state.reason.is_empty());
    // Nothing changed since the approval; then one edit shows as changed since.
    assert_eq!(inspection.changes_since(&heads), Some(Vec::new()));
    let mut earlier = inspection.fork();
    inspection
        .set_status(&x, Some(zhigai_shared::Status::Compliant), &wang())
        .unwrap();
    let since = inspection.changes_since(&heads).unwrap();
    assert_eq!(since.len(), 1);
    assert_eq!(since[0].subject.as_deref(), Some(x.as_str()));
    // A replica that has not received the approved state cannot tell.
    earlier
        .set_status(&x, Some(zhigai_shared::Status::NonCompliant), &wang())
        .unwrap();
    assert_eq!(earlier.changes_since(&inspection.heads()), None);
    assert!(review.approve(&["nothex".to_owned()], &reviewer()).is_err());
    assert!(review.return_for_changes("   ", &reviewer()).is_err());
}

#[test]
fn comments_from_two_reviewers_offline_both_survive() {
    let mut a = new_review();
    let mut b = new_review();
    a.add_comment(&ItemId::from("T1.01"), "组织文件请上传", &reviewer())
        .unwrap();
    b.add_comment(&ItemId::from("T1.01"), "会议纪要缺签名", &bureau())
        .unwrap();
    sync_reviews(&mut a, &mut b);
    assert_eq!(a.view(), b.view());
    let mut texts: Vec<String> = a.comments().into_iter().map(|c| c.text).collect();
    texts.sort();
    assert_eq!(texts, ["会议纪要缺签名", "组织文件请上传"]);
}

#[test]
fn concurrent_verdicts_conflict_and_resolve() {
    let mut a = new_review();
    let mut b = new_review();
    let p = ProblemId::from("0123456789abcdef0123456789abcdef");
    a.verify(&p, Verdict::Verified, &reviewer()).unwrap();
    b.verify(&p, Verdict::Failed, &bureau()).unwrap();
    sync_reviews(&mut a, &mut b);
    let conflicts = b.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0].field,
        ReviewField::Verification { problem: p.clone() }
    );
    assert_eq!(conflicts[0].values.len(), 2);
    assert!(
        b.resolve(
            &conflicts[0].field,
            FieldValue::Status(zhigai_shared::Status::Compliant),
            &bureau()
        )
        .is_err()
    );
    b.resolve(
        &conflicts[0].field,
        FieldValue::Verdict(Verdict::Failed),
        &bureau(),
    )
    .unwrap();
    sync_reviews(&mut a, &mut b);
    assert!(a.conflicts().is_empty());
    assert_eq!(a.verifications()[&p].verdict, Verdict::Failed);
}

#[test]
fn concurrent_states_conflict() {
    let mut a = new_review();
    let mut b = new_review();
    a.approve(&[], &reviewer()).unwrap();
    b.return_for_changes("感控项目需复查", &bureau()).unwrap();
    sync_reviews(&mut a, &mut b);
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, ReviewField::State);
    let mut labels: Vec<String> = conflicts[0]
        .values
        .iter()
        .map(|v| v.value.label_zh())
        .collect();
    labels.sort();
    assert_eq!(labels, ["已通过", "退回修改"]);
}

#[test]
fn an_inspection_and_its_review_sync_independently() {
    let mut i1 = new_inspection();
    let mut i2 = new_inspection();
    i1.set_status(
        &ItemId::from("T3.01"),
        Some(zhigai_shared::Status::Compliant),
        &wang(),
    )
    .unwrap();
    sync_pair(&mut i1, &mut i2);
    let mut review = new_review();
    review
        .set_state(ReviewState::Submitted, &reviewer())
        .unwrap();
    let mut saved = Review::load(&review.save()).unwrap();
    assert_eq!(saved.view(), review.view());
    assert_eq!(saved.history().len(), 1);
    assert!(saved.save_incremental().is_empty());
}

/// Two-step review: each step writes only its own fields, and the guard holds each writer to the rights
/// of their role (the first step cannot approve, a guiding head can only comment).
#[test]
fn each_review_step_writes_only_its_own_fields() {
    use zhigai_shared::access::Rights;
    use zhigai_shared::{Refusal, UserId, Writer};
    let inspection = new_inspection();
    let heads = inspection.heads();
    let first = stamp("u-gc", "医共体钱质控", 1_767_500_000_000);
    let writer = |user: &str, rights: Rights| Writer {
        user: UserId::new(user),
        rights,
    };
    let reviewing = Rights::COMMENT | Rights::FINDING | Rights::VERIFY;
    let community = writer("u-gc", reviewing | Rights::FIRST_STEP);
    let county = writer("u-qc", reviewing | Rights::FINAL_STEP);
    let guide = writer("u-gc", Rights::COMMENT);

    let mut review = new_review();
    let before = review.heads();
    review.pass_on(&heads, &first).unwrap();
    assert!(review.check_changes_since(&before, &community).is_ok());
    assert!(matches!(
        review.check_changes_since(&before, &guide),
        Err(Refusal::Field(f)) if f.contains("first_state")
    ));
    let state = review.state();
    assert_eq!(state.state, ReviewState::PassedOn);
    assert_eq!(state.first.as_ref().unwrap().heads, heads);
    assert!(state.county.is_none() || state.county.as_ref().unwrap().by.is_none());

    // The first step's writer cannot approve: the county's field is not theirs.
    let mut forged = new_review();
    let before = forged.heads();
    forged.approve(&heads, &first).unwrap();
    assert!(matches!(
        forged.check_changes_since(&before, &community),
        Err(Refusal::Field(f)) if f.contains("state")
    ));
    // A guiding head may comment, and nothing else.
    let mut guided = new_review();
    let before = guided.heads();
    guided
        .add_comment(&ItemId::from("T1.01"), "请规范登记", &first)
        .unwrap();
    assert!(guided.check_changes_since(&before, &guide).is_ok());
    let before = guided.heads();
    guided
        .verify(&ProblemId::from("p1"), Verdict::Verified, &first)
        .unwrap();
    assert!(guided.check_changes_since(&before, &guide).is_err());

    // The county decides after the first step: the later decision stands, both are kept.
    let mut both = new_review();
    both.pass_on(&heads, &first).unwrap();
    let before = both.heads();
    both.approve(&heads, &reviewer()).unwrap();
    assert!(both.check_changes_since(&before, &county).is_ok());
    let state = both.state();
    assert_eq!(state.state, ReviewState::Approved);
    assert_eq!(state.first.unwrap().state, ReviewState::PassedOn);
    // A first-step return after the county's approval is the later decision.
    let later = stamp("u-gc", "医共体钱质控", 1_767_600_000_000);
    both.return_first("补充材料", &heads, &later).unwrap();
    assert_eq!(both.state().state, ReviewState::Returned);
    assert_eq!(both.state().reason, "补充材料");
}

/// Findings from checks: the reviewer's finding is in the review (which the facility cannot write), the
/// facility's measure, owner and status are in the inspection (which reviewers cannot write); the problem
/// list shows them as one problem marked with the level that found it, and the verdict applies to it.
#[test]
fn a_finding_is_the_reviewers_and_its_rectification_the_facilitys() {
    use zhigai_shared::access::{Level, Rights};
    use zhigai_shared::carry::{YearDocs, problem_list};
    use zhigai_shared::doc::{NewFinding, ProblemChange, ProblemStatus};
    use zhigai_shared::{Refusal, UserId, Writer};
    let city = stamp("u-city", "市质控中心郑", 1_767_500_000_000);
    let mut review = new_review();
    let mut inspection = new_inspection();
    let before = review.heads();
    let id = review
        .add_finding(
            NewFinding {
                item: Some(ItemId::from("T5.06")),
                description: "抽查处方 20 张，3 张用法用量不规范".into(),
                deadline: Some("2026-12-31".parse().unwrap()),
                level: Level::City,
            },
            &city,
        )
        .unwrap();
    let reviewer = Writer {
        user: UserId::new("u-city"),
        rights: Rights::COMMENT | Rights::FINDING | Rights::VERIFY,
    };
    let facility = Writer {
        user: UserId::new("u-wang"),
        rights: Rights::EDIT | Rights::SUBMIT,
    };
    assert!(review.check_changes_since(&before, &reviewer).is_ok());
    let guide = Writer {
        user: UserId::new("u-city"),
        rights: Rights::COMMENT,
    };
    assert!(matches!(
        review.check_changes_since(&before, &guide),
        Err(Refusal::Field(_))
    ));

    // The facility sets status and measure beside it; only those three fields are its own.
    let before = inspection.heads();
    inspection
        .respond(
            &id,
            ProblemChange::Status(ProblemStatus::Rectified),
            &wang(),
        )
        .unwrap();
    inspection
        .respond(
            &id,
            ProblemChange::Measure("组织处方点评培训".into()),
            &wang(),
        )
        .unwrap();
    assert!(
        inspection
            .respond(&id, ProblemChange::Description("改写".into()), &wang())
            .is_err(),
        "the description is the reviewer's"
    );
    assert!(inspection.check_changes_since(&before, &facility).is_ok());
    assert!(
        inspection.check_changes_since(&before, &reviewer).is_err(),
        "a reviewer cannot write the facility's answer"
    );

    let list = problem_list(
        2026,
        &[YearDocs {
            year: 2026,
            inspection: &inspection,
            review: &review,
        }],
    );
    let listed = list.iter().find(|p| p.problem.id == id).unwrap();
    assert_eq!(listed.finding, Some(Level::City));
    assert_eq!(listed.problem.status, ProblemStatus::Rectified);
    assert_eq!(listed.problem.measure, "组织处方点评培训");
    assert_eq!(
        listed.problem.description,
        "抽查处方 20 张，3 张用法用量不规范"
    );
    // Verified, it stops carrying over like any problem.
    review.verify(&id, Verdict::Verified, &city).unwrap();
    let next = problem_list(
        2027,
        &[YearDocs {
            year: 2026,
            inspection: &inspection,
            review: &review,
        }],
    );
    assert!(next.iter().all(|p| p.problem.id != id));
}

/// A finding recorded by mistake is withdrawn by a reviewer: it leaves the list, its change stays in history.
#[test]
fn a_withdrawn_finding_leaves_the_list() {
    use zhigai_shared::access::Level;
    use zhigai_shared::doc::NewFinding;
    let mut review = new_review();
    let id = review
        .add_finding(
            NewFinding {
                item: None,
                description: "误录".into(),
                deadline: None,
                level: Level::County,
            },
            &reviewer(),
        )
        .unwrap();
    assert_eq!(review.findings().len(), 1);
    review.withdraw_finding(&id, &bureau()).unwrap();
    assert!(review.findings().is_empty());
    assert!(review.history().len() >= 2);
    assert!(
        review
            .withdraw_finding(&ProblemId::from("nope"), &bureau())
            .is_err()
    );
}
