//! The browser's `online` and `offline` events, for as long as a [`NetworkListener`] lives.

use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use yew::Callback;

/// A registered listener: the event's name and the closure the browser calls.
type Listener = (&'static str, Closure<dyn Fn()>);

/// Calls back with `true` when the browser goes online and `false` when it goes offline, until dropped.
pub struct NetworkListener {
    listeners: Vec<Listener>,
}

impl NetworkListener {
    /// Starts listening.
    pub fn new(on_change: Callback<bool>) -> Self {
        let mut listeners = Vec::new();
        if let Some(window) = web_sys::window() {
            for (event, online) in [("online", true), ("offline", false)] {
                let cb = on_change.clone();
                let listener = Closure::<dyn Fn()>::new(move || cb.emit(online));
                if window
                    .add_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
                    .is_ok()
                {
                    listeners.push((event, listener));
                }
            }
        }
        Self { listeners }
    }
}

impl Drop for NetworkListener {
    fn drop(&mut self) {
        if let Some(window) = web_sys::window() {
            for (event, listener) in &self.listeners {
                // Removing a listener the page already dropped has nothing to report.
                window
                    .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref())
                    .ok();
            }
        }
    }
}
