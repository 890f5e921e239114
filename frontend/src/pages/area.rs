//! One area of the checklist: the items that apply to the facility, each with four large status buttons,
//! a figure where the item asks for one, a note colleagues can type in together, guidance that unfolds,
//! who changed it last, the reviewer's comments and the item's history.

use crate::components::conflicts::ConflictBanner;
use crate::components::history::History;
use crate::components::note::NoteBox;
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use crate::route::Route;
use crate::state::figure::{Figure, parse_figure, parse_fraction_part};
use crate::state::time::short_time;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::doc::{ReviewState, Status};
use zhigai_shared::template::{Direction, Metric, ResponseKind};
use zhigai_shared::{FractionPart, ItemId, Template};

/// Props of [`AreaPage`].
#[derive(Properties, PartialEq)]
pub struct AreaProps {
    /// `T1` … `T9`.
    pub area: String,
}

/// The area page.
#[component]
pub fn AreaPage(props: &AreaProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let Ok(template) = ws.template() else {
        return html! { <main class="page"><p class="banner error" role="alert">{ lang.t(Msg::UpdateApp) }</p></main> };
    };
    let Some(area) = template.areas.iter().find(|a| a.id.as_str() == props.area) else {
        return html! { <main class="page"><p>{ lang.t(Msg::NotFound) }</p></main> };
    };
    let fid = ws.facility_id();
    let profile = ws.profile();
    let applicable: Vec<_> = area
        .items
        .iter()
        .filter(|i| profile.as_ref().is_none_or(|p| i.applies_to.matches(p)))
        .collect();
    let hidden = area.items.len() - applicable.len();
    let readonly_reason = if ws.editable() {
        None
    } else if ws.writable() {
        Some(lang.t(Msg::ReadOnlySubmitted))
    } else {
        Some(lang.t(Msg::ReadOnlyRole))
    };
    html! {
        <main class="page area-page" data-area={area.id.to_string()}>
            <Link<Route> to={Route::Facility { fid: fid.clone() }} classes="back">{ format!("‹ {}", lang.t(Msg::Back)) }</Link<Route>>
            <h2>{ format!("{} {}", area.number_zh, lang.pick(&area.title_zh, &area.title_en)) }</h2>
            if let Some(reason) = readonly_reason {
                <p class="banner info">{ reason }</p>
            }
            <ConflictBanner area={Some(area.id.to_string())} />
            { for applicable.iter().map(|item| html! {
                <ItemCard key={item.id.to_string()} item={item.id.to_string()} />
            }) }
            if hidden > 0 {
                <p class="muted">{ format!("{hidden} {}", lang.t(Msg::NotApplicableHidden)) }</p>
            }
        </main>
    }
}

/// Props of [`ItemCard`].
#[derive(Properties, PartialEq)]
pub struct ItemProps {
    /// The item id.
    pub item: String,
}

const STATUSES: [Status; 4] = [
    Status::Compliant,
    Status::Partial,
    Status::NonCompliant,
    Status::NotApplicable,
];

/// One check item.
#[component]
pub fn ItemCard(props: &ItemProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let comment_ref = use_node_ref();
    let figure_error = use_state(|| None::<Msg>);
    let id = ItemId::from(props.item.as_str());
    let Some(item) = ws.template().ok().and_then(|t| t.item(&id)) else {
        return html! {};
    };
    let Some(view) = ws.item(&id) else {
        return html! {};
    };
    let editable = ws.editable();
    let fid = ws.facility_id();
    let comments = ws.comments_on(&id);
    let returned = ws.review_state().state == ReviewState::Returned;
    let guidance = match &ws.profile() {
        Some(profile) => Template::guidance_for(item, profile),
        None => item.guidance_zh.clone(),
    };
    // Every edit's refusal reaches the banner through the handle; the comment form also keeps its text.
    let set_status = |status: Status| {
        let (ws, id) = (ws.clone(), id.clone());
        let current = view.status;
        Callback::from(move |_| {
            if current != Some(status) {
                ws.set_status(&id, Some(status)).ok();
            }
        })
    };
    let on_note = {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |text: String| {
            ws.set_note(&id, text).ok();
        })
    };
    // A typo is refused beside the box and the stored figure stays; only an empty box clears it.
    let on_metric = {
        let (ws, id, figure_error) = (ws.clone(), id.clone(), figure_error.clone());
        let unit = match &item.response {
            ResponseKind::StatusWithNumber { metric } => metric.unit.clone(),
            ResponseKind::Status => String::new(),
        };
        Callback::from(move |e: Event| {
            let raw = e.target_unchecked_into::<HtmlInputElement>().value();
            match parse_figure(&raw, &unit) {
                Ok(figure) => {
                    figure_error.set(None);
                    let value = match figure {
                        Figure::Cleared => None,
                        Figure::Value(v) => Some(v),
                    };
                    ws.set_metric(&id, value).ok();
                }
                Err(msg) => figure_error.set(Some(msg)),
            }
        })
    };
    // A rate's two counts, each checked against the other as stored.
    let on_part = |part: FractionPart| {
        let (ws, id, figure_error) = (ws.clone(), id.clone(), figure_error.clone());
        let (numerator, denominator) = (view.numerator, view.denominator);
        Callback::from(move |e: Event| {
            let raw = e.target_unchecked_into::<HtmlInputElement>().value();
            match parse_fraction_part(&raw, part, numerator, denominator) {
                Ok(figure) => {
                    figure_error.set(None);
                    let value = match figure {
                        Figure::Cleared => None,
                        Figure::Value(v) => Some(v),
                    };
                    ws.set_fraction_part(&id, part, value).ok();
                }
                Err(msg) => figure_error.set(Some(msg)),
            }
        })
    };
    let add_comment = {
        let (ws, id, input) = (ws.clone(), id.clone(), comment_ref.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(field) = input.cast::<HtmlInputElement>() else {
                return;
            };
            if ws.comment(&id, field.value()).is_ok() {
                field.set_value("");
            }
        })
    };
    let needs_problem = matches!(view.status, Some(Status::NonCompliant | Status::Partial));
    // Last year's answer beside this year's, when the device has last year.
    let last_year = ws.last_year_item(&id).and_then(|(year, last)| {
        let status = last.status?;
        let metric = last.metric.map(|m| format!("，{m}")).unwrap_or_default();
        Some(format!(
            "{}（{year}）：{}{metric}",
            lang.t(Msg::LastYear),
            lang.pick(status.label_zh(), status.label_en())
        ))
    });
    html! {
        <article class={classes!("item", view.conflicted.then_some("conflicted"), (returned && !comments.is_empty()).then_some("commented"))}
            data-item={id.to_string()} data-status={view.status.map(|s| s.code()).unwrap_or("none")}>
            <h3 class="item-title"><span class="item-id">{ id.to_string() }</span>{ " " }{ lang.pick(&item.text_zh, &item.text_en).to_owned() }</h3>
            if let Some(text) = last_year {
                <p class="last-year muted">{ text }</p>
            }
            <div class="status-buttons" role="group" aria-label={lang.pick("状态", "Status")}>
            { for STATUSES.iter().map(|s| {
                let pressed = view.status == Some(*s);
                html! {
                    <button class={classes!("status", s.code(), pressed.then_some("on"))}
                        aria-pressed={pressed.to_string()} disabled={!editable}
                        data-status={s.code()} onclick={set_status(*s)}>
                        { lang.pick(s.label_zh(), s.label_en()) }
                    </button>
                }
            }) }
            </div>
            if let ResponseKind::StatusWithNumber { metric } = &item.response {
                if let (Some(numerator), Some(denominator)) = (&metric.numerator, &metric.denominator) {
                    <fieldset class="metric rate" data-rate={view.metric.map(|m| m.to_string()).unwrap_or_default()}>
                        <legend>{ format!("{}（{}）· {}", lang.pick(&metric.zh, &metric.en), metric.unit, lang.pick(metric.period.label_zh(), metric.period.label_en())) }</legend>
                        // Text boxes, not type=number: a browser empties a number box it cannot read, which
                        // would clear the stored count.
                        <label>{ lang.pick(&numerator.zh, &numerator.en).to_owned() }
                            <input type="text" inputmode="numeric" name="numerator" disabled={!editable}
                                aria-invalid={figure_error.is_some().to_string()}
                                value={view.numerator.map(|m| m.to_string()).unwrap_or_default()} onchange={on_part(FractionPart::Numerator)} />
                        </label>
                        <label>{ lang.pick(&denominator.zh, &denominator.en).to_owned() }
                            <input type="text" inputmode="numeric" name="denominator" disabled={!editable}
                                aria-invalid={figure_error.is_some().to_string()}
                                value={view.denominator.map(|m| m.to_string()).unwrap_or_default()} onchange={on_part(FractionPart::Denominator)} />
                        </label>
                        <p class="rate-value">
                        { match (view.metric, view.numerator, view.denominator) {
                            (Some(rate), _, _) => format!("= {rate}%"),
                            (None, Some(n), Some(d)) if n > d => lang.t(Msg::FigureImpossiblePair).to_owned(),
                            _ => String::new(),
                        } }
                        </p>
                    </fieldset>
                } else {
                    <label class="metric">{ format!("{}（{}）· {}", lang.pick(&metric.zh, &metric.en), metric.unit, lang.pick(metric.period.label_zh(), metric.period.label_en())) }
                        // A text box, not type=number: a browser empties a number box it cannot read, which
                        // would clear the stored figure.
                        <input type="text" inputmode="decimal" name="figure" disabled={!editable}
                            aria-invalid={figure_error.is_some().to_string()}
                            value={view.metric.map(|m| m.to_string()).unwrap_or_default()} onchange={on_metric} />
                    </label>
                }
                { target_badge(metric, view.metric, lang) }
                if let Some(msg) = *figure_error {
                    <p class="banner error figure-error" role="alert">{ lang.t(msg) }</p>
                }
            }
            <label class="note">{ lang.t(Msg::Note) }
                <NoteBox value={view.note.clone()} disabled={!editable}
                    placeholder={lang.t(Msg::NotePlaceholder)} oninput={on_note} />
            </label>
            <crate::components::photos::PhotoStrip subject={zhigai_shared::photo::PhotoSubject::Item { item: view.id.clone() }} />
            { for comments.iter().map(|c| html! {
                <p class="review-comment" role="note">
                    <strong>{ format!("{}：", lang.t(Msg::ReviewerComment)) }</strong>{ c.text.clone() }
                    <span class="muted">{ format!(" — {} {}", c.author.as_ref().map(|a| a.name.clone()).unwrap_or_default(), c.at.map(short_time).unwrap_or_default()) }</span>
                </p>
            }) }
            if ws.review_writable() {
                <form class="comment-form" onsubmit={add_comment}>
                    <input ref={comment_ref} name="comment" placeholder={lang.t(Msg::CommentPlaceholder)} />
                    <button class="button small" type="submit">{ lang.t(Msg::AddComment) }</button>
                </form>
            }
            <details class="guidance">
                <summary>{ lang.t(Msg::Guidance) }</summary>
                <p>{ guidance }</p>
                if let Some(judge) = &item.judge {
                    <dl class="judge" aria-label={lang.t(Msg::HowToJudge)}>
                    { for judge.by_status().into_iter().map(|(status, text)| html! {
                        <>
                            <dt class={format!("judge-{}", status.code())}>{ lang.pick(status.label_zh(), status.label_en()) }</dt>
                            <dd>{ text.to_owned() }</dd>
                        </>
                    }) }
                    </dl>
                }
                <p class="muted">{ format!("{}：{}", lang.t(Msg::Source), item.source) }</p>
            </details>
            <div class="item-foot">
                <span class="last-change">
                { match &ws.last_change(id.as_str()) {
                    Some(c) => format!("{}：{} {}", lang.t(Msg::LastChanged), c.author.name, short_time(c.at)),
                    None => lang.t(Msg::NeverChanged).to_owned(),
                } }
                </span>
                if needs_problem && editable {
                    <Link<Route> to={Route::ProblemsForItem { fid, item: id.to_string() }} classes="button small">
                        { format!("+ {}", lang.t(Msg::AddProblem)) }
                    </Link<Route>>
                }
            </div>
            <History subject={id.to_string()} />
        </article>
    }
}

/// Whether the figure meets the target the pinned version sets, beside the status; nothing without a
/// target or a figure.
fn target_badge(metric: &Metric, figure: Option<f64>, lang: crate::i18n::Lang) -> Html {
    let (Some(target), Some(value)) = (metric.target, figure) else {
        return html! {};
    };
    let missed = metric.misses_target(value).unwrap_or(false);
    let sign = match metric.direction {
        Direction::Higher => "≥",
        Direction::Lower => "≤",
    };
    html! {
        <p class={classes!("target", if missed { "missed" } else { "met" })} data-target={target.to_string()}>
            { format!("{}（{} {sign} {target}{}）", lang.t(if missed { Msg::TargetMissed } else { Msg::TargetMet }), lang.t(Msg::Target), metric.unit) }
        </p>
    }
}
