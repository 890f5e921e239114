//! Page loads between the two apps built from this crate: the clinic app at `/` and the review app under
//! [`REVIEW_BASE`]. Both read the same session and documents on the device, so the hand-over is one load.

use crate::state::session::other_app_path;

/// Where the review app lives (its `BrowserRouter` basename and Trunk's `--public-url`).
pub const REVIEW_BASE: &str = "/review";

/// Loads the other app at the path that corresponds to this one (`/county` ↔ `/review/county`), replacing
/// this entry of the history so Back does not bounce between them.
pub fn open_other_app(in_review_app: bool) {
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let path = location.pathname().unwrap_or_default();
    let target = other_app_path(&path, in_review_app, REVIEW_BASE);
    if let Err(e) = location.replace(&target) {
        web_sys::console::warn_2(&"could not open the other app:".into(), &e);
    }
}
