//! The overview of a county, district or medical community: coverage per wave (SVG), every facility by
//! medical community with completion, compliance per area as a heatmap, open and overdue problems, review
//! state and last sync — sortable and filterable — the common problems with the facilities behind each, the
//! overdue rectifications, and the exports. Served by the summary rows.

use crate::components::header::{LangButton, LogoutButton};
use crate::hooks::{ApiError, Loaded, use_common_item, use_county, use_session};
use crate::i18n::{Lang, Msg};
use crate::route::Route;
use crate::state::county::{Filter, SortBy, apply, completion, compliance, heat, last_completion};
use crate::state::time::{phase_label, short_time};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::access::{Level, Scope};
use zhigai_shared::api::{
    CommonItem, CountySummary, FigureSpread, OverdueRow, VersionsInUse, WaveCoverage,
};
use zhigai_shared::doc::{ReviewState, Timestamp};
use zhigai_shared::template::{Direction, ResponseKind};
use zhigai_shared::{FacilityType, Template};

pub(crate) fn say(lang: Lang, e: &ApiError) -> String {
    let (zh, en) = e.message();
    if lang == Lang::Zh { zh } else { en }
}

/// Props of [`CountyPage`].
#[derive(Properties, PartialEq)]
pub struct CountyPageProps {
    /// The county, district or community shown; the user's own when `None`.
    #[prop_or_default]
    pub place: Option<Scope>,
}

/// The overview page.
#[component]
pub fn CountyPage(props: &CountyPageProps) -> Html {
    let session = use_session();
    let lang = session.lang();
    let today = session.today();
    let year = use_state(|| today.year());
    let own = session.session().map(|s| s.user.scope.clone());
    let place = props
        .place
        .clone()
        .or_else(|| own.clone())
        .unwrap_or_else(|| Scope::County(String::new()));
    let county = use_county(*year, place.clone());
    let filter = use_state(Filter::default);
    let Some(saved) = session.session() else {
        // The shell shows the login instead of this page when logged out.
        return html! {};
    };
    let is_own = own.as_ref() == Some(&place);
    let set_year = {
        let year = year.clone();
        Callback::from(move |e: Event| {
            if let Ok(y) = e
                .target_unchecked_into::<HtmlSelectElement>()
                .value()
                .parse()
            {
                year.set(y);
            }
        })
    };
    let export = |path: String| {
        let county = county.clone();
        Callback::from(move |_| county.export(path.clone()))
    };
    let base = crate::services::api::place_path(&place);
    let y = *year;
    let phase = phase_label(today, lang);
    let busy = county.busy;
    // The years with data, from the server; the chosen one until they arrive.
    let mut years: Vec<u16> = county
        .summary
        .as_ref()
        .and_then(|d| d.as_ref().ok())
        .map(|d| d.years.clone())
        .unwrap_or_default();
    if !years.contains(&y) {
        years.insert(0, y);
    }
    html! {
        <>
        <header class="top">
            <div class="top-title">
                <h1>{ lang.t(Msg::Dashboard) }</h1>
                if !is_own {
                    <Link<Route> to={Route::County} classes="tab">{ format!("‹ {}", lang.t(Msg::Back)) }</Link<Route>>
                }
                <span class="facility-name">
                    { county.summary.as_ref().and_then(|d| d.as_ref().ok()).map(|d| d.county_name.clone()).unwrap_or_default() }
                    { format!(" · {} · {phase}", saved.user.display_name) }
                </span>
            </div>
            <div class="top-actions">
                <LangButton />
                <LogoutButton />
            </div>
        </header>
        <main class="page county-page">
            <div class="toolbar">
                <label>{ lang.t(Msg::Year) }
                    <select onchange={set_year}>
                        { for years.iter().map(|v| html! { <option value={v.to_string()} selected={*v == y}>{ v }</option> }) }
                    </select>
                </label>
                if is_own {
                    <Link<Route> to={Route::CountyAnnual { year: y }} classes="button small annual-link">{ lang.t(Msg::AnnualReport) }</Link<Route>>
                }
                <Link<Route> to={Route::Templates} classes="button small templates-link">{ lang.pick("检查表版本", "Checklist versions") }</Link<Route>>
                <button class="button small export-xlsx" disabled={busy} onclick={export(format!("{base}/export.xlsx?year={y}"))}>{ lang.pick("导出 Excel", "Excel workbook") }</button>
                <button class="button small" disabled={busy} onclick={export(format!("{base}/export.csv?year={y}&table=facilities"))}>{ lang.pick("机构 CSV", "Facilities CSV") }</button>
                <button class="button small" disabled={busy} onclick={export(format!("{base}/export.csv?year={y}&table=problems"))}>{ lang.pick("问题 CSV", "Problems CSV") }</button>
            </div>
            if busy {
                <p class="muted" role="status">{ lang.t(Msg::Loading) }</p>
            }
            if let Some(e) = &county.export_error {
                <p class="banner error export-error" role="alert">{ format!("{}：{}", lang.t(Msg::DownloadFailed), say(lang, e)) }</p>
            }
            { match &county.summary {
                None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
                Some(Err(e)) => html! { <p class="banner error" role="alert">{ say(lang, e) }</p> },
                Some(Ok(d)) => html! {
                    <>
                    <Coverage waves={d.coverage.clone()} />
                    <Overview data={d.clone()} filter={filter.clone()} />
                    <CommonProblems items={d.common_items.clone()} place={place.clone()} year={y} versions={d.versions.clone()} />
                    <FigureSpreads spread={d.figures.clone()} />
                    </>
                },
            } }
            <OverdueList rows={county.overdue.clone()} year={y} />
        </main>
        </>
    }
}

/// Props of [`Coverage`].
#[derive(Properties, PartialEq)]
pub struct CoverageProps {
    /// The waves.
    pub waves: Vec<WaveCoverage>,
}

/// Coverage per wave as bars: approved, submitted, of the total.
#[component]
pub fn Coverage(props: &CoverageProps) -> Html {
    let lang = use_session().lang();
    const W: u32 = 300;
    let height = 34 * props.waves.len() as u32 + 10;
    html! {
        <section class="card coverage">
            <h2>{ lang.pick("覆盖进度（各批次：已提交 / 已通过 / 总数）", "Coverage per wave: submitted / approved / total") }</h2>
            <svg viewBox={format!("0 0 {} {height}", W + 170)} width="100%" role="img"
                aria-label={lang.pick("覆盖进度图", "Coverage chart")}>
            { for props.waves.iter().enumerate().map(|(i, c)| {
                let y = 6 + 34 * i as u32;
                let scale = |n: u32| (n * W).checked_div(c.total).unwrap_or(0);
                html! {
                    <g class="wave" data-wave={c.wave.to_string()}>
                        <text x="0" y={(y + 17).to_string()} font-size="13">{ format!("{}{}", c.wave, lang.pick("年底", "")) }</text>
                        <rect x="70" y={y.to_string()} width={W.to_string()} height="24" fill="#eaeef2" rx="4" />
                        <rect x="70" y={y.to_string()} width={scale(c.submitted).to_string()} height="24" fill="#54aeff" rx="4" />
                        <rect x="70" y={y.to_string()} width={scale(c.approved).to_string()} height="24" fill="#1a7f37" rx="4" />
                        <text x={(W + 78).to_string()} y={(y + 17).to_string()} font-size="13">
                            { format!("{} / {} / {}", c.submitted, c.approved, c.total) }
                        </text>
                    </g>
                }
            }) }
            </svg>
        </section>
    }
}

/// Props of [`Overview`].
#[derive(Properties, PartialEq)]
pub struct OverviewProps {
    /// The county's rows.
    pub data: CountySummary,
    /// The filter and sort state.
    pub filter: UseStateHandle<Filter>,
}

fn since(ms: Option<i64>) -> String {
    ms.map(|m| short_time(Timestamp(m)))
        .unwrap_or_else(|| "—".to_owned())
}

/// The facility table, grouped by medical community.
#[component]
pub fn Overview(props: &OverviewProps) -> Html {
    let lang = use_session().lang();
    let filter = props.filter.clone();
    let rows = apply(&props.data.facilities, &filter);
    // The column heads: the checklist new inspections use (one template per county-year today).
    let template = Template::current();
    let select = |f: fn(&mut Filter, Option<String>)| {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            let mut next = (*filter).clone();
            f(&mut next, (!v.is_empty()).then_some(v));
            filter.set(next);
        })
    };
    let on_overdue = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let mut next = (*filter).clone();
            next.overdue_only = e.target_unchecked_into::<HtmlInputElement>().checked();
            filter.set(next);
        })
    };
    let sort = |by: SortBy, label: String| {
        let filter = filter.clone();
        let (current, desc) = filter.sort;
        let arrow = if current == by {
            if desc { " ▼" } else { " ▲" }
        } else {
            ""
        };
        let onclick = Callback::from(move |_| {
            let mut next = (*filter).clone();
            next.sort = (
                by,
                if next.sort.0 == by {
                    !next.sort.1
                } else {
                    by != SortBy::Name
                },
            );
            filter.set(next);
        });
        html! { <th><button class="sort" {onclick}>{ format!("{label}{arrow}") }</button></th> }
    };
    let mut groups: Vec<(Option<String>, String)> = props
        .data
        .communities
        .iter()
        .map(|c| (Some(c.id.clone()), c.name.clone()))
        .collect();
    groups.push((
        None,
        match lang {
            Lang::Zh => format!("未加入{}", props.data.county_kind.community_zh()),
            Lang::En => format!("No {}", props.data.county_kind.community_en()),
        },
    ));
    let types = [
        FacilityType::CentralTownship,
        FacilityType::Township,
        FacilityType::CommunityCentre,
        FacilityType::CommunityStation,
        FacilityType::VillageClinic,
    ];
    html! {
        <section class="card overview">
            <div class="filters">
                <label>{ lang.pick(props.data.county_kind.community_zh(), props.data.county_kind.community_en()) }
                    <select onchange={select(|f, v| f.community = v)}>
                        <option value="" selected={filter.community.is_none()}>{ lang.t(Msg::All) }</option>
                        { for props.data.communities.iter().map(|c| html! { <option value={c.id.clone()} selected={filter.community.as_ref() == Some(&c.id)}>{ c.name.clone() }</option> }) }
                    </select>
                </label>
                <label>{ lang.pick("机构类型", "Type") }
                    <select onchange={select(|f, v| f.facility_type = v.and_then(|v| v.parse().ok()))}>
                        <option value="" selected={filter.facility_type.is_none()}>{ lang.t(Msg::All) }</option>
                        { for types.iter().map(|t| html! { <option value={t.code()} selected={filter.facility_type == Some(*t)}>{ lang.pick(t.name_zh(), t.name_en()) }</option> }) }
                    </select>
                </label>
                <label>{ lang.t(Msg::ReviewState) }
                    <select name="review-state" onchange={select(|f, v| f.review_state = v.and_then(|v| v.parse().ok()))}>
                        <option value="" selected={filter.review_state.is_none()}>{ lang.t(Msg::All) }</option>
                        { for ReviewState::ALL.iter().map(|s| html! { <option value={s.code()} selected={filter.review_state == Some(*s)}>{ lang.pick(s.label_zh(), s.label_en()) }</option> }) }
                    </select>
                </label>
                <label class="check"><input type="checkbox" onchange={on_overdue} />{ lang.pick("只看有逾期问题的", "Only with overdue problems") }</label>
            </div>
            <div class="table-wrap">
            <table class="overview-table">
                <thead><tr>
                    { sort(SortBy::Name, lang.t(Msg::Facility).to_owned()) }
                    <th>{ lang.pick("类型", "Type") }</th>
                    <th>{ lang.pick("批次", "Wave") }</th>
                    { sort(SortBy::Completion, lang.t(Msg::Progress).to_owned()) }
                    { for template.areas.iter().map(|a| html! { <th class="heat-head" title={lang.pick(&a.title_zh, &a.title_en).to_owned()}>{ a.id.to_string() }</th> }) }
                    { sort(SortBy::NonCompliant, lang.t(Msg::NonCompliantShort).to_owned()) }
                    { sort(SortBy::Overdue, lang.t(Msg::Overdue).to_owned()) }
                    <th>{ lang.t(Msg::ReviewState) }</th>
                    { sort(SortBy::LastSync, lang.pick("最后同步", "Last sync").to_owned()) }
                </tr></thead>
                { for groups.iter().filter_map(|(id, name)| {
                    let members: Vec<_> = rows.iter().filter(|r| &r.community_id == id).collect();
                    (!members.is_empty()).then(|| html! {
                        <tbody>
                            <tr class="group"><th colspan="17">{ format!("{name}（{}）", members.len()) }</th></tr>
                            { for members.into_iter().map(|r| {
                                let (state, kind) = (r.review_state, r.facility_type);
                                html! {
                                    <tr data-facility={r.facility_id.to_string()} data-review={state.code()}>
                                        <td><Link<Route> to={Route::Facility { fid: r.facility_id.to_string() }}>{ r.facility_name.clone() }</Link<Route>></td>
                                        <td>{ lang.pick(kind.name_zh(), kind.name_en()) }</td>
                                        <td>{ r.wave }</td>
                                        <td class="num">{ format!("{}%（{}/{}）", completion(r), r.answered, r.applicable) }
                                            if let Some(last) = &r.last_year {
                                                <span class="last-year muted">{ format!(" {} {}%", lang.t(Msg::LastYear), last_completion(last)) }</span>
                                            }
                                        </td>
                                        { for r.areas.iter().map(|a| {
                                            let pct = compliance(a);
                                            // Last year's compliance of the same area, in the cell's title.
                                            let before = r.last_year.as_ref()
                                                .and_then(|l| l.areas.iter().find(|b| b.area == a.area))
                                                .and_then(compliance)
                                                .map(|p| format!(" · {} {p}%", lang.t(Msg::LastYear)))
                                                .unwrap_or_default();
                                            html! { <td class={classes!("heat", heat(pct))} title={format!("{} {}/{}{before}", a.area, a.compliant, a.answered)}>
                                                { pct.map(|p| p.to_string()).unwrap_or_default() }
                                            </td> }
                                        }) }
                                        <td class="num">{ r.areas.iter().map(|a| a.non_compliant).sum::<u32>() }
                                            if let Some(last) = &r.last_year {
                                                <span class="last-year muted">{ format!(" / {}", last.areas.iter().map(|a| a.non_compliant).sum::<u32>()) }</span>
                                            }
                                        </td>
                                        <td class={classes!("num", (r.overdue_problems + r.carried_overdue > 0).then_some("bad"))}>{ format!("{}/{}", r.overdue_problems, r.open_problems) }
                                            if r.carried_problems > 0 {
                                                <span class="carried">{ format!(" · {} {}/{}", lang.t(Msg::CarriedOver), r.carried_overdue, r.carried_problems) }</span>
                                            }
                                        </td>
                                        <td class={classes!("review-state", state.code())}>{ lang.pick(state.label_zh(), state.label_en()) }</td>
                                        <td>{ since(r.updated_at) }</td>
                                    </tr>
                                }
                            }) }
                        </tbody>
                    })
                }) }
            </table>
            </div>
            <p class="muted">{ lang.pick("热力图数字为各领域符合率%（符合 ÷ 已判定项）；逾期列为 逾期/未整改。", "Heatmap: compliance % per area (compliant ÷ judged items); overdue column: overdue/open.") }</p>
        </section>
    }
}

/// Props of [`OverdueList`].
#[derive(Properties, PartialEq)]
pub struct OverdueProps {
    /// The rows, once loaded.
    pub rows: Loaded<Vec<OverdueRow>>,
    /// The year listed (rows found earlier are carried over).
    pub year: u16,
}

/// Overdue rectifications across the county.
#[component]
pub fn OverdueList(props: &OverdueProps) -> Html {
    let year = props.year;
    let lang = use_session().lang();
    html! {
        <section class="card overdue-list">
            <h2>{ lang.pick("逾期未整改问题", "Overdue rectifications") }</h2>
            { match &props.rows {
                None => html! { <p class="muted">{ lang.t(Msg::Loading) }</p> },
                Some(Err(e)) => html! { <p class="banner error">{ say(lang, e) }</p> },
                Some(Ok(rows)) if rows.is_empty() => html! { <p class="muted">{ lang.t(Msg::NothingDue) }</p> },
                Some(Ok(rows)) => html! {
                    <div class="table-wrap"><table>
                        <thead><tr>
                            <th>{ lang.t(Msg::Facility) }</th><th>{ lang.t(Msg::Item) }</th><th>{ lang.t(Msg::Description) }</th>
                            <th>{ lang.t(Msg::Owner) }</th><th>{ lang.t(Msg::Deadline) }</th><th>{ lang.pick("逾期天数", "Days overdue") }</th>
                        </tr></thead>
                        <tbody>
                        { for rows.iter().map(|o| html! {
                            <tr class="overdue-row">
                                <td><Link<Route> to={Route::Problems { fid: o.facility_id.to_string() }}>{ o.facility_name.clone() }</Link<Route>></td>
                                <td>{ o.item_id.as_ref().map(ToString::to_string).unwrap_or_default() }</td>
                                <td>{ o.description.clone() }</td>
                                <td>{ o.owner_name.clone().unwrap_or_default() }</td>
                                <td>{ o.deadline.to_string() }</td>
                                <td class="num bad">{ o.days_overdue }
                                    if o.origin_year > 0 && i64::from(year) > o.origin_year {
                                        <span class="carried">{ format!(" {}（{}）", lang.t(Msg::CarriedOver), o.origin_year) }</span>
                                    }
                                </td>
                            </tr>
                        }) }
                        </tbody>
                    </table></div>
                },
            } }
        </section>
    }
}

/// Props of [`FigureSpreads`].
#[derive(Properties, PartialEq)]
pub struct FigureSpreadsProps {
    /// Each indicator's spread, by item id.
    pub spread: Vec<FigureSpread>,
}

/// How each indicator (质控指标) spreads across the place's facilities that gave it: how many, the lowest,
/// the mean, the highest, and which way is better.
#[component]
pub fn FigureSpreads(props: &FigureSpreadsProps) -> Html {
    let lang = use_session().lang();
    let template = Template::current();
    let rows: Vec<_> = template
        .items()
        .filter_map(|item| {
            let ResponseKind::StatusWithNumber { metric } = &item.response else {
                return None;
            };
            let spread = props.spread.iter().find(|s| s.item == item.id.as_str())?;
            Some((item, metric, spread))
        })
        .collect();
    html! {
        <section class="card figure-spreads">
            <h2>{ lang.pick("质控指标分布", "Indicators across facilities") }</h2>
            if rows.is_empty() {
                <p class="muted">{ lang.pick("本年度尚无机构填报指标。", "No facility has given an indicator this year.") }</p>
            } else {
                <div class="table-wrap">
                <table class="spread-table">
                    <thead><tr>
                        <th>{ lang.pick("指标", "Indicator") }</th>
                        <th>{ lang.pick("机构数", "Facilities") }</th>
                        <th>{ lang.pick("最低", "Lowest") }</th>
                        <th>{ lang.pick("平均", "Mean") }</th>
                        <th>{ lang.pick("最高", "Highest") }</th>
                    </tr></thead>
                    <tbody>
                    { for rows.iter().map(|(item, metric, s)| {
                        let better = match metric.direction {
                            Direction::Higher => lang.pick("越高越好", "higher is better"),
                            Direction::Lower => lang.pick("越低越好", "lower is better"),
                        };
                        html! {
                            <tr data-item={item.id.to_string()}>
                                <th scope="row">
                                    { format!("{} {}（{}）", item.id, lang.pick(&metric.zh, &metric.en), metric.unit) }
                                    <span class="muted">{ format!(" · {better}") }</span>
                                </th>
                                <td>{ s.facilities }</td>
                                <td>{ s.min }</td>
                                <td class="mean">{ s.mean }</td>
                                <td>{ s.max }</td>
                            </tr>
                        }
                    }) }
                    </tbody>
                </table>
                </div>
            }
        </section>
    }
}

/// Props of [`CommonProblems`].
#[derive(Properties, PartialEq)]
pub struct CommonProblemsProps {
    /// The items, most facilities first.
    pub items: Vec<CommonItem>,
    /// The place they were counted over.
    pub place: Scope,
    /// The year.
    pub year: u16,
    /// The checklist versions in use there.
    pub versions: VersionsInUse,
}

/// The common problems (共性问题): items by how many facilities answered them 部分符合 or 不符合; choosing
/// one lists those facilities, each a link to its inspection.
#[component]
pub fn CommonProblems(props: &CommonProblemsProps) -> Html {
    let lang = use_session().lang();
    let chosen = use_state(|| None::<String>);
    let facilities = use_common_item(props.year, props.place.clone(), (*chosen).clone());
    let template = Template::current();
    let by_county = matches!(props.place.level(), Level::City | Level::Province);
    html! {
        <section class="card common-problems">
            <h2>{ lang.t(Msg::CommonProblems) }</h2>
            if let Some(shared) = props.versions.shared_items {
                <p class="banner info versions-note" data-versions={props.versions.versions.len().to_string()} data-shared={shared.to_string()}>
                    { format!("{}{}{}（{}），{}{}{}",
                        lang.pick("本区域机构使用 ", "Facilities here use "), props.versions.versions.len(),
                        lang.pick(" 个检查表版本", " checklist versions"),
                        props.versions.versions.iter().map(ToString::to_string).collect::<Vec<_>>().join("、"),
                        lang.pick("共性问题只统计各版本共有的 ", "so common problems count only the "), shared,
                        lang.pick(" 个条目。", " items every version shares.")) }
                </p>
            }
            if props.items.is_empty() {
                <p class="muted">{ lang.pick("暂无多家机构共有的问题。", "No item is weak in more than one facility.") }</p>
            }
            <ol class="common-list">
            { for props.items.iter().map(|c| {
                let item = zhigai_shared::ItemId::new(c.item_id.clone());
                let text = template.item(&item).map(|i| lang.pick(&i.text_zh, &i.text_en).to_owned()).unwrap_or_default();
                let open = chosen.as_deref() == Some(c.item_id.as_str());
                let onclick = {
                    let (chosen, id) = (chosen.clone(), c.item_id.clone());
                    Callback::from(move |_| chosen.set(if open { None } else { Some(id.clone()) }))
                };
                html! {
                    <li data-item={c.item_id.clone()}>
                        <button class="link common-item" aria-expanded={open.to_string()} {onclick}>
                            <strong>{ c.item_id.clone() }</strong>{ format!(" {text} · {} {}", c.facilities, lang.t(Msg::FacilitiesWith)) }
                        </button>
                        if open {
                            { match &facilities {
                                None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
                                Some(Err(e)) => html! { <p class="banner error" role="alert">{ say(lang, e) }</p> },
                                Some(Ok(list)) => html! {
                                    <ul class="item-facilities">
                                    { for list.iter().map(|f| html! {
                                        <li data-facility={f.facility_id.to_string()}>
                                            <Link<Route> to={Route::Facility { fid: f.facility_id.to_string() }}>{ f.facility_name.clone() }</Link<Route>>
                                            if by_county {
                                                <span class="muted">{ format!(" · {}", f.county_name) }</span>
                                            }
                                        </li>
                                    }) }
                                    </ul>
                                },
                            } }
                        }
                    </li>
                }
            }) }
            </ol>
        </section>
    }
}
