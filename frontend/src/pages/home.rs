//! The home page: the checklist's nine areas.

use crate::i18n::{Lang, Msg};
use crate::state::areas::area_summaries;
use yew::prelude::*;
use zhigai_shared::Template;

/// Props of [`Home`].
#[derive(Properties, PartialEq)]
pub struct HomeProps {
    /// The language to show.
    pub lang: Lang,
}

/// Lists the areas of the national template with their item counts.
#[component]
pub fn Home(props: &HomeProps) -> Html {
    let lang = props.lang;
    let template = Template::national();
    let areas = area_summaries(template, lang);
    html! {
        <main class="home">
            <p class="subtitle">{ lang.t(Msg::Subtitle) }</p>
            <ol class="areas">
                { for areas.into_iter().map(|a| html! {
                    <li class="area" key={a.id.clone()} data-area={a.id.clone()}>
                        <span class="area-number">{ a.number }</span>
                        <span class="area-title">{ a.title }</span>
                        <span class="area-count">{ format!("{} {}", a.items, lang.t(Msg::Items)) }</span>
                    </li>
                }) }
            </ol>
            <p class="version">
                { format!("{}：{} v{}", lang.t(Msg::TemplateVersion), template.id, template.version) }
            </p>
        </main>
    }
}
