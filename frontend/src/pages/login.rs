//! The one online login: checks the password with the server, then fetches the user's facilities and their
//! staff so the app can work offline from then on.

use crate::components::header::LangButton;
use crate::hooks::{ApiError, Field, use_session};
use crate::i18n::{Lang, Msg};
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The login form.
#[component]
pub fn LoginPage() -> Html {
    let session = use_session();
    let lang = session.lang();
    let username = use_node_ref();
    let password = use_node_ref();
    let busy = use_state(|| false);
    let error = use_state(|| None::<(String, String)>);
    // What was typed into the HTML form of index.html while the app downloaded.
    let early = use_state(|| session.early_login());
    let log_in = {
        let (busy, error) = (busy.clone(), error.clone());
        let session = session.clone();
        Callback::from(move |(u, p): (String, String)| {
            let (busy, error) = (busy.clone(), error.clone());
            busy.set(true);
            error.set(None);
            session.login(
                u,
                p,
                Callback::from(move |result: Result<(), ApiError>| {
                    if let Err(e) = result {
                        error.set(Some(e.message()));
                    }
                    busy.set(false);
                }),
            );
        })
    };
    {
        // 登录 pressed before the app arrived: log in now with what was typed. Otherwise typing goes on in
        // the field the user was in, at the end of what they typed.
        let (early, log_in) = (early.clone(), log_in.clone());
        let fields = (username.clone(), password.clone());
        use_effect_with((), move |_| match (*early).clone() {
            Some(e) if e.submitted => log_in.emit((e.username.trim().to_owned(), e.password)),
            Some(e) => {
                let field = e.focus.map(|f| match f {
                    Field::Username => &fields.0,
                    Field::Password => &fields.1,
                });
                if let Some(input) = field.and_then(NodeRef::cast::<HtmlInputElement>) {
                    let end = input.value().encode_utf16().count() as u32;
                    let _ = input.focus();
                    let _ = input.set_selection_range(end, end);
                }
            }
            None => {}
        });
    }
    let onsubmit = {
        let (username, password) = (username.clone(), password.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            log_in.emit((value(&username).trim().to_owned(), value(&password)));
        })
    };
    let typed = (*early).clone().unwrap_or_default();
    html! {
        <>
        <header class="top">
            <h1>{ lang.t(Msg::AppTitle) }</h1>
            <LangButton />
        </header>
        <main class="page login">
            <h2>{ lang.t(Msg::LoginTitle) }</h2>
            <p class="muted">{ lang.t(Msg::LoginHint) }</p>
            <form {onsubmit}>
                <label>{ lang.t(Msg::Username) }
                    <input ref={username} name="username" autocomplete="username" required=true value={typed.username} />
                </label>
                <label>{ lang.t(Msg::Password) }
                    <input ref={password} name="password" type="password" autocomplete="current-password" required=true value={typed.password} />
                </label>
                if let Some((zh, en)) = (*error).clone() {
                    <p class="banner error" role="alert">{ if lang == Lang::Zh { zh } else { en } }</p>
                }
                <button class="button primary" type="submit" disabled={*busy}>
                    { if *busy { lang.t(Msg::LoggingIn) } else { lang.t(Msg::LoginButton) } }
                </button>
            </form>
        </main>
        </>
    }
}
