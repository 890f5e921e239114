//! The review panel beside a facility's merged inspection, for each step's reviewers: the medical
//! community's first step where the county reviews in two steps (pass on, or return with a reason), the
//! county's (approve, recording the inspection's heads, or return), and what changed since an approval;
//! and the review record both steps leave, which the facility sees too. Everything is written to the
//! review document and reaches the facility's devices by sync.

use crate::components::conflicts::conflict_row;
use crate::components::dialog::confirm;
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;
use zhigai_shared::access::Rights;
use zhigai_shared::doc::{ReviewField, ReviewState, StateView, StepView, Submission};

/// The review panel (shown to users who may decide a review step; a guiding head or a city reviewer, who
/// may only comment, gets a line saying so).
#[component]
pub fn ReviewPanel() -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    let reason = use_node_ref();
    let error = use_state(|| None::<String>);
    let rights = ws.review_rights();
    let first_step = rights.has(Rights::FIRST_STEP);
    let final_step = rights.has(Rights::FINAL_STEP);
    if !first_step && !final_step {
        return if rights.has(Rights::COMMENT) {
            html! { <p class="card muted guidance-only">{ lang.t(Msg::GuidanceOnly) }</p> }
        } else {
            html! {}
        };
    }
    let words = session.place_words();
    let state = ws.review_state();
    let submitted = ws.submission().state == Submission::Submitted;
    let since = (state.state == ReviewState::Approved).then(|| ws.changes_since_approval());
    let give_back = {
        let (ws, reason, error) = (ws.clone(), reason.clone(), error.clone());
        Callback::from(move |_| {
            let text = reason
                .cast::<HtmlTextAreaElement>()
                .map(|t| t.value())
                .unwrap_or_default();
            // The county's return where it may decide; else the first step's.
            let done = if final_step {
                ws.return_for_changes(text)
            } else {
                ws.return_first(text)
            };
            match done {
                Ok(()) => error.set(None),
                Err(_) => error.set(Some(lang.t(Msg::ReturnReasonPlaceholder).to_owned())),
            }
        })
    };
    let approve = {
        let ws = ws.clone();
        Callback::from(move |_| {
            // A refused decision reaches the banner through the handle.
            if final_step {
                if confirm(lang.t(Msg::ApproveConfirm)) {
                    ws.approve().ok();
                }
            } else if confirm(lang.t(Msg::PassOnConfirm)) {
                ws.pass_on().ok();
            }
        })
    };
    let title = if final_step {
        lang.pick(&words.county_review_zh, &words.county_review_en)
            .to_owned()
    } else {
        format!(
            "{}{}",
            lang.pick(words.community_zh, words.community_en),
            lang.t(Msg::FirstReview)
        )
    };
    // In a two-step county the county usually decides after the first step passed it on.
    let first_pending = final_step
        && words.two_step
        && submitted
        && !matches!(state.state, ReviewState::PassedOn | ReviewState::Approved);
    // Two reviewers who decided differently at the same time: both decisions show until one is kept.
    let conflicts = ws.review_conflicts();
    html! {
        <section class="card review-panel" data-review={state.state.code()} data-step={if final_step { "final" } else { "first" }}>
            <h2>{ title }</h2>
            <ReviewRecord state={state.clone()} />
            if first_pending {
                <p class="muted first-pending">{ lang.t(Msg::FirstStepPending) }</p>
            }
            if !conflicts.is_empty() {
                <div class="banner conflict review-conflict" role="alert">
                    <p>{ lang.t(Msg::ConflictHint) }</p>
                    { for conflicts.into_iter().map(|c| {
                        let field = match &c.field {
                            ReviewField::State => lang.t(Msg::ReviewState).to_owned(),
                            ReviewField::Verification { problem } => format!(
                                "{}「{}」",
                                lang.t(Msg::Verification),
                                ws.problem(problem).map(|p| p.description).unwrap_or_default()
                            ),
                        };
                        let ws = ws.clone();
                        conflict_row(field, c, lang, true, move |field, value| {
                            ws.resolve_review(field, value).ok();
                        })
                    }) }
                </div>
            }
            if !submitted && state.state != ReviewState::Approved {
                <p class="muted">{ lang.t(Msg::NotSubmittedYet) }</p>
            }
            if let Some(since) = since {
                { match since {
                    Some(changes) if changes.is_empty() => html! { <p class="muted">{ lang.t(Msg::NoChangeSinceApproval) }</p> },
                    Some(changes) => {
                        let mut subjects: Vec<String> = changes.iter().filter_map(|c| c.subject.clone()).collect();
                        subjects.sort();
                        subjects.dedup();
                        html! {
                            <p class="banner warn changed-since">
                                { format!("{}（{}）：{}", lang.t(Msg::ChangedSinceApproval), changes.len(), subjects.join("、")) }
                            </p>
                        }
                    }
                    None => html! { <p class="muted">{ lang.t(Msg::ApprovedStateUnknown) }</p> },
                } }
            }
            <label>{ lang.t(Msg::ReturnReason) }
                <textarea ref={reason} name="reason" rows="2" placeholder={lang.t(Msg::ReturnReasonPlaceholder)} />
            </label>
            if let Some(e) = (*error).clone() {
                <p class="banner error" role="alert">{ e }</p>
            }
            <div class="form-actions">
                <button class="button danger return" onclick={give_back}>{ lang.t(Msg::ReturnButton) }</button>
                if final_step {
                    <button class="button primary approve" onclick={approve}>{ lang.t(Msg::Approve) }</button>
                } else {
                    <button class="button primary pass-on" onclick={approve}>{ lang.t(Msg::PassOn) }</button>
                }
            </div>
        </section>
    }
}

/// Props of [`ReviewRecord`].
#[derive(Properties, PartialEq)]
pub struct ReviewRecordProps {
    /// The review state with both steps.
    pub state: StateView,
}

/// Both review steps' last decisions: who decided what, and when (the facility's review card, the
/// reviewers' panel and the printed table show it).
#[component]
pub fn ReviewRecord(props: &ReviewRecordProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let words = session.place_words();
    let steps: Vec<(String, &StepView, &'static str)> = [
        props.state.first.as_ref().map(|s| {
            (
                format!(
                    "{}{}",
                    lang.pick(words.community_zh, words.community_en),
                    lang.t(Msg::FirstReview)
                ),
                s,
                "first",
            )
        }),
        props
            .state
            .county
            .as_ref()
            .filter(|s| s.by.is_some())
            .map(|s| {
                (
                    lang.pick(&words.county_review_zh, &words.county_review_en)
                        .to_owned(),
                    s,
                    "final",
                )
            }),
    ]
    .into_iter()
    .flatten()
    .collect();
    if steps.is_empty() {
        return html! {};
    }
    html! {
        <ul class="review-record" aria-label={lang.t(Msg::ReviewRecord)}>
            { for steps.into_iter().map(|(title, step, code)| html! {
                <li data-step={code} data-state={step.state.code()}>
                    <strong>{ format!("{title}：{}", lang.pick(step.state.label_zh(), step.state.label_en())) }</strong>
                    { format!(
                        " {} {} {}",
                        lang.t(Msg::ReviewedBy),
                        step.by.as_ref().map(|a| a.name.clone()).unwrap_or_default(),
                        step.at.map(crate::state::time::short_time).unwrap_or_default()
                    ) }
                    if !step.reason.is_empty() {
                        <div class="reason">{ step.reason.clone() }</div>
                    }
                </li>
            }) }
        </ul>
    }
}
