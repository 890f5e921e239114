//! The review panel beside a facility's merged inspection, for county reviewers: return for changes with a
//! reason, approve (recording the inspection's heads), and what changed since an approval. Everything is
//! written to the review document and reaches the facility's devices by sync.

use crate::components::conflicts::conflict_row;
use crate::components::dialog::confirm;
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;
use zhigai_shared::doc::{ReviewField, ReviewState, Submission};

/// The review panel (shown to users who may write the review).
#[component]
pub fn ReviewPanel() -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let reason = use_node_ref();
    let error = use_state(|| None::<String>);
    if !ws.review_writable() {
        return html! {};
    }
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
            match ws.return_for_changes(text) {
                Ok(()) => error.set(None),
                Err(_) => error.set(Some(lang.t(Msg::ReturnReasonPlaceholder).to_owned())),
            }
        })
    };
    let approve = {
        let ws = ws.clone();
        Callback::from(move |_| {
            // A refused approval reaches the banner through the handle.
            if confirm(lang.t(Msg::ApproveConfirm)) {
                ws.approve().ok();
            }
        })
    };
    // Two reviewers who decided differently at the same time: both decisions show until one is kept.
    let conflicts = ws.review_conflicts();
    html! {
        <section class="card review-panel" data-review={state.state.code()}>
            <h2>{ lang.t(Msg::ReviewPanel) }</h2>
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
                <button class="button primary approve" onclick={approve}>{ lang.t(Msg::Approve) }</button>
            </div>
        </section>
    }
}
