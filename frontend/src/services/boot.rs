//! The plain-HTML page of `index.html` shown while the app downloads: its login form is usable before the
//! wasm arrives. [`take_over`] reads what was typed there (and whether 登录 was pressed) and removes the page;
//! the login view starts from it, so nothing typed is lost.

use std::sync::Mutex;
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
    /// The field the user was typing in, so typing goes on there.
    pub focus: Option<Field>,
}

/// A field of the login form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    /// The user name.
    Username,
    /// The password.
    Password,
}

/// Held from [`take_over`] until the login view takes it: the password is not kept any longer than that.
static EARLY: Mutex<Option<EarlyLogin>> = Mutex::new(None);

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
    let focus = document
        .active_element()
        .and_then(|e| match e.id().as_str() {
            "boot-username" => Some(Field::Username),
            "boot-password" => Some(Field::Password),
            _ => None,
        });
    let early =
        (!username.is_empty() || !password.is_empty() || focus.is_some()).then_some(EarlyLogin {
            username,
            password,
            submitted,
            focus,
        });
    *EARLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = early;
    if let Some(boot) = document.get_element_by_id("boot") {
        boot.remove();
    }
}

/// What was typed before the app started, once: the first caller takes it, later ones get `None` (a login
/// view shown again after logging out starts empty).
pub fn early_login() -> Option<EarlyLogin> {
    EARLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
}
