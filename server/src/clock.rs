//! The server's clock: now in milliseconds, and today by the clinics' calendar (China Standard Time).

/// Milliseconds since the epoch.
pub fn now_ms() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis()),
    )
    .unwrap_or(i64::MAX)
}

/// Today in China Standard Time (UTC+8): deadlines fall due by the clinic's calendar.
pub fn today_cst() -> zhigai_shared::Date {
    let now = time::OffsetDateTime::now_utc() + time::Duration::hours(8);
    zhigai_shared::Date::new(now.year() as u16, now.month() as u8, now.day())
        .unwrap_or_else(|_| zhigai_shared::Date::new(2026, 1, 1).expect("a valid date"))
}
