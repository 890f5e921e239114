//! Checklists refined below the nation: a derived version keeps its parent's ids, retires, refines, adds and
//! sets targets; what does not fit is refused with a reason; the diff says what differs; a published body
//! round-trips through its JSON form.

use zhigai_shared::template::{Derivation, Difference, ResponseKind, TemplateError};
use zhigai_shared::{ItemId, Template};

const EXAMPLE: &str = include_str!("../data/derived/demo-province.toml");

fn derived() -> Template {
    let derivation = Derivation::from_toml(EXAMPLE).unwrap();
    Template::derive(Template::national(), &derivation).unwrap()
}

fn target(t: &Template, id: &str) -> Option<f64> {
    match &t.item(&ItemId::from(id)).unwrap().response {
        ResponseKind::StatusWithNumber { metric } => metric.target,
        ResponseKind::Status => None,
    }
}

#[test]
fn a_derived_version_keeps_its_parents_ids_and_says_what_it_changed() {
    let national = Template::national();
    let province = derived();
    assert_eq!(province.id.as_str(), "demo-province");
    assert_eq!(province.parent.as_ref().unwrap().version, national.version);
    // Every parent id stays but the retired one; the added one is the place's own.
    for item in national.items() {
        assert_eq!(
            province.item(&item.id).is_some(),
            item.id.as_str() != "T3.13",
            "{}",
            item.id
        );
    }
    assert!(province.item(&ItemId::from("T8.SF01")).is_some());
    assert_eq!(target(&province, "T5.01"), Some(95.0));
    assert_eq!(target(national, "T5.01"), None);
    // Numerator and denominator stay the parent's when only the target is set.
    let ResponseKind::StatusWithNumber { metric } =
        &province.item(&ItemId::from("T5.01")).unwrap().response
    else {
        panic!()
    };
    assert_eq!(metric.denominator.as_ref().unwrap().zh, "抽查处方数");
    let diff = Template::diff(national, &province);
    let refined = |id: &str| {
        diff.iter().find_map(|d| match d {
            Difference::Refined { item, fields } if item.as_str() == id => Some(fields.clone()),
            _ => None,
        })
    };
    assert_eq!(refined("T5.01").unwrap(), ["target"]);
    assert_eq!(refined("T8.02").unwrap(), ["guidance", "target"]);
    assert_eq!(refined("T3.04").unwrap(), ["text_zh", "text_en", "target"]);
    assert!(diff.contains(&Difference::Added {
        item: ItemId::from("T8.SF01")
    }));
    assert_eq!(
        diff.last(),
        Some(&Difference::Retired {
            item: ItemId::from("T3.13")
        })
    );
    assert_eq!(diff.len(), 6, "{diff:?}");
    // Comparisons across the two versions count the ids they share.
    let shared = national.shared_items(&province);
    assert_eq!(shared.len(), national.items().count() - 1);
}

#[test]
fn a_published_body_round_trips_through_its_json_form() {
    let province = derived();
    let back = Template::from_json(&province.to_json()).unwrap();
    assert_eq!(back, province);
    assert_eq!(target(&back, "T5.05"), Some(20.0));
}

#[test]
fn what_does_not_fit_is_refused_with_a_reason() {
    let refused = |text: String, needle: &str| {
        let derivation = Derivation::from_toml(&text).unwrap();
        match Template::derive(Template::national(), &derivation) {
            Err(TemplateError::Invalid(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("{needle}: {other:?}"),
        }
    };
    // Each edit of the example file, and what the refusal must name.
    for (from, to, needle) in [
        ("version = 2 }", "version = 1 }", "national-2026@1"),
        (
            "id = \"demo-province\"\n",
            "id = \"national-2026\"\n",
            "id of its own",
        ),
        ("retire = [\"T3.13\"]", "retire = [\"T3.99\"]", "T3.99"),
        ("item = \"T5.05\"", "item = \"T5.04\"", "no figure"),
        ("id = \"T8.SF01\"", "id = \"T8.02\"", "already uses"),
        ("id = \"T8.SF01\"", "id = \"T0.SF01\"", "no area"),
        ("target = 95.0", "target = 120.0", "target"),
    ] {
        assert!(EXAMPLE.contains(from), "{from}");
        refused(EXAMPLE.replacen(from, to, 1), needle);
    }
    let judge = EXAMPLE.find("[add.judge]").unwrap();
    refused(EXAMPLE[..judge].to_owned(), "T8.SF01");
    // Not a derivation at all: a format error, not a panic.
    assert!(matches!(
        Derivation::from_toml("id = 3"),
        Err(TemplateError::Format(_))
    ));
}
