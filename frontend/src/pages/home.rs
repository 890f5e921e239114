//! The facility's home: the phase of the year, progress per area, problems due soon or overdue, the review
//! state with the latest comments, and submission.

use crate::components::badges::{DueBadge, Meter};
use crate::components::conflicts::ConflictBanner;
use crate::components::dialog::confirm;
use crate::components::review::{ReviewPanel, ReviewRecord};
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use crate::route::Route;
use crate::state::problems::due_soon;
use crate::state::time::{phase_label, short_time};
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::access::Role;
use zhigai_shared::doc::{ReviewState, Submission};

/// The home page.
#[component]
pub fn HomePage() -> Html {
    let session = use_session();
    let ws = use_workspace();
    let lang = session.lang();
    if !ws.loaded() {
        return html! { <main class="page"><p role="status">{ lang.t(Msg::Loading) }</p></main> };
    }
    let (Ok(template), Some(summary)) = (ws.template(), ws.summary()) else {
        return html! { <main class="page"><p class="banner error" role="alert">{ lang.t(Msg::UpdateApp) }</p></main> };
    };
    let today = session.today();
    let fid = ws.facility_id();
    // This year's problems and those carried over from earlier years.
    let problems: Vec<_> = ws.problem_list().into_iter().map(|p| p.problem).collect();
    let due = due_soon(&problems, today);
    let last_year = ws.last_year_summary();
    let submission = ws.submission();
    let review = ws.review_state();
    let mut comments = ws.comments();
    comments.sort_by_key(|c| std::cmp::Reverse(c.at.map(|t| t.0)));
    comments.truncate(3);
    let phase = phase_label(today, lang);
    let is_head = ws.user().role == Role::Head;
    // A township or community centre's head, on their own home page: the clinics they guide.
    let guided: Vec<(String, String)> = session
        .session()
        .filter(|s| s.user.facility_id().map(|f| f.as_str()) == Some(fid.as_str()))
        .map(|s| {
            s.guides()
                .into_iter()
                .map(|e| (e.facility.id.to_string(), e.facility.name.clone()))
                .collect()
        })
        .unwrap_or_default();
    let editable = ws.editable();
    let writable = ws.writable();
    let draft = submission.state == Submission::Draft;
    let returned = review.state == ReviewState::Returned;
    // Refusals of these edits reach the banner through the handle.
    let submit = {
        let ws = ws.clone();
        Callback::from(move |_| {
            if confirm(lang.t(Msg::SubmitConfirm)) {
                ws.submit().ok();
            }
        })
    };
    let withdraw = {
        let ws = ws.clone();
        Callback::from(move |_| {
            ws.withdraw().ok();
        })
    };
    html! {
        <main class="page home">
            <section class="card phase-card">
                <div>{ format!("{}：", lang.t(Msg::Phase)) }<strong class="phase">{ phase }</strong></div>
                <div class="progress-total" data-answered={summary.answered.to_string()} data-applicable={summary.applicable.to_string()}>
                    { format!("{}：{} / {} {}", lang.t(Msg::Progress), summary.answered, summary.applicable, lang.t(Msg::Items)) }
                </div>
                <Meter value={summary.answered} max={summary.applicable} />
            </section>
            <ConflictBanner />
            <ReviewPanel />
            <section class="card review-card" data-review={review.state.code()}>
                <h2>{ lang.t(Msg::ReviewTitle) }</h2>
                <p>
                    { format!("{}：", lang.t(Msg::Submission)) }
                    <strong class="submission" data-state={submission.state.code()}>
                        { lang.pick(submission.state.label_zh(), submission.state.label_en()) }
                    </strong>
                    if let (Some(by), Some(at)) = (submission.by.clone(), submission.at) {
                        { format!("（{} {}）", by.name, short_time(at)) }
                    }
                </p>
                <p>
                    { format!("{}：", lang.t(Msg::ReviewState)) }
                    <strong class={classes!("review-state", review.state.code())}>
                        { lang.pick(review.state.label_zh(), review.state.label_en()) }
                    </strong>
                </p>
                if returned && !review.reason.is_empty() {
                    <p class="banner warn">{ format!("{}：{}", lang.t(Msg::ReturnReason), review.reason) }</p>
                }
                <ReviewRecord state={review.clone()} />
                <h3>{ lang.t(Msg::LatestComments) }</h3>
                if comments.is_empty() {
                    <p class="muted">{ lang.t(Msg::NoComments) }</p>
                }
                <ul class="comments">
                { for comments.iter().map(|c| html! {
                    <li>
                        <Link<Route> to={Route::Area { fid: fid.clone(), area: c.item.as_str().split('.').next().unwrap_or("T1").to_owned() }}>
                            { c.item.to_string() }
                        </Link<Route>>
                        { format!(" {}", c.text) }
                        <span class="muted">{ format!(" — {} {}", c.author.as_ref().map(|a| a.name.clone()).unwrap_or_default(), c.at.map(short_time).unwrap_or_default()) }</span>
                    </li>
                }) }
                </ul>
                if is_head && writable {
                    if draft || (returned && editable) {
                        <button class="button primary submit" onclick={submit}>
                            { if draft { lang.t(Msg::Submit) } else { lang.t(Msg::Resubmit) } }
                        </button>
                    } else if review.state != ReviewState::Approved {
                        <button class="button withdraw" onclick={withdraw}>{ lang.t(Msg::Withdraw) }</button>
                    }
                } else if draft {
                    <p class="muted">{ lang.t(Msg::OnlyHeadSubmits) }</p>
                }
            </section>
            if !guided.is_empty() {
                <section class="card guided">
                    <h2>{ lang.t(Msg::Guided) }</h2>
                    <ul>
                    { for guided.iter().map(|(id, name)| html! {
                        <li data-facility={id.clone()}>
                            <Link<Route> to={Route::Facility { fid: id.clone() }}>{ name.clone() }</Link<Route>>
                        </li>
                    }) }
                    </ul>
                </section>
            }
            <section class="card">
                <h2>{ lang.t(Msg::DueSoon) }</h2>
                if due.is_empty() {
                    <p class="muted">{ lang.t(Msg::NothingDue) }</p>
                }
                <ul class="due">
                { for due.iter().map(|(p, left)| html! {
                    <li class={classes!((*left < 0).then_some("overdue"))}>
                        <Link<Route> to={Route::Problems { fid: fid.clone() }}>{ p.description.clone() }</Link<Route>>
                        { " " }<DueBadge left={*left} />
                    </li>
                }) }
                </ul>
            </section>
            <p>
                <Link<Route> to={Route::Print { fid: fid.clone() }} classes="button small print-link">{ lang.t(Msg::Print) }</Link<Route>>
                { " " }
                <Link<Route> to={Route::Annual { fid: fid.clone() }} classes="button small annual-link">{ lang.t(Msg::AnnualSummary) }</Link<Route>>
                { " " }
                <Link<Route> to={Route::Templates} classes="button small templates-link">{ lang.pick("检查表版本", "Checklist versions") }</Link<Route>>
            </p>
            <ol class="areas">
            { for template.areas.iter().zip(summary.areas.iter()).map(|(area, counts)| html! {
                <li class="area" key={area.id.to_string()} data-area={area.id.to_string()}>
                    <Link<Route> to={Route::Area { fid: fid.clone(), area: area.id.to_string() }} classes="area-link">
                        <span class="area-number">{ area.number_zh.clone() }</span>
                        <span class="area-title">{ lang.pick(&area.title_zh, &area.title_en).to_owned() }</span>
                        <span class="area-count">
                            if counts.applicable == 0 {
                                <span class="muted">{ lang.t(Msg::AreaNotApplicable) }</span>
                            } else {
                                { format!("{}/{}", counts.answered, counts.applicable) }
                            }
                            if counts.non_compliant > 0 {
                                <span class="bad">{ format!(" · {} {}", counts.non_compliant, lang.t(Msg::NonCompliantShort)) }</span>
                            }
                            if let Some((year, last)) = &last_year {
                                if let Some(prev) = last.areas.iter().find(|a| a.area == area.id.as_str()) {
                                    <span class="last-year muted">{ format!(" · {}（{year}）{}/{}，{} {}", lang.t(Msg::LastYear), prev.answered, prev.applicable, prev.non_compliant, lang.t(Msg::NonCompliantShort)) }</span>
                                }
                            }
                        </span>
                        <Meter value={counts.answered} max={counts.applicable} />
                    </Link<Route>>
                </li>
            }) }
            </ol>
            <crate::components::photos::PhotoStorage />
        </main>
    }
}
