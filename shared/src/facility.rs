//! Facilities as the plan sees them: the five types, the services that decide which items apply, and the
//! coverage wave (section 一 of the plan) a facility belongs to.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// The five kinds of primary-care facility named by the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityType {
    /// 中心乡镇卫生院（含县域次中心）
    CentralTownship,
    /// 乡镇卫生院
    Township,
    /// 社区卫生服务中心
    CommunityCentre,
    /// 村卫生室
    VillageClinic,
    /// 社区卫生服务站
    CommunityStation,
}

impl FacilityType {
    /// Every type, in the plan's order.
    pub const ALL: [FacilityType; 5] = [
        Self::CentralTownship,
        Self::Township,
        Self::CommunityCentre,
        Self::VillageClinic,
        Self::CommunityStation,
    ];

    /// The code used in data files, the API and the command line.
    pub fn code(self) -> &'static str {
        match self {
            Self::CentralTownship => "central_township",
            Self::Township => "township",
            Self::CommunityCentre => "community_centre",
            Self::VillageClinic => "village_clinic",
            Self::CommunityStation => "community_station",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::CentralTownship => "中心乡镇卫生院（含县域次中心）",
            Self::Township => "乡镇卫生院",
            Self::CommunityCentre => "社区卫生服务中心",
            Self::VillageClinic => "村卫生室",
            Self::CommunityStation => "社区卫生服务站",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Self::CentralTownship => "Central township health centre (incl. county sub-centre)",
            Self::Township => "Township health centre",
            Self::CommunityCentre => "Community health service centre",
            Self::VillageClinic => "Village clinic",
            Self::CommunityStation => "Community health service station",
        }
    }
}

/// A facility type or service code that is not one of ours.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    /// Not a facility type code.
    #[error(
        "unknown facility type '{0}': use central_township, township, community_centre, village_clinic or community_station"
    )]
    FacilityType(String),
    /// Not a service code.
    #[error(
        "unknown service '{0}': use inpatient, surgery, emergency, lab, imaging, tcm, family_doctor or transfusion"
    )]
    Service(String),
}

impl FromStr for FacilityType {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|t| t.code() == s || t.name_zh() == s)
            .ok_or_else(|| ParseError::FacilityType(s.to_owned()))
    }
}

impl fmt::Display for FacilityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A service a facility offers; several check items apply only where the service exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// 住院
    Inpatient,
    /// 手术
    Surgery,
    /// 急诊或胸痛、卒中、创伤救治单元
    Emergency,
    /// 检验科
    Lab,
    /// 影像与心电检查（X线、超声、心电图）: the plan's 检查 beside 检验
    Imaging,
    /// 中医药服务
    Tcm,
    /// 家庭医生签约服务
    FamilyDoctor,
    /// 临床用血
    Transfusion,
}

impl Service {
    /// Every service.
    pub const ALL: [Service; 8] = [
        Self::Inpatient,
        Self::Surgery,
        Self::Emergency,
        Self::Lab,
        Self::Imaging,
        Self::Tcm,
        Self::FamilyDoctor,
        Self::Transfusion,
    ];

    /// The code used in data files, the API and the command line.
    pub fn code(self) -> &'static str {
        match self {
            Self::Inpatient => "inpatient",
            Self::Surgery => "surgery",
            Self::Emergency => "emergency",
            Self::Lab => "lab",
            Self::Imaging => "imaging",
            Self::Tcm => "tcm",
            Self::FamilyDoctor => "family_doctor",
            Self::Transfusion => "transfusion",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Inpatient => "住院",
            Self::Surgery => "手术",
            Self::Emergency => "急诊急救（胸痛/卒中/创伤救治单元）",
            Self::Lab => "检验",
            Self::Imaging => "检查（X线、超声、心电图）",
            Self::Tcm => "中医药",
            Self::FamilyDoctor => "家庭医生签约",
            Self::Transfusion => "临床用血",
        }
    }
}

impl FromStr for Service {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|x| x.code() == s)
            .ok_or_else(|| ParseError::Service(s.to_owned()))
    }
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What the template needs to know of a facility to decide which items apply.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FacilityProfile {
    /// The facility's type.
    pub facility_type: FacilityType,
    /// Beds actually open (实际开放床位).
    pub open_beds: u32,
    /// Services offered.
    pub services: Vec<Service>,
    /// Whether it belongs to a medical alliance (a 紧密型县域医共体 or a 区社一体 community).
    #[serde(default)]
    pub alliance: bool,
}

impl FacilityProfile {
    /// Whether the facility offers `service`.
    pub fn offers(&self, service: Service) -> bool {
        self.services.contains(&service)
    }

    /// The coverage wave this facility belongs to.
    pub fn wave(&self) -> Wave {
        wave(self.facility_type, self.open_beds)
    }
}

/// The plan's coverage waves: by the end of this year the facility must have a sound quality-management
/// system in routine use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Wave {
    /// 到2026年底: central township health centres, community health service centres with 30+ open beds.
    W2026,
    /// 到2027年底: other township health centres and community health service centres.
    W2027,
    /// 到2028年底: village clinics and community health service stations.
    W2028,
}

impl Wave {
    /// The year by whose end the wave must be covered.
    pub fn deadline_year(self) -> u16 {
        match self {
            Self::W2026 => 2026,
            Self::W2027 => 2027,
            Self::W2028 => 2028,
        }
    }
}

/// Beds a community health service centre must actually open to fall in the 2026 wave
/// ("实际开放30张以上床位"; in Chinese regulatory usage 以上 includes the number itself).
pub const WAVE_2026_COMMUNITY_BEDS: u32 = 30;

/// The coverage wave of a facility of `facility_type` with `open_beds` beds actually open (section 一).
pub fn wave(facility_type: FacilityType, open_beds: u32) -> Wave {
    match facility_type {
        FacilityType::CentralTownship => Wave::W2026,
        FacilityType::CommunityCentre if open_beds >= WAVE_2026_COMMUNITY_BEDS => Wave::W2026,
        FacilityType::CommunityCentre | FacilityType::Township => Wave::W2027,
        FacilityType::VillageClinic | FacilityType::CommunityStation => Wave::W2028,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_follow_section_one_of_the_plan() {
        assert_eq!(wave(FacilityType::CentralTownship, 0), Wave::W2026);
        assert_eq!(wave(FacilityType::CommunityCentre, 30), Wave::W2026);
        assert_eq!(wave(FacilityType::CommunityCentre, 29), Wave::W2027);
        assert_eq!(wave(FacilityType::Township, 80), Wave::W2027);
        assert_eq!(wave(FacilityType::VillageClinic, 0), Wave::W2028);
        assert_eq!(wave(FacilityType::CommunityStation, 5), Wave::W2028);
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for t in FacilityType::ALL {
            assert_eq!(t.code().parse::<FacilityType>(), Ok(t));
            assert_eq!(t.name_zh().parse::<FacilityType>(), Ok(t));
        }
        for s in Service::ALL {
            assert_eq!(s.code().parse::<Service>(), Ok(s));
        }
        assert!(matches!(
            "hospital".parse::<FacilityType>(),
            Err(ParseError::FacilityType(_))
        ));
        assert!(matches!(
            "xray".parse::<Service>(),
            Err(ParseError::Service(_))
        ));
    }
}
