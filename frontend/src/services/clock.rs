//! The device's clock.

use crate::state::time::date_of;
use zhigai_shared::doc::Date;

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

/// Today in China Standard Time.
pub fn today() -> Date {
    date_of(now_ms())
}
