//! Indicators: a rate entered as its numerator and denominator, computed by the document, impossible input
//! refused, concurrent edits that leave an impossible pair never shown as a rate, and the guard holding
//! the two counts to the editing right.

mod common;

use common::{li, new_inspection, sync_pair, wang, writer};
use zhigai_shared::access::Rights;
use zhigai_shared::template::{Direction, ResponseKind};
use zhigai_shared::{
    Document, FieldValue, FractionPart, InspectionField, ItemId, Refusal, Template,
};

const RATE: &str = "T5.01"; // 处方合格率: 合格处方数 / 抽查处方数
const LOWER: &str = "T5.05"; // 门诊抗菌药物处方比例: lower is better

fn item(id: &str) -> ItemId {
    ItemId::from(id)
}

#[test]
fn every_rate_of_the_national_version_names_its_numerator_and_denominator() {
    let template = Template::national();
    template.check_indicators().unwrap();
    let rates: Vec<_> = template
        .items()
        .filter_map(|i| match &i.response {
            ResponseKind::StatusWithNumber { metric } if metric.unit == "%" => Some(metric),
            _ => None,
        })
        .collect();
    assert!(rates.len() >= 12);
    assert!(rates.iter().all(|m| m.is_rate()));
    let ResponseKind::StatusWithNumber { metric } = &template.item(&item(LOWER)).unwrap().response
    else {
        panic!("{LOWER} asks for a figure");
    };
    assert_eq!(metric.direction, Direction::Lower);
    assert_eq!(metric.denominator.as_ref().unwrap().zh, "门诊处方总数");
}

#[test]
fn a_rate_is_computed_from_its_two_counts() {
    let mut doc = new_inspection();
    let x = item(RATE);
    doc.set_fraction_part(&x, FractionPart::Denominator, Some(60.0), &wang())
        .unwrap();
    assert_eq!(
        doc.item(&x).unwrap().metric,
        None,
        "no rate without a numerator"
    );
    doc.set_fraction_part(&x, FractionPart::Numerator, Some(55.0), &wang())
        .unwrap();
    let view = doc.item(&x).unwrap();
    assert_eq!((view.numerator, view.denominator), (Some(55.0), Some(60.0)));
    assert_eq!(view.metric, Some(91.7));
    assert_eq!(doc.metric(&x), Some(91.7));
    // Clearing the numerator clears the rate, not the denominator.
    doc.set_fraction_part(&x, FractionPart::Numerator, None, &wang())
        .unwrap();
    let view = doc.item(&x).unwrap();
    assert_eq!((view.numerator, view.metric), (None, None));
    assert_eq!(view.denominator, Some(60.0));
}

#[test]
fn impossible_counts_are_refused_and_nothing_changes() {
    let mut doc = new_inspection();
    let x = item(RATE);
    doc.set_fraction_part(&x, FractionPart::Denominator, Some(50.0), &wang())
        .unwrap();
    doc.set_fraction_part(&x, FractionPart::Numerator, Some(40.0), &wang())
        .unwrap();
    let heads = doc.heads();
    for (part, value) in [
        (FractionPart::Numerator, 51.0),
        (FractionPart::Numerator, -1.0),
        (FractionPart::Numerator, 2.5),
        (FractionPart::Numerator, f64::NAN),
        (FractionPart::Denominator, 39.0),
        (FractionPart::Denominator, 0.0),
        (FractionPart::Denominator, f64::INFINITY),
    ] {
        assert!(
            doc.set_fraction_part(&x, part, Some(value), &wang())
                .is_err(),
            "{part:?} {value}"
        );
    }
    assert_eq!(doc.heads(), heads);
    assert_eq!(doc.metric(&x), Some(80.0));
}

/// Two devices offline: one raises the numerator, the other lowers the denominator below it. Each edit
/// was possible; the merge is not. The document never shows it as a rate over 100 %: no rate, both
/// counts kept for someone to correct.
#[test]
fn concurrent_edits_that_leave_an_impossible_pair_show_no_rate() {
    let mut a = new_inspection();
    let x = item(RATE);
    a.set_fraction_part(&x, FractionPart::Denominator, Some(100.0), &wang())
        .unwrap();
    a.set_fraction_part(&x, FractionPart::Numerator, Some(70.0), &wang())
        .unwrap();
    let mut b = a.fork();
    a.set_fraction_part(&x, FractionPart::Numerator, Some(90.0), &wang())
        .unwrap();
    b.set_fraction_part(&x, FractionPart::Denominator, Some(80.0), &li())
        .unwrap();
    sync_pair(&mut a, &mut b);
    for doc in [&a, &b] {
        let view = doc.item(&x).unwrap();
        assert_eq!((view.numerator, view.denominator), (Some(90.0), Some(80.0)));
        assert_eq!(view.metric, None);
    }
    // The same count set two ways is a conflict, shown and settled like any other.
    let mut c = a.fork();
    a.set_fraction_part(&x, FractionPart::Denominator, Some(95.0), &wang())
        .unwrap();
    c.set_fraction_part(&x, FractionPart::Denominator, Some(120.0), &li())
        .unwrap();
    sync_pair(&mut a, &mut c);
    let field = InspectionField::Fraction {
        item: x.clone(),
        part: FractionPart::Denominator,
    };
    assert!(a.conflicts().iter().any(|c| c.field == field));
    assert!(a.item(&x).unwrap().conflicted);
    a.resolve(&field, FieldValue::Number(120.0), &wang())
        .unwrap();
    assert!(a.conflicts().is_empty());
    assert_eq!(a.metric(&x), Some(75.0));
}

/// The two counts are the facility's to write: a reviewer's device that writes them is refused.
#[test]
fn only_editors_write_the_counts() {
    let mut doc = new_inspection();
    let before = doc.heads();
    doc.set_fraction_part(&item(RATE), FractionPart::Numerator, Some(3.0), &wang())
        .unwrap();
    let wangs = |rights| writer("u-wang", rights);
    assert!(
        doc.check_changes_since(&before, &wangs(Rights::EDIT))
            .is_ok()
    );
    assert!(matches!(
        doc.check_changes_since(&before, &wangs(Rights::COMMENT | Rights::VERIFY)),
        Err(Refusal::Field(f)) if f.contains("numerator")
    ));
}

#[test]
fn a_target_is_missed_in_the_indicators_own_direction() {
    let template = Template::national();
    let metric = |id: &str| match &template.item(&item(id)).unwrap().response {
        ResponseKind::StatusWithNumber { metric } => metric.clone(),
        ResponseKind::Status => panic!("{id}"),
    };
    let mut higher = metric(RATE);
    assert_eq!(higher.misses_target(50.0), None, "no target, no verdict");
    higher.target = Some(90.0);
    assert_eq!(higher.misses_target(89.9), Some(true));
    assert_eq!(higher.misses_target(90.0), Some(false));
    let mut lower = metric(LOWER);
    lower.target = Some(20.0);
    assert_eq!(lower.misses_target(25.0), Some(true));
    assert_eq!(lower.misses_target(12.0), Some(false));
}

#[test]
fn all_answers_read_in_one_pass_match_each_items_own_reads() {
    use zhigai_shared::Status;
    let mut a = new_inspection();
    a.set_status(&item("T1.01"), Some(Status::Compliant), &wang())
        .unwrap();
    a.set_status(&item(RATE), Some(Status::Partial), &wang())
        .unwrap();
    a.set_fraction_part(&item(RATE), FractionPart::Denominator, Some(60.0), &wang())
        .unwrap();
    a.set_fraction_part(&item(RATE), FractionPart::Numerator, Some(45.0), &wang())
        .unwrap();
    a.set_metric(&item(LOWER), Some(12.5), &wang()).unwrap();
    // A concurrent pair of statuses: both reads must show the same winner.
    let mut b = a.fork();
    a.set_status(&item("T2.01"), Some(Status::NonCompliant), &wang())
        .unwrap();
    b.set_status(&item("T2.01"), Some(Status::NotApplicable), &li())
        .unwrap();
    sync_pair(&mut a, &mut b);
    let answers = a.answers();
    let template = Template::national();
    assert_eq!(answers.len(), template.items().count());
    for i in template.items() {
        assert_eq!(
            answers[i.id.as_str()],
            (a.status(&i.id), a.metric(&i.id)),
            "item {}",
            i.id
        );
    }
    assert_eq!(answers[RATE].1, Some(75.0));
    assert_eq!(answers["T1.01"].0, Some(Status::Compliant));
}

#[test]
fn answers_kept_up_to_date_from_what_changes_wrote_match_a_full_read() {
    use zhigai_shared::{NewProblem, Status, Touched};
    let mut server = new_inspection();
    let mut memo = server.answers();
    let mut device = server.fork();
    device
        .set_status(&item("T1.01"), Some(Status::Partial), &wang())
        .unwrap();
    device
        .set_fraction_part(&item(RATE), FractionPart::Denominator, Some(80.0), &wang())
        .unwrap();
    device
        .set_fraction_part(&item(RATE), FractionPart::Numerator, Some(20.0), &wang())
        .unwrap();
    let before = server.heads();
    sync_pair(&mut device, &mut server);
    let accepted = server
        .check_changes_since(&before, &writer("u-wang", Rights::EDIT))
        .unwrap();
    let mut touched = Touched::default();
    for change in &accepted {
        touched.add(&change.touched);
    }
    assert_eq!(
        touched.items.iter().map(String::as_str).collect::<Vec<_>>(),
        vec!["T1.01", RATE]
    );
    assert!(!touched.other, "only items were written");
    server.refresh_answers(&mut memo, &touched);
    assert_eq!(memo, server.answers());
    assert_eq!(memo[RATE].1, Some(25.0));

    // A problem is more than an item: the next refresh rereads everything.
    let before = server.heads();
    device
        .add_problem(
            NewProblem {
                description: "处方点评记录不全".into(),
                ..NewProblem::default()
            },
            &wang(),
        )
        .unwrap();
    device
        .set_status(&item("T2.01"), Some(Status::NonCompliant), &wang())
        .unwrap();
    sync_pair(&mut device, &mut server);
    let mut touched = Touched::default();
    for change in &server
        .check_changes_since(&before, &writer("u-wang", Rights::EDIT))
        .unwrap()
    {
        touched.add(&change.touched);
    }
    assert!(touched.other);
    server.refresh_answers(&mut memo, &touched);
    assert_eq!(memo, server.answers());
}
