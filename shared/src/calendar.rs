//! The plan's yearly rhythm: which phase a date falls in (section 五 of the plan).

use serde::{Deserialize, Serialize};

/// A phase of the year's work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// 动员部署 (2026 March–April, before the first self-inspection).
    Mobilisation,
    /// 自查整改 (January–March).
    SelfInspection,
    /// 自查整改与提质推进并行 (2026 only, April–October).
    SelfInspectionAndPush,
    /// 提质推进 (April–October).
    QualityPush,
    /// 年度评估 (November–December).
    AnnualAssessment,
}

impl Phase {
    /// The Chinese name shown to users.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Mobilisation => "动员部署",
            Self::SelfInspection => "自查整改",
            Self::SelfInspectionAndPush => "自查整改·提质推进",
            Self::QualityPush => "提质推进",
            Self::AnnualAssessment => "年度评估",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::Mobilisation => "Mobilisation",
            Self::SelfInspection => "Self-inspection and rectification",
            Self::SelfInspectionAndPush => "Self-inspection with quality push",
            Self::QualityPush => "Quality push",
            Self::AnnualAssessment => "Annual assessment",
        }
    }
}

/// The phase of `month` (1–12) in `year`. Months outside 1–12 are clamped.
pub fn phase(year: u16, month: u8) -> Phase {
    let month = month.clamp(1, 12);
    match (year, month) {
        (..=2026, 1..=3) => Phase::Mobilisation,
        (..=2026, 4..=10) => Phase::SelfInspectionAndPush,
        (_, 1..=3) => Phase::SelfInspection,
        (_, 4..=10) => Phase::QualityPush,
        _ => Phase::AnnualAssessment,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_follow_the_plan_and_run_together_in_2026() {
        assert_eq!(phase(2026, 5), Phase::SelfInspectionAndPush);
        assert_eq!(phase(2026, 11), Phase::AnnualAssessment);
        assert_eq!(phase(2027, 2), Phase::SelfInspection);
        assert_eq!(phase(2027, 4), Phase::QualityPush);
        assert_eq!(phase(2028, 12), Phase::AnnualAssessment);
        assert_eq!(phase(2026, 3), Phase::Mobilisation);
    }
}
