//! The zhigai clinic app: a yew single-page app compiled to wasm that a facility's staff use to fill in
//! the year's self-inspection together, offline first. Documents live in IndexedDB and sync with the server
//! through the same protocol code the server uses.

mod api;
mod app;
mod clock;
mod components;
mod i18n;
mod pages;
mod session;
mod state;
mod store;
mod sync;
mod workspace;

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;

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
    if let Some(boot) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("boot"))
    {
        boot.remove();
    }
    if let Some(window) = web_sys::window() {
        for (event, online) in [("online", true), ("offline", false)] {
            let listener = Closure::<dyn Fn()>::new(move || app::network_changed(online));
            let _ =
                window.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
            // The listeners live as long as the page.
            listener.forget();
        }
    }
    yew::Renderer::<app::App>::new().render();
}
