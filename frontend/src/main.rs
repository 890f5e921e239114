//! The zhigai clinic app: a yew single-page app compiled to wasm. For now it shows the checklist template's
//! nine areas; the offline inspection, sync and review arrive on top of this shell.

mod app;
mod i18n;
mod pages;
mod state;

fn main() {
    yew::Renderer::<app::App>::new().render();
}
