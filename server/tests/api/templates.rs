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
    let this_year = zhigai_server::clock::today_cst().year();
    // The demo published 示范省's version; the county refines it for this year.
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
