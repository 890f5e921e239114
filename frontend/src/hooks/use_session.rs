//! The language and the session, for every page: [`SessionProvider`] holds them, [`use_session`] hands
//! out a [`SessionHandle`] that logs in (the one online login, fetching what the app needs offline), logs
//! out and switches the language.

use crate::i18n::{Lang, Msg};
use crate::services::api::{self, ApiError};
use crate::services::boot::{self, EarlyLogin};
use crate::services::clock::today;
use crate::services::{session, store};
use crate::state::session::{PlaceWords, SavedSession};
use yew::prelude::*;
use zhigai_shared::doc::Date;

/// The language and the session as the pages see them.
#[derive(Clone, PartialEq)]
pub struct SessionHandle {
    lang: Lang,
    session: Option<SavedSession>,
    year: Option<u16>,
    set_lang: Callback<Lang>,
    set_session: Callback<Option<SavedSession>>,
    set_year: Callback<Option<u16>>,
}

impl SessionHandle {
    /// The UI language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The text of `msg` in the UI language.
    pub fn t(&self, msg: Msg) -> &'static str {
        self.lang.t(msg)
    }

    /// The session kept on the device, if logged in.
    pub fn session(&self) -> Option<&SavedSession> {
        self.session.as_ref()
    }

    /// What the user typed into the HTML login form of `index.html` before the app started (once).
    pub fn early_login(&self) -> Option<EarlyLogin> {
        boot::early_login()
    }

    /// Switches between Chinese and English.
    pub fn toggle_lang(&self) {
        self.set_lang.emit(self.lang.toggled());
    }

    /// Logs in with the server, then fetches the user's facilities and (for facility staff) their
    /// colleagues, so the app works offline from then on; `done` hears how it went.
    pub fn login(&self, username: String, password: String, done: Callback<Result<(), ApiError>>) {
        let handle = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            done.emit(handle.log_in(&username, &password).await);
        });
    }

    async fn log_in(&self, username: &str, password: &str) -> Result<(), ApiError> {
        let login = api::login(username, password).await?;
        // Facility staff need their colleagues as problem owners offline; reviewers do not. Both requests go
        // out together: on a village network each round trip is half a second or more.
        let own = login.user.facility_id().map(|f| f.to_string());
        let colleagues = async {
            match &own {
                Some(own) => api::staff(&login.token, own).await.map(Some),
                None => Ok(None),
            }
        };
        let (directory, colleagues) = futures::join!(api::facilities(&login.token), colleagues);
        let directory = directory?;
        let staff: Vec<_> = own.zip(colleagues?).into_iter().collect();
        store::request_persistence();
        self.set_session.emit(Some(SavedSession {
            token: login.token,
            user: login.user,
            facilities: directory.facilities,
            communities: directory.communities,
            staff,
            place: login.place,
            templates: directory.templates,
        }));
        Ok(())
    }

    /// Forgets the session on this device (the documents stay) and ends it on the server when reachable.
    pub fn logout(&self) {
        if let Some(token) = self.session.as_ref().map(|s| s.token.clone()) {
            wasm_bindgen_futures::spawn_local(async move { api::logout(&token).await });
        }
        self.set_session.emit(None);
    }

    /// The words of the user's place (县/区, 医共体/区社一体).
    pub fn place_words(&self) -> PlaceWords {
        self.session
            .as_ref()
            .map(SavedSession::place_words)
            .unwrap_or_default()
    }

    /// Fetches one facility's entry the session lacks (a city or province user opening a facility from a
    /// dashboard) and keeps it in the session; errors are left to the workspace's refusal notice.
    pub fn fetch_facility(&self, facility: String) {
        let handle = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let Some(saved) = handle.session.clone() else {
                return;
            };
            if let Ok(entry) = api::facility(&saved.token, &facility).await {
                handle.set_session.emit(Some(saved.with_facility(entry)));
            }
        });
    }

    /// Today, in China Standard Time.
    pub fn today(&self) -> Date {
        today()
    }

    /// The year the facility pages show: the one chosen, else this year.
    pub fn year(&self) -> u16 {
        self.year.unwrap_or_else(|| self.today().year())
    }

    /// The years `facility` has documents for, up to this year, newest first (the year switcher).
    pub fn years_of(&self, facility: &str) -> Vec<u16> {
        let this_year = self.today().year();
        let mut years: Vec<u16> = self
            .session
            .as_ref()
            .and_then(|s| s.facility(facility))
            .map(|e| e.documents.iter().map(|d| d.year).collect())
            .unwrap_or_default();
        years.retain(|y| *y <= this_year);
        if !years.contains(&this_year) {
            years.push(this_year);
        }
        years.sort_unstable_by(|a, b| b.cmp(a));
        years.dedup();
        years
    }

    /// Shows `year` on the facility pages (`None`: back to this year).
    pub fn choose_year(&self, year: Option<u16>) {
        self.set_year.emit(year);
    }
}

/// Props of [`SessionProvider`].
#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    /// The app.
    pub children: Html,
}

/// Holds the language and the session, kept in localStorage across visits.
#[component]
pub fn SessionProvider(props: &SessionProviderProps) -> Html {
    let lang = use_state(session::lang);
    let saved = use_state(session::load);
    let year = use_state(|| None::<u16>);
    let set_lang = {
        let lang = lang.clone();
        Callback::from(move |l: Lang| {
            session::set_lang(l);
            lang.set(l);
        })
    };
    let set_session = {
        let saved = saved.clone();
        Callback::from(move |s: Option<SavedSession>| {
            match &s {
                Some(s) => session::save(s),
                None => session::clear(),
            }
            saved.set(s);
        })
    };
    let set_year = {
        let year = year.clone();
        Callback::from(move |y: Option<u16>| year.set(y))
    };
    // Once a visit, when online: the directory again, for pins settled since login (next year's from
    // 1 December) and versions published since. Offline, the kept one serves.
    {
        let (saved, set_session) = (saved.clone(), set_session.clone());
        use_effect_with((), move |()| {
            if let Some(current) = (*saved).clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Ok(directory) = api::facilities(&current.token).await
                        && let Some(next) = current.with_directory(directory)
                    {
                        set_session.emit(Some(next));
                    }
                });
            }
        });
    }
    let handle = SessionHandle {
        lang: *lang,
        session: (*saved).clone(),
        year: *year,
        set_lang,
        set_session,
        set_year,
    };
    html! {
        <ContextProvider<SessionHandle> context={handle}>
            { props.children.clone() }
        </ContextProvider<SessionHandle>>
    }
}

/// The session handle. Outside a [`SessionProvider`] (never in the app) it is a logged-out Chinese one.
#[hook]
pub fn use_session() -> SessionHandle {
    use_context::<SessionHandle>().unwrap_or_else(|| SessionHandle {
        lang: Lang::Zh,
        session: None,
        year: None,
        set_lang: Callback::noop(),
        set_session: Callback::noop(),
        set_year: Callback::noop(),
    })
}
