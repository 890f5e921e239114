//! The problem list (问题清单): add a problem from an item or on its own, with its improvement measure,
//! owner (from the facility's staff), deadline; move it 待整改 → 整改中 → 已整改; overdue highlighted;
//! filter by area, owner and status; each problem's history and the county's verification. Reviewers at any
//! level add findings from their checks (核查): they appear in the list marked with the level that found
//! them; the facility sets their measure, owner and status, the reviewer's item, description and deadline
//! stay the reviewer's.

use crate::components::badges::DueBadge;
use crate::components::conflicts::ConflictBanner;
use crate::components::dialog::confirm;
use crate::components::history::History;
use crate::components::photos::PhotoStrip;
use crate::hooks::{WorkspaceHandle, use_session, use_workspace};
use crate::i18n::{Lang, Msg};
use crate::state::problems::{DUE_SOON_DAYS, ProblemFilter, days_left, owners_for, sort_for_list};
use crate::state::workspace::UiError;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;
use zhigai_shared::access::{Level, Rights};
use zhigai_shared::api::User;
use zhigai_shared::carry::ListedProblem;
use zhigai_shared::doc::{
    Date, NewFinding, NewProblem, Owner, ProblemChange, ProblemStatus, Verdict,
};
use zhigai_shared::photo::{PhotoPhase, PhotoSubject};
use zhigai_shared::{ItemId, ProblemId};

/// Props of [`ProblemsPage`].
#[derive(Properties, PartialEq)]
pub struct ProblemsProps {
    /// Opened from this item: the list shows its problems and the form starts linked to it.
    #[prop_or_default]
    pub item: Option<String>,
}

fn owner_of(staff: &[User], id: &str) -> Option<Owner> {
    staff.iter().find(|u| u.id.as_str() == id).map(|u| Owner {
        user: u.id.clone(),
        name: u.display_name.clone(),
    })
}

fn select_value(e: &Event) -> String {
    e.target_unchecked_into::<HtmlSelectElement>().value()
}

fn error_text(e: &UiError, lang: Lang) -> String {
    let detail = e.detail();
    match e {
        UiError::Refused(zhigai_shared::DocError::Empty(_)) | UiError::ReadOnly => {
            lang.t(e.msg()).to_owned()
        }
        UiError::Refused(_) => format!("{}（{detail}）", lang.t(e.msg())),
    }
}

/// The problem list.
#[component]
pub fn ProblemsPage(props: &ProblemsProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let filter = use_state(|| ProblemFilter {
        item: props.item.clone(),
        ..ProblemFilter::default()
    });
    let adding = use_state(|| props.item.is_some());
    let Ok(template) = ws.template() else {
        return html! { <main class="page"><p class="banner error" role="alert">{ lang.t(Msg::UpdateApp) }</p></main> };
    };
    let editable = ws.editable();
    // A reviewer who may record findings uses the same form for a finding of their level.
    let finding_level = ws
        .user()
        .role
        .level()
        .filter(|_| ws.review_rights().has(Rights::FINDING));
    let finds = finding_level.is_some();
    let all = ws.problem_list();
    let mut shown: Vec<ListedProblem> = all
        .iter()
        .filter(|p| filter.accepts(&p.problem, template))
        .cloned()
        .collect();
    sort_for_list(&mut shown, |p| &p.problem);
    let staff = ws.staff();
    let set = |f: fn(&mut ProblemFilter, String)| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let mut next = (*filter).clone();
            f(&mut next, select_value(&e));
            filter.set(next);
        })
    };
    let on_area = set(|f, v| f.area = (!v.is_empty()).then_some(v));
    let on_owner = set(|f, v| f.owner = (!v.is_empty()).then(|| v.into()));
    let on_status = set(|f, v| f.status = v.parse().ok());
    let clear_item = {
        let filter = filter.clone();
        Callback::from(move |_| {
            let mut next = (*filter).clone();
            next.item = None;
            filter.set(next);
        })
    };
    let open_form = {
        let adding = adding.clone();
        Callback::from(move |_| adding.set(true))
    };
    let close_form = {
        let adding = adding.clone();
        Callback::from(move |()| adding.set(false))
    };
    html! {
        <main class="page problems-page">
            <h2>{ format!("{}（{}）", lang.t(Msg::Problems), all.len()) }</h2>
            <ConflictBanner />
            <div class="filters">
                <label>{ lang.t(Msg::FilterArea) }
                    <select onchange={on_area}>
                        <option value="" selected={filter.area.is_none()}>{ lang.t(Msg::All) }</option>
                        { for template.areas.iter().map(|a| html! {
                            <option value={a.id.to_string()} selected={filter.area.as_deref() == Some(a.id.as_str())}>
                                { format!("{} {}", a.number_zh, lang.pick(&a.title_zh, &a.title_en)) }
                            </option>
                        }) }
                    </select>
                </label>
                <label>{ lang.t(Msg::FilterOwner) }
                    <select onchange={on_owner}>
                        <option value="" selected={filter.owner.is_none()}>{ lang.t(Msg::All) }</option>
                        { for staff.iter().map(|u| html! {
                            <option value={u.id.to_string()} selected={filter.owner.as_ref() == Some(&u.id)}>{ u.display_name.clone() }</option>
                        }) }
                    </select>
                </label>
                <label>{ lang.t(Msg::FilterStatus) }
                    <select onchange={on_status}>
                        <option value="" selected={filter.status.is_none()}>{ lang.t(Msg::All) }</option>
                        { for ProblemStatus::ALL.iter().map(|s| html! {
                            <option value={s.code()} selected={filter.status == Some(*s)}>{ lang.pick(s.label_zh(), s.label_en()) }</option>
                        }) }
                    </select>
                </label>
                if let Some(item) = &filter.item {
                    <button class="chip" onclick={clear_item}>{ format!("{item} ✕") }</button>
                }
            </div>
            if editable || finds {
                if *adding {
                    <ProblemForm item={filter.item.clone()} on_done={close_form} finding={finding_level} />
                } else {
                    <button class="button primary add-problem" onclick={open_form}>
                        { format!("+ {}", lang.t(if finds { Msg::NewFinding } else { Msg::NewProblem })) }
                    </button>
                }
            }
            if shown.is_empty() {
                <p class="muted">{ lang.t(Msg::NoProblems) }</p>
            }
            <ul class="problem-list">
            { for shown.into_iter().map(|p| html! { <ProblemCard key={p.problem.id.to_string()} id={p.problem.id.to_string()} /> }) }
            </ul>
        </main>
    }
}

/// Props of [`ProblemForm`].
#[derive(Properties, PartialEq)]
pub struct FormProps {
    /// The item to link, if any.
    pub item: Option<String>,
    /// Called after saving or cancelling.
    pub on_done: Callback<()>,
    /// A reviewer's finding of this level instead of the facility's own problem (no measure or owner:
    /// those are the facility's).
    #[prop_or_default]
    pub finding: Option<Level>,
}

/// The form to record a problem.
#[component]
pub fn ProblemForm(props: &FormProps) -> Html {
    let lang = use_session().lang();
    let ws = use_workspace();
    let error = use_state(|| None::<String>);
    let item_choice = use_state(|| props.item.clone());
    let (description, measure, owner, deadline, item) = (
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
        use_node_ref(),
    );
    let Ok(template) = ws.template() else {
        return html! {};
    };
    let staff = ws.staff();
    let fid = ws.facility_id();
    let finding = props.finding;
    // The item chosen so far decides whose staff may own the problem.
    let chosen = (*item_choice).clone().map(ItemId::new);
    let on_item = {
        let item_choice = item_choice.clone();
        Callback::from(move |e: Event| {
            let v = select_value(&e);
            item_choice.set((!v.is_empty()).then_some(v));
        })
    };
    let onsubmit = {
        let ws = ws.clone();
        let error = error.clone();
        let on_done = props.on_done.clone();
        let refs = (
            description.clone(),
            measure.clone(),
            owner.clone(),
            deadline.clone(),
            item.clone(),
        );
        let staff = staff.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let input = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let select = |r: &NodeRef| {
                r.cast::<HtmlSelectElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let text = |r: &NodeRef| {
                r.cast::<HtmlTextAreaElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let item = Some(select(&refs.4))
                .filter(|s| !s.is_empty())
                .map(ItemId::new);
            let description = text(&refs.0).trim().to_owned();
            let deadline = input(&refs.3).parse::<Date>().ok();
            let done = match finding {
                Some(level) => ws.add_finding(NewFinding {
                    item,
                    description,
                    deadline,
                    level,
                }),
                None => ws.add_problem(NewProblem {
                    item,
                    description,
                    measure: text(&refs.1).trim().to_owned(),
                    owner: owner_of(&staff, &select(&refs.2)),
                    deadline,
                }),
            };
            match done {
                Ok(_) => on_done.emit(()),
                Err(e) => error.set(Some(error_text(&e, lang))),
            }
        })
    };
    let cancel = {
        let on_done = props.on_done.clone();
        Callback::from(move |_| on_done.emit(()))
    };
    html! {
        <form class={classes!("card", "problem-form", finding.is_some().then_some("finding-form"))} {onsubmit}>
            <h3>{ lang.t(if finding.is_some() { Msg::NewFinding } else { Msg::NewProblem }) }</h3>
            <label>{ lang.t(Msg::Item) }
                <select ref={item} name="item" onchange={on_item}>
                    <option value="">{ lang.t(Msg::NoItem) }</option>
                    { for template.items().map(|i| html! {
                        <option value={i.id.to_string()} selected={props.item.as_deref() == Some(i.id.as_str())}>
                            { format!("{} {}", i.id, truncate(lang.pick(&i.text_zh, &i.text_en), 24)) }
                        </option>
                    }) }
                </select>
            </label>
            <label>{ lang.t(Msg::Description) }
                <textarea ref={description} name="description" rows="2" required=true />
            </label>
            if finding.is_none() {
                <label>{ lang.t(Msg::Measure) }
                    <textarea ref={measure} name="measure" rows="2" />
                </label>
                <label>{ lang.t(Msg::Owner) }
                    <select ref={owner} name="owner">
                        <option value="">{ lang.t(Msg::NoOwner) }</option>
                        { for owners_for(&staff, &fid, chosen.as_ref(), template).into_iter().map(|u| {
                            // Lead-hospital staff (offered under the items the plan gives them) are named as such.
                            let lead = u.facility_id().is_none_or(|f| f.as_str() != fid);
                            html! { <option value={u.id.to_string()}>{ if lead { format!("{}（{}）", u.display_name, lang.t(Msg::LeadHospital)) } else { u.display_name.clone() } }</option> }
                        }) }
                    </select>
                </label>
            }
            <label>{ lang.t(Msg::Deadline) }
                <input ref={deadline} name="deadline" type="date" />
            </label>
            if let Some(e) = (*error).clone() {
                <p class="banner error" role="alert">{ e }</p>
            }
            <div class="form-actions">
                <button class="button primary" type="submit">{ lang.t(Msg::Save) }</button>
                <button class="button" type="button" onclick={cancel}>{ lang.t(Msg::Cancel) }</button>
            </div>
        </form>
    }
}

/// 核查发现（医共体）, … : which level's check found a problem.
fn finding_label(level: Level, lang: Lang) -> String {
    let (zh, en) = match level {
        Level::Community => ("医共体", "medical community"),
        Level::County => ("县（区）", "county"),
        Level::City => ("市级质控中心", "city QC centre"),
        Level::Province => ("省级", "province"),
        Level::Facility => ("机构", "facility"),
    };
    match lang {
        Lang::Zh => format!("{}（{zh}）", lang.t(Msg::Finding)),
        Lang::En => format!("{} ({en})", lang.t(Msg::Finding)),
    }
}

fn truncate(text: &str, chars: usize) -> String {
    let mut out: String = text.chars().take(chars).collect();
    if text.chars().count() > chars {
        out.push('…');
    }
    out
}

/// Props of [`ProblemCard`].
#[derive(Properties, PartialEq)]
pub struct CardProps {
    /// The problem id.
    pub id: String,
}

/// A change to a problem from a field that has no form of its own: a refusal reaches the banner.
fn change(ws: &WorkspaceHandle, id: &ProblemId, change: ProblemChange) {
    ws.update_problem(id, change).ok();
}

/// One problem, editable in place.
#[component]
pub fn ProblemCard(props: &CardProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    let id = ProblemId::from(props.id.as_str());
    let Some(listed) = ws.listed_problem(&id) else {
        return html! {};
    };
    let (p, origin, verification, found_by) = (
        listed.problem,
        listed.origin,
        listed.verification,
        listed.finding,
    );
    let carried = origin < ws.year();
    // Rectification outlives submission and review: problems stay updatable; recording and deleting
    // follow the year's submission. A finding's item, description and deadline are the reviewer's.
    let editable = ws.can_update_problems(origin);
    let own_fields = editable && found_by.is_none();
    let deletable = !carried && ws.editable() && found_by.is_none();
    // A reviewer who may record findings may withdraw one recorded by mistake.
    let withdrawable = found_by.is_some() && ws.review_rights().has(Rights::FINDING);
    let staff = ws.staff();
    let left = days_left(&p, session.today());
    let template = ws.template().ok();
    let item_text = p.item.as_ref().and_then(|i| template?.item(i)).map(|i| {
        format!(
            "{} {}",
            i.id,
            truncate(lang.pick(&i.text_zh, &i.text_en), 30)
        )
    });
    let on_text = |make: fn(String) -> ProblemChange| {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            change(&ws, &id, make(value.trim().to_owned()));
        })
    };
    let on_owner = {
        let (ws, id, staff) = (ws.clone(), id.clone(), staff.clone());
        Callback::from(move |e: Event| {
            change(
                &ws,
                &id,
                ProblemChange::Owner(owner_of(&staff, &select_value(&e))),
            )
        })
    };
    let on_deadline = {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |e: Event| {
            let raw = e.target_unchecked_into::<HtmlInputElement>().value();
            change(&ws, &id, ProblemChange::Deadline(raw.parse().ok()));
        })
    };
    let set_status = |status: ProblemStatus| {
        let (ws, id) = (ws.clone(), id.clone());
        let current = p.status;
        Callback::from(move |_| {
            if current != status {
                change(&ws, &id, ProblemChange::Status(status));
            }
        })
    };
    let delete = {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |_| {
            if confirm(lang.t(Msg::DeleteConfirm)) {
                ws.delete_problem(&id).ok();
            }
        })
    };
    let withdraw = {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |_| {
            if confirm(lang.t(Msg::DeleteConfirm)) {
                ws.withdraw_finding(&id).ok();
            }
        })
    };
    let verify = |verdict: Verdict| {
        let (ws, id) = (ws.clone(), id.clone());
        Callback::from(move |_| {
            ws.verify(&id, verdict).ok();
        })
    };
    let can_verify = ws.can_verify(origin) && p.status == ProblemStatus::Rectified;
    let fid = ws.facility_id();
    let owners: Vec<User> = template
        .map(|t| {
            owners_for(&staff, &fid, p.item.as_ref(), t)
                .into_iter()
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let overdue = p.days_overdue(session.today()).is_some();
    html! {
        <li class={classes!("problem", "card", overdue.then_some("overdue"), carried.then_some("carried-over"))} data-problem={id.to_string()} data-status={p.status.code()}>
            <div class="problem-head">
                if carried {
                    <span class="carried" data-origin={origin.to_string()}>{ format!("{}（{origin}）", lang.t(Msg::CarriedOver)) }</span>
                }
                if let Some(level) = found_by {
                    <span class="finding-badge" data-level={level.code()}>{ finding_label(level, lang) }</span>
                }
                <span class="problem-item">{ item_text.unwrap_or_else(|| lang.t(Msg::NoItem).to_owned()) }</span>
                if let Some(left) = left {
                    if left <= DUE_SOON_DAYS { <DueBadge {left} /> }
                }
            </div>
            <label>{ lang.t(Msg::Description) }
                <textarea rows="2" disabled={!own_fields} value={p.description.clone()} onchange={on_text(ProblemChange::Description)} />
            </label>
            <label>{ lang.t(Msg::Measure) }
                <textarea rows="2" disabled={!editable} value={p.measure.clone()} onchange={on_text(ProblemChange::Measure)} />
            </label>
            <div class="problem-grid">
                <label>{ lang.t(Msg::Owner) }
                    <select disabled={!editable} onchange={on_owner}>
                        <option value="" selected={p.owner.is_none()}>{ lang.t(Msg::NoOwner) }</option>
                        { for owners.iter().map(|u| html! {
                            <option value={u.id.to_string()} selected={p.owner.as_ref().is_some_and(|o| o.user == u.id)}>{ u.display_name.clone() }</option>
                        }) }
                        // An owner who is not (or no longer) in the staff list still shows.
                        if let Some(o) = p.owner.as_ref().filter(|o| !owners.iter().any(|u| u.id == o.user)) {
                            <option value={o.user.to_string()} selected=true>{ o.name.clone() }</option>
                        }
                    </select>
                </label>
                <label>{ lang.t(Msg::Deadline) }
                    <input type="date" disabled={!own_fields} value={p.deadline.map(|d| d.to_string()).unwrap_or_default()} onchange={on_deadline} />
                </label>
            </div>
            <div class="status-buttons problem-status" role="group" aria-label={lang.t(Msg::FilterStatus)}>
            { for ProblemStatus::ALL.iter().map(|s| {
                let on = p.status == *s;
                html! {
                    <button class={classes!("status", s.code(), on.then_some("on"))} aria-pressed={on.to_string()}
                        disabled={!editable} data-status={s.code()} onclick={set_status(*s)}>
                        { lang.pick(s.label_zh(), s.label_en()) }
                    </button>
                }
            }) }
            </div>
            <div class="problem-photos">
                <PhotoStrip subject={PhotoSubject::Problem { problem: id.clone(), phase: PhotoPhase::Before }} />
                <PhotoStrip subject={PhotoSubject::Problem { problem: id.clone(), phase: PhotoPhase::After }} />
            </div>
            if let Some(v) = verification {
                <p class={classes!("verification", v.verdict.code())}>
                    { format!("{}：{}", lang.t(Msg::Verification), lang.pick(v.verdict.label_zh(), v.verdict.label_en())) }
                </p>
            }
            if can_verify {
                <div class="form-actions verify">
                    <button class="button small" onclick={verify(Verdict::Verified)}>{ lang.t(Msg::Verified) }</button>
                    <button class="button small danger" onclick={verify(Verdict::Failed)}>{ lang.t(Msg::VerifyFailed) }</button>
                </div>
            }
            <div class="item-foot">
                <span class="muted">{ format!("{}：{}", lang.t(Msg::RecordedBy), p.created_by.map(|a| a.name).unwrap_or_default()) }</span>
                if deletable {
                    <button class="button small danger" onclick={delete}>{ lang.t(Msg::Delete) }</button>
                }
                if withdrawable {
                    <button class="button small danger withdraw-finding" onclick={withdraw}>{ lang.t(Msg::Delete) }</button>
                }
            </div>
            <History subject={id.to_string()} />
        </li>
    }
}
