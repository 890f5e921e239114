//! The browser's own confirmation dialog, for acts that are hard to undo (submit, delete, approve).

/// Asks the user to confirm; true when there is no window to ask in.
pub fn confirm(text: &str) -> bool {
    web_sys::window().is_none_or(|w| w.confirm_with_message(text).unwrap_or(true))
}
