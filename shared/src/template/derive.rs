//! Checklists refined below the nation (the notice asks provinces to "结合实际细化和丰富各项内容"): a
//! province, city or county publishes a version derived from its parent's — items added, items retired,
//! texts, guidance and judgements refined, targets set for indicators — keeping the parent's item ids, so
//! every roll-up over versions stays comparable item by item.
//!
//! An admin authors a [`Derivation`] as a TOML file (`zhigai-server template derive` writes a skeleton);
//! [`Template::derive`] resolves it against the parent into a whole [`Template`], and [`Template::diff`]
//! says what differs from the parent (for `template diff` and the app's read-only view).

use super::{Item, Judgement, ResponseKind, Template, TemplateError};
use crate::access::Scope;
use crate::ids::{ItemId, TemplateId};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// A template version by id and version.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateRef {
    /// The template id, such as `national-2026`.
    pub id: TemplateId,
    /// Its version.
    pub version: u32,
}

impl std::fmt::Display for TemplateRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.id, self.version)
    }
}

/// A version derived from its parent, as the admin's file says it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derivation {
    /// The derived checklist's own id (`zj-2026`); each published version of it counts up from 1.
    pub id: TemplateId,
    /// Its version.
    pub version: u32,
    /// Title in Chinese.
    pub title_zh: String,
    /// Title in English.
    pub title_en: String,
    /// The version it refines.
    pub parent: TemplateRef,
    /// The province, city or county that publishes it.
    pub publisher: Scope,
    /// Parent items this place does not ask (停用), by id.
    #[serde(default)]
    pub retire: Vec<ItemId>,
    /// Parent items refined: texts, guidance, judgements, a target.
    #[serde(default)]
    pub refine: Vec<Refinement>,
    /// Items added, each numbered under its area with an id of the place's own (`T5.ZJ01`).
    #[serde(default)]
    pub add: Vec<Item>,
}

/// What a derived version changes in one parent item; what is left out stays as the parent has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Refinement {
    /// The parent item.
    pub item: ItemId,
    /// The requirement, in Chinese.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_zh: Option<String>,
    /// The requirement, in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_en: Option<String>,
    /// What evidence to look at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guidance_zh: Option<String>,
    /// What 符合, 部分符合 and 不符合 look like here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge: Option<Judgement>,
    /// The indicator's target (改进目标), in its unit: only for an item with a figure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<f64>,
}

/// One way a derived version differs from its parent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Difference {
    /// An item the parent lacks.
    Added {
        /// The item.
        item: ItemId,
    },
    /// A parent item this version does not ask.
    Retired {
        /// The item.
        item: ItemId,
    },
    /// A parent item with some fields changed.
    Refined {
        /// The item.
        item: ItemId,
        /// Which fields: `text_zh`, `text_en`, `guidance`, `judge`, `applies_to`, `figure`, `target`.
        fields: Vec<String>,
    },
}

impl Difference {
    /// The item it concerns.
    pub fn item(&self) -> &ItemId {
        match self {
            Self::Added { item } | Self::Retired { item } | Self::Refined { item, .. } => item,
        }
    }
}

impl Derivation {
    /// Reads an admin's file.
    ///
    /// # Errors
    /// [`TemplateError::Format`] for TOML that is not a derivation.
    pub fn from_toml(text: &str) -> Result<Derivation, TemplateError> {
        Ok(toml::from_str(text)?)
    }
}

impl Template {
    /// The version `derivation` describes, resolved against `parent`: a whole checklist, validated as
    /// one people author (every item judgeable, every figure a usable indicator).
    ///
    /// # Errors
    /// [`TemplateError::Invalid`] naming what does not fit: another parent, the parent's own id, an item
    /// to retire or refine the parent lacks, a target on an item without a figure, an added item whose id
    /// the parent already uses or whose area it lacks, an area left empty.
    pub fn derive(parent: &Template, derivation: &Derivation) -> Result<Template, TemplateError> {
        let invalid = |msg: String| Err(TemplateError::Invalid(msg));
        let wanted = &derivation.parent;
        if wanted.id != parent.id || wanted.version != parent.version {
            return invalid(format!(
                "the file refines {wanted}, not {}@{}",
                parent.id, parent.version
            ));
        }
        if derivation.id == parent.id {
            return invalid(format!(
                "a derived checklist needs an id of its own, not its parent's ({})",
                parent.id
            ));
        }
        if derivation.version == 0 {
            return invalid("versions count from 1".to_owned());
        }
        let mut child = parent.clone();
        child.id = derivation.id.clone();
        child.version = derivation.version;
        child.title_zh = derivation.title_zh.clone();
        child.title_en = derivation.title_en.clone();
        child.parent = Some(wanted.clone());
        child.publisher = Some(derivation.publisher.clone());
        let retired: HashSet<&ItemId> = derivation.retire.iter().collect();
        for id in &derivation.retire {
            if parent.item(id).is_none() {
                return invalid(format!("cannot retire {id}: {} has no such item", wanted));
            }
        }
        for area in &mut child.areas {
            area.items.retain(|i| !retired.contains(&i.id));
        }
        for refinement in &derivation.refine {
            let id = &refinement.item;
            if retired.contains(id) {
                return invalid(format!("{id} is both retired and refined"));
            }
            let Some(item) = child
                .areas
                .iter_mut()
                .flat_map(|a| a.items.iter_mut())
                .find(|i| &i.id == id)
            else {
                return invalid(format!("cannot refine {id}: {wanted} has no such item"));
            };
            refine(item, refinement)?;
        }
        for added in &derivation.add {
            if parent.item(&added.id).is_some() {
                return invalid(format!(
                    "added item {} takes an id {wanted} already uses: give it one of the place's own",
                    added.id
                ));
            }
            let area_id = added.id.as_str().split('.').next().unwrap_or_default();
            let Some(area) = child.areas.iter_mut().find(|a| a.id.as_str() == area_id) else {
                return invalid(format!("added item {} names no area of {wanted}", added.id));
            };
            area.items.push(added.clone());
        }
        if let Some(area) = child.areas.iter().find(|a| a.items.is_empty()) {
            return invalid(format!("every item of area {} is retired", area.id));
        }
        child.normalise()?;
        child.check_judgeable()?;
        child.check_indicators()?;
        Ok(child)
    }

    /// How `child` differs from `parent`, item by item in the child's order, retired items last.
    pub fn diff(parent: &Template, child: &Template) -> Vec<Difference> {
        let mut out = Vec::new();
        for item in child.items() {
            match parent.item(&item.id) {
                None => out.push(Difference::Added {
                    item: item.id.clone(),
                }),
                Some(was) => {
                    let fields = changed_fields(was, item);
                    if !fields.is_empty() {
                        out.push(Difference::Refined {
                            item: item.id.clone(),
                            fields,
                        });
                    }
                }
            }
        }
        for item in parent.items() {
            if child.item(&item.id).is_none() {
                out.push(Difference::Retired {
                    item: item.id.clone(),
                });
            }
        }
        out
    }

    /// The item ids two versions share: what a comparison across them may count.
    pub fn shared_items(&self, other: &Template) -> Vec<ItemId> {
        self.items()
            .filter(|i| other.item(&i.id).is_some())
            .map(|i| i.id.clone())
            .collect()
    }
}

fn refine(item: &mut Item, refinement: &Refinement) -> Result<(), TemplateError> {
    if let Some(text) = &refinement.text_zh {
        item.text_zh.clone_from(text);
    }
    if let Some(text) = &refinement.text_en {
        item.text_en.clone_from(text);
    }
    if let Some(text) = &refinement.guidance_zh {
        item.guidance_zh.clone_from(text);
    }
    if let Some(judge) = &refinement.judge {
        item.judge = Some(judge.clone());
    }
    if let Some(target) = refinement.target {
        let ResponseKind::StatusWithNumber { metric } = &mut item.response else {
            return Err(TemplateError::Invalid(format!(
                "{} asks for no figure, so it takes no target",
                item.id
            )));
        };
        metric.target = Some(target);
        item.metric = Some(metric.clone());
    }
    Ok(())
}

fn changed_fields(was: &Item, now: &Item) -> Vec<String> {
    let metric = |i: &Item| match &i.response {
        ResponseKind::StatusWithNumber { metric } => Some(metric.clone()),
        ResponseKind::Status => None,
    };
    let (old, new) = (metric(was), metric(now));
    let target = |m: &Option<super::Metric>| m.as_ref().and_then(|m| m.target);
    let untargeted = |m: Option<super::Metric>| {
        m.map(|mut m| {
            m.target = None;
            m
        })
    };
    [
        ("text_zh", was.text_zh != now.text_zh),
        ("text_en", was.text_en != now.text_en),
        (
            "guidance",
            was.guidance_zh != now.guidance_zh || was.guidance_tcm_zh != now.guidance_tcm_zh,
        ),
        ("judge", was.judge != now.judge),
        ("applies_to", was.applies_to != now.applies_to),
        ("target", target(&old) != target(&new)),
        ("figure", untargeted(old) != untargeted(new)),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(name, _)| name.to_owned())
    .collect()
}
