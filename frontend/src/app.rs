//! The app shell: the session and language contexts, the routes, and the workspace of the facility on
//! screen (its documents and sync task), shared with the pages through a context.

use crate::components::header::Header;
use crate::i18n::{Lang, Msg};
use crate::pages::{
    area::AreaPage, county::CountyPage, home::HomePage, login::LoginPage, print::PrintPage,
    problems::ProblemsPage,
};
use crate::session::{self, SavedSession};
use crate::workspace::{self, Shared, Wake, Workspace};
use futures::channel::mpsc::unbounded;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::access::Role;

/// The app's paths. The server answers every one of them with `index.html`, and so does the service worker
/// offline.
#[derive(Clone, Debug, PartialEq, Routable)]
pub enum Route {
    /// Sends the user to their facility.
    #[at("/")]
    Root,
    /// A facility's home page.
    #[at("/f/:fid")]
    Facility {
        /// The facility id.
        fid: String,
    },
    /// One area's items.
    #[at("/f/:fid/area/:area")]
    Area {
        /// The facility id.
        fid: String,
        /// `T1` … `T9`.
        area: String,
    },
    /// The problem list.
    #[at("/f/:fid/problems")]
    Problems {
        /// The facility id.
        fid: String,
    },
    /// The problem list of one item, with the form to add one open.
    #[at("/f/:fid/problems/item/:item")]
    ProblemsForItem {
        /// The facility id.
        fid: String,
        /// The item id.
        item: String,
    },
    /// The county overview (reviewers and admins).
    #[at("/county")]
    County,
    /// A facility's printable self-inspection table.
    #[at("/f/:fid/print")]
    Print {
        /// The facility id.
        fid: String,
    },
    /// Anything else.
    #[not_found]
    #[at("/404")]
    NotFound,
}

/// The language and the session, for every page.
#[derive(Clone, PartialEq)]
pub struct AppCtx {
    /// The UI language.
    pub lang: Lang,
    /// The session kept on the device, if logged in.
    pub session: Option<SavedSession>,
    /// Switches the language.
    pub set_lang: Callback<Lang>,
    /// Logs in (Some) or out (None).
    pub set_session: Callback<Option<SavedSession>>,
}

/// The open workspace, for the pages of one facility.
#[derive(Clone)]
pub struct WsCtx {
    /// The workspace.
    pub ws: Shared,
    /// Its revision when this context was made: views re-render when it moves.
    pub revision: u64,
}

impl PartialEq for WsCtx {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.ws, &other.ws) && self.revision == other.revision
    }
}

thread_local! {
    /// The workspace on screen, for the browser's online/offline events.
    static CURRENT: RefCell<Weak<RefCell<Workspace>>> = const { RefCell::new(Weak::new()) };
}

/// Passes the browser's online/offline events to the workspace on screen.
pub fn network_changed(online: bool) {
    if let Some(ws) = CURRENT.with(|c| c.borrow().upgrade()) {
        ws.borrow()
            .wake(if online { Wake::Online } else { Wake::Offline });
    }
}

/// The root component.
#[component]
pub fn App() -> Html {
    let lang = use_state(session::lang);
    let saved = use_state(session::load);
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
    let ctx = AppCtx {
        lang: *lang,
        session: (*saved).clone(),
        set_lang,
        set_session,
    };
    html! {
        <ContextProvider<AppCtx> context={ctx}>
            <BrowserRouter>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </ContextProvider<AppCtx>>
    }
}

/// What a facility route shows.
#[derive(Clone, Debug, PartialEq)]
pub enum Page {
    /// The home page.
    Home,
    /// An area.
    Area(String),
    /// The problem list, optionally of one item.
    Problems(Option<String>),
    /// The printable table.
    Print,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Root => html! { <RootRedirect /> },
        Route::Facility { fid } => html! { <FacilityShell {fid} page={Page::Home} /> },
        Route::Area { fid, area } => html! { <FacilityShell {fid} page={Page::Area(area)} /> },
        Route::Problems { fid } => html! { <FacilityShell {fid} page={Page::Problems(None)} /> },
        Route::ProblemsForItem { fid, item } => {
            html! { <FacilityShell {fid} page={Page::Problems(Some(item))} /> }
        }
        Route::County => html! { <CountyPage /> },
        Route::Print { fid } => html! { <FacilityShell {fid} page={Page::Print} /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

/// Shown when the server refused the facility's documents.
#[component]
fn RefusedNotice() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let mine = app.session.as_ref().and_then(|s| s.home_facility());
    html! {
        <main class="page">
            <div class="banner error refused" role="alert">{ app.lang.t(Msg::Refused) }</div>
            if let Some(fid) = mine {
                <Link<Route> to={Route::Facility { fid }} classes="button">{ app.lang.t(Msg::BackToMine) }</Link<Route>>
            }
        </main>
    }
}

#[component]
fn NotFoundPage() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    html! {
        <main class="page">
            <p>{ app.lang.t(Msg::NotFound) }</p>
            <Link<Route> to={Route::Root} classes="button">{ app.lang.t(Msg::Home) }</Link<Route>>
        </main>
    }
}

#[component]
fn RootRedirect() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let reviewer = app
        .session
        .as_ref()
        .is_some_and(|s| matches!(s.user.role, Role::Reviewer | Role::Admin));
    if reviewer {
        return html! { <Redirect<Route> to={Route::County} /> };
    }
    match app.session.as_ref().and_then(SavedSession::home_facility) {
        Some(fid) => html! { <Redirect<Route> to={Route::Facility { fid }} /> },
        None if app.session.is_none() => html! { <LoginPage /> },
        None => html! { <FacilityPicker /> },
    }
}

#[component]
fn FacilityPicker() -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let lang = app.lang;
    let facilities = app.session.map(|s| s.facilities).unwrap_or_default();
    html! {
        <main class="page">
            <h2>{ lang.t(Msg::ChooseFacility) }</h2>
            <ul class="cards">
            { for facilities.into_iter().map(|f| html! {
                <li class="card">
                    <Link<Route> to={Route::Facility { fid: f.facility.id.to_string() }}>
                        { f.facility.name.clone() }
                    </Link<Route>>
                </li>
            }) }
            </ul>
        </main>
    }
}

/// Props of [`FacilityShell`].
#[derive(Properties, PartialEq)]
pub struct ShellProps {
    /// The facility id from the path.
    pub fid: String,
    /// What to show.
    pub page: Page,
}

/// Opens the workspace of a facility (documents from IndexedDB, the sync task) and shows a page of it.
#[component]
pub fn FacilityShell(props: &ShellProps) -> Html {
    let app = use_context::<AppCtx>().expect("AppCtx");
    let force = use_force_update();
    let ws = use_state(|| None::<Shared>);
    {
        let ws = ws.clone();
        let session = app.session.clone();
        use_effect_with(
            (props.fid.clone(), session.as_ref().map(|s| s.token.clone())),
            move |(fid, _)| {
                let opened = session.and_then(|session| {
                    let notify = Callback::from(move |()| force.force_update());
                    let year = crate::clock::today().year();
                    let w = Workspace::new(&session, fid, year, notify).ok()?;
                    Some(Rc::new(RefCell::new(w)))
                });
                if let Some(shared) = &opened {
                    CURRENT.with(|c| *c.borrow_mut() = Rc::downgrade(shared));
                    let (tx, rx) = unbounded();
                    shared.borrow_mut().set_wake(tx);
                    let task = shared.clone();
                    spawn_local(async move {
                        workspace::open(task.clone()).await;
                        crate::sync::run(task, rx).await;
                    });
                }
                ws.set(opened.clone());
                move || {
                    if let Some(shared) = opened {
                        shared.borrow_mut().close();
                    }
                }
            },
        );
    }
    if app.session.is_none() {
        return html! { <LoginPage /> };
    }
    let Some(shared) = (*ws).clone() else {
        return html! { <main class="page"><p>{ app.lang.t(Msg::Loading) }</p></main> };
    };
    let (revision, refused) = {
        let w = shared.borrow();
        (w.revision, w.refused)
    };
    let ctx = WsCtx {
        ws: shared,
        revision,
    };
    let page = match &props.page {
        // The server refused this facility's documents to this user: no page of it is shown.
        _ if refused => html! { <RefusedNotice /> },
        Page::Home => html! { <HomePage /> },
        Page::Area(area) => html! { <AreaPage area={area.clone()} /> },
        Page::Problems(item) => html! { <ProblemsPage item={item.clone()} /> },
        Page::Print => html! { <PrintPage /> },
    };
    html! {
        <ContextProvider<WsCtx> context={ctx}>
            <Header />
            { page }
        </ContextProvider<WsCtx>>
    }
}
