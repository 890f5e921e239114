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

/// Debug builds only (the browser tests' build): makes the app panic for real, so tests/browser/crash.test.mjs
/// sees what a user would see after a bug.
#[cfg(debug_assertions)]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn zhigai_test_panic() {
    panic!("a panic asked for by a test");
}

fn main() {
    // A panic: yew's default hook logs it with a stack to the console, the wasm then stops on a trap, and
    // `crash.js` (inlined into the index pages) replaces the page with a notice to reload — no white screen,
    // and the user learns that their edits are safe on the device. Release builds abort at once
    // (`-Cpanic=immediate-abort`, see scripts/build-frontend), without a message, and meet the same notice.
    services::boot::take_over();
    yew::Renderer::<app::App>::new().render();
}
