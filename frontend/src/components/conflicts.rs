//! The conflict banner: where colleagues set different values at the same time, both are shown with who
//! wrote them, and one tap keeps one of them (on every device, once synced).

use crate::hooks::{WorkspaceHandle, use_session, use_workspace};
use crate::i18n::{Lang, Msg};
use yew::prelude::*;
use zhigai_shared::doc::{Conflict, FieldValue, FractionPart, InspectionField, ProblemField};

/// Props of [`ConflictBanner`].
#[derive(Properties, PartialEq)]
pub struct ConflictProps {
    /// Only conflicts of items of this area (`T3`), or all when `None`.
    #[prop_or_default]
    pub area: Option<String>,
}

/// The field's name as the banner says it.
pub fn field_label(ws: &WorkspaceHandle, field: &InspectionField, lang: Lang) -> String {
    match field {
        InspectionField::Status { item } => format!("{item} {}", lang.pick("状态", "status")),
        InspectionField::Metric { item } => format!("{item} {}", lang.t(Msg::Figure)),
        InspectionField::Fraction { item, part } => {
            let (zh, en) = match part {
                FractionPart::Numerator => ("分子", "numerator"),
                FractionPart::Denominator => ("分母", "denominator"),
            };
            format!("{item} {}", lang.pick(zh, en))
        }
        InspectionField::Problem { problem, part } => {
            let what = ws
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
    let lang = use_session().lang();
    let ws = use_workspace();
    let conflicts = ws.conflicts(props.area.as_deref());
    if conflicts.is_empty() {
        return html! {};
    }
    let editable = ws.editable();
    html! {
        <section class="banner conflict" role="alert" data-conflicts={conflicts.len().to_string()}>
            <h3>{ format!("⚠ {}（{}）", lang.t(Msg::ConflictsTitle), conflicts.len()) }</h3>
            <p>{ lang.t(Msg::ConflictHint) }</p>
            { for conflicts.into_iter().map(|c| {
                let label = field_label(&ws, &c.field, lang);
                let ws = ws.clone();
                // A refused resolution reaches the banner through the handle.
                conflict_row(label, c, lang, editable, move |field, value| {
                    ws.resolve(field, value).ok();
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
