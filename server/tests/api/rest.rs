//! The REST API: where documents are, the staff list, the county summary and its permission.

use crate::both;
use crate::helpers::*;
use serde_json::Value;
use zhigai_shared::{Author, ItemId, Stamp, Status, Timestamp};

async fn facilities_list_their_documents_as_automerge_urls(backend: Backend) {
    let app = spawn_app(backend).await;
    let staff = zhigai_server::client::SyncClient::login(&app.base, "liuhe-member", PASSWORD)
        .await
        .unwrap();
    let (status, body) = get(&app, staff.token(), "/api/facilities").await;
    assert_eq!(status, 200);
    let facilities = body["facilities"].as_array().unwrap();
    assert_eq!(facilities.len(), 1, "staff see their own facility only");
    let docs = &facilities[0]["documents"][0];
    assert_eq!(docs["year"], 2026);
    assert_eq!(
        docs["inspection"]["url"],
        inspection_id("liuhe", 2026).url()
    );
    assert_eq!(docs["inspection"]["writable"], true);
    assert_eq!(docs["review"]["writable"], false);

    let reviewer = zhigai_server::client::SyncClient::login(&app.base, "reviewer", PASSWORD)
        .await
        .unwrap();
    let (_, body) = get(&app, reviewer.token(), "/api/facilities").await;
    assert_eq!(body["facilities"].as_array().unwrap().len(), 14);
    assert_eq!(body["communities"].as_array().unwrap().len(), 2);

    let (status, staff_list) = get(&app, staff.token(), "/api/facilities/liuhe/staff").await;
    assert_eq!(status, 200);
    // Its two staff, then its medical community's QC reviewer (lead-hospital staff, owners of the items
    // the plan gives the lead hospital).
    let names: Vec<&str> = staff_list
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[2], "gc-east-reviewer");
    let (status, _) = get(&app, staff.token(), "/api/facilities/shiqiao/staff").await;
    assert_eq!(status, 404, "another facility's staff are not visible");
    let (status, template) = get(&app, staff.token(), "/api/template").await;
    assert_eq!(
        (status, template["id"].as_str()),
        (200, Some("national-2026"))
    );
    app.stop().await;
}
both!(facilities_list_their_documents_as_automerge_urls);

async fn the_county_summary_follows_synced_edits_and_is_only_for_that_county(backend: Backend) {
    let app = spawn_app(backend).await;
    let reviewer = zhigai_server::client::SyncClient::login(&app.base, "reviewer", PASSWORD)
        .await
        .unwrap();
    let (status, body) = get(
        &app,
        reviewer.token(),
        "/api/counties/demo-county/summary?year=2027",
    )
    .await;
    assert_eq!(status, 200);
    let row = |body: &Value| {
        body["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["facility_id"] == "beipo")
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&body)["answered"], 0);

    let id = inspection_id("beipo", 2027);
    let mut staff = app.client("beipo-head").await;
    staff
        .open(id, genesis_inspection("beipo", 2027))
        .await
        .unwrap();
    let stamp = Stamp::new(
        Author::new("u-beipo-head", "孙院长"),
        Timestamp(1_800_000_000_000),
    );
    for item in ["T1.01", "T1.02", "T8.02"] {
        staff
            .inspection_mut(id)
            .set_status(&ItemId::from(item), Some(Status::Compliant), &stamp)
            .unwrap();
    }
    assert!(staff.wait_acked(id, WAIT).await.unwrap());
    let (_, body) = get(
        &app,
        reviewer.token(),
        "/api/counties/demo-county/summary?year=2027",
    )
    .await;
    let beipo = row(&body);
    assert_eq!(beipo["answered"], 3);
    assert_eq!(beipo["areas"][0]["compliant"], 2);
    assert_eq!(beipo["areas"][7]["compliant"], 1);
    assert!(beipo["applicable"].as_i64().unwrap() > 50);

    // 2026 demo data has overdue problems.
    let (_, body) = get(
        &app,
        reviewer.token(),
        "/api/counties/demo-county/summary?year=2026",
    )
    .await;
    let overdue: i64 = body["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["overdue_problems"].as_i64().unwrap())
        .sum();
    assert!(overdue > 0);

    for user in ["other-reviewer", "liuhe-head"] {
        let other = zhigai_server::client::SyncClient::login(&app.base, user, PASSWORD)
            .await
            .unwrap();
        let (status, body) = get(&app, other.token(), "/api/counties/demo-county/summary").await;
        assert_eq!(status, 403, "{user}");
        assert!(
            body.get("facilities").is_none(),
            "nothing leaks in the refusal"
        );
    }
    app.stop().await;
}
both!(the_county_summary_follows_synced_edits_and_is_only_for_that_county);

/// The demo seeds 2026 in every state and 2027 under way for three facilities: the 2027 overview has
/// answers, and those facilities' 2027 lists carry 2026's open problems beside their new ones.
async fn the_demo_has_a_year_under_way_with_problems_carried_over(backend: Backend) {
    use zhigai_shared::carry::{YearDocs, problem_list};
    let app = spawn_app(backend).await;
    let reviewer = zhigai_server::client::SyncClient::login(&app.base, "reviewer", PASSWORD)
        .await
        .unwrap();
    let (_, body) = get(
        &app,
        reviewer.token(),
        "/api/counties/demo-county/summary?year=2027",
    )
    .await;
    let started = body["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["answered"].as_i64().unwrap() > 0)
        .count();
    assert_eq!(started, 3);
    let mut carried_somewhere = false;
    for facility in ["chengguan", "xiling", "xicheng-zhan"] {
        let (i26, r26) = (
            app.stored_inspection(facility, 2026).await.unwrap(),
            app.stored_review(facility, 2026).await.unwrap(),
        );
        let (i27, r27) = (
            app.stored_inspection(facility, 2027).await.unwrap(),
            app.stored_review(facility, 2027).await.unwrap(),
        );
        let docs = [
            YearDocs {
                year: 2026,
                inspection: &i26,
                review: &r26,
            },
            YearDocs {
                year: 2027,
                inspection: &i27,
                review: &r27,
            },
        ];
        let list = problem_list(2027, &docs);
        assert!(
            list.iter().any(|p| p.origin == 2027),
            "{facility}: a new 2027 problem"
        );
        carried_somewhere |= list.iter().any(|p| p.origin == 2026);
    }
    assert!(carried_somewhere, "some 2026 problem is still open in 2027");
    app.stop().await;
}
both!(the_demo_has_a_year_under_way_with_problems_carried_over);
