//! Checklist versions: the national baselines built into zhigai and the versions provinces, cities and
//! counties publish (derived from their parent, stored whole in the `templates` table, never changed).
//! `zhigai-server template derive|publish|diff|list` and `GET /api/templates…` go through here.

use crate::db::{DbError, Facility, PublishedTemplate, Store};
use crate::places;
use std::collections::HashMap;
use thiserror::Error;
use zhigai_shared::access::{Level, Scope};
use zhigai_shared::api::TemplateInfo;
use zhigai_shared::template::{Derivation, Difference, TemplateError, TemplateRef};
use zhigai_shared::{FacilityId, Template};

/// Why a version cannot be published or found.
#[derive(Debug, Error)]
pub enum PublishError {
    /// The store failed.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The file or the version it describes does not fit.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// No version with that id and version.
    #[error("no checklist {0}: `zhigai-server template list` shows what there is")]
    Unknown(TemplateRef),
    /// The publisher or the version does not fit the directory or the versions before it.
    #[error("{0}")]
    Refused(String),
}

/// The first year the national baselines built into zhigai apply to: the plan's first year.
const BASELINE_FROM: u16 = 2026;

/// What lists show of a baseline built into zhigai.
pub fn baseline_info(template: &Template) -> TemplateInfo {
    TemplateInfo {
        id: template.id.clone(),
        version: template.version,
        title_zh: template.title_zh.clone(),
        publisher: None,
        parent: None,
        published_at: None,
        applies_from: BASELINE_FROM,
    }
}

/// Every version: the baselines built in, then those published here (by id, then version).
///
/// # Errors
/// The store's.
pub async fn infos(store: &dyn Store) -> Result<Vec<TemplateInfo>, DbError> {
    let mut out: Vec<TemplateInfo> = Template::registry()
        .iter()
        .map(|t| baseline_info(t))
        .collect();
    out.extend(store.fetch_template_infos().await?);
    Ok(out)
}

impl From<PublishError> for DbError {
    /// The store's own error, or a version the store holds but this server cannot read.
    fn from(e: PublishError) -> Self {
        match e {
            PublishError::Db(e) => e,
            other => DbError::Corrupt(other.to_string()),
        }
    }
}

/// Makes every published version known to this process (at startup), so documents pinned to one find
/// their checklist.
///
/// # Errors
/// The store's; a stored body this build cannot read.
pub async fn register_all(store: &dyn Store) -> Result<usize, PublishError> {
    let infos = store.fetch_template_infos().await?;
    for info in &infos {
        find(
            store,
            &TemplateRef {
                id: info.id.clone(),
                version: info.version,
            },
        )
        .await?;
    }
    Ok(infos.len())
}

/// The version `facility` uses in `year`: pinned the first time it is asked for, never changed after.
/// Decided as the plan's levels refine it: the newest version of the nearest county, city or province
/// above the facility that applies from `year`, else the newest national baseline.
///
/// # Errors
/// The store's; a pinned version this server cannot find.
pub async fn pin(
    store: &dyn Store,
    facility: &Facility,
    year: u16,
) -> Result<&'static Template, PublishError> {
    let pinned = settle(store, facility, year, &mut RuleAnswers::new()).await?;
    checklist(store, &pinned).await
}

/// The rule's answers already asked, by county and year.
pub type RuleAnswers = HashMap<(String, u16), TemplateRef>;

/// `facility`'s pin for `year`, deciding it by the rule (remembered in `asked`) if nothing has; another
/// request that pinned it first wins.
async fn settle(
    store: &dyn Store,
    facility: &Facility,
    year: u16,
    asked: &mut RuleAnswers,
) -> Result<TemplateRef, DbError> {
    let key = i64::from(year);
    if let Some(pinned) = store.fetch_pin(&facility.id, key).await? {
        return Ok(pinned);
    }
    let chosen = county_rule(store, &facility.county_id, year, asked).await?;
    store.insert_pin(&facility.id, key, &chosen).await?;
    Ok(store.fetch_pin(&facility.id, key).await?.unwrap_or(chosen))
}

/// What the rule gives the facilities of `county` in `year`, without pinning: only provinces, cities and
/// counties publish, so it is the county's answer, asked of the store once per county and year (`asked`).
///
/// # Errors
/// The store's.
pub async fn county_rule(
    store: &dyn Store,
    county: &str,
    year: u16,
    asked: &mut RuleAnswers,
) -> Result<TemplateRef, DbError> {
    let key = (county.to_owned(), year);
    if let Some(known) = asked.get(&key) {
        return Ok(known.clone());
    }
    let chosen = choose(store, &Scope::County(county.to_owned()), year).await?;
    asked.insert(key, chosen.clone());
    Ok(chosen)
}

/// The checklist of a version, built in or published: from this process's registry once read (a
/// published version never changes), else from the store.
///
/// # Errors
/// As [`find`].
pub async fn checklist(
    store: &dyn Store,
    wanted: &TemplateRef,
) -> Result<&'static Template, PublishError> {
    if let Some(known) = Template::find(wanted.id.as_str(), wanted.version) {
        return Ok(known);
    }
    let (_, template) = find(store, wanted).await?;
    Ok(Template::register(template))
}

/// Whether a facility-year's version is handed out (and so pinned) on `today`: this year and earlier ones,
/// and next year from 1 December, so a device offline over New Year starts the new year on the version its
/// colleagues and the server use. A version published for next year after 1 December reaches the
/// facility-years not yet pinned.
pub fn settled(year: u16, today: zhigai_shared::doc::Date) -> bool {
    year <= today.year() || (year == today.year() + 1 && today.month() == 12)
}

/// The pins of `facilities` for their settled years, and the bodies of the published versions among
/// them (a device needs them to build the same skeleton offline).
///
/// # Errors
/// As [`pin`].
pub async fn pins_for(
    store: &dyn Store,
    facilities: &[&Facility],
    years: &[u16],
    today: zhigai_shared::doc::Date,
) -> Result<(Vec<(FacilityId, u16, TemplateRef)>, Vec<Template>), PublishError> {
    let mut pins = Vec::new();
    let mut bodies: Vec<Template> = Vec::new();
    let mut asked = RuleAnswers::new();
    for facility in facilities {
        for &year in years.iter().filter(|y| settled(**y, today)) {
            let pinned = settle(store, facility, year, &mut asked).await?;
            let template = checklist(store, &pinned).await?;
            let built_in = Template::registry()
                .iter()
                .any(|t| t.id == pinned.id && t.version == pinned.version);
            if !built_in
                && !bodies
                    .iter()
                    .any(|t| t.id == pinned.id && t.version == pinned.version)
            {
                bodies.push(template.clone());
            }
            pins.push((facility.id.clone(), year, pinned));
        }
    }
    Ok((pins, bodies))
}

/// The version the rule gives a facility at `place` in `year`, without pinning it.
async fn choose(store: &dyn Store, place: &Scope, year: u16) -> Result<TemplateRef, DbError> {
    let published = store.fetch_template_infos().await?;
    for above in places::ancestry(store, place).await? {
        let newest = published
            .iter()
            .filter(|i| i.publisher.as_ref() == Some(&above) && i.applies_from <= year)
            .max_by_key(|i| i.version);
        if let Some(info) = newest {
            return Ok(TemplateRef {
                id: info.id.clone(),
                version: info.version,
            });
        }
    }
    let national = Template::registry()
        .iter()
        .rev()
        .find(|t| baseline_info(t).applies_from <= year)
        .copied()
        .unwrap_or_else(Template::current);
    Ok(TemplateRef {
        id: national.id.clone(),
        version: national.version,
    })
}

/// A version, built in or published, with what lists show of it.
///
/// # Errors
/// [`PublishError::Unknown`] when there is none; the store's; a stored body this build cannot read.
pub async fn find(
    store: &dyn Store,
    wanted: &TemplateRef,
) -> Result<(TemplateInfo, Template), PublishError> {
    // A baseline built in; a version published here is read from the store (this process may know it
    // already, but only the store says who published it).
    if let Some(t) = Template::registry()
        .iter()
        .find(|t| t.id == wanted.id && t.version == wanted.version)
    {
        return Ok((baseline_info(t), (*t).clone()));
    }
    let Some(row) = store
        .fetch_template(wanted.id.as_str(), wanted.version)
        .await?
    else {
        return Err(PublishError::Unknown(wanted.clone()));
    };
    let template = Template::from_json(&row.body)?;
    Template::register(template.clone());
    Ok((row.info, template))
}

/// The newest version with `id`, built in or published.
///
/// # Errors
/// As [`find`].
pub async fn newest(store: &dyn Store, id: &str) -> Result<(TemplateInfo, Template), PublishError> {
    let version = infos(store)
        .await?
        .into_iter()
        .filter(|i| i.id.as_str() == id)
        .map(|i| i.version)
        .max()
        .ok_or_else(|| {
            PublishError::Unknown(TemplateRef {
                id: id.into(),
                version: 1,
            })
        })?;
    find(
        store,
        &TemplateRef {
            id: id.into(),
            version,
        },
    )
    .await
}

/// A version with what differs from its parent (nothing for a baseline).
///
/// # Errors
/// As [`find`].
pub async fn detail(
    store: &dyn Store,
    wanted: &TemplateRef,
) -> Result<(TemplateInfo, Template, Vec<Difference>), PublishError> {
    let (info, template) = find(store, wanted).await?;
    let differences = match &template.parent {
        Some(parent) => {
            let (_, parent) = find(store, parent).await?;
            Template::diff(&parent, &template)
        }
        None => Vec::new(),
    };
    Ok((info, template, differences))
}

/// Publishes the version `derivation` describes: resolved against its parent, checked against the
/// directory and the versions of its id before it, stored whole. It applies from `from_year`, or else from
/// the year after `this_year` (a version published mid-year applies next year unless an admin says
/// otherwise).
///
/// # Errors
/// [`PublishError::Refused`] for a publisher that is not a province, city or county of the directory, a
/// parent published by a place that is not above it, an id another place publishes, a version that does
/// not follow the last one, a year already past; the template's own refusals; the store's.
pub async fn publish(
    store: &dyn Store,
    derivation: &Derivation,
    from_year: Option<u16>,
    this_year: u16,
    now_ms: i64,
) -> Result<(TemplateInfo, Vec<Difference>), PublishError> {
    let refused = |msg: String| Err(PublishError::Refused(msg));
    let publisher = &derivation.publisher;
    if !matches!(
        publisher.level(),
        Level::Province | Level::City | Level::County
    ) {
        return refused(format!(
            "a checklist is published by a province, city or county, not a {}",
            publisher.level().code()
        ));
    }
    let above = places::ancestry(store, publisher).await?;
    if above.is_empty() {
        return refused(format!(
            "no {} '{}' in the directory: add it first with `zhigai-server admin`",
            publisher.level().code(),
            publisher.id()
        ));
    }
    let (parent_info, parent) = find(store, &derivation.parent).await?;
    if let Some(parent_publisher) = &parent_info.publisher
        && !above.contains(parent_publisher)
    {
        return refused(format!(
            "{} refines {}, published by {} {}, which is not above {} {}",
            derivation.id,
            derivation.parent,
            parent_publisher.level().code(),
            parent_publisher.id(),
            publisher.level().code(),
            publisher.id()
        ));
    }
    let earlier: Vec<TemplateInfo> = infos(store)
        .await?
        .into_iter()
        .filter(|i| i.id == derivation.id)
        .collect();
    if let Some(other) = earlier
        .iter()
        .find(|i| i.publisher.as_ref() != Some(publisher))
    {
        return refused(format!(
            "the id {} is another place's ({}): choose one of {}'s own",
            derivation.id,
            other
                .publisher
                .as_ref()
                .map_or_else(|| "national".to_owned(), |p| p.id().to_owned()),
            publisher.id()
        ));
    }
    let next = earlier.iter().map(|i| i.version).max().unwrap_or(0) + 1;
    if derivation.version != next {
        return refused(format!(
            "{} is at version {}: the next to publish is {next}, not {}",
            derivation.id,
            next - 1,
            derivation.version
        ));
    }
    let applies_from = from_year.unwrap_or(this_year + 1);
    if applies_from < this_year {
        return refused(format!(
            "{applies_from} is past: a version applies from this year ({this_year}) or later"
        ));
    }
    let template = Template::derive(&parent, derivation)?;
    let info = TemplateInfo {
        id: template.id.clone(),
        version: template.version,
        title_zh: template.title_zh.clone(),
        publisher: Some(publisher.clone()),
        parent: Some(derivation.parent.clone()),
        published_at: Some(now_ms),
        applies_from,
    };
    store
        .insert_template(&PublishedTemplate {
            info: info.clone(),
            body: template.to_json(),
        })
        .await?;
    Ok((info, Template::diff(&parent, &template)))
}

/// Whether a user placed at `place` sees the version: a baseline, one published at or above their place,
/// or one published below it (a city's QC centre sees its counties' versions).
///
/// # Errors
/// The store's.
pub async fn visible(
    store: &dyn Store,
    place: &Scope,
    info: &TemplateInfo,
) -> Result<bool, DbError> {
    let above = places::ancestry(store, place).await?;
    visible_from(store, place, &above, info).await
}

/// [`visible`] with the place's ancestry already read (`above`, as [`places::ancestry`] gives it), for
/// a list checked against one place.
///
/// # Errors
/// The store's.
pub async fn visible_from(
    store: &dyn Store,
    place: &Scope,
    above: &[Scope],
    info: &TemplateInfo,
) -> Result<bool, DbError> {
    let Some(publisher) = &info.publisher else {
        return Ok(true);
    };
    Ok(above.contains(publisher) || places::within(store, publisher, place).await?)
}

/// A skeleton derivation file for `id`, refining `parent` for `publisher`: what `template derive`
/// prints, for an admin to edit and publish.
pub fn skeleton(id: &str, version: u32, parent: &Template, publisher: &Scope) -> String {
    let example = parent
        .items()
        .find(|i| {
            matches!(
                i.response,
                zhigai_shared::template::ResponseKind::StatusWithNumber { .. }
            )
        })
        .map_or_else(String::new, |i| i.id.to_string());
    format!(
        r#"# A checklist version derived from {parent_id}@{parent_version}. Keep the parent's item ids: retire,
# refine and add, and set targets for indicators. Then:
#   zhigai-server template publish THIS-FILE [--from-year YEAR]
# (a version applies from next year unless --from-year says this year).

id = "{id}"
version = {version}
title_zh = "{title}（细化版）"
title_en = "{title_en} (refined)"
parent = {{ id = "{parent_id}", version = {parent_version} }}
publisher = {{ kind = "{level}", id = "{place}" }}

# Parent items this place does not ask, by id:
retire = []

# A parent item refined; leave out what stays as the parent has it.
# [[refine]]
# item = "{example}"
# target = 90.0
# guidance_zh = "…"
# [refine.judge]
# compliant = "…"
# partial = "…"
# non_compliant = "…"

# An item of the place's own, numbered under its area (T5.XX01), with its three judgements:
# [[add]]
# id = "T5.XX01"
# text_zh = "…"
# text_en = "…"
# guidance_zh = "…"
# source = "…"
# [add.judge]
# compliant = "…"
# partial = "…"
# non_compliant = "…"
"#,
        parent_id = parent.id,
        parent_version = parent.version,
        title = parent.title_zh,
        title_en = parent.title_en,
        level = publisher.level().code(),
        place = publisher.id(),
    )
}
