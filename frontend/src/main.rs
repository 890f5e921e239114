//! The zhigai clinic app: a yew single-page app compiled to wasm that a facility's staff use to fill in
//! the year's self-inspection together, offline first. Documents live in IndexedDB and sync with the server
//! through the same protocol code the server uses.
//!
//! - `app`: the routes and what each shows (imported by nothing but this file);
//! - `state/`: pure state — the workspace state machine, view logic — tested natively;
//! - `services/`: I/O — REST API, IndexedDB, the sync socket, localStorage, clock, network events;
//! - `hooks/`: providers and handles with domain methods, where views meet state and services;
//! - `pages/`, `components/`: views only; `route`: the paths; `i18n`: the UI text.

mod app;
mod components;
mod hooks;
mod i18n;
mod pages;
mod route;
mod services;
mod state;

/// Replaces the page with a message if the app ever panics: no white screen, and the user learns that
/// their edits are safe on the device.
fn show_crash(info: &std::panic::PanicHookInfo<'_>) {
    web_sys::console::error_1(&info.to_string().into());
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        body.set_inner_html(
            "<main class=\"page\"><div class=\"banner error\" role=\"alert\">\
             <p>质改出错了。您的修改已保存在本机，请刷新页面后继续。</p>\
             <p>zhigai hit an error. Your edits are saved on this device; reload the page to continue.</p>\
             <button class=\"button primary\" onclick=\"location.reload()\">刷新 Reload</button></div></main>",
        );
    }
}

fn main() {
    std::panic::set_hook(Box::new(show_crash));
    services::boot::take_over();
    yew::Renderer::<app::App>::new().render();
}
