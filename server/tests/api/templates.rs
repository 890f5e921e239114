//! Checklist versions over HTTP and at publication: who sees which version, what a version says differs
//! from its parent, and publications that do not fit the directory or the versions before them.

use crate::both;
use crate::helpers::*;
use zhigai_server::templates::{self, PublishError};
use zhigai_shared::access::Scope;
use zhigai_shared::template::Derivation;

const PROVINCE_FILE: &str = include_str!("../../../shared/data/derived/demo-province.toml");

fn ids(list: &serde_json::Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| format!("{}@{}", i["id"].as_str().unwrap(), i["version"]))
        .collect()
}

async fn each_place_sees_its_own_and_its_ancestors_versions(backend: Backend) {
    let app = spawn_app(backend).await;
    zhigai_server::demo::publish_province_checklist(app.store.as_ref())
        .await
        .unwrap();
    let this_year = zhigai_server::clock::today_cst().year();
    // 示范省's version, as the demo publishes it; the county refines it for this year.
    let county_file = PROVINCE_FILE
        .replace(
            "id = \"demo-province\"\n",
            "id = \"demo-county-checklist\"\n",
        )
        .replace(
            "parent = { id = \"national-2026\", version = 2 }",
            "parent = { id = \"demo-province\", version = 1 }",
        )
        .replace(
            "publisher = { kind = \"province\", id = \"demo-province\" }",
            "publisher = { kind = \"county\", id = \"demo-county\" }",
        )
        .replace("retire = [\"T3.13\"]", "retire = [\"T3.12\"]")
        .replace("id = \"T8.SF01\"", "id = \"T8.QH01\"");
    let derivation = Derivation::from_toml(&county_file).unwrap();
    let (info, differences) = templates::publish(
        app.store.as_ref(),
        &derivation,
        Some(this_year),
        this_year,
        1,
    )
    .await
    .unwrap();
    assert_eq!(info.applies_from, this_year);
    // Against the province's version: one more retired, one more added; the targets are the province's.
    assert_eq!(differences.len(), 2, "{differences:?}");

    let clinic = token(&app, "wangzhuang-head").await;
    let (status, list) = get(&app, &clinic, "/api/templates").await;
    assert_eq!(status, 200);
    assert_eq!(
        ids(&list),
        [
            "national-2026@1",
            "national-2026@2",
            "demo-county-checklist@1",
            "demo-province@1"
        ]
    );
    // The district's clinics are in the same province, not the same county.
    let district = token(&app, "xincheng-head").await;
    let (_, list) = get(&app, &district, "/api/templates").await;
    assert_eq!(
        ids(&list),
        ["national-2026@1", "national-2026@2", "demo-province@1"]
    );
    let (status, _) = get(&app, &district, "/api/templates/demo-county-checklist/1").await;
    assert_eq!(
        status, 404,
        "another county's version is not the district's to read"
    );
    // The city's QC centre sees its counties' versions; a county outside the province sees the nation's.
    let city = token(&app, "city-reviewer").await;
    let (_, list) = get(&app, &city, "/api/templates").await;
    assert!(ids(&list).contains(&"demo-county-checklist@1".to_owned()));
    let other = token(&app, "other-head").await;
    let (_, list) = get(&app, &other, "/api/templates").await;
    assert_eq!(ids(&list), ["national-2026@1", "national-2026@2"]);
    let (status, _) = get(&app, &other, "/api/templates/demo-province/1").await;
    assert_eq!(status, 404);

    // One version, whole, with what differs from its parent.
    let (status, detail) = get(&app, &clinic, "/api/templates/demo-province/1").await;
    assert_eq!(status, 200);
    assert_eq!(detail["info"]["publisher"]["id"], "demo-province");
    let changes: Vec<String> = detail["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["change"].as_str().unwrap(),
                d["item"].as_str().unwrap()
            )
        })
        .collect();
    assert!(changes.contains(&"retired T3.13".to_owned()), "{changes:?}");
    assert!(changes.contains(&"added T8.SF01".to_owned()), "{changes:?}");
    let t5 = &detail["template"]["areas"][4]["items"][0];
    assert_eq!(t5["id"], "T5.01");
    assert_eq!(t5["response"]["metric"]["target"], 95.0);
    let (_, national) = get(&app, &clinic, "/api/templates/national-2026/2").await;
    assert_eq!(national["differences"], serde_json::json!([]));
    // Bad input: a version that is not a number, one that does not exist, no session.
    let (status, _) = get(&app, &clinic, "/api/templates/demo-province/abc").await;
    assert_eq!(status, 400);
    let (status, _) = get(&app, &clinic, "/api/templates/demo-province/9").await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, "not-a-token", "/api/templates").await;
    assert_eq!(status, 401);
    app.stop().await;
}
both!(each_place_sees_its_own_and_its_ancestors_versions);

/// Publications that do not fit are refused, each with its reason, and nothing is stored.
async fn publications_that_do_not_fit_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let store = app.store.as_ref();
    zhigai_server::demo::publish_province_checklist(store)
        .await
        .unwrap();
    let this_year = zhigai_server::clock::today_cst().year();
    let refused = async |text: String, from: Option<u16>, needle: &str| {
        let derivation = Derivation::from_toml(&text).unwrap();
        match templates::publish(store, &derivation, from, this_year, 1).await {
            Err(PublishError::Refused(m)) => assert!(m.contains(needle), "{needle}: {m}"),
            other => panic!("{needle}: {other:?}"),
        }
    };
    // The demo published version 1: publishing it again would change a published version.
    refused(PROVINCE_FILE.to_owned(), None, "the next to publish is 2").await;
    let v2 = PROVINCE_FILE.replace("version = 1\n", "version = 2\n");
    refused(v2.clone(), Some(this_year - 1), "past").await;
    // Another place may not publish under the province's id, nor a facility at all.
    refused(
        v2.replace(
            "publisher = { kind = \"province\", id = \"demo-province\" }",
            "publisher = { kind = \"county\", id = \"other-county\" }",
        ),
        None,
        "another place's",
    )
    .await;
    refused(
        v2.replace(
            "publisher = { kind = \"province\", id = \"demo-province\" }",
            "publisher = { kind = \"facility\", id = \"wangzhuang\" }",
        ),
        None,
        "province, city or county",
    )
    .await;
    // A county outside the province may not refine the province's version.
    let foreign = PROVINCE_FILE
        .replace("id = \"demo-province\"\n", "id = \"other-checklist\"\n")
        .replace(
            "parent = { id = \"national-2026\", version = 2 }",
            "parent = { id = \"demo-province\", version = 1 }",
        )
        .replace(
            "publisher = { kind = \"province\", id = \"demo-province\" }",
            "publisher = { kind = \"county\", id = \"other-county\" }",
        );
    refused(foreign, None, "not above").await;
    // A parent that does not exist.
    let orphan = Derivation::from_toml(
        &PROVINCE_FILE
            .replace("version = 2 }", "version = 7 }")
            .replace("version = 1\n", "version = 2\n"),
    )
    .unwrap();
    assert!(matches!(
        templates::publish(store, &orphan, None, this_year, 1).await,
        Err(PublishError::Unknown(_))
    ));
    let list = templates::infos(store).await.unwrap();
    assert_eq!(list.len(), 3, "nothing more was stored: {list:?}");
    // Version 2, in order, is published and applies from next year by default.
    let (info, _) = templates::publish(
        store,
        &Derivation::from_toml(&v2).unwrap(),
        None,
        this_year,
        1,
    )
    .await
    .unwrap();
    assert_eq!((info.version, info.applies_from), (2, this_year + 1));
    assert_eq!(
        info.publisher,
        Some(Scope::Province("demo-province".into()))
    );
    app.stop().await;
}
both!(publications_that_do_not_fit_are_refused);

/// The server pins each facility-year to a version the first time it is needed and tells the device, which
/// starts the inspection on it: two facilities of one county on different versions, a device that starts
/// on another version refused, and the county's common problems counting only the ids both versions share.
async fn the_server_pins_each_facility_year_and_the_device_starts_on_it(backend: Backend) {
    use zhigai_shared::{Document, FacilityId, Inspection, ItemId, Status, Template};
    let app = spawn_app(backend).await;
    let store = app.store.as_ref();
    let year = zhigai_server::clock::today_cst().year();
    // 城关's year was settled before the county published: it keeps the national baseline.
    let chengguan = store
        .fetch_facility(&FacilityId::from("chengguan"))
        .await
        .unwrap()
        .unwrap();
    let before = templates::pin(store, &chengguan, year).await.unwrap();
    assert_eq!((before.id.as_str(), before.version), ("national-2026", 2));
    // The county publishes its version for this year: it retires T3.12 and T5.02 and adds T8.QH01.
    let county_file = PROVINCE_FILE
        .replace("id = \"demo-province\"\n", "id = \"qh-checklist\"\n")
        .replace(
            "publisher = { kind = \"province\", id = \"demo-province\" }",
            "publisher = { kind = \"county\", id = \"demo-county\" }",
        )
        .replace("retire = [\"T3.13\"]", "retire = [\"T3.12\", \"T5.02\"]")
        .replace("id = \"T8.SF01\"", "id = \"T8.QH01\"");
    templates::publish(
        store,
        &Derivation::from_toml(&county_file).unwrap(),
        Some(year),
        year,
        1,
    )
    .await
    .unwrap();

    // 李家 (nothing synced yet) is told the county's version at login, with its body; 城关 its own.
    let lijia = token(&app, "lijia-head").await;
    let (_, directory) = get(&app, &lijia, "/api/facilities").await;
    let years = directory["facilities"][0]["documents"].as_array().unwrap();
    let this = years.iter().find(|y| y["year"] == year).unwrap();
    assert_eq!(this["template"]["id"], "qh-checklist");
    let body: Template = serde_json::from_value(directory["templates"][0].clone()).unwrap();
    assert_eq!((body.id.as_str(), body.version), ("qh-checklist", 1));
    let later = years.iter().find(|y| y["year"] == year + 2);
    assert!(
        later.is_none_or(|y| y["template"].is_null()),
        "a later year is not settled yet"
    );
    let chengguan = token(&app, "chengguan-head").await;
    let (_, theirs) = get(&app, &chengguan, "/api/facilities").await;
    let theirs = theirs["facilities"][0]["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|y| y["year"] == year)
        .unwrap()["template"]
        .clone();
    assert_eq!(theirs["id"], "national-2026");

    // Before it syncs, the county's overview counts what the county's version asks of 李家.
    let reviewer = token(&app, "reviewer").await;
    let (_, summary) = get(
        &app,
        &reviewer,
        &format!("/api/counties/demo-county/summary?year={year}"),
    )
    .await;
    let row = summary["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["facility_id"] == "lijia")
        .unwrap()
        .clone();
    let profile = store
        .fetch_facility(&FacilityId::from("lijia"))
        .await
        .unwrap()
        .unwrap()
        .profile();
    assert_eq!(row["applicable"], body.applicable_items(&profile).len());
    assert_ne!(
        body.applicable_items(&profile).len(),
        Template::national().applicable_items(&profile).len()
    );

    // Two devices starting the year offline build one genesis from the version they were told.
    let lijia_facility = FacilityId::from("lijia");
    let a = Inspection::create(&lijia_facility, year, &body).unwrap();
    let b = Inspection::create(&lijia_facility, year, &body).unwrap();
    assert_eq!(a.heads(), b.heads());
    // The device's edits on the county's item are taken; the summary counts the county's checklist.
    let id = inspection_id("lijia", year);
    let mut device = app.client("lijia-head").await;
    device.open(id, a).await.unwrap();
    let stamp = device.stamp();
    device
        .inspection_mut(id)
        .set_status(&ItemId::from("T8.QH01"), Some(Status::Partial), &stamp)
        .unwrap();
    device.push(id).await.unwrap();
    assert!(device.wait_acked(id, WAIT).await.unwrap());
    assert!(errors(&device).is_empty(), "{:?}", errors(&device));
    let stored = app.stored_inspection("lijia", year).await.unwrap();
    assert_eq!(stored.checklist().unwrap().id.as_str(), "qh-checklist");

    // A device that starts the year on another version is refused: its genesis writes what no peer may.
    let mut stale = app.client("lijia-member").await;
    let wrong = Inspection::create(&lijia_facility, year, Template::national()).unwrap();
    stale.open(id, wrong).await.unwrap();
    let e = refusal(&mut stale).await;
    assert!(!e.is_empty());
    let after = app.stored_inspection("lijia", year).await.unwrap();
    assert_eq!(after.checklist().unwrap().id.as_str(), "qh-checklist");

    // The county's overview says two versions are in use and counts only the ids both share.
    let (_, summary) = get(
        &app,
        &reviewer,
        &format!("/api/counties/demo-county/summary?year={year}"),
    )
    .await;
    let versions = &summary["versions"];
    assert_eq!(
        versions["versions"].as_array().unwrap().len(),
        2,
        "{versions}"
    );
    let shared = Template::national().shared_items(&body);
    assert_eq!(versions["shared_items"], shared.len());
    for common in summary["common_items"].as_array().unwrap() {
        let item = ItemId::from(common["item_id"].as_str().unwrap());
        assert!(shared.contains(&item), "{item} is not in both versions");
    }
    app.stop().await;
}
both!(the_server_pins_each_facility_year_and_the_device_starts_on_it);
