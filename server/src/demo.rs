//! The demo: one province, one city, and in it a rural county (two medical communities, fourteen facilities
//! of all five types, village clinics linked to their township centres, two-step review) and an urban
//! district (one 区社一体 around a community health centre and its stations); one account per role per
//! place, and 2026 inspections in every state — partly filled, with problems (some overdue), submitted,
//! returned, approved — so a newcomer sees a living system at once.

use crate::auth::hash_password;
use crate::clock::now_ms;
use crate::db::{City, Community, County, DocWrite, Facility, Province, Store, User};
use crate::docs::Stored;
use anyhow::Context;
use zhigai_shared::Document;
use zhigai_shared::access::{Role, Scope};
use zhigai_shared::api::CountyKind;
use zhigai_shared::sync::DocumentId;
use zhigai_shared::template::{Direction, Metric, ResponseKind};
use zhigai_shared::{
    Author, Date, FacilityId, FacilityType, FractionPart, Inspection, ItemId, NewProblem, Owner,
    ProblemChange, ProblemStatus, Review, Service, Stamp, Status, Template, Timestamp, UserId,
};

/// The demo county's id.
pub const COUNTY: &str = "demo-county";
/// The demo urban district's id.
pub const DISTRICT: &str = "demo-district";
/// The demo city's id.
pub const CITY: &str = "demo-city";
/// The demo province's id.
pub const PROVINCE: &str = "demo-province";
/// The password of every demo account.
pub const PASSWORD: &str = "zhigai2026";

/// One demo account, for printing.
pub struct Account {
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Where they belong.
    pub scope: String,
}

struct Spec {
    id: &'static str,
    community: &'static str,
    /// The township or community centre guiding a village clinic or station.
    guide: Option<&'static str>,
    name: &'static str,
    kind: FacilityType,
    beds: u32,
    services: &'static [Service],
}

const FACILITIES: &[Spec] = {
    use FacilityType::*;
    use Service::*;
    &[
        Spec {
            id: "chengguan",
            community: "gc-east",
            guide: None,
            name: "城关镇中心卫生院",
            kind: CentralTownship,
            beds: 60,
            services: &[
                Inpatient,
                Surgery,
                Emergency,
                Lab,
                Imaging,
                Tcm,
                FamilyDoctor,
                Transfusion,
            ],
        },
        Spec {
            id: "liuhe",
            community: "gc-east",
            guide: None,
            name: "柳河镇卫生院",
            kind: Township,
            beds: 20,
            services: &[Inpatient, Lab, Imaging, Tcm, FamilyDoctor],
        },
        Spec {
            id: "shiqiao",
            community: "gc-east",
            guide: None,
            name: "石桥镇卫生院",
            kind: Township,
            beds: 8,
            services: &[Lab, FamilyDoctor],
        },
        Spec {
            id: "dongguan",
            community: "gc-east",
            guide: None,
            name: "东关社区卫生服务中心",
            kind: CommunityCentre,
            beds: 40,
            services: &[Inpatient, Lab, Imaging, Tcm, FamilyDoctor],
        },
        Spec {
            id: "wangzhuang",
            community: "gc-east",
            guide: Some("liuhe"),
            name: "柳河镇王庄村卫生室",
            kind: VillageClinic,
            beds: 0,
            services: &[FamilyDoctor],
        },
        Spec {
            id: "lijia",
            community: "gc-east",
            guide: Some("liuhe"),
            name: "柳河镇李家村卫生室",
            kind: VillageClinic,
            beds: 0,
            services: &[FamilyDoctor, Tcm],
        },
        Spec {
            id: "dongguan-zhan",
            community: "gc-east",
            guide: Some("dongguan"),
            name: "东关社区卫生服务站",
            kind: CommunityStation,
            beds: 0,
            services: &[FamilyDoctor],
        },
        Spec {
            id: "xiling",
            community: "gc-west",
            guide: None,
            name: "西岭镇中心卫生院",
            kind: CentralTownship,
            beds: 45,
            services: &[Inpatient, Surgery, Emergency, Lab, Imaging, FamilyDoctor],
        },
        Spec {
            id: "nanhe",
            community: "gc-west",
            guide: None,
            name: "南河镇卫生院",
            kind: Township,
            beds: 15,
            services: &[Inpatient, Lab, FamilyDoctor],
        },
        Spec {
            id: "beipo",
            community: "gc-west",
            guide: None,
            name: "北坡镇卫生院",
            kind: Township,
            beds: 0,
            services: &[Lab, Tcm, FamilyDoctor],
        },
        Spec {
            id: "xicheng",
            community: "gc-west",
            guide: None,
            name: "西城社区卫生服务中心",
            kind: CommunityCentre,
            beds: 12,
            services: &[Lab, FamilyDoctor],
        },
        Spec {
            id: "zhangcun",
            community: "gc-west",
            guide: Some("xiling"),
            name: "西岭镇张村卫生室",
            kind: VillageClinic,
            beds: 0,
            services: &[FamilyDoctor],
        },
        Spec {
            id: "zhaocun",
            community: "gc-west",
            guide: Some("nanhe"),
            name: "南河镇赵村卫生室",
            kind: VillageClinic,
            beds: 0,
            services: &[],
        },
        Spec {
            id: "xicheng-zhan",
            community: "gc-west",
            guide: Some("xicheng"),
            name: "西城社区卫生服务站",
            kind: CommunityStation,
            beds: 0,
            services: &[FamilyDoctor],
        },
    ]
};

/// A tiny deterministic generator, so the demo looks the same every time.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

/// Seeds the demo county unless it exists; returns the accounts created (empty if it existed).
///
/// # Errors
/// If storage fails.
pub async fn seed(store: &dyn Store) -> anyhow::Result<Vec<Account>> {
    if store.fetch_county(COUNTY).await?.is_some() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    store
        .insert_province(&Province {
            id: PROVINCE.into(),
            name: "示范省".into(),
        })
        .await?;
    store
        .insert_city(&City {
            id: CITY.into(),
            province_id: PROVINCE.into(),
            name: "示范市".into(),
        })
        .await?;
    store
        .insert_county(&County {
            id: COUNTY.into(),
            name: "清河县（示范）".into(),
            city_id: Some(CITY.into()),
            kind: CountyKind::County,
            two_step: true,
        })
        .await?;
    for (id, name, lead) in [
        ("gc-east", "清河县东部医共体", "清河县人民医院"),
        ("gc-west", "清河县西部医共体", "清河县中医医院"),
    ] {
        store
            .insert_community(&Community {
                id: id.into(),
                county_id: COUNTY.into(),
                name: name.into(),
                lead_hospital: lead.into(),
                lead_facility_id: None,
            })
            .await?;
    }
    let hash = tokio::task::spawn_blocking(|| hash_password(PASSWORD)).await??;
    let mut accounts = Vec::new();
    let mut add_user = async |username: String,
                              name: String,
                              role: Role,
                              scope: Scope,
                              place: &str|
           -> anyhow::Result<User> {
        let user = User {
            id: UserId::new(format!("u-{username}")),
            username: username.clone(),
            display_name: name.clone(),
            role,
            scope,
        };
        store.insert_user(&user, &hash, now).await?;
        accounts.push(Account {
            username,
            name,
            role,
            scope: place.to_owned(),
        });
        Ok(user)
    };
    let county = |id: &str| Scope::County(id.into());
    add_user(
        "admin".into(),
        "县卫健局信息科".into(),
        Role::Admin,
        county(COUNTY),
        "清河县（示范）",
    )
    .await?;
    let reviewer = add_user(
        "reviewer".into(),
        "县质控中心赵审核".into(),
        Role::Reviewer,
        county(COUNTY),
        "清河县（示范）",
    )
    .await?;
    add_user(
        "gc-east-reviewer".into(),
        "东部医共体钱质控".into(),
        Role::CommunityReviewer,
        Scope::Community("gc-east".into()),
        "清河县东部医共体（牵头：清河县人民医院）",
    )
    .await?;
    add_user(
        "gc-west-reviewer".into(),
        "西部医共体孙质控".into(),
        Role::CommunityReviewer,
        Scope::Community("gc-west".into()),
        "清河县西部医共体（牵头：清河县中医医院）",
    )
    .await?;
    add_user(
        "city-reviewer".into(),
        "市质控中心郑主任".into(),
        Role::CityReviewer,
        Scope::City(CITY.into()),
        "示范市质控中心",
    )
    .await?;
    add_user(
        "province-viewer".into(),
        "省卫健委冯处长".into(),
        Role::ProvinceViewer,
        Scope::Province(PROVINCE.into()),
        "示范省",
    )
    .await?;

    let surnames = [
        "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "马", "朱",
    ];
    let mut rng = Lcg(2026);
    // 2027 draws from its own sequence, so 2026's demo data stays as it always was.
    let mut rng_2027 = Lcg(2027);
    for (i, spec) in FACILITIES.iter().enumerate() {
        let facility = Facility {
            id: FacilityId::new(spec.id),
            county_id: COUNTY.into(),
            community_id: Some(spec.community.into()),
            name: spec.name.into(),
            facility_type: spec.kind,
            open_beds: spec.beds,
            services: spec.services.to_vec(),
            guided_by: spec.guide.map(FacilityId::new),
        };
        store
            .insert_facility(&facility, &crate::clock::document_years())
            .await?;
        let head = add_user(
            format!("{}-head", spec.id),
            format!("{}院长", surnames[i]),
            Role::Head,
            Scope::Facility(facility.id.clone()),
            spec.name,
        )
        .await?;
        let member = add_user(
            format!("{}-member", spec.id),
            format!("{}医生", surnames[(i + 5) % surnames.len()]),
            Role::Member,
            Scope::Facility(facility.id.clone()),
            spec.name,
        )
        .await?;
        // Fourteen facilities, fourteen stages of the year's work.
        let progress = [95, 60, 30, 100, 45, 0, 20, 100, 75, 10, 55, 0, 35, 80][i];
        if progress > 0 {
            let last_year = fill(
                store, &facility, &head, &member, &reviewer, progress, &mut rng,
            )
            .await?;
            // Three facilities have begun 2027 already: carry-over and the year comparison at once.
            if [0, 7, 13].contains(&i) {
                fill_next_year(store, &facility, &head, &member, &last_year, &mut rng_2027).await?;
            }
        }
    }
    seed_district(store, &mut add_user).await?;
    Ok(accounts)
}

/// Publishes 示范省's refined checklist, applying from next year (the file is the README's example), unless
/// it is published already. Part of the demo people try (`serve --demo`, `demo`); the API tests publish
/// their own versions where they test them.
///
/// # Errors
/// The store's; the file is tested to publish.
pub async fn publish_province_checklist(store: &dyn Store) -> anyhow::Result<()> {
    let derivation = zhigai_shared::template::Derivation::from_toml(PROVINCE_CHECKLIST)?;
    if store
        .fetch_template(derivation.id.as_str(), derivation.version)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let this_year = crate::clock::today_cst().year();
    crate::templates::publish(store, &derivation, None, this_year, now_ms()).await?;
    Ok(())
}

/// 示范省's refined checklist: a target for four indicators, one item retired, one added.
const PROVINCE_CHECKLIST: &str = include_str!("../../shared/data/derived/demo-province.toml");

/// The urban district: one 区社一体 (a district hospital leading a community health centre), the centre
/// and the two stations it guides; one-step review; nothing filled in yet.
async fn seed_district(
    store: &dyn Store,
    add_user: &mut impl AsyncFnMut(String, String, Role, Scope, &str) -> anyhow::Result<User>,
) -> anyhow::Result<()> {
    store
        .insert_county(&County {
            id: DISTRICT.into(),
            name: "新城区（示范）".into(),
            city_id: Some(CITY.into()),
            kind: CountyKind::District,
            two_step: false,
        })
        .await?;
    store
        .insert_community(&Community {
            id: "xc-qs".into(),
            county_id: DISTRICT.into(),
            name: "新城区区社一体".into(),
            lead_hospital: "新城区人民医院".into(),
            lead_facility_id: None,
        })
        .await?;
    add_user(
        "district-reviewer".into(),
        "区卫健局卫审核".into(),
        Role::Reviewer,
        Scope::County(DISTRICT.into()),
        "新城区（示范）",
    )
    .await?;
    let mut centre = None;
    for (id, name, kind, beds, guide) in [
        (
            "xincheng",
            "新城街道社区卫生服务中心",
            FacilityType::CommunityCentre,
            35,
            None,
        ),
        (
            "xincheng-a",
            "新城街道幸福里社区卫生服务站",
            FacilityType::CommunityStation,
            0,
            Some("xincheng"),
        ),
        (
            "xincheng-b",
            "新城街道和平路社区卫生服务站",
            FacilityType::CommunityStation,
            0,
            Some("xincheng"),
        ),
    ] {
        let facility = Facility {
            id: FacilityId::new(id),
            county_id: DISTRICT.into(),
            community_id: Some("xc-qs".into()),
            name: name.into(),
            facility_type: kind,
            open_beds: beds,
            services: vec![Service::FamilyDoctor, Service::Lab],
            guided_by: guide.map(FacilityId::new),
        };
        store
            .insert_facility(&facility, &crate::clock::document_years())
            .await?;
        add_user(
            format!("{id}-head"),
            format!("{}主任", if centre.is_none() { "韩" } else { "杜" }),
            Role::Head,
            Scope::Facility(facility.id.clone()),
            name,
        )
        .await?;
        centre.get_or_insert(id);
    }
    Ok(())
}

fn stamp(user: &User, day: u32) -> Stamp {
    // 2026-04-01 plus `day` days, 09:00 China time.
    Stamp::new(
        Author::new(user.id.clone(), user.display_name.clone()),
        Timestamp(1_775_005_200_000 + i64::from(day) * 86_400_000),
    )
}

/// A plausible figure for an indicator: a rate's two counts (most prescriptions pass, few get an
/// antimicrobial), or a count.
fn fill_figure(
    doc: &mut Inspection,
    item: &ItemId,
    metric: &Metric,
    rng: &mut Lcg,
    stamp: &Stamp,
) -> anyhow::Result<()> {
    if metric.is_rate() {
        let whole = 30 + rng.next(70);
        let part = match metric.direction {
            Direction::Higher => whole - rng.next(whole / 4 + 1),
            Direction::Lower => rng.next(whole / 3 + 1),
        };
        doc.set_fraction_part(item, FractionPart::Denominator, Some(whole as f64), stamp)?;
        doc.set_fraction_part(item, FractionPart::Numerator, Some(part as f64), stamp)?;
    } else {
        doc.set_metric(item, Some(rng.next(8) as f64), stamp)?;
    }
    Ok(())
}

/// The item every demo facility answers 部分符合 (严格执行手卫生规范, in every facility's checklist).
const COMMON_WEAKNESS: &str = "T8.02";

async fn fill(
    store: &dyn Store,
    facility: &Facility,
    head: &User,
    member: &User,
    reviewer: &User,
    progress: u64,
    rng: &mut Lcg,
) -> anyhow::Result<Inspection> {
    let year = 2026;
    let template = Template::current();
    let mut doc = Inspection::create(&facility.id, year, template)?;
    let items = template.applicable_items(&facility.profile());
    let mut day = 0;
    let mut problems = 0;
    for item in &items {
        // Hand hygiene is the demo's shared weakness: every facility that has begun answers it 部分符合, so
        // the overviews' common problems show a pattern across levels, village clinics included.
        let common = item.id.as_str() == COMMON_WEAKNESS;
        if rng.next(100) >= progress && !(common && progress > 0) {
            continue;
        }
        day = (day + 1) % 200;
        let who = if rng.next(2) == 0 { head } else { member };
        let status = match rng.next(10) {
            _ if common => Status::Partial,
            0..=5 => Status::Compliant,
            6 | 7 => Status::Partial,
            8 => Status::NonCompliant,
            _ => Status::NotApplicable,
        };
        doc.set_status(&item.id, Some(status), &stamp(who, day))?;
        if let ResponseKind::StatusWithNumber { metric } = &item.response {
            fill_figure(&mut doc, &item.id, metric, rng, &stamp(who, day))?;
        }
        if rng.next(4) == 0 {
            doc.set_note(&item.id, "已查阅相关记录，现场核实。", &stamp(who, day))?;
        }
        if matches!(status, Status::Partial | Status::NonCompliant) && problems < 6 {
            problems += 1;
            let deadline = Date::new(2026, [6, 9, 12, 12][problems % 4], 30).context("deadline")?;
            let id = doc.add_problem(
                NewProblem {
                    item: Some(item.id.clone()),
                    description: format!("{}：落实不到位", item.text_zh),
                    measure: "完善制度，组织培训，月底前复查。".into(),
                    owner: Some(Owner {
                        user: member.id.clone(),
                        name: member.display_name.clone(),
                    }),
                    deadline: Some(deadline),
                },
                &stamp(head, day),
            )?;
            let status = [
                ProblemStatus::Open,
                ProblemStatus::InProgress,
                ProblemStatus::Rectified,
            ][problems % 3];
            if status != ProblemStatus::Open {
                doc.update_problem(&id, ProblemChange::Status(status), &stamp(member, day + 5))?;
            }
        }
    }
    let mut review = Review::create(&facility.id, year)?;
    if progress == 100 {
        doc.submit(&stamp(head, 210))?;
        review.set_state(zhigai_shared::ReviewState::Submitted, &stamp(reviewer, 211))?;
        if facility.facility_type == FacilityType::CentralTownship {
            review.approve(&doc.heads(), &stamp(reviewer, 215))?;
        } else {
            let first = items.first().map(|i| i.id.clone()).context("items")?;
            review.add_comment(
                &first,
                "请补充会议纪要和签到表照片。",
                &stamp(reviewer, 214),
            )?;
            review.return_for_changes(
                "部分条目证据不足，请补充后重新提交。",
                &stamp(reviewer, 215),
            )?;
        }
    }
    store_document(store, facility, year, &mut doc).await?;
    store_document(store, facility, year, &mut review).await?;
    Ok(doc)
}

/// 2027 under way (January): about half the items answered, mostly better than last year, and a new
/// problem; last year's open problems carry over by themselves.
async fn fill_next_year(
    store: &dyn Store,
    facility: &Facility,
    head: &User,
    member: &User,
    last_year: &Inspection,
    rng: &mut Lcg,
) -> anyhow::Result<()> {
    let year = 2027;
    // 2027-01-04 is day 278 after 2026-04-01.
    const JANUARY: u32 = 278;
    let template = Template::current();
    let mut doc = Inspection::create(&facility.id, year, template)?;
    let items = template.applicable_items(&facility.profile());
    for (n, item) in items.iter().enumerate() {
        if rng.next(2) == 0 {
            continue;
        }
        let who = if n % 2 == 0 { head } else { member };
        let status = match last_year.status(&item.id) {
            Some(Status::Partial | Status::NonCompliant) if rng.next(3) > 0 => Status::Compliant,
            Some(status) => status,
            None => Status::Compliant,
        };
        doc.set_status(
            &item.id,
            Some(status),
            &stamp(who, JANUARY + (n as u32 % 20)),
        )?;
    }
    if let Some(item) = items.get(rng.next(items.len() as u64) as usize) {
        doc.add_problem(
            NewProblem {
                item: Some(item.id.clone()),
                description: format!("{}：年度自查发现新问题", item.text_zh),
                measure: "制定整改计划，3月底前完成。".into(),
                owner: Some(Owner {
                    user: member.id.clone(),
                    name: member.display_name.clone(),
                }),
                deadline: Some(Date::new(2027, 3, 31).context("deadline")?),
            },
            &stamp(head, JANUARY + 10),
        )?;
    }
    store_document(store, facility, year, &mut doc).await?;
    store_document(
        store,
        facility,
        year,
        &mut Review::create(&facility.id, year)?,
    )
    .await
}

/// Stores a whole document with its derived rows.
async fn store_document<D: Stored>(
    store: &dyn Store,
    facility: &Facility,
    year: zhigai_shared::Year,
    doc: &mut D,
) -> anyhow::Result<()> {
    let write = DocWrite {
        doc_id: DocumentId::for_doc(D::KIND, &facility.id, year).to_string(),
        kind: D::KIND.code().into(),
        facility_id: facility.id.clone(),
        year: i64::from(year),
        chunk: doc.save(),
        derived: doc.derived(facility),
        previous: None,
        now: now_ms(),
        compact: None,
    };
    store.append_document(&write).await?;
    Ok(())
}
