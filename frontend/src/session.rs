//! What the device keeps between visits in localStorage: the session from the one online login (token,
//! user, facilities, staff), the device's Automerge actor id and the chosen language. The documents
//! themselves live in IndexedDB (see `store`).

use crate::i18n::Lang;
use serde::{Deserialize, Serialize};
use zhigai_shared::api::{Community, FacilityEntry, User};

const SESSION_KEY: &str = "zhigai.session";
const DEVICE_KEY: &str = "zhigai.device";
const LANG_KEY: &str = "zhigai.lang";

/// The session kept on the device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SavedSession {
    /// The bearer token.
    pub token: String,
    /// Who is logged in.
    pub user: User,
    /// Their facilities (one for facility staff, the county's for reviewers).
    pub facilities: Vec<FacilityEntry>,
    /// The medical communities of the county.
    pub communities: Vec<Community>,
    /// Staff per facility id, for choosing a problem's owner offline.
    pub staff: Vec<(String, Vec<User>)>,
}

impl SavedSession {
    /// The facility entry for `id`, if the user's list has it.
    pub fn facility(&self, id: &str) -> Option<&FacilityEntry> {
        self.facilities
            .iter()
            .find(|f| f.facility.id.as_str() == id)
    }

    /// The staff of facility `id` as last fetched.
    pub fn staff_of(&self, id: &str) -> &[User] {
        self.staff
            .iter()
            .find(|(f, _)| f == id)
            .map_or(&[], |(_, users)| users.as_slice())
    }

    /// The facility the user works at, or the first one they may see.
    pub fn home_facility(&self) -> Option<String> {
        self.user
            .facility_id
            .as_ref()
            .map(ToString::to_string)
            .or_else(|| self.facilities.first().map(|f| f.facility.id.to_string()))
    }
}

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
