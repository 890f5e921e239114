//! The server's clock: now in milliseconds, and today by the clinics' calendar (China Standard Time).
//! `ZHIGAI_TODAY=YYYY-MM-DD` in the environment sets "today" for the whole process (tests and rehearsals of
//! a year boundary, as the browser tests do with a server process of their own).

use std::sync::OnceLock;
use zhigai_shared::Date;

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(i64::MAX)
}

/// `ZHIGAI_TODAY`, read once.
fn from_env() -> Option<Date> {
    static ENV: OnceLock<Option<Date>> = OnceLock::new();
    *ENV.get_or_init(|| {
        let text = std::env::var("ZHIGAI_TODAY").ok()?;
        match text.trim().parse() {
            Ok(date) => Some(date),
            Err(e) => {
                tracing::warn!("ignoring ZHIGAI_TODAY={text:?}: {e}");
                None
            }
        }
    })
}

/// Today in China Standard Time (UTC+8): deadlines fall due by the clinic's calendar.
pub fn today_cst() -> Date {
    if let Some(date) = from_env() {
        return date;
    }
    let now = time::OffsetDateTime::now_utc() + time::Duration::hours(8);
    Date::new(now.year() as u16, now.month() as u8, now.day())
        .unwrap_or_else(|_| Date::new(2026, 1, 1).expect("a valid date"))
}

/// The years the action's documents exist for: 2026 to 2028, and each later year of routine work.
pub fn action_years() -> std::ops::RangeInclusive<u16> {
    2026..=today_cst().year().max(2028)
}

/// The years whose document ids the directory records (`document_ids`): the action's years and the next,
/// so a server running across New Year already knows the new year's documents.
pub fn document_years() -> Vec<u16> {
    (2026..=action_years().end() + 1).collect()
}
