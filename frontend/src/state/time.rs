//! Dates and times as a clinic reads them: China Standard Time, whatever the device's zone. Pure: the
//! current time comes in as milliseconds from `services::clock`.

use zhigai_shared::doc::{Date, Timestamp};

const CST_OFFSET_MS: i64 = 8 * 3600 * 1000;

/// The civil date of `ms` in China Standard Time.
pub fn date_of(ms: i64) -> Date {
    let days = (ms + CST_OFFSET_MS).div_euclid(86_400_000);
    civil(days)
}

/// Where `today` falls in the plan's calendar, as words: one phase, or two in a boundary month.
pub fn phase_label(today: Date, lang: crate::i18n::Lang) -> String {
    zhigai_shared::calendar::phases(today.year(), today.month())
        .iter()
        .map(|p| lang.pick(p.name_zh(), p.name_en()))
        .collect::<Vec<_>>()
        .join(" / ")
}

/// `MM-DD HH:MM` of a stamp, in China Standard Time.
pub fn short_time(at: Timestamp) -> String {
    let ms = at.0 + CST_OFFSET_MS;
    let date = civil(ms.div_euclid(86_400_000));
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    format!(
        "{:02}-{:02} {:02}:{:02}",
        date.month(),
        date.day(),
        minutes / 60,
        minutes % 60
    )
}

/// The date `days` after the epoch.
fn civil(days: i64) -> Date {
    Date::from_days_since_epoch(days)
        .unwrap_or_else(|| Date::new(1970, 1, 1).expect("a valid date"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_follow_china_standard_time() {
        // 2026-11-23 16:30 UTC is already the 24th in Beijing.
        let ms = 1_795_451_400_000;
        assert_eq!(date_of(ms).to_string(), "2026-11-24");
        assert_eq!(short_time(Timestamp(ms)), "11-24 00:30");
        assert_eq!(date_of(0).to_string(), "1970-01-01");
        let d: Date = "2028-02-29".parse().unwrap();
        assert_eq!(civil(d.days_since_epoch()), d);
    }
}
