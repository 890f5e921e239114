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
    }
}

#[test]
fn the_national_template_has_the_nine_tasks_in_the_plans_order() {
    let t = Template::national();
    assert_eq!(t.id.as_str(), "national-2026");
    assert_eq!(t.version, 1);
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
    let t = Template::national();
    let plan = plan();
    assert!(t.items().count() >= 60, "only {} items", t.items().count());
    for item in t.items() {
        assert!(
            plan.contains(&item.source),
            "{}: source not found verbatim in the plan: {}",
            item.id,
            item.source
        );
        assert!(
            !item.text_zh.is_empty() && !item.text_en.is_empty() && !item.guidance_zh.is_empty()
        );
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
    let ids = |p: &FacilityProfile| -> HashSet<String> {
        t.applicable_items(p)
            .iter()
            .map(|i| i.id.to_string())
            .collect()
    };
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
    assert_eq!(json["version"], 1);
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
