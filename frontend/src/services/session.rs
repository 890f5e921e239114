//! What the device keeps between visits in localStorage: the session from the one online login (token,
//! user, facilities, staff), the device's Automerge actor id and the chosen language. The documents
//! themselves live in IndexedDB (see `store`).

use crate::i18n::Lang;
use crate::state::session::SavedSession;

const SESSION_KEY: &str = "zhigai.session";
const DEVICE_KEY: &str = "zhigai.device";
const LANG_KEY: &str = "zhigai.lang";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The saved session, if any (a damaged entry counts as none).
pub fn load() -> Option<SavedSession> {
    let text = storage()?.get_item(SESSION_KEY).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Keeps `session` on the device.
pub fn save(session: &SavedSession) {
    if let (Some(storage), Ok(text)) = (storage(), serde_json::to_string(session)) {
        let _ = storage.set_item(SESSION_KEY, &text);
    }
}

/// Forgets the session (the documents stay, so nothing unsynced is lost).
pub fn clear() {
    if let Some(storage) = storage() {
        let _ = storage.remove_item(SESSION_KEY);
    }
}

/// This device's Automerge actor id for `user`: 16 random bytes made once per person and kept. The server
/// binds an actor to the first person who writes with it, so colleagues sharing a tablet each need their own.
pub fn device_actor(user: &str) -> Vec<u8> {
    let key = format!("{DEVICE_KEY}.{user}");
    let stored = storage().and_then(|s| s.get_item(&key).ok().flatten());
    if let Some(bytes) = stored.as_deref().and_then(from_hex)
        && bytes.len() == 16
    {
        return bytes;
    }
    let mut bytes = vec![0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(&key, &to_hex(&bytes));
    }
    bytes
}

/// The language chosen on this device.
pub fn lang() -> Lang {
    match storage()
        .and_then(|s| s.get_item(LANG_KEY).ok().flatten())
        .as_deref()
    {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    }
}

/// Keeps the language choice.
pub fn set_lang(lang: Lang) {
    if let Some(storage) = storage() {
        let _ = storage.set_item(LANG_KEY, lang.code());
    }
}

/// Lower-case hex.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
