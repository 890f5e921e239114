//! The conflict banner: where colleagues set different values at the same time, both are shown with who
//! wrote them, and one tap keeps one of them (on every device, once synced).

use crate::app::{AppCtx, WsCtx};
use crate::i18n::{Lang, Msg};
use crate::workspace::edit_inspection;
use yew::prelude::*;
use zhigai_shared::Template;
use zhigai_shared::doc::{Conflict, FieldValue, Inspection, InspectionField, ProblemField};

/// Props of [`ConflictBanner`].
#[derive(Properties, PartialEq)]
pub struct ConflictProps {
    /// Only conflicts of items of this area (`T3`), or all when `None`.
    #[prop_or_default]
    pub area: Option<String>,
}

/// Which conflicts of `doc` concern `area` (all for `None`).
pub fn conflicts_in(doc: &Inspection, area: Option<&str>) -> Vec<Conflict<InspectionField>> {
    let template = Template::national();
    let in_area = |item: &zhigai_shared::ItemId| {
        area.is_none_or(|a| template.area_of(item).is_some_and(|x| x.id.as_str() == a))
    };
    doc.conflicts()
        .into_iter()
        .filter(|c| match &c.field {
            InspectionField::Status { item } | InspectionField::Metric { item } => in_area(item),
            InspectionField::Problem { problem, .. } => area.is_none_or(|_| {
                doc.problem(problem)
                    .and_then(|p| p.item)
                    .is_some_and(|i| in_area(&i))
            }),
            InspectionField::Submission => area.is_none(),
        })
        .collect()
}

/// The field's name as the banner says it.
pub fn field_label(doc: &Inspection, field: &InspectionField, lang: Lang) -> String {
    match field {
        InspectionField::Status { item } => format!("{item} {}", lang.pick("状态", "status")),
        InspectionField::Metric { item } => format!("{item} {}", lang.t(Msg::Figure)),
        InspectionField::Problem { problem, part } => {
            let what = doc
                .problem(problem)
                .map(|p| p.description)
                .unwrap_or_default();
            let part = match part {
                ProblemField::Item => lang.t(Msg::Item),
                ProblemField::Description => lang.t(Msg::Description),
                ProblemField::Measure => lang.t(Msg::Measure),
                ProblemField::Owner => lang.t(Msg::Owner),
                ProblemField::Deadline => lang.t(Msg::Deadline),
                ProblemField::Status => lang.t(Msg::FilterStatus),
            };
            format!("「{what}」 {part}")
        }
        InspectionField::Submission => lang.t(Msg::Submission).to_owned(),
    }
}

/// A value as the banner shows it.
pub fn value_label(value: &FieldValue, lang: Lang) -> String {
    match (lang, value) {
        (Lang::En, FieldValue::Status(s)) => s.label_en().to_owned(),
        (Lang::En, FieldValue::ProblemStatus(s)) => s.label_en().to_owned(),
        (Lang::En, FieldValue::Submission(s)) => s.label_en().to_owned(),
        (Lang::En, FieldValue::ReviewState(s)) => s.label_en().to_owned(),
        (Lang::En, FieldValue::Verdict(v)) => v.label_en().to_owned(),
        (Lang::En, FieldValue::None) => "(empty)".to_owned(),
        _ => value.label_zh(),
    }
}

/// Shows the conflicts with one button per standing value.
#[component]
pub fn ConflictBanner(props: &ConflictProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let ctx = use_context::<WsCtx>().expect("WsCtx");
    let lang = app.lang;
    let w = ctx.ws.borrow();
    let conflicts = conflicts_in(&w.inspection, props.area.as_deref());
    if conflicts.is_empty() {
        return html! {};
    }
    let editable = w.editable();
    html! {
        <section class="banner conflict" role="alert" data-conflicts={conflicts.len().to_string()}>
            <h3>{ format!("⚠ {}（{}）", lang.t(Msg::ConflictsTitle), conflicts.len()) }</h3>
            <p>{ lang.t(Msg::ConflictHint) }</p>
            { for conflicts.into_iter().map(|c| {
                let label = field_label(&w.inspection, &c.field, lang);
                let ws = ctx.ws.clone();
                conflict_row(label, c, lang, editable, move |field, value| {
                    let _ = edit_inspection(&ws, |d, s| d.resolve(&field, value, s));
                })
            }) }
        </section>
    }
}

/// One conflicting field: its name and a 保留 button per standing value with who wrote it; `keep` settles
/// the field on the value tapped.
pub fn conflict_row<F: Clone + 'static>(
    label: String,
    conflict: Conflict<F>,
    lang: Lang,
    enabled: bool,
    keep: impl Fn(F, FieldValue) + Clone + 'static,
) -> Html {
    html! {
        <div class="conflict-row">
            <div class="conflict-field">{ label }</div>
            <div class="conflict-values">
            { for conflict.values.into_iter().map(|v| {
                let who = v.author.as_ref().map(|a| a.name.clone()).unwrap_or_default();
                let text = format!("{} {}（{who}）", lang.t(Msg::Keep), value_label(&v.value, lang));
                let (keep, field, value) = (keep.clone(), conflict.field.clone(), v.value);
                let onclick = Callback::from(move |_| keep(field.clone(), value.clone()));
                html! { <button class="button keep" disabled={!enabled} {onclick}>{ text }</button> }
            }) }
            </div>
        </div>
    }
}
