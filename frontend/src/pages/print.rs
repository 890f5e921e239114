//! The printable self-inspection table of a facility-year: every applicable item with its status and
//! note, the problem list with measures, owners and deadlines, the review record (both steps where the
//! county reviews in two), and a signature line for the head. The print
//! style sheet hides the app's chrome.

use crate::components::photos::PrintThumbs;
use crate::components::review::ReviewRecord;
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use crate::state::figure::figure_text;
use yew::prelude::*;
use zhigai_shared::photo::{PhotoPhase, PhotoSubject};
use zhigai_shared::template::ResponseKind;

/// The print page.
#[component]
pub fn PrintPage() -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    let Ok(template) = ws.template() else {
        return html! { <main class="page"><p class="banner error" role="alert">{ lang.t(Msg::UpdateApp) }</p></main> };
    };
    let name = ws.facility_name();
    let profile = ws.profile();
    let print = Callback::from(|_| {
        if let Some(window) = web_sys::window() {
            // A browser without printing has no dialog to show; the page itself stays readable.
            window.print().ok();
        }
    });
    let status_of = |s: Option<zhigai_shared::Status>| {
        s.map(|s| lang.pick(s.label_zh(), s.label_en()).to_owned())
            .unwrap_or_else(|| "—".to_owned())
    };
    let problems = ws.problems();
    html! {
        <main class="page print-page">
            <button class="button primary no-print" onclick={print}>{ lang.t(Msg::Print) }</button>
            <h2 class="print-title">{ format!("{name} {} 年度医疗质量自查整改表", ws.year()) }</h2>
            <p class="muted">{ format!("{}：{}", lang.pick("打印日期", "Printed"), session.today()) }</p>
            <table class="print-table">
                <thead><tr>
                    <th>{ lang.pick("编号", "No.") }</th><th>{ lang.pick("检查内容", "Check item") }</th>
                    <th>{ lang.pick("自查结果", "Result") }</th><th>{ lang.t(Msg::Note) }</th>
                </tr></thead>
                { for template.areas.iter().map(|area| html! {
                    <tbody>
                        <tr class="group"><th colspan="4">{ format!("{} {}", area.number_zh, lang.pick(&area.title_zh, &area.title_en)) }</th></tr>
                        { for area.items.iter()
                            .filter(|i| profile.as_ref().is_none_or(|p| i.applies_to.matches(p)))
                            .map(|item| {
                                let view = ws.item(&item.id);
                                html! {
                                    <tr data-item={item.id.to_string()}>
                                        <td>{ item.id.to_string() }</td>
                                        <td>{ lang.pick(&item.text_zh, &item.text_en).to_owned() }</td>
                                        <td class="result">
                                            { status_of(view.as_ref().and_then(|v| v.status)) }
                                            if let (ResponseKind::StatusWithNumber { metric }, Some(v)) = (&item.response, view.as_ref()) {
                                                if let Some(text) = figure_text(metric, v.numerator, v.denominator, v.metric) {
                                                    <br /><span class="figure">{ text }</span>
                                                }
                                            }
                                        </td>
                                        <td>{ view.map(|v| v.note).unwrap_or_default() }
                                            <PrintThumbs subject={PhotoSubject::Item { item: item.id.clone() }} />
                                        </td>
                                    </tr>
                                }
                            }) }
                    </tbody>
                }) }
            </table>
            <h3>{ lang.t(Msg::Problems) }</h3>
            <table class="print-table problems">
                <thead><tr>
                    <th>{ lang.t(Msg::Item) }</th><th>{ lang.t(Msg::Description) }</th><th>{ lang.t(Msg::Measure) }</th>
                    <th>{ lang.t(Msg::Owner) }</th><th>{ lang.t(Msg::Deadline) }</th><th>{ lang.t(Msg::FilterStatus) }</th>
                </tr></thead>
                <tbody>
                { for problems.iter().map(|p| html! {
                    <tr>
                        <td>{ p.item.as_ref().map(ToString::to_string).unwrap_or_default() }</td>
                        <td>{ p.description.clone() }</td>
                        <td>{ p.measure.clone() }
                            <PrintThumbs subject={PhotoSubject::Problem { problem: p.id.clone(), phase: PhotoPhase::Before }} />
                            <PrintThumbs subject={PhotoSubject::Problem { problem: p.id.clone(), phase: PhotoPhase::After }} />
                        </td>
                        <td>{ p.owner.as_ref().map(|o| o.name.clone()).unwrap_or_default() }</td>
                        <td>{ p.deadline.map(|d| d.to_string()).unwrap_or_default() }</td>
                        <td>{ lang.pick(p.status.label_zh(), p.status.label_en()) }</td>
                    </tr>
                }) }
                </tbody>
            </table>
            <h3>{ lang.t(Msg::ReviewRecord) }</h3>
            <ReviewRecord state={ws.review_state()} />
            <p class="signature">{ lang.pick("机构负责人（签字）：________________　　日期：____年____月____日", "Head of facility (signature): ________________   Date: ____________") }</p>
        </main>
    }
}
