use super::*;
use crate::facility::FacilityType;

const PLAN_TEXT: &str = include_str!("../../data/action-plan-2026-2028.md");

/// The plan's text with line breaks taken out: the published text breaks pages mid-word
/// (质量控 | 制, 保障查房 | 频次), and those breaks are not part of the plan's words.
fn plan() -> String {
    PLAN_TEXT.replace('\n', "")
}

/// The plan's numbering of its nine work tasks.
const TASK_NUMBERS: [&str; 9] = [
    "（一）",
    "（二）",
    "（三）",
    "（四）",
    "（五）",
    "（六）",
    "（七）",
    "（八）",
    "（九）",
];

fn profile(facility_type: FacilityType, services: &[Service]) -> FacilityProfile {
    FacilityProfile {
        facility_type,
        open_beds: 0,
        services: services.to_vec(),
        alliance: false,
    }
}

fn ids(t: &Template, p: &FacilityProfile) -> HashSet<String> {
    t.applicable_items(p)
        .iter()
        .map(|i| i.id.to_string())
        .collect()
}

#[test]
fn the_national_template_has_the_nine_tasks_in_the_plans_order() {
    let t = Template::national();
    assert_eq!(t.id.as_str(), "national-2026");
    assert_eq!(t.version, 2);
    let plan = plan();
    let ids: Vec<_> = t.areas.iter().map(|a| a.id.to_string()).collect();
    assert_eq!(ids, ["T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9"]);
    for (area, number) in t.areas.iter().zip(TASK_NUMBERS) {
        assert_eq!(area.number_zh, number);
        // The title is the plan's own heading of that task.
        assert!(
            plan.contains(&format!("{number}{}。", area.title_zh)),
            "{} title",
            area.id
        );
        assert!(!area.title_en.is_empty());
    }
}

#[test]
fn there_are_at_least_sixty_items_and_every_source_is_the_plans_own_words() {
    let plan = plan();
    for t in Template::registry() {
        assert!(t.items().count() >= 60, "only {} items", t.items().count());
        for item in t.items() {
            assert!(
                plan.contains(&item.source),
                "{}: source not found verbatim in the plan: {}",
                item.id,
                item.source
            );
            assert!(
                !item.text_zh.is_empty()
                    && !item.text_en.is_empty()
                    && !item.guidance_zh.is_empty()
            );
        }
    }
}

/// Every source is whole clauses of the plan: where it stands in the plan it begins after a clause mark
/// (or a line start) and ends at one, so it says where it stands, not a fragment such as "查对".
#[test]
fn every_source_is_whole_clauses_of_the_plan() {
    const MARKS: &str = "，。；：！？";
    let t = Template::national();
    let plan = plan();
    for item in t.items() {
        let whole = plan.match_indices(&item.source).any(|(at, found)| {
            let before = plan[..at].chars().next_back();
            let after = plan[at + found.len()..].chars().next();
            before.is_none_or(|c| MARKS.contains(c) || c.is_whitespace() || c == '）')
                && after.is_none_or(|c| MARKS.contains(c) || c.is_whitespace())
        });
        assert!(
            whole,
            "{}: source \"{}\" is a fragment of a clause of the plan",
            item.id, item.source
        );
    }
}

#[test]
fn every_item_source_lies_within_its_own_task_paragraph() {
    let t = Template::national();
    let plan = plan();
    let section =
        &plan[plan.find("### 四、工作任务").unwrap()..plan.find("## 五、工作安排").unwrap()];
    for (i, area) in t.areas.iter().enumerate() {
        let start = section.find(TASK_NUMBERS[i]).unwrap();
        let end = TASK_NUMBERS
            .get(i + 1)
            .map_or(section.len(), |n| section.find(n).unwrap());
        let paragraph = &section[start..end];
        for item in &area.items {
            // Task 一's first-responsible-person and staff-culture items quote section 三, which assigns them.
            let from_section_three = matches!(item.id.as_str(), "T1.03" | "T1.08");
            assert!(
                paragraph.contains(&item.source) || from_section_three,
                "{} source is not from task {}",
                item.id,
                TASK_NUMBERS[i]
            );
        }
    }
}

#[test]
fn task_five_covers_every_drug_requirement_named_in_the_issue() {
    let t = Template::national();
    let area = t.areas.iter().find(|a| a.id.as_str() == "T5").unwrap();
    let texts: String = area.items.iter().map(|i| i.source.clone()).collect();
    for needle in [
        "处方行为",
        "一老一小",
        "长期处方",
        "麻醉药品和精神药品",
        "抗菌药物分级",
        "处方点评",
        "合理用药教育与培训",
        "定期核查",
        "不良反应",
    ] {
        assert!(texts.contains(needle), "task 五 lacks {needle}");
    }
    assert_eq!(
        t.item(&ItemId::from("T5.04")).unwrap().source,
        "加强麻醉药品和精神药品等特殊药品管理"
    );
}

#[test]
fn task_nine_applies_only_with_inpatient_or_surgery_and_blood_only_with_transfusion() {
    let t = Template::national();
    let t9 = |p: &FacilityProfile| -> Vec<String> {
        t.applicable_items(p)
            .iter()
            .filter(|i| i.id.as_str().starts_with("T9."))
            .map(|i| i.id.to_string())
            .collect()
    };
    assert!(
        t9(&profile(
            FacilityType::Township,
            &[Service::Lab, Service::Emergency]
        ))
        .is_empty()
    );
    let inpatient = t9(&profile(FacilityType::Township, &[Service::Inpatient]));
    assert!(inpatient.contains(&"T9.03".to_owned()) && inpatient.contains(&"T9.05".to_owned()));
    assert!(
        !inpatient.contains(&"T9.07".to_owned()),
        "surgery items need surgery"
    );
    assert!(
        !inpatient
            .iter()
            .any(|i| ["T9.13", "T9.14", "T9.15", "T9.16"].contains(&i.as_str()))
    );
    let surgery = t9(&profile(FacilityType::CentralTownship, &[Service::Surgery]));
    assert!(surgery.contains(&"T9.11".to_owned()) && !surgery.contains(&"T9.03".to_owned()));
    let blood = t9(&profile(
        FacilityType::CentralTownship,
        &[Service::Inpatient, Service::Transfusion],
    ));
    assert!(blood.contains(&"T9.14".to_owned()));
    // Transfusion alone does not open task 九.
    assert!(
        t9(&profile(
            FacilityType::CentralTownship,
            &[Service::Transfusion]
        ))
        .is_empty()
    );
}

#[test]
fn service_items_follow_their_services() {
    let t = Template::national();
    let ids = |p: &FacilityProfile| ids(t, p);
    let bare = ids(&profile(FacilityType::VillageClinic, &[]));
    assert!(!bare.contains("T4.01") && !bare.contains("T6.02") && !bare.contains("T3.11"));
    assert!(
        bare.contains("T4.02"),
        "every facility stocks emergency drugs"
    );
    assert!(
        !bare.contains("T7.02"),
        "village clinics have no nursing department"
    );
    let full = ids(&profile(
        FacilityType::CommunityCentre,
        &[Service::Emergency, Service::Lab, Service::FamilyDoctor],
    ));
    for id in [
        "T4.01", "T4.04", "T6.01", "T6.07", "T3.11", "T3.14", "T7.02",
    ] {
        assert!(full.contains(id), "{id}");
    }
    assert!(bare.len() < full.len());
}

#[test]
fn tcm_guidance_is_added_only_where_tcm_is_offered() {
    let t = Template::national();
    let item = t.item(&ItemId::from("T3.07")).unwrap();
    let plain = Template::guidance_for(item, &profile(FacilityType::Township, &[]));
    let tcm = Template::guidance_for(item, &profile(FacilityType::Township, &[Service::Tcm]));
    assert_eq!(plain, item.guidance_zh);
    assert!(tcm.starts_with(&plain) && tcm.len() > plain.len() && tcm.contains("中医"));
}

#[test]
fn items_with_a_figure_say_so_in_their_response_kind() {
    let t = Template::national();
    let item = t.item(&ItemId::from("T5.01")).unwrap();
    assert!(
        matches!(&item.response, ResponseKind::StatusWithNumber { metric } if metric.unit == "%")
    );
    assert_eq!(
        t.item(&ItemId::from("T5.04")).unwrap().response,
        ResponseKind::Status
    );
}

#[test]
fn the_json_export_has_the_documented_shape() {
    let json: serde_json::Value = serde_json::from_str(&Template::national().to_json()).unwrap();
    assert_eq!(json["id"], "national-2026");
    assert_eq!(json["version"], 2);
    let area = &json["areas"][8];
    assert_eq!(area["id"], "T9");
    for key in ["id", "title_zh", "title_en", "items"] {
        assert!(!area[key].is_null(), "{key}");
    }
    let item = &area["items"][0];
    for key in [
        "id",
        "text_zh",
        "text_en",
        "guidance_zh",
        "source",
        "applies_to",
        "response",
    ] {
        assert!(!item[key].is_null(), "{key}");
    }
    assert_eq!(
        item["applies_to"]["services"],
        serde_json::json!(["inpatient"])
    );
}

#[test]
fn broken_templates_are_refused_with_a_reason() {
    assert!(matches!(
        Template::from_toml("id = 3"),
        Err(TemplateError::Format(_))
    ));
    let dup = NATIONAL_2026.replacen("id = \"T1.02\"", "id = \"T1.01\"", 1);
    assert!(
        matches!(Template::from_toml(&dup), Err(TemplateError::Invalid(m)) if m.contains("T1.01"))
    );
    let misplaced = NATIONAL_2026.replacen("id = \"T1.02\"", "id = \"T2.99\"", 1);
    assert!(matches!(
        Template::from_toml(&misplaced),
        Err(TemplateError::Invalid(_))
    ));
    let wider = NATIONAL_2026.replacen(
        "applies_to = { services = [\"surgery\"] }",
        "applies_to = { services = [\"lab\"] }",
        1,
    );
    assert!(
        matches!(Template::from_toml(&wider), Err(TemplateError::Invalid(m)) if m.contains("beyond"))
    );
}

#[test]
fn the_build_time_json_is_the_toml_file() {
    assert_eq!(
        Template::from_json(NATIONAL_2026_JSON).unwrap(),
        Template::from_toml(NATIONAL_2026).unwrap()
    );
    assert!(matches!(
        Template::from_json("{"),
        Err(TemplateError::Json(_))
    ));
}

#[test]
fn templates_are_looked_up_by_id_and_version_and_an_inspection_by_its_pin() {
    use crate::doc::{DocError, Document, Inspection};
    let national = Template::national();
    assert_eq!(
        Template::find(national.id.as_str(), national.version),
        Some(national)
    );
    assert_eq!(
        Template::find(national.id.as_str(), national.version + 1),
        None
    );
    assert!(Template::registry().contains(&Template::current()));
    let facility = crate::FacilityId::from("f");
    let started = Inspection::genesis(&facility, 2027).unwrap();
    assert_eq!(started.checklist().unwrap(), Template::current());
    // An inspection a newer zhigai started on a checklist this build lacks: a clear error, no guess.
    let mut newer = national.clone();
    newer.id = crate::TemplateId::new("province-2027");
    newer.version = 2;
    let pinned = Inspection::create(&facility, 2027, &newer).unwrap();
    let err = pinned.checklist().unwrap_err();
    assert!(
        matches!(err, DocError::UnknownTemplate { ref id, version: 2 } if id == "province-2027")
    );
    assert!(err.to_string().contains("update"));
    // An empty document (nothing synced yet) names no checklist.
    assert!(Inspection::empty().checklist().is_err());
}

/// Issue 13: every item says what 符合, 部分符合 and 不符合 look like, so two inspectors judge alike.
#[test]
fn every_item_says_what_each_judgement_looks_like() {
    let t = Template::national();
    t.check_judgeable().unwrap();
    for item in t.items() {
        let judge = item.judge.as_ref().unwrap();
        for (status, text) in judge.by_status() {
            assert!(
                text.chars().count() >= 6,
                "{} {}: \"{text}\" says too little to judge by",
                item.id,
                status.label_zh()
            );
        }
    }
    // A file people author is refused without them, naming the item.
    let start = NATIONAL_2026.find("\n[areas.items.judge]\n").unwrap();
    let end = start + NATIONAL_2026[start..].find("\n\n").unwrap();
    let without = format!("{}{}", &NATIONAL_2026[..start], &NATIONAL_2026[end..]);
    assert!(
        matches!(Template::from_toml(&without), Err(TemplateError::Invalid(m)) if m.contains("T1.01"))
    );
    let same = NATIONAL_2026.replacen(
        "partial = \"指定了部门或人员，但职责不清或没有日常工作记录\"",
        "partial = \"未指定专门部门或专门人员\"",
        1,
    );
    assert!(
        matches!(Template::from_toml(&same), Err(TemplateError::Invalid(m)) if m.contains("T1.02"))
    );
}

/// Slogans cannot be judged: no requirement opens with an exhortation such as 持续提升 or 加强.
#[test]
fn no_requirement_is_a_slogan() {
    const SLOGANS: [&str; 8] = [
        "持续",
        "不断",
        "进一步",
        "加强",
        "强化",
        "提升",
        "夯实",
        "优化",
    ];
    for item in Template::national().items() {
        assert!(
            !SLOGANS.iter().any(|s| item.text_zh.starts_with(s)),
            "{}: \"{}\" is a slogan, not a check",
            item.id,
            item.text_zh
        );
    }
}

/// The village-clinic and station short form: about twenty concrete items a village doctor judges alone,
/// none of the duties the township or community centre carries for them.
#[test]
fn village_clinics_and_stations_answer_the_short_form() {
    let t = Template::national();
    for kind in [FacilityType::VillageClinic, FacilityType::CommunityStation] {
        let short = ids(t, &profile(kind, &[]));
        assert!(
            (18..=26).contains(&short.len()),
            "{kind}: {} items",
            short.len()
        );
        for centre_duty in ["T1.02", "T1.06", "T3.08", "T5.06", "T8.04", "T7.02"] {
            assert!(!short.contains(centre_duty), "{kind} answers {centre_duty}");
        }
        for own in [
            "T2.01", "T3.01", "T4.02", "T5.01", "T5.09", "T7.05", "T8.02", "T8.07",
        ] {
            assert!(short.contains(own), "{kind} lacks {own}");
        }
        // Family-doctor follow-up is the village doctor's own work where it is offered.
        let signed = ids(t, &profile(kind, &[Service::FamilyDoctor]));
        assert!(signed.contains("T3.12") && !signed.contains("T3.11"));
    }
    let centre = ids(t, &profile(FacilityType::Township, &[]));
    assert!(centre.len() > 40 && centre.contains("T1.06") && centre.contains("T8.04"));
}

/// 检查 beside 检验: the plan's task 六 covers both, so its test-process items apply with a lab or with
/// imaging (X-ray, ultrasound, ECG); internal and external QC stay the lab's.
#[test]
fn test_items_apply_with_lab_or_imaging() {
    let t = Template::national();
    let imaging = ids(t, &profile(FacilityType::Township, &[Service::Imaging]));
    let lab = ids(t, &profile(FacilityType::Township, &[Service::Lab]));
    for both in ["T6.01", "T6.04", "T6.06", "T6.07"] {
        assert!(imaging.contains(both) && lab.contains(both), "{both}");
    }
    for lab_only in ["T6.02", "T6.03"] {
        assert!(
            lab.contains(lab_only) && !imaging.contains(lab_only),
            "{lab_only}"
        );
    }
    assert!(!ids(t, &profile(FacilityType::Township, &[])).contains("T6.01"));
}

/// T1.01 (the alliance's quality organisation) only in a medical community; T6.05 (results shared within
/// the alliance) for every member, village clinics too, with or without a lab.
#[test]
fn alliance_items_follow_membership() {
    let t = Template::national();
    let member = |kind| FacilityProfile {
        alliance: true,
        ..profile(kind, &[])
    };
    let outside = ids(t, &profile(FacilityType::Township, &[Service::Lab]));
    assert!(!outside.contains("T1.01") && !outside.contains("T6.05"));
    let township = ids(t, &member(FacilityType::Township));
    assert!(township.contains("T1.01") && township.contains("T6.05"));
    let village = ids(t, &member(FacilityType::VillageClinic));
    assert!(village.contains("T6.05") && !village.contains("T1.01"));
}

/// Ward nursing follows inpatient care; handover also follows emergency units.
#[test]
fn nursing_items_follow_inpatient_and_emergency_care() {
    let t = Template::national();
    let outpatient = ids(t, &profile(FacilityType::CommunityCentre, &[]));
    let wards = ids(
        t,
        &profile(FacilityType::CommunityCentre, &[Service::Inpatient]),
    );
    let emergency = ids(
        t,
        &profile(FacilityType::CommunityCentre, &[Service::Emergency]),
    );
    for ward in ["T7.03", "T7.09"] {
        assert!(wards.contains(ward) && !outpatient.contains(ward) && !emergency.contains(ward));
    }
    assert!(
        wards.contains("T7.06") && emergency.contains("T7.06") && !outpatient.contains("T7.06")
    );
    assert!(outpatient.contains("T7.05") && outpatient.contains("T7.02"));
}

/// The indicators the plan names that version 1 lacked carry a figure, on the item whose clause names them.
#[test]
fn the_plans_named_indicators_have_figures() {
    let t = Template::national();
    for (id, unit) in [
        ("T1.06", "次"),
        ("T3.04", "%"),
        ("T5.09", "例"),
        ("T7.08", "例"),
    ] {
        let item = t.item(&ItemId::from(id)).unwrap();
        assert!(
            matches!(&item.response, ResponseKind::StatusWithNumber { metric } if metric.unit == unit),
            "{id}"
        );
    }
}

/// A version once published stays as published: inspections pinned to national-2026 v1 read v1, and the
/// newer version keeps every v1 item id, so figures stay comparable across versions.
#[test]
fn a_published_version_stays_as_published() {
    use crate::doc::{Document, Inspection};
    let v1 = Template::find("national-2026", 1).unwrap();
    let v2 = Template::find("national-2026", 2).unwrap();
    assert_eq!(v2, Template::current());
    assert_eq!(v1.items().count(), 83);
    assert!(v1.items().all(|i| i.judge.is_none()));
    // v1's rules as published: a community station answered the ward-nursing items.
    let station = profile(FacilityType::CommunityStation, &[]);
    assert!(ids(v1, &station).contains("T7.03") && !ids(v2, &station).contains("T7.03"));
    for item in v1.items() {
        assert!(v2.item(&item.id).is_some(), "v2 dropped {}", item.id);
    }
    let mut pinned = Inspection::create(&crate::FacilityId::from("f"), 2026, v1).unwrap();
    let reloaded = Inspection::load(&pinned.save()).unwrap();
    assert_eq!(reloaded.checklist().unwrap(), v1);
}
