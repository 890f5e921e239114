//! The directory's levels: who reaches which overview (community, county, city, province), what each
//! level's directory lists, the township head over its village clinics, and the two review steps as the
//! sync server enforces them.

use crate::both;
use crate::helpers::*;
use serde_json::Value;
use zhigai_server::client::Notice;
use zhigai_shared::Document;
use zhigai_shared::access::Rights;
use zhigai_shared::{Author, Review, ReviewState, Stamp, Timestamp};

/// Each overview by each role: 200 where the place is the user's or below it, 403 anywhere else (a place
/// that does not exist included), for facility staff always.
async fn every_level_reaches_its_own_overviews_and_no_other(backend: Backend) {
    let app = spawn_app(backend).await;
    let places = [
        "communities/gc-east",
        "communities/gc-west",
        "communities/xc-qs",
        "counties/demo-county",
        "counties/demo-district",
        "counties/other-county",
        "cities/demo-city",
        "provinces/demo-province",
        "cities/nowhere",
    ];
    // Which of `places` each user reaches.
    let matrix: &[(&str, &[&str])] = &[
        ("gc-east-reviewer", &["communities/gc-east"]),
        (
            "reviewer",
            &[
                "communities/gc-east",
                "communities/gc-west",
                "counties/demo-county",
            ],
        ),
        (
            "admin",
            &[
                "communities/gc-east",
                "communities/gc-west",
                "counties/demo-county",
            ],
        ),
        (
            "district-reviewer",
            &["communities/xc-qs", "counties/demo-district"],
        ),
        ("other-reviewer", &["counties/other-county"]),
        (
            "city-reviewer",
            &[
                "communities/gc-east",
                "communities/gc-west",
                "communities/xc-qs",
                "counties/demo-county",
                "counties/demo-district",
                "cities/demo-city",
            ],
        ),
        (
            "province-viewer",
            &[
                "communities/gc-east",
                "communities/gc-west",
                "communities/xc-qs",
                "counties/demo-county",
                "counties/demo-district",
                "cities/demo-city",
                "provinces/demo-province",
            ],
        ),
        ("liuhe-head", &[]),
        ("wangzhuang-member", &[]),
    ];
    for (user, reaches) in matrix {
        let token = token(&app, user).await;
        for place in places {
            let (status, body) =
                get(&app, &token, &format!("/api/{place}/summary?year=2026")).await;
            let want = if reaches.contains(&place) { 200 } else { 403 };
            assert_eq!(status, want, "{user} on {place}: {body}");
            // The common problems and the exports follow the same check.
            let (status, _) = get(&app, &token, &format!("/api/{place}/common?year=2026")).await;
            assert_eq!(status, want, "{user} on {place}/common");
        }
    }
    app.stop().await;
}
both!(every_level_reaches_its_own_overviews_and_no_other);

/// A community's overview lists its members only; the city's lists counties; a common problem drills
/// down to facilities of that place only; each level exports.
async fn overviews_at_each_level_list_their_own_rows(backend: Backend) {
    let app = spawn_app(backend).await;
    let community = token(&app, "gc-east-reviewer").await;
    let (_, body) = get(
        &app,
        &community,
        "/api/communities/gc-east/summary?year=2026",
    )
    .await;
    let rows = body["facilities"].as_array().unwrap();
    assert_eq!(rows.len(), 7, "gc-east's seven members");
    assert!(rows.iter().all(|r| r["community_id"] == "gc-east"));
    assert_eq!(body["level"], "community");
    assert_eq!(body["two_step"], true);

    let city = token(&app, "city-reviewer").await;
    let (_, body) = get(&app, &city, "/api/cities/demo-city/summary?year=2026").await;
    assert_eq!(body["counties"].as_array().unwrap().len(), 2);
    let common = body["common_items"].as_array().unwrap();
    assert!(
        !common.is_empty(),
        "the demo has items weak in several facilities"
    );
    let top = &common[0];
    let item = top["item_id"].as_str().unwrap();
    let (status, list) = get(
        &app,
        &city,
        &format!("/api/cities/demo-city/common/{item}?year=2026"),
    )
    .await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len() as u64, top["facilities"].as_u64().unwrap());
    // The same item within one community: a subset, all of that community.
    let (_, within) = get(
        &app,
        &community,
        &format!("/api/communities/gc-east/common/{item}?year=2026"),
    )
    .await;
    let within = within.as_array().unwrap();
    assert!(within.len() <= list.len());
    for f in within {
        assert!(list.contains(f), "{f} is in the city's list too");
    }
    // Exports at the city level: a workbook and two CSV tables.
    for path in [
        "/api/cities/demo-city/export.xlsx?year=2026",
        "/api/cities/demo-city/export.csv?year=2026&table=counties",
        "/api/cities/demo-city/export.csv?year=2026&table=common",
        "/api/communities/gc-east/export.csv?year=2026&table=facilities",
    ] {
        let r = reqwest::Client::new()
            .get(format!("{}{path}", app.base))
            .bearer_auth(&city)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(!r.bytes().await.unwrap().is_empty());
    }
    let (status, body) = get(
        &app,
        &city,
        "/api/cities/demo-city/export.csv?year=2026&table=facilities",
    )
    .await;
    assert_eq!(
        status, 400,
        "a city's tables are counties and common: {body}"
    );
    app.stop().await;
}
both!(overviews_at_each_level_list_their_own_rows);

/// What `/api/facilities` lists at each level, with the rights on each document; a city user opens one
/// facility at a time.
async fn each_level_lists_the_facilities_it_works_with(backend: Backend) {
    let app = spawn_app(backend).await;
    let ids = |body: &Value| -> Vec<String> {
        let mut ids: Vec<String> = body["facilities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let head = token(&app, "liuhe-head").await;
    let (_, body) = get(&app, &head, "/api/facilities").await;
    assert_eq!(ids(&body), ["lijia", "liuhe", "wangzhuang"]);
    for f in body["facilities"].as_array().unwrap() {
        let docs = &f["documents"][0];
        let own = f["id"] == "liuhe";
        assert_eq!(docs["inspection"]["writable"], own, "{}", f["id"]);
        let rights: Rights = serde_json::from_value(docs["review"]["rights"].clone()).unwrap();
        assert_eq!(rights, if own { Rights::NONE } else { Rights::COMMENT });
    }
    let member = token(&app, "liuhe-member").await;
    let (_, body) = get(&app, &member, "/api/facilities").await;
    assert_eq!(ids(&body), ["liuhe"], "members do not guide");

    let community = token(&app, "gc-west-reviewer").await;
    let (_, body) = get(&app, &community, "/api/facilities").await;
    assert_eq!(ids(&body).len(), 7);
    let review = &body["facilities"][0]["documents"][0]["review"];
    let rights: Rights = serde_json::from_value(review["rights"].clone()).unwrap();
    assert!(rights.has(Rights::FIRST_STEP) && !rights.has(Rights::FINAL_STEP));

    let city = token(&app, "city-reviewer").await;
    let (_, body) = get(&app, &city, "/api/facilities").await;
    assert_eq!(
        ids(&body),
        Vec::<String>::new(),
        "a city's thousands are not listed"
    );
    let (status, one) = get(&app, &city, "/api/facilities/xincheng-a").await;
    assert_eq!(status, 200);
    assert_eq!(one["guided_by"], "xincheng");
    let rights: Rights =
        serde_json::from_value(one["documents"][0]["review"]["rights"].clone()).unwrap();
    assert!(rights.has(Rights::COMMENT) && !rights.has(Rights::FINAL_STEP));
    let other = token(&app, "other-reviewer").await;
    let (status, _) = get(&app, &other, "/api/facilities/xincheng-a").await;
    assert_eq!(
        status, 404,
        "outside the caller's reach a facility does not exist"
    );
    let (status, _) = get(&app, &other, "/api/facilities/xincheng-a/staff").await;
    assert_eq!(status, 404);
    app.stop().await;
}
both!(each_level_lists_the_facilities_it_works_with);

fn stamp(user: &str, minute: i64) -> Stamp {
    Stamp::new(
        Author::new(format!("u-{user}"), user),
        Timestamp(1_767_225_600_000 + minute * 60_000),
    )
}

/// Over sync, in a two-step county: the community's reviewer may pass on but not approve; the county's
/// approves; a township head may comment on its clinic but not decide. Refusals are stored nowhere.
async fn the_review_steps_are_held_to_their_roles_over_sync(backend: Backend) {
    let app = spawn_app(backend).await;
    let id = review_id("wangzhuang", 2026);
    let open = async |user: &str| {
        let mut c = app.client(user).await;
        c.open(id, Review::empty()).await.unwrap();
        assert!(
            c.wait_for(WAIT, |c| c.review(id).view().facility.is_some())
                .await
                .unwrap(),
            "{user} reads the review"
        );
        c
    };
    let heads = app
        .stored_inspection("wangzhuang", 2026)
        .await
        .unwrap()
        .heads();

    // The community's reviewer tries to approve: refused, not stored.
    let mut first = open("gc-east-reviewer").await;
    first
        .review_mut(id)
        .approve(&heads, &stamp("gc-east-reviewer", 1))
        .unwrap();
    first.push(id).await.unwrap();
    assert!(
        !first
            .wait_acked(id, std::time::Duration::from_secs(3))
            .await
            .unwrap()
    );
    assert!(
        first
            .notices
            .iter()
            .any(|n| matches!(n, Notice::Error(m) if m.contains("state"))),
        "{:?}",
        first.notices
    );
    let stored = app.stored_review("wangzhuang", 2026).await;
    assert_ne!(
        stored.map(|r| r.state().state),
        Some(ReviewState::Approved),
        "the refused approval was stored"
    );
    drop(first);

    // Passing on is theirs.
    let mut first = open("gc-east-reviewer").await;
    first
        .review_mut(id)
        .pass_on(&heads, &stamp("gc-east-reviewer", 2))
        .unwrap();
    assert!(first.wait_acked(id, WAIT).await.unwrap());

    // The township head comments as guidance; deciding is refused.
    let mut guide = open("liuhe-head").await;
    guide
        .review_mut(id)
        .add_comment(
            &"T1.01".into(),
            "请按乡村一体化要求补齐登记本",
            &stamp("liuhe-head", 3),
        )
        .unwrap();
    assert!(guide.wait_acked(id, WAIT).await.unwrap());
    guide
        .review_mut(id)
        .return_first("不合格", &heads, &stamp("liuhe-head", 4))
        .unwrap();
    guide.push(id).await.unwrap();
    assert!(
        !guide
            .wait_acked(id, std::time::Duration::from_secs(3))
            .await
            .unwrap()
    );

    // The county approves; the stored review holds both steps and the guidance.
    let mut county = open("reviewer").await;
    county
        .review_mut(id)
        .approve(&heads, &stamp("reviewer", 5))
        .unwrap();
    assert!(county.wait_acked(id, WAIT).await.unwrap());
    let stored = app.stored_review("wangzhuang", 2026).await.unwrap();
    let state = stored.state();
    assert_eq!(state.state, ReviewState::Approved);
    assert_eq!(state.first.unwrap().state, ReviewState::PassedOn);
    assert!(
        stored
            .comments()
            .iter()
            .any(|c| c.text.contains("乡村一体化"))
    );
    // The summary row follows the review.
    let reviewer = token(&app, "reviewer").await;
    let (_, body) = get(
        &app,
        &reviewer,
        "/api/communities/gc-east/summary?year=2026",
    )
    .await;
    let row = body["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["facility_id"] == "wangzhuang")
        .unwrap()
        .clone();
    assert_eq!(row["review_state"], "approved");
    app.stop().await;
}
both!(the_review_steps_are_held_to_their_roles_over_sync);

/// A finding from the city's check reaches the county's overdue list; the facility answers it in its own
/// inspection until it is rectified; neither side can write the other's part.
async fn a_finding_reaches_the_lists_and_the_facility_answers_it(backend: Backend) {
    use zhigai_shared::access::Level;
    use zhigai_shared::doc::{NewFinding, ProblemChange, ProblemStatus};
    use zhigai_shared::{Inspection, ItemId};
    let app = spawn_app(backend).await;
    let review = review_id("liuhe", 2026);
    let inspection = inspection_id("liuhe", 2026);
    let mut city = app.client("city-reviewer").await;
    city.open(review, Review::empty()).await.unwrap();
    assert!(
        city.wait_for(WAIT, |c| c.review(review).view().facility.is_some())
            .await
            .unwrap()
    );
    let finding = city
        .review_mut(review)
        .add_finding(
            NewFinding {
                item: Some(ItemId::from("T5.06")),
                description: "市级核查：处方点评记录缺失".into(),
                deadline: Some("2026-01-31".parse().unwrap()),
                level: Level::City,
            },
            &stamp("city-reviewer", 1),
        )
        .unwrap();
    assert!(city.wait_acked(review, WAIT).await.unwrap());

    let county = token(&app, "reviewer").await;
    let overdue = |app: &TestApp, token: String| {
        let base = app.base.clone();
        async move {
            let r = reqwest::Client::new()
                .get(format!("{base}/api/counties/demo-county/overdue?year=2026"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            r.json::<Value>().await.unwrap()
        }
    };
    let listed = overdue(&app, county.clone()).await;
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["problem_id"] == finding.as_str() && r["facility_id"] == "liuhe"),
        "the finding is overdue in the county's list: {listed}"
    );

    // A reviewer cannot write the facility's answer.
    city.open(inspection, Inspection::empty()).await.unwrap();
    assert!(
        city.wait_for(WAIT, |c| c.inspection(inspection).facility().is_some())
            .await
            .unwrap()
    );
    city.inspection_mut(inspection)
        .respond(
            &finding,
            ProblemChange::Status(ProblemStatus::Rectified),
            &stamp("city-reviewer", 2),
        )
        .unwrap();
    city.push(inspection).await.unwrap();
    assert!(
        !city
            .wait_acked(inspection, std::time::Duration::from_secs(3))
            .await
            .unwrap()
    );

    // The facility answers it: in progress, then rectified; the list follows.
    let mut staff = app.client("liuhe-member").await;
    staff.open(inspection, Inspection::empty()).await.unwrap();
    assert!(
        staff
            .wait_for(WAIT, |c| c.inspection(inspection).facility().is_some())
            .await
            .unwrap()
    );
    staff
        .inspection_mut(inspection)
        .respond(
            &finding,
            ProblemChange::Measure("每月开展处方点评并留档".into()),
            &stamp("liuhe-member", 3),
        )
        .unwrap();
    staff
        .inspection_mut(inspection)
        .respond(
            &finding,
            ProblemChange::Status(ProblemStatus::Rectified),
            &stamp("liuhe-member", 4),
        )
        .unwrap();
    assert!(staff.wait_acked(inspection, WAIT).await.unwrap());
    let listed = overdue(&app, county).await;
    assert!(
        !listed
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["problem_id"] == finding.as_str()),
        "rectified: no longer overdue"
    );
    // The facility cannot write a finding into the review.
    staff.open(review, Review::empty()).await.unwrap();
    assert!(
        staff
            .wait_for(WAIT, |c| c.review(review).view().facility.is_some())
            .await
            .unwrap()
    );
    staff
        .review_mut(review)
        .add_finding(
            NewFinding {
                item: None,
                description: "自己写的核查".into(),
                deadline: None,
                level: Level::City,
            },
            &stamp("liuhe-member", 5),
        )
        .unwrap();
    staff.push(review).await.unwrap();
    assert!(
        !staff
            .wait_acked(review, std::time::Duration::from_secs(3))
            .await
            .unwrap()
    );
    let stored = app.stored_review("liuhe", 2026).await.unwrap();
    assert_eq!(
        stored.findings().len(),
        1,
        "only the city's finding is stored"
    );
    app.stop().await;
}
both!(a_finding_reaches_the_lists_and_the_facility_answers_it);

/// Abuse of the per-document lookup a city or province user's connection makes: a peer naming a thousand
/// made-up document ids gets `doc-unavailable` for each, paced, while a colleague elsewhere syncs as usual
/// and the connection's memory stays bounded by the lookup cache.
async fn guessing_document_ids_is_paced_and_hurts_no_one_else(backend: Backend) {
    use zhigai_shared::sync::DocumentId;
    use zhigai_shared::{Inspection, ItemId, Status};
    let app = spawn_app(backend).await;
    let mut guesser = app.client("city-reviewer").await;
    let ids: Vec<DocumentId> = (0..1000)
        .map(|i| {
            DocumentId::for_doc(
                zhigai_shared::sync::DocKind::Review,
                &zhigai_shared::FacilityId::new(format!("made-up-{i}")),
                2026,
            )
        })
        .collect();
    let started = std::time::Instant::now();
    for id in &ids {
        guesser.open(*id, Review::empty()).await.unwrap();
    }
    // Meanwhile a facility's member syncs an edit.
    let id = inspection_id("liuhe", 2026);
    let mut staff = app.client("liuhe-member").await;
    staff.open(id, Inspection::empty()).await.unwrap();
    assert!(
        staff
            .wait_for(WAIT, |c| c.inspection(id).facility().is_some())
            .await
            .unwrap()
    );
    staff
        .inspection_mut(id)
        .set_status(
            &ItemId::from("T1.02"),
            Some(Status::Compliant),
            &stamp("liuhe-member", 1),
        )
        .unwrap();
    assert!(
        staff.wait_acked(id, WAIT).await.unwrap(),
        "a colleague's edit is acknowledged while ids are guessed"
    );
    // Every guess is answered, paced at 200 lookups a second after the first 200 (a lower bound on time:
    // a slow machine only makes it longer).
    let all = guesser
        .wait_for(std::time::Duration::from_secs(30), |c| {
            ids.iter()
                .all(|id| c.notices.contains(&Notice::Unavailable(*id)))
        })
        .await
        .unwrap();
    assert!(all, "every made-up id is answered doc-unavailable");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(3),
        "1 000 lookups took {:?}: they are not paced",
        started.elapsed()
    );
    assert!(guesser.is_connected());
    app.stop().await;
}
both!(guessing_document_ids_is_paced_and_hurts_no_one_else);
