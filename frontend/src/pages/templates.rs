//! Checklist versions, read-only: the national baselines and the versions the user's province, city or
//! county published (or, for a reviewer above, those published below), each with what differs from its
//! parent: items added, refined (which fields) and retired, and the targets it sets.

use crate::hooks::{use_session, use_template, use_templates};
use crate::i18n::{Lang, Msg};
use crate::pages::county::say;
use crate::route::Route;
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::access::Scope;
use zhigai_shared::api::TemplateInfo;
use zhigai_shared::template::{Difference, ResponseKind};

/// Who published a version, in words.
fn publisher_words(info: &TemplateInfo, lang: Lang) -> String {
    match &info.publisher {
        None => lang.pick("国家", "National").to_owned(),
        Some(scope) => {
            let (zh, en) = match scope {
                Scope::Province(_) => ("省", "province"),
                Scope::City(_) => ("市", "city"),
                Scope::County(_) => ("县（区）", "county"),
                Scope::Community(_) => ("医共体", "community"),
                Scope::Facility(_) => ("机构", "facility"),
            };
            format!("{} {}", lang.pick(zh, en), scope.id())
        }
    }
}

/// A changed field, in words.
fn field_words(field: &str, lang: Lang) -> &'static str {
    match field {
        "text_zh" => lang.pick("要求", "requirement"),
        "text_en" => lang.pick("英文", "English text"),
        "guidance" => lang.pick("检查要点", "guidance"),
        "judge" => lang.pick("判定标准", "judgements"),
        "applies_to" => lang.pick("适用范围", "applicability"),
        "target" => lang.pick("目标", "target"),
        _ => lang.pick("指标", "indicator"),
    }
}

/// The list of versions.
#[component]
pub fn TemplatesPage() -> Html {
    let lang = use_session().lang();
    let list = use_templates();
    html! {
        <main class="page templates-page">
            <Link<Route> to={Route::Root} classes="back">{ format!("‹ {}", lang.t(Msg::Back)) }</Link<Route>>
            <h2>{ lang.pick("检查表版本", "Checklist versions") }</h2>
            <p class="muted">{ lang.pick("国家基线及本地卫生健康部门、质控中心细化发布的版本（只读）。", "The national baselines and the versions local health commissions and QC centres refined (read-only).") }</p>
            { match &list {
                None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
                Some(Err(e)) => html! { <p class="banner error" role="alert">{ say(lang, e) }</p> },
                Some(Ok(list)) => html! {
                    <ul class="template-list">
                    { for list.iter().map(|info| html! {
                        <li data-template={format!("{}@{}", info.id, info.version)}>
                            <Link<Route> to={Route::TemplateView { id: info.id.to_string(), version: info.version }}>
                                { format!("{} · v{}", info.title_zh, info.version) }
                            </Link<Route>>
                            <span class="muted">{ format!(" · {} · {} {}", publisher_words(info, lang), info.applies_from, lang.pick("年起适用", "onwards")) }</span>
                        </li>
                    }) }
                    </ul>
                },
            } }
        </main>
    }
}

/// Props of [`TemplatePage`].
#[derive(Properties, PartialEq)]
pub struct TemplateProps {
    /// The template id.
    pub id: String,
    /// Its version.
    pub version: u32,
}

/// One version: its items area by area, each marked with what differs from the parent.
#[component]
pub fn TemplatePage(props: &TemplateProps) -> Html {
    let lang = use_session().lang();
    let detail = use_template(props.id.clone(), props.version);
    let body = match &detail {
        None => html! { <p class="muted" role="status">{ lang.t(Msg::Loading) }</p> },
        Some(Err(e)) => html! { <p class="banner error" role="alert">{ say(lang, e) }</p> },
        Some(Ok(d)) => {
            let change_of =
                |id: &zhigai_shared::ItemId| d.differences.iter().find(|c| c.item() == id);
            let count = |f: fn(&Difference) -> bool| d.differences.iter().filter(|c| f(c)).count();
            let retired: Vec<String> = d
                .differences
                .iter()
                .filter_map(|c| match c {
                    Difference::Retired { item } => Some(item.to_string()),
                    _ => None,
                })
                .collect();
            html! {
                <>
                <h2>{ d.template.title_zh.clone() }</h2>
                <p class="muted">
                    { format!("{} v{} · {} · {} {}", d.info.id, d.info.version, publisher_words(&d.info, lang), d.info.applies_from, lang.pick("年起适用", "onwards")) }
                    if let Some(parent) = &d.info.parent {
                        { format!(" · {} {parent}", lang.pick("细化自", "refines")) }
                    }
                </p>
                if d.info.parent.is_some() {
                    <p class="template-changes" data-added={count(|c| matches!(c, Difference::Added { .. })).to_string()}
                        data-refined={count(|c| matches!(c, Difference::Refined { .. })).to_string()}
                        data-retired={retired.len().to_string()}>
                        { format!("{} {}，{} {}，{} {}",
                            lang.pick("新增", "added"), count(|c| matches!(c, Difference::Added { .. })),
                            lang.pick("细化", "refined"), count(|c| matches!(c, Difference::Refined { .. })),
                            lang.pick("停用", "retired"), retired.len()) }
                    </p>
                }
                { for d.template.areas.iter().map(|area| html! {
                    <section class="card template-area" data-area={area.id.to_string()}>
                        <h3>{ format!("{} {}", area.number_zh, lang.pick(&area.title_zh, &area.title_en)) }</h3>
                        <ol class="template-items">
                        { for area.items.iter().map(|item| {
                            let change = change_of(&item.id);
                            let badge = match change {
                                Some(Difference::Added { .. }) => Some(("added", lang.pick("新增", "added").to_owned())),
                                Some(Difference::Refined { fields, .. }) => Some(("refined", format!("{}：{}", lang.pick("细化", "refined"),
                                    fields.iter().map(|f| field_words(f, lang)).collect::<Vec<_>>().join("、")))),
                                _ => None,
                            };
                            let target = match &item.response {
                                ResponseKind::StatusWithNumber { metric } => metric.target.map(|t| format!("{}：{}{}", lang.t(Msg::Target), t, metric.unit)),
                                ResponseKind::Status => None,
                            };
                            html! {
                                <li data-item={item.id.to_string()} data-change={badge.as_ref().map(|b| b.0).unwrap_or("same")}>
                                    <strong>{ item.id.to_string() }</strong>{ " " }{ lang.pick(&item.text_zh, &item.text_en).to_owned() }
                                    if let Some((kind, words)) = badge {
                                        <span class={classes!("change", kind)}>{ words }</span>
                                    }
                                    if let Some(target) = target {
                                        <span class="muted">{ format!(" · {target}") }</span>
                                    }
                                </li>
                            }
                        }) }
                        </ol>
                    </section>
                }) }
                if !retired.is_empty() {
                    <section class="card template-retired">
                        <h3>{ lang.pick("停用的上级条目", "Parent items retired") }</h3>
                        <p>{ retired.join("、") }</p>
                    </section>
                }
                </>
            }
        }
    };
    html! {
        <main class="page template-page">
            <Link<Route> to={Route::Templates} classes="back">{ format!("‹ {}", lang.t(Msg::Back)) }</Link<Route>>
            { body }
        </main>
    }
}
