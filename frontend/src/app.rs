//! The app shell: header with the language switch, and the page.

use crate::i18n::{Lang, Msg};
use crate::pages::home::Home;
use yew::prelude::*;

/// The root component.
#[component]
pub fn App() -> Html {
    let lang = use_state(Lang::default);
    let toggle = {
        let lang = lang.clone();
        Callback::from(move |_| lang.set(lang.toggled()))
    };
    html! {
        <>
            <header class="top">
                <h1>{ lang.t(Msg::AppTitle) }</h1>
                <button class="lang" onclick={toggle}>{ lang.t(Msg::SwitchLanguage) }</button>
            </header>
            <Home lang={*lang} />
        </>
    }
}
