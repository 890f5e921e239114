//! 年度评估 outputs: a facility's annual summary of the year shown (per area this year against last, its
//! problems found / rectified / verified / still open, those carried over, the review outcome) and the county's
//! annual report (coverage against target, compliance per area this year and last, common problems,
//! rectification). Both print with the print style sheet; the facility's carries the head's signature line.

use crate::hooks::{use_annual, use_session, use_workspace};
use crate::i18n::{Lang, Msg};
use crate::state::county::compliance;
use yew::prelude::*;
use zhigai_shared::Template;
use zhigai_shared::doc::{ProblemStatus, Verdict};

fn pct(part: u32, whole: u32) -> String {
    (part * 100)
        .checked_div(whole)
        .map_or_else(|| "—".to_owned(), |p| format!("{p}%"))
}

fn print_button(lang: Lang) -> Html {
    let print = Callback::from(|_| {
        if let Some(window) = web_sys::window() {
            // A browser without printing has no dialog to show; the page itself stays readable.
            window.print().ok();
        }
    });
    html! { <button class="button primary no-print" onclick={print}>{ lang.t(Msg::Print) }</button> }
}

/// The facility's annual summary of the year shown.
#[component]
pub fn AnnualPage() -> Html {
    let session = use_session();
    let lang = session.lang();
    let ws = use_workspace();
    if !ws.loaded() {
        return html! { <main class="page"><p role="status">{ lang.t(Msg::Loading) }</p></main> };
    }
    let (Ok(template), Some(summary)) = (ws.template(), ws.summary()) else {
        return html! { <main class="page"><p class="banner error" role="alert">{ lang.t(Msg::UpdateApp) }</p></main> };
    };
    let year = ws.year();
    let last = ws.last_year_summary();
    let list = ws.problem_list();
    let own: Vec<_> = list.iter().filter(|p| p.origin == year).collect();
    let count =
        |f: &dyn Fn(&&&zhigai_shared::carry::ListedProblem) -> bool| own.iter().filter(f).count();
    let found = own.len();
    let rectified = count(&|p| p.problem.status == ProblemStatus::Rectified);
    let verified = count(&|p| {
        p.verification
            .as_ref()
            .is_some_and(|v| v.verdict == Verdict::Verified)
    });
    let open = count(&|p| p.problem.status.is_open());
    let carried = list.iter().filter(|p| p.origin < year).count();
    let review = ws.review_state();
    let submission = ws.submission();
    html! {
        <main class="page print-page annual-page">
            { print_button(lang) }
            <h2 class="print-title">{ format!("{} {year} 年度医疗质量改善年度总结", ws.facility_name()) }</h2>
            <p class="muted">{ format!("{}：{}", lang.pick("打印日期", "Printed"), session.today()) }</p>
            <h3>{ lang.pick("各领域自查结果（本年 / 上年）", "Per area (this year / last year)") }</h3>
            <table class="print-table annual-areas">
                <thead><tr>
                    <th>{ lang.pick("领域", "Area") }</th><th>{ lang.pick("已填/适用", "Answered") }</th>
                    <th>{ lang.pick("符合", "Compliant") }</th><th>{ lang.pick("部分符合", "Partial") }</th>
                    <th>{ lang.pick("不符合", "Non-compliant") }</th><th>{ lang.pick("符合率", "Compliance") }</th>
                    <th>{ lang.t(Msg::LastYear) }</th>
                </tr></thead>
                <tbody>
                { for template.areas.iter().zip(summary.areas.iter()).map(|(area, c)| {
                    let before = last.as_ref().and_then(|(_, l)| l.areas.iter().find(|a| a.area == c.area));
                    html! {
                        <tr data-area={area.id.to_string()}>
                            <td>{ format!("{} {}", area.number_zh, lang.pick(&area.title_zh, &area.title_en)) }</td>
                            <td>{ format!("{}/{}", c.answered, c.applicable) }</td>
                            <td>{ c.compliant }</td><td>{ c.partial }</td><td>{ c.non_compliant }</td>
                            <td>{ compliance(c).map_or_else(|| "—".to_owned(), |p| format!("{p}%")) }</td>
                            <td class="last-year">{ before.and_then(compliance).map_or_else(|| "—".to_owned(), |p| format!("{p}%")) }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            <h3>{ lang.pick("问题整改", "Rectification") }</h3>
            <table class="print-table annual-problems">
                <tbody>
                    <tr><th>{ lang.pick("本年发现", "Found this year") }</th><td data-found={found.to_string()}>{ found }</td></tr>
                    <tr><th>{ lang.pick("已整改", "Rectified") }</th><td>{ rectified }</td></tr>
                    <tr><th>{ lang.pick("已核实", "Verified") }</th><td>{ verified }</td></tr>
                    <tr><th>{ lang.pick("仍未整改", "Still open") }</th><td>{ open }</td></tr>
                    <tr><th>{ lang.t(Msg::CarriedOver) }</th><td data-carried={carried.to_string()}>{ carried }</td></tr>
                </tbody>
            </table>
            <h3>{ lang.t(Msg::ReviewTitle) }</h3>
            <p class="annual-review" data-review={review.state.code()}>
                { format!("{}：{}；{}：{}",
                    lang.t(Msg::Submission), lang.pick(submission.state.label_zh(), submission.state.label_en()),
                    lang.t(Msg::ReviewState), lang.pick(review.state.label_zh(), review.state.label_en())) }
            </p>
            <p class="signature">{ lang.pick("机构负责人（签字）：________________　　日期：____年____月____日", "Head of facility (signature): ________________   Date: ____________") }</p>
        </main>
    }
}

/// Props of [`CountyAnnualPage`].
#[derive(Properties, PartialEq)]
pub struct CountyAnnualProps {
    /// The year.
    pub year: u16,
}

/// The county's annual report.
#[component]
pub fn CountyAnnualPage(props: &CountyAnnualProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let report = use_annual(props.year);
    let template = Template::current();
    let body = match &report {
        None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
        Some(Err(e)) => {
            let (zh, en) = e.message();
            html! { <p class="banner error" role="alert">{ lang.pick(&zh, &en).to_owned() }</p> }
        }
        Some(Ok(r)) => html! {
            <>
            <h2 class="print-title">{ format!("{} {} 年度基层医疗质量改善评估报告", r.county_name, r.year) }</h2>
            <p class="muted">{ format!("{}：{} · {} {}", lang.pick("统计日期", "As of"), r.today, r.facilities, lang.pick("家机构", "facilities")) }</p>
            <h3>{ lang.pick("覆盖进度与目标", "Coverage against target") }</h3>
            <table class="print-table annual-coverage">
                <thead><tr><th>{ lang.pick("批次", "Wave") }</th><th>{ lang.pick("机构", "Facilities") }</th>
                    <th>{ lang.pick("已提交", "Submitted") }</th><th>{ lang.pick("已通过", "Approved") }</th>
                    <th>{ lang.pick("目标", "Target") }</th></tr></thead>
                <tbody>
                { for r.coverage.iter().map(|w| html! {
                    <tr data-wave={w.coverage.wave.to_string()}>
                        <td>{ format!("{}{}", w.coverage.wave, lang.pick("年底", "")) }</td>
                        <td>{ w.coverage.total }</td><td>{ w.coverage.submitted }</td>
                        <td>{ format!("{}（{}）", w.coverage.approved, pct(w.coverage.approved, w.coverage.total)) }</td>
                        <td>{ if w.due { lang.pick("本年到期：全部通过", "Due this year: all approved") } else { lang.pick("未到期", "Not yet due") } }</td>
                    </tr>
                }) }
                </tbody>
            </table>
            <h3>{ lang.pick("各领域符合率（本年 / 上年）", "Compliance per area (this year / last year)") }</h3>
            <table class="print-table annual-areas">
                <tbody>
                { for r.areas.iter().map(|a| {
                    let title = template.areas.iter().find(|x| x.id.as_str() == a.area)
                        .map_or_else(|| a.area.clone(), |x| format!("{} {}", x.number_zh, lang.pick(&x.title_zh, &x.title_en)));
                    html! {
                        <tr data-area={a.area.clone()}><th>{ title }</th>
                            <td>{ pct(a.compliant, a.judged) }</td><td class="last-year">{ pct(a.last_compliant, a.last_judged) }</td></tr>
                    }
                }) }
                </tbody>
            </table>
            <h3>{ lang.pick("共性问题（部分符合或不符合的机构数）", "Common problems (facilities partly or not compliant)") }</h3>
            if r.common_items.is_empty() {
                <p class="muted">{ lang.pick("暂无多家机构共有的问题。", "No item is weak in more than one facility yet.") }</p>
            }
            <ol class="common-items">
            { for r.common_items.iter().map(|c| {
                let text = template.items().find(|i| i.id.as_str() == c.item_id)
                    .map(|i| lang.pick(&i.text_zh, &i.text_en).to_owned()).unwrap_or_default();
                html! { <li data-item={c.item_id.clone()}>{ format!("{} {text} — {}", c.item_id, c.facilities) }</li> }
            }) }
            </ol>
            <h3>{ lang.pick("问题整改", "Rectification") }</h3>
            <table class="print-table annual-problems">
                <tbody>
                    <tr><th>{ lang.pick("本年发现", "Found this year") }</th><td>{ r.problems.found }</td></tr>
                    <tr><th>{ lang.pick("已整改", "Rectified") }</th><td>{ format!("{}（{}）", r.problems.rectified, pct(r.problems.rectified, r.problems.found)) }</td></tr>
                    <tr><th>{ lang.pick("已核实", "Verified") }</th><td>{ format!("{}（{}）", r.problems.verified, pct(r.problems.verified, r.problems.found)) }</td></tr>
                    <tr><th>{ lang.pick("仍未整改", "Still open") }</th><td>{ r.problems.open }</td></tr>
                    <tr><th>{ lang.pick("逾期未整改", "Overdue") }</th><td>{ r.problems.overdue }</td></tr>
                    <tr><th>{ lang.t(Msg::CarriedOver) }</th><td>{ r.problems.carried }</td></tr>
                </tbody>
            </table>
            </>
        },
    };
    html! {
        <main class="page print-page county-annual">
            { print_button(lang) }
            { body }
        </main>
    }
}
