//! The checklist template: the plan's nine work tasks as areas, each split into check items with Chinese
//! and English text, evidence guidance, the plan's own words, an applicability rule and a response kind.
//! Templates are versioned data, not code: the national baseline is a TOML file embedded at compile time,
//! and every version once published stays in the build as published (`data/published/`), so an inspection
//! pinned to it reads the checklist it started on.

use crate::facility::{FacilityProfile, FacilityType, Service};
use crate::ids::{AreaId, ItemId, TemplateId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::OnceLock;
use thiserror::Error;

/// The national baseline's data file: its newest version, the one people edit.
#[cfg(test)]
const NATIONAL_2026: &str = include_str!("../../data/national-2026.toml");
/// The same file as JSON, converted by `build.rs`: what `national()` reads, so the wasm app needs no TOML
/// parser.
const NATIONAL_2026_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/national-2026.json"));
/// Version 1 of the national baseline as it was published (the TOML file's JSON form on 2026-11-23), kept
/// unchanged for the inspections pinned to it.
const NATIONAL_2026_V1_JSON: &str = include_str!("../../data/published/national-2026.v1.json");

/// The versions published below the nation that this process has read.
static PUBLISHED: std::sync::RwLock<Vec<&'static Template>> = std::sync::RwLock::new(Vec::new());

/// A template file that cannot be used.
#[derive(Debug, Error)]
pub enum TemplateError {
    /// Not valid TOML of the template's shape.
    #[error("template file is malformed: {0}")]
    Format(#[from] toml::de::Error),
    /// Not valid JSON of the template's shape.
    #[error("template JSON is malformed: {0}")]
    Json(#[from] serde_json::Error),
    /// Valid TOML, but a rule of templates is broken.
    #[error("template is invalid: {0}")]
    Invalid(String),
}

/// Which facilities an area or item applies to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Applicability {
    /// Facility types it applies to; empty means all five.
    #[serde(default)]
    pub types: Vec<FacilityType>,
    /// Services of which the facility must offer at least one; empty means no service is needed.
    #[serde(default)]
    pub services: Vec<Service>,
    /// Services the facility must offer, every one of them (blood-use items need transfusion).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Service>,
    /// Only facilities that belong to a medical alliance (医共体 or 区社一体).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub alliance: bool,
}

impl Applicability {
    /// Whether a facility with `profile` falls under this rule.
    pub fn matches(&self, profile: &FacilityProfile) -> bool {
        (self.types.is_empty() || self.types.contains(&profile.facility_type))
            && (self.services.is_empty() || self.services.iter().any(|s| profile.offers(*s)))
            && self.requires.iter().all(|s| profile.offers(*s))
            && (!self.alliance || profile.alliance)
    }

    fn is_within(&self, outer: &Applicability) -> bool {
        (outer.types.is_empty()
            || (!self.types.is_empty() && self.types.iter().all(|t| outer.types.contains(t))))
            && (outer.services.is_empty()
                || (!self.services.is_empty()
                    && self.services.iter().all(|s| outer.services.contains(s))))
            && (!outer.alliance || self.alliance)
    }
}

/// A figure an item asks for beside its status: a quality indicator a QC centre can use. A rate (`%`) is
/// entered as its numerator and denominator and the app computes it; a count (`次`, `例`) is entered as it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// What is measured, in Chinese.
    pub zh: String,
    /// What is measured, in English.
    pub en: String,
    /// Its unit (`%`, `次`, …).
    pub unit: String,
    /// A rate's numerator: what is counted above the line (合格处方数).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub numerator: Option<Term>,
    /// A rate's denominator: what it is counted among (抽查处方数).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denominator: Option<Term>,
    /// The period the figure covers.
    #[serde(default)]
    pub period: Period,
    /// Whether a higher or a lower figure is better.
    #[serde(default)]
    pub direction: Direction,
    /// The goal the version sets, if any (a QC centre's 改进目标), in the metric's unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

/// What a rate's numerator or denominator counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Term {
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
}

/// The period an indicator covers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// The inspection's year (本年度).
    #[default]
    Year,
    /// The latest quarter (最近一个季度).
    Quarter,
    /// The latest month (最近一个月).
    Month,
}

impl Period {
    /// Its Chinese name.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Year => "本年度",
            Self::Quarter => "最近一个季度",
            Self::Month => "最近一个月",
        }
    }

    /// Its English name.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Year => "this year",
            Self::Quarter => "latest quarter",
            Self::Month => "latest month",
        }
    }
}

/// Which way an indicator improves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Higher is better (合格率).
    #[default]
    Higher,
    /// Lower is better (门诊输液率, 抗菌药物处方比例).
    Lower,
}

impl Metric {
    /// Whether the figure is a rate entered as numerator and denominator.
    pub fn is_rate(&self) -> bool {
        self.numerator.is_some() && self.denominator.is_some()
    }

    /// Whether `value` misses the target: `None` without a target.
    pub fn misses_target(&self, value: f64) -> Option<bool> {
        let target = self.target?;
        Some(match self.direction {
            Direction::Higher => value < target,
            Direction::Lower => value > target,
        })
    }

    /// The rate `numerator / denominator` in per cent, rounded to one decimal; `None` when it cannot be
    /// computed (no denominator, or a numerator above it, which concurrent edits can leave behind).
    pub fn rate(numerator: f64, denominator: f64) -> Option<f64> {
        (denominator > 0.0 && numerator >= 0.0 && numerator <= denominator)
            .then(|| (numerator / denominator * 1000.0).round() / 10.0)
    }

    fn check(&self, item: &ItemId) -> Result<(), TemplateError> {
        let invalid = |why: &str| {
            Err(TemplateError::Invalid(format!(
                "item {item}'s figure {why}"
            )))
        };
        match (&self.numerator, &self.denominator) {
            (Some(_), None) | (None, Some(_)) => {
                return invalid("needs both a numerator and a denominator, or neither");
            }
            (None, None) if self.unit == "%" => {
                return invalid("is a rate (%): say what its numerator and denominator count");
            }
            (Some(_), Some(_)) if self.unit != "%" => {
                return invalid("has a numerator and denominator, so its unit is %");
            }
            _ => {}
        }
        if let Some(target) = self.target {
            let within =
                target.is_finite() && target >= 0.0 && (self.unit != "%" || target <= 100.0);
            if !within {
                return invalid("has a target outside what the figure can be");
            }
        }
        Ok(())
    }
}

/// What each answer looks like for one item, so two inspectors judge alike: the evidence and the threshold
/// for 符合, 部分符合 and 不符合.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    /// What 符合 looks like.
    pub compliant: String,
    /// What 部分符合 looks like.
    pub partial: String,
    /// What 不符合 looks like.
    pub non_compliant: String,
}

impl Judgement {
    /// The three descriptions with the status each describes, in the order the buttons show them.
    pub fn by_status(&self) -> [(crate::doc::Status, &str); 3] {
        use crate::doc::Status;
        [
            (Status::Compliant, self.compliant.as_str()),
            (Status::Partial, self.partial.as_str()),
            (Status::NonCompliant, self.non_compliant.as_str()),
        ]
    }
}

/// How an item is answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResponseKind {
    /// A compliance status (符合 / 部分符合 / 不符合 / 不适用).
    Status,
    /// A compliance status and a figure.
    StatusWithNumber {
        /// The figure asked for.
        metric: Metric,
    },
}

/// One check item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Stable id, such as `T5.04`.
    pub id: ItemId,
    /// The requirement, in Chinese.
    pub text_zh: String,
    /// The requirement, in English.
    pub text_en: String,
    /// What evidence to look at.
    pub guidance_zh: String,
    /// Extra guidance for facilities that offer TCM services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_tcm_zh: Option<String>,
    /// The words of the plan the item comes from, character for character.
    pub source: String,
    /// What 符合, 部分符合 and 不符合 look like (every item of a version authored since version 2 has them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<Judgement>,
    /// Which facilities it applies to (the area's rule already folded in).
    #[serde(default)]
    pub applies_to: Applicability,
    /// The figure asked for, if any.
    #[serde(default, skip_serializing)]
    pub metric: Option<Metric>,
    /// How the item is answered (derived from `metric` on load).
    #[serde(default = "status_response")]
    pub response: ResponseKind,
    /// Whether the plan gives the item to the medical alliance's lead hospital, so a problem under it may be
    /// owned by lead-hospital staff (T1.01 the quality working group, T5.06 alliance pharmacists' prescription
    /// review, T6.05 result sharing, T9.04 joint ward rounds).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lead_hospital: bool,
}

fn status_response() -> ResponseKind {
    ResponseKind::Status
}

/// One work task of the plan.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Area {
    /// Stable id, such as `T5`.
    pub id: AreaId,
    /// The plan's numbering, such as `（五）`.
    pub number_zh: String,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// Which facilities the whole area applies to.
    #[serde(default)]
    pub applies_to: Applicability,
    /// Its items, in order.
    pub items: Vec<Item>,
}

/// A versioned checklist template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    /// Stable id, such as `national-2026`.
    pub id: TemplateId,
    /// Version; an inspection pins the version it started on.
    pub version: u32,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The document it derives from.
    pub source_document: String,
    /// The version it refines; `None` for a national baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<TemplateRef>,
    /// The province, city or county that published it; `None` for a national baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<crate::access::Scope>,
    /// The areas, in the plan's order.
    pub areas: Vec<Area>,
}

impl Template {
    /// The national baseline `national-2026` in its newest version. Production code looks templates up
    /// through the [registry](Self::find) or an inspection's pin ([`crate::Inspection::checklist`]); this one
    /// is for tests and tools that want that baseline by name.
    ///
    /// # Panics
    /// Never in a tested build: the embedded file is parsed and validated by the crate's tests.
    pub fn national() -> &'static Template {
        static NATIONAL: OnceLock<Template> = OnceLock::new();
        NATIONAL.get_or_init(|| {
            Template::from_json(NATIONAL_2026_JSON)
                .expect("the embedded national template is valid (tested)")
        })
    }

    /// Every checklist this build knows, oldest first: the registry a second checklist version is added to.
    pub fn registry() -> &'static [&'static Template] {
        static REGISTRY: OnceLock<Vec<&'static Template>> = OnceLock::new();
        static V1: OnceLock<Template> = OnceLock::new();
        REGISTRY.get_or_init(|| {
            let v1 = V1.get_or_init(|| {
                Template::from_json(NATIONAL_2026_V1_JSON)
                    .expect("the published national template is valid (tested)")
            });
            vec![v1, Template::national()]
        })
    }

    /// The template with `id` and `version`, among those this build knows and those
    /// [registered](Self::register) since it started.
    pub fn find(id: &str, version: u32) -> Option<&'static Template> {
        let is = |t: &&'static Template| t.id.as_str() == id && t.version == version;
        Self::registry().iter().copied().find(is).or_else(|| {
            PUBLISHED
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .copied()
                .find(is)
        })
    }

    /// Makes a version published below the nation known to this process (the server reads it from its
    /// database, the app from the server at login), so inspections pinned to it find their checklist.
    /// A version is never changed once published: registering one already known returns the first. Each
    /// distinct version is kept for the life of the process.
    pub fn register(template: Template) -> &'static Template {
        if let Some(known) = Self::find(template.id.as_str(), template.version) {
            return known;
        }
        let mut published = PUBLISHED
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(known) = published
            .iter()
            .find(|t| t.id == template.id && t.version == template.version)
        {
            return known;
        }
        let kept: &'static Template = Box::leak(Box::new(template));
        published.push(kept);
        kept
    }

    /// The template a new inspection starts on: the newest in the [registry](Self::registry). An
    /// inspection keeps the template it started on (its pin) when a newer one is registered.
    pub fn current() -> &'static Template {
        Self::registry()
            .last()
            .copied()
            .unwrap_or_else(Template::national)
    }

    /// Parses and validates a template file.
    ///
    /// # Errors
    /// [`TemplateError::Format`] for malformed TOML; [`TemplateError::Invalid`] for duplicate or badly
    /// formed ids, empty texts, an item whose rule reaches beyond its area's, or an item that does not say
    /// what each judgement looks like (a file people author must).
    pub fn from_toml(text: &str) -> Result<Template, TemplateError> {
        let mut template: Template = toml::from_str(text)?;
        template.normalise()?;
        template.check_judgeable()?;
        template.check_indicators()?;
        Ok(template)
    }

    /// Whether every figure is a usable indicator: a rate names its numerator and denominator, a count names
    /// neither, a target lies within what the figure can be.
    ///
    /// # Errors
    /// [`TemplateError::Invalid`] naming the first item whose figure is not.
    pub fn check_indicators(&self) -> Result<(), TemplateError> {
        for item in self.items() {
            if let Some(metric) = &item.metric {
                metric.check(&item.id)?;
            }
        }
        Ok(())
    }

    /// Whether every item says what 符合, 部分符合 and 不符合 look like, three different non-empty texts.
    ///
    /// # Errors
    /// [`TemplateError::Invalid`] naming the first item that does not.
    pub fn check_judgeable(&self) -> Result<(), TemplateError> {
        for item in self.items() {
            let Some(judge) = &item.judge else {
                return Err(TemplateError::Invalid(format!(
                    "item {} does not say what 符合, 部分符合 and 不符合 look like ([areas.items.judge])",
                    item.id
                )));
            };
            let [a, b, c] = judge.by_status().map(|(_, text)| text.trim());
            if a.is_empty() || b.is_empty() || c.is_empty() || a == b || b == c || a == c {
                return Err(TemplateError::Invalid(format!(
                    "item {} needs three different, non-empty judgements",
                    item.id
                )));
            }
        }
        Ok(())
    }

    /// Parses and validates a template in its JSON form (the TOML file converted at build time).
    ///
    /// # Errors
    /// [`TemplateError::Json`] for malformed JSON; [`TemplateError::Invalid`] as for [`Self::from_toml`].
    pub fn from_json(text: &str) -> Result<Template, TemplateError> {
        let mut template: Template = serde_json::from_str(text)?;
        template.normalise()?;
        Ok(template)
    }

    fn normalise(&mut self) -> Result<(), TemplateError> {
        let invalid = |msg: String| Err(TemplateError::Invalid(msg));
        if self.areas.is_empty() {
            return invalid("a template needs at least one area".to_owned());
        }
        let mut seen = HashSet::new();
        for area in &mut self.areas {
            if !seen.insert(area.id.to_string()) {
                return invalid(format!("area id {} appears twice", area.id));
            }
            if area.items.is_empty() {
                return invalid(format!("area {} has no items", area.id));
            }
            for item in &mut area.items {
                let prefix = format!("{}.", area.id);
                if !item.id.as_str().starts_with(&prefix) || item.id.as_str().len() <= prefix.len()
                {
                    return invalid(format!(
                        "item {} must be numbered under area {}",
                        item.id, area.id
                    ));
                }
                if !seen.insert(item.id.to_string()) {
                    return invalid(format!("item id {} appears twice", item.id));
                }
                for (name, text) in [
                    ("text_zh", &item.text_zh),
                    ("text_en", &item.text_en),
                    ("guidance_zh", &item.guidance_zh),
                    ("source", &item.source),
                ] {
                    if text.trim().is_empty() {
                        return invalid(format!("item {} has an empty {name}", item.id));
                    }
                }
                let own = std::mem::take(&mut item.applies_to);
                let mut effective = area.applies_to.clone();
                if !own.types.is_empty() {
                    effective.types = own.types.clone();
                }
                if !own.services.is_empty() {
                    effective.services = own.services.clone();
                }
                for service in &own.requires {
                    if !effective.requires.contains(service) {
                        effective.requires.push(*service);
                    }
                }
                effective.alliance |= own.alliance;
                if !effective.is_within(&area.applies_to) {
                    return invalid(format!(
                        "item {}'s applicability reaches beyond area {}'s",
                        item.id, area.id
                    ));
                }
                item.applies_to = effective;
                // A template's JSON form (`to_json`, a published version's stored body) carries the figure
                // in `response`; the file people edit carries it as `metric`.
                if let (None, ResponseKind::StatusWithNumber { metric }) =
                    (&item.metric, &item.response)
                {
                    item.metric = Some(metric.clone());
                }
                item.response = match &item.metric {
                    Some(metric) => ResponseKind::StatusWithNumber {
                        metric: metric.clone(),
                    },
                    None => ResponseKind::Status,
                };
            }
        }
        Ok(())
    }

    /// Every item, area by area.
    pub fn items(&self) -> impl Iterator<Item = &Item> {
        self.areas.iter().flat_map(|a| a.items.iter())
    }

    /// The item with `id`.
    pub fn item(&self, id: &ItemId) -> Option<&Item> {
        self.items().find(|i| &i.id == id)
    }

    /// The area holding item `id`.
    pub fn area_of(&self, id: &ItemId) -> Option<&Area> {
        self.areas
            .iter()
            .find(|a| a.items.iter().any(|i| &i.id == id))
    }

    /// The items that apply to a facility with `profile`, in order.
    pub fn applicable_items(&self, profile: &FacilityProfile) -> Vec<&Item> {
        self.items()
            .filter(|i| i.applies_to.matches(profile))
            .collect()
    }

    /// The guidance to show a facility: TCM guidance is added where TCM services are offered.
    pub fn guidance_for(item: &Item, profile: &FacilityProfile) -> String {
        match &item.guidance_tcm_zh {
            Some(tcm) if profile.offers(Service::Tcm) => format!("{}{}", item.guidance_zh, tcm),
            _ => item.guidance_zh.clone(),
        }
    }

    /// The template as JSON, the shape `zhigai-server template export` prints.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

mod derive;
pub use derive::{Derivation, Difference, Refinement, TemplateRef};

#[cfg(test)]
mod tests;
