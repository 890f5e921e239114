//! The plan's calendar (section 五): its three stages — 动员部署 2026-03…04, 推进实施 2026-04…2028-10,
//! 总结巩固 2028-10…12 — and, inside 推进实施, the yearly rhythm 自查整改 (Jan–Mar), 提质推进 (Apr–Oct),
//! 年度评估 (Nov–Dec), with 2026 running the first two together. After 2028 the yearly rhythm continues as the
//! standing mechanism (长效机制) the plan asks for. Stages overlap in their boundary months (April 2026,
//! October 2028), so a month can be in two phases.

use serde::{Deserialize, Serialize};

/// A phase of the action, as a clinic or county user is told where they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Before the plan was deployed (before March 2026).
    BeforeAction,
    /// 动员部署 (2026 March–April).
    Mobilisation,
    /// 自查整改 (January–March each year).
    SelfInspection,
    /// 自查整改与提质推进并行 (2026 only, April–October).
    SelfInspectionAndPush,
    /// 提质推进 (April–October each year).
    QualityPush,
    /// 年度评估 (November–December each year).
    AnnualAssessment,
    /// 总结巩固 (2028 October–December).
    Consolidation,
}

impl Phase {
    /// The Chinese name shown to users.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::BeforeAction => "行动部署前",
            Self::Mobilisation => "动员部署",
            Self::SelfInspection => "自查整改",
            Self::SelfInspectionAndPush => "自查整改·提质推进",
            Self::QualityPush => "提质推进",
            Self::AnnualAssessment => "年度评估",
            Self::Consolidation => "总结巩固",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::BeforeAction => "Before the action",
            Self::Mobilisation => "Mobilisation",
            Self::SelfInspection => "Self-inspection and rectification",
            Self::SelfInspectionAndPush => "Self-inspection with quality push",
            Self::QualityPush => "Quality push",
            Self::AnnualAssessment => "Annual assessment",
            Self::Consolidation => "Summary and consolidation",
        }
    }
}

/// The phases `month` (1–12, clamped) of `year` falls in, the stage's first: one, or two in a boundary
/// month.
pub fn phases(year: u16, month: u8) -> Vec<Phase> {
    let month = month.clamp(1, 12);
    let ym = (year, month);
    let mut out = Vec::with_capacity(2);
    if ym < (2026, 3) {
        return vec![Phase::BeforeAction];
    }
    if ((2026, 3)..=(2026, 4)).contains(&ym) {
        out.push(Phase::Mobilisation);
    }
    if ((2028, 10)..=(2028, 12)).contains(&ym) {
        out.push(Phase::Consolidation);
    }
    // The yearly rhythm: inside 推进实施 (2026-04…2028-10) and, as the standing mechanism, from 2029 on.
    let implementation = ((2026, 4)..=(2028, 10)).contains(&ym) || year >= 2029;
    if implementation {
        out.push(match (year, month) {
            (2026, 4..=10) => Phase::SelfInspectionAndPush,
            (_, 1..=3) => Phase::SelfInspection,
            (_, 4..=10) => Phase::QualityPush,
            _ => Phase::AnnualAssessment,
        });
    }
    out
}

/// The main phase of `month` in `year`: the first of [`phases`].
pub fn phase(year: u16, month: u8) -> Phase {
    phases(year, month)
        .first()
        .copied()
        .unwrap_or(Phase::BeforeAction)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Phase::*;

    #[test]
    fn every_month_from_2026_to_2029_falls_in_the_plans_phases() {
        let expected: &[(u16, u8, &[Phase])] = &[
            (2026, 1, &[BeforeAction]),
            (2026, 2, &[BeforeAction]),
            (2026, 3, &[Mobilisation]),
            (2026, 4, &[Mobilisation, SelfInspectionAndPush]),
            (2026, 5, &[SelfInspectionAndPush]),
            (2026, 10, &[SelfInspectionAndPush]),
            (2026, 11, &[AnnualAssessment]),
            (2026, 12, &[AnnualAssessment]),
            (2027, 1, &[SelfInspection]),
            (2027, 3, &[SelfInspection]),
            (2027, 4, &[QualityPush]),
            (2027, 10, &[QualityPush]),
            (2027, 11, &[AnnualAssessment]),
            (2027, 12, &[AnnualAssessment]),
            (2028, 1, &[SelfInspection]),
            (2028, 3, &[SelfInspection]),
            (2028, 4, &[QualityPush]),
            (2028, 9, &[QualityPush]),
            (2028, 10, &[Consolidation, QualityPush]),
            (2028, 11, &[Consolidation]),
            (2028, 12, &[Consolidation]),
            (2029, 1, &[SelfInspection]),
        ];
        for (year, month, phases_expected) in expected {
            assert_eq!(
                phases(*year, *month),
                phases_expected.to_vec(),
                "{year}-{month:02}"
            );
        }
        // And every month in between, by the rule of its neighbours: no month without a phase, at most two.
        for year in 2026..=2029u16 {
            for month in 1..=12u8 {
                let p = phases(year, month);
                assert!((1..=2).contains(&p.len()), "{year}-{month:02}: {p:?}");
                assert_eq!(phase(year, month), p[0]);
            }
        }
        assert_eq!(phase(2026, 0), BeforeAction, "months are clamped");
        assert_eq!(phase(2030, 13), AnnualAssessment);
    }
}
