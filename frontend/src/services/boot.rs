//! The plain-HTML page of `index.html` shown while the app downloads: its login form is usable before the
//! wasm arrives. [`take_over`] reads what was typed there (and whether 登录 was pressed) and removes the page;
//! the login view starts from it, so nothing typed is lost.

use std::sync::OnceLock;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;

/// What the user typed into the HTML login form before the app started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EarlyLogin {
    /// The user name typed.
    pub username: String,
    /// The password typed.
    pub password: String,
    /// Whether 登录 was pressed (the app then logs in at once).
    pub submitted: bool,
}

static EARLY: OnceLock<Option<EarlyLogin>> = OnceLock::new();

/// Reads the HTML login form and removes the boot page; called once by `main` before the first render.
pub fn take_over() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let value = |id: &str| {
        document
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<HtmlInputElement>().ok())
            .map(|i| i.value())
            .unwrap_or_default()
    };
    let (username, password) = (value("boot-username"), value("boot-password"));
    let submitted = document
        .get_element_by_id("boot-login")
        .is_some_and(|f| f.has_attribute("data-submitted"));
    let early = (!username.is_empty() || !password.is_empty()).then_some(EarlyLogin {
        username,
        password,
        submitted,
    });
    let _ = EARLY.set(early);
    if let Some(boot) = document.get_element_by_id("boot") {
        boot.remove();
    }
}

/// What was typed before the app started, once: the first caller gets it, later ones `None` (a login view
/// shown again after logging out starts empty).
pub fn early_login() -> Option<EarlyLogin> {
    static TAKEN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if TAKEN.swap(true, std::sync::atomic::Ordering::Relaxed) {
        return None;
    }
    EARLY.get().cloned().flatten()
}
