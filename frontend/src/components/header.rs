//! The top bar: the facility, the sync state with the count of unsynced changes, the language switch and
//! logout; the tabs below it; and the banners for an expired session, a refusal or a storage failure.

use crate::components::dialog::confirm;
use crate::hooks::{use_session, use_workspace};
use crate::i18n::Msg;
use crate::route::Route;
use crate::state::workspace::Net;
use yew::prelude::*;
use yew_router::prelude::*;

/// The sync state as the badge shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Badge {
    /// 离线.
    Offline,
    /// 同步中.
    Syncing,
    /// 已同步.
    Synced,
}

impl Badge {
    /// From the connection and the count of unsynced changes.
    pub fn of(net: Net, unsynced: usize) -> Self {
        match net {
            Net::Online if unsynced == 0 => Badge::Synced,
            Net::Online | Net::Connecting => Badge::Syncing,
            Net::Offline | Net::SessionExpired => Badge::Offline,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Badge::Offline => "offline",
            Badge::Syncing => "syncing",
            Badge::Synced => "synced",
        }
    }

    fn msg(self) -> Msg {
        match self {
            Badge::Offline => Msg::NetOffline,
            Badge::Syncing => Msg::NetSyncing,
            Badge::Synced => Msg::NetSynced,
        }
    }
}

/// The top bar of a facility's pages.
#[component]
pub fn Header() -> Html {
    let session = use_session();
    let ws = use_workspace();
    let lang = session.lang();
    let route = use_route::<Route>();
    let unsynced = ws.unsynced();
    let net = ws.net();
    let badge = Badge::of(net, unsynced);
    let fid = ws.facility_id();
    let title = ws.facility_name();
    let on_problems = matches!(
        route,
        Some(Route::Problems { .. } | Route::ProblemsForItem { .. })
    );
    let year = ws.year();
    let years = session.years_of(&fid);
    let switch_year = {
        let session = session.clone();
        Callback::from(move |e: Event| {
            let chosen = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
                .parse::<u16>()
                .ok();
            session.choose_year(chosen);
        })
    };
    let relogin = {
        let session = session.clone();
        Callback::from(move |_| session.logout())
    };
    html! {
        <>
        <header class="top">
            <div class="top-title">
                <h1>{ lang.t(Msg::AppTitle) }</h1>
                <span class="facility-name">{ title }{ " · " }
                    <select class="year-switch" aria-label={lang.t(Msg::Year)} onchange={switch_year}>
                    { for years.iter().map(|y| html! {
                        <option value={y.to_string()} selected={*y == year}>{ format!("{y} {}", lang.t(Msg::Year)) }</option>
                    }) }
                    </select>
                </span>
            </div>
            <div class="top-actions">
                <span class={classes!("sync", badge.code())} role="status" aria-live="polite"
                    data-net={badge.code()} data-unsynced={unsynced.to_string()}
                    data-pending={ws.pending_writes().to_string()}>
                    { lang.t(badge.msg()) }
                    if unsynced > 0 {
                        <span class="unsynced">{ format!(" · {unsynced} {}", lang.t(Msg::Unsynced)) }</span>
                    }
                </span>
                <crate::components::photos::PhotoQueueBadge />
                <LangButton />
                <LogoutButton {unsynced} />
            </div>
        </header>
        <nav class="tabs">
            if !ws.user().role.is_facility_role() {
                <Link<Route> to={Route::County} classes="tab">{ format!("‹ {}", lang.t(Msg::Dashboard)) }</Link<Route>>
            }
            <Link<Route> to={Route::Facility { fid: fid.clone() }} classes={classes!("tab", (!on_problems).then_some("active"))}>{ lang.t(Msg::Home) }</Link<Route>>
            <Link<Route> to={Route::Problems { fid: fid.clone() }} classes={classes!("tab", on_problems.then_some("active"))}>{ lang.t(Msg::Problems) }</Link<Route>>
        </nav>
        if net == Net::SessionExpired {
            <div class="banner warn" role="alert">
                { lang.t(Msg::NetExpired) }
                <button class="button" onclick={relogin}>{ lang.t(Msg::Relogin) }</button>
            </div>
        }
        if let Some((msg, detail)) = ws.error() {
            <div class="banner error" role="alert">{ lang.t(msg) }if !detail.is_empty() { <span class="muted">{ format!(" （{detail}）") }</span> }</div>
        }
        </>
    }
}

/// English / 中文.
#[component]
pub fn LangButton() -> Html {
    let session = use_session();
    let label = session.t(Msg::SwitchLanguage);
    let onclick = Callback::from(move |_| session.toggle_lang());
    html! { <button class="lang" {onclick}>{ label }</button> }
}

/// Props of [`LogoutButton`].
#[derive(Properties, PartialEq)]
pub struct LogoutProps {
    /// Changes on this device the server does not have yet: logging out asks first.
    #[prop_or_default]
    pub unsynced: usize,
}

/// Ends the session on the server and forgets it here; the documents stay on the device.
#[component]
pub fn LogoutButton(props: &LogoutProps) -> Html {
    let session = use_session();
    let (lang, unsynced) = (session.lang(), props.unsynced);
    let onclick = Callback::from(move |_| {
        if unsynced > 0 && !confirm(lang.t(Msg::LogoutUnsynced)) {
            return;
        }
        session.logout();
    });
    html! { <button class="lang" {onclick}>{ lang.t(Msg::Logout) }</button> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_says_synced_only_when_connected_with_nothing_waiting() {
        assert_eq!(Badge::of(Net::Online, 0), Badge::Synced);
        assert_eq!(Badge::of(Net::Online, 3), Badge::Syncing);
        assert_eq!(Badge::of(Net::Connecting, 0), Badge::Syncing);
        assert_eq!(Badge::of(Net::Offline, 0), Badge::Offline);
        assert_eq!(Badge::of(Net::SessionExpired, 2), Badge::Offline);
    }
}
