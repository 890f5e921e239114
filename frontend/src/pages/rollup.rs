//! The overview of a city (its QC centre) or a province: coverage per wave over all its counties and
//! districts, one row per county (by city) with its coverage, compliance per area as a heatmap and its open
//! and overdue problems — each a link to that county's own overview — the common problems with the
//! facilities behind each, and the exports. Served by SQL aggregates of the summary rows.

use crate::components::header::{LangButton, LogoutButton};
use crate::hooks::{use_rollup, use_session};
use crate::i18n::Msg;
use crate::pages::county::{CommonProblems, Coverage, FigureSpreads, say};
use crate::route::Route;
use crate::state::county::heat;
use crate::state::time::phase_label;
use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::Template;
use zhigai_shared::access::{Level, Scope};
use zhigai_shared::api::{AreaRate, RollupRow};

/// Props of [`RollupPage`].
#[derive(Properties, PartialEq)]
pub struct RollupPageProps {
    /// The city or province.
    pub place: Scope,
}

/// The city or province overview.
#[component]
pub fn RollupPage(props: &RollupPageProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let today = session.today();
    let year = use_state(|| today.year());
    let rollup = use_rollup(*year, props.place.clone());
    let Some(saved) = session.session() else {
        return html! {};
    };
    let y = *year;
    let set_year = {
        let year = year.clone();
        Callback::from(move |e: Event| {
            if let Ok(v) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                year.set(v);
            }
        })
    };
    let base = crate::services::api::place_path(&props.place);
    let export = |path: String| {
        let rollup = rollup.clone();
        Callback::from(move |_| rollup.export(path.clone()))
    };
    let data = rollup.summary.as_ref().and_then(|d| d.as_ref().ok());
    let mut years: Vec<u16> = data.map(|d| d.years.clone()).unwrap_or_default();
    if !years.contains(&y) {
        years.insert(0, y);
    }
    let template = Template::current();
    let busy = rollup.busy;
    // A province lists its cities, each with its total, and their counties.
    let by_province = props.place.level() == Level::Province;
    html! {
        <>
        <header class="top">
            <div class="top-title">
                <h1>{ lang.t(Msg::Dashboard) }</h1>
                <span class="facility-name">
                    { data.map(|d| d.place_name.clone()).unwrap_or_default() }
                    { format!(" · {} · {}", saved.user.display_name, phase_label(today, lang)) }
                </span>
            </div>
            <div class="top-actions">
                <LangButton />
                <LogoutButton />
            </div>
        </header>
        <main class="page county-page rollup-page">
            <div class="toolbar">
                <label>{ lang.t(Msg::Year) }
                    <select onchange={set_year}>
                        { for years.iter().map(|v| html! { <option value={v.to_string()} selected={*v == y}>{ v }</option> }) }
                    </select>
                </label>
                <Link<Route> to={Route::Templates} classes="button small templates-link">{ lang.pick("检查表版本", "Checklist versions") }</Link<Route>>
                <button class="button small export-xlsx" disabled={busy} onclick={export(format!("{base}/export.xlsx?year={y}"))}>{ lang.pick("导出 Excel", "Excel workbook") }</button>
                <button class="button small" disabled={busy} onclick={export(format!("{base}/export.csv?year={y}&table=counties"))}>{ lang.pick("县区 CSV", "Counties CSV") }</button>
                <button class="button small" disabled={busy} onclick={export(format!("{base}/export.csv?year={y}&table=common"))}>{ lang.pick("共性问题 CSV", "Common problems CSV") }</button>
            </div>
            if busy {
                <p class="muted" role="status">{ lang.t(Msg::Loading) }</p>
            }
            if let Some(e) = &rollup.export_error {
                <p class="banner error export-error" role="alert">{ format!("{}：{}", lang.t(Msg::DownloadFailed), say(lang, e)) }</p>
            }
            { match &rollup.summary {
                None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
                Some(Err(e)) => html! { <p class="banner error" role="alert">{ say(lang, e) }</p> },
                Some(Ok(d)) => html! {
                    <>
                    <Coverage waves={d.coverage.clone()} />
                    <section class="card overview">
                        <h2>{ lang.t(Msg::Counties) }</h2>
                        <div class="table-wrap">
                        <table class="overview-table county-rows">
                            <thead><tr>
                                <th>{ lang.t(Msg::Counties) }</th>
                                <th>{ lang.t(Msg::Facility) }</th>
                                <th>{ lang.t(Msg::Coverage) }</th>
                                { for template.areas.iter().map(|a| html! { <th class="heat-head" title={lang.pick(&a.title_zh, &a.title_en).to_owned()}>{ a.id.to_string() }</th> }) }
                                <th>{ lang.t(Msg::Overdue) }</th>
                            </tr></thead>
                            { for by_city(&d.counties).into_iter().map(|(city, rows)| html! {
                                <tbody>
                                    if by_province {
                                        { city_row(&city, template) }
                                    }
                                    { for rows.iter().map(|c| county_row(c, template)) }
                                </tbody>
                            }) }
                        </table>
                        </div>
                        <p class="muted">{ lang.pick("覆盖进度为各批次合计：已提交/已通过/机构数；热力图为各领域符合率%；逾期列为 逾期/未整改。", "Coverage over all waves: submitted/approved/facilities; heatmap: compliance % per area; overdue: overdue/open.") }</p>
                    </section>
                    <CommonProblems items={d.common_items.clone()} place={props.place.clone()} year={y} versions={d.versions.clone()} />
                    <FigureSpreads spread={d.figures.clone()} />
                    </>
                },
            } }
        </main>
        </>
    }
}

/// The counties grouped by city, in the order the server sent them (by city, then county).
fn by_city(rows: &[RollupRow]) -> Vec<(RollupRow, Vec<RollupRow>)> {
    let mut out: Vec<(RollupRow, Vec<RollupRow>)> = Vec::new();
    for row in rows {
        match out.iter_mut().find(|(city, _)| city.city_id == row.city_id) {
            Some((total, members)) => {
                total.absorb(row);
                members.push(row.clone());
            }
            None => {
                let mut total = row.clone();
                total.county_id = row.city_id.clone().unwrap_or_default();
                total.county_name = row.city_name.clone().unwrap_or_default();
                out.push((total, vec![row.clone()]));
            }
        }
    }
    out
}

/// A city's total row (a province's overview): its name, not a link.
fn city_row(city: &RollupRow, template: &Template) -> Html {
    html! {
        <tr class="group city-row" data-city={city.county_id.clone()}>
            <th>{ city.county_name.clone() }</th>
            { figures(city, template) }
        </tr>
    }
}

/// A county's row, linking to its own overview.
fn county_row(c: &RollupRow, template: &Template) -> Html {
    let name = match &c.city_name {
        Some(city) => format!("{city} · {}", c.county_name),
        None => c.county_name.clone(),
    };
    html! {
        <tr data-county={c.county_id.clone()}>
            <td><Link<Route> to={Route::Place { level: "county".to_owned(), id: c.county_id.clone() }}>{ name }</Link<Route>></td>
            { figures(c, template) }
        </tr>
    }
}

/// The figures of a row: facilities, coverage over all waves, compliance per area, overdue/open.
fn figures(row: &RollupRow, template: &Template) -> Html {
    let (total, submitted, approved) = row.coverage.iter().fold((0, 0, 0), |(t, s, a), w| {
        (t + w.total, s + w.submitted, a + w.approved)
    });
    html! {
        <>
            <td class="num">{ row.facilities }</td>
            <td class="num">{ format!("{submitted}/{approved}/{total}") }</td>
            { for template.areas.iter().map(|area| {
                let pct = row.areas.iter().find(|a| a.area == area.id.as_str()).and_then(AreaRate::percent);
                html! { <td class={classes!("heat", heat(pct))}>{ pct.map(|p| p.to_string()).unwrap_or_default() }</td> }
            }) }
            <td class={classes!("num", (row.overdue_problems > 0).then_some("bad"))}>{ format!("{}/{}", row.overdue_problems, row.open_problems) }</td>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_rounds_and_needs_judged_answers() {
        let a = |compliant, judged| AreaRate {
            area: "T1".into(),
            compliant,
            judged,
        };
        assert_eq!(a(0, 0).percent(), None);
        assert_eq!(a(2, 3).percent(), Some(66));
        assert_eq!(a(3, 3).percent(), Some(100));
    }

    #[test]
    fn a_provinces_counties_group_under_their_cities_with_totals() {
        let row = |county: &str, city: &str, facilities, compliant, judged| RollupRow {
            county_id: county.into(),
            county_name: county.into(),
            county_kind: zhigai_shared::api::CountyKind::County,
            city_id: Some(city.into()),
            city_name: Some(format!("{city}市")),
            facilities,
            coverage: vec![],
            areas: vec![AreaRate {
                area: "T1".into(),
                compliant,
                judged,
            }],
            open_problems: 1,
            overdue_problems: 0,
        };
        let grouped = by_city(&[
            row("c1", "s1", 10, 3, 4),
            row("c2", "s1", 5, 1, 4),
            row("c3", "s2", 7, 2, 2),
        ]);
        assert_eq!(grouped.len(), 2);
        let (s1, members) = &grouped[0];
        assert_eq!((s1.county_name.as_str(), members.len()), ("s1市", 2));
        assert_eq!((s1.facilities, s1.open_problems), (15, 2));
        assert_eq!(s1.areas[0].percent(), Some(50));
        assert_eq!(grouped[1].0.facilities, 7);
    }
}
