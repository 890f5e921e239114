//! The one online login: checks the password with the server, then fetches the user's facilities and their
//! staff so the app can work offline from then on.

use crate::api::{self, ApiFailure};
use crate::app::AppCtx;
use crate::components::header::LangButton;
use crate::i18n::{Lang, Msg};
use crate::session::SavedSession;
use crate::store::request_persistence;
use web_sys::HtmlInputElement;
use yew::prelude::*;

async fn log_in(username: String, password: String) -> Result<SavedSession, ApiFailure> {
    let login = api::login(&username, &password).await?;
    let directory = api::facilities(&login.token).await?;
    let mut staff = Vec::new();
    // Facility staff need their colleagues as problem owners offline; reviewers do not.
    if let Some(own) = &login.user.facility_id {
        staff.push((
            own.to_string(),
            api::staff(&login.token, own.as_str()).await?,
        ));
    }
    Ok(SavedSession {
        token: login.token,
        user: login.user,
        facilities: directory.facilities,
        communities: directory.communities,
        staff,
    })
}

/// The login form.
#[component]
pub fn LoginPage() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let lang = app.lang;
    let username = use_node_ref();
    let password = use_node_ref();
    let busy = use_state(|| false);
    let error = use_state(|| None::<(String, String)>);
    let onsubmit = {
        let (username, password) = (username.clone(), password.clone());
        let (busy, error) = (busy.clone(), error.clone());
        let set_session = app.set_session.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = |r: &NodeRef| {
                r.cast::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default()
            };
            let (u, p) = (value(&username).trim().to_owned(), value(&password));
            let (busy, error, set_session) = (busy.clone(), error.clone(), set_session.clone());
            busy.set(true);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match log_in(u, p).await {
                    Ok(session) => {
                        request_persistence();
                        set_session.emit(Some(session));
                    }
                    Err(e) => error.set(Some(e.message())),
                }
                busy.set(false);
            });
        })
    };
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
                    <input ref={username} name="username" autocomplete="username" required=true />
                </label>
                <label>{ lang.t(Msg::Password) }
                    <input ref={password} name="password" type="password" autocomplete="current-password" required=true />
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
