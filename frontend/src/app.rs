//! The app shell: the routes and what each one shows. The session and the open facility-year come from
//! the providers in `hooks`; nothing here does I/O, and nothing but `main` imports this module.
//!
//! The crate builds two apps from the same code: the **clinic app** (default features) at `/`, which a
//! facility's staff download on their first visit, and the **review app** (feature `review`) under
//! `/review/` for reviewers, viewers and administrators, with the overviews, rollups, annual reports and
//! review panels a village doctor never opens. Each app hands a user of the other kind over to it with a
//! page load ([`services::location::open_other_app`]); the session and the documents on the device are shared.

use crate::components::header::Header;
use crate::hooks::{PhotoProvider, SessionProvider, WorkspaceProvider, use_session, use_workspace};
use crate::i18n::Msg;
use crate::pages::{
    annual::{AnnualPage, CountyAnnualPage},
    area::AreaPage,
    county::CountyPage,
    home::HomePage,
    login::LoginPage,
    print::PrintPage,
    problems::ProblemsPage,
    rollup::RollupPage,
    templates::{TemplatePage, TemplatesPage},
};
use crate::route::Route;
use crate::services::location;
use crate::state::session::SavedSession;
use yew::prelude::*;
use yew_router::prelude::*;
use zhigai_shared::access::{Level, Scope};

/// Whether this build is the review app (reviewers, viewers, administrators) rather than the clinic app.
pub const REVIEW_APP: bool = cfg!(feature = "review");

/// Whether `saved`'s user works in the other app: reviewers, viewers and administrators in the review app,
/// facility staff in the clinic app.
fn belongs_elsewhere(saved: &SavedSession) -> bool {
    saved.is_county() != REVIEW_APP
}

/// The root component.
#[component]
pub fn App() -> Html {
    let basename = REVIEW_APP.then(|| AttrValue::from(location::REVIEW_BASE));
    html! {
        <SessionProvider>
            <BrowserRouter {basename}>
                <Switch<Route> render={switch} />
            </BrowserRouter>
        </SessionProvider>
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
    /// The printable annual summary.
    Annual,
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
        Route::County | Route::Place { .. } | Route::CountyAnnual { .. } if !REVIEW_APP => {
            html! { <ReviewPathInClinic /> }
        }
        Route::County => html! { <CountyShell /> },
        Route::Place { level, id } => match level.parse::<Level>() {
            Ok(level) if level != Level::Facility => {
                html! { <CountyShell place={Some(Scope::new(level, id))} /> }
            }
            _ => html! { <NotFoundPage /> },
        },
        Route::CountyAnnual { year } => html! { <CountyShell annual={Some(year)} /> },
        Route::Annual { fid } => html! { <FacilityShell {fid} page={Page::Annual} /> },
        Route::Print { fid } => html! { <FacilityShell {fid} page={Page::Print} /> },
        Route::Templates => html! { <TemplatesPage /> },
        Route::TemplateView { id, version } => html! { <TemplatePage {id} {version} /> },
        Route::NotFound => html! { <NotFoundPage /> },
    }
}

/// Shown when the server refused the facility's documents.
#[component]
fn RefusedNotice() -> Html {
    let session = use_session();
    let mine = session.session().and_then(|s| s.home_facility());
    html! {
        <main class="page">
            <div class="banner error refused" role="alert">{ session.t(Msg::Refused) }</div>
            if let Some(fid) = mine {
                <Link<Route> to={Route::Facility { fid }} classes="button">{ session.t(Msg::BackToMine) }</Link<Route>>
            }
        </main>
    }
}

#[component]
fn NotFoundPage() -> Html {
    let session = use_session();
    html! {
        <main class="page">
            <p>{ session.t(Msg::NotFound) }</p>
            <Link<Route> to={Route::Root} classes="button">{ session.t(Msg::Home) }</Link<Route>>
        </main>
    }
}

/// Hands the user over to the other app (the review app from the clinic app and back) at the same path.
#[component]
fn OtherApp() -> Html {
    let session = use_session();
    use_effect_with((), |_| location::open_other_app(REVIEW_APP));
    html! { <main class="page"><p class="muted">{ session.t(Msg::OpeningOtherApp) }</p></main> }
}

/// A review path opened in the clinic app: reviewers go to the review app, facility staff to their home.
#[component]
fn ReviewPathInClinic() -> Html {
    let session = use_session();
    match session.session() {
        None => html! { <LoginPage /> },
        Some(saved) if belongs_elsewhere(saved) => html! { <OtherApp /> },
        Some(_) => html! { <Redirect<Route> to={Route::Root} /> },
    }
}

#[component]
fn RootRedirect() -> Html {
    let session = use_session();
    let Some(saved) = session.session() else {
        return html! { <LoginPage /> };
    };
    if belongs_elsewhere(saved) {
        return html! { <OtherApp /> };
    }
    if saved.is_county() {
        return html! { <Redirect<Route> to={Route::County} /> };
    }
    match saved.home_facility() {
        Some(fid) => html! { <Redirect<Route> to={Route::Facility { fid }} /> },
        None => html! { <FacilityPicker /> },
    }
}

#[component]
fn FacilityPicker() -> Html {
    let session = use_session();
    let facilities = session
        .session()
        .map(|s| s.facilities.clone())
        .unwrap_or_default();
    html! {
        <main class="page">
            <h2>{ session.t(Msg::ChooseFacility) }</h2>
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

/// Props of [`CountyShell`].
#[derive(Properties, PartialEq)]
struct CountyProps {
    /// The annual report of this year instead of the overview.
    #[prop_or_default]
    annual: Option<u16>,
    /// The place to show; the user's own when `None`.
    #[prop_or_default]
    place: Option<Scope>,
}

/// An overview — a community's or county's facilities, a city's or province's counties — or a year's annual
/// report, or the login when logged out.
#[component]
fn CountyShell(props: &CountyProps) -> Html {
    let session = use_session();
    let Some(saved) = session.session() else {
        return html! { <LoginPage /> };
    };
    if belongs_elsewhere(saved) {
        return html! { <OtherApp /> };
    }
    let place = props
        .place
        .clone()
        .unwrap_or_else(|| saved.user.scope.clone());
    match (props.annual, place.level()) {
        (Some(year), _) => html! { <CountyAnnualPage {year} /> },
        (None, Level::City | Level::Province) => html! { <RollupPage {place} /> },
        (None, _) => html! { <CountyPage place={Some(place)} /> },
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

/// A facility's pages: the login when logged out, else the facility-year open around the page.
#[component]
pub fn FacilityShell(props: &ShellProps) -> Html {
    let session = use_session();
    let Some(saved) = session.session() else {
        return html! { <LoginPage /> };
    };
    if belongs_elsewhere(saved) {
        return html! { <OtherApp /> };
    }
    let year = session.year();
    html! {
        <WorkspaceProvider fid={props.fid.clone()} {year}>
            <PhotoProvider>
                <Header />
                <FacilityPage page={props.page.clone()} />
            </PhotoProvider>
        </WorkspaceProvider>
    }
}

/// Props of [`FacilityPage`].
#[derive(Properties, PartialEq)]
struct PageProps {
    page: Page,
}

/// The page of the open facility, or the refusal when the server refused it to this user.
#[component]
fn FacilityPage(props: &PageProps) -> Html {
    let ws = use_workspace();
    if ws.refused() {
        return html! { <RefusedNotice /> };
    }
    match &props.page {
        Page::Home => html! { <HomePage /> },
        Page::Area(area) => html! { <AreaPage area={area.clone()} /> },
        Page::Problems(item) => html! { <ProblemsPage item={item.clone()} /> },
        Page::Print => html! { <PrintPage /> },
        Page::Annual => html! { <AnnualPage /> },
    }
}
