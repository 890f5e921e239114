//! The values a person chooses in the documents: statuses, dates, owners. Each has a stable code stored in
//! the document and Chinese and English labels for the screen.

use crate::ids::UserId;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// A text that is not one of a value's codes.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("'{value}' is not a valid {what}")]
pub struct BadValue {
    what: &'static str,
    value: String,
}

macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code stored in documents and sent over the API.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            /// The Chinese label.
            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }

            /// The English label.
            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en,)+ }
            }
        }

        impl FromStr for $name {
            type Err = BadValue;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($code | $zh => Ok($name::$variant),)+
                    _ => Err(BadValue { what: $what, value: s.to_owned() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label_zh())
            }
        }
    };
}

coded_enum!(
    /// An item's compliance status.
    Status, "item status", {
        /// 符合
        Compliant = "compliant", "符合", "Compliant";
        /// 部分符合
        Partial = "partial", "部分符合", "Partly compliant";
        /// 不符合
        NonCompliant = "non_compliant", "不符合", "Non-compliant";
        /// 不适用
        NotApplicable = "not_applicable", "不适用", "Not applicable";
    }
);

coded_enum!(
    /// Where a problem stands in its rectification.
    ProblemStatus, "problem status", {
        /// 待整改
        Open = "open", "待整改", "To rectify";
        /// 整改中
        InProgress = "in_progress", "整改中", "Rectifying";
        /// 已整改
        Rectified = "rectified", "已整改", "Rectified";
    }
);

impl ProblemStatus {
    /// Whether the problem still counts against its deadline (not yet rectified).
    pub fn is_open(self) -> bool {
        self != ProblemStatus::Rectified
    }
}

/// The one rule of "overdue": a problem not yet rectified whose deadline has passed on `today`; the days
/// past it. Every overdue count, list, badge and export goes through this function (SQL that must filter
/// by it says so and names it).
pub fn days_overdue(status: ProblemStatus, deadline: Option<Date>, today: Date) -> Option<i64> {
    let days = today.days_since_epoch() - deadline?.days_since_epoch();
    (status.is_open() && days > 0).then_some(days)
}

coded_enum!(
    /// Whether the facility has submitted its self-inspection.
    Submission, "submission state", {
        /// 填报中
        Draft = "draft", "填报中", "Draft";
        /// 已提交
        Submitted = "submitted", "已提交", "Submitted";
    }
);

coded_enum!(
    /// The county's review of one facility-year.
    ReviewState, "review state", {
        /// 未提交
        NotSubmitted = "not_submitted", "未提交", "Not submitted";
        /// 已提交
        Submitted = "submitted", "已提交", "Submitted";
        /// 退回修改
        Returned = "returned", "退回修改", "Returned for changes";
        /// 初审通过，待县级审核 (two-step review: the medical community passed it on)
        PassedOn = "passed_on", "初审通过", "Passed first review";
        /// 已通过
        Approved = "approved", "已通过", "Approved";
    }
);

coded_enum!(
    /// A reviewer's verdict on a problem the facility says is rectified.
    Verdict, "verification verdict", {
        /// 已核实
        Verified = "verified", "已核实", "Verified";
        /// 未通过
        Failed = "failed", "未通过", "Not accepted";
    }
);

/// A calendar date (a deadline), stored as `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

impl Date {
    /// A date, if it exists in the Gregorian calendar.
    ///
    /// # Errors
    /// [`BadValue`] for a month outside 1–12 or a day the month does not have.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, BadValue> {
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year.is_multiple_of(4) && !year.is_multiple_of(100))
                || year.is_multiple_of(400) =>
            {
                29
            }
            2 => 28,
            _ => 0,
        };
        if (1..=days).contains(&day) {
            Ok(Self { year, month, day })
        } else {
            Err(BadValue {
                what: "date",
                value: format!("{year:04}-{month:02}-{day:02}"),
            })
        }
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Days from 1970-01-01 (negative before), for day counts such as "days overdue".
    pub fn days_since_epoch(self) -> i64 {
        // Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's civil_from_days); `None` outside years 1–65535.
    pub fn from_days_since_epoch(days: i64) -> Option<Date> {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = u8::try_from(doy - (153 * mp + 2) / 5 + 1).ok()?;
        let month = u8::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).ok()?;
        let year = u16::try_from(yoe + era * 400 + i64::from(month <= 2)).ok()?;
        Date::new(year, month, day).ok()
    }
}

impl FromStr for Date {
    type Err = BadValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadValue {
            what: "date (YYYY-MM-DD)",
            value: s.to_owned(),
        };
        let mut parts = s.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        let day = d.parse().map_err(|_| bad())?;
        Date::new(year, month, day).map_err(|_| bad())
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl TryFrom<String> for Date {
    type Error = BadValue;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Date> for String {
    fn from(d: Date) -> Self {
        d.to_string()
    }
}

/// The staff member responsible for rectifying a problem.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Owner {
    /// Their account.
    pub user: UserId,
    /// Their name, kept so the list reads well offline.
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_chinese_labels_parse_back() {
        for s in Status::ALL {
            assert_eq!(s.code().parse::<Status>(), Ok(*s));
            assert_eq!(s.label_zh().parse::<Status>(), Ok(*s));
        }
        assert!("maybe".parse::<Status>().is_err());
    }

    #[test]
    fn overdue_means_open_and_past_the_deadline_by_the_day() {
        let d = |t: &str| t.parse::<Date>().unwrap();
        let today = d("2026-11-23");
        let due = Some(d("2026-11-20"));
        assert_eq!(days_overdue(ProblemStatus::Open, due, today), Some(3));
        assert_eq!(days_overdue(ProblemStatus::InProgress, due, today), Some(3));
        assert_eq!(days_overdue(ProblemStatus::Rectified, due, today), None);
        assert_eq!(
            days_overdue(ProblemStatus::Open, Some(today), today),
            None,
            "due today is not late"
        );
        assert_eq!(days_overdue(ProblemStatus::Open, None, today), None);
    }

    #[test]
    fn dates_parse_validate_and_count_days() {
        let d: Date = "2026-02-28".parse().unwrap();
        assert_eq!(d.to_string(), "2026-02-28");
        assert!("2026-02-29".parse::<Date>().is_err());
        for text in [
            "1970-01-01",
            "2026-02-28",
            "2028-02-29",
            "2028-12-31",
            "2000-03-01",
        ] {
            let date: Date = text.parse().unwrap();
            assert_eq!(
                Date::from_days_since_epoch(date.days_since_epoch()),
                Some(date)
            );
        }
        assert!("2028-02-29".parse::<Date>().is_ok());
        assert!("2026-13-01".parse::<Date>().is_err());
        assert!("26-1-1".parse::<Date>().is_err());
        assert_eq!(Date::new(1970, 1, 1).unwrap().days_since_epoch(), 0);
        let a = Date::new(2026, 12, 31).unwrap().days_since_epoch();
        let b = Date::new(2027, 1, 1).unwrap().days_since_epoch();
        assert_eq!(b - a, 1);
    }
}
